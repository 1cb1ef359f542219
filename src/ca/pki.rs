//! The certificate-authority engine shared by the grid CA and the OpenVPN CA: keys, requests,
//! signing with OpenSSL-style `serial` / `index.txt` / `newcerts` bookkeeping, revocation, CRLs,
//! verification and PKCS#12.

use std::path::{Path, PathBuf};
use std::str::FromStr;

use rcgen::{
    BasicConstraints, CertificateParams, CertificateRevocationListParams,
    CertificateSigningRequestParams, CustomExtension, ExtendedKeyUsagePurpose, IsCa, Issuer,
    KeyIdMethod, KeyPair, KeyUsagePurpose, RevokedCertParams, SanType, SerialNumber,
    SignatureAlgorithm,
};
use time::{Duration, OffsetDateTime};
use x509_parser::prelude::{FromDer, ParsedExtension, X509Certificate};

use super::files::{self, PUBLIC, SECRET};
use super::name::Name;
use super::CaError;

/// Key algorithm and size of a new key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeySpec {
    /// RSA with the given modulus size in bits (2048, 3072 or 4096).
    Rsa(usize),
    /// ECDSA on NIST P-256 (signs with SHA-256).
    EcP256,
    /// ECDSA on NIST P-384 (signs with SHA-384).
    EcP384,
}

impl Default for KeySpec {
    fn default() -> Self {
        KeySpec::Rsa(3072)
    }
}

impl FromStr for KeySpec {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Ok(match s.to_ascii_lowercase().as_str() {
            "rsa" | "rsa3072" => KeySpec::Rsa(3072),
            "rsa2048" => KeySpec::Rsa(2048),
            "rsa4096" => KeySpec::Rsa(4096),
            "ec" | "ecdsa" | "p256" | "ec256" | "prime256v1" => KeySpec::EcP256,
            "p384" | "ec384" | "secp384r1" => KeySpec::EcP384,
            _ => {
                return Err(format!(
                    "unknown key type {s:?} (rsa2048, rsa3072, rsa4096, ec256, ec384)"
                ))
            }
        })
    }
}

/// Digest of RSA signatures (ECDSA keys use their curve's digest).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Digest {
    /// SHA-256.
    #[default]
    Sha256,
    /// SHA-384.
    Sha384,
    /// SHA-512.
    Sha512,
}

impl FromStr for Digest {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Ok(match s.to_ascii_lowercase().replace('-', "").as_str() {
            "sha256" => Digest::Sha256,
            "sha384" => Digest::Sha384,
            "sha512" => Digest::Sha512,
            _ => return Err(format!("unknown digest {s:?} (sha256, sha384, sha512)")),
        })
    }
}

/// Generates a new key pair. RSA keys come from the `rsa` crate (ring cannot generate them).
pub fn generate_key(spec: KeySpec, digest: Digest) -> Result<KeyPair, CaError> {
    match spec {
        KeySpec::EcP256 => Ok(KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256)?),
        KeySpec::EcP384 => Ok(KeyPair::generate_for(&rcgen::PKCS_ECDSA_P384_SHA384)?),
        KeySpec::Rsa(bits) => {
            use rsa::pkcs8::EncodePrivateKey;
            if !matches!(bits, 2048 | 3072 | 4096) {
                return Err(CaError::Input(format!("unsupported RSA size {bits}")));
            }
            let key = rsa::RsaPrivateKey::new(&mut rand::rngs::OsRng, bits)
                .map_err(|e| CaError::Crypto(format!("RSA key generation: {e}")))?;
            let der = key
                .to_pkcs8_der()
                .map_err(|e| CaError::Crypto(format!("RSA key encoding: {e}")))?;
            let pem = files::pem_encode("PRIVATE KEY", der.as_bytes());
            Ok(KeyPair::from_pkcs8_pem_and_sign_algo(
                &pem,
                rsa_alg(digest),
            )?)
        }
    }
}

fn rsa_alg(d: Digest) -> &'static SignatureAlgorithm {
    match d {
        Digest::Sha256 => &rcgen::PKCS_RSA_SHA256,
        Digest::Sha384 => &rcgen::PKCS_RSA_SHA384,
        Digest::Sha512 => &rcgen::PKCS_RSA_SHA512,
    }
}

