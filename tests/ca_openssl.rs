//! `flock ca` and `flock vpn` checked with the real tools: `openssl verify/x509/crl/pkcs12/
//! dhparam/s_server/s_client`, `tar` as `roles/globus/ca.yml` runs it, and a real OpenVPN tunnel
//! between two network namespaces using the playbook's own `server.conf.j2`.

use std::fs;
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

fn flock_cmd(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_flock"))
        .args(args)
        .current_dir(dir)
        .env_remove("FLOCK_P12_PASSWORD")
        .output()
        .expect("run flock")
}

/// Runs flock in `dir`, asserts success, returns stdout.
fn flock(dir: &Path, args: &[&str]) -> String {
    let o = flock_cmd(dir, args);
    assert!(
        o.status.success(),
        "flock {args:?} failed: {}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// Runs flock in `dir`, asserts failure with a one-line error, returns stderr.
fn flock_fails(dir: &Path, args: &[&str]) -> String {
    let o = flock_cmd(dir, args);
    let err = String::from_utf8_lossy(&o.stderr).into_owned();
    assert!(!o.status.success(), "flock {args:?} should fail");
    assert_eq!(err.trim().lines().count(), 1, "one clear error line: {err}");
    err
}

/// Runs openssl in `dir`; returns (success, stdout + stderr).
fn openssl(dir: &Path, args: &[&str]) -> (bool, String) {
    let o = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("run openssl");
    (
        o.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        ),
    )
}

fn openssl_ok(dir: &Path, args: &[&str]) -> String {
    let (ok, out) = openssl(dir, args);
    assert!(ok, "openssl {args:?} failed: {out}");
    out
}

/// The trimmed line after the line containing `label` in openssl's text output.
fn after<'a>(text: &'a str, label: &str) -> &'a str {
    let mut lines = text.lines();
    lines.by_ref().find(|l| l.contains(label));
    lines.next().unwrap_or_default().trim()
}

fn mode(p: &Path) -> u32 {
    fs::metadata(p).unwrap().permissions().mode() & 0o777
}

/// The corpus (`FLOCK_CORPUS_DIR`, see `build.rs`).
fn corpus() -> PathBuf {
    PathBuf::from(env!("FLOCK_CORPUS_DIR"))
}

/// A grid CA `coreca` with signed host `core-01` and user `sysop` (ECDSA keys: fast).
fn grid_with_host_and_user(dir: &Path) -> String {
    let out = flock(
        dir,
        &[
            "ca",
            "--key",
            "ec256",
            "create",
            "coreca",
            "365",
            "sysop@localhost",
        ],
    );
    assert!(out.contains("hash"), "{out}");
    flock(dir, &["ca", "--key", "ec256", "host", "coreca", "core-01"]);
    flock(dir, &["ca", "sign", "coreca", "core-01"]);
    flock(
        dir,
        &[
            "ca",
            "--key",
            "ec256",
            "user",
            "coreca",
            "sysop",
            "System Operator",
        ],
    );
    flock(dir, &["ca", "sign", "coreca", "sysop"]);
    flock(dir, &["ca", "cahash", "coreca"]).trim().to_string()
}

