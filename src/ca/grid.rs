//! The grid CA (what `flock-ca` did with Globus' simple CA), in the original layout:
//!
//! ```text
//! ca/<CN>/cacert.pem  private/cakey.pem (0600)  serial  index.txt  newcerts/  crl.pem
//! ca/<CN>/grid-security/<ID>_key.pem (0600)  <ID>_req.pem  <ID>_cert.pem
//! ca/<HASH> -> <CN>
//! ca/grid-security/<HASH>.0  <HASH>.signing_policy  <HASH>.r0  globus-*-ssl.conf.<HASH>
//! ca/globus_simple_ca_<HASH>.tar.gz   (what roles/globus/ca.yml unpacks)
//! keys/<ID>_cert.pem  <ID>_key.pem  <ID>.p12
//! ```

use std::path::{Path, PathBuf};

use rcgen::{ExtendedKeyUsagePurpose as Eku, KeyUsagePurpose as Ku};

use super::files::{self, PUBLIC, SECRET};
use super::name::{subject_hash, subject_hash_old, Name};
use super::pki::{self, Authority, Digest, Issued, KeySpec, Profile, Store};
use super::CaError;

/// The grid CAs under one `ca/` directory, with user keys in `keys/`.
#[derive(Clone, Debug)]
pub struct Grid {
    /// The `ca/` directory.
    pub ca_dir: PathBuf,
    /// The `keys/` directory.
    pub keys_dir: PathBuf,
    /// Algorithm of new keys.
    pub spec: KeySpec,
    /// Digest of RSA signatures.
    pub digest: Digest,
}

/// Validity of issued certificates (days), as Globus' simple CA default.
pub const CERT_DAYS: u32 = 365;

fn check_id(what: &str, id: &str) -> Result<(), CaError> {
    if id.is_empty()
        || id.starts_with('.')
        || id.contains('/')
        || id.chars().any(|c| c.is_control() || c.is_whitespace())
    {
        return Err(CaError::Input(format!("bad {what} {id:?}")));
    }
    Ok(())
}

fn hex8(h: u32) -> String {
    format!("{h:08x}")
}

impl Grid {
    /// Grid CAs in `ca_dir` with user keys in `keys_dir`; RSA 3072 / SHA-256 keys.
    pub fn new(ca_dir: impl Into<PathBuf>, keys_dir: impl Into<PathBuf>) -> Grid {
        Grid {
            ca_dir: ca_dir.into(),
            keys_dir: keys_dir.into(),
            spec: KeySpec::default(),
            digest: Digest::default(),
        }
    }

    fn dir(&self, cn: &str) -> PathBuf {
        self.ca_dir.join(cn)
    }

    fn store(&self, cn: &str) -> Store {
        let d = self.dir(cn);
        Store {
            cert: d.join("cacert.pem"),
            key: d.join("private/cakey.pem"),
            serial: d.join("serial"),
            index: d.join("index.txt"),
            newcerts: d.join("newcerts"),
            crlnumber: d.join("crlnumber"),
            crl: d.join("crl.pem"),
        }
    }

    /// The subject of CA `cn`: `cn=CN,ou=CN-cahost,ou=Core,o=Grid`.
    pub fn ca_name(cn: &str) -> Result<Name, CaError> {
        Name::from_ldap(&format!("cn={cn},ou={cn}-cahost,ou=Core,o=Grid"))
    }

    /// Opens CA `cn` (also accepts its hash link).
    pub fn open(&self, cn: &str) -> Result<Authority, CaError> {
        check_id("CA name", cn)?;
        let store = self.store(cn);
        if !store.cert.exists() {
            return Err(CaError::Input(format!(
                "unknown CA {cn:?}: no {}",
                store.cert.display()
            )));
        }
        Authority::open(store)
    }

    /// `create CN [days] [email]`: the CA key and self-signed certificate, installed into
    /// `ca/grid-security` with its hash links. Returns the subject hash.
    pub fn create(&self, cn: &str, days: u32, email: Option<&str>) -> Result<String, CaError> {
        check_id("CA name", cn)?;
        let dir = self.dir(cn);
        if dir.exists() {
            return Err(CaError::Exists(dir));
        }
        let name = Self::ca_name(cn)?;
        let auth = Authority::create(self.store(cn), &name, days, self.spec, self.digest)?;
        files::mkdir(&dir.join("grid-security"), false)?;
        if let Some(e) = email {
            files::write_atomic(&dir.join("email"), format!("{e}\n").as_bytes(), PUBLIC)?;
        }
        self.install(cn, &auth)
    }

