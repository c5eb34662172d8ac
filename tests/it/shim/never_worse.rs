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
        Each a_panic_before_bwrap_starts_falls_back_to_running_it_directly,
        Each a_panic_while_relaying_still_relays_and_ends_as_bwrap_ended,
        Each a_panic_in_the_diagnosis_leaves_bwraps_error_and_exit_status,
        Each a_probe_that_hangs_is_abandoned_at_the_deadline,
        Each a_broken_rule_file_costs_one_warning_line_and_nothing_else,
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
            || path.ends_with("/bwrap")
            // The settings' files, for the off switch and the real bwrap
            // (config.rs): an open that usually finds nothing.
            || path.ends_with("/bwrap-doctor/config.toml");
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

fn needs_fault_injection() {
    if !cfg!(feature = "fault-injection") {
        support::skip(
            "needs the test-only fault points: cargo test --features fault-injection (scripts/test.sh does)",
        );
    }
}

/// The same command directly and through the shim with a fault injected.
fn with_fault(who: As, fault: &str, args: &[String]) -> (support::Output, support::Output) {
    both(who, args, |c| {
        c.env("BWRAP_DOCTOR_FAULT", fault).env("NO_COLOR", "1");
    })
}

fn a_panic_before_bwrap_starts_falls_back_to_running_it_directly(who: &As) {
    needs_fault_injection();
    let args = support::probe_args(
        &[],
        &[
            "--stderr-hex",
            &support::helper::hex(b"payload\n"),
            "--exit",
            "3",
        ],
    );
    let (direct, shim) = with_fault(*who, "prepare", &args);
    assert_eq!(shim.status.code(), Some(3));
    assert_eq!(shim.stdout, direct.stdout);
    let err = shim.stderr_text();
    let (first, rest) = err.split_once('\n').unwrap();
    assert!(
        first.starts_with("bwrap-doctor: cannot supervise bwrap (fault injected at prepare"),
        "{err}"
    );
    assert_eq!(rest, direct.stderr_text());
}

fn a_panic_while_relaying_still_relays_and_ends_as_bwrap_ended(who: &As) {
    needs_fault_injection();
    let payload: Vec<u8> = (0..20_000u32).map(|i| b'a' + (i % 26) as u8).collect();
    let args = support::probe_args(
        &[],
        &[
            "--stderr-hex",
            &support::helper::hex(&payload),
            "--sleep-ms",
            "200",
            "--exit",
            "5",
        ],
    );
    let (direct, shim) = with_fault(*who, "supervise", &args);
    assert_eq!(shim.status.code(), Some(5));
    assert_eq!(shim.stdout, direct.stdout);
    let err = shim.stderr;
    let warn_at = err
        .windows(b"bwrap-doctor: internal error".len())
        .position(|w| w == b"bwrap-doctor: internal error")
        .expect("one warning line");
    let warn_end = warn_at + err[warn_at..].iter().position(|&b| b == b'\n').unwrap() + 1;
    let mut without: Vec<u8> = err[..warn_at].to_vec();
    without.extend_from_slice(&err[warn_end..]);
    assert_eq!(
        without, direct.stderr,
        "every stderr byte still arrives, in order"
    );
}

fn a_panic_in_the_diagnosis_leaves_bwraps_error_and_exit_status(who: &As) {
    needs_fault_injection();
    let args: Vec<String> = support::strings(support::MISSING_SOURCE);
    for fault in ["explain", "probe"] {
        let (direct, shim) = with_fault(*who, fault, &args);
        assert_eq!(shim.status.code(), Some(1));
        let (d, s) = (direct.stderr_text(), shim.stderr_text());
        assert!(s.starts_with(&d), "{s}");
        let extra = &s[d.len()..];
        assert_eq!(
            extra.lines().count(),
            1,
            "{fault}: one warning line, got: {extra}"
        );
        assert!(
            extra.starts_with("bwrap-doctor: internal error while explaining"),
            "{extra}"
        );
    }
}

fn a_broken_rule_file_costs_one_warning_line_and_nothing_else(who: &As) {
    let dir = support::install().scratch();
    let rules = dir.join("broken.toml");
    std::fs::write(
        &rules,
        "[[rule]]\nid = \"x\"\ncause = \"no-such-cause\"\nnonsense = 1\n",
    )
    .unwrap();
    // Success: nothing is read, nothing is printed.
    let ok = support::probe_args(&[], &[]);
    let (d, s) = both(*who, &ok, |c| {
        c.env("BWRAP_DOCTOR_RULES", &rules);
    });
    assert_same(&d, &s);
    // Failure: one warning line about the file, then the diagnosis from the
    // built-in rules, after bwrap's own words.
    let fail: Vec<String> = support::strings(support::MISSING_SOURCE);
    let (d, s) = both(*who, &fail, |c| {
        c.env("BWRAP_DOCTOR_RULES", &rules).env("NO_COLOR", "1");
    });
    assert_eq!(s.status.code(), d.status.code());
    let (dt, st) = (d.stderr_text(), s.stderr_text());
    assert!(st.starts_with(&dt), "{st}");
    let extra: Vec<&str> = st[dt.len()..].lines().collect();
    assert!(
        extra[0].starts_with(&format!(
            "bwrap-doctor: warning: skipped rules from {}",
            rules.display()
        )),
        "{}",
        extra[0]
    );
    assert_eq!(extra.iter().filter(|l| l.contains("warning")).count(), 1);
    assert!(
        extra
            .iter()
            .any(|l| l.contains("rule: bind-source-missing")),
        "{st}"
    );
}

fn a_probe_that_hangs_is_abandoned_at_the_deadline(who: &As) {
    // A probe stuck as on a dead NFS server: the shim stops waiting at its
    // deadline (shortened from 5 s for the test) and exits as bwrap did.
    needs_fault_injection();
    let args: Vec<String> = support::strings(support::MISSING_SOURCE);
    let start = std::time::Instant::now();
    let (direct, shim) = both(*who, &args, |c| {
        c.env("BWRAP_DOCTOR_FAULT", "probe-hang")
            .env("BWRAP_DOCTOR_DEADLINE_MS", "500")
            .env("NO_COLOR", "1");
    });
    let took = start.elapsed();
    assert_eq!(shim.status.code(), direct.status.code());
    let (d, s) = (direct.stderr_text(), shim.stderr_text());
    assert!(s.starts_with(&d), "{s}");
    assert_eq!(
        &s[d.len()..],
        "bwrap-doctor: the diagnosis did not finish within 0.5 s (a probe is stuck, e.g. on a file system that does not answer) and was abandoned; bwrap's own message above is complete\n"
    );
    // Not a timing assertion on speed: only that the hour-long hang did not
    // hold the caller.
    assert!(took < std::time::Duration::from_secs(60), "{took:?}");
}
