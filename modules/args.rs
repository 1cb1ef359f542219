//! Module arguments: the spec a module declares, and validation of what a task passes.
//!
//! Ansible 1.2 modules received a `k=v` string; modern ones receive a mapping. Both arrive here as
//! a [`Map`] (the executor splits `k=v` strings first, keeping a free-form remainder for the
//! command family). Validation follows Ansible's module side: unknown keys fail
//! ("unsupported parameter for module: K"), aliases map to canonical names, `choices` are compared
//! before conversion, bools accept yes/on/1/true and no/off/0/false.

use indexmap::IndexMap;

use crate::value::{Map, Value};

/// The type of one option.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ArgKind {
    /// Any string (numbers and bools are turned into their text).
    Str,
    /// yes/no.
    Bool,
    /// An integer.
    Int,
    /// A list (a string is split on commas).
    List,
    /// A file mode: octal string (`0644`, `644`) or an integer (YAML 1.1 `0644` is already 420).
    Mode,
    /// A path (string; `~` not expanded here).
    Path,
    /// Any value, passed through.
    Raw,
}

/// One option of a module.
#[derive(Clone, Debug)]
pub struct OptSpec {
    /// Canonical name.
    pub name: &'static str,
    /// Other accepted names.
    pub aliases: &'static [&'static str],
    /// Type.
    pub kind: ArgKind,
    /// Must be given.
    pub required: bool,
    /// Accepted values (compared as given, before conversion), empty = any.
    pub choices: &'static [&'static str],
    /// Default (as text, converted like a given value).
    pub default: Option<&'static str>,
    /// A secret (Ansible's `no_log=True` in the argument spec): its value is never printed.
    pub no_log: bool,
}

impl OptSpec {
    /// An optional option of the given kind.
    pub const fn new(name: &'static str, kind: ArgKind) -> Self {
        Self {
            name,
            aliases: &[],
            kind,
            required: false,
            choices: &[],
            default: None,
            no_log: false,
        }
    }
    /// Marks the option required.
    pub const fn required(mut self) -> Self {
        self.required = true;
        self
    }
    /// Sets aliases.
    pub const fn aliases(mut self, aliases: &'static [&'static str]) -> Self {
        self.aliases = aliases;
        self
    }
    /// Sets the accepted values.
    pub const fn choices(mut self, choices: &'static [&'static str]) -> Self {
        self.choices = choices;
        self
    }
    /// Sets the default.
    pub const fn default(mut self, default: &'static str) -> Self {
        self.default = Some(default);
        self
    }
    /// Marks the option secret (`no_log`): its value is masked wherever it would be printed.
    pub const fn no_log(mut self) -> Self {
        self.no_log = true;
        self
    }
}

/// A module's argument specification.
#[derive(Clone, Debug)]
pub struct ArgSpec {
    /// The options.
    pub options: Vec<OptSpec>,
    /// The module takes a free-form string (command, shell, raw).
    pub free_form: bool,
    /// The module also accepts the common file options (`mode owner group backup …`).
    pub file_common: bool,
}

/// The common file-handling options (Ansible's `add_file_common_args`).
pub fn file_common_options() -> Vec<OptSpec> {
    use ArgKind::*;
    vec![
        OptSpec::new("mode", Mode),
        OptSpec::new("owner", Str),
        OptSpec::new("group", Str),
        OptSpec::new("seuser", Str),
        OptSpec::new("serole", Str),
        OptSpec::new("selevel", Str),
        OptSpec::new("setype", Str),
        OptSpec::new("src", Path),
        OptSpec::new("content", Raw),
        OptSpec::new("backup", Bool),
        OptSpec::new("force", Bool),
        OptSpec::new("follow", Bool),
        OptSpec::new("unsafe_writes", Bool),
        OptSpec::new("attributes", Str),
    ]
}

