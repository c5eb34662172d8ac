//! "The shim never makes things worse": the off switch, the fallback when
//! supervision cannot be set up, and nothing but spawn-relay-wait on the
//! success path.

use super::{assert_same, both};
use crate::support::{self, As, Via, seccomp};
use crate::{Body, Test};
use std::process::{Command, Stdio};
use std::time::Duration;

pub fn tests() -> Vec<Test> {
    tests![
        Each off_switch_runs_the_real_bwrap_in_place,
        Each internal_failure_falls_back_to_running_bwrap_directly_with_one_warning,
        Once success_path_only_spawns_relays_and_waits,
    ]
}

fn off_switch_runs_the_real_bwrap_in_place(who: &As) {
    let args = support::probe_args(&[], &["--sleep-ms", "1500", "--exit", "4"]);
    let mut cmd = support::bwrap(Via::Shim, *who, &args);
    cmd.env("BWRAP_DOCTOR_OFF", "1")
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let mut child = cmd.spawn().unwrap();
    let exe = support::eventually("exec", Duration::from_secs(5), || {
        let e = std::fs::read_link(format!("/proc/{}/exe", child.id())).ok()?;
        (e != support::install().shim && e != support::install().doctor).then_some(e)
    });
    assert_eq!(
        exe,
        support::real_bwrap(),
        "the spawned pid became bwrap itself"
    );
    let status = support::wait_with_limit(&mut child, Duration::from_secs(20));
    assert_eq!(status.code(), Some(4));
}

fn internal_failure_falls_back_to_running_bwrap_directly_with_one_warning(who: &As) {
    // pipe2 failing with EMFILE (fd exhaustion) stops the shim from setting
    // up its relay; bwrap itself never calls pipe2.
    let deny = [seccomp::Deny::syscall(libc::SYS_pipe2, libc::EMFILE)];
    let args = support::probe_args(
        &[],
        &[
            "--stderr-hex",
            &support::helper::hex(b"payload\n"),
            "--exit",
            "3",
        ],
    );
    let (direct, shim) = both(*who, &args, |c| seccomp::apply(c, &deny));
    assert_eq!(direct.status.code(), Some(3), "{}", direct.stderr_text());
    assert_eq!(shim.status.code(), direct.status.code());
    assert_eq!(shim.stdout, direct.stdout);
    let err = shim.stderr_text();
    let (first, rest) = err.split_once('\n').unwrap();
    assert!(
        first.starts_with("bwrap-doctor: cannot supervise bwrap ("),
        "{err}"
    );
    assert!(first.contains("running it directly"), "{err}");
    assert_eq!(rest, direct.stderr_text());
    // And without the fault, no warning at all.
    let (d, s) = both(*who, &args, |_| {});
    assert_same(&d, &s);
}

fn success_path_only_spawns_relays_and_waits() {
    if Command::new("strace").arg("-V").output().is_err() {
        support::skip("strace is not installed (apt-get install strace)");
    }
    let inst = support::install();
    let trace = inst.scratch().join("trace");
    let mut c = Command::new("strace");
    c.args([
        "-f",
        "-qq",
        "-e",
        "trace=openat,open,execve,clone,clone3,fork,vfork",
        "-o",
    ])
    .arg(&trace)
    .arg(&inst.shim)
    .args(["--ro-bind", "/", "/", "/bin/true"])
    .env_clear()
    .env("PATH", inst.path_var());
    let out = support::run(&mut c);
    assert!(out.status.success(), "{}", out.stderr_text());
    let text = std::fs::read_to_string(&trace).unwrap();
    let shim_pid = text.split_whitespace().next().unwrap().to_string();
    let mine: Vec<&str> = text
        .lines()
        .filter(|l| l.split_whitespace().next() == Some(shim_pid.as_str()))
        .collect();
    let mut spawns = 0;
    for l in &mine {
        if l.contains("resumed>") {
            continue;
        }
        if l.contains("clone") || l.contains("fork(") {
            spawns += 1;
            continue;
        }
        if l.contains("execve(") {
            continue;
        }
        let Some(path) = l.split('"').nth(1) else {
            continue;
        };
        let allowed = path.starts_with("/etc/ld.so.")
            || path.contains(".so")
            || path == "/dev/null"
            || path == "/dev/ptmx"
            || path.ends_with("/bwrap");
        assert!(
            allowed,
            "the shim opened {path:?} on the success path:\n{}",
            mine.join("\n")
        );
    }
    assert_eq!(
        spawns,
        1,
        "the shim started more than bwrap:\n{}",
        mine.join("\n")
    );
}
