//! The OpenVPN CA (what `flock-vpn` did with easy-rsa 2.0), in easy-rsa's layout under
//! `ca/<CA>/2.0/keys/`, which `roles/vpn/openvpn.yml` copies from:
//!
//! ```text
//! ca.crt  ca.key (0600)  serial  index.txt  <SERIAL>.pem  crl.pem
//! <NAME>.key (0600)  <NAME>.csr  <NAME>.crt    (servers and clients)
//! dh<BITS>.pem       (RFC 7919 ffdhe group, see docs/ca.md)
//! ta.key (0600)      (OpenVPN static key V1, for tls-auth)
//! ```

use std::path::{Path, PathBuf};

use rand::RngCore;
use rcgen::{ExtendedKeyUsagePurpose as Eku, KeyUsagePurpose as Ku};

use super::files::{self, PUBLIC, SECRET};
use super::name::{der_tlv, Name};
use super::pki::{self, Authority, Digest, Issued, KeySpec, Profile, Store};
use super::CaError;

/// The easy-rsa version directory the playbooks expect (`openvpn.ver`).
pub const VER: &str = "2.0";
/// Default CA name (`openvpn.ca` in `roles/vpn/vars/openvpn.yml`).
pub const DEFAULT_CA: &str = "vpnca";
/// Port of `roles/vpn/templates/etc/openvpn/server.conf.j2`.
pub const PORT: u16 = 11940;

/// The OpenVPN CAs under one `ca/` directory.
#[derive(Clone, Debug)]
pub struct Vpn {
    /// The `ca/` directory.
    pub ca_dir: PathBuf,
    /// Algorithm of new keys.
    pub spec: KeySpec,
    /// Digest of RSA signatures.
    pub digest: Digest,
}

/// Which end of a tunnel a certificate is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// `serverAuth`, `nsCertType server`.
    Server,
    /// `clientAuth`, `nsCertType client`.
    Client,
}

fn check_name(what: &str, id: &str) -> Result<(), CaError> {
    if id.is_empty()
        || id.starts_with('.')
        || id.contains('/')
        || id.chars().any(|c| c.is_control() || c.is_whitespace())
        || matches!(id, "ca" | "ta" | "crl" | "index" | "serial")
    {
        return Err(CaError::Input(format!("bad {what} {id:?}")));
    }
    Ok(())
}

impl Vpn {
    /// OpenVPN CAs in `ca_dir`, RSA 3072 / SHA-256 keys.
    pub fn new(ca_dir: impl Into<PathBuf>) -> Vpn {
        Vpn {
            ca_dir: ca_dir.into(),
            spec: KeySpec::default(),
            digest: Digest::default(),
        }
    }

    /// `ca/<CA>/2.0/keys`.
    pub fn keys(&self, ca: &str) -> PathBuf {
        self.ca_dir.join(ca).join(VER).join("keys")
    }

    fn store(&self, ca: &str) -> Store {
        let k = self.keys(ca);
        Store {
            cert: k.join("ca.crt"),
            key: k.join("ca.key"),
            serial: k.join("serial"),
            index: k.join("index.txt"),
            newcerts: k.clone(),
            crlnumber: k.join("crlnumber"),
            crl: k.join("crl.pem"),
        }
    }

    /// Opens CA `ca`.
    pub fn open(&self, ca: &str) -> Result<Authority, CaError> {
        check_name("CA name", ca)?;
        let store = self.store(ca);
        if !store.cert.exists() {
            return Err(CaError::Input(format!(
                "unknown VPN CA {ca:?}: no {}",
                store.cert.display()
            )));
        }
        Authority::open(store)
    }

    /// `create [CA] [days]`: `ca.crt` and `ca.key` with subject `/O=flock/CN=<CA>`.
    pub fn create(&self, ca: &str, days: u32) -> Result<PathBuf, CaError> {
        check_name("CA name", ca)?;
        let keys = self.keys(ca);
        if keys.join("ca.crt").exists() {
            return Err(CaError::Exists(keys.join("ca.crt")));
        }
        files::mkdir(&keys, true)?;
        let name = Name::default().with("O", "flock").with("CN", ca);
        let auth = Authority::create(self.store(ca), &name, days, self.spec, self.digest)?;
        Ok(auth.store.cert)
    }