/// An argument problem; fails the task with Ansible's kind of message, changes nothing.
/// `Display` gives Ansible 1.2's wording; [`ArgError::modern_message`] ansible-core's.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ArgError {
    /// `unsupported parameter for module: K` (every unknown key, in the order given).
    #[error("unsupported parameter for module: {}", .0[0])]
    Unsupported(Vec<String>),
    /// `missing required arguments: K`.
    #[error("missing required arguments: {0}")]
    Missing(String),
    /// `value of K must be one of: a,b, got: X`.
    #[error("value of {name} must be one of: {}, got: {got}", choices.join(","))]
    Choice {
        /// The option.
        name: String,
        /// Its accepted values.
        choices: Vec<String>,
        /// What was given.
        got: String,
    },
    /// Wrong type.
    #[error("argument {name} is of invalid type: {msg}")]
    Type {
        /// The option.
        name: String,
        /// What is wrong (1.2's wording).
        msg: String,
        /// The type asked for.
        want: ArgKind,
        /// What was given.
        given: Value,
    },
    /// `this module requires key=value arguments`.
    #[error("this module requires key=value arguments ({0})")]
    NotKeyValue(String),
}

/// Python's type name of a value as ansible-core's messages print it.
fn python_type(v: &Value) -> &'static str {
    match v {
        Value::String(_) => "str",
        Value::Bool(_) => "bool",
        Value::Number(n) if n.is_f64() => "float",
        Value::Number(_) => "int",
        Value::Array(_) => "list",
        Value::Object(_) => "dict",
        Value::Null => "NoneType",
    }
}

impl ArgError {
    /// ansible-core's message for this problem in module `module` with spec `spec`
    /// ("Unsupported parameters for (stat) module: x. Supported parameters include: …").
    pub fn modern_message(&self, module: &str, spec: &ArgSpec) -> String {
        match self {
            ArgError::Unsupported(keys) => {
                let mut keys = keys.clone();
                keys.sort();
                let common = if spec.file_common {
                    file_common_options()
                } else {
                    Vec::new()
                };
                let all: Vec<&OptSpec> = spec.options.iter().chain(common.iter()).collect();
                let mut names: Vec<&str> = all.iter().map(|o| o.name).collect();
                names.sort_unstable();
                let mut aliases: Vec<&str> =
                    all.iter().flat_map(|o| o.aliases.iter().copied()).collect();
                aliases.sort_unstable();
                let alias_text = if aliases.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", aliases.join(", "))
                };
                format!(
                    "Unsupported parameters for ({module}) module: {}. Supported parameters include: {}{alias_text}.",
                    keys.join(", "),
                    names.join(", ")
                )
            }
            ArgError::Choice { name, choices, got } => {
                format!(
                    "value of {name} must be one of: {}, got: {got}",
                    choices.join(", ")
                )
            }
            ArgError::Type {
                name,
                want,
                given,
                msg,
            } => {
                let ty = python_type(given);
                let what = match want {
                    ArgKind::Bool => format!(
                        "bool: The value {} is not a valid boolean. Valid booleans include: 0, 1, 'no', 'on', '1', 'true', 'yes', 't', 'off', 'false', '0', 'f', 'n', 'y'",
                        python_repr(given)
                    ),
                    ArgKind::Int => format!(
                        "int: \"{}\" cannot be converted to an int",
                        python_repr(given)
                    ),
                    _ => return format!("argument '{name}' is of type {ty}: {msg}"),
                };
                format!("argument '{name}' is of type {ty} and we were unable to convert to {what}")
            }
            other => other.to_string(),
        }
    }
}

/// Python's `repr()` of a scalar (strings in single quotes).
fn python_repr(v: &Value) -> String {
    match v {
        Value::String(s) => format!("'{}'", s.replace('\\', "\\\\").replace('\'', "\\'")),
        other => value_text(other),
    }
}

/// Validated arguments, by canonical name.
#[derive(Clone, Debug, Default)]
pub struct ModuleArgs {
    values: IndexMap<String, Value>,
    /// The free-form part (command line for command/shell/raw).
    pub free_form: Option<String>,
}

impl ModuleArgs {
    /// Validates `given` (canonical names or aliases) against `spec`.
    pub fn validate(
        spec: &ArgSpec,
        given: &Map,
        free_form: Option<String>,
    ) -> Result<Self, ArgError> {
        let common = if spec.file_common {
            file_common_options()
        } else {
            Vec::new()
        };
        let all: Vec<&OptSpec> = spec.options.iter().chain(common.iter()).collect();
        let mut values = IndexMap::new();
        let unknown: Vec<String> = given
            .keys()
            .filter(|k| {
                !all.iter()
                    .any(|o| o.name == *k || o.aliases.contains(&k.as_str()))
            })
            .cloned()
            .collect();
        if !unknown.is_empty() {
            return Err(ArgError::Unsupported(unknown));
        }
        for (key, value) in given {
            let Some(opt) = all
                .iter()
                .find(|o| o.name == key || o.aliases.contains(&key.as_str()))
            else {
                continue;
            };
            if opt.name == "free_form" {
                continue;
            }
            values.insert(opt.name.to_string(), convert(opt, value)?);
        }
        for opt in &all {
            if values.contains_key(opt.name) {
                continue;
            }
            if let Some(d) = opt.default {
                values.insert(
                    opt.name.to_string(),
                    convert(opt, &Value::String(d.into()))?,
                );
            } else if opt.required {
                return Err(ArgError::Missing(opt.name.to_string()));
            }
        }
        Ok(Self { values, free_form })
    }

