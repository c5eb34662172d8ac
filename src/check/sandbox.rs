//! Real minimal sandboxes, with the options agent tools use.

use super::SANDBOX;
use super::model::{Check, Status};
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// What Codex, Claude Code and friends ask of bwrap: a user and a network
/// namespace, the host read-only, a fresh /proc and /dev.
pub const AGENT_ARGS: &[&str] = &[
    "--unshare-user",
    "--unshare-net",
    "--ro-bind",
    "/",
    "/",
    "--proc",
    "/proc",
    "--dev",
    "/dev",
    "true",
];

/// Who a sandbox runs as.
#[derive(Debug, Clone, Copy)]
pub struct Identity {
    pub uid: u32,
    pub gid: u32,
    pub label: &'static str,
}

/// The unprivileged user to try as well when running as root: the user who
/// ran sudo, else `nobody`.
pub fn unprivileged_identity() -> Option<Identity> {
    let num = |k: &str| std::env::var(k).ok().and_then(|v| v.parse::<u32>().ok());
    if let (Some(uid), Some(gid)) = (num("SUDO_UID"), num("SUDO_GID"))
        && uid != 0
    {
        return Some(Identity {
            uid,
            gid,
            label: "the user who ran sudo",
        });
    }
    // Read /etc/passwd rather than call getpwnam: NSS does not work in the
    // static build.
    let passwd = std::fs::read_to_string("/etc/passwd").ok()?;
    passwd.lines().find_map(|l| {
        let f: Vec<&str> = l.split(':').collect();
        (f.len() > 3 && f[0] == "nobody").then(|| Identity {
            uid: f[2].parse().unwrap_or(65534),
            gid: f[3].parse().unwrap_or(65534),
            label: "nobody",
        })
    })
}

pub struct Outcome {
    pub code: Option<i32>,
    pub stderr: String,
    pub timed_out: bool,
}

/// Run `bwrap ARGS` with a time limit, as `who` (None: as we are).
pub fn run_bwrap(
    bwrap: &Path,
    args: &[&str],
    who: Option<Identity>,
    limit: Duration,
) -> std::io::Result<Outcome> {
    let mut cmd = Command::new(bwrap);
    cmd.args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .current_dir("/");
    if let Some(id) = who {
        // SAFETY: only async-signal-safe calls between fork and exec.
        unsafe {
            cmd.pre_exec(move || {
                if libc::setgroups(0, std::ptr::null()) != 0
                    || libc::setgid(id.gid) != 0
                    || libc::setuid(id.uid) != 0
                {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
    }
    let mut child = cmd.spawn()?;
    let mut err = child.stderr.take();
    let reader = std::thread::spawn(move || {
        let mut s = Vec::new();
        if let Some(e) = err.as_mut() {
            use std::io::Read;
            let _ = e.take(64 * 1024).read_to_end(&mut s);
        }
        s
    });
    let start = Instant::now();
    let (code, timed_out) = loop {
        if let Some(st) = child.try_wait()? {
            break (st.code(), false);
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            break (None, true);
        }
        std::thread::sleep(Duration::from_millis(1));
    };
    let stderr = String::from_utf8_lossy(&reader.join().unwrap_or_default()).into_owned();
    Ok(Outcome {
        code,
        stderr,
        timed_out,
    })
}

pub fn minimal_sandboxes(bwrap: &Path) -> Vec<Check> {
    let mut out = Vec::new();
    // SAFETY: geteuid has no side effects.
    let root = unsafe { libc::geteuid() } == 0;
    let mut whos: Vec<Option<Identity>> = vec![None];
    if root {
        whos.push(unprivileged_identity());
    }
    for who in whos {
        let t = Instant::now();
        let (id_suffix, as_whom) = match who {
            None if root => ("", "as root".to_string()),
            None => ("", "as this user".to_string()),
            Some(id) => (".unprivileged", format!("as uid {} ({})", id.uid, id.label)),
        };
        let id = format!("sandbox.agent{id_suffix}");
        let cmdline = format!("bwrap {}", AGENT_ARGS.join(" "));
        let c = match run_bwrap(bwrap, AGENT_ARGS, who, Duration::from_secs(5)) {
            Ok(o) if o.code == Some(0) => Check::new(
                &id,
                SANDBOX,
                Status::Ok,
                format!("user + network namespaces with /proc work {as_whom}"),
            )
            .evidence(cmdline),
            Ok(o) => {
                let what = if o.timed_out {
                    "timed out after 5 s".to_string()
                } else {
                    format!(
                        "exit {}",
                        o.code.map_or("by signal".into(), |c| c.to_string())
                    )
                };
                let mut c = Check::new(
                    &id,
                    SANDBOX,
                    Status::Fail,
                    format!("a minimal agent sandbox fails {as_whom} ({what})"),
                )
                .evidence(cmdline);
                for l in o.stderr.lines() {
                    c = c.evidence(l.to_string());
                }
                c.fix("bwrap-doctor explain, with the error above, tells why (see the diagnosis)")
            }
            Err(e) => Check::new(
                &id,
                SANDBOX,
                Status::Fail,
                format!("cannot start {} {as_whom}: {e}", bwrap.display()),
            ),
        };
        out.push(c.took(t.elapsed()));
    }
    out
}
