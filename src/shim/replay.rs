//! Repeating a failed setup to read bwrap's own words, where the caller's
//! stderr cannot be read back (a terminal, a socket, a pipe shared with
//! stdout).
//!
//! The replay is the caller's call with three changes: the program is
//! replaced by a path that cannot exist, so nothing of the caller's ever
//! runs twice; options whose fds bwrap only writes to or waits on
//! (`--info-fd`, `--json-status-fd`, `--sync-fd`, `--block-fd`) are left
//! out; and fds bwrap reads to the end (`--args`, `--file`, `--bind-data`,
//! `--ro-bind-data`, `--seccomp`, `--add-seccomp-fd`), which the first run
//! consumed, are given again as copies read with `pread` from regular files.
//! Setup is deterministic for the failures people meet (a refused
//! namespace, a missing source, a mount the policy denies), so the replay
//! fails at the same step with the same message. What cannot be repeated
//! faithfully is not repeated: a pipe behind an fd bwrap reads (its content
//! is gone), `--userns-block-fd` (the caller writes the uid map itself).
//!
//! When the whole setup goes through but bwrap had failed, what failed was
//! its last step: `execvp` of the program. [`exec`] repeats that too,
//! safely: the program is the caller's, but a seccomp filter of the shim's
//! (applied by bwrap right before its `execvp`, as filters are) lets only
//! `execve`, `write` and `exit` through. A program that cannot be executed
//! makes bwrap print its exact message; one that can dies at its first
//! system call, before it could have done anything.

use bwrap_doctor_engine::bwrap_args::{self, ArgKind};
use std::ffi::OsStr;
use std::os::fd::{AsFd, AsRawFd, OwnedFd, RawFd};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The program the replay asks bwrap to run: it never exists, so bwrap's
/// `execvp` of it fails once the whole setup has gone through.
pub const NOT_A_PROGRAM: &str = "/nonexistent/bwrap-doctor-replay";

/// How long a replay may take.
pub const DEADLINE: Duration = Duration::from_secs(2);

/// How much of the replay's stderr is kept.
const KEEP: usize = 64 * 1024;

#[derive(Debug, PartialEq, Eq)]
pub enum Replayed {
    /// bwrap failed again during setup; its stderr.
    Failed(Vec<u8>),
    /// The setup went through, up to running the program.
    SetupCompletes,
    /// The call cannot be repeated faithfully: why.
    Unrepeatable(String),
    /// The repeat said nothing of bwrap's (or could not run): why.
    Inconclusive(String),
}

/// The caller's fds as bwrap met them: `closed` were not open when bwrap
/// started (an fd option naming one fails the same way again), `avoid` are
/// every fd number the call names (the shim's copies must not take them).
#[derive(Debug, Default, Clone)]
pub struct Fds {
    pub closed: Vec<RawFd>,
    pub avoid: Vec<RawFd>,
}

/// Repeat the setup of `bwrap ARGS…` with the program replaced.
pub fn replay(bwrap: &Path, argv0: &[u8], operands: &[&[u8]], fds: &Fds) -> Replayed {
    let mut copies = Vec::new();
    let (mut items, command) = match transform(operands, false, fds, &mut copies) {
        Ok(t) => t,
        Err(why) => return Replayed::Unrepeatable(why),
    };
    if command.is_some() {
        items.push(NOT_A_PROGRAM.as_bytes().to_vec());
    }
    run(bwrap, argv0, &items, copies)
}