    /// The OpenSSL subject hash of CA `cn` (`openssl x509 -hash`).
    pub fn cahash(&self, cn: &str) -> Result<String, CaError> {
        let auth = self.open(cn)?;
        let c = pki::parse_cert(&auth.cert_der, &auth.store.cert)?;
        Ok(hex8(subject_hash(c.subject())))
    }

    /// The pre-1.0 MD5 subject hash of CA `cn` (`openssl x509 -subject_hash_old`).
    pub fn oldhash_of(&self, cn: &str) -> Result<String, CaError> {
        let auth = self.open(cn)?;
        let c = pki::parse_cert(&auth.cert_der, &auth.store.cert)?;
        Ok(hex8(subject_hash_old(c.subject())))
    }

    /// `oldhash [CN]`: links `ca/grid-security/<old>.0` and `.signing_policy` to the new-hash
    /// files for CA `cn` (every CA when `None`); returns `(cn, oldhash)` pairs.
    pub fn oldhash(&self, cn: Option<&str>) -> Result<Vec<(String, String)>, CaError> {
        let cns = match cn {
            Some(c) => vec![c.to_string()],
            None => self.list()?,
        };
        let gs = self.ca_dir.join("grid-security");
        let mut out = Vec::new();
        for c in cns {
            let new = self.cahash(&c)?;
            let old = self.oldhash_of(&c)?;
            for ext in ["0", "signing_policy"] {
                files::symlink(
                    Path::new(&format!("{new}.{ext}")),
                    &gs.join(format!("{old}.{ext}")),
                )?;
            }
            out.push((c, old));
        }
        Ok(out)
    }

    /// The CAs in `ca/` (directories with a `cacert.pem`, not hash links), sorted.
    pub fn list(&self) -> Result<Vec<String>, CaError> {
        let rd = std::fs::read_dir(&self.ca_dir).map_err(|e| CaError::io(&self.ca_dir, e))?;
        let mut out = Vec::new();
        for e in rd.flatten() {
            let is_link = e.file_type().map(|t| t.is_symlink()).unwrap_or(true);
            if !is_link && e.path().join("cacert.pem").exists() {
                out.push(e.file_name().to_string_lossy().into_owned());
            }
        }
        out.sort();
        Ok(out)
    }

    /// The CA's directory name when `cn` is its hash link.
    fn real_name(&self, cn: &str) -> String {
        std::fs::read_link(self.ca_dir.join(cn))
            .ok()
            .and_then(|t| t.file_name().map(|n| n.to_string_lossy().into_owned()))
            .unwrap_or_else(|| cn.to_string())
    }

    fn install(&self, cn: &str, auth: &Authority) -> Result<String, CaError> {
        let c = pki::parse_cert(&auth.cert_der, &auth.store.cert)?;
        let hash = hex8(subject_hash(c.subject()));
        let gs = self.ca_dir.join("grid-security");
        files::mkdir(&gs, false)?;
        let base = auth.name.parent();
        let email = std::fs::read_to_string(self.dir(cn).join("email")).unwrap_or_default();
        let mut content: Vec<(String, Vec<u8>)> = vec![
            (format!("{hash}.0"), auth.cert_pem().into_bytes()),
            (
                format!("{hash}.signing_policy"),
                signing_policy(&auth.name, &base).into_bytes(),
            ),
            (
                format!("grid-security.conf.{hash}"),
                grid_security_conf(&auth.name, &base, email.trim()).into_bytes(),
            ),
            (
                format!("globus-host-ssl.conf.{hash}"),
                req_conf(&base, "host/FQDN").into_bytes(),
            ),
            (
                format!("globus-user-ssl.conf.{hash}"),
                req_conf(&base, "Full Name").into_bytes(),
            ),
        ];
        if auth.store.crl.exists() {
            content.push((
                format!("{hash}.r0"),
                files::read_string(&auth.store.crl)?.into_bytes(),
            ));
        }
        let top = format!("globus_simple_ca_{hash}");
        let mut entries = vec![(format!("{top}/"), Vec::new(), 0o755)];
        for (n, data) in &content {
            files::write_atomic(&gs.join(n), data, PUBLIC)?;
            entries.push((format!("{top}/{n}"), data.clone(), 0o644));
        }
        files::write_atomic(
            &self.ca_dir.join(format!("{top}.tar.gz")),
            &files::gzip_stored(&files::tar(&entries)),
            PUBLIC,
        )?;
        files::symlink(Path::new(cn), &self.ca_dir.join(&hash))?;
        Ok(hash)
    }

