//! "The shim never makes things worse": the off switch, the fallback when
//! supervision cannot be set up, and nothing but spawn-and-wait on the
//! success path.

use super::{assert_same, both};
use crate::support::{self, As, Via, seccomp};
use crate::{Body, Test};
use std::os::unix::fs::PermissionsExt;
use std::process::{Command, Stdio};
use std::time::Duration;

pub fn tests() -> Vec<Test> {
    tests![
        Each off_switch_runs_the_real_bwrap_in_place,
        Each internal_failure_falls_back_to_running_bwrap_directly_with_one_warning,
        Each the_shim_out_of_fds_for_its_status_pipe_changes_nothing,
        Once success_path_only_spawns_and_waits,
        Once the_diagnosis_is_forked_from_a_shim_with_no_other_thread,
        Each a_panic_before_bwrap_starts_falls_back_to_running_it_directly,
        Each a_panic_while_supervising_still_ends_as_bwrap_ended,
        Each a_panic_in_the_diagnosis_leaves_bwraps_error_and_exit_status,
        Each a_probe_that_hangs_is_abandoned_at_the_deadline,
        Each a_broken_rule_file_costs_one_warning_line_and_nothing_else,
        Each an_oom_abort_crash_or_hang_in_the_diagnosis_costs_one_line_and_not_bwraps_exit,
        Each a_failure_under_a_40_mib_address_space_limit_is_still_diagnosed,
        Each a_60_kb_bind_path_is_diagnosed_within_a_200_mib_address_space,
        Each a_fifo_as_rule_file_or_json_path_costs_one_warning_line_and_no_wait,
        Each another_users_home_or_dev_null_as_home_adds_no_line_to_a_diagnosis,
        Each a_rule_file_of_20000_unicode_patterns_is_skipped_by_the_compile_budget,
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
    // signalfd failing with EMFILE (fd exhaustion) stops the shim from
    // supervising; bwrap itself then meets the same refusal, as it would
    // without the shim, and ends the same way.
    let deny = [seccomp::Deny::syscall(libc::SYS_signalfd4, libc::EMFILE)];
    let args: Vec<String> = support::strings(&["--ro-bind", "/", "/", "/bin/true"]);
    let (direct, shim) = both(*who, &args, |c| seccomp::apply(c, &deny));
    assert_ne!(direct.status.code(), Some(0), "{}", direct.stderr_text());
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

fn the_shim_out_of_fds_for_its_status_pipe_changes_nothing(who: &As) {
    // pipe2 failing with EMFILE: the shim cannot learn whether setup
    // completed; bwrap (which never calls pipe2) runs exactly as directly.
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
    assert_same(&direct, &shim);
}

fn success_path_only_spawns_and_waits() {
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

fn a_panic_while_supervising_still_ends_as_bwrap_ended(who: &As) {
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

/// Lower the command's address-space limit (RLIMIT_AS), as `ulimit -v`.
fn limit_address_space(c: &mut Command, bytes: u64) {
    // SAFETY: only setrlimit between fork and exec.
    unsafe {
        std::os::unix::process::CommandExt::pre_exec(c, move || {
            let l = libc::rlimit {
                rlim_cur: bytes,
                rlim_max: bytes,
            };
            if libc::setrlimit(libc::RLIMIT_AS, &l) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
}

/// What the shim printed after bwrap's own words (which come first, whole).
fn after_bwraps_words(direct: &support::Output, shim: &support::Output) -> String {
    assert_eq!(
        support::code_or_signal(&shim.status),
        support::code_or_signal(&direct.status),
        "{}",
        shim.stderr_text()
    );
    let (d, s) = (direct.stderr_text(), shim.stderr_text());
    assert!(!d.is_empty() && s.starts_with(&d), "direct: {d}\nshim: {s}");
    s[d.len()..].to_string()
}

fn an_oom_abort_crash_or_hang_in_the_diagnosis_costs_one_line_and_not_bwraps_exit(who: &As) {
    needs_fault_injection();
    let args: Vec<String> = support::strings(support::MISSING_SOURCE);
    for (fault, says) in [
        // Only the diagnosis process's address-space limit stops this one
        // (the deadline is far): it aborts as Rust does on allocation failure.
        ("explain-oom", "killed by signal 6"),
        ("explain-abort", "killed by signal 6"),
        ("explain-segv", "killed by signal 11"),
        ("explain-hang", "did not finish within"),
    ] {
        let deadline = if fault == "explain-hang" {
            "500"
        } else {
            "60000"
        };
        let (direct, shim) = both(*who, &args, |c| {
            c.env("BWRAP_DOCTOR_FAULT", fault)
                .env("BWRAP_DOCTOR_DEADLINE_MS", deadline)
                .env("NO_COLOR", "1");
        });
        assert_eq!(shim.status.code(), Some(1), "{fault}");
        let extra = after_bwraps_words(&direct, &shim);
        assert_eq!(extra.lines().count(), 1, "{fault}: one line, got: {extra}");
        assert!(extra.starts_with("bwrap-doctor: "), "{fault}: {extra}");
        assert!(extra.contains(says), "{fault}: {extra}");
    }
}

fn a_failure_under_a_40_mib_address_space_limit_is_still_diagnosed(who: &As) {
    // `ulimit -v 40000`: the shim used to abort (134) when its diagnosis
    // thread could not get memory; the diagnosis process now gets what is
    // left of the 40 MiB, and this diagnosis fits.
    let args: Vec<String> = support::strings(support::MISSING_SOURCE);
    for kib in [40_000, 30_000] {
        let (direct, shim) = both(*who, &args, |c| {
            c.env("NO_COLOR", "1");
            limit_address_space(c, kib * 1024);
        });
        assert_eq!(direct.status.code(), Some(1), "{}", direct.stderr_text());
        let extra = after_bwraps_words(&direct, &shim);
        assert!(
            extra.contains("[bind-source-missing]"),
            "ulimit -v {kib}: {extra}"
        );
    }
    // Lower still, the diagnosis may not fit: then one line, same exit.
    let (direct, shim) = both(*who, &args, |c| {
        c.env("NO_COLOR", "1");
        limit_address_space(c, 16_000 * 1024);
    });
    let extra = after_bwraps_words(&direct, &shim);
    assert!(
        extra.contains("[bind-source-missing]") || extra.lines().count() <= 1,
        "{extra}"
    );
}

fn a_60_kb_bind_path_is_diagnosed_within_a_200_mib_address_space(who: &As) {
    // The path probe used to spell out every prefix of the path: memory
    // the square of its length (1.3 GB for this one).
    // The path exactly: `/a/a/a…`, 60,000 bytes (bwrap fails on it
    // whatever the host has at /a: no path that long resolves).
    let long = "/a".repeat(30_000);
    let args = support::strings(&["--ro-bind", &long, "/x", "true"]);
    let (direct, shim) = both(*who, &args, |c| {
        c.env("NO_COLOR", "1");
        limit_address_space(c, 200 << 20);
    });
    assert_eq!(direct.status.code(), Some(1), "{}", direct.stderr_text());
    let extra = after_bwraps_words(&direct, &shim);
    assert!(
        extra.starts_with("bwrap-doctor: ")
            && !extra.contains("internal error")
            && !extra.contains("did not finish"),
        "{}",
        &extra[..extra.len().min(2000)]
    );
}

fn mkfifo(p: &std::path::Path) {
    let c = std::ffi::CString::new(p.as_os_str().as_encoded_bytes()).unwrap();
    // SAFETY: mkfifo on a NUL-terminated path.
    let r = unsafe { libc::mkfifo(c.as_ptr(), 0o644) };
    assert_eq!(r, 0, "mkfifo {}", p.display());
}

fn a_fifo_as_rule_file_or_json_path_costs_one_warning_line_and_no_wait(who: &As) {
    support::needs_root("to give the rule directory to the test user (chown)");
    // Opening a FIFO waits for a writer (a reader): it used to stall every
    // diagnosis until the deadline, blaming "a probe is stuck".
    let scratch = support::install().scratch();
    let fifo = scratch.join("fifo");
    mkfifo(&fifo);
    let config = scratch.join("config");
    let dir = config.join("bwrap-doctor/rules.d");
    std::fs::create_dir_all(&dir).unwrap();
    mkfifo(&dir.join("x.toml"));
    for d in [&config, &config.join("bwrap-doctor"), &dir] {
        std::os::unix::fs::chown(d, Some(who.uid()), None).unwrap();
    }
    let args: Vec<String> = support::strings(support::MISSING_SOURCE);
    for (var, value, says) in [
        (
            "BWRAP_DOCTOR_RULES",
            &fifo,
            format!("warning: skipped rules from {}", fifo.display()),
        ),
        (
            "XDG_CONFIG_HOME",
            &config,
            format!(
                "warning: skipped rules from {}",
                dir.join("x.toml").display()
            ),
        ),
        (
            "BWRAP_DOCTOR_JSON",
            &fifo,
            format!(
                "warning: not writing the diagnosis to BWRAP_DOCTOR_JSON={}: it is a FIFO",
                fifo.display()
            ),
        ),
    ] {
        let start = std::time::Instant::now();
        let (direct, shim) = both(*who, &args, |c| {
            c.env(var, value).env("NO_COLOR", "1");
        });
        let took = start.elapsed();
        let extra = after_bwraps_words(&direct, &shim);
        let warnings: Vec<&str> = extra.lines().filter(|l| l.contains("warning")).collect();
        assert_eq!(warnings.len(), 1, "{var}: {extra}");
        assert!(warnings[0].contains(&says), "{var}: {extra}");
        assert!(
            warnings[0].contains("FIFO (named pipe), not a regular file"),
            "{extra}"
        );
        assert!(
            extra.contains("rule: bind-source-missing"),
            "{var}: {extra}"
        );
        assert!(!extra.contains("did not finish"), "{var}: {extra}");
        // Well under the 5 s deadline the stall used to run into.
        assert!(took < Duration::from_secs(4), "{var}: {took:?}");
    }
}

fn another_users_home_or_dev_null_as_home_adds_no_line_to_a_diagnosis(who: &As) {
    support::needs_root("to make another user's home (chown)");
    // setpriv/runuser/`docker --user` keep HOME=/root; sudo keeps the
    // user's HOME for root. The rules directory there is another user's,
    // or cannot be looked into: skipped without a word, as ssh's StrictModes.
    let scratch = support::install().scratch();
    let other_home = scratch.join("home");
    let dir = other_home.join(".config/bwrap-doctor/rules.d");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("x.toml"), "[[rule]]\nid = \"x\"\n").unwrap();
    // Another user's: the test user's for root, root's for the test user.
    let other = if *who == As::Root {
        support::test_user().0
    } else {
        0
    };
    for d in [
        &other_home,
        &other_home.join(".config"),
        &other_home.join(".config/bwrap-doctor"),
        &dir,
    ] {
        std::os::unix::fs::chown(d, Some(other), None).unwrap();
    }
    let mut homes = vec![other_home.clone(), "/dev/null".into()];
    if *who == As::User {
        homes.push("/root".into());
    }
    let args: Vec<String> = support::strings(support::MISSING_SOURCE);
    for home in homes {
        let (direct, shim) = both(*who, &args, |c| {
            c.env("HOME", &home).env("NO_COLOR", "1");
        });
        let extra = after_bwraps_words(&direct, &shim);
        assert!(
            !extra.contains("warning"),
            "HOME={}: {extra}",
            home.display()
        );
        assert!(
            extra.contains("rule: bind-source-missing"),
            "HOME={}: {extra}",
            home.display()
        );
    }
    // A file the caller names itself still warns.
    let named = dir.join("x.toml");
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::set_permissions(&other_home, std::fs::Permissions::from_mode(0o755)).unwrap();
    let (direct, shim) = both(*who, &args, |c| {
        c.env("BWRAP_DOCTOR_RULES", &named).env("NO_COLOR", "1");
    });
    let extra = after_bwraps_words(&direct, &shim);
    assert!(
        extra.contains(&format!("warning: skipped rules from {}", named.display())),
        "{extra}"
    );
}

/// A rule file of `n` patterns like `\w+ \w+00042` (Unicode classes,
/// which compile large): about 320 KB for 20,000, far under the 8 MiB
/// size limit. Loading it whole took 25 s and 2.4 GB.
pub fn costly_rule_file(n: usize) -> String {
    let pats: Vec<String> = (0..n).map(|i| format!("'\\w+ \\w+{i:05}'")).collect();
    format!(
        "[[rule]]\nid = \"big.one\"\ncause = \"other\"\nsummary = \"big\"\npatterns = [\n{}\n]\nexplanation = \"x\"\n",
        pats.join(",\n")
    )
}

fn a_rule_file_of_20000_unicode_patterns_is_skipped_by_the_compile_budget(who: &As) {
    let file = support::install().scratch().join("big.toml");
    std::fs::write(&file, costly_rule_file(20_000)).unwrap();
    let args: Vec<String> = support::strings(support::MISSING_SOURCE);
    let start = std::time::Instant::now();
    let (direct, shim) = both(*who, &args, |c| {
        c.env("BWRAP_DOCTOR_RULES", &file).env("NO_COLOR", "1");
    });
    let took = start.elapsed();
    let extra = after_bwraps_words(&direct, &shim);
    let warnings: Vec<&str> = extra.lines().filter(|l| l.contains("warning")).collect();
    assert_eq!(warnings.len(), 1, "{extra}");
    assert!(
        warnings[0].starts_with(&format!(
            "bwrap-doctor: warning: skipped rules from {}",
            file.display()
        )) && warnings[0].contains("compile budget exceeded")
            && warnings[0].contains("the limit per rule file"),
        "{extra}"
    );
    assert!(extra.contains("rule: bind-source-missing"), "{extra}");
    // Not a speed assertion: the whole file would take tens of seconds
    // (and the diagnosis deadline, 5 s, would cut it).
    assert!(took < Duration::from_secs(4), "{took:?}");
}

fn the_diagnosis_is_forked_from_a_shim_with_no_other_thread() {
    // The diagnosis process is a plain fork that then allocates and uses
    // the standard library: safe only if no other thread of the shim could
    // hold a lock at that moment. The shim starts exactly two processes on
    // a failure (bwrap, the diagnosis) and never a thread.
    if Command::new("strace").arg("-V").output().is_err() {
        support::skip("strace is not installed (apt-get install strace)");
    }
    let inst = support::install();
    let trace = inst.scratch().join("trace");
    let mut c = Command::new("strace");
    c.args(["-f", "-qq", "-e", "trace=clone,clone3,fork,vfork", "-o"])
        .arg(&trace)
        .arg(&inst.shim)
        .args(support::MISSING_SOURCE)
        .env_clear()
        .env("PATH", inst.path_var())
        .env("HOME", "/")
        .env("NO_COLOR", "1");
    let out = support::run(&mut c);
    assert_eq!(out.status.code(), Some(1), "{}", out.stderr_text());
    assert!(
        out.stderr_text().contains("[bind-source-missing]"),
        "{}",
        out.stderr_text()
    );
    let text = std::fs::read_to_string(&trace).unwrap();
    let shim_pid = text.split_whitespace().next().unwrap().to_string();
    let mine: Vec<&str> = text
        .lines()
        .filter(|l| l.split_whitespace().next() == Some(shim_pid.as_str()))
        .filter(|l| !l.contains("resumed>"))
        .collect();
    assert!(
        mine.iter().all(|l| !l.contains("CLONE_THREAD")),
        "the shim started a thread:\n{}",
        mine.join("\n")
    );
    // bwrap, the repeat of its failed setup (stderr is a pipe here, which
    // cannot be read back), both vfork-style spawns; and one fork: the
    // diagnosis.
    let forks = mine.iter().filter(|l| !l.contains("CLONE_VFORK")).count();
    assert_eq!(
        (mine.len(), forks),
        (3, 1),
        "bwrap, its replay and the diagnosis only:\n{}",
        mine.join("\n")
    );
}
