//! The remote side of a connection: `flock --flock-agent`, a small server the controller starts
//! once per host (and privilege) over its SSH connection. It reads framed requests on stdin and
//! answers on stdout, doing file probes, atomic writes, command runs and fact collection natively,
//! so that a task costs one round trip on an open channel instead of an sshd session and a few
//! process spawns on the host.

pub mod facts;
mod inbox;
pub mod ops;
pub mod proto;
mod staged;

use std::io::{Read, Write};

use proto::{Frame, Request, Response};

/// The argument that makes `flock` run as the agent (checked first thing in `main`).
pub const AGENT_ARG: &str = "--flock-agent";

/// The ID of a flock binary: version, size and mtime (seconds). The controller names the agent
/// it wants by this ID; an uploaded copy keeps the size and gets the mtime.
pub fn binary_id(len: u64, mtime: i64) -> String {
    format!("{}-{len:x}-{mtime:x}", env!("CARGO_PKG_VERSION"))
}

/// Whether the running binary is the one named `id`, and safe to run: owned by root, by the
/// user running it or by the user sudo came from, and not writable by group or others.
fn is_expected_binary(id: &str) -> bool {
    use std::os::unix::fs::MetadataExt;
    let Ok(meta) = std::fs::metadata("/proc/self/exe") else {
        return false;
    };
    let uid = nix::unistd::getuid().as_raw();
    let sudo_uid = std::env::var("SUDO_UID")
        .ok()
        .and_then(|u| u.parse::<u32>().ok());
    let owner_ok = meta.uid() == 0 || meta.uid() == uid || Some(meta.uid()) == sudo_uid;
    owner_ok && meta.mode() & 0o022 == 0 && binary_id(meta.len(), meta.mtime()) == id
}

/// Runs the agent: `flock --flock-agent [ID]`. With an ID, a binary that is not the one named
/// says `FLOCK-AGENT-MISMATCH` and exits 3, so the controller uploads the right one.
pub fn main(args: &[std::ffi::OsString]) -> i32 {
    if let Some(id) = args.first().and_then(|a| a.to_str()) {
        if !is_expected_binary(id) {
            println!("FLOCK-AGENT-MISMATCH");
            return 3;
        }
    }
    serve()
}

/// Serves requests on stdin/stdout until stdin closes. Returns the process exit code. When
/// stdin closes while a command runs (the controller was interrupted or is gone), the command's
/// process group is killed first (see `inbox`).
pub fn serve() -> i32 {
    let code = serve_requests();
    // A streamed write the controller did not finish (it was cut off or interrupted) leaves
    // nothing: the temporary files are removed.
    staged::clear();
    code
}

fn serve_requests() -> i32 {
    let stdout = std::io::stdout();
    let mut output = std::io::BufWriter::new(stdout.lock());
    if output
        .write_all(proto::HELLO)
        .and_then(|_| output.flush())
        .is_err()
    {
        return 1;
    }
    let mut inbox = inbox::Inbox::start(std::io::stdin());
    while let Some(mut frame) = inbox.next_request() {
        let reply = match frame.parse::<Request>() {
            Ok(Request::Exec { script }) => {
                let stdin = (!frame.blobs.is_empty()).then(|| frame.take_blob(0));
                match inbox.exec(&script, stdin.as_deref()) {
                    Some((rc, out, err)) => proto::encode(&Response::Exec { rc }, &[&out, &err]),
                    None => return 0,
                }
            }
            _ => handle(frame),
        };
        if output
            .write_all(&reply)
            .and_then(|_| output.flush())
            .is_err()
        {
            return 1;
        }
    }
    0
}

/// Reads one frame from `input`: `None` at a clean end between frames. The body is read as it
/// arrives (never allocated from the length prefix alone), so a hostile length costs at most
/// the bytes really sent, up to [`proto::MAX_FRAME`].
pub fn read_frame(input: &mut impl Read) -> std::io::Result<Option<Frame>> {
    let mut len = [0u8; 4];
    if !read_exact_or_eof(input, &mut len)? {
        return Ok(None);
    }
    let len = u32::from_le_bytes(len) as usize;
    if len > proto::MAX_FRAME {
        return Err(std::io::Error::other("frame too large"));
    }
    let mut body = Vec::with_capacity(len.min(1 << 16));
    input.take(len as u64).read_to_end(&mut body)?;
    if body.len() != len {
        return Err(std::io::Error::new(
            std::io::ErrorKind::UnexpectedEof,
            "the frame ended early",
        ));
    }
    proto::decode_body(&body)
        .map(Some)
        .map_err(std::io::Error::other)
}

