//! "Signals sent to the shim reach bwrap; signals the terminal already
//! delivered to the whole foreground process group are not delivered twice;
//! stop/continue (job control) behaves as without the shim. Signal mask and
//! ignored signals reach bwrap as the caller set them." And
//! "--die-with-parent keeps its meaning when the caller dies."

use super::exit::fake;
use super::{assert_same, both, report};
use crate::support::{self, As, Via, pty::Pty};
use crate::{Body, Test};
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

pub fn tests() -> Vec<Test> {
    tests![
        Once signals_sent_to_the_shim_reach_bwrap_once_each,
        Each sigterm_to_the_shim_ends_the_real_bwrap_as_it_would_directly,
        Once terminal_sigint_to_the_foreground_group_is_delivered_once,
        Each stop_and_continue_behave_as_without_the_shim,
        Each signal_mask_and_ignored_signals_reach_bwrap_as_the_caller_set_them,
        Once ignored_sigchld_reaches_bwrap_and_the_shim_still_sees_its_exit,
        Each die_with_parent_still_kills_the_sandbox_when_the_caller_dies,
    ]
}

fn wait_ready(log: &Path) -> u32 {
    support::eventually("the fake bwrap", Duration::from_secs(10), || {
        let s = std::fs::read_to_string(log).ok()?;
        s.lines()
            .find_map(|l| l.strip_prefix("ready ").and_then(|p| p.parse().ok()))
    })
}

fn signal_lines(log: &Path) -> Vec<String> {
    std::fs::read_to_string(log)
        .unwrap_or_default()
        .lines()
        .filter(|l| l.starts_with("sig "))
        .map(str::to_string)
        .collect()
}

fn signals_sent_to_the_shim_reach_bwrap_once_each() {
    let dir = support::install().scratch();
    let log = dir.join("log");
    let sent = [
        libc::SIGHUP,
        libc::SIGINT,
        libc::SIGUSR1,
        libc::SIGWINCH,
        libc::SIGTERM,
    ];
    let mut c = fake(&log, &["until-signals", &sent.len().to_string()]);
    c.stdout(Stdio::null()).stderr(Stdio::null());
    let mut child = c.spawn().unwrap();
    wait_ready(&log);
    for (i, sig) in sent.iter().enumerate() {
        // SAFETY: signalling the shim.
        unsafe { libc::kill(child.id() as i32, *sig) };
        support::eventually("the signal to arrive", Duration::from_secs(5), || {
            (signal_lines(&log).len() > i).then_some(())
        });
    }
    let status = support::wait_with_limit(&mut child, Duration::from_secs(30));
    assert!(status.success(), "{status:?}");
    let want: Vec<String> = sent.iter().map(|s| format!("sig {s:02}")).collect();
    assert_eq!(signal_lines(&log), want);
}

fn sigterm_to_the_shim_ends_the_real_bwrap_as_it_would_directly(who: &As) {
    let mut seen = Vec::new();
    for via in [Via::Direct, Via::Shim] {
        let args = support::probe_args(&[], &["--sleep-ms", "20000"]);
        let mut cmd = support::bwrap(via, *who, &args);
        cmd.stdout(Stdio::null()).stderr(Stdio::null());
        let mut child = cmd.spawn().unwrap();
        let top = child.id();
        support::running_bwrap(via, top); // wait until the sandbox runs
        // SAFETY: signalling the process the caller spawned.
        unsafe { libc::kill(top as i32, libc::SIGTERM) };
        let status = support::wait_with_limit(&mut child, Duration::from_secs(20));
        seen.push(support::code_or_signal(&status));
    }
    assert_eq!(seen[0], (None, Some(libc::SIGTERM)));
    assert_eq!(seen[1], seen[0]);
}

