//! Round-trip time of commands over one SSH connection to a private sshd on 127.0.0.1:
//! 200 sequential `true` execs, then 200 concurrent ones (at most 10 channels at a time, the
//! server's MaxSessions), 16 MiB through stdin, the connect time and `setup` fact gathering.
//! Logs in as a temporary user whose shell is /bin/sh: root's login shell may read a slow
//! ~/.bashrc for every command (bash does so when started by sshd), which would be measured
//! instead of the transport. Only prints. Run (as root, openssh-server installed):
//! `cargo bench --bench ssh_exec`.

#[path = "../tests/ssh_support/mod.rs"]
mod ssh_support;

use std::sync::Arc;
use std::time::{Duration, Instant};

use flock::connection::Connection;
use flock::modules::system::setup::gather_facts;
use flock::modules::Remote;

fn stats(name: &str, mut d: Vec<Duration>, wall: Duration) {
    d.sort();
    let n = d.len();
    let ms = |x: Duration| x.as_secs_f64() * 1000.0;
    let mean = d.iter().map(|x| ms(*x)).sum::<f64>() / n as f64;
    println!(
        "{name:<28} n={n:<4} wall {:>8.1} ms  mean {mean:>6.2} ms  p50 {:>6.2} ms  p90 {:>6.2} ms  p99 {:>6.2} ms  max {:>6.2} ms",
        ms(wall),
        ms(d[n / 2]),
        ms(d[n * 9 / 10]),
        ms(d[(n * 99 / 100).min(n - 1)]),
        ms(d[n - 1]),
    );
}

fn main() {
    if !std::path::Path::new(ssh_support::SSHD).exists() {
        eprintln!(
            "ssh_exec: {} is missing (openssh-server); nothing measured",
            ssh_support::SSHD
        );
        return;
    }
    let sshd = ssh_support::Sshd::start();
    let user = ssh_support::TempUser::new();
    let mut spec = sshd.spec();
    spec.user = user.name.clone();
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    rt.block_on(async {
        let t = Instant::now();
        let conn = Arc::new(Connection::open(&spec).await.expect("connect"));
        println!(
            "connect + auth (ed25519)     {:.1} ms",
            t.elapsed().as_secs_f64() * 1000.0
        );
        for _ in 0..5 {
            conn.exec("true", None, None).await.expect("warm-up");
        }
        let wall = Instant::now();
        let mut times = Vec::new();
        for _ in 0..200 {
            let t = Instant::now();
            let out = conn.exec("true", None, None).await.expect("exec");
            assert_eq!(out.rc, 0);
            times.push(t.elapsed());
        }
        stats("200 sequential `true`", times, wall.elapsed());

        let wall = Instant::now();
        let tasks: Vec<_> = (0..200)
            .map(|_| {
                let c = conn.clone();
                tokio::spawn(async move {
                    let t = Instant::now();
                    c.exec("true", None, None).await.expect("exec");
                    t.elapsed()
                })
            })
            .collect();
        let mut times = Vec::new();
        for t in tasks {
            times.push(t.await.expect("join"));
        }
        stats("200 concurrent `true`", times, wall.elapsed());

        let data = vec![7u8; 16 << 20];
        let t = Instant::now();
        let out = conn.exec("wc -c", None, Some(&data)).await.expect("exec");
        let el = t.elapsed();
        assert_eq!(out.stdout_str().trim(), (16u64 << 20).to_string());
        println!(
            "16 MiB through stdin         {:.1} ms ({:.0} MiB/s)",
            el.as_secs_f64() * 1000.0,
            16.0 / el.as_secs_f64()
        );

        let t = Instant::now();
        let out = conn
            .exec("head -c 16777216 /dev/zero", None, None)
            .await
            .expect("exec");
        let el = t.elapsed();
        assert_eq!(out.stdout.len(), 16 << 20);
        println!(
            "16 MiB from stdout           {:.1} ms ({:.0} MiB/s)",
            el.as_secs_f64() * 1000.0,
            16.0 / el.as_secs_f64()
        );

        let remote = Remote::new(&conn, None);
        let mut times = Vec::new();
        let wall = Instant::now();
        for _ in 0..10 {
            let t = Instant::now();
            let facts = gather_facts(&remote, "*")
                .await
                .expect("ssh")
                .expect("facts");
            assert!(facts.contains_key("ansible_hostname"));
            times.push(t.elapsed());
        }
        stats("setup (facts)", times, wall.elapsed());
    });
}
