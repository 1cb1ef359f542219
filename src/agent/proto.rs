//! The agent's wire format, shared by both sides.
//!
//! A frame is `u32 length` (little endian, of everything after it), `u32 header length`, a JSON
//! header (a [`Request`] or a [`Response`]), then the frame's binary payloads ("blobs": stdin,
//! stdout, file contents), each as `u32 length` + bytes. JSON keeps the typed part readable and
//! versionable; blobs keep file contents out of it.

use serde::{Deserialize, Serialize};

/// Most blobs one frame may carry. Each decoded blob costs a `Vec` (24 bytes) for its 4-byte
/// length prefix, so without a cap a frame of empty blobs would take six times its own size
/// (6 GiB for a 1 GiB frame). Requests carry at most one blob; a probe's answer one per file
/// whose content was asked for.
pub const MAX_BLOBS: usize = 1 << 16;

/// The line the agent prints first, before any frame: the controller waits for it.
pub const HELLO: &[u8] = b"FLOCK-AGENT 1\n";

/// Largest frame either side accepts (1 GiB): a corrupt length fails fast.
pub const MAX_FRAME: usize = 1 << 30;

/// One path to probe.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct ProbeSpec {
    /// The path (not following a final symlink).
    pub path: String,
    /// Compute the SHA-1 of a regular file.
    pub sha1: bool,
    /// Return a regular file's content.
    pub content: bool,
}

/// What is at a path: what `stat -c '%F|%a|%u|%g|%U|%G|%s'` and `readlink` print, and
/// `sha1sum` when asked. Modules use it for every path they query.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct PathInfo {
    /// `file`, `directory`, `link`, `other`.
    pub kind: String,
    /// Permission bits with setuid/setgid/sticky.
    pub mode: u32,
    /// Numeric owner.
    pub uid: u32,
    /// Numeric group.
    pub gid: u32,
    /// Owner name (`UNKNOWN` without one, as `stat` prints).
    pub owner: String,
    /// Group name (`UNKNOWN` without one).
    pub group: String,
    /// Size in bytes (of the link itself for a symlink).
    pub size: u64,
    /// Target of a symlink.
    pub link_target: Option<String>,
    /// SHA-1 (hex) of a regular file, when asked for.
    pub sha1: Option<String>,
}

/// A probe's answer for one path: its [`PathInfo`] and what following symlinks finds.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct PathStat {
    /// What is at the path (not following a final symlink).
    #[serde(flatten)]
    pub info: PathInfo,
    /// Index of this file's content among the response's blobs, when asked for.
    pub content_blob: Option<usize>,
    /// The kind after following symlinks (`None`: a dangling link), as `test -d`/`-f`/`-e` see it.
    pub follow_kind: Option<String>,
    /// Device and inode after following symlinks, as `test A -ef B` compares them.
    pub follow_id: Option<(u64, u64)>,
}

/// A request from the controller.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Request {
    /// Run `script` with `/bin/sh -c` (LANG=C, LC_ALL=C); blob 0, when present, is its stdin.
    Exec {
        /// The script.
        script: String,
    },
    /// `lstat` (and optionally hash and read) each path.
    Probe {
        /// The paths, answered in order.
        paths: Vec<ProbeSpec>,
    },
    /// Write blob 0 to `path` atomically (temporary file in the same directory, attributes set
    /// on it, fsync, rename), keeping the old file's owner and mode unless told otherwise.
    Write {
        /// Destination.
        path: String,
        /// Owner name or uid.
        owner: Option<String>,
        /// Group name or gid.
        group: Option<String>,
        /// Permission bits.
        mode: Option<u32>,
        /// Permission bits of a file that did not exist.
        new_mode: u32,
        /// Create the parent directories first (`mkdir -p`).
        mkdir_parent: bool,
        /// Hash the written file in the answer's `stat`.
        sha1: bool,
    },
    /// Start a streamed write of `path` (files of any size in bounded memory): the
    /// temporary file beside `path` is made with its attributes, as for `Write`, and kept by
    /// the agent until `WriteCommit` or `WriteAbort` (or removed when the agent's input ends).
    WriteBegin {
        /// Destination.
        path: String,
        /// Owner name or uid.
        owner: Option<String>,
        /// Group name or gid.
        group: Option<String>,
        /// Permission bits.
        mode: Option<u32>,
        /// Permission bits of a file that did not exist.
        new_mode: u32,
        /// Create the parent directories first (`mkdir -p`).
        mkdir_parent: bool,
    },
    /// Append blob 0 to the streamed write of `path`.
    WriteChunk {
        /// Destination, as given to `WriteBegin`.
        path: String,
    },
    /// Finish the streamed write of `path`: fsync, rename over `path`, stat.
    WriteCommit {
        /// Destination, as given to `WriteBegin`.
        path: String,
        /// Hash the written file in the answer's `stat`.
        sha1: bool,
    },
    /// Drop the streamed write of `path`: its temporary file is removed.
    WriteAbort {
        /// Destination, as given to `WriteBegin`.
        path: String,
    },
    /// Collect the raw fact sections (see [`super::facts`]).
    Facts,
}