    /// The key, request and certificate files of `id` under CA `ca`.
    pub fn paths(&self, ca: &str, id: &str) -> (PathBuf, PathBuf, PathBuf) {
        let d = self.dir(ca).join("grid-security");
        (
            d.join(format!("{id}_key.pem")),
            d.join(format!("{id}_req.pem")),
            d.join(format!("{id}_cert.pem")),
        )
    }

    fn request(
        &self,
        ca: &str,
        id: &str,
        cn: &str,
        sans: &[String],
        ku: Vec<Ku>,
        eku: Vec<Eku>,
    ) -> Result<PathBuf, CaError> {
        check_id("name", id)?;
        let auth = self.open(ca)?;
        let subject = auth.name.parent().with("CN", cn);
        let (key, req, cert) = self.paths(ca, id);
        if cert.exists() {
            return Err(CaError::Exists(cert));
        }
        files::mkdir(key.parent().unwrap_or(Path::new(".")), false)?;
        let rs = pki::RequestSpec {
            subject,
            sans: sans.to_vec(),
            ku,
            eku,
        };
        pki::make_request(&key, &req, &rs, self.spec, self.digest)?;
        Ok(req)
    }

    /// `host CA FQDN`: key and request for `CN=host/FQDN` with SANs FQDN, localhost, 127.0.0.1.
    pub fn host(&self, ca: &str, fqdn: &str) -> Result<PathBuf, CaError> {
        let sans = vec![fqdn.to_string(), "localhost".into(), "127.0.0.1".into()];
        self.request(
            ca,
            fqdn,
            &format!("host/{fqdn}"),
            &sans,
            vec![Ku::DigitalSignature, Ku::KeyEncipherment],
            vec![Eku::ServerAuth, Eku::ClientAuth],
        )
    }

    /// `service CA FQDN SERVICE`: key and request for `CN=SERVICE/FQDN`, id `SERVICE_FQDN`.
    pub fn service(&self, ca: &str, fqdn: &str, service: &str) -> Result<PathBuf, CaError> {
        check_id("service", service)?;
        self.request(
            ca,
            &format!("{service}_{fqdn}"),
            &format!("{service}/{fqdn}"),
            &[fqdn.to_string()],
            vec![Ku::DigitalSignature, Ku::KeyEncipherment],
            vec![Eku::ServerAuth, Eku::ClientAuth],
        )
    }

    /// `user CA ID "Full Name"`: key and request for `CN=Full Name`.
    pub fn user(&self, ca: &str, id: &str, full_name: &str) -> Result<PathBuf, CaError> {
        if full_name.trim().is_empty() {
            return Err(CaError::Input("empty full name".into()));
        }
        self.request(
            ca,
            id,
            full_name,
            &[],
            vec![
                Ku::DigitalSignature,
                Ku::KeyEncipherment,
                Ku::DataEncipherment,
            ],
            vec![Eku::ClientAuth, Eku::EmailProtection],
        )
    }

    fn req_path(&self, ca: &str, req: &str) -> PathBuf {
        let p = Path::new(req);
        if req.contains('/') || req.ends_with(".pem") {
            p.to_path_buf()
        } else {
            self.paths(ca, req).1
        }
    }

    /// `showreq CA ID`: the request's subject and requested extensions, as text.
    pub fn showreq(&self, ca: &str, req: &str) -> Result<String, CaError> {
        let path = self.req_path(ca, req);
        describe_request(&path)
    }

    /// `sign CA REQ` (an id or a request file): signs it, writes `<ID>_cert.pem`.
    pub fn sign(&self, ca: &str, req: &str) -> Result<(PathBuf, Issued), CaError> {
        let auth = self.open(ca)?;
        let path = self.req_path(ca, req);
        if !path.exists() {
            return Err(CaError::Input(format!(
                "no request {} (run host/service/user first)",
                path.display()
            )));
        }
        let profile = Profile {
            days: CERT_DAYS,
            ..Profile::default()
        };
        let issued = auth.sign_request(&path, &profile, Some(&auth.name.parent()))?;
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
        let out = match name.as_deref().and_then(|n| n.strip_suffix("_req.pem")) {
            Some(id) => path.with_file_name(format!("{id}_cert.pem")),
            None => path.with_extension("cert.pem"),
        };
        files::write_atomic(&out, issued.pem.as_bytes(), PUBLIC)?;
        Ok((out, issued))
    }

    fn cert_path(&self, ca: &str, id: &str) -> Result<PathBuf, CaError> {
        let (_, _, cert) = self.paths(ca, id);
        if cert.exists() {
            return Ok(cert);
        }
        let k = self.keys_dir.join(format!("{id}_cert.pem"));
        if k.exists() {
            return Ok(k);
        }
        Err(CaError::Input(format!(
            "no certificate {} (sign the request first)",
            cert.display()
        )))
    }

