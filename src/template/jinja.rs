//! Jinja2 through minijinja: environments configured like Ansible's (trim_blocks, Python 2
//! output forms, 1.2 or modern undefined handling), the lazy variable proxy (`_jinja2_vars`:
//! every variable templated when read), `hostvars`, and compiled-template caching by source.

use super::engine::Engine;
use super::filters;
use super::loopset::rewrite_loop_sets;
use super::py2dict::{hostvars_order, insert_order, update_order, yaml_templated_order};
use super::pyfmt::mj_str;
use super::{HostVarsLookup, TemplateError};
use crate::value::{Map, Value};
use minijinja::value::{Enumerator, Object, ObjectRepr, Value as MjValue};
use minijinja::{Environment, Error as MjError, ErrorKind, UndefinedBehavior};
use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

/// Which environment a render uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Mode {
    /// 1.2 strings: StrictUndefined.
    Strict12,
    /// 1.2 template files: default (lenient) Undefined.
    Lenient12,
    /// Modern Ansible: strict, no 2.7 loop rewrite, insertion-ordered dicts.
    Modern,
}

/// The result of one Jinja2 render.
pub(crate) enum JinjaOutcome {
    Rendered(String),
    Undefined(MjError),
    Syntax(MjError),
    Failed(MjError),
}

/// Map iteration order of values handed to Jinja2.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum MapOrder {
    /// Python 2 order of a YAML dict after `template()` rebuilt it.
    Templated12,
    /// Python 2 order of a dict that was not rebuilt (hostvars contents).
    Raw12,
    /// Insertion order (modern Python).
    Insertion,
}

/// The three environments (compiled templates are cached inside each, keyed by source).
pub(crate) struct Jinja {
    strict12: Environment<'static>,
    lenient12: Environment<'static>,
    modern: Environment<'static>,
}

impl Jinja {
    pub fn new() -> Self {
        Self {
            strict12: make_env(Mode::Strict12),
            lenient12: make_env(Mode::Lenient12),
            modern: make_env(Mode::Modern),
        }
    }