/// Fills `buf` from `r`; `false` when `r` ended before the first byte (a clean end between
/// frames), an error when it ended part-way.
fn read_exact_or_eof(r: &mut impl Read, buf: &mut [u8]) -> std::io::Result<bool> {
    let mut filled = 0;
    while filled < buf.len() {
        match r.read(&mut buf[filled..])? {
            0 if filled == 0 => return Ok(false),
            0 => return Err(std::io::ErrorKind::UnexpectedEof.into()),
            n => filled += n,
        }
    }
    Ok(true)
}

/// The `Write` answer for `done`; with `stat_of`, the written file's stat (and SHA-1).
fn write_answer(done: Result<(), String>, stat_of: Option<(String, bool)>) -> Vec<u8> {
    let (rc, error, stat) = match done {
        Ok(()) => {
            let stat = stat_of.and_then(|(path, sha1)| {
                let spec = proto::ProbeSpec {
                    path,
                    sha1,
                    content: false,
                };
                ops::probe(&[spec], &mut Vec::new())
                    .pop()
                    .flatten()
                    .map(Box::new)
            });
            (0, String::new(), stat)
        }
        Err(e) => (1, e, None),
    };
    proto::encode(&Response::Write { rc, error, stat }, &[])
}

/// Handles one request frame; returns the encoded response frame.
pub fn handle(mut frame: Frame) -> Vec<u8> {
    let req: Request = match frame.parse() {
        Ok(r) => r,
        Err(msg) => return proto::encode(&Response::Error { msg }, &[]),
    };
    match req {
        Request::Exec { script } => {
            let stdin = (!frame.blobs.is_empty()).then(|| frame.take_blob(0));
            let (rc, out, err) = ops::exec(&script, stdin.as_deref());
            proto::encode(&Response::Exec { rc }, &[&out, &err])
        }
        Request::Probe { paths } => {
            let mut blobs = Vec::new();
            let found = ops::probe(&paths, &mut blobs);
            let refs: Vec<&[u8]> = blobs.iter().map(Vec::as_slice).collect();
            proto::encode(&Response::Probe { found }, &refs)
        }
        Request::Write {
            path,
            owner,
            group,
            mode,
            new_mode,
            mkdir_parent,
            sha1,
        } => {
            let attrs = ops::WriteAttrs {
                owner: owner.as_deref(),
                group: group.as_deref(),
                mode,
                new_mode,
            };
            let written = if mkdir_parent {
                ops::mkdir_parent(&path)
            } else {
                Ok(())
            }
            .and_then(|()| ops::write_atomic(&path, &frame.take_blob(0), &attrs));
            write_answer(written, Some((path, sha1)))
        }
        Request::WriteBegin {
            path,
            owner,
            group,
            mode,
            new_mode,
            mkdir_parent,
        } => {
            let attrs = ops::WriteAttrs {
                owner: owner.as_deref(),
                group: group.as_deref(),
                mode,
                new_mode,
            };
            let begun = if mkdir_parent {
                ops::mkdir_parent(&path)
            } else {
                Ok(())
            }
            .and_then(|()| staged::begin(&path, &attrs));
            write_answer(begun, None)
        }
        Request::WriteChunk { path } => {
            write_answer(staged::append(&path, &frame.take_blob(0)), None)
        }
        Request::WriteCommit { path, sha1 } => {
            let done = staged::commit(&path);
            write_answer(done, Some((path, sha1)))
        }
        Request::WriteAbort { path } => {
            staged::abort(&path);
            write_answer(Ok(()), None)
        }
        Request::Facts => {
            let text = facts::collect();
            proto::encode(&Response::Facts, &[text.as_bytes()])
        }
    }
}
