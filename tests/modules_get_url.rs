//! `get_url` on this machine against an HTTP server the test runs on 127.0.0.1: download to a
//! file and into a directory, `force`, checksums, 404, `--check`, and the request count that
//! shows when the host did not download at all.

mod modules_support;

use std::fs;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use modules_support::{mode_of, Harness};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// Serves `/pkg.rpm` (body changes when `version` changes) and 404 for the rest.
async fn serve() -> (String, Arc<AtomicUsize>, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let hits = Arc::new(AtomicUsize::new(0));
    let version = Arc::new(AtomicUsize::new(1));
    let (h2, v2) = (hits.clone(), version.clone());
    tokio::spawn(async move {
        loop {
            let Ok((mut sock, _)) = listener.accept().await else {
                return;
            };
            let hits = h2.clone();
            let version = v2.clone();
            tokio::spawn(async move {
                let mut buf = vec![0u8; 4096];
                let n = sock.read(&mut buf).await.unwrap_or(0);
                let req = String::from_utf8_lossy(&buf[..n]).to_string();
                hits.fetch_add(1, Ordering::SeqCst);
                let path = req.split_whitespace().nth(1).unwrap_or("/").to_string();
                let (status, body) = if path == "/dir/pkg.rpm" {
                    (
                        "200 OK",
                        format!("package v{} $x `y`\n", version.load(Ordering::SeqCst)),
                    )
                } else {
                    ("404 Not Found", "nope".to_string())
                };
                let resp = format!(
                    "HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = sock.write_all(resp.as_bytes()).await;
                let _ = sock.shutdown().await;
            });
        }
    });
    (base, hits, version)
}

fn sha256_hex(data: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(data))
}

#[tokio::test]
async fn downloads_like_12() {
    let h = Harness::new().await;
    let (base, hits, version) = serve().await;
    let url = format!("{base}/dir/pkg.rpm");
    let dest = h.p("pkg.rpm");
    // --check: reports the change, writes nothing.
    let r = h
        .kv("get_url", &format!("url={url} dest={dest}"), true, false)
        .await;
    assert!(r.changed && !r.failed, "{:?}", r.to_map());
    assert!(!h.path("pkg.rpm").exists());
    let r = h
        .ok("get_url", &format!("url={url} dest={dest} mode=0600"))
        .await;
    assert!(r.changed);
    assert_eq!(fs::read_to_string(&dest).unwrap(), "package v1 $x `y`\n");
    assert_eq!(mode_of(&h.path("pkg.rpm")), 0o600);
    assert_eq!(r.data["status_code"], 200);
    // force=no (1.2's default): an existing file is not fetched again.
    let n = hits.load(Ordering::SeqCst);
    version.store(2, Ordering::SeqCst);
    let r = h.ok("get_url", &format!("url={url} dest={dest}")).await;
    assert!(!r.changed);
    assert_eq!(r.msg.as_deref(), Some("file already exists"));
    assert_eq!(
        hits.load(Ordering::SeqCst),
        n,
        "downloaded although the file exists"
    );
    // force=yes: new content replaces it; the same content again is ok.
    let r = h
        .ok("get_url", &format!("url={url} dest={dest} force=yes"))
        .await;
    assert!(r.changed);
    assert_eq!(fs::read_to_string(&dest).unwrap(), "package v2 $x `y`\n");
    assert_eq!(mode_of(&h.path("pkg.rpm")), 0o600, "mode not kept");
    assert!(
        !h.ok("get_url", &format!("url={url} dest={dest} force=yes"))
            .await
            .changed
    );
    // A directory destination takes the URL's file name.
    fs::create_dir(h.path("d")).unwrap();
    let r = h
        .ok("get_url", &format!("url={url} dest={}", h.p("d")))
        .await;
    assert!(r.changed);
    assert_eq!(r.data["dest"], h.p("d/pkg.rpm"));
    assert_eq!(
        fs::read_to_string(h.path("d/pkg.rpm")).unwrap(),
        "package v2 $x `y`\n"
    );
    // Checksums: a wrong one fails and leaves no file; the right one is ok without a download.
    let good = sha256_hex(b"package v2 $x `y`\n");
    let other = h.p("other.rpm");
    let r = h
        .kv(
            "get_url",
            &format!("url={url} dest={other} sha256sum={}", "0".repeat(64)),
            false,
            false,
        )
        .await;
    assert!(r.failed);
    assert!(r.msg.unwrap().contains(&format!("it was {good}")));
    assert!(!h.path("other.rpm").exists());
    assert_eq!(
        fs::read_dir(h.dir.path()).unwrap().count(),
        2,
        "temp file left"
    );
    let r = h
        .ok(
            "get_url",
            &format!("url={url} dest={other} checksum=sha256:{good}"),
        )
        .await;
    assert!(r.changed);
    let n = hits.load(Ordering::SeqCst);
    let r = h
        .ok(
            "get_url",
            &format!("url={url} dest={other} checksum=sha256:{good} force=yes"),
        )
        .await;
    assert!(!r.changed);
    assert_eq!(
        hits.load(Ordering::SeqCst),
        n,
        "checksum matched but downloaded"
    );
    // A destination name full of shell metacharacters.
    let nasty = h.p(modules_support::NASTY);
    let args = modules_support::map(&[
        ("url", flock::value::Value::String(url.clone())),
        ("dest", flock::value::Value::String(nasty.clone())),
    ]);
    assert!(
        h.map("get_url", args.clone(), None, false, false)
            .await
            .changed
    );
    assert_eq!(fs::read_to_string(&nasty).unwrap(), "package v2 $x `y`\n");
    assert!(!h.map("get_url", args, None, false, false).await.changed);
    // 404: Request failed with the status, nothing written.
    let r = h
        .kv(
            "get_url",
            &format!("url={base}/missing dest={}", h.p("m")),
            false,
            false,
        )
        .await;
    assert!(r.failed);
    assert_eq!(r.msg.as_deref(), Some("Request failed"));
    assert_eq!(r.data["status_code"], 404);
    assert!(!h.path("m").exists());
}
