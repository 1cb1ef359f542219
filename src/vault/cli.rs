//! `flock vault` (and the `ansible-vault` options): encrypt, decrypt, view, create, edit, rekey
//! and encrypt_string, with `--vault-id label@source`, `--vault-password-file`,
//! `--ask-vault-pass` and `$ANSIBLE_VAULT_PASSWORD_FILE`.

use super::{decrypt, encrypt, is_encrypted, VaultError, VaultSecret, DEFAULT_LABEL};
use clap::{Args, Subcommand};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// `flock vault ACTION`.
#[derive(Args, Debug)]
pub struct VaultArgs {
    #[command(subcommand)]
    action: VaultAction,
}

/// Where vault passwords come from (the options ansible-vault and ansible-playbook share).
#[derive(Args, Debug, Clone, Default)]
pub struct SecretArgs {
    /// A vault identity, `[label@]source` (source: a password file, an executable script
    /// printing the password, or `prompt`).
    #[arg(long = "vault-id")]
    pub vault_id: Vec<String>,
    /// A file holding the vault password.
    #[arg(long = "vault-password-file", alias = "vault-pass-file")]
    pub password_file: Vec<PathBuf>,
    /// Ask for the vault password.
    #[arg(short = 'J', long = "ask-vault-pass", alias = "ask-vault-password")]
    pub ask: bool,
}

#[derive(Args, Debug)]
struct EncryptOpts {
    #[command(flatten)]
    secrets: SecretArgs,
    /// The vault id label to encrypt with (when several ids are given).
    #[arg(long = "encrypt-vault-id")]
    encrypt_vault_id: Option<String>,
}

#[derive(Subcommand, Debug)]
enum VaultAction {
    /// Encrypt files in place (stdin to stdout with `-` or no file).
    Encrypt {
        #[command(flatten)]
        opts: EncryptOpts,
        /// Write the result here instead (`-` for stdout).
        #[arg(long)]
        output: Option<PathBuf>,
        files: Vec<PathBuf>,
    },
    /// Decrypt files in place (stdin to stdout with `-` or no file).
    Decrypt {
        #[command(flatten)]
        secrets: SecretArgs,
        /// Write the result here instead (`-` for stdout).
        #[arg(long)]
        output: Option<PathBuf>,
        files: Vec<PathBuf>,
    },
    /// Print the decrypted contents.
    View {
        #[command(flatten)]
        secrets: SecretArgs,
        files: Vec<PathBuf>,
    },
    /// Create a new encrypted file with $EDITOR.
    Create {
        #[command(flatten)]
        opts: EncryptOpts,
        file: PathBuf,
    },
    /// Edit an encrypted file with $EDITOR.
    Edit {
        #[command(flatten)]
        opts: EncryptOpts,
        file: PathBuf,
    },
    /// Re-encrypt files with a new password.
    Rekey {
        #[command(flatten)]
        secrets: SecretArgs,
        /// The new vault password file.
        #[arg(long = "new-vault-password-file")]
        new_password_file: Option<PathBuf>,
        /// The new vault identity, `label@source`.
        #[arg(long = "new-vault-id")]
        new_vault_id: Option<String>,
        files: Vec<PathBuf>,
    },
    /// Encrypt a string for use as a `!vault` value in YAML.
    #[command(name = "encrypt_string", alias = "encrypt-string")]
    EncryptString {
        #[command(flatten)]
        opts: EncryptOpts,
        /// The variable name to put before the value.
        #[arg(short = 'n', long = "name")]
        name: Vec<String>,
        /// Ask for the string to encrypt.
        #[arg(short = 'p', long = "prompt")]
        prompt: bool,
        /// Name of the variable when reading from stdin.
        #[arg(long = "stdin-name")]
        stdin_name: Option<String>,
        strings: Vec<String>,
    },
}

/// What can go wrong in `flock vault`. Never carries a password or decrypted text.
#[derive(Debug, thiserror::Error)]
pub enum VaultCliError {
    /// Reading or writing a file failed.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The cause.
        source: std::io::Error,
    },
    /// Encryption or decryption failed for one input.
    #[error("{what}: {source}")]
    Vault {
        /// The file (or `stdin`).
        what: String,
        /// The cause.
        source: VaultError,
    },
    /// No password source was given, or the sources do not fit the action.
    #[error("{0}")]
    Usage(String),
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> VaultCliError + '_ {
    move |source| VaultCliError::Io {
        path: path.display().to_string(),
        source,
    }
}

/// Runs `flock vault ACTION`.
pub fn run(args: VaultArgs) -> ExitCode {
    match run_action(args.action) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("ERROR! {e}");
            ExitCode::FAILURE
        }
    }
}

