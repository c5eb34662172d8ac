//! The test binary's other jobs, chosen by `--helper MODE`:
//!
//! - `probe [--stdin] [--stderr-hex HEX] [--sleep-ms N] [--exit N]`: runs
//!   inside the sandbox and prints, as one JSON line on stdout, what it sees:
//!   argv and environment (hex), cwd, open fds and their flags, terminal
//!   state of fds 0–2, and its signal mask and dispositions.
//! - `fake-bwrap LOG ACTION…`: stands in for bwrap where a test needs an
//!   exit or a signal bwrap itself would never produce; logs every signal it
//!   receives to LOG.
//! - `mini-shell STATUS CMD…`: a job-control shell in miniature: makes the
//!   pty on stdin its controlling terminal, runs CMD in its own foreground
//!   process group, and logs what `waitpid` reports to STATUS.
//! - `rules-load`: loads the rule sources the environment names
//!   (`config::rule_locations`) and prints one line per rule
//!   (`rule ID active|overridden-by ORIGIN|disabled-by ORIGIN`) and per
//!   problem (`problem ONE_LINE`).
//! - `facts [--bwrap P] [--args A… --] [--leftovers] KEY…`: observes facts
//!   on the live host as this process and prints them as JSON (see
//!   `probe::helper_main`).

use std::fmt::Write as _;
use std::io::{Read, Write};
use std::os::unix::ffi::OsStrExt;
use std::sync::atomic::{AtomicI32, AtomicUsize, Ordering};

pub fn main(args: &[String]) -> ! {
    let mode = args.first().map(String::as_str).unwrap_or("");
    let rest = &args[args.len().min(1)..];
    match mode {
        "probe" => probe(rest),
        "fake-bwrap" => fake_bwrap(rest),
        "mini-shell" => mini_shell(rest),
        "rules-load" => rules_load(),
        "facts" => crate::probe::helper_main(rest),
        _ => {
            eprintln!("helper: unknown mode {mode:?}");
            std::process::exit(2)
        }
    }
}

pub fn hex(b: &[u8]) -> String {
    b.iter().fold(String::new(), |mut s, x| {
        let _ = write!(s, "{x:02x}");
        s
    })
}

pub fn unhex(s: &str) -> Vec<u8> {
    (0..s.len() / 2)
        .map(|i| u8::from_str_radix(&s[2 * i..2 * i + 2], 16).unwrap())
        .collect()
}

fn status_field(field: &str) -> String {
    let s = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    s.lines()
        .find_map(|l| {
            l.strip_prefix(&format!("{field}:"))
                .map(|v| v.trim().to_string())
        })
        .unwrap_or_default()
}

fn fd_kind(fd: i32) -> String {
    match std::fs::read_link(format!("/proc/self/fd/{fd}")) {
        Ok(p) => {
            let s = p.to_string_lossy().into_owned();
            if s.starts_with("pipe:") {
                "pipe".into()
            } else if s.starts_with("socket:") {
                "socket".into()
            } else if s.starts_with("/dev/pts/") || s == "/dev/ptmx" {
                "pty".into()
            } else if s.starts_with("anon_inode:") {
                s
            } else {
                format!("path:{s}")
            }
        }
        Err(_) => "?".into(),
    }
}