    fn env(&self, mode: Mode) -> &Environment<'static> {
        match mode {
            Mode::Strict12 => &self.strict12,
            Mode::Lenient12 => &self.lenient12,
            Mode::Modern => &self.modern,
        }
    }

    /// Render `src` with the variables of `eng` (compiled templates are cached by source, up
    /// to [`UNCACHED_SOURCE`] bytes).
    pub fn render(
        &self,
        eng: &Engine<'_>,
        src: &str,
        mode: Mode,
        depth: usize,
    ) -> Result<JinjaOutcome, TemplateError> {
        let env = self.env(mode);
        // Large sources (big template files) are compiled for this call only: the cache would
        // keep the source twice (as its name and its text) with its compiled form for the
        // whole run.
        let prepared;
        let compiled = if src.len() > UNCACHED_SOURCE {
            prepared = prepare_source(src, mode != Mode::Modern);
            env.template_from_str(&prepared)
        } else {
            env.get_template(src)
        };
        let tmpl = match compiled {
            Ok(t) => t,
            Err(e) if e.kind() == ErrorKind::SyntaxError => return Ok(JinjaOutcome::Syntax(e)),
            Err(e) => return Ok(JinjaOutcome::Failed(e)),
        };
        let scope = Scope::new(eng, depth, mode);
        let guard = ScopeGuard::push(scope.clone());
        let result = tmpl.render(MjValue::from_dyn_object(scope.clone()));
        drop(guard);
        if let Some(err) = scope.take_error() {
            return Err(err);
        }
        Ok(match result {
            Ok(s) => JinjaOutcome::Rendered(s),
            Err(e) if e.kind() == ErrorKind::UndefinedError => JinjaOutcome::Undefined(e),
            Err(e) if e.kind() == ErrorKind::SyntaxError => JinjaOutcome::Syntax(e),
            Err(e) => JinjaOutcome::Failed(e),
        })
    }

    /// Evaluate one expression (modern dialect) and return its value.
    pub fn eval_expr(
        &self,
        eng: &Engine<'_>,
        expr: &str,
        depth: usize,
    ) -> Result<Value, TemplateError> {
        let (v, _) = self.eval_expr_mj(eng, expr, depth, Mode::Modern)?;
        Ok(mj_to_value(&v))
    }

    /// Evaluate `expr` with `mode`'s environment; returns the value and whether it is truthy.
    pub fn eval_expr_mj(
        &self,
        eng: &Engine<'_>,
        expr: &str,
        depth: usize,
        mode: Mode,
    ) -> Result<(MjValue, bool), TemplateError> {
        let src = format!("{{{{ __flock_capture(({expr})) }}}}");
        let env = self.env(mode);
        let fail = |e: MjError| TemplateError::Jinja {
            source_name: super::engine::abbreviate(expr),
            line: 1,
            msg: error_text(&e),
        };
        let tmpl = env.get_template(&src).map_err(fail)?;
        let scope = Scope::new(eng, depth, mode);
        let guard = ScopeGuard::push(scope.clone());
        let result = tmpl.render(MjValue::from_dyn_object(scope.clone()));
        drop(guard);
        if let Some(err) = scope.take_error() {
            return Err(err);
        }
        result.map_err(fail)?;
        let v = scope.captured.lock().map(|mut c| c.take()).ok().flatten();
        let v = v.unwrap_or_default();
        if mode == Mode::Modern && v.is_undefined() {
            let bare = expr.trim();
            let named = !bare.is_empty()
                && bare
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.');
            return Err(TemplateError::Jinja {
                source_name: super::engine::abbreviate(expr),
                line: 1,
                msg: if named {
                    format!("undefined value: `{bare}` is undefined")
                } else {
                    "undefined value".into()
                },
            });
        }
        let truthy = v.is_true();
        Ok((v, truthy))
    }
}

/// A human-readable minijinja error (kind and detail, without the engine's source dump).
pub(crate) fn error_text(e: &MjError) -> String {
    match e.detail() {
        Some(d) => format!("{}: {d}", e.kind()),
        None => e.kind().to_string(),
    }
}

fn make_env(mode: Mode) -> Environment<'static> {
    let mut env = Environment::new();
    let syntax = minijinja::syntax::SyntaxConfig::builder()
        .trim_blocks(true)
        .lstrip_blocks(false)
        .keep_trailing_newline(false)
        .build()
        .unwrap_or_default();
    env.set_syntax(syntax);
    env.set_undefined_behavior(match mode {
        Mode::Lenient12 => UndefinedBehavior::Lenient,
        _ => UndefinedBehavior::Strict,
    });
    env.set_auto_reload(false);
    env.set_recursion_limit(500);
    let rewrite = mode != Mode::Modern;
    env.set_loader(move |src: &str| Ok(Some(prepare_source(src, rewrite).into_owned())));
    let strict = mode != Mode::Lenient12;
    env.set_formatter(move |out, _state, value| {
        if value.is_undefined() {
            if strict {
                return Err(MjError::from(ErrorKind::UndefinedError));
            }
            return Ok(());
        }
        out.write_str(&mj_str(value))
            .map_err(|e| MjError::new(ErrorKind::WriteFailure, "write failed").with_source(e))
    });
    env.set_unknown_method_callback(filters::unknown_method);
    filters::register(&mut env, mode == Mode::Modern);
    env.add_function("lookup", lookup_fn);
    env.add_function("query", query_fn);
    env.add_function("q", query_fn);
    env.add_function("__flock_capture", capture_fn);
    env.add_function(crate::vault::UNDECRYPTABLE_FN, undecryptable_fn);
    env
}

// ---------------------------------------------------------------------------------------------
// The variable proxy