/// Repeat the call up to bwrap's `execvp` of the caller's program, which
/// may run no further than its first system call (see the module's text).
/// `Failed` holds bwrap's message when the program cannot be executed.
pub fn exec(bwrap: &Path, argv0: &[u8], operands: &[&[u8]], fds: &Fds) -> Replayed {
    let Some(filter) = exec_only_filter() else {
        return Replayed::Inconclusive("no exec probe on this architecture".into());
    };
    let mut copies = Vec::new();
    let (mut items, command) = match transform(operands, false, fds, &mut copies) {
        Ok(t) => t,
        Err(why) => return Replayed::Unrepeatable(why),
    };
    let Some(command) = command else {
        return Replayed::Inconclusive("the call names no program".into());
    };
    // --seccomp and --add-seccomp-fd cannot be combined; a second
    // --seccomp would replace the caller's.
    let option: &[u8] = if operands.contains(&b"--seccomp".as_slice()) {
        return Replayed::Inconclusive("the call has a --seccomp filter of its own".into());
    } else if operands.contains(&b"--add-seccomp-fd".as_slice()) {
        b"--add-seccomp-fd"
    } else {
        b"--seccomp"
    };
    let fd = match memfd_with(&filter, &fds.avoid) {
        Ok(fd) => fd,
        Err(e) => return Replayed::Inconclusive(format!("cannot make the exec probe: {e}")),
    };
    items.push(option.to_vec());
    items.push(fd.as_raw_fd().to_string().into_bytes());
    copies.push(fd);
    items.push(b"--".to_vec());
    items.extend(operands[command..].iter().map(|x| x.to_vec()));
    match run(bwrap, argv0, &items, copies) {
        Replayed::Failed(text) => Replayed::Failed(text),
        // Died at its first system call (SIGSYS), saying nothing: the
        // program can be executed now.
        _ => Replayed::SetupCompletes,
    }
}

/// Run bwrap with `items`, the `copies` open for it to inherit.
fn run(bwrap: &Path, argv0: &[u8], items: &[Vec<u8>], copies: Vec<OwnedFd>) -> Replayed {
    let mut cmd = Command::new(bwrap);
    cmd.arg0(OsStr::from_bytes(argv0))
        .args(items.iter().map(|i| OsStr::from_bytes(i)))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .process_group(0);
    let mut child = match cmd.spawn() {
        Ok(c) => c,
        Err(e) => return Replayed::Inconclusive(format!("cannot run {}: {e}", bwrap.display())),
    };
    drop(copies); // bwrap has its own copies now
    let stderr = child.stderr.take().map(read_bounded).unwrap_or_default();
    let deadline = Instant::now() + DEADLINE;
    let ended = loop {
        match child.try_wait() {
            Ok(Some(_)) => break true,
            Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(5)),
            _ => break false,
        }
    };
    if !ended {
        // The replay's own process group.
        let group = nix::unistd::Pid::from_raw(child.id() as libc::pid_t);
        let _ = nix::sys::signal::killpg(group, nix::sys::signal::Signal::SIGKILL);
        let _ = child.wait();
    }
    judge(stderr)
}

fn judge(stderr: Vec<u8>) -> Replayed {
    let exec_of_nothing = format!("bwrap: execvp {NOT_A_PROGRAM}");
    if memchr::memmem::find(&stderr, exec_of_nothing.as_bytes()).is_some() {
        Replayed::SetupCompletes
    } else if bwrap_doctor_engine::diagnose::bwrap_messages(&stderr).is_empty() {
        Replayed::Inconclusive("the repeated setup printed no message of bwrap's".into())
    } else {
        Replayed::Failed(stderr)
    }
}

/// Read until EOF or [`DEADLINE`], keeping at most [`KEEP`] bytes.
fn read_bounded(pipe: std::process::ChildStderr) -> Vec<u8> {
    use bwrap_doctor_engine::sys::fork::{Chunk, read_until};
    let deadline = Instant::now() + DEADLINE;
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    while let Chunk::Data(n) = read_until(pipe.as_fd(), deadline, &mut buf) {
        if out.len() < KEEP {
            out.extend_from_slice(&buf[..n.min(KEEP - out.len())]);
        }
    }
    out
}

