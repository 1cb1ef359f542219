//! Every template of the 2013 corpus rendered for 3 hosts, compared byte for byte (MD5) with
//! real Ansible 1.2's `template_from_file` on the same variables
//! (goldens: `tests/golden/templates/corpus.tsv`, made by `compat-tests/template_oracle.py`).

mod loader_support;
mod template_support;

use std::collections::BTreeMap;

use md5::{Digest, Md5};
use template_support::{corpus_templates, host_vars, CorpusHostVars, HOSTS};

#[test]
#[cfg_attr(
    not(flock_corpus),
    ignore = "needs ../shared/flock-2013 beside the checkout"
)]
fn corpus_templates_match_ansible12() {
    let (_tmp, root) = loader_support::restored_corpus();
    let golden_text = include_str!("golden/templates/corpus.tsv");
    let mut golden: BTreeMap<(String, String), (String, String)> = BTreeMap::new();
    for line in golden_text.lines() {
        let f: Vec<&str> = line.split('\t').collect();
        golden.insert((f[0].into(), f[1].into()), (f[2].into(), f[3].into()));
    }
    let templar = flock::template::Templar::new();
    let hostvars = CorpusHostVars::new(&root);
    let (mut identical, mut differing, mut both_reject, mut only_one) = (0, 0, 0, 0);
    let mut report = Vec::new();
    for (rel, basedir, src) in corpus_templates(&root) {
        for host in HOSTS {
            let vars = host_vars(&root, &basedir, host, &hostvars);
            let ctx = flock::template::TemplateContext::new(
                &vars,
                &basedir,
                flock::template::Dialect::Legacy12,
                Some(hostvars.clone()),
            );
            let ours = templar.render_file(std::path::Path::new(&src), &ctx);
            let key = (rel.clone(), host.to_string());
            let Some((status, md5)) = golden.get(&key) else {
                panic!("no golden for {rel} on {host}: regenerate with compat-tests/template_oracle.py");
            };
            match (&ours, status.as_str()) {
                (Ok(r), "ok") => {
                    let ours_md5 = hex::encode(Md5::digest(r.text.as_bytes()));
                    if &ours_md5 == md5 {
                        identical += 1;
                    } else {
                        differing += 1;
                        report.push(format!("DIFFERS {rel} {host}:\n{}", r.text));
                    }
                }
                (Err(_), "error") => both_reject += 1,
                (Ok(_), _) => {
                    only_one += 1;
                    report.push(format!("1.2 rejects, flock renders: {rel} {host}"));
                }
                (Err(e), _) => {
                    only_one += 1;
                    report.push(format!("flock rejects, 1.2 renders: {rel} {host}: {e}"));
                }
            }
        }
    }
    let total = identical + differing + both_reject + only_one;
    eprintln!(
        "templates x hosts: {total}: identical {identical}, differing {differing}, both reject {both_reject}, one side rejects {only_one}"
    );
    assert_eq!(total, golden.len(), "every golden row rendered");
    assert!(report.is_empty(), "{}", report.join("\n"));
}