/// The root context of one render: reads variables lazily through the engine.
pub(crate) struct Scope {
    /// The engine of the call that created this render; only dereferenced while `alive`.
    engine: *const Engine<'static>,
    alive: AtomicBool,
    depth: usize,
    mode: Mode,
    cache: Mutex<HashMap<String, MjValue>>,
    error: Mutex<Option<TemplateError>>,
    captured: Mutex<Option<MjValue>>,
    hostvars: Mutex<Option<MjValue>>,
}

// SAFETY: `engine` points at an `Engine` that outlives every use: it is only dereferenced while
// `alive` is true, and `ScopeGuard` (dropped before the engine's render call returns) clears
// `alive`. Renders are synchronous on the creating thread.
unsafe impl Send for Scope {}
unsafe impl Sync for Scope {}

impl std::fmt::Debug for Scope {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("<vars>")
    }
}

impl Scope {
    fn new(eng: &Engine<'_>, depth: usize, mode: Mode) -> Arc<Self> {
        let ptr = std::ptr::from_ref(eng).cast::<Engine<'static>>();
        Arc::new(Self {
            engine: ptr,
            alive: AtomicBool::new(true),
            depth,
            mode,
            cache: Mutex::new(HashMap::new()),
            error: Mutex::new(None),
            captured: Mutex::new(None),
            hostvars: Mutex::new(None),
        })
    }

    /// Run `f` with the engine if the render is still in progress.
    pub(crate) fn with_engine<R>(&self, f: impl FnOnce(&Engine<'_>) -> R) -> Option<R> {
        if !self.alive.load(Ordering::Acquire) {
            return None;
        }
        // SAFETY: see the `Send`/`Sync` impls: alive means the engine is still borrowed by
        // the render call on this thread.
        Some(f(unsafe { &*self.engine }))
    }

    fn take_error(&self) -> Option<TemplateError> {
        self.error.lock().ok().and_then(|mut e| e.take())
    }

    pub(crate) fn set_error(&self, err: TemplateError) {
        if let Ok(mut e) = self.error.lock() {
            if e.is_none() {
                *e = Some(err);
            }
        }
    }

    fn order(&self) -> MapOrder {
        if self.mode == Mode::Modern {
            MapOrder::Insertion
        } else {
            MapOrder::Templated12
        }
    }

    fn hostvars_value(&self, lookup: Arc<dyn HostVarsLookup>) -> MjValue {
        if let Ok(mut hv) = self.hostvars.lock() {
            if let Some(v) = hv.as_ref() {
                return v.clone();
            }
            let legacy = self.mode != Mode::Modern;
            let v = MjValue::from_object(HostVarsObj {
                lookup,
                legacy,
                cache: Mutex::new(HashMap::new()),
            });
            *hv = Some(v.clone());
            return v;
        }
        MjValue::UNDEFINED
    }

    fn resolve(&self, name: &str) -> Option<MjValue> {
        if let Ok(cache) = self.cache.lock() {
            if let Some(v) = cache.get(name) {
                return Some(v.clone());
            }
        }
        let order = self.order();
        let value = self.with_engine(|eng| -> Option<MjValue> {
            if let Some(v) = eng.extra.and_then(|e| e.get(name)) {
                return Some(value_to_mj(v.clone(), order));
            }
            let raw = eng.ctx.vars.get(name);
            if name == "hostvars" {
                if let Some(hv) = eng.ctx.hostvars.clone() {
                    return Some(self.hostvars_value(hv));
                }
                return raw.map(|v| value_to_mj(v.clone(), MapOrder::Raw12));
            }
            let Some(raw) = raw else {
                if self.mode == Mode::Lenient12
                    && !NOT_VARIABLES.contains(&name)
                    && !name.starts_with("__fl")
                {
                    eng.misses.borrow_mut().push(name.to_string());
                }
                return None;
            };
            match eng.template(raw, self.depth + 1, true) {
                Ok(v) => Some(value_to_mj(v, order)),
                Err(e) => {
                    self.set_error(e);
                    None
                }
            }
        })??;
        if let Ok(mut cache) = self.cache.lock() {
            cache.insert(name.to_string(), value.clone());
        }
        Some(value)
    }
}

impl Object for Scope {
    fn repr(self: &Arc<Self>) -> ObjectRepr {
        ObjectRepr::Map
    }

