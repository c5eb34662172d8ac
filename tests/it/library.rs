//! The library's public API, used as another tool would: the
//! `engine/examples/explain_own_failure.rs` program runs the real bwrap with a bind
//! source that does not exist and explains the failure in-process.

use crate::support::{self, skip};
use crate::{Body, Test};
use std::process::Command;
use std::time::Duration;

pub fn tests() -> Vec<Test> {
    tests![Once the_example_explains_its_own_bwrap_failure_as_a_missing_bind_source]
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
