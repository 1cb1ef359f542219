//! `jockey http`: a small HTTP/1.1 server for `space/boot` (what the original ran nginx for).
//!
//! GET and HEAD of files (streamed) and directory listings; one request per connection; every
//! request is logged as `time peer "METHOD /path HTTP/1.1" status bytes`. Paths never leave the
//! root: `..` components are refused.

use std::net::SocketAddr;
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use super::{JockeyError, Result};

/// Where request log lines go.
pub type Logger = Arc<dyn Fn(&str) + Send + Sync>;

const MAX_HEAD: usize = 16 * 1024;

/// Serves `root` on `listener` until the task is dropped or the listener fails.
pub async fn serve(listener: TcpListener, root: PathBuf, log: Logger) -> std::io::Result<()> {
    let root = Arc::new(root);
    loop {
        let (stream, peer) = listener.accept().await?;
        let root = Arc::clone(&root);
        let log = Arc::clone(&log);
        tokio::spawn(async move {
            if let Some(line) = handle(stream, peer, &root).await {
                log(&line);
            }
        });
    }
}

/// Runs the server on `listen` in the foreground until Ctrl-C or SIGTERM (the `http` command).
pub fn run(root: &Path, listen: SocketAddr) -> Result<()> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| JockeyError::io(root, e))?;
    let root = root.to_path_buf();
    rt.block_on(async move {
        let listener = TcpListener::bind(listen)
            .await
            .map_err(|e| JockeyError::Program {
                program: "jockey http".into(),
                msg: format!("cannot listen on {listen}: {e}"),
            })?;
        println!(
            "HTTP server started on {listen}, serving {}",
            root.display()
        );
        println!("Press Ctrl+C to exit");
        let log: Logger = Arc::new(|l: &str| println!("{l}"));
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .map_err(|e| JockeyError::io(&root, e))?;
        tokio::select! {
            r = serve(listener, root.clone(), log) => r.map_err(|e| JockeyError::io(&root, e)),
            _ = tokio::signal::ctrl_c() => Ok(()),
            _ = term.recv() => Ok(()),
        }
    })
}

/// Handles one connection; returns its log line.
async fn handle(mut stream: TcpStream, peer: SocketAddr, root: &Path) -> Option<String> {
    let mut head = Vec::with_capacity(1024);
    let mut buf = [0u8; 2048];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") && !head.windows(2).any(|w| w == b"\n\n") {
        let n = stream.read(&mut buf).await.ok()?;
        if n == 0 {
            return None;
        }
        head.extend_from_slice(&buf[..n]);
        if head.len() > MAX_HEAD {
            break;
        }
    }
    let text = String::from_utf8_lossy(&head);
    let request_line = text.lines().next().unwrap_or("").trim().to_string();
    let mut parts = request_line.split_whitespace();
    let (method, target) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    let (status, bytes) = respond(&mut stream, method, target, root).await;
    let _ = stream.shutdown().await;
    let now = time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default();
    Some(format!("{now} {peer} \"{request_line}\" {status} {bytes}"))
}

async fn respond(stream: &mut TcpStream, method: &str, target: &str, root: &Path) -> (u16, u64) {
    let head_only = method == "HEAD";
    if method != "GET" && !head_only {
        return simple(stream, 405, "Method Not Allowed", head_only).await;
    }
    let path_part = target.split(['?', '#']).next().unwrap_or("");
    let Some(rel) = decode_path(path_part) else {
        return simple(stream, 400, "Bad Request", head_only).await;
    };
    let full = root.join(&rel);
    let meta = match tokio::fs::metadata(&full).await {
        Ok(m) => m,
        Err(_) => return simple(stream, 404, "Not Found", head_only).await,
    };
    if meta.is_dir() {
        if !path_part.ends_with('/') {
            let head = format!(
                "HTTP/1.1 301 Moved Permanently\r\nLocation: {path_part}/\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            );
            let _ = stream.write_all(head.as_bytes()).await;
            return (301, 0);
        }
        let body = listing(&full, path_part).await;
        return send(
            stream,
            200,
            "text/html; charset=utf-8",
            body.as_bytes(),
            head_only,
        )
        .await;
    }
    let mut file = match tokio::fs::File::open(&full).await {
        Ok(f) => f,
        Err(_) => return simple(stream, 403, "Forbidden", head_only).await,
    };
    let len = meta.len();
    let head = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: {}\r\nContent-Length: {len}\r\nConnection: close\r\nServer: jockey\r\n\r\n",
        content_type(&full)
    );
    if stream.write_all(head.as_bytes()).await.is_err() {
        return (200, 0);
    }
    if head_only {
        return (200, 0);
    }
    let sent = tokio::io::copy(&mut file, stream).await.unwrap_or(0);
    (200, sent)
}

async fn simple(stream: &mut TcpStream, status: u16, reason: &str, head_only: bool) -> (u16, u64) {
    let body = format!("{status} {reason}\n");
    send(
        stream,
        status,
        "text/plain; charset=utf-8",
        body.as_bytes(),
        head_only,
    )
    .await
}