/// The agent's answer to one [`Request`].
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(tag = "r", rename_all = "snake_case")]
pub enum Response {
    /// The script's exit status (-1: killed by a signal); blobs: stdout, stderr.
    Exec {
        /// Exit status.
        rc: i32,
    },
    /// One entry per probed path, `None` where nothing exists.
    Probe {
        /// The findings, in request order.
        found: Vec<Option<PathStat>>,
    },
    /// `rc` 0 when written; otherwise `error` says why and the old file is untouched.
    Write {
        /// 0 on success, 1 on failure.
        rc: i32,
        /// The failure, worded like the shell tools' messages.
        error: String,
        /// The file after writing.
        stat: Option<Box<PathStat>>,
    },
    /// Blob 0 is the facts text.
    Facts,
    /// The request could not be handled (malformed, unknown operation).
    Error {
        /// Why.
        msg: String,
    },
}

/// A decoded frame: its header and blobs.
#[derive(Debug, Default)]
pub struct Frame {
    /// The JSON header.
    pub header: Vec<u8>,
    /// The binary payloads.
    pub blobs: Vec<Vec<u8>>,
}

/// A header value as JSON (`{}` if it can't be serialized, which our types always can).
fn header_json<T: Serialize>(header: &T) -> Vec<u8> {
    serde_json::to_vec(header).unwrap_or_else(|_| b"{}".to_vec())
}

/// Encodes a header value and blobs into one frame (length prefix included).
pub fn encode<T: Serialize>(header: &T, blobs: &[&[u8]]) -> Vec<u8> {
    let head = header_json(header);
    let body_len = 4 + head.len() + blobs.iter().map(|b| 4 + b.len()).sum::<usize>();
    let mut out = Vec::with_capacity(4 + body_len);
    out.extend_from_slice(&(body_len as u32).to_le_bytes());
    out.extend_from_slice(&(head.len() as u32).to_le_bytes());
    out.extend_from_slice(&head);
    for b in blobs {
        out.extend_from_slice(&(b.len() as u32).to_le_bytes());
        out.extend_from_slice(b);
    }
    out
}

/// The length of the frame at the start of `buf` (prefix included) once it is complete.
pub fn complete_len(buf: &[u8]) -> Option<usize> {
    let len = u32::from_le_bytes(buf.get(..4)?.try_into().ok()?) as usize;
    (buf.len() >= 4 + len).then_some(4 + len)
}

/// Decodes a frame body (after the length prefix).
pub fn decode_body(body: &[u8]) -> Result<Frame, String> {
    let mut reader = Cursor { rest: body };
    let hlen = reader.u32()?;
    let header = reader.take(hlen)?.to_vec();
    let mut blobs = Vec::new();
    while !reader.rest.is_empty() {
        if blobs.len() == MAX_BLOBS {
            return Err(format!("more than {MAX_BLOBS} blobs in a frame"));
        }
        let n = reader.u32()?;
        blobs.push(reader.take(n)?.to_vec());
    }
    Ok(Frame { header, blobs })
}

/// Reads a frame body front to back.
struct Cursor<'a> {
    rest: &'a [u8],
}

impl<'a> Cursor<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], String> {
        if self.rest.len() < n {
            return Err("truncated frame".into());
        }
        let (a, b) = self.rest.split_at(n);
        self.rest = b;
        Ok(a)
    }

    fn u32(&mut self) -> Result<usize, String> {
        let b = self.take(4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize)
    }
}

impl Frame {
    /// A frame in memory (what [`decode_body`] gives for [`encode`]'s bytes), for callers in
    /// the same process.
    pub fn new<T: Serialize>(header: &T, blobs: &[&[u8]]) -> Frame {
        Frame {
            header: header_json(header),
            blobs: blobs.iter().map(|b| b.to_vec()).collect(),
        }
    }

    /// Parses the header as `T`.
    pub fn parse<T: for<'de> Deserialize<'de>>(&self) -> Result<T, String> {
        serde_json::from_slice(&self.header).map_err(|e| format!("bad frame header: {e}"))
    }

    /// Takes blob `i` (empty when absent).
    pub fn take_blob(&mut self, i: usize) -> Vec<u8> {
        self.blobs
            .get_mut(i)
            .map(std::mem::take)
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_round_trip() {
        let req = Request::Exec {
            script: "echo hi".into(),
        };
        let bytes = encode(&req, &[b"stdin", b""]);
        assert_eq!(complete_len(&bytes), Some(bytes.len()));
        assert_eq!(complete_len(&bytes[..bytes.len() - 1]), None);
        let mut f = decode_body(&bytes[4..]).unwrap();
        assert_eq!(f.parse::<Request>().unwrap(), req);
        assert_eq!(f.blobs.len(), 2);
        assert_eq!(f.take_blob(0), b"stdin");
        assert!(decode_body(&bytes[4..bytes.len() - 2]).is_err());
        let direct = Frame::new(&req, &[b"stdin", b""]);
        let decoded = decode_body(&bytes[4..]).unwrap();
        assert_eq!(
            (direct.header, direct.blobs),
            (decoded.header, decoded.blobs)
        );
    }

    /// A body of empty blobs: `MAX_BLOBS` of them decode, one more is refused instead of
    /// costing six times the frame's size in blob headers.
    #[test]
    fn frames_of_many_empty_blobs_are_refused() {
        let body = |blobs: usize| {
            let mut b = Vec::with_capacity(4 + 4 * blobs);
            b.extend_from_slice(&0u32.to_le_bytes());
            b.resize(4 + 4 * blobs, 0);
            b
        };
        let ok = decode_body(&body(MAX_BLOBS)).unwrap();
        assert_eq!(ok.blobs.len(), MAX_BLOBS);
        let err = decode_body(&body(MAX_BLOBS + 1)).unwrap_err();
        assert!(err.contains("blobs"), "{err}");
    }
}