#[test]
fn grid_ca_files_hashes_and_extensions_match_openssl() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let hash = grid_with_host_and_user(d);
    // The playbook's roles/globus/vars/globus.yml names the original coreca's hash: same subject,
    // same hash.
    assert_eq!(hash, "695e84e6");
    let ossl_hash = openssl_ok(
        d,
        &["x509", "-hash", "-noout", "-in", "ca/coreca/cacert.pem"],
    );
    assert_eq!(ossl_hash.trim(), hash);
    let old = flock(d, &["ca", "oldhash"]);
    let ossl_old = openssl_ok(
        d,
        &[
            "x509",
            "-subject_hash_old",
            "-noout",
            "-in",
            "ca/coreca/cacert.pem",
        ],
    );
    assert_eq!(old.trim(), format!("{} coreca", ossl_old.trim()));
    assert_eq!(
        fs::read_link(d.join("ca").join(&hash)).unwrap(),
        Path::new("coreca")
    );
    for f in [format!("{hash}.0"), format!("{}.0", ossl_old.trim())] {
        assert_eq!(
            fs::read(d.join("ca/grid-security").join(f)).unwrap(),
            fs::read(d.join("ca/coreca/cacert.pem")).unwrap()
        );
    }
    let policy =
        fs::read_to_string(d.join(format!("ca/grid-security/{hash}.signing_policy"))).unwrap();
    assert!(policy
        .contains("access_id_CA      X509         '/O=Grid/OU=Core/OU=coreca-cahost/CN=coreca'"));
    assert!(policy.contains("'\"/O=Grid/OU=Core/OU=coreca-cahost/*\"'"));

    // Every issued certificate verifies, by file and by hash directory.
    let host = "ca/coreca/grid-security/core-01_cert.pem";
    let user = "ca/coreca/grid-security/sysop_cert.pem";
    let out = openssl_ok(
        d,
        &["verify", "-CAfile", "ca/coreca/cacert.pem", host, user],
    );
    assert_eq!(out.matches(": OK").count(), 2, "{out}");
    openssl_ok(d, &["verify", "-CApath", "ca/grid-security", host]);

    let ca_text = openssl_ok(
        d,
        &["x509", "-text", "-noout", "-in", "ca/coreca/cacert.pem"],
    );
    assert!(ca_text.contains("Subject: O = Grid, OU = Core, OU = coreca-cahost, CN = coreca"));
    assert!(ca_text.contains("CA:TRUE"), "{ca_text}");
    assert!(ca_text.contains("Certificate Sign, CRL Sign"), "{ca_text}");
    let h = openssl_ok(d, &["x509", "-text", "-noout", "-in", host]);
    assert!(h.contains("Subject: O = Grid, OU = Core, OU = coreca-cahost, CN = host/core-01"));
    assert!(
        h.contains("DNS:core-01, DNS:localhost, IP Address:127.0.0.1"),
        "{h}"
    );
    assert!(h.contains("TLS Web Server Authentication, TLS Web Client Authentication"));
    assert!(h.contains("CA:FALSE"));
    assert!(h.contains("ecdsa-with-SHA256"));
    let u = openssl_ok(d, &["x509", "-text", "-noout", "-in", user]);
    assert!(u.contains("CN = System Operator"), "{u}");
    assert!(u.contains("TLS Web Client Authentication"), "{u}");
    assert!(!u.contains("Alternative Name"), "{u}");
    // The request carried the SANs; sign copied them (copy_extensions = copy).
    let req = flock(d, &["ca", "showreq", "coreca", "core-01"]);
    assert!(
        req.contains("DNS:core-01") && req.contains("127.0.0.1"),
        "{req}"
    );
    assert_eq!(
        flock(d, &["ca", "subject", "coreca", "core-01"]).trim(),
        "/O=Grid/OU=Core/OU=coreca-cahost/CN=host/core-01"
    );

    // Secrets are 0600, the CA's private directory 0700.
    assert_eq!(mode(&d.join("ca/coreca/private/cakey.pem")), 0o600);
    assert_eq!(mode(&d.join("ca/coreca/private")), 0o700);
    assert_eq!(
        mode(&d.join("ca/coreca/grid-security/core-01_key.pem")),
        0o600
    );
    assert_eq!(
        mode(&d.join("ca/coreca/grid-security/sysop_key.pem")),
        0o600
    );
    assert_eq!(mode(&d.join(host)), 0o644);

    // The tarball roles/globus/ca.yml unpacks, unpacked the way it does.
    let etc = d.join("etc-grid-security-certificates");
    fs::create_dir(&etc).unwrap();
    let st = Command::new("tar")
        .args(["xvz", "--strip-components", "1", "-C"])
        .arg(&etc)
        .arg("-f")
        .arg(d.join(format!("ca/globus_simple_ca_{hash}.tar.gz")))
        .status()
        .unwrap();
    assert!(st.success());
    for f in [
        format!("{hash}.0"),
        format!("{hash}.signing_policy"),
        format!("globus-host-ssl.conf.{hash}"),
        format!("globus-user-ssl.conf.{hash}"),
        format!("grid-security.conf.{hash}"),
    ] {
        assert!(etc.join(&f).is_file(), "{f} missing from the tarball");
    }
    openssl_ok(d, &["verify", "-CApath", etc.to_str().unwrap(), host]);
    let conf = fs::read_to_string(etc.join(format!("grid-security.conf.{hash}"))).unwrap();
    assert!(conf.contains("sysop@localhost"), "{conf}");
    assert!(flock(d, &["ca", "verify", "coreca", "sysop"]).contains(": OK"));

    // keys/ and PKCS#12.
    flock(d, &["ca", "keys", "coreca", "sysop"]);
    assert_eq!(mode(&d.join("keys/sysop_key.pem")), 0o600);
    fs::write(d.join("pw"), "Tit0k-jelszo\n").unwrap();
    let out = flock(d, &["ca", "p12", "sysop", "--password-file", "pw"]);
    assert!(!out.contains("Tit0k"), "password printed: {out}");
    assert_eq!(mode(&d.join("keys/sysop.p12")), 0o600);
    let info = openssl_ok(
        d,
        &[
            "pkcs12",
            "-info",
            "-in",
            "keys/sysop.p12",
            "-passin",
            "pass:Tit0k-jelszo",
            "-nokeys",
        ],
    );
    assert!(info.contains("CN = System Operator"), "{info}");
    assert!(info.contains("CN = coreca"), "CA chain in the p12: {info}");
    let key_out = openssl_ok(
        d,
        &[
            "pkcs12",
            "-in",
            "keys/sysop.p12",
            "-passin",
            "pass:Tit0k-jelszo",
            "-nocerts",
            "-nodes",
        ],
    );
    assert!(key_out.contains("PRIVATE KEY"));
    let (ok, _) = openssl(
        d,
        &[
            "pkcs12",
            "-info",
            "-in",
            "keys/sysop.p12",
            "-passin",
            "pass:wrong",
            "-noout",
        ],
    );
    assert!(!ok, "a wrong password opens the p12");

    // The legacy encryption for old key stores.
    flock(
        d,
        &["ca", "p12", "sysop", "--password-file", "pw", "--legacy"],
    );
    let info = openssl_ok(
        d,
        &[
            "pkcs12",
            "-info",
            "-noout",
            "-in",
            "keys/sysop.p12",
            "-passin",
            "pass:Tit0k-jelszo",
        ],
    );
    assert!(info.contains("pbeWithSHA1And3-KeyTripleDES-CBC"), "{info}");
    assert!(info.contains("MAC: sha1"), "{info}");

    let env = flock(d, &["ca", "x509env"]);
    assert!(env.contains("export X509_CERT_DIR=/") && env.contains("keys/sysop_cert.pem"));
}

