//! What the tests share: the installed shim, the real bwrap, the
//! unprivileged test user, running commands with a time limit, and skipping
//! loudly.

pub mod helper;
pub mod pty;
pub mod schema;
pub mod seccomp;
pub mod snapshot;

use std::cell::RefCell;
use std::ffi::OsStr;
use std::io::Read;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// The panic payload of a skipped test.
pub struct Skip(pub String);

/// End the current test as skipped, saying why.
pub fn skip(why: impl Into<String>) -> ! {
    std::panic::panic_any(Skip(why.into()))
}

/// The path a download script of scripts/ prints (`scripts/SCRIPT ARGS…`:
/// trixie.sh's bwrap 0.12, arm64.sh's arm64 trees and qemu), or skip saying
/// that `what` is not here: scripts/test.sh fetches it; tests install
/// nothing.
pub fn fetched(script: &str, args: &[&str], what: &str) -> PathBuf {
    let path = format!("{}/scripts/{script}", env!("CARGO_MANIFEST_DIR"));
    let out = Command::new(&path).args(args).output().unwrap();
    if !out.status.success() {
        skip(format!(
            "not here: {what} (scripts/test.sh fetches it with scripts/{script} fetch): {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    PathBuf::from(String::from_utf8_lossy(&out.stdout).trim())
}

thread_local! {
    static CURRENT: RefCell<String> = const { RefCell::new(String::new()) };
    static LAST_PANIC: RefCell<String> = const { RefCell::new(String::new()) };
}

pub fn set_current_test(name: &str) {
    CURRENT.with(|c| *c.borrow_mut() = name.to_string());
}

/// Failures are reported once, in the summary; skips are not failures.
pub fn quiet_skip_panics() {
    std::panic::set_hook(Box::new(|info| {
        if info.payload().is::<Skip>() {
            return;
        }
        let at = info
            .location()
            .map(|l| format!("{}:{}", l.file(), l.line()))
            .unwrap_or_default();
        LAST_PANIC.with(|p| *p.borrow_mut() = at);
    }));
}

pub fn panic_text(p: &Box<dyn std::any::Any + Send>) -> String {
    let msg = p
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| p.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "(non-string panic)".into());
    let at = LAST_PANIC.with(|p| p.borrow().clone());
    format!("{msg}\n    at {at}")
}

/// Who runs the command under test.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum As {
    Root,
    User,
}

pub const TEST_USER: &str = "bwd-test";

pub fn is_root() -> bool {
    // SAFETY: geteuid has no side effects.
    unsafe { libc::geteuid() == 0 }
}

/// Skip, saying why, unless the suite runs as root.
pub fn needs_root(why: &str) {
    if !is_root() {
        skip(format!("needs root {why}"));
    }
}

impl As {
    pub fn label(&self) -> &'static str {
        match self {
            As::Root => "root",
            As::User => "user",
        }
    }

    /// Make `cmd` run as this identity, or skip the test if this machine
    /// cannot provide it.
    pub fn apply(&self, cmd: &mut Command) {
        match self {
            As::Root => {
                if !is_root() {
                    skip("needs root (the suite runs as an unprivileged user)");
                }
            }
            As::User => {
                if is_root() {
                    let (uid, gid) = test_user();
                    // SAFETY: only async-signal-safe calls between fork and exec.
                    unsafe {
                        cmd.pre_exec(move || {
                            if libc::setgroups(0, std::ptr::null()) != 0
                                || libc::setgid(gid) != 0
                                || libc::setuid(uid) != 0
                            {
                                return Err(std::io::Error::last_os_error());
                            }
                            Ok(())
                        });
                    }
                }
            }
        }
    }

    pub fn uid(&self) -> u32 {
        match self {
            As::Root => 0,
            As::User if is_root() => test_user().0,
            // SAFETY: getuid has no side effects.
            As::User => unsafe { libc::getuid() },
        }
    }
}