fn run_action(action: VaultAction) -> Result<(), VaultCliError> {
    match action {
        VaultAction::Encrypt {
            opts,
            output,
            files,
        } => {
            let secret = encrypt_secret(&opts)?;
            for_each_input(&files, output.as_deref(), |what, data| {
                if is_encrypted(&data) {
                    return Err(VaultCliError::Usage(format!(
                        "{what}: input is already encrypted"
                    )));
                }
                Ok(encrypt(&data, &secret).into_bytes())
            })?;
            eprintln!("Encryption successful");
            Ok(())
        }
        VaultAction::Decrypt {
            secrets,
            output,
            files,
        } => {
            let secrets = load_secrets(&secrets)?;
            for_each_input(&files, output.as_deref(), |what, data| {
                decrypt_bytes(what, &data, &secrets)
            })?;
            eprintln!("Decryption successful");
            Ok(())
        }
        VaultAction::View { secrets, files } => {
            let secrets = load_secrets(&secrets)?;
            for_each_input(&files, Some(Path::new("-")), |what, data| {
                decrypt_bytes(what, &data, &secrets)
            })
        }
        VaultAction::Create { opts, file } => create(&opts, &file),
        VaultAction::Edit { opts, file } => edit(&opts, &file),
        VaultAction::Rekey {
            secrets,
            new_password_file,
            new_vault_id,
            files,
        } => rekey(&secrets, new_password_file, new_vault_id, &files),
        VaultAction::EncryptString {
            opts,
            name,
            prompt,
            stdin_name,
            strings,
        } => encrypt_string(&opts, &name, prompt, stdin_name, &strings),
    }
}

fn decrypt_bytes(
    what: &str,
    data: &[u8],
    secrets: &[VaultSecret],
) -> Result<Vec<u8>, VaultCliError> {
    let text = String::from_utf8_lossy(data);
    decrypt(&text, secrets).map_err(|source| VaultCliError::Vault {
        what: what.to_string(),
        source,
    })
}

/// Applies `f` to each file (in place, or into `output`), or to stdin when there is none.
fn for_each_input(
    files: &[PathBuf],
    output: Option<&Path>,
    mut f: impl FnMut(&str, Vec<u8>) -> Result<Vec<u8>, VaultCliError>,
) -> Result<(), VaultCliError> {
    let stdin = [PathBuf::from("-")];
    let files = if files.is_empty() { &stdin[..] } else { files };
    for file in files {
        let (what, data) = if file == Path::new("-") {
            let mut buf = Vec::new();
            std::io::stdin()
                .read_to_end(&mut buf)
                .map_err(io_err(Path::new("stdin")))?;
            ("stdin".to_string(), buf)
        } else {
            let data = std::fs::read(file).map_err(io_err(file))?;
            (file.display().to_string(), data)
        };
        let result = f(&what, data)?;
        let target = output.unwrap_or(file);
        if target == Path::new("-") {
            std::io::stdout()
                .write_all(&result)
                .map_err(io_err(Path::new("stdout")))?;
        } else {
            write_atomic(target, &result)?;
        }
    }
    Ok(())
}

/// Writes `data` next to `path` and renames it over, keeping the old file's mode (0600 for new).
fn write_atomic(path: &Path, data: &[u8]) -> Result<(), VaultCliError> {
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(path)
        .map(|m| m.permissions().mode())
        .unwrap_or(0o600);
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = path.with_file_name(format!(".{name}.flock-vault.{}", std::process::id()));
    let write = || -> std::io::Result<()> {
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode_0600()
            .open(&tmp)?;
        f.write_all(data)?;
        f.sync_all()?;
        std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(mode))?;
        std::fs::rename(&tmp, path)
    };
    write().map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        io_err(path)(e)
    })
}

trait Mode0600 {
    fn mode_0600(&mut self) -> &mut Self;
}

impl Mode0600 for std::fs::OpenOptions {
    fn mode_0600(&mut self) -> &mut Self {
        std::os::unix::fs::OpenOptionsExt::mode(self, 0o600)
    }
}

/// The secrets of every source given (see [`super::sources`]); at least one is needed here.
pub fn load_secrets(args: &SecretArgs) -> Result<Vec<VaultSecret>, VaultCliError> {
    let out = super::sources::collect(args)?;
    if out.is_empty() {
        return Err(VaultCliError::Usage(
            "A vault password or secret must be specified (--vault-id, --vault-password-file or --ask-vault-pass)"
                .into(),
        ));
    }
    Ok(out)
}

fn prompt_password(prompt: &str) -> Result<Vec<u8>, VaultCliError> {
    rpassword::prompt_password(prompt)
        .map(String::into_bytes)
        .map_err(io_err(Path::new("terminal")))
}

/// The one secret to encrypt with: the `--encrypt-vault-id` label, else the only (or first) one.
fn encrypt_secret(opts: &EncryptOpts) -> Result<VaultSecret, VaultCliError> {
    let secrets = load_secrets(&opts.secrets)?;
    match &opts.encrypt_vault_id {
        Some(label) => secrets
            .into_iter()
            .find(|s| &s.label == label)
            .ok_or_else(|| {
                VaultCliError::Usage(format!(
                    "Did not find a match for --encrypt-vault-id={label} in the known vault-ids"
                ))
            }),
        None => secrets
            .into_iter()
            .next()
            .ok_or_else(|| VaultCliError::Usage("no vault secret to encrypt with".into())),
    }
}