    /// Arguments without validation (tests, internal calls).
    pub fn from_map(map: Map) -> Self {
        Self {
            values: map.into_iter().collect(),
            free_form: None,
        }
    }

    /// The raw value of an option.
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.values.get(name).filter(|v| !v.is_null())
    }
    /// A string option.
    pub fn str(&self, name: &str) -> Option<&str> {
        self.get(name).and_then(Value::as_str)
    }
    /// A bool option (absent = `default`).
    pub fn bool(&self, name: &str, default: bool) -> bool {
        self.get(name).and_then(Value::as_bool).unwrap_or(default)
    }
    /// An integer option.
    pub fn int(&self, name: &str) -> Option<i64> {
        self.get(name).and_then(Value::as_i64)
    }
    /// A list option as strings.
    pub fn list(&self, name: &str) -> Vec<String> {
        match self.get(name) {
            Some(Value::Array(a)) => a.iter().map(value_text).collect(),
            _ => Vec::new(),
        }
    }
    /// A mode option as permission bits.
    pub fn mode(&self, name: &str) -> Option<u32> {
        self.get(name).and_then(Value::as_u64).map(|m| m as u32)
    }
    /// All options (canonical name → value).
    pub fn iter(&self) -> impl Iterator<Item = (&String, &Value)> {
        self.values.iter()
    }
}

/// The text of a scalar as Ansible's modules see it (Python `str()` of YAML-typed values).
pub fn value_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Bool(true) => "True".into(),
        Value::Bool(false) => "False".into(),
        Value::Null => "None".into(),
        other => other.to_string(),
    }
}

/// Parses a boolean the way Ansible modules do.
pub fn parse_bool(v: &Value) -> Option<bool> {
    match v {
        Value::Bool(b) => Some(*b),
        Value::Number(n) => n.as_i64().map(|i| i != 0),
        Value::String(s) => match s.to_ascii_lowercase().as_str() {
            "yes" | "on" | "1" | "true" | "y" => Some(true),
            "no" | "off" | "0" | "false" | "n" | "" => Some(false),
            _ => None,
        },
        _ => None,
    }
}

fn convert(opt: &OptSpec, value: &Value) -> Result<Value, ArgError> {
    if !opt.choices.is_empty() {
        let text = value_text(value);
        let ok = opt.choices.contains(&text.as_str())
            || (opt.kind == ArgKind::Bool && parse_bool(value).is_some());
        if !ok {
            return Err(ArgError::Choice {
                name: opt.name.into(),
                choices: opt.choices.iter().map(|c| c.to_string()).collect(),
                got: text,
            });
        }
    }
    let type_err = |msg: &str| ArgError::Type {
        name: opt.name.into(),
        msg: msg.into(),
        want: opt.kind,
        given: value.clone(),
    };
    Ok(match opt.kind {
        ArgKind::Raw => value.clone(),
        ArgKind::Str | ArgKind::Path => match value {
            Value::Null => Value::Null,
            v => Value::String(value_text(v)),
        },
        ArgKind::Bool => {
            Value::Bool(parse_bool(value).ok_or_else(|| type_err("expected a boolean"))?)
        }
        ArgKind::Int => match value {
            Value::Number(n) if n.is_i64() => value.clone(),
            Value::String(s) => Value::from(
                s.trim()
                    .parse::<i64>()
                    .map_err(|_| type_err("expected an integer"))?,
            ),
            _ => return Err(type_err("expected an integer")),
        },
        ArgKind::List => match value {
            Value::Array(_) => value.clone(),
            Value::String(s) if s.is_empty() => Value::Array(vec![]),
            Value::String(s) => Value::Array(
                s.split(',')
                    .map(|p| Value::String(p.trim().to_string()))
                    .collect(),
            ),
            v => Value::Array(vec![Value::String(value_text(v))]),
        },
        ArgKind::Mode => match value {
            Value::Number(n) => Value::from(n.as_u64().ok_or_else(|| type_err("invalid mode"))?),
            Value::String(s) => Value::from(
                u32::from_str_radix(s.trim(), 8)
                    .map_err(|_| type_err(&format!("invalid mode {s:?}")))?,
            ),
            Value::Null => Value::Null,
            _ => return Err(type_err("invalid mode")),
        },
    })
}

