//! The library's public API, used as another tool would: the
//! `engine/examples/explain_own_failure.rs` program runs the real bwrap with a bind
//! source that does not exist and explains the failure in-process; the
//! library's `check` reports this host as `bwrap-doctor check --json` does.

use crate::support::{self, PlainEnv, schema, skip};
use crate::{Body, Test};
use std::process::Command;
use std::time::Duration;

pub fn tests() -> Vec<Test> {
    tests![
        Once the_example_explains_its_own_bwrap_failure_as_a_missing_bind_source,
        Once the_librarys_check_reports_this_host_as_the_cli_does_without_the_shims_section,
    ]
}

/// `cargo run -p bwrap-doctor-engine --example explain_own_failure -- <real bwrap>`: the example
/// prints bwrap's own message, then names the confirmed cause
/// `bind-source-missing` with the missing path, and exits 0 (a cause
/// confirmed).
fn the_example_explains_its_own_bwrap_failure_as_a_missing_bind_source() {
    let bwrap = support::real_bwrap();
    let cargo_bin = option_env!("CARGO").unwrap_or("cargo");
    if Command::new(cargo_bin).arg("--version").output().is_err() {
        support::skip(format!("cannot run {cargo_bin} to build the example"));
    }
    let mut cargo = Command::new(cargo_bin);
    cargo.current_dir(env!("CARGO_MANIFEST_DIR")).args([
        "run",
        "--quiet",
        "--offline",
        "-p",
        "bwrap-doctor-engine",
        "--example",
        "explain_own_failure",
    ]);
    if cfg!(feature = "fault-injection") {
        // The features this test was built with: the library is not
        // built again for the example.
        cargo.args(["--features", "bwrap-doctor-engine/fault-injection"]);
    }
    cargo.arg("--").arg(bwrap);
    let out = support::run_with_input(&mut cargo, None, Duration::from_secs(600));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    if !stdout.contains("bwrap: Can't find source path /nonexistent-explain-own-failure-") {
        if stdout.contains("bwrap failed") {
            // bwrap stopped before it looked at the bind source (no user
            // namespace here, for one): its failure is another one.
            skip(format!(
                "bwrap failed before the bind here, not with the missing source:\n{stdout}"
            ));
        }
        panic!(
            "the example did not run bwrap ({}):\nstdout:\n{stdout}\nstderr:\n{stderr}",
            out.status
        );
    }
    assert!(
        stdout.contains("\nconfirmed cause: bind-source-missing\n"),
        "the example did not name the missing bind source:\n{stdout}\nstderr:\n{stderr}"
    );
    assert!(
        stdout.contains("  checked path.exists:/nonexistent-explain-own-failure-")
            && stdout.contains(": false\n"),
        "the cause was not checked on this host:\n{stdout}"
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "a confirmed cause is exit 0:\n{stdout}\nstderr:\n{stderr}"
    );
}

/// `bwrap_doctor_engine::check` with the real bwrap, in this process (root
/// in CI, the unprivileged user in the suite's second run), against
/// `bwrap-doctor check --json` run the same way: the library's report is
/// valid against docs/check.schema.json, reads back with serde as the same
/// document, has no `bwrap-doctor shim` section (the program's own
/// install), and every check it has is in the CLI's report with the same
/// status — the same host seen through the public API.
fn the_librarys_check_reports_this_host_as_the_cli_does_without_the_shims_section() {
    use bwrap_doctor_engine::{CheckReport, CheckRequest};
    let bwrap = support::real_bwrap();
    let rules = bwrap_doctor_engine::load_rules(&[]).expect("the built-in rules load");
    let report = bwrap_doctor_engine::check(&rules, &CheckRequest::new().bwrap(bwrap));
    let text = serde_json::to_string(&report).unwrap();
    let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
    schema::assert_valid(&doc);
    let back: CheckReport = serde_json::from_str(&text).expect("the report reads back");
    assert_eq!(
        serde_json::to_value(&back).unwrap(),
        doc,
        "read back differs"
    );
    assert!(
        !report
            .checks
            .iter()
            .any(|c| c.section == "bwrap-doctor shim"),
        "the library's report has the program's own install section: {text}"
    );
    for section in ["kernel", "security policy", "sandboxes"] {
        assert!(
            report.checks.iter().any(|c| c.section == section),
            "no {section} section in the library's report: {text}"
        );
    }

    let inst = support::install();
    let mut cli = Command::new(&inst.doctor);
    cli.args(["check", "--json", "--bwrap"])
        .arg(bwrap)
        .plain_env();
    let out = support::run(&mut cli);
    let cli: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("check --json printed no JSON ({e}): {}", out.stderr_text()));
    let by_cli: std::collections::BTreeMap<&str, &str> = cli["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["id"].as_str().unwrap(), c["status"].as_str().unwrap()))
        .collect();
    for c in &report.checks {
        assert_eq!(
            by_cli.get(c.id.as_str()).copied(),
            Some(c.status.label()),
            "check {} differs between the library and the CLI:\nlibrary: {text}\ncli: {cli}",
            c.id
        );
    }
}