#[test]
fn grid_ca_revocation_and_crl() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let hash = grid_with_host_and_user(d);
    let serial = openssl_ok(
        d,
        &[
            "x509",
            "-serial",
            "-noout",
            "-in",
            "ca/coreca/grid-security/sysop_cert.pem",
        ],
    );
    let serial = serial.trim().trim_start_matches("serial=").to_string();
    flock(d, &["ca", "revoke", "coreca", "sysop"]);
    let crl = openssl_ok(d, &["crl", "-in", "ca/coreca/crl.pem", "-text", "-noout"]);
    assert!(crl.contains(&format!("Serial Number: {serial}")), "{crl}");
    assert!(crl.contains("Issuer: O = Grid, OU = Core, OU = coreca-cahost, CN = coreca"));
    assert_eq!(crl.matches("Serial Number:").count(), 1, "{crl}");
    openssl_ok(
        d,
        &[
            "crl",
            "-in",
            "ca/coreca/crl.pem",
            "-CAfile",
            "ca/coreca/cacert.pem",
            "-noout",
        ],
    );
    assert_eq!(
        fs::read(d.join(format!("ca/grid-security/{hash}.r0"))).unwrap(),
        fs::read(d.join("ca/coreca/crl.pem")).unwrap()
    );
    let (ok, out) = openssl(
        d,
        &[
            "verify",
            "-crl_check",
            "-CAfile",
            "ca/coreca/cacert.pem",
            "-CRLfile",
            "ca/coreca/crl.pem",
            "ca/coreca/grid-security/sysop_cert.pem",
        ],
    );
    assert!(!ok && out.contains("revoked"), "{out}");
    openssl_ok(
        d,
        &[
            "verify",
            "-crl_check",
            "-CAfile",
            "ca/coreca/cacert.pem",
            "-CRLfile",
            "ca/coreca/crl.pem",
            "ca/coreca/grid-security/core-01_cert.pem",
        ],
    );
    openssl_ok(
        d,
        &[
            "verify",
            "-crl_check",
            "-CApath",
            "ca/grid-security",
            "ca/coreca/grid-security/core-01_cert.pem",
        ],
    );
    assert!(flock_fails(d, &["ca", "verify", "coreca", "sysop"]).contains("revoked"));
    assert!(flock_fails(d, &["ca", "revoke", "coreca", "sysop"]).contains("revoked already"));
    // A revoked subject may be certified again.
    fs::remove_file(d.join("ca/coreca/grid-security/sysop_cert.pem")).unwrap();
    flock(d, &["ca", "sign", "coreca", "sysop"]);
    // The hash link names the CA too (as the playbooks do).
    flock(d, &["ca", "crl", &hash, "7"]);
    assert_eq!(
        fs::read_link(d.join("ca").join(&hash)).unwrap(),
        Path::new("coreca")
    );
    let crl2 = openssl_ok(d, &["crl", "-in", "ca/coreca/crl.pem", "-text", "-noout"]);
    assert_eq!(after(&crl2, "X509v3 CRL Number"), "2", "{crl2}");
}

