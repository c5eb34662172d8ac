//! The bwrap that ran (`Context::bwrap`), looked at through the host root:
//! where it really is, its mode and owner, whether the caller can read it,
//! its file capabilities, and its version.

use super::caller::{CAP_NAMES, Status};
use super::{Host, paths};
use crate::facts::Obs;
use crate::probe::Facts;
use serde_json::Value;
use std::ffi::CString;
use std::io::Read;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::MetadataExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

pub fn observe(host: &Host, facts: &Facts, key: &str) -> Obs {
    let Some(bwrap) = facts.ctx.bwrap.as_deref() else {
        return Obs::unavailable("the bwrap that ran is not known");
    };
    if !bwrap.is_absolute() {
        return Obs::unavailable(format!("not an absolute path: {}", bwrap.display()));
    }
    match key {
        "bwrap.realpath" => match paths::resolve(host, bwrap) {
            Ok(p) => Obs::seen(p.display().to_string()),
            Err(e) => super::io_obs(&bwrap.display().to_string(), &e),
        },
        "bwrap.version" => version(host, bwrap),
        "bwrap.file_caps" => file_caps(host, bwrap),
        "bwrap.readable" => readable(host, facts, bwrap),
        "bwrap.format" => {
            super::program::observe_bwrap_format(host, facts, &bwrap.display().to_string())
        }
        _ => {
            let meta = match std::fs::metadata(host.path(bwrap)) {
                Ok(m) => m,
                Err(e) => return super::io_obs(&bwrap.display().to_string(), &e),
            };
            match key {
                "bwrap.setuid" => Obs::seen(meta.mode() & 0o4000 != 0 && meta.uid() == 0),
                "bwrap.mode" => Obs::seen(format!("{:04o}", meta.mode() & 0o7777)),
                "bwrap.owner_uid" => Obs::seen(meta.uid()),
                _ => Obs::unavailable(format!("no probe named {key}")),
            }
        }
    }
}

/// Whether the caller may read the file. Live: `faccessat(R_OK, AT_EACCESS)`
/// (the kernel's own answer, with the effective ids). On a fixture: from
/// the mode bits and the recorded caller's effective uid and groups.
fn readable(host: &Host, facts: &Facts, bwrap: &Path) -> Obs {
    let real = host.path(bwrap);
    if host.is_live() {
        let Ok(c) = CString::new(real.as_os_str().as_bytes()) else {
            return Obs::unavailable("the path contains a NUL byte");
        };
        let Err(e) = crate::sys::fs::access_effective(&c, nix::unistd::AccessFlags::R_OK) else {
            return Obs::seen(true);
        };
        return match e.raw_os_error() {
            Some(libc::EACCES) => Obs::seen(false),
            _ => super::io_obs(&bwrap.display().to_string(), &e),
        };
    }
    let meta = match std::fs::metadata(&real) {
        Ok(m) => m,
        Err(e) => return super::io_obs(&bwrap.display().to_string(), &e),
    };
    let euid = match facts.get("caller.euid") {
        Obs::Seen(v) => v.as_u64(),
        other => return Obs::unavailable(format!("caller.euid is {}", other.describe())),
    };
    let status = host.read_fact("/proc/self/status").ok();
    let st = status.as_deref().map(Status::parse);
    let groups: Option<Vec<u32>> = st.as_ref().map(|s| {
        let mut g: Vec<u32> = s
            .field("Groups")
            .unwrap_or("")
            .split_whitespace()
            .filter_map(|x| x.parse().ok())
            .collect();
        g.extend(s.id("Gid", 1));
        g
    });
    Obs::seen(may_read(
        meta.mode(),
        meta.uid(),
        meta.gid(),
        euid.unwrap_or(u64::MAX) as u32,
        groups.as_deref().unwrap_or(&[]),
    ))
}

/// The kernel's read-permission rule for a regular file (root reads
/// anything: `CAP_DAC_OVERRIDE`).
pub fn may_read(mode: u32, uid: u32, gid: u32, euid: u32, groups: &[u32]) -> bool {
    if euid == 0 {
        return true;
    }
    if euid == uid {
        return mode & 0o400 != 0;
    }
    if groups.contains(&gid) {
        return mode & 0o040 != 0;
    }
    mode & 0o004 != 0
}

/// security.capability, decoded. Absent when the file has none.
fn file_caps(host: &Host, bwrap: &Path) -> Obs {
    let Ok(c) = CString::new(host.path(bwrap).as_os_str().as_bytes()) else {
        return Obs::unavailable("the path contains a NUL byte");
    };
    let mut buf = [0u8; 64];
    let n = match crate::sys::fs::getxattr(&c, c"security.capability", &mut buf) {
        Ok(n) => n,
        Err(e) => {
            return match e.raw_os_error() {
                Some(libc::ENODATA | libc::ENOTSUP) => Obs::Absent,
                _ => super::io_obs(&bwrap.display().to_string(), &e),
            };
        }
    };
    match decode_vfs_caps(&buf[..n]) {
        Some(names) => Obs::seen(names.into_iter().map(Value::String).collect::<Vec<_>>()),
        None => Obs::unavailable(format!(
            "security.capability is not VFS capability data ({n} bytes)"
        )),
    }
}