    /// `server CA NAME` / `client CA NAME`: key, request and signed certificate
    /// (`NAME.key`, `NAME.csr`, `NAME.crt`), like easy-rsa's `build-key-server` / `build-key`.
    pub fn issue(&self, ca: &str, name: &str, role: Role, days: u32) -> Result<Issued, CaError> {
        check_name("name", name)?;
        let auth = self.open(ca)?;
        let k = self.keys(ca);
        let (key, csr, crt) = (
            k.join(format!("{name}.key")),
            k.join(format!("{name}.csr")),
            k.join(format!("{name}.crt")),
        );
        if crt.exists() {
            return Err(CaError::Exists(crt));
        }
        let subject = auth.name.parent().with("CN", name);
        let (ku, eku, sans, ns) = match role {
            Role::Server => (
                vec![Ku::DigitalSignature, Ku::KeyEncipherment],
                vec![Eku::ServerAuth],
                vec![name.to_string()],
                0x40,
            ),
            Role::Client => (
                vec![Ku::DigitalSignature],
                vec![Eku::ClientAuth],
                vec![],
                0x80,
            ),
        };
        let rs = pki::RequestSpec {
            subject,
            sans,
            ku,
            eku,
        };
        pki::make_request(&key, &csr, &rs, self.spec, self.digest)?;
        let profile = Profile {
            days,
            ns_cert_type: Some(ns),
            ..Profile::default()
        };
        let issued = auth.sign_request(&csr, &profile, None)?;
        files::write_atomic(&crt, issued.pem.as_bytes(), PUBLIC)?;
        Ok(issued)
    }

    /// `dh [CA] [bits]`: `dh<bits>.pem` with the RFC 7919 group of that size (2048/3072/4096).
    pub fn dh(&self, ca: &str, bits: u32) -> Result<PathBuf, CaError> {
        self.open(ca)?;
        let out = self.keys(ca).join(format!("dh{bits}.pem"));
        files::write_atomic(&out, dh_params_pem(bits)?.as_bytes(), PUBLIC)?;
        Ok(out)
    }

    /// `ta [CA]`: a new `ta.key` (0600) in OpenVPN's static key V1 format.
    pub fn ta(&self, ca: &str) -> Result<PathBuf, CaError> {
        self.open(ca)?;
        let out = self.keys(ca).join("ta.key");
        files::write_atomic(&out, static_key().as_bytes(), SECRET)?;
        Ok(out)
    }

    /// `revoke CA NAME`: revokes `NAME.crt` and writes `crl.pem`.
    pub fn revoke(&self, ca: &str, name: &str) -> Result<String, CaError> {
        check_name("name", name)?;
        let auth = self.open(ca)?;
        let crt = self.keys(ca).join(format!("{name}.crt"));
        if !crt.exists() {
            return Err(CaError::Input(format!("no certificate {}", crt.display())));
        }
        auth.revoke(&crt, 3650)
    }

    /// `crl CA [days]`: writes `crl.pem`.
    pub fn crl(&self, ca: &str, days: u32) -> Result<PathBuf, CaError> {
        let auth = self.open(ca)?;
        auth.write_crl(days)?;
        Ok(auth.store.crl.clone())
    }

    /// Copies what client `name` needs into `dir` (`ca.crt`, `client.crt`, `client.key`,
    /// `ta.key`; secrets 0600) and writes `config` (an `.ovpn` file) next to them.
    pub fn bundle(
        &self,
        ca: &str,
        name: &str,
        dir: &Path,
        config: &Path,
        prefix: &str,
        remotes: &[(String, u16)],
    ) -> Result<(), CaError> {
        check_name("name", name)?;
        self.open(ca)?;
        let k = self.keys(ca);
        let need = [
            ("ca.crt", k.join("ca.crt"), PUBLIC),
            ("client.crt", k.join(format!("{name}.crt")), PUBLIC),
            ("client.key", k.join(format!("{name}.key")), SECRET),
            ("ta.key", k.join("ta.key"), SECRET),
        ];
        for (_, src, _) in &need {
            if !src.exists() {
                return Err(CaError::Input(format!(
                    "missing {} (run `flock vpn client {ca} {name}` and `flock vpn param {ca}`)",
                    src.display()
                )));
            }
        }
        files::mkdir(dir, true)?;
        for (to, src, mode) in &need {
            let data = std::fs::read(src).map_err(|e| CaError::io(src, e))?;
            files::write_atomic(&dir.join(to), &data, *mode)?;
        }
        if let Some(p) = config.parent() {
            files::mkdir(p, false)?;
        }
        files::write_atomic(config, client_config(prefix, remotes).as_bytes(), PUBLIC)
    }

    /// `blick CA NAME`: a Tunnelblick configuration `<dir>/<NAME>.ovpn` using `<dir>/<NAME>/`.
    pub fn blick(
        &self,
        ca: &str,
        name: &str,
        dir: &Path,
        remote: &str,
    ) -> Result<PathBuf, CaError> {
        self.tunnelblick(ca, name, dir, &[(remote.to_string(), PORT)])
    }

    fn tunnelblick(
        &self,
        ca: &str,
        name: &str,
        dir: &Path,
        remotes: &[(String, u16)],
    ) -> Result<PathBuf, CaError> {
        let conf = dir.join(format!("{name}.ovpn"));
        self.bundle(
            ca,
            name,
            &dir.join(name),
            &conf,
            &format!("{name}/"),
            remotes,
        )?;
        Ok(conf)
    }