fn probe(args: &[String]) -> ! {
    let mut read_stdin = false;
    let mut exit = 0;
    let mut sleep_ms = 0u64;
    let mut stderr_bytes = Vec::new();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--stdin" => read_stdin = true,
            "--exit" => exit = it.next().unwrap().parse().unwrap(),
            "--sleep-ms" => sleep_ms = it.next().unwrap().parse().unwrap(),
            "--stderr-hex" => stderr_bytes = unhex(it.next().unwrap()),
            _ => {}
        }
    }
    let argv: Vec<String> = std::env::args_os().map(|a| hex(a.as_bytes())).collect();
    let mut env: Vec<String> = std::env::vars_os()
        .map(|(k, v)| {
            let mut b = k.as_bytes().to_vec();
            b.push(b'=');
            b.extend_from_slice(v.as_bytes());
            hex(&b)
        })
        .collect();
    env.sort();
    let mut fds = Vec::new();
    let listed: Vec<i32> = std::fs::read_dir("/proc/self/fd")
        .map(|d| {
            d.flatten()
                .filter_map(|e| e.file_name().to_str()?.parse().ok())
                .collect()
        })
        .unwrap_or_default();
    for fd in listed {
        // SAFETY: fcntl queries.
        let (fl, fdfl) = unsafe {
            (
                libc::fcntl(fd, libc::F_GETFL),
                libc::fcntl(fd, libc::F_GETFD),
            )
        };
        if fl < 0 {
            continue; // the directory fd read_dir used, now closed
        }
        fds.push(serde_json::json!({
            "fd": fd,
            "flags": fl & !libc::O_LARGEFILE,
            "cloexec": fdfl & libc::FD_CLOEXEC != 0,
            "kind": fd_kind(fd),
        }));
    }
    let tty: Vec<_> = (0..3)
        .map(|fd| {
            let mut ws = libc::winsize {
                ws_row: 0,
                ws_col: 0,
                ws_xpixel: 0,
                ws_ypixel: 0,
            };
            // SAFETY: isatty/ioctl queries on our fds.
            let (isatty, has_ws) = unsafe {
                (
                    libc::isatty(fd) == 1,
                    libc::ioctl(fd, libc::TIOCGWINSZ, &mut ws) == 0,
                )
            };
            serde_json::json!({
                "fd": fd, "isatty": isatty,
                "rows": if has_ws { ws.ws_row as i64 } else { -1 },
                "cols": if has_ws { ws.ws_col as i64 } else { -1 },
            })
        })
        .collect();
    let mut stdin = Vec::new();
    if read_stdin {
        let _ = std::io::stdin().read_to_end(&mut stdin);
    }
    let report = serde_json::json!({
        "argv": argv,
        "env": env,
        "cwd": std::env::current_dir().map(|p| p.display().to_string()).unwrap_or_default(),
        "fds": fds,
        "tty": tty,
        "sig_blk": status_field("SigBlk"),
        "sig_ign": status_field("SigIgn"),
        "sig_cgt": status_field("SigCgt"),
        "stdin": hex(&stdin),
    });
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{report}");
    let _ = out.flush();
    if !stderr_bytes.is_empty() {
        let _ = std::io::stderr().write_all(&stderr_bytes);
    }
    if sleep_ms > 0 {
        std::thread::sleep(std::time::Duration::from_millis(sleep_ms));
    }
    std::process::exit(exit)
}

static LOG_FD: AtomicI32 = AtomicI32::new(-1);
static SIGNALS_SEEN: AtomicUsize = AtomicUsize::new(0);

extern "C" fn log_signal(sig: libc::c_int) {
    let mut buf = *b"sig 00\n";
    buf[4] = b'0' + (sig / 10) as u8;
    buf[5] = b'0' + (sig % 10) as u8;
    // SAFETY: write(2) is async-signal-safe.
    unsafe {
        libc::write(
            LOG_FD.load(Ordering::SeqCst),
            buf.as_ptr().cast(),
            buf.len(),
        )
    };
    SIGNALS_SEEN.fetch_add(1, Ordering::SeqCst);
}

/// `rules-load`: `rules list` in a form tests read (`rule ID STATUS`,
/// `problem LINE`), from the standard locations.
fn rules_load() -> ! {
    use bwrap_doctor_engine::rules::{self, Status};
    let set = rules::load(&bwrap_doctor::config::rule_locations());
    for l in &set.all {
        let status = match &l.status {
            Status::Active => format!("active {}", l.rule.origin),
            Status::Overridden { by } => format!("overridden-by {by}"),
            Status::Disabled { by } => format!("disabled-by {by}"),
        };
        println!("rule {} {status}", l.rule.id);
    }
    for p in &set.problems {
        println!("problem {}", p.one_line());
    }
    std::process::exit(0)
}