    fn get_value(self: &Arc<Self>, key: &MjValue) -> Option<MjValue> {
        self.resolve(key.as_str()?)
    }

    fn enumerate(self: &Arc<Self>) -> Enumerator {
        let keys = self
            .with_engine(|eng| {
                eng.ctx
                    .vars
                    .keys()
                    .map(|k| MjValue::from(k.as_str()))
                    .collect::<Vec<_>>()
            })
            .unwrap_or_default();
        Enumerator::Values(keys)
    }
}

/// Global functions minijinja finds after the variables (not undefined variables).
const NOT_VARIABLES: &[&str] = &[
    "lookup",
    "query",
    "q",
    "range",
    "dict",
    "namespace",
    "lipsum",
    "cycler",
    "joiner",
    "debug",
    "__flock_capture",
    crate::vault::UNDECRYPTABLE_FN,
];

thread_local! {
    static SCOPES: RefCell<Vec<Arc<Scope>>> = const { RefCell::new(Vec::new()) };
}

/// Makes a scope the current one for functions (`lookup`) and ends its life on drop.
struct ScopeGuard(Arc<Scope>);

impl ScopeGuard {
    fn push(scope: Arc<Scope>) -> Self {
        SCOPES.with(|s| s.borrow_mut().push(scope.clone()));
        Self(scope)
    }
}

impl Drop for ScopeGuard {
    fn drop(&mut self) {
        self.0.alive.store(false, Ordering::Release);
        SCOPES.with(|s| {
            s.borrow_mut().pop();
        });
    }
}

/// The innermost render's scope.
pub(crate) fn current_scope() -> Option<Arc<Scope>> {
    SCOPES.with(|s| s.borrow().last().cloned())
}

// ---------------------------------------------------------------------------------------------
// Values

/// `hostvars`: other hosts' variables, read lazily, returned as they are (not templated).
#[derive(Debug)]
struct HostVarsObj {
    lookup: Arc<dyn HostVarsLookup>,
    legacy: bool,
    cache: Mutex<HashMap<String, MjValue>>,
}

impl std::fmt::Debug for dyn HostVarsLookup {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("<hostvars>")
    }
}

impl HostVarsObj {
    /// A host's converted value: from the snapshot's cache, shared by every host of the task,
    /// or (for lookups without one) from this render's.
    fn cached(&self, host: &str) -> Option<MjValue> {
        match self.lookup.template_cache() {
            Some(shared) => shared.get(host),
            None => self.cache.lock().ok()?.get(host).cloned(),
        }
    }

    fn remember(&self, host: &str, value: &MjValue) {
        match self.lookup.template_cache() {
            Some(shared) => shared.put(host, value),
            None => {
                if let Ok(mut cache) = self.cache.lock() {
                    cache.insert(host.to_string(), value.clone());
                }
            }
        }
    }
}

impl Object for HostVarsObj {
    fn repr(self: &Arc<Self>) -> ObjectRepr {
        ObjectRepr::Map
    }

    fn get_value(self: &Arc<Self>, key: &MjValue) -> Option<MjValue> {
        let host = key.as_str()?;
        if let Some(v) = self.cached(host) {
            return Some(v);
        }
        let order = if self.legacy {
            MapOrder::Raw12
        } else {
            MapOrder::Insertion
        };
        let v = value_to_mj(self.lookup.get(host)?, order);
        self.remember(host, &v);
        Some(v)
    }