/// VFS capability data (linux/capability.h, `struct vfs_ns_cap_data`):
/// revision 1 (one 32-bit word), 2 and 3 (two words; 3 adds the root uid).
/// The names of the permitted and inheritable capabilities, sorted by
/// number.
pub fn decode_vfs_caps(b: &[u8]) -> Option<Vec<String>> {
    let word = |i: usize| -> Option<u32> {
        Some(u32::from_le_bytes(
            b.get(4 * i..4 * i + 4)?.try_into().ok()?,
        ))
    };
    let magic = word(0)?;
    let (permitted, inheritable) = match magic & 0xff00_0000 {
        0x0100_0000 if b.len() >= 12 => (u64::from(word(1)?), u64::from(word(2)?)),
        0x0200_0000 | 0x0300_0000 if b.len() >= 20 => (
            u64::from(word(1)?) | u64::from(word(3)?) << 32,
            u64::from(word(2)?) | u64::from(word(4)?) << 32,
        ),
        _ => return None,
    };
    let mask = permitted | inheritable;
    Some(
        (0..64)
            .filter(|i| mask & (1u64 << i) != 0)
            .map(|i| match CAP_NAMES.get(i as usize) {
                Some(n) => n.to_string(),
                None => format!("cap_{i}"),
            })
            .collect(),
    )
}

/// `bwrap --version` → "0.8.0", with the time bound; killed on timeout.
fn version(host: &Host, bwrap: &Path) -> Obs {
    let mut cmd = Command::new(host.path(bwrap));
    cmd.arg("--version")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .env("LC_ALL", "C");
    let out = match run_bounded(&mut cmd, host.limit) {
        Ok(o) if o.timed_out => {
            return Obs::unavailable(format!(
                "`{} --version` did not finish within {} ms and was killed",
                bwrap.display(),
                host.limit.as_millis()
            ));
        }
        Ok(o) => o,
        Err(why) => return Obs::unavailable(why),
    };
    if let Some(v) = parse_version(&out.stdout) {
        return Obs::seen(v);
    }
    let said = String::from_utf8_lossy(if out.stdout.is_empty() {
        &out.stderr
    } else {
        &out.stdout
    })
    .trim()
    .chars()
    .take(200)
    .collect::<String>();
    Obs::unavailable(format!(
        "`bwrap --version` {} and printed {said:?}",
        match out.code {
            Some(c) => format!("exited with {c}"),
            None => "was killed by a signal".into(),
        }
    ))
}

/// "bubblewrap 0.8.0\n" → "0.8.0".
pub fn parse_version(stdout: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(stdout);
    let line = text
        .lines()
        .find(|l| l.trim_start().starts_with("bubblewrap "))?;
    let v = line.trim().strip_prefix("bubblewrap ")?.trim();
    (!v.is_empty() && v.chars().next()?.is_ascii_digit()).then(|| v.to_string())
}

pub struct Ran {
    pub code: Option<i32>,
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
    /// It did not end within the limit and was killed, with its group.
    pub timed_out: bool,
}

/// Run a command with a time bound, in its own process group; on timeout
/// kill the group (anything it started too) and say so. Output is read up
/// to 64 KiB per stream. `Err`: it could not be started or waited for.
pub fn run_bounded(cmd: &mut Command, limit: Duration) -> Result<Ran, String> {
    run_bounded_with_input(cmd, None, limit)
}