#[test]
fn grid_ca_bad_input_is_one_clear_error() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    assert!(flock_fails(d, &["ca", "host", "nosuch", "h1"]).contains("unknown CA \"nosuch\""));
    flock(d, &["ca", "--key", "ec256", "create", "coreca"]);
    assert!(flock_fails(d, &["ca", "create", "coreca"]).contains("exists already"));
    assert!(flock_fails(d, &["ca", "sign", "coreca", "missing"]).contains("no request"));
    fs::write(d.join("junk.pem"), "not a request\n").unwrap();
    let e = flock_fails(d, &["ca", "sign", "coreca", "junk.pem"]);
    assert!(e.contains("junk.pem:1:1"), "{e}");
    flock(
        d,
        &[
            "ca",
            "--key",
            "ec256",
            "user",
            "coreca",
            "sysop",
            "System Operator",
        ],
    );
    assert!(flock_fails(d, &["ca", "user", "coreca", "sysop", "X"]).contains("exists already"));
    flock(d, &["ca", "sign", "coreca", "sysop"]);
    let e = flock_fails(d, &["ca", "sign", "coreca", "sysop"]);
    assert!(e.contains("exists already"), "{e}");
    // A request from outside the CA's namespace (signing policy) is refused.
    let (ok, out) = openssl(
        d,
        &[
            "req",
            "-new",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-keyout",
            "other_key.pem",
            "-out",
            "other_req.pem",
            "-subj",
            "/O=Evil/CN=mallory",
        ],
    );
    assert!(ok, "{out}");
    let e = flock_fails(d, &["ca", "sign", "coreca", "other_req.pem"]);
    assert!(e.contains("not under the CA namespace"), "{e}");
    // An openssl-made request inside the namespace is signed, its SANs copied.
    openssl_ok(
        d,
        &[
            "req",
            "-new",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-keyout",
            "web_key.pem",
            "-out",
            "web_req.pem",
            "-subj",
            "/O=Grid/OU=Core/OU=coreca-cahost/CN=host\\/web",
            "-addext",
            "subjectAltName=DNS:web.example,IP:10.1.1.9",
        ],
    );
    flock(d, &["ca", "sign", "coreca", "web_req.pem"]);
    let t = openssl_ok(d, &["x509", "-text", "-noout", "-in", "web_cert.pem"]);
    assert!(t.contains("DNS:web.example, IP Address:10.1.1.9"), "{t}");
    // A broken CA key is named.
    fs::write(d.join("ca/coreca/private/cakey.pem"), "garbage").unwrap();
    let e = flock_fails(d, &["ca", "crl", "coreca"]);
    assert!(e.contains("cakey.pem"), "{e}");
}