    fn enumerate(self: &Arc<Self>) -> Enumerator {
        let hosts = self.lookup.hosts();
        let ordered: Vec<MjValue> = if self.legacy {
            let refs: Vec<&str> = hosts.iter().map(String::as_str).collect();
            hostvars_order(&refs)
                .into_iter()
                .map(MjValue::from)
                .collect()
        } else {
            hosts.into_iter().map(MjValue::from).collect()
        };
        Enumerator::Values(ordered)
    }
}

/// A dict handed to Jinja2 lazily, iterating in Python 2 (or insertion) order.
#[derive(Debug)]
struct LazyMap {
    map: Map,
    order: MapOrder,
}

impl LazyMap {
    fn keys_in_order(&self) -> Vec<&str> {
        let keys: Vec<&str> = self.map.keys().map(String::as_str).collect();
        match self.order {
            MapOrder::Insertion => keys,
            MapOrder::Templated12 => yaml_templated_order(&keys),
            MapOrder::Raw12 => update_order(&insert_order(&keys)),
        }
    }
}

impl Object for LazyMap {
    fn repr(self: &Arc<Self>) -> ObjectRepr {
        ObjectRepr::Map
    }

    fn get_value(self: &Arc<Self>, key: &MjValue) -> Option<MjValue> {
        let v = match key.as_str() {
            Some(k) => self.map.get(k)?,
            None => self.map.get(&key.to_string())?,
        };
        Some(value_to_mj(v.clone(), self.order))
    }

    fn enumerate(self: &Arc<Self>) -> Enumerator {
        Enumerator::Values(
            self.keys_in_order()
                .into_iter()
                .map(MjValue::from)
                .collect(),
        )
    }

    fn enumerator_len(self: &Arc<Self>) -> Option<usize> {
        Some(self.map.len())
    }
}

/// A variable value as minijinja sees it (dicts lazily, in `order`).
pub(crate) fn value_to_mj(v: Value, order: MapOrder) -> MjValue {
    match v {
        Value::Null => MjValue::from(()),
        Value::Bool(b) => MjValue::from(b),
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                MjValue::from(i)
            } else if let Some(u) = n.as_u64() {
                MjValue::from(u)
            } else {
                MjValue::from(n.as_f64().unwrap_or(0.0))
            }
        }
        Value::String(s) => MjValue::from(s),
        Value::Array(items) => MjValue::from(
            items
                .into_iter()
                .map(|i| value_to_mj(i, order))
                .collect::<Vec<_>>(),
        ),
        Value::Object(map) => MjValue::from_object(LazyMap { map, order }),
    }
}

/// A minijinja value back as a variable value (maps in their iteration order).
pub(crate) fn mj_to_value(v: &MjValue) -> Value {
    use minijinja::value::ValueKind;
    match v.kind() {
        ValueKind::Undefined | ValueKind::None => Value::Null,
        ValueKind::Bool => Value::Bool(v.is_true()),
        ValueKind::Number => {
            if let Some(i) = v.as_i64() {
                Value::from(i)
            } else if let Ok(f) = f64::try_from(v.clone()) {
                serde_json::Number::from_f64(f)
                    .map(Value::Number)
                    .unwrap_or(Value::Null)
            } else {
                Value::Null
            }
        }
        ValueKind::String => Value::String(v.as_str().unwrap_or_default().to_string()),
        ValueKind::Bytes => {
            Value::String(String::from_utf8_lossy(v.as_bytes().unwrap_or_default()).into_owned())
        }
        ValueKind::Seq | ValueKind::Iterable => Value::Array(
            v.try_iter()
                .map(|it| it.map(|i| mj_to_value(&i)).collect())
                .unwrap_or_default(),
        ),
        ValueKind::Map => {
            let mut m = Map::new();
            if let Ok(iter) = v.try_iter() {
                for k in iter {
                    let val = v.get_item(&k).unwrap_or_default();
                    let key = match k.as_str() {
                        Some(s) => s.to_string(),
                        None => mj_str(&k),
                    };
                    m.insert(key, mj_to_value(&val));
                }
            }
            Value::Object(m)
        }
        _ => Value::String(v.to_string()),
    }
}