/// `fake-bwrap LOG ACTION…` with actions `exit N`, `kill-self SIG`,
/// `until-signals K` (exit 0 after K signals), `sleep-ms N`,
/// `stderr-hex HEX`.
fn fake_bwrap(args: &[String]) -> ! {
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&args[0])
        .unwrap();
    use std::os::fd::IntoRawFd;
    LOG_FD.store(log.into_raw_fd(), Ordering::SeqCst);
    for sig in [
        libc::SIGHUP,
        libc::SIGINT,
        libc::SIGQUIT,
        libc::SIGUSR1,
        libc::SIGUSR2,
        libc::SIGTERM,
        libc::SIGWINCH,
        libc::SIGALRM,
    ] {
        // SAFETY: installing a handler that only calls write(2).
        unsafe { libc::signal(sig, log_signal as *const () as libc::sighandler_t) };
    }
    let line = format!("ready {}\n", std::process::id());
    // SAFETY: plain write to our log fd.
    unsafe {
        libc::write(
            LOG_FD.load(Ordering::SeqCst),
            line.as_ptr().cast(),
            line.len(),
        )
    };
    let mut it = args[1..].iter();
    while let Some(a) = it.next() {
        let v = it.next().map(String::as_str).unwrap_or("0");
        match a.as_str() {
            "exit" => std::process::exit(v.parse().unwrap()),
            "kill-self" => {
                let sig: i32 = v.parse().unwrap();
                // SAFETY: default action, then die by it.
                unsafe {
                    libc::signal(sig, libc::SIG_DFL);
                    libc::raise(sig);
                }
            }
            "sleep-ms" => std::thread::sleep(std::time::Duration::from_millis(v.parse().unwrap())),
            "stderr-hex" => {
                let _ = std::io::stderr().write_all(&unhex(v));
            }
            "until-signals" => {
                let k: usize = v.parse().unwrap();
                let start = std::time::Instant::now();
                while SIGNALS_SEEN.load(Ordering::SeqCst) < k
                    && start.elapsed() < std::time::Duration::from_secs(30)
                {
                    std::thread::sleep(std::time::Duration::from_millis(5));
                }
                // Let a duplicate arrive if one is coming.
                std::thread::sleep(std::time::Duration::from_millis(200));
            }
            _ => {}
        }
    }
    std::process::exit(0)
}

fn mini_shell(args: &[String]) -> ! {
    let status_path = &args[0];
    let cmd = &args[1..];
    let mut status = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(status_path)
        .unwrap();
    // SAFETY: classic job-control setup; the child only makes
    // async-signal-safe calls before exec.
    unsafe {
        libc::setsid();
        libc::ioctl(0, libc::TIOCSCTTY, 0);
        libc::signal(libc::SIGTTOU, libc::SIG_IGN);
        libc::signal(libc::SIGTSTP, libc::SIG_IGN);
        libc::signal(libc::SIGINT, libc::SIG_IGN);
        let pid = libc::fork();
        if pid == 0 {
            libc::setpgid(0, 0);
            libc::tcsetpgrp(0, libc::getpid());
            libc::signal(libc::SIGTTOU, libc::SIG_DFL);
            libc::signal(libc::SIGTSTP, libc::SIG_DFL);
            libc::signal(libc::SIGINT, libc::SIG_DFL);
            let c: Vec<std::ffi::CString> = cmd
                .iter()
                .map(|s| std::ffi::CString::new(s.as_str()).unwrap())
                .collect();
            let mut p: Vec<*const libc::c_char> = c.iter().map(|s| s.as_ptr()).collect();
            p.push(std::ptr::null());
            libc::execv(p[0], p.as_ptr());
            libc::_exit(127);
        }
        libc::setpgid(pid, pid);
        let _ = writeln!(status, "started {pid}");
        loop {
            let mut st = 0;
            let r = libc::waitpid(pid, &mut st, libc::WUNTRACED | libc::WCONTINUED);
            if r < 0 {
                break;
            }
            let line = if libc::WIFSTOPPED(st) {
                format!("stopped {}", libc::WSTOPSIG(st))
            } else if libc::WIFCONTINUED(st) {
                "continued".to_string()
            } else if libc::WIFEXITED(st) {
                format!("exited {}", libc::WEXITSTATUS(st))
            } else {
                format!("signaled {}", libc::WTERMSIG(st))
            };
            let _ = writeln!(status, "{line}");
            let _ = status.flush();
            if libc::WIFEXITED(st) || libc::WIFSIGNALED(st) {
                break;
            }
        }
    }
    std::process::exit(0)
}
