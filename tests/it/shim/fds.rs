//! "Every inherited file descriptor reaches bwrap open, at the same number,
//! with the same flags (--info-fd, --json-status-fd, --sync-fd, --block-fd,
//! --seccomp, --file, --bind-data, --args all pass fds). The shim leaks none
//! of its own." Each fd option is exercised with the real bwrap.

use super::{assert_same, both, report};
use crate::support::{self, As, Via, seccomp};
use crate::{Body, Test};
use std::io::{Read, Write};
use std::os::fd::{AsRawFd, OwnedFd};
use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

pub fn tests() -> Vec<Test> {
    tests![
        Each inherited_fds_reach_bwrap_at_the_same_numbers_and_the_shim_leaks_none,
        Each info_fd_reaches_eof_when_bwrap_closes_it_not_when_the_shim_exits,
        Each json_status_fd_reports_the_sandbox_as_without_the_shim,
        Each args_fd_from_a_pipe_and_from_a_file_gives_the_same_sandbox,
        Each file_and_bind_data_fds_are_copied_into_the_sandbox,
        Each sync_fd_closes_when_the_sandbox_ends,
        Each block_fd_holds_the_sandbox_until_the_caller_writes,
        Each seccomp_fd_filter_applies_in_the_sandbox,
    ]
}

fn pipe() -> (OwnedFd, OwnedFd) {
    let (r, w) = std::io::pipe().unwrap();
    (OwnedFd::from(r), OwnedFd::from(w))
}

/// Make each fd appear at its target number in the child (without
/// close-on-exec). Sources are first moved above every target, so that one
/// `dup2` cannot clobber another's source.
fn give_fds(cmd: &mut Command, fds: &[(&OwnedFd, i32)]) {
    let pairs: Vec<(i32, i32)> = fds.iter().map(|(f, t)| (f.as_raw_fd(), *t)).collect();
    // SAFETY: fcntl/dup2 between fork and exec.
    unsafe {
        cmd.pre_exec(move || {
            let mut moved = Vec::new();
            for &(src, target) in &pairs {
                let high = libc::fcntl(src, libc::F_DUPFD_CLOEXEC, 500);
                if high < 0 {
                    return Err(std::io::Error::last_os_error());
                }
                moved.push((high, target));
            }
            for (high, target) in moved {
                if libc::dup2(high, target) < 0 {
                    return Err(std::io::Error::last_os_error());
                }
            }
            Ok(())
        });
    }
}

fn give_fd(cmd: &mut Command, fd: &OwnedFd, target: i32) {
    give_fds(cmd, &[(fd, target)]);
}

/// Run directly and through the shim, giving each run fresh fds from `make`
/// (bwrap reads --args, --file, --seccomp… with read(), which moves a shared
/// offset: the two runs must not share one open file).
fn pair(
    who: As,
    args: &[String],
    make: impl Fn() -> Vec<(OwnedFd, i32)>,
) -> (support::Output, support::Output) {
    let mut outs = Vec::new();
    for via in [Via::Direct, Via::Shim] {
        let fds = make();
        let mut cmd = support::bwrap(via, who, args);
        let refs: Vec<(&OwnedFd, i32)> = fds.iter().map(|(f, t)| (f, *t)).collect();
        give_fds(&mut cmd, &refs);
        outs.push(support::run(&mut cmd));
    }
    let shim = outs.pop().unwrap();
    (outs.pop().unwrap(), shim)
}

fn open(p: &std::path::Path) -> OwnedFd {
    std::fs::File::open(p).unwrap().into()
}

fn inherited_fds_reach_bwrap_at_the_same_numbers_and_the_shim_leaks_none(who: &As) {
    let dir = support::install().scratch();
    let file: OwnedFd = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(dir.join("log"))
        .unwrap()
        .into();
    let (pr, _pw) = pipe();
    // SAFETY: making our own pipe end non-blocking.
    unsafe {
        let fl = libc::fcntl(pr.as_raw_fd(), libc::F_GETFL);
        libc::fcntl(pr.as_raw_fd(), libc::F_SETFL, fl | libc::O_NONBLOCK);
    }
    let (sa, _sb) = std::os::unix::net::UnixStream::pair().unwrap();
    let sa: OwnedFd = sa.into();
    let args = support::probe_args(&[], &[]);
    let (direct, shim) = both(*who, &args, |c| {
        give_fds(c, &[(&file, 7), (&pr, 9), (&sa, 12)]);
    });
    assert_same(&direct, &shim);
    let fds = report(&shim)["fds"].clone();
    let numbers: Vec<i64> = fds
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["fd"].as_i64().unwrap())
        .collect();
    for n in [0, 1, 2, 7, 9, 12] {
        assert!(numbers.contains(&n), "fd {n} missing in the sandbox: {fds}");
    }
    let nine = fds
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["fd"] == 9)
        .unwrap();
    assert_ne!(
        nine["flags"].as_i64().unwrap() & libc::O_NONBLOCK as i64,
        0,
        "{nine}"
    );
}