/// The replay's arguments from the caller's (`in_file`: the content of an
/// `--args` fd). Returns the options and where the program begins in
/// `items`, if one follows them (it is left out).
fn transform(
    items: &[&[u8]],
    in_file: bool,
    fds: &Fds,
    copies: &mut Vec<OwnedFd>,
) -> Result<(Vec<Vec<u8>>, Option<usize>), String> {
    let mut out: Vec<Vec<u8>> = Vec::new();
    let mut i = 0;
    while i < items.len() {
        let item = items[i];
        let rest = |out: &mut Vec<Vec<u8>>, from: usize| {
            out.extend(items[from..].iter().map(|x| x.to_vec()));
        };
        if item == b"--" || !item.starts_with(b"-") {
            if in_file {
                rest(&mut out, i);
                return Ok((out, None));
            }
            let start = if item == b"--" { i + 1 } else { i };
            return Ok((out, (start < items.len()).then_some(start)));
        }
        let Some(spec) = std::str::from_utf8(item).ok().and_then(bwrap_args::spec) else {
            // bwrap stops at it ("Unknown option"): keep it, and the rest.
            rest(&mut out, i);
            return Ok((out, None));
        };
        let n = spec.args.len();
        if i + n >= items.len() && n > 0 {
            rest(&mut out, i);
            return Ok((out, None));
        }
        let operands = &items[i + 1..i + 1 + n];
        i += 1 + n;
        match spec.name {
            "--info-fd" | "--json-status-fd" | "--sync-fd" | "--block-fd" => continue,
            "--userns-block-fd" => {
                return Err(
                    "the call uses --userns-block-fd (its caller writes the uid map itself)".into(),
                );
            }
            _ => {}
        }
        out.push(item.to_vec());
        for (kind, arg) in spec.args.iter().zip(operands) {
            if *kind != ArgKind::FdRead {
                out.push(arg.to_vec());
                continue;
            }
            let fd = std::str::from_utf8(arg)
                .ok()
                .and_then(|s| s.parse::<RawFd>().ok())
                .ok_or_else(|| format!("{} takes an fd, not {:?}", spec.name, arg))?;
            if fds.closed.contains(&fd) {
                // Not open for the first run either: the same failure.
                out.push(arg.to_vec());
                continue;
            }
            if !super::is_regular_file(fd) {
                return Err(format!(
                    "{} {fd} is not a file that can be read again (a pipe's content is gone once bwrap has read it)",
                    spec.name
                ));
            }
            let mut content = super::read_file_fd(fd);
            if spec.name == "--args" {
                let mut parts: Vec<&[u8]> = content.split(|&b| b == 0).collect();
                if content.last() == Some(&0) {
                    parts.pop();
                }
                let (inner, _) = transform(&parts, true, fds, copies)?;
                content = inner
                    .iter()
                    .flat_map(|p| p.iter().copied().chain([0]))
                    .collect();
            }
            let copy = memfd_with(&content, &fds.avoid)
                .map_err(|e| format!("cannot copy fd {fd}: {e}"))?;
            out.push(copy.as_raw_fd().to_string().into_bytes());
            copies.push(copy);
        }
    }
    Ok((out, None))
}

/// A classic BPF seccomp program, as `--seccomp` takes it: allow `execve`,
/// `execveat`, `write` and `exit(_group)` — what bwrap does from applying
/// filters to its `execvp` and, if that fails, its message — and kill the
/// process at any other system call. Native byte order, as the kernel reads
/// it.
fn exec_only_filter() -> Option<Vec<u8>> {
    #[cfg(target_arch = "x86_64")]
    const ARCH: u32 = 0xC000_003E; // AUDIT_ARCH_X86_64
    #[cfg(target_arch = "aarch64")]
    const ARCH: u32 = 0xC000_00B7; // AUDIT_ARCH_AARCH64
    #[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
    return None;
    #[cfg(any(target_arch = "x86_64", target_arch = "aarch64"))]
    {
        const LD_W_ABS: u16 = 0x20;
        const JEQ_K: u16 = 0x15;
        const RET_K: u16 = 0x06;
        let allowed = [
            libc::SYS_execve,
            libc::SYS_execveat,
            libc::SYS_write,
            libc::SYS_exit,
            libc::SYS_exit_group,
        ];
        let k = allowed.len() as u8;
        let mut prog: Vec<(u16, u8, u8, u32)> = vec![
            (LD_W_ABS, 0, 0, 4),     // seccomp_data.arch
            (JEQ_K, 0, 1 + k, ARCH), // another ABI: kill
            (LD_W_ABS, 0, 0, 0),     // seccomp_data.nr
        ];
        for (i, nr) in allowed.iter().enumerate() {
            prog.push((JEQ_K, k - i as u8, 0, *nr as u32));
        }
        prog.push((RET_K, 0, 0, libc::SECCOMP_RET_KILL_PROCESS));
        prog.push((RET_K, 0, 0, libc::SECCOMP_RET_ALLOW));
        let mut bytes = Vec::with_capacity(prog.len() * 8);
        for (code, jt, jf, k) in prog {
            bytes.extend(code.to_ne_bytes());
            bytes.push(jt);
            bytes.push(jf);
            bytes.extend(k.to_ne_bytes());
        }
        Some(bytes)
    }
}