/// Loads a PKCS#8 PEM private key; RSA keys sign with `digest`.
pub fn load_key(path: &Path, digest: Digest) -> Result<KeyPair, CaError> {
    let pem = files::read_string(path)?;
    let kp = KeyPair::from_pem(&pem).map_err(|e| CaError::Parse {
        path: path.to_path_buf(),
        line: 1,
        msg: format!("not a PKCS#8 private key: {e}"),
    })?;
    if kp.algorithm() == &rcgen::PKCS_RSA_SHA256 && digest != Digest::Sha256 {
        return Ok(KeyPair::from_pkcs8_pem_and_sign_algo(
            &pem,
            rsa_alg(digest),
        )?);
    }
    Ok(kp)
}

/// Reads the first certificate of a PEM file as DER.
pub fn read_cert_der(path: &Path) -> Result<Vec<u8>, CaError> {
    let text = files::read_string(path)?;
    let der = files::pem_decode(&text, Some("CERTIFICATE"), path)?;
    X509Certificate::from_der(&der).map_err(|e| CaError::Parse {
        path: path.to_path_buf(),
        line: 1,
        msg: format!("not an X.509 certificate: {e}"),
    })?;
    Ok(der)
}

/// Parses DER bytes known to be a certificate.
pub fn parse_cert<'a>(der: &'a [u8], path: &Path) -> Result<X509Certificate<'a>, CaError> {
    X509Certificate::from_der(der)
        .map(|(_, c)| c)
        .map_err(|e| CaError::Parse {
            path: path.to_path_buf(),
            line: 1,
            msg: format!("not an X.509 certificate: {e}"),
        })
}

/// Where an authority keeps its files (OpenSSL `ca` / easy-rsa conventions).
#[derive(Clone, Debug)]
pub struct Store {
    /// The CA certificate (PEM).
    pub cert: PathBuf,
    /// The CA private key (PKCS#8 PEM, mode 0600).
    pub key: PathBuf,
    /// Next serial number, hex.
    pub serial: PathBuf,
    /// OpenSSL `index.txt` database.
    pub index: PathBuf,
    /// Directory of issued certificates named `<SERIAL>.pem`.
    pub newcerts: PathBuf,
    /// Next CRL number, hex.
    pub crlnumber: PathBuf,
    /// The current CRL (PEM).
    pub crl: PathBuf,
}

/// One line of `index.txt`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IndexEntry {
    /// `V` (valid), `R` (revoked) or `E` (expired).
    pub status: char,
    /// Expiry, `YYMMDDHHMMSSZ`.
    pub expires: String,
    /// Revocation time, `YYMMDDHHMMSSZ`, empty unless revoked.
    pub revoked: String,
    /// Serial number in upper-case hex.
    pub serial: String,
    /// Subject in one-line form.
    pub subject: String,
}

impl IndexEntry {
    fn line(&self) -> String {
        format!(
            "{}\t{}\t{}\t{}\tunknown\t{}\n",
            self.status, self.expires, self.revoked, self.serial, self.subject
        )
    }
}