fn info_fd_reaches_eof_when_bwrap_closes_it_not_when_the_shim_exits(who: &As) {
    for via in [Via::Direct, Via::Shim] {
        let (r, w) = pipe();
        let args = support::probe_args(&["--info-fd", "5"], &["--sleep-ms", "2000"]);
        let mut cmd = support::bwrap(via, *who, &args);
        give_fd(&mut cmd, &w, 5);
        cmd.stdout(Stdio::null()).stderr(Stdio::null());
        let start = Instant::now();
        let mut child = cmd.spawn().unwrap();
        drop(w);
        let mut info = String::new();
        std::fs::File::from(r).read_to_string(&mut info).unwrap();
        let took = start.elapsed();
        support::wait_with_limit(&mut child, Duration::from_secs(20));
        assert!(
            took < Duration::from_millis(1500),
            "{via:?}: --info-fd reached EOF only after {took:?} (the sandbox runs 2 s)"
        );
        let v: serde_json::Value = serde_json::from_str(&info).unwrap();
        assert!(v["child-pid"].as_i64().unwrap() > 0, "{via:?}: {info}");
    }
}

fn json_status_fd_reports_the_sandbox_as_without_the_shim(who: &As) {
    let mut seen = Vec::new();
    for via in [Via::Direct, Via::Shim] {
        let (r, w) = pipe();
        let args = support::probe_args(&["--json-status-fd", "5"], &["--exit", "3"]);
        let mut cmd = support::bwrap(via, *who, &args);
        give_fd(&mut cmd, &w, 5);
        let reader = std::thread::spawn(move || {
            let mut s = String::new();
            std::fs::File::from(r).read_to_string(&mut s).unwrap();
            s
        });
        let out = support::run(&mut cmd);
        drop(w);
        drop(cmd);
        let text = reader.join().unwrap();
        assert_eq!(out.status.code(), Some(3));
        let keys: Vec<Vec<String>> = text
            .lines()
            .map(|l| {
                let v: serde_json::Value = serde_json::from_str(l).unwrap();
                v.as_object().unwrap().keys().cloned().collect()
            })
            .collect();
        assert!(
            text.contains("\"exit-code\": 3") || text.contains("\"exit-code\":3"),
            "{text}"
        );
        seen.push(keys);
    }
    assert_eq!(seen[0], seen[1], "--json-status-fd records differ");
}

fn args_fd_from_a_pipe_and_from_a_file_gives_the_same_sandbox(who: &As) {
    let content = b"--setenv\0FROM_ARGS\0yes\0--chdir\0/tmp\0";
    let args = support::probe_args(&["--args", "5"], &[]);
    // From a pipe (what a shell's here-string gives).
    let mut reports = Vec::new();
    for via in [Via::Direct, Via::Shim] {
        let (r, w) = pipe();
        let mut wf = std::fs::File::from(w);
        wf.write_all(content).unwrap();
        drop(wf);
        let mut cmd = support::bwrap(via, *who, &args);
        give_fd(&mut cmd, &r, 5);
        reports.push(support::run(&mut cmd));
    }
    assert_same(&reports[0], &reports[1]);
    // From a regular file (what Gemini CLI and Flatpak give).
    let dir = support::install().scratch();
    std::fs::write(dir.join("args"), content).unwrap();
    let (direct, shim) = pair(*who, &args, || vec![(open(&dir.join("args")), 5)]);
    assert_same(&direct, &shim);
    let r = report(&shim);
    assert_eq!(r["cwd"], "/tmp");
    assert!(
        r["env"]
            .as_array()
            .unwrap()
            .contains(&serde_json::json!(support::helper::hex(b"FROM_ARGS=yes")))
    );
    assert_eq!(report(&reports[1])["env"], r["env"]);
}