fn create(opts: &EncryptOpts, file: &Path) -> Result<(), VaultCliError> {
    if file.exists() {
        return Err(VaultCliError::Usage(format!(
            "{} exists, please use 'edit' instead",
            file.display()
        )));
    }
    let secret = encrypt_secret(opts)?;
    let plain = run_editor(file, b"")?;
    write_atomic(file, encrypt(&plain, &secret).as_bytes())
}

fn edit(opts: &EncryptOpts, file: &Path) -> Result<(), VaultCliError> {
    let secret = encrypt_secret(opts)?;
    let secrets = load_secrets(&opts.secrets)?;
    let data = std::fs::read(file).map_err(io_err(file))?;
    let plain = decrypt_bytes(&file.display().to_string(), &data, &secrets)?;
    let edited = run_editor(file, &plain)?;
    write_atomic(file, encrypt(&edited, &secret).as_bytes())
}

/// Runs `$EDITOR` (default `vi`) on a private temporary copy and returns what it holds after.
fn run_editor(file: &Path, initial: &[u8]) -> Result<Vec<u8>, VaultCliError> {
    let dir = std::env::temp_dir().join(format!("flock-vault-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(io_err(&dir))?;
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700))
            .map_err(io_err(&dir))?;
    }
    let name = file
        .file_name()
        .map(|n| n.to_os_string())
        .unwrap_or_else(|| "vault".into());
    let tmp = dir.join(name);
    let result = (|| {
        write_atomic(&tmp, initial)?;
        let editor = std::env::var("EDITOR").unwrap_or_else(|_| "vi".into());
        let status = std::process::Command::new("sh")
            .arg("-c")
            .arg(format!("{editor} \"$1\""))
            .arg("sh")
            .arg(&tmp)
            .status()
            .map_err(io_err(Path::new(&editor)))?;
        if !status.success() {
            return Err(VaultCliError::Usage(format!(
                "editor {editor} failed: {status}"
            )));
        }
        std::fs::read(&tmp).map_err(io_err(&tmp))
    })();
    let _ = std::fs::remove_dir_all(&dir);
    result
}

fn rekey(
    secrets: &SecretArgs,
    new_password_file: Option<PathBuf>,
    new_vault_id: Option<String>,
    files: &[PathBuf],
) -> Result<(), VaultCliError> {
    let old = load_secrets(secrets)?;
    let new = match (new_vault_id, new_password_file) {
        (Some(id), _) => super::sources::secret_from_id(&id)?,
        (None, Some(f)) => {
            super::sources::secret_from_id(&format!("{DEFAULT_LABEL}@{}", f.display()))?
        }
        (None, None) => VaultSecret::new(DEFAULT_LABEL, prompt_password("New Vault password: ")?),
    };
    if files.is_empty() {
        return Err(VaultCliError::Usage("rekey needs at least one file".into()));
    }
    for_each_input(files, None, |what, data| {
        let plain = decrypt_bytes(what, &data, &old)?;
        Ok(encrypt(&plain, &new).into_bytes())
    })?;
    eprintln!("Rekey successful");
    Ok(())
}

fn encrypt_string(
    opts: &EncryptOpts,
    names: &[String],
    prompt: bool,
    stdin_name: Option<String>,
    strings: &[String],
) -> Result<(), VaultCliError> {
    let secret = encrypt_secret(opts)?;
    let mut items: Vec<(Option<String>, Vec<u8>)> = Vec::new();
    if prompt {
        let value = prompt_password("String to encrypt: ")?;
        items.push((names.first().cloned(), value));
    } else if strings.is_empty() || strings.iter().any(|s| s == "-") {
        eprintln!("Reading plaintext input from stdin. (ctrl-d to end input, twice if your content does not already have a newline)");
        let mut buf = Vec::new();
        std::io::stdin()
            .read_to_end(&mut buf)
            .map_err(io_err(Path::new("stdin")))?;
        items.push((stdin_name.or_else(|| names.first().cloned()), buf));
    } else {
        for (i, s) in strings.iter().enumerate() {
            items.push((names.get(i).cloned(), s.clone().into_bytes()));
        }
    }
    let mut out = String::new();
    for (name, value) in items {
        out.push_str(&vault_yaml_value(
            name.as_deref(),
            &encrypt(&value, &secret),
        ));
    }
    print!("{out}");
    eprintln!("Encryption successful");
    Ok(())
}

/// The YAML ansible-vault prints for one encrypted string: `name: !vault |` and the envelope
/// indented ten spaces.
fn vault_yaml_value(name: Option<&str>, envelope: &str) -> String {
    let mut out = match name {
        Some(n) => format!("{n}: !vault |\n"),
        None => "!vault |\n".to_string(),
    };
    for line in envelope.lines() {
        out.push_str("          ");
        out.push_str(line);
        out.push('\n');
    }
    out
}