fn utc_short(t: OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    format!(
        "{:02}{:02}{:02}{:02}{:02}{:02}Z",
        t.year() % 100,
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

fn parse_utc_short(s: &str) -> Option<OffsetDateTime> {
    let d = |i: usize| s.get(i..i + 2)?.parse::<u8>().ok();
    let y = 2000 + d(0)? as i32;
    let date = time::Date::from_calendar_date(y, time::Month::try_from(d(2)?).ok()?, d(4)?).ok()?;
    let t = time::Time::from_hms(d(6)?, d(8)?, d(10)?).ok()?;
    Some(time::PrimitiveDateTime::new(date, t).assume_utc())
}

/// What to put into an issued certificate besides what the request asked for.
#[derive(Clone, Debug, Default)]
pub struct Profile {
    /// Validity in days.
    pub days: u32,
    /// Extended key usages added when the request has none.
    pub default_eku: Vec<ExtendedKeyUsagePurpose>,
    /// Key usages used when the request has none.
    pub default_ku: Vec<KeyUsagePurpose>,
    /// Netscape cert type bits (`0x80` client, `0x40` server), as easy-rsa sets them.
    pub ns_cert_type: Option<u8>,
}

/// An opened certificate authority.
pub struct Authority {
    /// Its files.
    pub store: Store,
    /// The CA certificate, DER.
    pub cert_der: Vec<u8>,
    /// The CA subject.
    pub name: Name,
    key: KeyPair,
    ski: Vec<u8>,
    key_usages: Vec<KeyUsagePurpose>,
}

/// A certificate just issued.
#[derive(Clone, Debug)]
pub struct Issued {
    /// Serial number in upper-case hex.
    pub serial: String,
    /// The certificate, PEM.
    pub pem: String,
    /// Its subject.
    pub subject: Name,
}

/// An exclusive `flock(2)` on a CA's lock file, held while its database changes (plays sign
/// for many hosts at once). Released when dropped.
struct DbLock {
    _file: std::fs::File,
}

impl DbLock {
    fn take(path: &Path) -> Result<DbLock, CaError> {
        use std::os::fd::AsRawFd;
        let f = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(path)
            .map_err(|e| CaError::io(path, e))?;
        loop {
            // SAFETY: flock on a descriptor we own; no memory is involved.
            let rc = unsafe { libc::flock(f.as_raw_fd(), libc::LOCK_EX) };
            if rc == 0 {
                return Ok(DbLock { _file: f });
            }
            let err = std::io::Error::last_os_error();
            if err.kind() != std::io::ErrorKind::Interrupted {
                return Err(CaError::io(path, err));
            }
        }
    }
}

fn now() -> OffsetDateTime {
    OffsetDateTime::now_utc()
        .replace_nanosecond(0)
        .unwrap_or_else(|_| OffsetDateTime::now_utc())
}

fn serial_bytes(n: u64) -> Vec<u8> {
    let b = n.to_be_bytes();
    let skip = b.iter().take_while(|&&x| x == 0).count().min(7);
    b[skip..].to_vec()
}

fn ca_key_usages() -> Vec<KeyUsagePurpose> {
    vec![
        KeyUsagePurpose::DigitalSignature,
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
    ]
}

impl Authority {
    /// Creates a new self-signed CA in `store` (fails if the certificate already exists).
    pub fn create(
        store: Store,
        name: &Name,
        days: u32,
        spec: KeySpec,
        digest: Digest,
    ) -> Result<Authority, CaError> {
        if store.cert.exists() {
            return Err(CaError::Exists(store.cert.clone()));
        }
        for p in [&store.cert, &store.index, &store.newcerts] {
            if let Some(d) = p.parent() {
                files::mkdir(d, false)?;
            }
        }
        if let Some(d) = store.key.parent() {
            let private = d.file_name().is_some_and(|n| n == "private");
            files::mkdir(d, private)?;
        }
        // Claim the key file (O_EXCL): of two concurrent creates exactly one goes on, so a key
        // and a certificate of different runs never mix. The real key is renamed over it.
        {
            use std::os::unix::fs::OpenOptionsExt;
            std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(SECRET)
                .open(&store.key)
                .map_err(|e| match e.kind() {
                    std::io::ErrorKind::AlreadyExists => CaError::Exists(store.key.clone()),
                    _ => CaError::io(&store.key, e),
                })?;
        }
        files::mkdir(&store.newcerts, false)?;
        let key = generate_key(spec, digest)?;
        let mut params = CertificateParams::default();
        params.distinguished_name = name.to_rcgen()?;
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages = ca_key_usages();
        let start = now();
        params.not_before = start - Duration::minutes(5);
        params.not_after = start + Duration::days(days as i64);
        let mut sn = [0u8; 16];
        rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut sn);
        sn[0] &= 0x7f;
        sn[0] |= 0x01;
        params.serial_number = Some(SerialNumber::from_slice(&sn));
        let cert = params.self_signed(&key)?;
        files::write_atomic(&store.key, key.serialize_pem().as_bytes(), SECRET)?;
        files::write_atomic(&store.cert, cert.pem().as_bytes(), PUBLIC)?;
        files::write_atomic(&store.serial, b"01\n", PUBLIC)?;
        files::write_atomic(&store.crlnumber, b"01\n", PUBLIC)?;
        files::write_atomic(&store.index, b"", PUBLIC)?;
        Authority::open(store)
    }

    /// Opens an existing CA; a missing or unreadable piece is one clear error.
    pub fn open(store: Store) -> Result<Authority, CaError> {
        if !store.cert.exists() {
            return Err(CaError::NoCa(store.cert.clone()));
        }
        let cert_der = read_cert_der(&store.cert)?;
        let cert = parse_cert(&cert_der, &store.cert)?;
        let name = Name::from_x509(cert.subject())?;
        let digest = match cert.signature_algorithm.algorithm.to_id_string().as_str() {
            "1.2.840.113549.1.1.12" => Digest::Sha384,
            "1.2.840.113549.1.1.13" => Digest::Sha512,
            _ => Digest::Sha256,
        };
        let key = load_key(&store.key, digest)?;
        if rcgen::PublicKeyData::subject_public_key_info(&key) != cert.public_key().raw {
            return Err(CaError::Input(format!(
                "{} does not belong to {}",
                store.key.display(),
                store.cert.display()
            )));
        }
        let mut ski = Vec::new();
        for ext in cert.extensions() {
            if let ParsedExtension::SubjectKeyIdentifier(k) = ext.parsed_extension() {
                ski = k.0.to_vec();
            }
        }
        if ski.is_empty() {
            use sha1::Digest as _;
            ski = sha1::Sha1::digest(cert.public_key().subject_public_key.data.as_ref()).to_vec();
        }
        let key_usages = ca_key_usages();
        drop(cert);
        Ok(Authority {
            store,
            cert_der,
            name,
            key,
            ski,
            key_usages,
        })
    }

    fn lock(&self) -> Result<DbLock, CaError> {
        let mut p = self.store.index.clone().into_os_string();
        p.push(".lock");
        DbLock::take(Path::new(&p))
    }

    /// Runs `f` holding the CA's database lock (for steps that must happen once even when many
    /// tasks run them at the same moment, such as writing `ta.key`).
    pub fn locked<T>(&self, f: impl FnOnce() -> Result<T, CaError>) -> Result<T, CaError> {
        let _lock = self.lock()?;
        f()
    }

    fn issuer(&self) -> Result<Issuer<'static, &KeyPair>, CaError> {
        let mut p = CertificateParams::default();
        p.distinguished_name = self.name.to_rcgen()?;
        p.key_identifier_method = KeyIdMethod::PreSpecified(self.ski.clone());
        p.key_usages = self.key_usages.clone();
        Ok(Issuer::new(p, &self.key))
    }

    /// The CA certificate, PEM.
    pub fn cert_pem(&self) -> String {
        files::pem_encode("CERTIFICATE", &self.cert_der)
    }

    /// The `index.txt` entries.
    pub fn index(&self) -> Result<Vec<IndexEntry>, CaError> {
        let text = match std::fs::read_to_string(&self.store.index) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
            Err(e) => return Err(CaError::io(&self.store.index, e)),
        };
        let mut out = Vec::new();
        for (no, line) in text.lines().enumerate() {
            if line.is_empty() {
                continue;
            }
            let f: Vec<&str> = line.splitn(6, '\t').collect();
            if f.len() != 6 || f[0].len() != 1 {
                return Err(CaError::Parse {
                    path: self.store.index.clone(),
                    line: no + 1,
                    msg: "expected 6 tab-separated fields".into(),
                });
            }
            out.push(IndexEntry {
                status: f[0].chars().next().unwrap_or('V'),
                expires: f[1].into(),
                revoked: f[2].into(),
                serial: f[3].into(),
                subject: f[5].into(),
            });
        }
        Ok(out)
    }

    fn write_index(&self, entries: &[IndexEntry]) -> Result<(), CaError> {
        let text: String = entries.iter().map(IndexEntry::line).collect();
        files::write_atomic(&self.store.index, text.as_bytes(), PUBLIC)
    }

    fn next_number(path: &Path) -> Result<u64, CaError> {
        let text = files::read_string(path)?;
        u64::from_str_radix(text.trim(), 16).map_err(|_| CaError::Parse {
            path: path.to_path_buf(),
            line: 1,
            msg: format!("not a hex number: {:?}", text.trim()),
        })
    }

    /// Signs a PEM certificate request read from `req_path`, copying its requested extensions
    /// (SANs, key usage, extended key usage; as OpenSSL's `copy_extensions = copy`).
    /// `namespace`, when given, is the subject prefix the request must be under.
    pub fn sign_request(
        &self,
        req_path: &Path,
        profile: &Profile,
        namespace: Option<&Name>,
    ) -> Result<Issued, CaError> {
        let text = files::read_string(req_path)?;
        let der = files::pem_decode(&text, Some("CERTIFICATE REQUEST"), req_path)
            .or_else(|_| files::pem_decode(&text, Some("NEW CERTIFICATE REQUEST"), req_path))?;
        let bad = |msg: String| CaError::Parse {
            path: req_path.to_path_buf(),
            line: 1,
            msg,
        };
        let (_, parsed) =
            x509_parser::certification_request::X509CertificationRequest::from_der(&der)
                .map_err(|e| bad(format!("not a certificate request: {e}")))?;
        let subject = Name::from_x509(&parsed.certification_request_info.subject)?;
        let mut csr = CertificateSigningRequestParams::from_der(&der.as_slice().into())
            .map_err(|e| bad(format!("unusable certificate request: {e}")))?;
        if let Some(ns) = namespace {
            if !subject.is_under(ns) {
                return Err(CaError::Policy(format!(
                    "request subject {subject} is not under the CA namespace {ns}/*"
                )));
            }
        }
        if matches!(csr.params.is_ca, IsCa::Ca(_)) {
            return Err(CaError::Policy(format!(
                "request {} asks for a CA certificate",
                req_path.display()
            )));
        }
        let _lock = self.lock()?;
        let mut index = self.index()?;
        let oneline = subject.oneline();
        if index
            .iter()
            .any(|e| e.status == 'V' && e.subject == oneline)
        {
            return Err(CaError::Policy(format!(
                "a valid certificate for {oneline} exists already (revoke it first)"
            )));
        }
        let serial = Self::next_number(&self.store.serial)?;
        let p = &mut csr.params;
        p.distinguished_name = subject.to_rcgen()?;
        p.is_ca = IsCa::ExplicitNoCa;
        p.use_authority_key_identifier_extension = true;
        p.key_identifier_method = KeyIdMethod::Sha256;
        if p.key_usages.is_empty() {
            p.key_usages = profile.default_ku.clone();
        }
        if p.extended_key_usages.is_empty() {
            p.extended_key_usages = profile.default_eku.clone();
        }
        if let Some(bits) = profile.ns_cert_type {
            // BIT STRING with the named bits; unused trailing bits counted as in DER.
            let unused = bits.trailing_zeros().min(7) as u8;
            let content = super::name::der_tlv(0x03, &[unused, bits]);
            p.custom_extensions.push(CustomExtension::from_oid_content(
                &[2, 16, 840, 1, 113730, 1, 1],
                content,
            ));
        }
        let start = now();
        p.not_before = start - Duration::minutes(5);
        p.not_after = start + Duration::days(profile.days as i64);
        p.serial_number = Some(SerialNumber::from_slice(&serial_bytes(serial)));
        let not_after = p.not_after;
        let cert = csr.signed_by(&self.issuer()?)?;
        let serial_hex = format!("{:02X}", serial);
        let pem = cert.pem();
        files::write_atomic(
            &self.store.newcerts.join(format!("{serial_hex}.pem")),
            pem.as_bytes(),
            PUBLIC,
        )?;
        index.push(IndexEntry {
            status: 'V',
            expires: utc_short(not_after),
            revoked: String::new(),
            serial: serial_hex.clone(),
            subject: oneline,
        });
        self.write_index(&index)?;
        files::write_atomic(
            &self.store.serial,
            format!("{:02X}\n", serial + 1).as_bytes(),
            PUBLIC,
        )?;
        Ok(Issued {
            serial: serial_hex,
            pem,
            subject,
        })
    }

    /// Marks the certificate in `cert_path` revoked in `index.txt` and writes a new CRL.
    pub fn revoke(&self, cert_path: &Path, crl_days: u32) -> Result<String, CaError> {
        let der = read_cert_der(cert_path)?;
        let cert = parse_cert(&der, cert_path)?;
        let serial = cert.raw_serial_as_string().replace(':', "").to_uppercase();
        let serial = serial.trim_start_matches('0').to_string();
        let _lock = self.lock()?;
        let mut index = self.index()?;
        let entry = index
            .iter_mut()
            .find(|e| e.serial.trim_start_matches('0') == serial)
            .ok_or_else(|| {
                CaError::Input(format!(
                    "{}: serial {serial} was not issued by this CA",
                    cert_path.display()
                ))
            })?;
        if entry.status == 'R' {
            return Err(CaError::Policy(format!(
                "serial {serial} is revoked already"
            )));
        }
        entry.status = 'R';
        entry.revoked = utc_short(now());
        let subject = entry.subject.clone();
        self.write_index(&index)?;
        self.crl_locked(crl_days)?;
        Ok(subject)
    }

    /// Writes the CRL of all revoked serials, valid for `days`, to `store.crl`; returns its PEM.
    pub fn write_crl(&self, days: u32) -> Result<String, CaError> {
        let _lock = self.lock()?;
        self.crl_locked(days)
    }

    fn crl_locked(&self, days: u32) -> Result<String, CaError> {
        let mut revoked = Vec::new();
        for e in self.index()?.iter().filter(|e| e.status == 'R') {
            let bytes = hex::decode(if e.serial.len() % 2 == 1 {
                format!("0{}", e.serial)
            } else {
                e.serial.clone()
            })
            .map_err(|_| CaError::Input(format!("bad serial {} in index", e.serial)))?;
            revoked.push(RevokedCertParams {
                serial_number: SerialNumber::from_slice(&bytes),
                revocation_time: parse_utc_short(&e.revoked).unwrap_or_else(now),
                reason_code: None,
                invalidity_date: None,
            });
        }
        let number = if self.store.crlnumber.exists() {
            Self::next_number(&self.store.crlnumber)?
        } else {
            1
        };
        let start = now();
        let params = CertificateRevocationListParams {
            this_update: start,
            next_update: start + Duration::days(days.max(1) as i64),
            crl_number: SerialNumber::from_slice(&serial_bytes(number)),
            issuing_distribution_point: None,
            revoked_certs: revoked,
            key_identifier_method: KeyIdMethod::PreSpecified(self.ski.clone()),
        };
        let crl = params.signed_by(&self.issuer()?)?;
        let pem = crl.pem()?;
        files::write_atomic(&self.store.crl, pem.as_bytes(), PUBLIC)?;
        files::write_atomic(
            &self.store.crlnumber,
            format!("{:02X}\n", number + 1).as_bytes(),
            PUBLIC,
        )?;
        Ok(pem)
    }

    /// Whether the certificate in `cert_path` is marked revoked in `index.txt`.
    pub fn is_revoked(&self, cert_path: &Path) -> Result<bool, CaError> {
        let der = read_cert_der(cert_path)?;
        let cert = parse_cert(&der, cert_path)?;
        let serial = cert.raw_serial_as_string().replace(':', "").to_uppercase();
        let serial = serial.trim_start_matches('0');
        Ok(self
            .index()?
            .iter()
            .any(|e| e.status == 'R' && e.serial.trim_start_matches('0') == serial))
    }

    /// Checks that the certificate in `cert_path` was signed by this CA, is within its validity
    /// period and is not revoked; returns its subject.
    pub fn verify(&self, cert_path: &Path) -> Result<Name, CaError> {
        let der = read_cert_der(cert_path)?;
        let cert = parse_cert(&der, cert_path)?;
        let ca = parse_cert(&self.cert_der, &self.store.cert)?;
        let subject = Name::from_x509(cert.subject())?;
        let fail = |why: String| CaError::Verify {
            path: cert_path.to_path_buf(),
            why,
        };
        if cert.issuer().as_raw() != ca.subject().as_raw() {
            return Err(fail(format!(
                "issued by {}, not by {}",
                Name::from_x509(cert.issuer())?,
                self.name
            )));
        }
        cert.verify_signature(Some(ca.public_key()))
            .map_err(|e| fail(format!("bad signature: {e}")))?;
        if !cert.validity().is_valid() {
            return Err(fail("outside its validity period".into()));
        }
        let serial = cert.raw_serial_as_string().replace(':', "").to_uppercase();
        let serial = serial.trim_start_matches('0');
        if self
            .index()?
            .iter()
            .any(|e| e.status == 'R' && e.serial.trim_start_matches('0') == serial)
        {
            return Err(fail(format!("serial {serial} is revoked")));
        }
        Ok(subject)
    }
}