/// Run `argv` under the mini job-control shell on a fresh pty; returns the
/// pty, the shell child and the status log path.
fn under_shell(
    who: As,
    argv: &[String],
    env: &[(&str, &str)],
) -> (Pty, std::process::Child, std::path::PathBuf) {
    let inst = support::install();
    let status = inst.scratch().join("status");
    let mut pty = Pty::open(24, 80);
    let mut cmd = Command::new(&inst.helper);
    cmd.arg("--helper")
        .arg("mini-shell")
        .arg(&status)
        .args(argv);
    cmd.env_clear().env("PATH", inst.path_var());
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.stdin(pty.stdio())
        .stdout(pty.stdio())
        .stderr(pty.stdio());
    who.apply(&mut cmd);
    let child = cmd.spawn().unwrap();
    drop(cmd);
    pty.close_slave();
    (pty, child, status)
}

fn shell_events(status: &Path) -> Vec<String> {
    std::fs::read_to_string(status)
        .unwrap_or_default()
        .lines()
        .map(str::to_string)
        .collect()
}

fn wait_event(status: &Path, event: &str) {
    support::eventually(
        &format!("job event {event:?}"),
        Duration::from_secs(10),
        || {
            shell_events(status)
                .iter()
                .any(|e| e == event)
                .then_some(())
        },
    );
}

fn terminal_sigint_to_the_foreground_group_is_delivered_once() {
    let inst = support::install();
    let log = inst.scratch().join("log");
    let argv: Vec<String> = vec![
        inst.shim.display().to_string(),
        "--helper".into(),
        "fake-bwrap".into(),
        log.display().to_string(),
        "until-signals".into(),
        "1".into(),
    ];
    let real = inst.helper.display().to_string();
    let (pty, mut sh, status) = under_shell(
        As::User,
        &argv,
        &[("BWRAP_DOCTOR_REAL_BWRAP", real.as_str())],
    );
    wait_ready(&log);
    pty.write(b"\x03"); // ^C: the terminal signals the foreground group
    support::wait_with_limit(&mut sh, Duration::from_secs(20));
    assert_eq!(signal_lines(&log), vec![format!("sig {:02}", libc::SIGINT)]);
    assert!(
        shell_events(&status).contains(&"exited 0".to_string()),
        "{:?}",
        shell_events(&status)
    );
}

fn stop_and_continue_behave_as_without_the_shim(who: &As) {
    let inst = support::install();
    let real = support::real_bwrap();
    for via in [Via::Direct, Via::Shim] {
        let mut argv: Vec<String> = vec![match via {
            Via::Direct => real.display().to_string(),
            Via::Shim => inst.shim.display().to_string(),
        }];
        argv.extend(support::probe_args(&[], &["--sleep-ms", "30000"]));
        let (pty, mut sh, status) = under_shell(*who, &argv, &[]);
        let top = support::eventually("job start", Duration::from_secs(10), || {
            shell_events(&status).iter().find_map(|e| {
                e.strip_prefix("started ")
                    .and_then(|p| p.parse::<u32>().ok())
            })
        });
        let bwrap = support::running_bwrap(via, top);
        let stopped = |pid: u32| support::proc_state(pid) == Some('T');
        let count = |e: &str| shell_events(&status).iter().filter(|x| *x == e).count();

        // 1. ^Z from the terminal stops the job; the shell sees SIGTSTP.
        pty.write(b"\x1a");
        wait_event(&status, &format!("stopped {}", libc::SIGTSTP));
        // The terminal signals the whole group at once; the shell may see
        // the job's leader stop a moment before bwrap has.
        support::eventually(
            &format!("{via:?}: bwrap stopped after ^Z"),
            Duration::from_secs(2),
            || stopped(bwrap).then_some(()),
        );
        // `fg`: SIGCONT to the job's group.
        // SAFETY: signalling the job's process group.
        unsafe { libc::kill(-(top as i32), libc::SIGCONT) };
        wait_event(&status, "continued");
        std::thread::sleep(Duration::from_millis(300));
        assert!(
            !stopped(top) && !stopped(bwrap),
            "{via:?}: still stopped after fg"
        );
        assert_eq!(
            count(&format!("stopped {}", libc::SIGTSTP)),
            1,
            "{via:?}: stopped twice"
        );

        // 2. SIGTSTP and SIGCONT sent to the caller's child alone.
        // SAFETY: signalling the process the shell started.
        unsafe { libc::kill(top as i32, libc::SIGTSTP) };
        support::eventually("second stop", Duration::from_secs(10), || {
            (count(&format!("stopped {}", libc::SIGTSTP)) == 2).then_some(())
        });
        support::eventually("bwrap stopped", Duration::from_secs(5), || {
            stopped(bwrap).then_some(())
        });
        // SAFETY: as above.
        unsafe { libc::kill(top as i32, libc::SIGCONT) };
        support::eventually("both running", Duration::from_secs(5), || {
            (!stopped(top) && !stopped(bwrap)).then_some(())
        });

        // 3. SIGSTOP to the real bwrap: the caller sees its child stop.
        // SAFETY: as above.
        unsafe { libc::kill(bwrap as i32, libc::SIGSTOP) };
        wait_event(&status, &format!("stopped {}", libc::SIGSTOP));
        // SAFETY: as above.
        unsafe { libc::kill(top as i32, libc::SIGCONT) };
        support::eventually("running again", Duration::from_secs(5), || {
            (!stopped(top) && !stopped(bwrap)).then_some(())
        });

        // SAFETY: ending the job.
        unsafe { libc::kill(-(top as i32), libc::SIGTERM) };
        support::wait_with_limit(&mut sh, Duration::from_secs(20));
        let events = shell_events(&status);
        assert_eq!(
            events.last().map(String::as_str),
            Some(format!("signaled {}", libc::SIGTERM).as_str()),
            "{via:?}: {events:?}"
        );
        drop(pty);
    }
}