    /// `keys CA ID`: copies `<ID>_cert.pem` and `<ID>_key.pem` (0600) into `keys/`.
    pub fn keys(&self, ca: &str, id: &str) -> Result<(PathBuf, PathBuf), CaError> {
        self.open(ca)?;
        let cert = self.cert_path(ca, id)?;
        let (key, _, _) = self.paths(ca, id);
        files::mkdir(&self.keys_dir, false)?;
        let kc = self.keys_dir.join(format!("{id}_cert.pem"));
        let kk = self.keys_dir.join(format!("{id}_key.pem"));
        files::write_atomic(&kk, files::read_string(&key)?.as_bytes(), SECRET)?;
        files::write_atomic(&kc, files::read_string(&cert)?.as_bytes(), PUBLIC)?;
        Ok((kc, kk))
    }

    /// `p12 ID`: `keys/<ID>.p12` (0600) from `keys/<ID>_cert.pem` and `_key.pem`, with the
    /// issuing CA's certificate when it is one of ours (`legacy`: 3DES/SHA-1 encryption).
    pub fn p12(&self, id: &str, password: &str, legacy: bool) -> Result<PathBuf, CaError> {
        check_id("name", id)?;
        let cert = self.keys_dir.join(format!("{id}_cert.pem"));
        let key = self.keys_dir.join(format!("{id}_key.pem"));
        if !cert.exists() {
            return Err(CaError::Input(format!(
                "no {} (run `flock ca keys CA {id}` first)",
                cert.display()
            )));
        }
        let der = pki::read_cert_der(&cert)?;
        let c = pki::parse_cert(&der, &cert)?;
        let mut chain = Vec::new();
        for cn in self.list().unwrap_or_default() {
            if let Ok(auth) = self.open(&cn) {
                let ca = pki::parse_cert(&auth.cert_der, &auth.store.cert)?;
                if ca.subject().as_raw() == c.issuer().as_raw() {
                    chain.push(auth.cert_der.clone());
                    break;
                }
            }
        }
        let out = self.keys_dir.join(format!("{id}.p12"));
        let alias = Name::from_x509(c.subject())?
            .common_name()
            .unwrap_or(id)
            .to_string();
        pki::write_p12(&out, &key, &cert, &chain, &alias, password, legacy)?;
        Ok(out)
    }

    /// `verify CA ID`: signature, validity and revocation of the certificate of `id`.
    pub fn verify(&self, ca: &str, id: &str) -> Result<Name, CaError> {
        let auth = self.open(ca)?;
        auth.verify(&self.cert_path(ca, id)?)
    }

    /// `subject CA ID`: the certificate's subject.
    pub fn subject(&self, ca: &str, id: &str) -> Result<Name, CaError> {
        let p = self.cert_path(ca, id)?;
        let der = pki::read_cert_der(&p)?;
        Name::from_x509(pki::parse_cert(&der, &p)?.subject())
    }

    /// `revoke CA ID`: revokes the certificate of `id`, rewrites the CRL and reinstalls it.
    pub fn revoke(&self, ca: &str, id: &str) -> Result<String, CaError> {
        let auth = self.open(ca)?;
        let s = auth.revoke(&self.cert_path(ca, id)?, 30)?;
        self.install(&self.real_name(ca), &auth)?;
        Ok(s)
    }

    /// `crl CA [days]`: writes `ca/<CA>/crl.pem` and installs it as `<HASH>.r0`.
    pub fn crl(&self, ca: &str, days: u32) -> Result<PathBuf, CaError> {
        let auth = self.open(ca)?;
        auth.write_crl(days)?;
        self.install(&self.real_name(ca), &auth)?;
        Ok(auth.store.crl.clone())
    }

    /// `x509env [ID]`: shell `export` lines for Globus tools (`X509_CERT_DIR`, user cert/key).
    pub fn x509env(&self, id: &str) -> String {
        let abs = |p: PathBuf| std::path::absolute(&p).unwrap_or(p);
        format!(
            "export X509_CERT_DIR={}\nexport X509_USER_CERT={}\nexport X509_USER_KEY={}\n",
            abs(self.ca_dir.join("grid-security")).display(),
            abs(self.keys_dir.join(format!("{id}_cert.pem"))).display(),
            abs(self.keys_dir.join(format!("{id}_key.pem"))).display(),
        )
    }
}