async fn send(
    stream: &mut TcpStream,
    status: u16,
    ctype: &str,
    body: &[u8],
    head_only: bool,
) -> (u16, u64) {
    let reason = match status {
        200 => "OK",
        400 => "Bad Request",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        _ => "",
    };
    let head = format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Type: {ctype}\r\nContent-Length: {}\r\nConnection: close\r\nServer: jockey\r\n\r\n",
        body.len()
    );
    if stream.write_all(head.as_bytes()).await.is_err() || head_only {
        return (status, 0);
    }
    match stream.write_all(body).await {
        Ok(()) => (status, body.len() as u64),
        Err(_) => (status, 0),
    }
}

/// `/a%20b/c.ks` → `a b/c.ks`; `None` for `..`, NUL or bad escapes.
fn decode_path(target: &str) -> Option<PathBuf> {
    let bytes = target.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    let s = String::from_utf8(out).ok()?;
    if s.contains('\0') || !s.starts_with('/') {
        return None;
    }
    let rel = PathBuf::from(s.trim_start_matches('/'));
    rel.components()
        .all(|c| matches!(c, Component::Normal(_) | Component::CurDir))
        .then_some(rel)
}

async fn listing(dir: &Path, url: &str) -> String {
    let mut names = Vec::new();
    if let Ok(mut rd) = tokio::fs::read_dir(dir).await {
        while let Ok(Some(e)) = rd.next_entry().await {
            let mut name = e.file_name().to_string_lossy().into_owned();
            if e.file_type().await.map(|t| t.is_dir()).unwrap_or(false) {
                name.push('/');
            }
            names.push(name);
        }
    }
    names.sort();
    let esc = |s: &str| {
        s.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
            .replace('"', "&quot;")
    };
    let mut body = format!(
        "<html><head><title>Index of {0}</title></head><body><h1>Index of {0}</h1><hr><pre>\n<a href=\"../\">../</a>\n",
        esc(url)
    );
    for n in names {
        body.push_str(&format!("<a href=\"{0}\">{0}</a>\n", esc(&n)));
    }
    body.push_str("</pre><hr></body></html>\n");
    body
}

fn content_type(path: &Path) -> &'static str {
    match path.extension().and_then(|e| e.to_str()) {
        Some("ks" | "cfg" | "txt" | "seed" | "pass" | "md") => "text/plain; charset=utf-8",
        Some("xml") => "text/xml",
        Some("html" | "htm") => "text/html",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_stay_inside_the_root() {
        assert_eq!(decode_path("/a%20b/c.ks"), Some(PathBuf::from("a b/c.ks")));
        assert_eq!(decode_path("/"), Some(PathBuf::from("")));
        assert_eq!(decode_path("/../etc/passwd"), None);
        assert_eq!(decode_path("/a/%2e%2e/%2e%2e/x"), None);
        assert_eq!(decode_path("/a%00"), None);
        assert_eq!(decode_path("/a%zz"), None);
        assert_eq!(decode_path("http://x/y"), None);
    }

    #[tokio::test]
    async fn serves_files_listings_and_refuses_escapes() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("boot");
        std::fs::create_dir_all(root.join("pxelinux.cfg")).unwrap();
        let body: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
        std::fs::write(root.join("big.img"), &body).unwrap();
        std::fs::write(dir.path().join("secret.pass"), "x").unwrap();
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let lines = Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
        let sink = Arc::clone(&lines);
        let log: Logger = Arc::new(move |l: &str| sink.lock().unwrap().push(l.to_string()));
        let server = tokio::spawn(serve(listener, root, log));

        let get = |req: String| async move {
            let mut s = TcpStream::connect(addr).await.unwrap();
            s.write_all(req.as_bytes()).await.unwrap();
            let mut out = Vec::new();
            s.read_to_end(&mut out).await.unwrap();
            out
        };
        let resp = get("GET /big.img HTTP/1.1\r\nHost: x\r\n\r\n".into()).await;
        let split = resp.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
        let head = String::from_utf8_lossy(&resp[..split]).to_string();
        assert!(head.starts_with("HTTP/1.1 200 OK\r\n"), "{head}");
        assert!(head.contains("Content-Length: 200000\r\n"), "{head}");
        assert_eq!(&resp[split..], &body[..]);

        let resp = get("GET / HTTP/1.0\r\n\r\n".into()).await;
        let text = String::from_utf8_lossy(&resp);
        assert!(
            text.contains("<a href=\"pxelinux.cfg/\">") && text.contains("big.img"),
            "{text}"
        );

        for bad in ["/../secret.pass", "/%2e%2e/secret.pass"] {
            let resp = get(format!("GET {bad} HTTP/1.1\r\n\r\n")).await;
            assert!(
                resp.starts_with(b"HTTP/1.1 400"),
                "{}",
                String::from_utf8_lossy(&resp)
            );
        }
        let resp = get("GET /nope HTTP/1.1\r\n\r\n".into()).await;
        assert!(resp.starts_with(b"HTTP/1.1 404"));
        let resp = get("POST /big.img HTTP/1.1\r\n\r\n".into()).await;
        assert!(resp.starts_with(b"HTTP/1.1 405"));

        // Each request was logged once, with status and bytes.
        for _ in 0..50 {
            if lines.lock().unwrap().len() == 6 {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        let lines = lines.lock().unwrap().clone();
        assert_eq!(lines.len(), 6, "{lines:?}");
        assert!(
            lines
                .iter()
                .any(|l| l.ends_with("\"GET /big.img HTTP/1.1\" 200 200000")),
            "{lines:?}"
        );
        server.abort();
    }
}