fn signal_mask_and_ignored_signals_reach_bwrap_as_the_caller_set_them(who: &As) {
    let args = support::probe_args(&[], &[]);
    // nohup, SIGPIPE ignored (Python's default), SIGUSR2 blocked; a caller
    // that ignores SIGTSTP and blocks SIGINT and the shim's own
    // parent-death signal. (SIGCHLD ignored: see the next test; the real
    // bwrap cannot run that way.)
    let setups: [&[(i32, bool)]; 2] = [
        &[
            (libc::SIGHUP, true),
            (libc::SIGPIPE, true),
            (libc::SIGUSR2, false),
        ],
        &[
            (libc::SIGTSTP, true),
            (libc::SIGINT, false),
            (libc::SIGRTMAX(), false),
        ],
    ];
    for setup in setups {
        let setup = setup.to_vec();
        let (direct, shim) = both(*who, &args, |c| {
            let setup = setup.clone();
            // SAFETY: signal state changes between fork and exec.
            unsafe {
                c.pre_exec(move || {
                    for &(sig, ignore) in &setup {
                        if ignore {
                            libc::signal(sig, libc::SIG_IGN);
                        } else {
                            let mut set: libc::sigset_t = std::mem::zeroed();
                            libc::sigemptyset(&mut set);
                            libc::sigaddset(&mut set, sig);
                            libc::sigprocmask(libc::SIG_BLOCK, &set, std::ptr::null_mut());
                        }
                    }
                    Ok(())
                });
            }
        });
        assert_same(&direct, &shim);
        let (d, s) = (report(&direct), report(&shim));
        assert_eq!(d["sig_blk"], s["sig_blk"]);
        assert_eq!(d["sig_ign"], s["sig_ign"]);
        let mask = |v: &serde_json::Value| u64::from_str_radix(v.as_str().unwrap(), 16).unwrap();
        for &(sig, ignore) in &setup {
            let field = if ignore { &s["sig_ign"] } else { &s["sig_blk"] };
            assert_ne!(mask(field) & (1 << (sig - 1)), 0, "signal {sig} in {field}");
        }
    }
}

