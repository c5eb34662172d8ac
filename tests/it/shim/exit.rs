//! "Exit status is identical: every code 0–255, and death by signal N is
//! reported to the caller as death by signal N (reset the handler, raise
//! it), not as 128+N."

use super::{assert_same, both};
use crate::support::{self, As, Via};
use crate::{Body, Test};
use std::process::{Command, Stdio};
use std::time::Duration;

pub fn tests() -> Vec<Test> {
    tests![
        Once exit_codes_0_to_255_are_mirrored,
        Each exit_codes_of_the_real_bwrap_and_its_command_are_mirrored,
        Each death_of_bwrap_by_signal_n_is_mirrored_as_signal_n,
    ]
}

/// A command that runs the shim with the test helper standing in for bwrap.
pub fn fake(log: &std::path::Path, actions: &[&str]) -> Command {
    let inst = support::install();
    let mut c = Command::new(&inst.shim);
    c.env_clear()
        .env("PATH", inst.path_var())
        .env("BWRAP_DOCTOR_REAL_BWRAP", &inst.helper)
        .arg("--helper")
        .arg("fake-bwrap")
        .arg(log)
        .args(actions);
    c
}

fn exit_codes_0_to_255_are_mirrored() {
    let dir = support::install().scratch();
    for code in 0..=255 {
        let mut c = fake(&dir.join("log"), &["exit", &code.to_string()]);
        c.stdout(Stdio::null())
            .stderr(Stdio::null())
            .stdin(Stdio::null());
        let status = c.status().unwrap();
        assert_eq!(status.code(), Some(code), "code {code}");
    }
}

fn exit_codes_of_the_real_bwrap_and_its_command_are_mirrored(who: &As) {
    for code in [0, 1, 2, 42, 126, 127, 128, 143, 255] {
        let args = support::probe_args(&[], &["--exit", &code.to_string()]);
        let (direct, shim) = both(*who, &args, |_| {});
        assert_same(&direct, &shim);
        assert_eq!(shim.status.code(), Some(code));
    }
    // bwrap's own failure (exit 1 from die()).
    let args: Vec<String> = support::strings(&["--ro-bind", "/nonexistent-bwd", "/x", "true"]);
    let (direct, shim) = both(*who, &args, |_| {});
    assert_eq!(direct.status.code(), shim.status.code());
    assert!(shim.stderr_text().starts_with(&direct.stderr_text()));
}

fn death_of_bwrap_by_signal_n_is_mirrored_as_signal_n(who: &As) {
    for sig in [
        libc::SIGTERM,
        libc::SIGINT,
        libc::SIGHUP,
        libc::SIGUSR1,
        libc::SIGKILL,
        libc::SIGSEGV,
    ] {
        let mut seen = Vec::new();
        for via in [Via::Direct, Via::Shim] {
            let args = support::probe_args(&[], &["--sleep-ms", "20000"]);
            let mut cmd = support::bwrap(via, *who, &args);
            cmd.stdout(Stdio::null()).stderr(Stdio::null());
            let mut child = cmd.spawn().unwrap();
            let top = child.id();
            // The real bwrap: the child itself, or the shim's child.
            let bwrap_pid = support::running_bwrap(via, top);
            // SAFETY: signalling the process under test.
            unsafe { libc::kill(bwrap_pid as i32, sig) };
            let status = support::wait_with_limit(&mut child, Duration::from_secs(20));
            seen.push(support::code_or_signal(&status));
        }
        assert_eq!(seen[0], (None, Some(sig)), "direct bwrap killed by {sig}");
        assert_eq!(seen[1], seen[0], "signal {sig}: through the shim vs direct");
    }
}