#[test]
fn rsa_keys_default_to_3072_bits_and_sha256() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let t = Instant::now();
    flock(d, &["ca", "create", "rsaca"]);
    let create = t.elapsed();
    let t = Instant::now();
    flock(d, &["ca", "host", "rsaca", "core-02"]);
    flock(d, &["ca", "sign", "rsaca", "core-02"]);
    let host = t.elapsed();
    eprintln!("RSA 3072: create CA {create:?}, host key+request+sign {host:?}");
    let c = openssl_ok(
        d,
        &[
            "x509",
            "-text",
            "-noout",
            "-in",
            "ca/rsaca/grid-security/core-02_cert.pem",
        ],
    );
    assert!(c.contains("Public-Key: (3072 bit)"), "{c}");
    assert!(c.contains("sha256WithRSAEncryption"), "{c}");
    openssl_ok(
        d,
        &[
            "verify",
            "-CAfile",
            "ca/rsaca/cacert.pem",
            "ca/rsaca/grid-security/core-02_cert.pem",
        ],
    );
    openssl_ok(
        d,
        &[
            "pkey",
            "-check",
            "-noout",
            "-in",
            "ca/rsaca/private/cakey.pem",
        ],
    );
    // Another size and digest on request.
    flock(
        d,
        &[
            "ca", "--key", "rsa2048", "--digest", "sha384", "create", "ca384",
        ],
    );
    flock(d, &["ca", "--key", "rsa2048", "host", "ca384", "h"]);
    flock(d, &["ca", "sign", "ca384", "h"]);
    let c = openssl_ok(
        d,
        &[
            "x509",
            "-text",
            "-noout",
            "-in",
            "ca/ca384/grid-security/h_cert.pem",
        ],
    );
    assert!(
        c.contains("sha384WithRSAEncryption") && c.contains("(2048 bit)"),
        "{c}"
    );
    openssl_ok(
        d,
        &[
            "verify",
            "-CAfile",
            "ca/ca384/cacert.pem",
            "ca/ca384/grid-security/h_cert.pem",
        ],
    );
}

/// Kills the child (one we started) when dropped.
struct Reap(Child);
impl Drop for Reap {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn tls_handshake_with_host_cert_and_sysop_client_cert() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    grid_with_host_and_user(d);
    flock(d, &["ca", "keys", "coreca", "sysop"]);
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let g = "ca/coreca/grid-security";
    let server = Command::new("openssl")
        .args(["s_server", "-accept", &format!("127.0.0.1:{port}")])
        .args([
            "-cert",
            &format!("{g}/core-01_cert.pem"),
            "-key",
            &format!("{g}/core-01_key.pem"),
        ])
        .args([
            "-CAfile",
            "ca/coreca/cacert.pem",
            "-Verify",
            "1",
            "-verify_return_error",
        ])
        .args(["-naccept", "1"])
        .current_dir(d)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(fs::File::create(d.join("s_server.err")).unwrap())
        .spawn()
        .unwrap();
    let mut server = Reap(server);
    // s_server prints ACCEPT when it listens (a probe connection would use up -naccept 1).
    let mut sout = std::io::BufReader::new(server.0.stdout.take().unwrap());
    let mut line = String::new();
    use std::io::{BufRead, Read};
    while !line.contains("ACCEPT") {
        line.clear();
        assert!(
            sout.read_line(&mut line).unwrap() > 0,
            "s_server did not start"
        );
    }
    let mut client = Command::new("openssl")
        .args(["s_client", "-connect", &format!("127.0.0.1:{port}")])
        .args(["-CAfile", "ca/coreca/cacert.pem", "-verify_return_error"])
        .args(["-verify_hostname", "core-01"])
        .args(["-cert", "keys/sysop_cert.pem", "-key", "keys/sysop_key.pem"])
        .current_dir(d)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    client
        .stdin
        .take()
        .unwrap()
        .write_all(b"hello from sysop\n")
        .unwrap();
    std::thread::sleep(Duration::from_millis(500));
    drop(server.0.stdin.take());
    let out = client.wait_with_output().unwrap();
    let cout = String::from_utf8_lossy(&out.stdout).into_owned();
    let _ = server.0.wait();
    let mut rest = String::new();
    sout.read_to_string(&mut rest).unwrap();
    let sout = rest + &fs::read_to_string(d.join("s_server.err")).unwrap();
    assert!(
        cout.contains("Verify return code: 0 (ok)"),
        "client: {cout}"
    );
    assert!(
        cout.contains("Verified peername: core-01"),
        "client: {cout}"
    );
    assert!(
        sout.contains("depth=0 O = Grid, OU = Core, OU = coreca-cahost, CN = System Operator"),
        "server did not verify the client certificate: {sout}"
    );
    assert!(sout.contains("hello from sysop"), "server: {sout}");
}

fn vpn_ca(d: &Path) {
    flock(d, &["vpn", "--key", "ec256", "create"]);
    flock(d, &["vpn", "--key", "ec256", "server", "vpnca", "core-01"]);
    flock(d, &["vpn", "--key", "ec256", "client", "vpnca", "sysop"]);
    flock(d, &["vpn", "param", "vpnca"]);
}

