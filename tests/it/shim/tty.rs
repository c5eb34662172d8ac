//! "What the sandboxed program sees on fds 0–2 matches a direct run: if
//! stderr was a terminal it is still a terminal (with the same window size),
//! not a pipe."

use super::report;
use crate::support::{self, As, Via, pty::Pty};
use crate::{Body, Test};
use std::time::Duration;

pub fn tests() -> Vec<Test> {
    tests![Each terminal_stays_a_terminal_with_the_same_window_size]
}

fn run_on_pty(via: Via, who: As, args: &[String]) -> (i32, Vec<u8>) {
    let mut pty = Pty::open(33, 111);
    let mut cmd = support::bwrap(via, who, args);
    cmd.stdin(pty.stdio())
        .stdout(pty.stdio())
        .stderr(pty.stdio());
    let mut child = cmd.spawn().unwrap();
    drop(cmd);
    pty.close_slave();
    let status = support::wait_with_limit(&mut child, Duration::from_secs(30));
    (status.code().unwrap_or(-1), pty.finish())
}

fn terminal_stays_a_terminal_with_the_same_window_size(who: &As) {
    let args = support::probe_args(
        &[],
        &["--stderr-hex", &support::helper::hex(b"to stderr\nlast")],
    );
    let (dc, direct) = run_on_pty(Via::Direct, *who, &args);
    let (sc, shim) = run_on_pty(Via::Shim, *who, &args);
    assert_eq!((dc, sc), (0, 0));
    let parse = |bytes: &[u8]| {
        let text = String::from_utf8_lossy(bytes).replace('\r', "");
        let line = text.lines().next().unwrap_or_default().to_string();
        let o = support::Output {
            status: std::os::unix::process::ExitStatusExt::from_raw(0),
            stdout: line.into_bytes(),
            stderr: vec![],
        };
        report(&o)
    };
    let (d, s) = (parse(&direct), parse(&shim));
    assert_eq!(d["tty"], s["tty"], "terminal state of fds 0-2 differs");
    for t in s["tty"].as_array().unwrap() {
        assert_eq!(t["isatty"], true, "{t}");
        assert_eq!(
            (t["rows"].as_i64(), t["cols"].as_i64()),
            (Some(33), Some(111)),
            "{t}"
        );
    }
    // The bytes the terminal received are the same, stderr included.
    let tail = |b: &[u8]| {
        let i = b
            .windows(9)
            .position(|w| w == b"to stderr")
            .expect("stderr on the terminal");
        b[i..].to_vec()
    };
    assert_eq!(
        String::from_utf8_lossy(&tail(&direct)),
        String::from_utf8_lossy(&tail(&shim))
    );
}
