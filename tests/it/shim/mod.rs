//! The transparency contract (DESIGN.md §2): the same command run directly
//! and through the shim, compared.

mod argv;
mod exit;
mod fds;
mod load;
mod locate;
mod never_worse;
mod own_stderr;
pub use never_worse::costly_rule_file;
mod signals;
mod stderr;
mod tty;

use crate::Test;
use crate::support::{self, As, Output, Via};
use std::process::Command;

pub fn tests() -> Vec<Test> {
    let mut v = Vec::new();
    v.extend(argv::tests());
    v.extend(fds::tests());
    v.extend(stderr::tests());
    v.extend(tty::tests());
    v.extend(own_stderr::tests());
    v.extend(exit::tests());
    v.extend(signals::tests());
    v.extend(locate::tests());
    v.extend(never_worse::tests());
    v.extend(load::tests());
    v
}

/// Run the same bwrap command directly and through the shim. `setup` may
/// add fds, environment, stdin… to both commands alike.
pub fn both(who: As, args: &[String], setup: impl Fn(&mut Command)) -> (Output, Output) {
    let mut direct = support::bwrap(Via::Direct, who, args);
    setup(&mut direct);
    let mut shim = support::bwrap(Via::Shim, who, args);
    setup(&mut shim);
    (support::run(&mut direct), support::run(&mut shim))
}

/// Assert that two runs are indistinguishable: status, stdout, stderr.
pub fn assert_same(direct: &Output, shim: &Output) {
    assert_eq!(
        support::code_or_signal(&direct.status),
        support::code_or_signal(&shim.status),
        "exit status differs\n direct stderr: {}\n shim stderr: {}",
        direct.stderr_text(),
        shim.stderr_text()
    );
    assert_eq!(
        direct.stderr_text(),
        shim.stderr_text(),
        "stderr differs (direct vs shim)"
    );
    assert_eq!(direct.stderr, shim.stderr, "stderr bytes differ");
    assert_eq!(
        direct.stdout_text(),
        shim.stdout_text(),
        "stdout differs (direct vs shim)"
    );
}

/// The probe's JSON report from stdout.
pub fn report(o: &Output) -> serde_json::Value {
    let text = o.stdout_text();
    let line = text.lines().next().unwrap_or_else(|| {
        panic!(
            "no probe report; status {:?}, stderr: {}",
            o.status,
            o.stderr_text()
        )
    });
    serde_json::from_str(line).unwrap_or_else(|e| panic!("bad report {line}: {e}"))
}