/// The unprivileged test user (created when missing; root only).
pub fn test_user() -> (u32, u32) {
    static USER: OnceLock<Result<(u32, u32), String>> = OnceLock::new();
    let r = USER.get_or_init(|| {
        let lookup = || -> Option<(u32, u32)> {
            let out = Command::new("id").args(["-u", TEST_USER]).output().ok()?;
            let uid = String::from_utf8_lossy(&out.stdout).trim().parse().ok()?;
            let out = Command::new("id").args(["-g", TEST_USER]).output().ok()?;
            let gid = String::from_utf8_lossy(&out.stdout).trim().parse().ok()?;
            Some((uid, gid))
        };
        if let Some(ids) = lookup() {
            return Ok(ids);
        }
        let made = Command::new("useradd")
            .args([
                "--system",
                "--no-create-home",
                "--shell",
                "/usr/sbin/nologin",
            ])
            .arg(TEST_USER)
            .status();
        match made {
            Ok(s) if s.success() => lookup().ok_or_else(|| "useradd ran but id fails".into()),
            other => Err(format!("cannot create user {TEST_USER}: {other:?}")),
        }
    });
    match r {
        Ok(ids) => *ids,
        Err(e) => skip(format!("no unprivileged test user: {e}")),
    }
}

/// The test installation: a world-readable directory holding the shim (as
/// `bin/bwrap`) and this test binary (as `helper`), so the unprivileged user
/// can run both and bwrap can see them inside the sandbox.
pub struct Install {
    pub dir: PathBuf,
    pub bin: PathBuf,
    pub shim: PathBuf,
    pub doctor: PathBuf,
    pub helper: PathBuf,
    scratch: AtomicUsize,
}

