//! Issue 18 item 6: files larger than one agent frame are streamed in chunks. On lab hosts a
//! multi-chunk file arrives byte-identical through the agent and through per-command sessions
//! (`FLOCK_AGENT=0`), a second run changes nothing, and no temporary file is left; an agent
//! whose controller goes away in the middle of a streamed write removes its temporary file.
//! (Peak memory is measured in a benchmark, `compat-tests/bench_copy.sh`, not here.)

mod packages_support;

use std::io::{Read, Write};
use std::process::{Command, Stdio};

use flock::agent::proto::{self, Request, Response};
use flock::lab::TestLab;
use packages_support::{on_host, playbook_with, recap, Scratch};

const FLOCK: &str = env!("CARGO_BIN_EXE_flock");

/// 3.5 chunks of bytes that are not text (every byte value, in an order no chunk repeats).
fn payload() -> Vec<u8> {
    let n = flock::connection::WRITE_CHUNK * 7 / 2 + 12_345;
    let mut x: u32 = 0x1234_5678;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            (x >> 24) as u8
        })
        .collect()
}

fn sha1(data: &[u8]) -> String {
    use sha1::Digest;
    hex::encode(sha1::Sha1::digest(data))
}

#[test]
fn multi_chunk_copies_arrive_whole_by_agent_and_by_sessions() {
    let lab = TestLab::new(2);
    let names: Vec<String> = lab.hosts().iter().map(|h| h.name.clone()).collect();
    let s = Scratch::new("stream");
    let data = payload();
    let want = sha1(&data);
    std::fs::write(s.0.join("big.bin"), &data).expect("payload");
    let inv = s.write("hosts", &lab.inventory_text());
    let pb = s.write(
        "copy.yml",
        &format!(
            "- hosts: lab\n  gather_facts: false\n  tasks:\n    - copy: src={}/big.bin dest=/root/{{{{ dest }}}} mode=0600\n",
            s.0.display()
        ),
    );
    for (setting, dest) in [
        ("FLOCK_AGENT=1", "by-agent"),
        ("FLOCK_AGENT=0", "by-session"),
    ] {
        let extra = format!("dest={dest}");
        let run = || playbook_with(&lab, &["env", setting, FLOCK], &inv, &pb, &["-e", &extra]);
        let out = run();
        assert_eq!(out.status.code(), Some(0), "{setting}");
        for h in &names {
            assert!(recap(&out.stdout, h).contains("changed=1"), "{setting} {h}");
            let got = on_host(&lab, h, &format!("sha1sum /root/{dest} | cut -d' ' -f1"));
            assert_eq!(got, want, "{setting}: {h} has the whole file");
            assert_eq!(on_host(&lab, h, &format!("stat -c %a /root/{dest}")), "600");
        }
        let again = run();
        for h in &names {
            assert!(
                recap(&again.stdout, h).contains("changed=0"),
                "{setting} {h}: second run"
            );
        }
    }
    // backup= and validate= go through a script: the file is uploaded beside the target in
    // chunks first (by the agent, or by `cat >>` sessions), and the script reads it from there.
    let pb2 = s.write(
        "backup.yml",
        &format!(
            "- hosts: lab\n  gather_facts: false\n  tasks:\n    - copy: src={}/big.bin dest=/root/{{{{ dest }}}} backup=yes validate='test -s %s'\n      register: r\n    - copy: content={{{{ r.backup_file | default('none') }}}} dest=/root/{{{{ dest }}}}.which\n",
            s.0.display()
        ),
    );
    for (setting, dest) in [
        ("FLOCK_AGENT=1", "by-agent"),
        ("FLOCK_AGENT=0", "by-session"),
    ] {
        for h in &names {
            on_host(&lab, h, &format!("echo old > /root/{dest}"));
        }
        let extra = format!("dest={dest}");
        let out = playbook_with(&lab, &["env", setting, FLOCK], &inv, &pb2, &["-e", &extra]);
        assert_eq!(out.status.code(), Some(0), "{setting} backup");
        for h in &names {
            let got = on_host(&lab, h, &format!("sha1sum /root/{dest} | cut -d' ' -f1"));
            assert_eq!(
                got, want,
                "{setting}: {h} has the whole file after backup=yes"
            );
            let backup = on_host(&lab, h, &format!("cat /root/{dest}.which"));
            assert_eq!(
                on_host(&lab, h, &format!("cat {backup}")),
                "old",
                "{setting} {h}"
            );
        }
    }
    for h in &names {
        assert_eq!(
            on_host(&lab, h, "ls -A /root | grep -c '^\\.flock\\.' || true"),
            "0",
            "{h}: no temporary file left"
        );
    }
}