/// What a certificate request asks for.
#[derive(Clone, Debug, Default)]
pub struct RequestSpec {
    /// The subject.
    pub subject: Name,
    /// Subject alternative names: DNS names or IP addresses.
    pub sans: Vec<String>,
    /// Key usages.
    pub ku: Vec<KeyUsagePurpose>,
    /// Extended key usages.
    pub eku: Vec<ExtendedKeyUsagePurpose>,
}

/// Writes a new key (0600) and a PEM request as `req` asks. Fails if either file exists.
pub fn make_request(
    key_path: &Path,
    req_path: &Path,
    req: &RequestSpec,
    spec: KeySpec,
    digest: Digest,
) -> Result<(), CaError> {
    for p in [key_path, req_path] {
        if p.exists() {
            return Err(CaError::Exists(p.to_path_buf()));
        }
    }
    let key = generate_key(spec, digest)?;
    let mut params = CertificateParams::default();
    params.distinguished_name = req.subject.to_rcgen()?;
    for s in &req.sans {
        params.subject_alt_names.push(match s.parse() {
            Ok(ip) => SanType::IpAddress(ip),
            Err(_) => SanType::DnsName(
                s.as_str()
                    .try_into()
                    .map_err(|_| CaError::Input(format!("bad DNS name {s:?}")))?,
            ),
        });
    }
    params.key_usages = req.ku.clone();
    params.extended_key_usages = req.eku.clone();
    let csr = params.serialize_request(&key)?;
    files::write_atomic(key_path, key.serialize_pem().as_bytes(), SECRET)?;
    files::write_atomic(req_path, csr.pem()?.as_bytes(), PUBLIC)?;
    Ok(())
}