pub fn install() -> &'static Install {
    static I: OnceLock<Install> = OnceLock::new();
    I.get_or_init(|| {
        let dir = PathBuf::from(format!("/tmp/bwd-it-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let bin = dir.join("bin");
        std::fs::create_dir_all(&bin).unwrap();
        for d in [&dir, &bin] {
            std::fs::set_permissions(d, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
        let built = PathBuf::from(env!("CARGO_BIN_EXE_bwrap-doctor"));
        let doctor = bin.join("bwrap-doctor");
        std::fs::copy(&built, &doctor).unwrap();
        let shim = bin.join("bwrap");
        std::fs::hard_link(&doctor, &shim).unwrap();
        let helper = dir.join("helper");
        std::fs::copy(std::env::current_exe().unwrap(), &helper).unwrap();
        for f in [&doctor, &helper] {
            std::fs::set_permissions(f, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
        Install {
            dir,
            bin,
            shim,
            doctor,
            helper,
            scratch: AtomicUsize::new(0),
        }
    })
}

impl Install {
    /// PATH with the shim first, as a user who installed it has.
    pub fn path_var(&self) -> String {
        format!("{}:/usr/sbin:/usr/bin:/sbin:/bin", self.bin.display())
    }

    /// A fresh directory anybody can write (for the unprivileged user).
    pub fn scratch(&self) -> PathBuf {
        let n = self.scratch.fetch_add(1, Ordering::SeqCst);
        let d = self.dir.join(format!("s{n}"));
        std::fs::create_dir_all(&d).unwrap();
        std::fs::set_permissions(&d, std::fs::Permissions::from_mode(0o1777)).unwrap();
        d
    }
}

pub fn cleanup() {
    let _ = std::fs::remove_dir_all(format!("/tmp/bwd-it-{}", std::process::id()));
    // The shim copy the Codex tests put outside /tmp.
    let _ = std::fs::remove_dir_all(format!(
        "/var/cache/bwrap-doctor-callers/shim-{}",
        std::process::id()
    ));
}

/// The tests' plain environment for a command: nothing inherited but what
/// is set here: PATH with the shim first, HOME=/, NO_COLOR=1, the long
/// diagnosis (BWRAP_DOCTOR_REPORT=long), run in /.
pub trait PlainEnv {
    fn plain_env(&mut self) -> &mut Self;
}

impl PlainEnv for Command {
    fn plain_env(&mut self) -> &mut Self {
        self.env_clear()
            .env("PATH", install().path_var())
            .env("HOME", "/")
            .env("NO_COLOR", "1")
            .env("BWRAP_DOCTOR_REPORT", "long")
            .current_dir("/")
    }
}

/// A wrapper that runs its command in a new user namespace where
/// user.max_net_namespaces is 0 (hostlab 1c): --unshare-net fails.
pub const ZERO_NET_NAMESPACES: &[&str] = &[
    "unshare",
    "-Ur",
    "sh",
    "-c",
    "echo 0 > /proc/sys/user/max_net_namespaces && exec \"$@\"",
    "sh",
];

/// The same with user.max_user_namespaces at 0 (hostlab 1a/1b).
pub const ZERO_USER_NAMESPACES: &[&str] = &[
    "unshare",
    "-Ur",
    "sh",
    "-c",
    "echo 0 > /proc/sys/user/max_user_namespaces && exec \"$@\"",
    "sh",
];

/// A bwrap call that fails in its setup, on every host: a bind source that
/// does not exist (diagnosed as bind-source-missing).
pub const MISSING_SOURCE: &[&str] = &[
    "--ro-bind",
    "/",
    "/",
    "--ro-bind",
    "/nonexistent-bwd",
    "/mnt",
    "true",
];

/// The real bubblewrap, or skip.
pub fn real_bwrap() -> &'static Path {
    static REAL: OnceLock<Option<PathBuf>> = OnceLock::new();
    match REAL.get_or_init(|| {
        ["/usr/bin/bwrap", "/bin/bwrap", "/usr/local/bin/bwrap"]
            .iter()
            .map(PathBuf::from)
            .find(|p| p.is_file())
    }) {
        Some(p) => p,
        None => skip("bubblewrap is not installed (apt-get install bubblewrap)"),
    }
}

/// How the command reaches bwrap.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Via {
    /// The real bwrap, run by absolute path with argv[0] "bwrap".
    Direct,
    /// `bwrap` found on PATH, which is the shim.
    Shim,
}

/// A `bwrap ARGS…` command as a caller would build it, with the same
/// argv[0], environment and PATH either way.
pub fn bwrap<S: AsRef<OsStr>>(via: Via, who: As, args: impl IntoIterator<Item = S>) -> Command {
    let inst = install();
    let real = real_bwrap();
    let mut cmd = match via {
        Via::Direct => {
            let mut c = Command::new(real);
            c.arg0("bwrap");
            c
        }
        Via::Shim => {
            let mut c = Command::new(&inst.shim);
            c.arg0("bwrap");
            c
        }
    };
    // The long form: these tests read the whole diagnosis (the compact
    // default is tested in diagnosis::compact).
    cmd.env_clear()
        .env("PATH", inst.path_var())
        .env("LANG", "C")
        .env("HOME", "/")
        .env("BWRAP_DOCTOR_REPORT", "long")
        .current_dir("/");
    cmd.args(args);
    who.apply(&mut cmd);
    cmd
}

/// A wrapper (`real-bwrap ARGS…`, to put before a command) that runs the
/// command with the host read-only and every system copy of bwrap hidden
/// (not a regular file there): a host where bubblewrap is not installed.
pub fn hiding_system_bwraps() -> Vec<String> {
    let mut w = vec![real_bwrap().display().to_string()];
    w.extend(strings(&["--ro-bind", "/", "/", "--dev", "/dev"]));
    for p in [
        "/usr/bin/bwrap",
        "/usr/local/bin/bwrap",
        "/usr/libexec/flatpak-bwrap",
    ] {
        if std::path::Path::new(p).exists() {
            w.extend(strings(&["--ro-bind", "/dev/null", p]));
        }
    }
    w
}

/// Owned strings from literals (argv lists).
pub fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| s.to_string()).collect()
}

/// The standard sandbox for the probe: the whole host read-only, a /dev,
/// and the probe as the command.
pub fn probe_args(extra_bwrap: &[&str], probe: &[&str]) -> Vec<String> {
    let mut v: Vec<String> = ["--ro-bind", "/", "/", "--dev", "/dev"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    v.extend(extra_bwrap.iter().map(|s| s.to_string()));
    v.push(install().helper.display().to_string());
    v.push("--helper".into());
    v.push("probe".into());
    v.extend(probe.iter().map(|s| s.to_string()));
    v
}

pub struct Output {
    pub status: ExitStatus,
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
}

impl Output {
    pub fn stderr_text(&self) -> String {
        String::from_utf8_lossy(&self.stderr).into_owned()
    }
    pub fn stdout_text(&self) -> String {
        String::from_utf8_lossy(&self.stdout).into_owned()
    }
}

/// Run to completion with a time limit (a hang fails the test rather than
/// the suite), capturing stdout and stderr.
pub fn run(cmd: &mut Command) -> Output {
    run_with_input(cmd, None, Duration::from_secs(60))
}

pub fn run_with_input(cmd: &mut Command, input: Option<&[u8]>, limit: Duration) -> Output {
    cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
    cmd.stdin(if input.is_some() {
        Stdio::piped()
    } else {
        Stdio::null()
    });
    let mut child = cmd
        .spawn()
        .unwrap_or_else(|e| panic!("cannot spawn {cmd:?}: {e}"));
    let stdin = child.stdin.take();
    let input = input.map(|b| b.to_vec());
    let feeder = std::thread::spawn(move || {
        if let (Some(mut s), Some(b)) = (stdin, input) {
            use std::io::Write;
            let _ = s.write_all(&b);
        }
    });
    let mut out = child.stdout.take().unwrap();
    let mut err = child.stderr.take().unwrap();
    let t_out = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = out.read_to_end(&mut v);
        v
    });
    let t_err = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = err.read_to_end(&mut v);
        v
    });
    let status = wait_with_limit(&mut child, limit);
    let _ = feeder.join();
    Output {
        status,
        stdout: t_out.join().unwrap(),
        stderr: t_err.join().unwrap(),
    }
}