fn ignored_sigchld_reaches_bwrap_and_the_shim_still_sees_its_exit() {
    // The real bwrap waits for SIGCHLD itself and hangs when it is ignored,
    // so the probe stands in for bwrap here.
    let inst = support::install();
    let mut outs = Vec::new();
    for via_shim in [false, true] {
        let mut c = Command::new(if via_shim { &inst.shim } else { &inst.helper });
        c.env_clear().env("PATH", inst.path_var());
        if via_shim {
            c.env("BWRAP_DOCTOR_REAL_BWRAP", &inst.helper);
        }
        c.args(["--helper", "probe", "--exit", "9"]);
        // SAFETY: signal state changes between fork and exec.
        unsafe {
            c.pre_exec(|| {
                libc::signal(libc::SIGCHLD, libc::SIG_IGN);
                Ok(())
            });
        }
        outs.push(support::run(&mut c));
    }
    assert_eq!(outs[1].status.code(), Some(9), "{}", outs[1].stderr_text());
    let (d, s) = (report(&outs[0]), report(&outs[1]));
    assert_eq!(d["sig_ign"], s["sig_ign"]);
    assert_eq!(d["sig_blk"], s["sig_blk"]);
    let ign = u64::from_str_radix(s["sig_ign"].as_str().unwrap(), 16).unwrap();
    assert_ne!(
        ign & (1 << (libc::SIGCHLD - 1)),
        0,
        "SIGCHLD not ignored: {ign:x}"
    );
}

fn sandbox_pids(marker: &str) -> Vec<u32> {
    let mut v = Vec::new();
    for e in std::fs::read_dir("/proc").unwrap().flatten() {
        let Some(pid) = e.file_name().to_str().and_then(|s| s.parse::<u32>().ok()) else {
            continue;
        };
        if let Ok(cmd) = std::fs::read(format!("/proc/{pid}/cmdline")) {
            let cmd = String::from_utf8_lossy(&cmd).replace('\0', " ");
            if cmd.contains(marker) && cmd.contains("--helper probe") && !cmd.contains("bwrap") {
                v.push(pid);
            }
        }
    }
    v
}

fn die_with_parent_still_kills_the_sandbox_when_the_caller_dies(who: &As) {
    let inst = support::install();
    let real = support::real_bwrap();
    for die in [true, false] {
        for via in [Via::Direct, Via::Shim] {
            // A sleep length no other test uses: it finds the sandbox in /proc.
            static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
            let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            let marker = format!("{}", 20011 + n * 37 + std::process::id() % 1000 * 100);
            let extra: &[&str] = if die { &["--die-with-parent"] } else { &[] };
            let args = support::probe_args(extra, &["--sleep-ms", &marker]);
            let bwrap = match via {
                Via::Direct => real.display().to_string(),
                Via::Shim => inst.shim.display().to_string(),
            };
            // The caller: a shell that starts bwrap and waits for it.
            let script = "\"$0\" \"$@\" & wait";
            let mut caller = Command::new("/bin/sh");
            caller.arg("-c").arg(script).arg(&bwrap).args(&args);
            caller.env_clear().env("PATH", inst.path_var());
            caller
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .stdin(Stdio::null());
            who.apply(&mut caller);
            let mut child = caller.spawn().unwrap();
            let sandbox = support::eventually("the sandbox", Duration::from_secs(10), || {
                sandbox_pids(&marker).first().copied()
            });
            child.kill().unwrap(); // SIGKILL: the caller dies without a word
            child.wait().unwrap();
            let gone = support::eventually("a verdict", Duration::from_secs(3), || {
                let alive = support::proc_state(sandbox).is_some_and(|s| s != 'Z');
                if !alive {
                    Some(true)
                } else if !die {
                    std::thread::sleep(Duration::from_millis(500));
                    Some(support::proc_state(sandbox).is_none_or(|s| s == 'Z'))
                } else {
                    None
                }
            });
            // SAFETY: cleaning up a survivor.
            unsafe { libc::kill(sandbox as i32, libc::SIGKILL) };
            assert_eq!(
                gone, die,
                "{via:?} die_with_parent={die}: sandbox gone = {gone}"
            );
        }
    }
}