/// [`run_bounded`], with `input` (if any) written to the command's stdin
/// from a thread, which then closes it.
pub fn run_bounded_with_input(
    cmd: &mut Command,
    input: Option<&[u8]>,
    limit: Duration,
) -> Result<Ran, String> {
    use std::os::unix::process::CommandExt;
    let start = Instant::now();
    cmd.process_group(0);
    if input.is_some() {
        cmd.stdin(Stdio::piped());
    }
    let mut child = cmd
        .spawn()
        .map_err(|e| format!("cannot run {:?}: {e}", cmd.get_program()))?;
    if let (Some(mut stdin), Some(input)) = (child.stdin.take(), input) {
        let input = input.to_vec();
        // A command that does not read its input, or dies, leaves the
        // thread with EPIPE (or blocked until the command is killed).
        std::thread::spawn(move || {
            use std::io::Write;
            let _ = stdin.write_all(&input);
        });
    }
    let readers: Vec<_> = [
        child
            .stdout
            .take()
            .map(|s| Box::new(s) as Box<dyn Read + Send>),
        child
            .stderr
            .take()
            .map(|s| Box::new(s) as Box<dyn Read + Send>),
    ]
    .into_iter()
    .map(|r| {
        let (tx, rx) = std::sync::mpsc::channel();
        if let Some(mut r) = r {
            std::thread::spawn(move || {
                let mut v = Vec::new();
                let _ = r.by_ref().take(64 * 1024).read_to_end(&mut v);
                let _ = tx.send(v);
            });
        }
        rx
    })
    .collect();
    let status = loop {
        match child.try_wait() {
            Ok(Some(s)) => break s,
            Ok(None) => {}
            Err(e) => return Err(format!("cannot wait for {:?}: {e}", cmd.get_program())),
        }
        if start.elapsed() >= limit {
            // The process group we made for the child.
            let group = nix::unistd::Pid::from_raw(child.id() as libc::pid_t);
            let _ = nix::sys::signal::killpg(group, nix::sys::signal::Signal::SIGKILL);
            let _ = child.kill();
            let _ = child.wait();
            return Ok(Ran {
                code: None,
                stdout: Vec::new(),
                stderr: Vec::new(),
                timed_out: true,
            });
        }
        std::thread::sleep(Duration::from_micros(200));
    };
    // The pipes close when the program exits (unless it left a child
    // holding them): wait a little for the readers, never forever.
    let grace = Duration::from_millis(100);
    let mut outs = readers
        .into_iter()
        .map(|rx| rx.recv_timeout(grace).unwrap_or_default());
    Ok(Ran {
        code: status.code(),
        stdout: outs.next().unwrap_or_default(),
        stderr: outs.next().unwrap_or_default(),
        timed_out: false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_line_parses() {
        assert_eq!(parse_version(b"bubblewrap 0.8.0\n"), Some("0.8.0".into()));
        assert_eq!(parse_version(b"bubblewrap 0.11.1"), Some("0.11.1".into()));
        assert_eq!(parse_version(b"usage: bwrap\n"), None);
        assert_eq!(parse_version(b"bubblewrap \n"), None);
    }

    fn caps_v2(perm: u64, inh: u64, effective: bool) -> Vec<u8> {
        let mut v = Vec::new();
        v.extend((0x0200_0000u32 | effective as u32).to_le_bytes());
        v.extend((perm as u32).to_le_bytes());
        v.extend((inh as u32).to_le_bytes());
        v.extend(((perm >> 32) as u32).to_le_bytes());
        v.extend(((inh >> 32) as u32).to_le_bytes());
        v
    }

    #[test]
    fn vfs_caps_v2_and_v3_decode_to_names() {
        // setcap cap_sys_admin+ep
        assert_eq!(
            decode_vfs_caps(&caps_v2(1 << 21, 0, true)),
            Some(vec!["cap_sys_admin".to_string()])
        );
        // v3 carries a root uid after the v2 words.
        let mut v3 = caps_v2(1 << 12 | 1 << 38, 1 << 0, false);
        v3[3] = 0x03;
        v3.extend(1000u32.to_le_bytes());
        assert_eq!(
            decode_vfs_caps(&v3),
            Some(vec![
                "cap_chown".to_string(),
                "cap_net_admin".to_string(),
                "cap_perfmon".to_string()
            ])
        );
        assert_eq!(decode_vfs_caps(&[1, 2, 3]), None);
        assert_eq!(decode_vfs_caps(&[0u8; 20]), None);
    }

    #[test]
    fn read_permission_follows_owner_group_other() {
        assert!(may_read(0o0711, 0, 0, 0, &[])); // root
        assert!(!may_read(0o0711, 0, 0, 1000, &[1000]));
        assert!(may_read(0o0755, 0, 0, 1000, &[1000]));
        assert!(may_read(0o0400, 1000, 0, 1000, &[]));
        assert!(!may_read(0o0044, 1000, 0, 1000, &[0])); // owner bits win
        assert!(may_read(0o0040, 0, 50, 1000, &[50]));
        assert!(!may_read(0o0004, 0, 50, 1000, &[50])); // group bits win
    }

    #[test]
    fn run_bounded_with_input_feeds_stdin_and_kills_what_outlives_the_limit() {
        let mut cat = Command::new("cat");
        cat.stdout(Stdio::piped());
        let ran = run_bounded_with_input(&mut cat, Some(b"bwrap: oops\n"), Duration::from_secs(10))
            .unwrap();
        assert_eq!(ran.stdout, b"bwrap: oops\n");
        assert_eq!((ran.code, ran.timed_out), (Some(0), false));

        // A program that never reads its input nor ends: killed at the limit.
        let mut sleeper = Command::new("sleep");
        sleeper.arg("3600");
        let t = Instant::now();
        let ran = run_bounded_with_input(
            &mut sleeper,
            Some(&[b'x'; 1 << 20]),
            Duration::from_millis(300),
        )
        .unwrap();
        assert!(ran.timed_out);
        assert!(t.elapsed() < Duration::from_secs(5), "{:?}", t.elapsed());
    }
}