pub fn wait_with_limit(child: &mut std::process::Child, limit: Duration) -> ExitStatus {
    let start = Instant::now();
    loop {
        if let Some(s) = child.try_wait().unwrap() {
            return s;
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            panic!("command did not finish within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// Poll `f` until it returns Some, or fail after `limit`.
pub fn eventually<T>(what: &str, limit: Duration, mut f: impl FnMut() -> Option<T>) -> T {
    let start = Instant::now();
    loop {
        if let Some(v) = f() {
            return v;
        }
        if start.elapsed() > limit {
            panic!("timed out after {limit:?} waiting for {what}");
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// The direct children of `pid` (from /proc).
pub fn children_of(pid: u32) -> Vec<u32> {
    let mut v = Vec::new();
    if let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) {
        for t in tasks.flatten() {
            if let Ok(s) = std::fs::read_to_string(t.path().join("children")) {
                v.extend(s.split_whitespace().filter_map(|x| x.parse::<u32>().ok()));
            }
        }
    }
    v
}

/// The real bwrap under `top` (the process a caller started: bwrap itself,
/// or the shim), once its sandbox is running.
pub fn running_bwrap(via: Via, top: u32) -> u32 {
    let bwrap = match via {
        Via::Direct => top,
        Via::Shim => eventually("the shim's bwrap", Duration::from_secs(10), || {
            children_of(top).first().copied()
        }),
    };
    // Until the sandboxed program runs (a process below bwrap that is no
    // longer bwrap, its child or, with a pid namespace, its grandchild):
    // bwrap's child waits for its parent before it execs, and a bwrap
    // signalled earlier leaves it waiting for ever.
    let is_program = |pid: &u32| {
        std::fs::read_to_string(format!("/proc/{pid}/comm")).is_ok_and(|c| c.trim_end() != "bwrap")
    };
    eventually("bwrap's sandboxed program", Duration::from_secs(10), || {
        let kids = children_of(bwrap);
        let grandkids = kids.iter().flat_map(|k| children_of(*k));
        (kids.iter().any(is_program) || grandkids.clone().any(|g| is_program(&g))).then_some(())
    });
    bwrap
}

/// The state letter of a process (R, S, T, Z…), or None if it is gone.
pub fn proc_state(pid: u32) -> Option<char> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let after = &stat[stat.rfind(')')? + 1..];
    after.trim_start().chars().next()
}

/// The exit status as (code, signal).
pub fn code_or_signal(s: &ExitStatus) -> (Option<i32>, Option<i32>) {
    use std::os::unix::process::ExitStatusExt;
    (s.code(), s.signal())
}