/// Text description of a PEM certificate request: subject, SANs, key usages.
pub fn describe_request(path: &Path) -> Result<String, CaError> {
    use x509_parser::prelude::{FromDer, ParsedExtension};
    let text = files::read_string(path)?;
    let der = files::pem_decode(&text, Some("CERTIFICATE REQUEST"), path)?;
    let (_, req) = x509_parser::certification_request::X509CertificationRequest::from_der(&der)
        .map_err(|e| CaError::Parse {
            path: path.to_path_buf(),
            line: 1,
            msg: format!("not a certificate request: {e}"),
        })?;
    let mut out = format!(
        "subject: {}\n",
        Name::from_x509(&req.certification_request_info.subject)?
    );
    if let Some(exts) = req.requested_extensions() {
        for ext in exts {
            match ext {
                ParsedExtension::SubjectAlternativeName(san) => {
                    let v: Vec<String> = san.general_names.iter().map(general_name).collect();
                    out.push_str(&format!("subjectAltName: {}\n", v.join(", ")));
                }
                ParsedExtension::KeyUsage(ku) => out.push_str(&format!("keyUsage: {ku}\n")),
                ParsedExtension::ExtendedKeyUsage(eku) => {
                    let mut v = Vec::new();
                    if eku.server_auth {
                        v.push("serverAuth");
                    }
                    if eku.client_auth {
                        v.push("clientAuth");
                    }
                    if eku.email_protection {
                        v.push("emailProtection");
                    }
                    out.push_str(&format!("extendedKeyUsage: {}\n", v.join(", ")));
                }
                _ => {}
            }
        }
    }
    Ok(out)
}

/// A SAN entry as OpenSSL prints it (`DNS:x`, `IP Address:1.2.3.4`).
fn general_name(g: &x509_parser::extensions::GeneralName<'_>) -> String {
    use x509_parser::extensions::GeneralName as G;
    match g {
        G::DNSName(s) => format!("DNS:{s}"),
        G::RFC822Name(s) => format!("email:{s}"),
        G::URI(s) => format!("URI:{s}"),
        G::IPAddress(b) => match b.len() {
            4 => format!(
                "IP Address:{}",
                std::net::Ipv4Addr::new(b[0], b[1], b[2], b[3])
            ),
            16 => {
                let mut a = [0u8; 16];
                a.copy_from_slice(b);
                format!("IP Address:{}", std::net::Ipv6Addr::from(a))
            }
            _ => format!("IP Address:{}", hex::encode(b)),
        },
        other => other.to_string(),
    }
}

fn signing_policy(ca: &Name, base: &Name) -> String {
    format!(
        "# Globus signing policy of CA {ca}, written by flock ca.\n\
         # Format:\n\
         #------------------------------------------------------------------------\n\
         #  token type  | def.authority |                value\n\
         #--------------|---------------|-----------------------------------------\n\
         # EACL entry #1|\n\n \
         access_id_CA      X509         '{ca}'\n\n \
         pos_rights        globus        CA:sign\n\n \
         cond_subjects     globus       '\"{base}/*\"'\n\n\
         # end of EACL\n"
    )
}

fn grid_security_conf(ca: &Name, base: &Name, email: &str) -> String {
    format!(
        "# Globus grid-security.conf of CA {ca}, written by flock ca.\n\
         SETUP_GSI_HOST_BASE_DN=\"{b}\"\n\
         SETUP_GSI_USER_BASE_DN=\"{b}\"\n\
         SETUP_GSI_CA_NAME=\"{cn}\"\n\
         SETUP_GSI_CA_EMAIL_ADDR=\"{email}\"\n",
        b = base.ldap(),
        cn = ca.common_name().unwrap_or_default(),
    )
}

fn req_conf(base: &Name, cn_hint: &str) -> String {
    let mut s = String::from(
        "# OpenSSL request configuration, written by flock ca.\n\
         [ req ]\n\
         default_bits       = 3072\n\
         default_md         = sha256\n\
         distinguished_name = req_distinguished_name\n\
         string_mask        = utf8only\n\n\
         [ req_distinguished_name ]\n",
    );
    let mut seen: Vec<&str> = Vec::new();
    for r in &base.0 {
        let n = seen.iter().filter(|k| **k == r.key).count();
        seen.push(&r.key);
        let long = match r.key.as_str() {
            "O" => "organizationName",
            "OU" => "organizationalUnitName",
            "C" => "countryName",
            "L" => "localityName",
            "ST" => "stateOrProvinceName",
            other => other,
        };
        s.push_str(&format!(
            "{n}.{long} = {}\n{n}.{long}_default = {}\n",
            r.key, r.value
        ));
    }
    s.push_str(&format!(
        "commonName = Name ({cn_hint})\ncommonName_max = 64\n"
    ));
    s
}
