//! Streamed writes through the host's agent: a file of any size goes as `WriteBegin`, one
//! `WriteChunk` per [`CHUNK`] bytes, `WriteCommit`, on one agent held for the whole sequence,
//! so the controller holds one chunk per host at a time (issue 18 item 6), whatever the
//! file's size and the number of hosts.

use std::io::Read;
use std::path::Path;

use crate::agent::proto::{Frame, Request, Response};

/// Bytes per `WriteChunk` frame.
pub const CHUNK: usize = 1 << 20;

/// What a streamed write sends.
#[derive(Clone, Copy, Debug)]
pub enum WriteSource<'a> {
    /// Bytes already in memory (a rendered template, `content=`), sent a chunk at a time.
    Bytes(&'a [u8]),
    /// A controller file, read a chunk at a time.
    File(&'a Path),
}

/// Reads a [`WriteSource`] a chunk at a time.
pub(super) enum Chunks<'a> {
    Bytes(&'a [u8]),
    File(std::fs::File),
}

impl<'a> Chunks<'a> {
    pub(super) fn open(source: WriteSource<'a>) -> std::io::Result<Self> {
        Ok(match source {
            WriteSource::Bytes(b) => Chunks::Bytes(b),
            WriteSource::File(p) => Chunks::File(std::fs::File::open(p)?),
        })
    }

    /// Fills `buf` with the next chunk (at most [`CHUNK`] bytes); empty at the end.
    pub(super) fn next_into(&mut self, buf: &mut Vec<u8>) -> std::io::Result<()> {
        buf.clear();
        match self {
            Chunks::Bytes(rest) => {
                let n = rest.len().min(CHUNK);
                buf.extend_from_slice(&rest[..n]);
                *rest = &rest[n..];
            }
            Chunks::File(f) => {
                f.by_ref().take(CHUNK as u64).read_to_end(buf)?;
            }
        }
        Ok(())
    }
}

/// One request/answer exchange with an agent (a channel on a host, or in process).
pub(super) trait AgentCalls {
    /// Sends `req` with `blobs`, returns the answer frame; `Err` when the agent is gone.
    async fn call(&mut self, req: &Request, blobs: &[&[u8]]) -> Result<Frame, String>;
}

/// `rc` 0 in a `Write` answer.
fn succeeded(frame: &Frame) -> bool {
    matches!(frame.parse::<Response>(), Ok(Response::Write { rc: 0, .. }))
}

/// The `Write` answer of a failure on the controller's side (the source could not be read).
fn failure(error: String) -> Frame {
    Frame::new(
        &Response::Write {
            rc: 1,
            error,
            stat: None,
        },
        &[],
    )
}

/// Runs the whole sequence; the answer is the commit's (`Write` with the new file's stat) or
/// the first failing step's. A failure after `WriteBegin` aborts the write on the host.
pub(super) async fn write_stream(
    agent: &mut impl AgentCalls,
    begin: &Request,
    path: &str,
    source: WriteSource<'_>,
    sha1: bool,
) -> Result<Frame, String> {
    let mut chunks = match Chunks::open(source) {
        Ok(c) => c,
        Err(e) => return Ok(failure(format!("read error: {e}"))),
    };
    let answer = agent.call(begin, &[]).await?;
    if !succeeded(&answer) {
        return Ok(answer);
    }
    let mut buf = Vec::with_capacity(CHUNK);
    loop {
        if let Err(e) = chunks.next_into(&mut buf) {
            let abort = Request::WriteAbort { path: path.into() };
            agent.call(&abort, &[]).await?;
            return Ok(failure(format!("read error: {e}")));
        }
        if buf.is_empty() {
            break;
        }
        let chunk = Request::WriteChunk { path: path.into() };
        let answer = agent.call(&chunk, &[&buf]).await?;
        if !succeeded(&answer) {
            return Ok(answer);
        }
    }
    let commit = Request::WriteCommit {
        path: path.into(),
        sha1,
    };
    agent.call(&commit, &[]).await
}

/// The in-process agent of a local connection.
pub(super) struct InProcess;

impl AgentCalls for InProcess {
    async fn call(&mut self, req: &Request, blobs: &[&[u8]]) -> Result<Frame, String> {
        let out = crate::agent::handle(Frame::new(req, blobs));
        crate::agent::proto::decode_body(&out[4..])
    }
}
