//! "Exit status is identical: every code 0–255, and death by signal N is
//! reported to the caller as death by signal N (reset the handler, raise
//! it), not as 128+N."

use super::{assert_same, both};
use crate::support::{self, As, Via};
use crate::{Body, Test};
use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};
use std::time::Duration;

pub fn tests() -> Vec<Test> {
    tests![
        Once exit_codes_0_to_255_are_mirrored,
        Each exit_codes_of_the_real_bwrap_and_its_command_are_mirrored,
        Each death_of_bwrap_by_signal_n_is_mirrored_as_signal_n,
        Each the_core_file_bwrap_leaves_is_not_overwritten_by_the_shims_own,
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
            // The signal's default action, whatever the harness left: a job
            // started with `&` by a non-interactive shell ignores SIGINT and
            // SIGQUIT, and bwrap would inherit that, directly as through the
            // shim (signals.rs proves the inheritance). SIGKILL cannot be
            // reset; signal() refuses it and changes nothing.
            // SAFETY: only signal(2), async-signal-safe, between fork and exec.
            unsafe {
                cmd.pre_exec(move || {
                    libc::signal(sig, libc::SIG_DFL);
                    Ok(())
                })
            };
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

/// The pid recorded in an ELF core file's NT_PRPSINFO note (x86-64 and
/// aarch64 layout: pr_pid at offset 24 of the descriptor).
fn core_pid(core: &[u8]) -> Option<i32> {
    let u16_at = |o: usize| Some(u16::from_le_bytes(core.get(o..o + 2)?.try_into().ok()?));
    let u32_at = |o: usize| Some(u32::from_le_bytes(core.get(o..o + 4)?.try_into().ok()?));
    let u64_at = |o: usize| Some(u64::from_le_bytes(core.get(o..o + 8)?.try_into().ok()?) as usize);
    if core.get(..5)? != b"\x7fELF\x02" || u16_at(16)? != 4 {
        return None; // not a 64-bit ELF core
    }
    let (phoff, phentsize, phnum) = (u64_at(32)?, u16_at(54)? as usize, u16_at(56)? as usize);
    for i in 0..phnum {
        let ph = phoff + i * phentsize;
        if u32_at(ph)? != 4 {
            continue; // PT_NOTE only
        }
        let (off, size) = (u64_at(ph + 8)?, u64_at(ph + 32)?);
        let mut at = off;
        while at + 12 <= off + size {
            let (namesz, descsz, kind) = (
                u32_at(at)? as usize,
                u32_at(at + 4)? as usize,
                u32_at(at + 8)?,
            );
            let desc = at + 12 + namesz.div_ceil(4) * 4;
            if kind == 3 {
                return Some(u32_at(desc + 24)? as i32);
            }
            at = desc + descsz.div_ceil(4) * 4;
        }
    }
    None
}

fn the_core_file_bwrap_leaves_is_not_overwritten_by_the_shims_own(who: &As) {
    let pattern = std::fs::read_to_string("/proc/sys/kernel/core_pattern").unwrap_or_default();
    let pattern = pattern.trim();
    if pattern.starts_with('|') || pattern.contains('/') || pattern.contains('%') {
        support::skip(format!(
            "the host's core_pattern is {pattern:?}, not a plain file name in the dumping process's directory, where the shim's core could overwrite bwrap's; the test does not change the host's core_pattern"
        ));
    }
    let mut hard = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: reading our own limit.
    unsafe { libc::getrlimit(libc::RLIMIT_CORE, &mut hard) };
    if hard.rlim_max < 1 << 20 {
        support::skip("the core size hard limit is under 1 MiB here; no core file can be written");
    }
    let mut cores = Vec::new();
    for via in [Via::Direct, Via::Shim] {
        let dir = support::install().scratch();
        let args = support::probe_args(&[], &["--sleep-ms", "20000"]);
        let mut cmd = support::bwrap(via, *who, &args);
        cmd.current_dir(&dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        // SAFETY: only setrlimit between fork and exec.
        unsafe {
            std::os::unix::process::CommandExt::pre_exec(&mut cmd, || {
                let mut l = libc::rlimit {
                    rlim_cur: 0,
                    rlim_max: 0,
                };
                libc::getrlimit(libc::RLIMIT_CORE, &mut l);
                l.rlim_cur = l.rlim_max;
                libc::setrlimit(libc::RLIMIT_CORE, &l);
                Ok(())
            });
        }
        let mut child = cmd.spawn().unwrap();
        let bwrap_pid = support::running_bwrap(via, child.id());
        // SAFETY: signalling the process under test.
        unsafe { libc::kill(bwrap_pid as i32, libc::SIGSEGV) };
        let status = support::wait_with_limit(&mut child, Duration::from_secs(20));
        assert_eq!(
            support::code_or_signal(&status),
            (None, Some(libc::SIGSEGV))
        );
        let file = std::fs::read_dir(&dir)
            .unwrap()
            .flatten()
            .map(|e| e.path())
            .find(|p| {
                p.file_name()
                    .is_some_and(|n| n.to_string_lossy().starts_with(pattern))
            });
        if via == Via::Direct && file.is_none() {
            support::skip(format!(
                "the real bwrap killed by SIGSEGV left no core file in its directory here (core_pattern {pattern:?}, {} user); nothing to protect",
                who.label()
            ));
        }
        let file =
            file.unwrap_or_else(|| panic!("no core file in {} through the shim", dir.display()));
        let core = std::fs::read(&file).unwrap();
        cores.push((core_pid(&core), bwrap_pid as i32));
    }
    for (pid, bwrap_pid) in cores {
        assert_eq!(
            pid,
            Some(bwrap_pid),
            "the core file is bwrap's (pid {bwrap_pid}), not the shim's"
        );
    }
}