/// What ansible-core prints in place of a secret option's value inside a longer text.
pub const MASK: &str = "********";

/// What ansible-core prints in place of a value that is exactly a secret option's value.
pub const MASKED_VALUE: &str = "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER";

/// Secrets shorter than this are masked only where a whole value equals them: `password=*`
/// (a locked account) must not turn every `*` of a result into the mask.
const MIN_MASKED_SUBSTRING: usize = 4;

/// The values given (under their names or aliases) for the options `spec` marks `no_log`:
/// ansible-core's `no_log_values`. Empty values are not secrets.
pub fn no_log_values(spec: &ArgSpec, given: &Map) -> Vec<String> {
    let mut values: Vec<String> = given
        .iter()
        .filter(|(key, _)| is_no_log_option(spec, key))
        .map(|(_, v)| value_text(v))
        .filter(|t| !t.is_empty())
        .collect();
    // Longest first, so a secret containing another is masked whole.
    values.sort_by_key(|v| std::cmp::Reverse(v.len()));
    values.dedup();
    values
}

/// Whether `key` names (or is an alias of) an option the spec marks `no_log`.
pub fn is_no_log_option(spec: &ArgSpec, key: &str) -> bool {
    spec.options
        .iter()
        .any(|o| o.no_log && (o.name == key || o.aliases.contains(&key)))
}

/// ansible-core's `remove_values`: a string (or key) that is a secret becomes [`MASKED_VALUE`],
/// every occurrence of a secret inside a longer one [`MASK`].
pub fn hide_values(v: &mut Value, secrets: &[String]) {
    if secrets.is_empty() {
        return;
    }
    match v {
        Value::String(s) => *s = hide_in_text(s, secrets),
        Value::Array(items) => items.iter_mut().for_each(|x| hide_values(x, secrets)),
        Value::Object(map) => {
            let taken = std::mem::take(map);
            for (k, mut x) in taken {
                hide_values(&mut x, secrets);
                map.insert(hide_in_text(&k, secrets), x);
            }
        }
        Value::Number(n) => {
            let text = n.to_string();
            if secrets.contains(&text) {
                *v = Value::String(MASKED_VALUE.into());
            }
        }
        Value::Bool(_) | Value::Null => {}
    }
}

/// `text` as [`MASKED_VALUE`] if it is a secret, else with every occurrence of a secret (of at
/// least [`MIN_MASKED_SUBSTRING`] characters) replaced by [`MASK`].
pub fn hide_in_text(text: &str, secrets: &[String]) -> String {
    if secrets.iter().any(|s| s == text) {
        return MASKED_VALUE.into();
    }
    secrets
        .iter()
        .filter(|s| s.chars().count() >= MIN_MASKED_SUBSTRING)
        .fold(text.to_string(), |t, secret| {
            t.replace(secret.as_str(), MASK)
        })
}

/// A `k=v` argument string with the values of the spec's `no_log` options replaced by [`MASK`]
/// (what a banner of a task without a name may show); quoted values too.
pub fn mask_kv_string(raw: &str, spec: &ArgSpec) -> String {
    let (given, _) = parse_kv(raw);
    let mut out = raw.to_string();
    for (key, value) in given.iter().filter(|(k, _)| is_no_log_option(spec, k)) {
        let value = value_text(value);
        for quote in ["\"", "'", ""] {
            out = out.replace(
                &format!("{key}={quote}{value}{quote}"),
                &format!("{key}={MASK}"),
            );
        }
    }
    out
}

