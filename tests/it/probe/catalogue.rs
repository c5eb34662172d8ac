//! The catalogue as a whole: every key answers on the live host, every key
//! is exercised by a test, and the documented example is a real snapshot.

use super::host_facts;
use crate::support;
use crate::{Body, Test};
use bwrap_doctor_engine::facts::{Obs, SNAPSHOT_SCHEMA, SNAPSHOT_VERSION, Snapshot};
use bwrap_doctor_engine::probe::{self, CATALOGUE, Host};

pub fn tests() -> Vec<Test> {
    tests![
        Once catalogue_has_no_probe_left_unwritten_on_the_live_host,
        Once catalogue_every_key_is_exercised_by_a_probe_test,
        Once snapshot_of_the_live_host_records_every_key,
        Once snapshot_example_json_is_a_complete_snapshot,
        Once snapshot_doc_lists_every_catalogue_key,
    ]
}

/// An argument to try for each family.
fn sample(key: &str) -> String {
    let arg = match key {
        "sysctl." => "user.max_user_namespaces",
        "path.exists:" | "path.first_symlink:" | "path.fstype:" => "/var/run/dbus",
        "args.has:" => "--unshare-net",
        "args.bind_to:" | "args.bind_from:" | "args.covers:" | "args.shows:" | "path.mount:" => {
            "/tmp"
        }
        "args.covers_interpreter:" => "/bin/sh",
        "args.option_since:" | "bwrap.knows_option:" => "--argv0",
        "file.interpreter:" | "file.format:" | "file.seen_foreign:" => "/bin/sh",
        _ => "",
    };
    format!("{key}{arg}")
}

fn catalogue_has_no_probe_left_unwritten_on_the_live_host() {
    let bwrap = support::real_bwrap().to_str().unwrap().to_string();
    let f = host_facts(
        Host::live(),
        Some(&bwrap),
        Some(&["--unshare-all", "--bind", "/tmp", "/tmp", "true"]),
    );
    for p in CATALOGUE {
        let key = sample(p.key);
        match f.get(&key) {
            Obs::Unavailable(why) => {
                assert!(!why.contains("not written yet"), "{key}: {why}");
                assert!(!why.contains("no probe named"), "{key}: {why}");
            }
            Obs::Seen(_) | Obs::Absent => {}
        }
    }
}

/// Every catalogue key appears, quoted, in the probe tests' sources.
fn catalogue_every_key_is_exercised_by_a_probe_test() {
    let sources = [
        include_str!("fixtures.rs"),
        include_str!("live.rs"),
        include_str!("experiments.rs"),
    ]
    .concat();
    let mut missing = Vec::new();
    for p in CATALOGUE {
        let quoted = format!("\"{}", p.key);
        let in_format = format!("\"{}{{", p.key); // format!("path.exists:{}", …)
        if !sources.contains(&quoted) && !sources.contains(&in_format) {
            missing.push(p.key);
        }
    }
    assert!(missing.is_empty(), "keys no probe test uses: {missing:?}");
}

fn snapshot_of_the_live_host_records_every_key() {
    let host = Host::live();
    let ctx = super::context(Some(support::real_bwrap().to_str().unwrap()), None);
    let snap = probe::collect_snapshot(&host, ctx);
    let keys: Vec<&str> = probe::snapshot_keys().collect();
    assert_eq!(
        snap.facts.len(),
        keys.len() + probe::SNAPSHOT_SYSCTLS.len(),
        "{:?}",
        snap.facts.keys()
    );
    for (k, o) in &snap.facts {
        if let Obs::Unavailable(why) = o {
            assert!(!why.contains("not written yet"), "{k}: {why}");
        }
    }
    assert!(matches!(snap.facts["experiment.userns"], Obs::Seen(_)));
    assert!(matches!(snap.facts["bwrap.version"], Obs::Seen(_)));
}

fn snapshot_example_json_is_a_complete_snapshot() {
    let text = include_str!("../../../docs/snapshot-example.json");
    let snap: Snapshot = serde_json::from_str(text).expect("docs/snapshot-example.json parses");
    assert_eq!(snap.schema, SNAPSHOT_SCHEMA);
    assert_eq!(snap.schema_version, SNAPSHOT_VERSION);
    for key in probe::snapshot_keys() {
        assert!(
            snap.facts.contains_key(key),
            "{key} missing from the example"
        );
    }
    for s in probe::SNAPSHOT_SYSCTLS {
        assert!(
            snap.facts.contains_key(&format!("sysctl.{s}")),
            "sysctl.{s}"
        );
    }
    let doc = include_str!("../../../docs/snapshot.md");
    assert!(
        doc.contains(text.trim()),
        "docs/snapshot.md must quote docs/snapshot-example.json verbatim"
    );
}

/// The key table of docs/snapshot.md, generated from `probe::CATALOGUE`.
fn catalogue_table() -> String {
    let mut t = String::from(
        "| key | how | in snapshot | value | meaning |\n| --- | --- | --- | --- | --- |\n",
    );
    let cell = |s: &str| s.replace('|', "\\|");
    for p in CATALOGUE {
        let key = if p.takes_arg {
            format!("`{}…`", p.key)
        } else {
            format!("`{}`", p.key)
        };
        let how = match p.kind {
            probe::Kind::Host => "host",
            probe::Kind::Experiment => "experiment",
            probe::Kind::Derived => "derived",
        };
        t.push_str(&format!(
            "| {key} | {how} | {} | {} | {} |\n",
            if p.in_snapshot { "yes" } else { "no" },
            cell(p.value),
            cell(p.meaning)
        ));
    }
    t
}

/// docs/snapshot.md carries the catalogue's table verbatim. To refresh it:
/// `BWRAP_DOCTOR_BLESS=1 cargo test --test it snapshot_doc`.
fn snapshot_doc_lists_every_catalogue_key() {
    const BEGIN: &str = "<!-- catalogue:begin (generated by tests/it/probe/catalogue.rs) -->\n";
    const END: &str = "<!-- catalogue:end -->";
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/snapshot.md");
    let doc = std::fs::read_to_string(path).expect("read docs/snapshot.md");
    let table = catalogue_table();
    let (Some(b), Some(e)) = (doc.find(BEGIN), doc.find(END)) else {
        panic!("docs/snapshot.md lacks the catalogue markers");
    };
    let current = &doc[b + BEGIN.len()..e];
    if current != table && std::env::var_os("BWRAP_DOCTOR_BLESS").is_some() {
        let new = format!("{}{}{}", &doc[..b + BEGIN.len()], table, &doc[e..]);
        std::fs::write(path, new).expect("write docs/snapshot.md");
        return;
    }
    assert_eq!(
        current, table,
        "docs/snapshot.md is stale: BWRAP_DOCTOR_BLESS=1 cargo test --test it snapshot_doc"
    );
    for p in CATALOGUE {
        assert!(
            current.contains(&format!("`{}", p.key)),
            "{} missing",
            p.key
        );
    }
    for s in probe::SNAPSHOT_SYSCTLS {
        assert!(doc.contains(&format!("sysctl.{s}")), "sysctl.{s} missing");
    }
}