/// Writes a PKCS#12 file (mode 0600) with the key, its certificate and the CA chain, encrypted
/// with `password`: PBES2/AES-256 and HMAC-SHA-256, or with `legacy` 3DES and HMAC-SHA-1 for
/// old browsers and key stores.
pub fn write_p12(
    out: &Path,
    key_path: &Path,
    cert_path: &Path,
    chain: &[Vec<u8>],
    alias: &str,
    password: &str,
    legacy: bool,
) -> Result<(), CaError> {
    use p12_keystore::{Certificate, KeyStore, KeyStoreEntry, PrivateKey, PrivateKeyChain};
    let key_pem = files::read_string(key_path)?;
    let key_der = files::pem_decode(&key_pem, Some("PRIVATE KEY"), key_path)?;
    let cert_der = read_cert_der(cert_path)?;
    let p12err = |e: p12_keystore::error::Error| CaError::Crypto(format!("PKCS#12: {e}"));
    let mut certs = vec![Certificate::from_der(&cert_der).map_err(p12err)?];
    for c in chain {
        certs.push(Certificate::from_der(c).map_err(p12err)?);
    }
    let key = PrivateKey::from_der(&key_der).map_err(p12err)?;
    use sha1::Digest as _;
    let local_id = sha1::Sha1::digest(&cert_der).to_vec();
    let chain = PrivateKeyChain::new(local_id, key, certs);
    let mut ks = KeyStore::new();
    ks.add_entry(alias, KeyStoreEntry::PrivateKeyChain(chain));
    let mut w = ks.writer(password);
    if legacy {
        w = w
            .encryption_algorithm(p12_keystore::EncryptionAlgorithm::PbeWithShaAnd3KeyTripleDesCbc)
            .mac_algorithm(p12_keystore::MacAlgorithm::HmacSha1);
    }
    let data = w.write().map_err(p12err)?;
    files::write_atomic(out, &data, SECRET)
}