    /// `iphone [CA] [NAME]`: `ca/<CA>/iphone/` with `iphone.ovpn` and the files beside it.
    pub fn iphone(&self, ca: &str, name: &str, remote: &str) -> Result<PathBuf, CaError> {
        let dir = self.ca_dir.join(ca).join("iphone");
        let conf = dir.join("iphone.ovpn");
        self.bundle(ca, name, &dir, &conf, "", &[(remote.to_string(), PORT)])?;
        Ok(conf)
    }

    /// `ting PATTERN NAME`: a Tunnelblick configuration whose `remote` lines are the external
    /// addresses Ting collected in `hosts_dir/<host>.json` for hosts matching `PATTERN` (a glob).
    pub fn ting(
        &self,
        ca: &str,
        pattern: &str,
        name: &str,
        hosts_dir: &Path,
        dir: &Path,
    ) -> Result<PathBuf, CaError> {
        let pat = glob::Pattern::new(pattern)
            .map_err(|e| CaError::Input(format!("bad pattern {pattern:?}: {e}")))?;
        let rd = std::fs::read_dir(hosts_dir).map_err(|e| CaError::io(hosts_dir, e))?;
        let mut remotes = Vec::new();
        let mut paths: Vec<PathBuf> = rd.flatten().map(|e| e.path()).collect();
        paths.sort();
        for p in paths {
            let Some(stem) = p.file_stem().map(|s| s.to_string_lossy().into_owned()) else {
                continue;
            };
            if p.extension().is_none_or(|e| e != "json") || !pat.matches(&stem) {
                continue;
            }
            let text = files::read_string(&p)?;
            let v: serde_json::Value = serde_json::from_str(&text).map_err(|e| CaError::Parse {
                path: p.clone(),
                line: e.line(),
                msg: e.to_string(),
            })?;
            let ip = ["ip", "external_ip", "address", "addr"]
                .iter()
                .find_map(|k| v.get(*k).and_then(|x| x.as_str()))
                .ok_or_else(|| CaError::Parse {
                    path: p.clone(),
                    line: 1,
                    msg: "no \"ip\" field".into(),
                })?;
            remotes.push((ip.to_string(), PORT));
        }
        if remotes.is_empty() {
            return Err(CaError::Input(format!(
                "no host matching {pattern:?} in {}",
                hosts_dir.display()
            )));
        }
        self.tunnelblick(ca, name, dir, &remotes)
    }
}

/// A client configuration for `remotes`, with key files under `prefix`. It has `comp-lzo`
/// because the playbook's `server.conf.j2` enables it (packets are framed differently).
pub fn client_config(prefix: &str, remotes: &[(String, u16)]) -> String {
    let mut s = String::from("client\nproto tcp\ndev tun\nnobind\n");
    for (h, p) in remotes {
        s.push_str(&format!("remote {h} {p}\n"));
    }
    if remotes.len() > 1 {
        s.push_str("remote-random\n");
    }
    s.push_str(&format!(
        "ca {prefix}ca.crt\ncert {prefix}client.crt\nkey {prefix}client.key\n\
         tls-auth {prefix}ta.key 1\nremote-cert-tls server\n\
         keepalive 10 120\ncomp-lzo\npersist-key\npersist-tun\nverb 3\n"
    ));
    s
}

/// DH parameters (PKCS#3 `DHParameter`, PEM) of the RFC 7919 group with `bits` bits.
pub fn dh_params_pem(bits: u32) -> Result<String, CaError> {
    let hex_p = match bits {
        2048 => super::ffdhe::FFDHE2048,
        3072 => super::ffdhe::FFDHE3072,
        4096 => super::ffdhe::FFDHE4096,
        _ => {
            return Err(CaError::Input(format!(
                "unsupported DH size {bits} (2048, 3072, 4096)"
            )))
        }
    };
    let mut p = vec![0u8];
    p.extend(hex::decode(hex_p).map_err(|e| CaError::Crypto(e.to_string()))?);
    let mut seq = der_tlv(0x02, &p);
    seq.extend(der_tlv(0x02, &[2]));
    Ok(files::pem_encode("DH PARAMETERS", &der_tlv(0x30, &seq)))
}

/// A new 2048-bit OpenVPN static key (`openvpn --genkey secret` format).
pub fn static_key() -> String {
    let mut key = [0u8; 256];
    rand::rngs::OsRng.fill_bytes(&mut key);
    let mut s = String::from(
        "#\n# 2048 bit OpenVPN static key\n#\n-----BEGIN OpenVPN Static key V1-----\n",
    );
    for line in key.chunks(16) {
        s.push_str(&hex::encode(line));
        s.push('\n');
    }
    s.push_str("-----END OpenVPN Static key V1-----\n");
    s
}