// ---------------------------------------------------------------------------------------------
// Functions

fn capture_fn(v: MjValue) -> Result<MjValue, MjError> {
    if let Some(scope) = current_scope() {
        if let Ok(mut c) = scope.captured.lock() {
            *c = Some(v);
        }
    }
    Ok(MjValue::from(""))
}

/// A `!vault` value no secret decrypts fails where it is used, as in ansible-core (see
/// [`crate::vault::undecryptable_marker`]).
fn undecryptable_fn(origin: String, reason: String) -> Result<MjValue, MjError> {
    Err(MjError::new(
        ErrorKind::InvalidOperation,
        crate::vault::undecryptable_message(&origin, &reason),
    ))
}

fn run_lookup_from_jinja(args: &[MjValue]) -> Result<Vec<Value>, MjError> {
    let Some((name, rest)) = args.split_first() else {
        return Err(MjError::new(
            ErrorKind::MissingArgument,
            "lookup() needs a plugin name",
        ));
    };
    let name = name.as_str().unwrap_or_default().to_lowercase();
    let terms: Vec<Value> = rest
        .iter()
        .filter(|a| !a.is_kwargs())
        .map(mj_to_value)
        .collect();
    let terms = if terms.len() == 1 {
        terms.into_iter().next().unwrap_or(Value::Null)
    } else {
        Value::Array(terms)
    };
    let scope = current_scope()
        .ok_or_else(|| MjError::new(ErrorKind::InvalidOperation, "lookup() outside a render"))?;
    let result = scope
        .with_engine(|eng| eng.run_lookup(&name, &terms))
        .ok_or_else(|| MjError::new(ErrorKind::InvalidOperation, "lookup() after the render"))?;
    match result {
        Ok(Some(items)) => Ok(items),
        Ok(None) => Err(MjError::new(
            ErrorKind::InvalidOperation,
            format!("lookup plugin ({name}) not found"),
        )),
        Err(e) => {
            let msg = e.to_string();
            scope.set_error(e);
            Err(MjError::new(ErrorKind::InvalidOperation, msg))
        }
    }
}

fn lookup_fn(args: minijinja::value::Rest<MjValue>) -> Result<MjValue, MjError> {
    let items = run_lookup_from_jinja(&args)?;
    let joined = items
        .iter()
        .map(super::pyfmt::python_str)
        .collect::<Vec<_>>()
        .join(",");
    Ok(MjValue::from(joined))
}

fn query_fn(args: minijinja::value::Rest<MjValue>) -> Result<MjValue, MjError> {
    let items = run_lookup_from_jinja(&args)?;
    Ok(value_to_mj(Value::Array(items), MapOrder::Insertion))
}

/// Sources longer than this are compiled per call instead of cached.
pub(crate) const UNCACHED_SOURCE: usize = 256 * 1024;

/// What the loader hands to Jinja: `\r\n` / `\r` turned into `\n` as Jinja2's lexer does
/// (newline_sequence), and for 1.2 the loop-`set` rewrite.
fn prepare_source(src: &str, rewrite: bool) -> std::borrow::Cow<'_, str> {
    let src: std::borrow::Cow<'_, str> = if src.contains('\r') {
        std::borrow::Cow::Owned(src.replace("\r\n", "\n").replace('\r', "\n"))
    } else {
        std::borrow::Cow::Borrowed(src)
    };
    if !rewrite {
        return src;
    }
    match rewrite_loop_sets(&src) {
        std::borrow::Cow::Borrowed(_) => src,
        std::borrow::Cow::Owned(o) => std::borrow::Cow::Owned(o),
    }
}
