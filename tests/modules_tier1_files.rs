//! Tier-1 native file modules (`stat`, `slurp`, `fetch`, `blockinfile`, `replace`, …) on the
//! hosts of a `flock lab`, side by side with ansible-core 2.19's own modules on the same host:
//! the same results key by key, the same effect, idempotence, `--check`, `--diff`, and bad
//! arguments failing with ansible-core's message and nothing changed.

mod tier1_support;

use tier1_support::{assert_same, Bench};

#[test]
fn stat_equals_ansible_core() {
    let b = Bench::new(1);
    let h = &b.hosts[0];
    b.on(
        h,
        "mkdir -p /srv/st/dir && printf 'hello\\n' > /srv/st/f && chmod 4750 /srv/st/f && \
         ln -sfn f /srv/st/link && ln -sfn nowhere /srv/st/dangling && printf '\\0\\1' > '/srv/st/we ird$'",
    );
    let cases = [
        "path=/srv/st/f",
        "path=/srv/st/f checksum_algorithm=sha256",
        "path=/srv/st/f get_checksum=no get_mime=no get_attributes=no",
        "path=/srv/st/link",
        "path=/srv/st/link follow=yes",
        "path=/srv/st/dangling",
        "path=/srv/st/dangling follow=yes",
        "path=/srv/st/dir",
        "path='/srv/st/we ird$'",
        "path=/srv/st/missing",
        "path=/dev/null",
        "path=/srv/st/f/x",
        "path=/srv/st/f bogus=1",
        "path=/srv/st/f checksum_algorithm=crc",
        "path=/srv/st/f follow=maybe",
        "get_mime=no",
    ];
    for args in cases {
        // flock first, so reads have updated atimes before ansible-core looks.
        b.flock(h, "stat", args, &[]);
        let (theirs, ours) = b.both(h, "stat", args, &[]);
        // Python prints its set of valid booleans in hash order, different on each run.
        let cut = |v: &serde_json::Value| {
            let m = v["msg"].as_str().unwrap_or("");
            m.split("Valid booleans").next().unwrap_or("").to_string()
        };
        assert_eq!(cut(&theirs), cut(&ours), "{args}");
        assert_same(&theirs, &ours, &["msg"], args);
        assert_same(&ours, &theirs, &["changed", "failed", "msg"], args);
    }
    // --check changes nothing and still reports.
    let ours = b.flock(h, "stat", "path=/srv/st/f", &["--check"]);
    assert_eq!(ours["stat"]["mode"], "4750");
}