/// An inheritable memfd holding `content`, its offset at 0, at an fd
/// number the call does not name.
fn memfd_with(content: &[u8], avoid: &[RawFd]) -> std::io::Result<OwnedFd> {
    use nix::sys::memfd::{MFdFlags, memfd_create};
    let owned = memfd_create(c"bwrap-doctor-replay", MFdFlags::MFD_CLOEXEC)?;
    let mut file = std::fs::File::from(owned);
    std::io::Write::write_all(&mut file, content)?;
    std::io::Seek::seek(&mut file, std::io::SeekFrom::Start(0))?;
    crate::sys::fd::dup_avoiding(file.as_raw_fd(), avoid, false)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(items: &[&str]) -> Result<(Vec<String>, bool), String> {
        t_at(items).map(|(o, c)| (o, c.is_some()))
    }

    fn t_at(items: &[&str]) -> Result<(Vec<String>, Option<usize>), String> {
        let items: Vec<&[u8]> = items.iter().map(|s| s.as_bytes()).collect();
        let mut copies = Vec::new();
        transform(&items, false, &Fds::default(), &mut copies).map(|(o, c)| {
            (
                o.iter()
                    .map(|x| String::from_utf8_lossy(x).into_owned())
                    .collect(),
                c,
            )
        })
    }

    #[test]
    fn the_program_is_left_out_and_options_kept_byte_for_byte() {
        let (out, cmd) = t(&["--ro-bind", "/", "/", "--unshare-net", "sh", "-c", "x"]).unwrap();
        assert_eq!(out, ["--ro-bind", "/", "/", "--unshare-net"]);
        assert!(cmd);
        let (out, cmd) = t(&["--ro-bind", "/", "/", "--", "--odd-program"]).unwrap();
        assert_eq!(out, ["--ro-bind", "/", "/"]);
        assert!(cmd);
        let (_, cmd) = t(&["--ro-bind", "/", "/"]).unwrap();
        assert!(!cmd, "no program: bwrap's own usage error is what repeats");
    }

    #[test]
    fn fds_bwrap_writes_or_waits_on_are_left_out() {
        let (out, _) = t(&[
            "--info-fd",
            "5",
            "--json-status-fd",
            "6",
            "--sync-fd",
            "7",
            "--block-fd",
            "8",
            "--dev",
            "/dev",
            "true",
        ])
        .unwrap();
        assert_eq!(out, ["--dev", "/dev"]);
    }

    #[test]
    fn what_cannot_be_repeated_is_not() {
        assert!(t(&["--userns-block-fd", "5", "true"]).is_err());
        // A pipe's content cannot be read again.
        let (r, _w) = std::io::pipe().unwrap();
        let n = r.as_raw_fd().to_string();
        assert!(t(&["--file", &n, "/x", "true"]).is_err());
        // An fd that was not open for the first run is passed as it was.
        let items: Vec<&[u8]> = vec![b"--file", b"9999", b"/x", b"true"];
        let fds = Fds {
            closed: vec![9999],
            avoid: vec![9999],
        };
        let (out, _) = transform(&items, false, &fds, &mut Vec::new()).unwrap();
        assert_eq!(out, [b"--file".to_vec(), b"9999".to_vec(), b"/x".to_vec()]);
    }

    #[test]
    fn the_program_begins_after_the_options_or_after_a_double_dash() {
        assert_eq!(t_at(&["--dev", "/dev", "sh", "-c"]).unwrap().1, Some(2));
        assert_eq!(t_at(&["--dev", "/dev", "--", "-x"]).unwrap().1, Some(3));
        assert_eq!(t_at(&["--dev", "/dev", "--"]).unwrap().1, None);
    }

    #[test]
    fn the_exec_probe_filter_allows_exec_and_kills_the_rest() {
        let Some(f) = exec_only_filter() else { return };
        assert_eq!(f.len() % 8, 0);
        let insns: Vec<(u16, u8, u8, u32)> = f
            .chunks_exact(8)
            .map(|c| {
                (
                    u16::from_ne_bytes([c[0], c[1]]),
                    c[2],
                    c[3],
                    u32::from_ne_bytes([c[4], c[5], c[6], c[7]]),
                )
            })
            .collect();
        // Interpret it for a syscall number on this architecture.
        let verdict = |nr: u32| {
            let mut pc = 0usize;
            let mut acc = 0u32;
            loop {
                let (code, jt, jf, k) = insns[pc];
                match code {
                    0x20 => acc = if k == 0 { nr } else { insns[1].3 },
                    0x15 => {
                        pc += if acc == k { jt } else { jf } as usize;
                    }
                    0x06 => return k,
                    _ => panic!("unexpected opcode {code:#x}"),
                }
                pc += 1;
            }
        };
        assert_eq!(verdict(libc::SYS_execve as u32), libc::SECCOMP_RET_ALLOW);
        assert_eq!(verdict(libc::SYS_write as u32), libc::SECCOMP_RET_ALLOW);
        assert_eq!(
            verdict(libc::SYS_exit_group as u32),
            libc::SECCOMP_RET_ALLOW
        );
        assert_eq!(
            verdict(libc::SYS_openat as u32),
            libc::SECCOMP_RET_KILL_PROCESS
        );
        assert_eq!(
            verdict(libc::SYS_brk as u32),
            libc::SECCOMP_RET_KILL_PROCESS
        );
    }

    /// The real bwrap, where the machine has it (the suite's machines do).
    fn real_bwrap() -> Option<&'static Path> {
        let p = Path::new("/usr/bin/bwrap");
        p.exists().then_some(p)
    }

    #[test]
    fn the_exec_probe_never_lets_the_program_run() {
        let Some(bwrap) = real_bwrap() else {
            eprintln!("SKIPPED: no /usr/bin/bwrap here");
            return;
        };
        let dir = std::env::temp_dir().join(format!("bwd-exec-probe-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let marker = dir.join("ran");
        let script = format!("echo x > {}", marker.display());
        let ops: Vec<&[u8]> = ["--bind", "/", "/", "--", "/bin/sh", "-c", &script]
            .iter()
            .map(|s| s.as_bytes())
            .collect();
        let got = exec(bwrap, b"bwrap", &ops, &Fds::default());
        assert_eq!(got, Replayed::SetupCompletes);
        assert!(!marker.exists(), "the program ran during the exec probe");
        let missing: Vec<&[u8]> = ["--ro-bind", "/", "/", "/nonexistent/program"]
            .iter()
            .map(|s| s.as_bytes())
            .collect();
        match exec(bwrap, b"bwrap", &missing, &Fds::default()) {
            Replayed::Failed(text) => {
                let text = String::from_utf8_lossy(&text);
                assert!(
                    text.contains("execvp /nonexistent/program: No such file or directory"),
                    "{text}"
                );
            }
            other => panic!("{other:?}"),
        }
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_replay_reports_the_setup_step_that_fails_or_completes() {
        let Some(bwrap) = real_bwrap() else {
            eprintln!("SKIPPED: no /usr/bin/bwrap here");
            return;
        };
        let ops = |v: &[&'static str]| v.iter().map(|s| s.as_bytes()).collect::<Vec<&[u8]>>();
        let none = Fds::default();
        match replay(
            bwrap,
            b"bwrap",
            &ops(&["--ro-bind", "/nonexistent/src", "/x", "true"]),
            &none,
        ) {
            Replayed::Failed(text) => assert!(
                String::from_utf8_lossy(&text).contains("Can't find source path /nonexistent/src")
            ),
            other => panic!("{other:?}"),
        }
        assert_eq!(
            replay(
                bwrap,
                b"bwrap",
                &ops(&["--ro-bind", "/", "/", "true"]),
                &none
            ),
            Replayed::SetupCompletes
        );
    }

    #[test]
    fn an_unknown_option_and_what_follows_are_kept() {
        let (out, cmd) = t(&["--bogus", "a", "true"]).unwrap();
        assert_eq!(out, ["--bogus", "a", "true"]);
        assert!(!cmd);
    }

    #[test]
    fn only_the_replayed_programs_exec_failure_means_setup_completes() {
        let ok = format!("bwrap: execvp {NOT_A_PROGRAM}: No such file or directory\n");
        assert_eq!(judge(ok.into_bytes()), Replayed::SetupCompletes);
        let fail = b"bwrap: Can't find source path /nope: No such file or directory\n".to_vec();
        assert_eq!(judge(fail.clone()), Replayed::Failed(fail));
        assert!(matches!(judge(Vec::new()), Replayed::Inconclusive(_)));
    }
}
