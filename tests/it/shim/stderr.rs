//! "stderr bytes arrive complete, in order and promptly (streamed, not
//! buffered until exit), byte for byte, including invalid UTF-8 and a missing
//! final newline. Memory stays bounded however much the sandbox writes."
//! And: "a process inside the sandbox that keeps stderr open after bwrap
//! exits must still be able to write to it".

use super::{assert_same, both};
use crate::support::{self, As, Via};
use crate::{Body, Test};
use std::io::Read;
use std::process::Stdio;
use std::time::{Duration, Instant};

pub fn tests() -> Vec<Test> {
    tests![
        Each stderr_arrives_byte_for_byte_with_invalid_utf8_and_no_final_newline,
        Each stderr_is_streamed_while_bwrap_is_still_running,
        Once stderr_memory_stays_bounded_with_1_gib_written,
        Each background_writer_after_bwrap_exit_gets_no_epipe,
        Each a_writer_gets_epipe_when_the_caller_closes_stderr_as_without_the_shim,
    ]
}

fn stderr_arrives_byte_for_byte_with_invalid_utf8_and_no_final_newline(who: &As) {
    let mut payload = b"first line\n\xff\xfe\x00 binary \x80\r\n".to_vec();
    payload.extend((0..50_000u32).map(|i| (i % 251) as u8));
    payload.extend_from_slice(b"no final newline");
    let hex = support::helper::hex(&payload);
    let args = support::probe_args(&[], &["--stderr-hex", &hex, "--exit", "5"]);
    let (direct, shim) = both(*who, &args, |_| {});
    assert_same(&direct, &shim);
    assert_eq!(shim.stderr, payload);
    assert_eq!(shim.status.code(), Some(5));
}

fn stderr_is_streamed_while_bwrap_is_still_running(who: &As) {
    let args: Vec<String> = support::strings(&[
        "--ro-bind",
        "/",
        "/",
        "--dev",
        "/dev",
        "/bin/sh",
        "-c",
        "echo first >&2; sleep 3; echo second >&2",
    ]);
    let mut cmd = support::bwrap(Via::Shim, *who, &args);
    cmd.stdout(Stdio::null()).stderr(Stdio::piped());
    let start = Instant::now();
    let mut child = cmd.spawn().unwrap();
    let mut err = child.stderr.take().unwrap();
    let mut buf = [0u8; 64];
    let n = err.read(&mut buf).unwrap();
    let arrived = start.elapsed();
    let still_running = child.try_wait().unwrap().is_none();
    assert_eq!(&buf[..n], b"first\n");
    assert!(
        still_running,
        "bwrap had already exited when the line arrived"
    );
    assert!(
        arrived < Duration::from_millis(2500),
        "the first line took {arrived:?} (the sandbox runs 3 s)"
    );
    let mut rest = Vec::new();
    err.read_to_end(&mut rest).unwrap();
    assert_eq!(rest, b"second\n");
    assert!(support::wait_with_limit(&mut child, Duration::from_secs(20)).success());
}

fn stderr_memory_stays_bounded_with_1_gib_written() {
    const GIB: u64 = 1 << 30;
    let args: Vec<String> = support::strings(&[
        "--ro-bind",
        "/",
        "/",
        "--dev",
        "/dev",
        "/bin/sh",
        "-c",
        "head -c 1073741824 /dev/zero >&2",
    ]);
    let who = if support::is_root() {
        As::Root
    } else {
        As::User
    };
    let mut cmd = support::bwrap(Via::Shim, who, &args);
    cmd.stdout(Stdio::null()).stderr(Stdio::piped());
    let start = Instant::now();
    let mut child = cmd.spawn().unwrap();
    let pid = child.id() as libc::pid_t;
    // Reaped below with wait4, for its resource usage.
    let mut err = child.stderr.take().unwrap();
    let mut total = 0u64;
    let mut buf = vec![0u8; 1 << 20];
    let mut nonzero = false;
    loop {
        let n = err.read(&mut buf).unwrap();
        if n == 0 {
            break;
        }
        nonzero |= buf[..n].iter().any(|&b| b != 0);
        total += n as u64;
    }
    let mut status = 0;
    // SAFETY: zeroed rusage filled by wait4.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: waiting for our own child.
    unsafe { libc::wait4(pid, &mut status, 0, &mut ru) };
    let secs = start.elapsed().as_secs_f64();
    drop(child);
    assert_eq!(total, GIB, "bytes arrived");
    assert!(!nonzero, "bytes changed on the way");
    assert!(libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0);
    // ru_maxrss is the largest resident set among the shim and its waited
    // descendants (bwrap, sh, head), in KiB.
    let max_kib = ru.ru_maxrss;
    eprintln!(
        "    1 GiB through the shim in {secs:.2}s ({:.0} MiB/s), max RSS {max_kib} KiB",
        1024.0 / secs
    );
    assert!(max_kib < 32 * 1024, "max RSS {max_kib} KiB");
}

fn background_writer_after_bwrap_exit_gets_no_epipe(who: &As) {
    let dir = support::install().scratch();
    let mut outs = Vec::new();
    for (via, name) in [(Via::Direct, "direct"), (Via::Shim, "shim")] {
        let flag = dir.join(name);
        let script = format!(
            "(sleep 0.5; if echo late >&2; then echo ok > {f}; else echo epipe > {f}; fi) & echo early >&2",
            f = flag.display()
        );
        let args: Vec<String> = vec![
            "--ro-bind".into(),
            "/".into(),
            "/".into(),
            "--dev".into(),
            "/dev".into(),
            "--bind".into(),
            dir.display().to_string(),
            dir.display().to_string(),
            "/bin/sh".into(),
            "-c".into(),
            script,
        ];
        let mut cmd = support::bwrap(via, *who, &args);
        let out = support::run(&mut cmd);
        let got = std::fs::read_to_string(&flag).unwrap_or_else(|_| "no flag".into());
        assert_eq!(got.trim(), "ok", "{name}: the late writer failed");
        outs.push(out);
    }
    assert_same(&outs[0], &outs[1]);
    assert_eq!(outs[1].stderr_text(), "early\nlate\n");
}

/// `bwrap … 2>&1 | head -1`: the caller stops reading stderr. The writer
/// in the sandbox must get EPIPE (and die of SIGPIPE) as it does without
/// the shim, not block on a pipe nobody reads.
fn a_writer_gets_epipe_when_the_caller_closes_stderr_as_without_the_shim(who: &As) {
    let mut ended = Vec::new();
    for (via, name) in [(Via::Direct, "direct"), (Via::Shim, "shim")] {
        let mut cmd = support::bwrap(via, *who, ["--ro-bind", "/", "/", "sh", "-c", "yes >&2"]);
        cmd.stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().unwrap();
        let mut first = [0u8; 1];
        child.stderr.take().unwrap().read_exact(&mut first).unwrap();
        // The stderr pipe's read end is dropped (closed) here.
        let start = Instant::now();
        let status = loop {
            if let Some(s) = child.try_wait().unwrap() {
                break s;
            }
            if start.elapsed() > Duration::from_secs(10) {
                let _ = child.kill();
                let _ = child.wait();
                panic!("{name}: still running 10 s after the caller closed stderr");
            }
            std::thread::sleep(Duration::from_millis(10));
        };
        ended.push(status);
    }
    assert_eq!(ended[0], ended[1], "exit status direct vs through the shim");
}
