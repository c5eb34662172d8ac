//! "The sandboxed program keeps the caller's stderr" (DESIGN.md §2): fd 2
//! inside the sandbox is the caller's own open file description, whatever
//! it is, so everything that depends on it behaves as without the shim:
//! job control on a terminal, `2>&1` order, journald's socket, write errors,
//! atomic writes of writers sharing one pipe. And only bwrap's own failures
//! are diagnosed: a program's `bwrap: …` lines are its own.

use super::{assert_same, both};
use crate::support::{self, As, Via, pty::Pty};
use crate::{Body, Test};
use std::io::Read;
use std::os::fd::{AsRawFd, OwnedFd};
use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

pub fn tests() -> Vec<Test> {
    tests![
        Each an_interactive_shell_on_a_terminal_has_job_control_as_without_the_shim,
        Each stdout_and_stderr_merged_keep_their_order_in_a_file_a_pipe_and_a_terminal,
        Each fd_2_in_the_sandbox_is_the_callers_own_file_pipe_socket_or_terminal,
        Each write_errors_on_stderr_are_the_programs_own_as_without_the_shim,
        Each a_file_size_limit_on_stderr_ends_the_program_as_without_the_shim,
        Each three_sandboxes_sharing_one_stderr_pipe_never_tear_a_line,
        Each a_programs_own_bwrap_lines_and_exit_status_are_never_diagnosed,
        Each a_stderr_reader_that_is_gone_ends_bwrap_by_sigpipe_as_without_the_shim,
        Each a_sandbox_without_die_with_parent_outlives_its_caller_with_arguments_from_a_pipe,
        Each a_bwrap_failure_is_diagnosed_on_a_terminal_a_file_a_pipe_and_a_socket,
        Each a_program_bwrap_cannot_start_is_diagnosed_from_bwraps_exact_words_on_a_terminal,
        Once a_programs_failure_runs_bwrap_once_where_bwrap_reports_its_setup,
    ]
}

fn sh(script: &str) -> Vec<String> {
    support::strings(&[
        "--ro-bind",
        "/",
        "/",
        "--dev",
        "/dev",
        "/bin/sh",
        "-c",
        script,
    ])
}