/// Splits an Ansible 1.2 `k=v` argument string (POSIX shlex, split at the first `=`).
/// Tokens without `=` are returned as the free-form remainder (joined with spaces).
pub fn parse_kv(s: &str) -> (Map, Vec<String>) {
    let mut map = Map::new();
    let mut rest = Vec::new();
    let tokens =
        shlex::split(s).unwrap_or_else(|| s.split_whitespace().map(str::to_string).collect());
    for tok in tokens {
        match tok.split_once('=') {
            Some((k, v)) if !k.is_empty() => {
                map.insert(k.to_string(), Value::String(v.to_string()));
            }
            _ => rest.push(tok),
        }
    }
    (map, rest)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secret_spec() -> ArgSpec {
        ArgSpec {
            options: vec![
                OptSpec::new("name", ArgKind::Str),
                OptSpec::new("login_password", ArgKind::Str)
                    .aliases(&["pw"])
                    .no_log(),
                OptSpec::new("update_password", ArgKind::Str),
            ],
            free_form: false,
            file_common: false,
        }
    }

    #[test]
    fn no_log_option_values_are_masked_everywhere() {
        let (given, _) = parse_kv("name=bob pw=s3cret update_password=always");
        let secrets = no_log_values(&secret_spec(), &given);
        assert_eq!(secrets, vec!["s3cret".to_string()]);
        let mut v = serde_json::json!({"msg": "access denied for s3cret", "s3cret": ["xs3cretx"],
            "state": "always"});
        hide_values(&mut v, &secrets);
        assert_eq!(
            v,
            serde_json::json!({"msg": "access denied for ********", MASKED_VALUE: ["x********x"],
                "state": "always"})
        );
        let mut v = serde_json::json!({"a": "s3cret", "lock": "*", "priv": "db.*:ALL"});
        hide_values(&mut v, &["s3cret".into(), "*".into()]);
        assert_eq!(
            v,
            serde_json::json!({"a": MASKED_VALUE, "lock": MASKED_VALUE, "priv": "db.*:ALL"})
        );
    }

    #[test]
    fn banners_mask_secret_options_only() {
        assert_eq!(
            mask_kv_string(
                "name=bob login_password=s3cret update_password=always",
                &secret_spec()
            ),
            "name=bob login_password=******** update_password=always"
        );
        assert_eq!(
            mask_kv_string("name=* pw='a b' priv=db.*:ALL", &secret_spec()),
            "name=* pw=******** priv=db.*:ALL"
        );
    }

    fn spec() -> ArgSpec {
        ArgSpec {
            options: vec![
                OptSpec::new("dest", ArgKind::Path)
                    .required()
                    .aliases(&["path", "name"]),
                OptSpec::new("state", ArgKind::Str)
                    .choices(&["present", "absent"])
                    .default("present"),
                OptSpec::new("create", ArgKind::Bool),
            ],
            free_form: false,
            file_common: true,
        }
    }

    #[test]
    fn validates_aliases_defaults_and_modes() {
        let (given, rest) =
            parse_kv("path=/etc/x create=yes mode=0644 line=\"%wheel ALL=(ALL) NOPASSWD:ALL\"");
        assert!(rest.is_empty());
        let err = ModuleArgs::validate(&spec(), &given, None).unwrap_err();
        assert_eq!(err, ArgError::Unsupported(vec!["line".into()]));
        assert_eq!(err.to_string(), "unsupported parameter for module: line");
        assert_eq!(
            err.modern_message("lineinfile", &ArgSpec { file_common: false, ..spec() }),
            "Unsupported parameters for (lineinfile) module: line. Supported parameters include: create, dest, state (name, path)."
        );
        let (given, _) = parse_kv("path=/etc/x create=yes mode=0644");
        let args = ModuleArgs::validate(&spec(), &given, None).unwrap();
        assert_eq!(args.str("dest"), Some("/etc/x"));
        assert_eq!(args.str("state"), Some("present"));
        assert!(args.bool("create", false));
        assert_eq!(args.mode("mode"), Some(0o644));
    }

    #[test]
    fn rejects_bad_choice_and_missing() {
        let (given, _) = parse_kv("dest=/x state=Present");
        assert!(matches!(
            ModuleArgs::validate(&spec(), &given, None),
            Err(ArgError::Choice { .. })
        ));
        let (given, _) = parse_kv("state=present");
        assert_eq!(
            ModuleArgs::validate(&spec(), &given, None).unwrap_err(),
            ArgError::Missing("dest".into())
        );
    }
}