#[test]
fn vpn_files_are_where_the_playbook_copies_them_from() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    vpn_ca(d);
    let k = d.join("ca/vpnca/2.0/keys");
    for f in [
        "ca.crt",
        "dh2048.pem",
        "ta.key",
        "core-01.crt",
        "core-01.key",
        "sysop.crt",
        "sysop.key",
    ] {
        assert!(k.join(f).is_file(), "{f} missing");
    }
    for f in ["ca.key", "ta.key", "core-01.key", "sysop.key"] {
        assert_eq!(mode(&k.join(f)), 0o600, "{f}");
    }
    let kd = "ca/vpnca/2.0/keys";
    let ca = format!("{kd}/ca.crt");
    openssl_ok(
        d,
        &[
            "verify",
            "-CAfile",
            &ca,
            "-purpose",
            "sslserver",
            &format!("{kd}/core-01.crt"),
        ],
    );
    openssl_ok(
        d,
        &[
            "verify",
            "-CAfile",
            &ca,
            "-purpose",
            "sslclient",
            &format!("{kd}/sysop.crt"),
        ],
    );
    let (ok, _) = openssl(
        d,
        &[
            "verify",
            "-CAfile",
            &ca,
            "-purpose",
            "sslserver",
            &format!("{kd}/sysop.crt"),
        ],
    );
    assert!(!ok, "a client certificate passes as a server");
    let s = openssl_ok(
        d,
        &[
            "x509",
            "-text",
            "-noout",
            "-in",
            &format!("{kd}/core-01.crt"),
        ],
    );
    assert_eq!(after(&s, "Netscape Cert Type"), "SSL Server", "{s}");
    assert!(s.contains("TLS Web Server Authentication"), "{s}");
    assert!(s.contains("Subject: O = flock, CN = core-01"), "{s}");
    let c = openssl_ok(
        d,
        &["x509", "-text", "-noout", "-in", &format!("{kd}/sysop.crt")],
    );
    assert_eq!(after(&c, "Netscape Cert Type"), "SSL Client", "{c}");
    assert!(c.contains("TLS Web Client Authentication"), "{c}");
    let dh = openssl_ok(
        d,
        &[
            "dhparam",
            "-check",
            "-noout",
            "-in",
            &format!("{kd}/dh2048.pem"),
        ],
    );
    assert!(dh.contains("DH parameters appear to be ok"), "{dh}");
    let ours = openssl_ok(
        d,
        &[
            "dhparam",
            "-text",
            "-noout",
            "-in",
            &format!("{kd}/dh2048.pem"),
        ],
    );
    assert!(ours.contains("ffdhe2048"), "not the RFC 7919 group: {ours}");
    flock(d, &["vpn", "dh", "vpnca", "4096"]);
    openssl_ok(
        d,
        &[
            "dhparam",
            "-check",
            "-noout",
            "-in",
            &format!("{kd}/dh4096.pem"),
        ],
    );
    let ta = fs::read_to_string(k.join("ta.key")).unwrap();
    let body: Vec<&str> = ta
        .lines()
        .skip_while(|l| !l.starts_with("-----BEGIN OpenVPN Static key V1"))
        .skip(1)
        .take_while(|l| !l.starts_with("-----END"))
        .collect();
    assert_eq!(body.len(), 16);
    assert!(body
        .iter()
        .all(|l| l.len() == 32 && l.chars().all(|c| c.is_ascii_hexdigit())));
    if Command::new("openvpn").arg("--version").output().is_ok() {
        // OpenVPN itself loads the key (and the certificates) in its crypto self-test.
        let o = Command::new("openvpn")
            .args(["--test-crypto", "--secret"])
            .arg(k.join("ta.key"))
            .args(["--cipher", "AES-256-CBC", "--verb", "1"])
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stdout));
    }
    // Configurations for Tunnelblick and the iPhone.
    let conf = flock(
        d,
        &[
            "vpn",
            "blick",
            "vpnca",
            "sysop",
            "--dir",
            "tb",
            "--remote",
            "vpn.example",
        ],
    );
    assert!(conf.trim().ends_with("tb/sysop.ovpn"));
    let ovpn = fs::read_to_string(d.join("tb/sysop.ovpn")).unwrap();
    assert!(ovpn.contains("remote vpn.example 11940") && ovpn.contains("cert sysop/client.crt"));
    assert_eq!(mode(&d.join("tb/sysop/client.key")), 0o600);
    flock(d, &["vpn", "--key", "ec256", "client", "vpnca", "iphone"]);
    flock(d, &["vpn", "iphone"]);
    let ip = d.join("ca/vpnca/iphone");
    for f in [
        "iphone.ovpn",
        "ca.crt",
        "client.crt",
        "client.key",
        "ta.key",
    ] {
        assert!(ip.join(f).is_file(), "{f}");
    }
    // Ting: hosts collected as JSON.
    fs::create_dir(d.join("hosts")).unwrap();
    fs::write(d.join("hosts/core1.json"), r#"{"ip": "192.0.2.1"}"#).unwrap();
    fs::write(d.join("hosts/core2.json"), r#"{"ip": "192.0.2.2"}"#).unwrap();
    fs::write(d.join("hosts/other.json"), r#"{"ip": "192.0.2.9"}"#).unwrap();
    flock(
        d,
        &[
            "vpn", "ting", "core?", "sysop", "--hosts", "hosts", "--dir", "tt",
        ],
    );
    let t = fs::read_to_string(d.join("tt/sysop.ovpn")).unwrap();
    assert!(
        t.contains("remote 192.0.2.1 11940\nremote 192.0.2.2 11940\nremote-random"),
        "{t}"
    );
    assert!(!t.contains("192.0.2.9"));
    // Revocation.
    flock(d, &["vpn", "revoke", "vpnca", "sysop"]);
    let crl = openssl_ok(
        d,
        &[
            "crl",
            "-in",
            &format!("{kd}/crl.pem"),
            "-text",
            "-noout",
            "-CAfile",
            &ca,
        ],
    );
    assert!(crl.contains("Serial Number: 02"), "{crl}");
    // Errors.
    assert!(flock_fails(d, &["vpn", "server", "nosuch", "x"]).contains("unknown VPN CA"));
    assert!(flock_fails(d, &["vpn", "server", "vpnca", "core-01"]).contains("exists already"));
    assert!(flock_fails(d, &["vpn", "create"]).contains("exists already"));
    assert!(flock_fails(d, &["vpn", "dh", "vpnca", "1024"]).contains("unsupported DH size"));
}

/// Two network namespaces joined by a veth pair; removed on drop.
struct Netns {
    server: String,
    client: String,
}

fn ip(args: &[&str]) {
    let o = Command::new("ip").args(args).output().expect("ip");
    assert!(
        o.status.success(),
        "ip {args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
}

impl Netns {
    fn new() -> Netns {
        let id = format!("{}{}", std::process::id(), rand_suffix());
        let n = Netns {
            server: format!("fvs{id}"),
            client: format!("fvc{id}"),
        };
        let (vs, vc) = (format!("vs{id}"), format!("vc{id}"));
        ip(&["netns", "add", &n.server]);
        ip(&["netns", "add", &n.client]);
        ip(&["link", "add", &vs, "type", "veth", "peer", "name", &vc]);
        ip(&["link", "set", &vs, "netns", &n.server]);
        ip(&["link", "set", &vc, "netns", &n.client]);
        ip(&[
            "-n",
            &n.server,
            "addr",
            "add",
            "192.168.77.1/24",
            "dev",
            &vs,
        ]);
        ip(&[
            "-n",
            &n.client,
            "addr",
            "add",
            "192.168.77.2/24",
            "dev",
            &vc,
        ]);
        for (ns, dev) in [(&n.server, &vs), (&n.client, &vc)] {
            ip(&["-n", ns, "link", "set", dev, "up"]);
            ip(&["-n", ns, "link", "set", "lo", "up"]);
        }
        n
    }
}

fn rand_suffix() -> String {
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    format!("{:x}", t % 0xfff)
}

impl Drop for Netns {
    fn drop(&mut self) {
        for ns in [&self.server, &self.client] {
            let _ = Command::new("ip").args(["netns", "del", ns]).status();
        }
    }
}

#[test]
#[cfg_attr(
    not(all(flock_root, flock_openvpn, flock_corpus)),
    ignore = "needs root, openvpn, /dev/net/tun (scripts/test.sh) and ../shared/flock-2013"
)]
fn openvpn_tunnel_with_flock_vpn_files_and_the_playbook_server_conf() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    vpn_ca(d);
    flock(
        d,
        &[
            "vpn",
            "blick",
            "vpnca",
            "sysop",
            "--dir",
            "client",
            "--remote",
            "192.168.77.1",
        ],
    );
    // /etc/openvpn as roles/vpn/openvpn.yml installs it.
    let etc = d.join("etc-openvpn");
    fs::create_dir(&etc).unwrap();
    let k = d.join("ca/vpnca/2.0/keys");
    for (from, to) in [
        ("ca.crt", "ca.crt"),
        ("dh2048.pem", "dh2048.pem"),
        ("ta.key", "ta.key"),
        ("core-01.crt", "server.crt"),
        ("core-01.key", "server.key"),
    ] {
        fs::copy(k.join(from), etc.join(to)).unwrap();
    }
    let template = corpus().join("roles/vpn/templates/etc/openvpn/server.conf.j2");
    let conf = fs::read_to_string(&template)
        .unwrap_or_else(|e| panic!("{}: {e}", template.display()))
        // The playbook's "Ubuntu fix" task.
        .replace("\ngroup nobody", "\ngroup nogroup");
    fs::write(etc.join("server.conf"), conf).unwrap();
    let net = Netns::new();
    let spawn = |ns: &str, dir: &Path, conf: &str, log: &Path| {
        Reap(
            Command::new("ip")
                .args(["netns", "exec", ns, "openvpn", "--cd"])
                .arg(dir)
                .args(["--config", conf, "--log"])
                .arg(log)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap(),
        )
    };
    let slog = d.join("server.log");
    let clog = d.join("client.log");
    let _server = spawn(&net.server, &etc, "server.conf", &slog);
    std::thread::sleep(Duration::from_millis(500));
    let _client = spawn(&net.client, &d.join("client"), "sysop.ovpn", &clog);
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let log = fs::read_to_string(&clog).unwrap_or_default();
        if log.contains("Initialization Sequence Completed") {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "no tunnel.\nclient:\n{log}\nserver:\n{}",
            fs::read_to_string(&slog).unwrap_or_default()
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    let addr = Command::new("ip")
        .args(["-n", &net.client, "-4", "addr", "show", "dev", "tun0"])
        .output()
        .unwrap();
    let addr = String::from_utf8_lossy(&addr.stdout).into_owned();
    assert!(
        addr.contains("inet 10.8.0."),
        "client tunnel address: {addr}"
    );
    let ping = Command::new("ip")
        .args([
            "netns",
            "exec",
            &net.client,
            "busybox",
            "ping",
            "-c",
            "2",
            "-W",
            "3",
            "10.8.0.1",
        ])
        .output()
        .unwrap();
    let p = String::from_utf8_lossy(&ping.stdout);
    assert!(
        ping.status.success() && p.contains("2 packets received"),
        "ping: {p}"
    );
}

#[test]
fn subject_hashes_match_openssl_on_unusual_names() {
    use x509_parser::prelude::FromDer;
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let subjects = [
        "/C=HU/O=NIIF/OU=Core/OU=Core/CN=  System    Operator  ",
        "/O=Gr\u{e9}d \u{c1}RV\u{cd}Z/CN=t\u{171}r\u{151} T\u{dc}K\u{d6}RF\u{da}R\u{d3}G\u{c9}P/emailAddress=Sysop@Example.ORG",
        "/DC=org/DC=example/CN=host\\/core-01.example.org+UID=42",
        "/CN=MiXeD\tCase",
    ];
    for (i, subj) in subjects.iter().enumerate() {
        let cert = format!("c{i}.pem");
        openssl_ok(
            d,
            &[
                "req",
                "-x509",
                "-newkey",
                "ec",
                "-pkeyopt",
                "ec_paramgen_curve:P-256",
                "-nodes",
                "-keyout",
                &format!("k{i}.pem"),
                "-out",
                &cert,
                "-days",
                "1",
                "-utf8",
                "-multivalue-rdn",
                "-subj",
                subj,
            ],
        );
        let want = openssl_ok(
            d,
            &["x509", "-hash", "-subject_hash_old", "-noout", "-in", &cert],
        );
        let pem = fs::read_to_string(d.join(&cert)).unwrap();
        let der =
            flock::ca::files::pem_decode(&pem, Some("CERTIFICATE"), Path::new(&cert)).unwrap();
        let (_, c) = x509_parser::certificate::X509Certificate::from_der(&der).unwrap();
        let got = format!(
            "{:08x}\n{:08x}\n",
            flock::ca::subject_hash(c.subject()),
            flock::ca::subject_hash_old(c.subject())
        );
        assert_eq!(got, want, "subject {subj:?}");
    }
}