/// `cmd`'s stdio all on the terminal, as a session leader with the terminal
/// as its controlling terminal (what a shell gives a foreground job).
fn on_terminal(cmd: &mut Command, pty: &Pty) {
    cmd.stdin(pty.stdio())
        .stdout(pty.stdio())
        .stderr(pty.stdio());
    // SAFETY: setsid and TIOCSCTTY are async-signal-safe.
    unsafe {
        cmd.pre_exec(|| {
            if libc::setsid() < 0 || libc::ioctl(0, libc::TIOCSCTTY, 0) < 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
}

fn an_interactive_shell_on_a_terminal_has_job_control_as_without_the_shim(who: &As) {
    if !std::path::Path::new("/bin/bash").exists() {
        support::skip("bash is not installed");
    }
    let run = |via: Via| -> String {
        let mut pty = Pty::open(24, 80);
        let args = support::strings(&["--dev-bind", "/", "/", "/bin/bash", "--norc", "-i"]);
        let mut cmd = support::bwrap(via, *who, &args);
        cmd.env("PS1", "$ ");
        on_terminal(&mut cmd, &pty);
        let mut child = cmd.spawn().unwrap();
        drop(cmd); // its copies of the terminal, so the master sees the end
        pty.close_slave();
        pty.write(b"sleep 0.3 & fg; echo JOB-$?\n");
        pty.write(b"tty <&2 >/dev/null && echo STDERR-IS-THE-TERMINAL\n");
        pty.write(b"exit\n");
        let status = support::wait_with_limit(&mut child, Duration::from_secs(30));
        let out = String::from_utf8_lossy(&pty.finish()).replace('\r', "");
        assert!(status.success(), "{via:?}: {status:?}\n{out}");
        out
    };
    for (via, out) in [(Via::Direct, run(Via::Direct)), (Via::Shim, run(Via::Shim))] {
        assert!(!out.contains("no job control"), "{via:?}:\n{out}");
        assert!(out.contains("\nJOB-0"), "{via:?}: fg did not work:\n{out}");
        assert!(out.contains("\nSTDERR-IS-THE-TERMINAL"), "{via:?}:\n{out}");
    }
}

const INTERLEAVED: &str = "for i in 1 2 3 4 5; do echo o$i; echo e$i >&2; done";
const IN_ORDER: &str = "o1\ne1\no2\ne2\no3\ne3\no4\ne4\no5\ne5\n";

fn stdout_and_stderr_merged_keep_their_order_in_a_file_a_pipe_and_a_terminal(who: &As) {
    let dir = support::install().scratch();
    for via in [Via::Direct, Via::Shim] {
        let mut out_of_order = [0; 3];
        for run in 0..50 {
            // A file.
            let path = dir.join(format!("merged-{via:?}-{run}"));
            let file = std::fs::File::create(&path).unwrap();
            let mut c = support::bwrap(via, *who, sh(INTERLEAVED));
            c.stdin(Stdio::null())
                .stdout(file.try_clone().unwrap())
                .stderr(file);
            assert!(c.status().unwrap().success());
            out_of_order[0] += usize::from(std::fs::read_to_string(&path).unwrap() != IN_ORDER);
            // A pipe.
            let (mut r, w) = std::io::pipe().unwrap();
            let mut c = support::bwrap(via, *who, sh(INTERLEAVED));
            c.stdin(Stdio::null())
                .stdout(w.try_clone().unwrap())
                .stderr(w);
            let mut child = c.spawn().unwrap();
            drop(c);
            let mut got = String::new();
            r.read_to_string(&mut got).unwrap();
            assert!(child.wait().unwrap().success());
            out_of_order[1] += usize::from(got != IN_ORDER);
            // A terminal (without output post-processing, so bytes are as written).
            let mut pty = Pty::open(24, 80);
            raw_output(&pty);
            let mut c = support::bwrap(via, *who, sh(INTERLEAVED));
            c.stdin(Stdio::null())
                .stdout(pty.stdio())
                .stderr(pty.stdio());
            let mut child = c.spawn().unwrap();
            drop(c);
            pty.close_slave();
            assert!(support::wait_with_limit(&mut child, Duration::from_secs(20)).success());
            let got = String::from_utf8_lossy(&pty.finish()).replace('\r', "");
            out_of_order[2] += usize::from(got != IN_ORDER);
        }
        assert_eq!(
            out_of_order,
            [0, 0, 0],
            "{via:?}: runs out of order of 50 (file, pipe, terminal)"
        );
    }
}

fn raw_output(pty: &Pty) {
    let mut tio = std::mem::MaybeUninit::<libc::termios>::zeroed();
    // SAFETY: tcgetattr/tcsetattr on the master of our own pty.
    unsafe {
        if libc::tcgetattr(pty.master.as_raw_fd(), tio.as_mut_ptr()) == 0 {
            let mut tio = tio.assume_init();
            tio.c_oflag &= !libc::OPOST;
            libc::tcsetattr(pty.master.as_raw_fd(), libc::TCSANOW, &tio);
        }
    }
}

fn dev_ino(fd: &impl AsRawFd) -> String {
    let mut st = std::mem::MaybeUninit::<libc::stat>::zeroed();
    // SAFETY: fstat into our buffer.
    let st = unsafe {
        assert_eq!(libc::fstat(fd.as_raw_fd(), st.as_mut_ptr()), 0);
        st.assume_init()
    };
    format!("{}:{}", st.st_dev, st.st_ino)
}

fn fd_2_in_the_sandbox_is_the_callers_own_file_pipe_socket_or_terminal(who: &As) {
    let dir = support::install().scratch();
    // What the sandboxed program's fd 2 is: device and inode.
    let args = sh("stat -L -c %d:%i /proc/self/fd/2");
    for via in [Via::Direct, Via::Shim] {
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(dir.join(format!("fd2-{via:?}")))
            .unwrap();
        let (_r, pipe) = std::io::pipe().unwrap();
        let (socket, _peer) = std::os::unix::net::UnixStream::pair().unwrap();
        let pty = Pty::open(24, 80);
        let terminal: OwnedFd = pty.stdio_fd();
        let kinds: [(&str, OwnedFd); 4] = [
            ("file", file.into()),
            ("pipe", pipe.into()),
            ("socket", socket.into()),
            ("terminal", terminal),
        ];
        for (kind, fd) in kinds {
            let want = dev_ino(&fd);
            let mut c = support::bwrap(via, *who, &args);
            c.stdin(Stdio::null()).stderr(fd);
            let out = c.output().unwrap();
            assert!(out.status.success(), "{via:?} {kind}: {:?}", out.status);
            let got = String::from_utf8_lossy(&out.stdout).trim().to_string();
            assert_eq!(got, want, "{via:?}: fd 2 inside is not the caller's {kind}");
        }
    }
}

fn write_errors_on_stderr_are_the_programs_own_as_without_the_shim(who: &As) {
    // The program writes to stderr, then says how that went and goes on.
    let args = sh("echo to-stderr >&2; echo write-status=$?; echo after");
    let read_only = || std::fs::File::open("/dev/null").unwrap();
    let full = || {
        std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .unwrap()
    };
    for (what, make) in [
        ("/dev/full", &full as &dyn Fn() -> std::fs::File),
        ("a read-only fd", &read_only),
    ] {
        let mut seen = Vec::new();
        for via in [Via::Direct, Via::Shim] {
            let mut c = support::bwrap(via, *who, &args);
            c.stdin(Stdio::null()).stderr(make());
            let out = c.output().unwrap();
            seen.push((
                support::code_or_signal(&out.status),
                String::from_utf8_lossy(&out.stdout).into_owned(),
            ));
        }
        assert_eq!(seen[0], seen[1], "stderr on {what}: direct vs shim");
        assert_eq!(seen[0].0, (Some(0), None), "stderr on {what}: {seen:?}");
        assert!(seen[0].1.contains("write-status=1\nafter"), "{seen:?}");
    }
    if support::is_root() {
        // A full file system: a tiny tmpfs filled up, stderr a file on it.
        let dir = support::install().scratch().join("fulltmpfs");
        std::fs::create_dir_all(&dir).unwrap();
        let mounted = Command::new("mount")
            .args(["-t", "tmpfs", "-o", "size=4k,mode=0777", "tmpfs"])
            .arg(&dir)
            .status()
            .unwrap();
        assert!(mounted.success());
        let _ = std::fs::write(dir.join("filler"), vec![0u8; 8192]);
        let mut seen = Vec::new();
        for via in [Via::Direct, Via::Shim] {
            let err = std::fs::File::create(dir.join(format!("err-{via:?}"))).unwrap();
            let mut c = support::bwrap(via, *who, &args);
            c.stdin(Stdio::null()).stderr(err);
            let out = c.output().unwrap();
            seen.push((
                support::code_or_signal(&out.status),
                String::from_utf8_lossy(&out.stdout).into_owned(),
            ));
        }
        let _ = Command::new("umount").arg(&dir).status();
        assert_eq!(seen[0], seen[1], "stderr on a full file system");
        assert!(seen[0].1.contains("write-status=1\nafter"), "{seen:?}");
    }
}

fn a_file_size_limit_on_stderr_ends_the_program_as_without_the_shim(who: &As) {
    let dir = support::install().scratch();
    // 8 KiB into stderr under a 4 KiB file size limit: SIGXFSZ for the
    // writer, which the shell reports; the sandbox goes on.
    let args = sh("head -c 8192 /dev/zero >&2; echo head-status=$?");
    let mut seen = Vec::new();
    for via in [Via::Direct, Via::Shim] {
        let err = std::fs::File::create(dir.join(format!("fsize-{via:?}"))).unwrap();
        let mut c = support::bwrap(via, *who, &args);
        c.stdin(Stdio::null()).stderr(err);
        // SAFETY: setrlimit is async-signal-safe.
        unsafe {
            c.pre_exec(|| {
                let lim = libc::rlimit {
                    rlim_cur: 4096,
                    rlim_max: 4096,
                };
                libc::setrlimit(libc::RLIMIT_FSIZE, &lim);
                Ok(())
            });
        }
        let out = c.output().unwrap();
        seen.push((
            support::code_or_signal(&out.status),
            String::from_utf8_lossy(&out.stdout).into_owned(),
        ));
    }
    assert_eq!(seen[0], seen[1], "direct vs shim");
    // The shell writing to stderr dies of SIGXFSZ; bwrap reports 128+25.
    assert_eq!(seen[0].0, (Some(128 + libc::SIGXFSZ), None), "{seen:?}");
}

fn three_sandboxes_sharing_one_stderr_pipe_never_tear_a_line(who: &As) {
    const LINES: usize = 3000;
    let script = |id: char| {
        let line: String = std::iter::repeat_n(id, 99).collect();
        format!("i=0; while [ $i -lt {LINES} ]; do echo {line} >&2; i=$((i+1)); done")
    };
    for via in [Via::Direct, Via::Shim] {
        let (mut r, w) = std::io::pipe().unwrap();
        let mut children = Vec::new();
        for id in ['a', 'b', 'c'] {
            let mut c = support::bwrap(via, *who, sh(&script(id)));
            c.stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(w.try_clone().unwrap());
            children.push(c.spawn().unwrap());
        }
        drop(w);
        let mut all = String::new();
        r.read_to_string(&mut all).unwrap();
        for mut c in children {
            assert!(c.wait().unwrap().success());
        }
        let lines: Vec<&str> = all.lines().collect();
        let torn = lines
            .iter()
            .filter(|l| l.len() != 99 || !l.chars().all(|ch| ch == l.chars().next().unwrap_or('?')))
            .count();
        assert_eq!(lines.len(), 3 * LINES, "{via:?}: lines lost or split");
        assert_eq!(torn, 0, "{via:?}: {torn} torn lines of {}", 3 * LINES);
    }
}

fn a_programs_own_bwrap_lines_and_exit_status_are_never_diagnosed(who: &As) {
    for script in [
        "echo 'bwrap: Unknown option --foo' >&2; exit 1",
        "echo hello; echo 'bwrap: custom xyz' >&2; exit 1",
        "echo 'bwrap: Can'\"'\"'t find source path /nope: No such file or directory' >&2; exit 1",
    ] {
        // On a pipe (captured), and on a file.
        let (direct, shim) = both(*who, &sh(script), |_| {});
        assert_same(&direct, &shim);
        let dir = support::install().scratch();
        let mut texts = Vec::new();
        for via in [Via::Direct, Via::Shim] {
            let path = dir.join(format!("own-{via:?}"));
            let file = std::fs::File::create(&path).unwrap();
            let mut c = support::bwrap(via, *who, sh(script));
            c.stdin(Stdio::null()).stdout(Stdio::null()).stderr(file);
            let status = c.status().unwrap();
            assert_eq!(status.code(), Some(1));
            texts.push(std::fs::read_to_string(&path).unwrap());
        }
        assert_eq!(texts[0], texts[1], "{script}");
    }
}

fn a_stderr_reader_that_is_gone_ends_bwrap_by_sigpipe_as_without_the_shim(who: &As) {
    let args: Vec<String> = support::strings(support::MISSING_SOURCE);
    let mut seen = Vec::new();
    for via in [Via::Direct, Via::Shim] {
        let (r, w) = std::io::pipe().unwrap();
        drop(r);
        let mut c = support::bwrap(via, *who, &args);
        c.stdin(Stdio::null()).stdout(Stdio::null()).stderr(w);
        let status = c.status().unwrap();
        seen.push(support::code_or_signal(&status));
    }
    assert_eq!(seen[0], seen[1], "direct vs shim");
    // bwrap's setup child dies of SIGPIPE writing its message; bwrap
    // reports that as 128+13.
    assert_eq!(seen[0], (Some(128 + libc::SIGPIPE), None), "{seen:?}");
}

fn a_sandbox_without_die_with_parent_outlives_its_caller_with_arguments_from_a_pipe(who: &As) {
    let dir = support::install()
        .scratch()
        .join(format!("outlive-{}", who.label()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::set_permissions(&dir, std::os::unix::fs::PermissionsExt::from_mode(0o777)).unwrap();
    let d = dir.display().to_string();
    for via in [Via::Direct, Via::Shim] {
        let marker = dir.join(format!("{via:?}"));
        let bwrap = match via {
            Via::Direct => support::real_bwrap().display().to_string(),
            Via::Shim => support::install().shim.display().to_string(),
        };
        // The caller: arguments through a pipe (--args 3), the sandbox in the
        // background, then the caller exits at once.
        let script = format!(
            "printf '%s\\0' --ro-bind / / --bind {d} {d} | {{ exec 3<&0; \"{bwrap}\" --args 3 /bin/sh -c 'sleep 1; echo done > {m}; echo late >&2' </dev/null & }}; sleep 0.2; exit 0",
            m = marker.display()
        );
        let mut c = Command::new("/bin/sh");
        c.args(["-c", &script])
            .env_clear()
            .env("PATH", support::install().path_var())
            .current_dir("/");
        who.apply(&mut c);
        let (mut r, w) = std::io::pipe().unwrap();
        c.stdin(Stdio::null()).stdout(Stdio::null()).stderr(w);
        let status = c.status().unwrap();
        drop(c);
        assert!(status.success());
        let start = Instant::now();
        let mut err = String::new();
        r.read_to_string(&mut err).unwrap(); // EOF when the sandbox has ended
        assert!(start.elapsed() < Duration::from_secs(20));
        assert!(
            marker.exists(),
            "{via:?}: the sandbox did not finish its work; stderr: {err}"
        );
        assert!(
            err.contains("late"),
            "{via:?}: its last line was lost: {err}"
        );
    }
}

/// What a caller reads from stderr of `bwrap ARGS…` through the shim, with
/// stderr a `kind` of file.
fn read_stderr_as(kind: &str, who: As, args: &[String]) -> String {
    let mut c = support::bwrap(Via::Shim, who, args);
    c.env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::null());
    let bytes = match kind {
        "file" => {
            let path = support::install()
                .scratch()
                .join(format!("diag-{}", who.label()));
            c.stderr(std::fs::File::create(&path).unwrap());
            c.status().unwrap();
            std::fs::read(&path).unwrap()
        }
        "pipe" => c.output().unwrap().stderr,
        "socket" => {
            let (mine, theirs) = std::os::unix::net::UnixStream::pair().unwrap();
            c.stderr(OwnedFd::from(theirs));
            c.status().unwrap();
            drop(c);
            let mut v = Vec::new();
            let mut mine = mine;
            mine.read_to_end(&mut v).unwrap();
            v
        }
        _ => {
            let mut pty = Pty::open(24, 200);
            raw_output(&pty);
            c.stderr(pty.stdio());
            let mut child = c.spawn().unwrap();
            drop(c);
            pty.close_slave();
            support::wait_with_limit(&mut child, Duration::from_secs(30));
            pty.finish()
        }
    };
    String::from_utf8_lossy(&bytes).replace('\r', "")
}

fn a_bwrap_failure_is_diagnosed_on_a_terminal_a_file_a_pipe_and_a_socket(who: &As) {
    let args: Vec<String> = support::strings(support::MISSING_SOURCE);
    for kind in ["terminal", "file", "pipe", "socket"] {
        let text = read_stderr_as(kind, *who, &args);
        let bwraps = text
            .find("bwrap: Can't find source path")
            .unwrap_or_else(|| panic!("{kind}: bwrap's own line is missing:\n{text}"));
        let cause = text
            .find("bind-source-missing")
            .unwrap_or_else(|| panic!("{kind}: no diagnosis:\n{text}"));
        assert!(bwraps < cause, "{kind}: the diagnosis comes first:\n{text}");
    }
}

fn a_program_bwrap_cannot_start_is_diagnosed_from_bwraps_exact_words_on_a_terminal(who: &As) {
    let args = support::strings(&["--ro-bind", "/", "/", "/nonexistent/program"]);
    let text = read_stderr_as("terminal", *who, &args);
    assert!(
        text.starts_with("bwrap: execvp /nonexistent/program: No such file or directory\n"),
        "{text}"
    );
    // The id as the shim spells it where a caller's keyword must not appear.
    assert!(text.contains("command-not-found-in-sand"), "{text}");
    // The program that exists is never run by the shim's look back: a
    // failure after its start is the program's, and nothing is added.
    let marker = support::install()
        .scratch()
        .join(format!("ran-{}", who.label()));
    let _ = std::fs::remove_file(&marker);
    let dir = marker.parent().unwrap().display().to_string();
    let script = format!("echo once >> {}; exit 1", marker.display());
    let args = support::strings(&[
        "--ro-bind",
        "/",
        "/",
        "--bind",
        &dir,
        &dir,
        "/bin/sh",
        "-c",
        &script,
    ]);
    let text = read_stderr_as("terminal", *who, &args);
    assert_eq!(text, "", "nothing added to a program's own failure");
    assert_eq!(
        std::fs::read_to_string(&marker).unwrap_or_default(),
        "once\n"
    );
}

/// How many times the real bwrap was executed for one run through the shim
/// (strace), and how the run ended.
fn bwrap_execs(args: &[&str], fd9: bool) -> (usize, support::Output) {
    let inst = support::install();
    let trace = inst.scratch().join(format!("trace-execs-{fd9}"));
    let mut c = Command::new("strace");
    c.args(["-f", "-qq", "-e", "trace=execve", "-o"])
        .arg(&trace)
        .arg(&inst.shim)
        .args(args)
        .env_clear()
        .env("PATH", inst.path_var());
    if fd9 {
        // SAFETY: open and dup2 are async-signal-safe.
        unsafe {
            c.pre_exec(|| {
                let fd = libc::open(c"/dev/null".as_ptr(), libc::O_WRONLY);
                if fd < 0 || libc::dup2(fd, 9) < 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
    }
    let out = support::run(&mut c);
    let real = format!("execve(\"{}\"", support::real_bwrap().display());
    let text = std::fs::read_to_string(&trace).unwrap();
    (text.lines().filter(|l| l.contains(&real)).count(), out)
}

fn a_programs_failure_runs_bwrap_once_where_bwrap_reports_its_setup() {
    if Command::new("strace").arg("-V").output().is_err() {
        support::skip("strace is not installed (apt-get install strace)");
    }
    // bwrap's --json-status-fd says the program ran: its exit 1 is its own,
    // and nothing more is run or said.
    let (n, out) = bwrap_execs(&["--ro-bind", "/", "/", "/bin/sh", "-c", "exit 1"], false);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(out.stderr_text(), "");
    assert_eq!(n, 1, "bwrap ran again for a program's own failure");
    // The caller uses --json-status-fd itself: the shim cannot ask, so an
    // exit 1 makes it repeat the setup with the program replaced — which
    // goes through, so the failure is the program's and nothing is said.
    let (n, out) = bwrap_execs(
        &[
            "--json-status-fd",
            "9",
            "--ro-bind",
            "/",
            "/",
            "/bin/sh",
            "-c",
            "exit 1",
        ],
        true,
    );
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(out.stderr_text(), "");
    assert_eq!(
        n, 2,
        "the setup was not repeated to tell whose failure it was"
    );
}