/// Writes one request frame to the agent's input.
fn send(input: &mut impl Write, req: &Request, blobs: &[&[u8]]) {
    input
        .write_all(&proto::encode(req, blobs))
        .expect("write to the agent");
    input.flush().expect("flush");
}

/// Reads the agent's hello, then one answer frame.
fn answer(output: &mut impl Read) -> Response {
    let frame = flock::agent::read_frame(output)
        .expect("read")
        .expect("an answer");
    frame.parse::<Response>().expect("a response")
}

#[test]
fn an_agent_cut_off_mid_stream_leaves_no_temporary_file() {
    let dir = tempfile::tempdir().expect("dir");
    let dest = dir.path().join("dest.bin");
    let dest_s = dest.to_string_lossy().into_owned();
    let mut agent = Command::new(FLOCK)
        .arg("--flock-agent")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("start the agent");
    let mut input = agent.stdin.take().expect("stdin");
    let mut output = agent.stdout.take().expect("stdout");
    let mut hello = vec![0u8; proto::HELLO.len()];
    output.read_exact(&mut hello).expect("hello");
    assert_eq!(hello, proto::HELLO);
    let begin = Request::WriteBegin {
        path: dest_s.clone(),
        owner: None,
        group: None,
        mode: Some(0o640),
        new_mode: 0o644,
        mkdir_parent: false,
    };
    send(&mut input, &begin, &[]);
    assert!(matches!(answer(&mut output), Response::Write { rc: 0, .. }));
    let chunk = Request::WriteChunk {
        path: dest_s.clone(),
    };
    send(&mut input, &chunk, &[b"first part"]);
    assert!(matches!(answer(&mut output), Response::Write { rc: 0, .. }));
    let staged: Vec<_> = std::fs::read_dir(dir.path())
        .expect("ls")
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        staged.len(),
        1,
        "one temporary file while streaming: {staged:?}"
    );
    assert!(staged[0].starts_with(".flock."), "{staged:?}");
    // The controller goes away: the agent's input ends.
    drop(input);
    let status = agent.wait().expect("agent exits");
    assert!(status.success(), "{status:?}");
    let left: Vec<_> = std::fs::read_dir(dir.path()).expect("ls").collect();
    assert!(left.is_empty(), "nothing left: {left:?}");
    assert!(!dest.exists());
}

#[test]
fn a_streamed_write_commits_atomically_with_its_attributes() {
    let dir = tempfile::tempdir().expect("dir");
    let dest = dir.path().join("out.bin");
    let dest_s = dest.to_string_lossy().into_owned();
    std::fs::write(&dest, b"old").expect("old file");
    let mut agent = Command::new(FLOCK)
        .arg("--flock-agent")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("start the agent");
    let mut input = agent.stdin.take().expect("stdin");
    let mut output = agent.stdout.take().expect("stdout");
    let mut hello = vec![0u8; proto::HELLO.len()];
    output.read_exact(&mut hello).expect("hello");
    let path = dest_s.clone();
    send(
        &mut input,
        &Request::WriteBegin {
            path: path.clone(),
            owner: None,
            group: None,
            mode: Some(0o600),
            new_mode: 0o644,
            mkdir_parent: false,
        },
        &[],
    );
    answer(&mut output);
    for part in [&b"new "[..], b"content"] {
        send(
            &mut input,
            &Request::WriteChunk { path: path.clone() },
            &[part],
        );
        answer(&mut output);
        assert_eq!(
            std::fs::read(&dest).expect("read"),
            b"old",
            "old file until commit"
        );
    }
    send(
        &mut input,
        &Request::WriteCommit {
            path: path.clone(),
            sha1: true,
        },
        &[],
    );
    match answer(&mut output) {
        Response::Write { rc: 0, stat, .. } => {
            let stat = stat.expect("stat");
            assert_eq!(
                stat.info.sha1.as_deref(),
                Some(sha1(b"new content").as_str())
            );
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(std::fs::read(&dest).expect("read"), b"new content");
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&dest).expect("stat").permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    // A chunk for a write that is not in progress is refused.
    send(&mut input, &Request::WriteChunk { path }, &[b"x"]);
    assert!(matches!(answer(&mut output), Response::Write { rc: 1, .. }));
    drop(input);
    agent.wait().expect("exit");
}