fn file_and_bind_data_fds_are_copied_into_the_sandbox(who: &As) {
    let dir = support::install().scratch();
    std::fs::write(dir.join("a"), b"content of --file\n").unwrap();
    std::fs::write(dir.join("b"), b"content of --ro-bind-data\n").unwrap();
    let args: Vec<String> = support::strings(&[
        "--ro-bind",
        "/",
        "/",
        "--tmpfs",
        "/run",
        "--file",
        "5",
        "/run/f",
        "--ro-bind-data",
        "6",
        "/run/d",
        "/bin/cat",
        "/run/f",
        "/run/d",
    ]);
    let (direct, shim) = pair(*who, &args, || {
        vec![(open(&dir.join("a")), 5), (open(&dir.join("b")), 6)]
    });
    assert_same(&direct, &shim);
    assert_eq!(
        shim.stdout_text(),
        "content of --file\ncontent of --ro-bind-data\n"
    );
}

fn sync_fd_closes_when_the_sandbox_ends(who: &As) {
    for via in [Via::Direct, Via::Shim] {
        let (r, w) = pipe();
        let args = support::probe_args(&["--sync-fd", "5"], &["--sleep-ms", "600"]);
        let mut cmd = support::bwrap(via, *who, &args);
        give_fd(&mut cmd, &w, 5);
        cmd.stdout(Stdio::null()).stderr(Stdio::null());
        let start = Instant::now();
        let mut child = cmd.spawn().unwrap();
        drop(w);
        drop(cmd);
        let mut buf = Vec::new();
        std::fs::File::from(r).read_to_end(&mut buf).unwrap();
        let eof_at = start.elapsed();
        let status = support::wait_with_limit(&mut child, Duration::from_secs(20));
        let exit_at = start.elapsed();
        assert!(status.success(), "{via:?}");
        assert!(
            eof_at >= Duration::from_millis(500),
            "{via:?}: sync fd closed after {eof_at:?}, before the sandbox ended"
        );
        assert!(
            eof_at <= exit_at + Duration::from_millis(50),
            "{via:?}: sync fd closed at {eof_at:?}, after the caller saw the exit at {exit_at:?}"
        );
    }
}

fn block_fd_holds_the_sandbox_until_the_caller_writes(who: &As) {
    for via in [Via::Direct, Via::Shim] {
        let (r, w) = pipe();
        let args = support::probe_args(&["--block-fd", "5"], &[]);
        let mut cmd = support::bwrap(via, *who, &args);
        give_fd(&mut cmd, &r, 5);
        cmd.stdout(Stdio::piped()).stderr(Stdio::null());
        let mut child = cmd.spawn().unwrap();
        drop(r);
        drop(cmd);
        let mut out = child.stdout.take().unwrap();
        let started = Instant::now();
        let reader = std::thread::spawn(move || {
            let mut s = Vec::new();
            let _ = out.read_to_end(&mut s);
            (Instant::now(), s)
        });
        std::thread::sleep(Duration::from_millis(400));
        let released = Instant::now();
        std::fs::File::from(w).write_all(b"x").unwrap();
        let (got_at, bytes) = reader.join().unwrap();
        support::wait_with_limit(&mut child, Duration::from_secs(20));
        assert!(!bytes.is_empty(), "{via:?}: the sandbox never ran");
        assert!(
            got_at >= released,
            "{via:?}: the sandbox ran {:?} after start, before the caller wrote to --block-fd",
            got_at - started
        );
    }
}

fn seccomp_fd_filter_applies_in_the_sandbox(who: &As) {
    if !cfg!(target_arch = "x86_64") {
        support::skip("the test's seccomp program is x86_64 BPF");
    }
    // uname(2) fails with EPERM inside the sandbox.
    let prog = seccomp::program(&[seccomp::Deny::syscall(libc::SYS_uname, libc::EPERM)]);
    // SAFETY: viewing the sock_filter array as bytes.
    let bytes = unsafe {
        std::slice::from_raw_parts(
            prog.as_ptr().cast::<u8>(),
            prog.len() * std::mem::size_of::<libc::sock_filter>(),
        )
    };
    let dir = support::install().scratch();
    std::fs::write(dir.join("bpf"), bytes).unwrap();
    let args: Vec<String> =
        support::strings(&["--ro-bind", "/", "/", "--seccomp", "5", "/bin/uname"]);
    let (direct, shim) = pair(*who, &args, || vec![(open(&dir.join("bpf")), 5)]);
    assert_same(&direct, &shim);
    assert!(!shim.status.success(), "uname ran despite the filter");
    assert!(
        shim.stderr_text().contains("Operation not permitted"),
        "{}",
        shim.stderr_text()
    );
}
