//! Real minimal sandboxes with the options common callers use, run as this
//! user and, when root, as an unprivileged user too. A failure is diagnosed
//! by the same rules as the shim's, from the failing user's point of view.

use super::SANDBOX;
use super::model::{Check, Status};
use crate::bwrap_args;
use crate::probe::Facts;
use crate::probe::{Context, Host};
use crate::rules::RuleSet;
use serde_json::Value;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// One sandbox to try.
pub struct Sandbox {
    pub id: &'static str,
    /// What it proves, for the summary: "`<what>` works as root".
    pub what: &'static str,
    pub args: &'static [&'static str],
}

/// From the least to the most asked of the host: each adds what the
/// next-commonest callers use.
pub const SANDBOXES: &[Sandbox] = &[
    Sandbox {
        id: "sandbox.plain",
        what: "a plain sandbox (the host read-only)",
        args: &["--ro-bind", "/", "/", "true"],
    },
    Sandbox {
        id: "sandbox.user-net",
        what: "a sandbox with user and network namespaces",
        args: &[
            "--unshare-user",
            "--unshare-net",
            "--ro-bind",
            "/",
            "/",
            "true",
        ],
    },
    Sandbox {
        id: "sandbox.agent",
        what: "an agent tool's sandbox (user, pid and network namespaces, /dev, /proc)",
        args: AGENT_ARGS,
    },
];

/// What Codex, Claude Code and friends ask of bwrap: user, pid and network
/// namespaces, the host read-only, a fresh /dev and /proc.
pub const AGENT_ARGS: &[&str] = &[
    "--unshare-user",
    "--unshare-pid",
    "--unshare-net",
    "--die-with-parent",
    "--ro-bind",
    "/",
    "/",
    "--dev",
    "/dev",
    "--proc",
    "/proc",
    "true",
];

/// Who a sandbox runs as.
#[derive(Debug, Clone, Copy)]
pub struct Identity {
    pub uid: u32,
    pub gid: u32,
    pub label: &'static str,
}

/// The uid exists in this user namespace (in `/proc/self/uid_map`); inside
/// `unshare -r` only root is mapped, and there is nobody else to become.
fn mapped(uid: u32) -> bool {
    let map = std::fs::read_to_string("/proc/self/uid_map").unwrap_or_default();
    map.lines().any(|l| {
        let f: Vec<u64> = l
            .split_whitespace()
            .filter_map(|x| x.parse().ok())
            .collect();
        f.len() == 3 && (f[0]..f[0] + f[2]).contains(&u64::from(uid))
    })
}

/// The unprivileged user to try as well when running as root: the user who
/// ran sudo, else `nobody`; none when that user does not exist here.
pub fn unprivileged_identity(sudo: Option<(u32, u32)>) -> Option<Identity> {
    let id = sudo_user_or_nobody(sudo)?;
    mapped(id.uid).then_some(id)
}

fn sudo_user_or_nobody(sudo: Option<(u32, u32)>) -> Option<Identity> {
    if let Some((uid, gid)) = sudo
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

fn as_identity(cmd: &mut Command, who: Option<Identity>) {
    if let Some(id) = who {
        crate::sys::process::run_as(cmd, id.uid, id.gid);
    }
}

pub struct Outcome {
    pub code: Option<i32>,
    pub stderr: Vec<u8>,
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
    as_identity(&mut cmd, who);
    let ran = crate::probe::run_bounded(&mut cmd, limit).map_err(std::io::Error::other)?;
    Ok(Outcome {
        code: ran.code,
        stderr: ran.stderr,
        timed_out: ran.timed_out,
    })
}

/// The part of a diagnosis a check shows.
#[derive(Debug, Clone, PartialEq)]
pub struct Found {
    pub rule: String,
    pub cause: String,
    pub summary: String,
    pub confirmed: bool,
    /// Title, then the commands if any, one per line.
    pub fixes: Vec<String>,
}

/// Read the candidates worth showing from a diagnosis document (the
/// `bwrap-doctor/diagnosis` JSON): the confirmed ones, else the unconfirmed.
pub fn found_in(doc: &Value) -> Vec<Found> {
    let Some(cands) = doc.get("candidates").and_then(Value::as_array) else {
        return Vec::new();
    };
    let text = |c: &Value, k: &str| c.get(k).and_then(Value::as_str).unwrap_or("").to_string();
    let pick = |verdict: &str| -> Vec<Found> {
        cands
            .iter()
            .filter(|c| {
                c.get("verdict").and_then(Value::as_str) == Some(verdict)
                    && c.get("superseded_by").is_none_or(Value::is_null)
            })
            .map(|c| Found {
                rule: text(c, "rule"),
                cause: text(c, "cause"),
                summary: text(c, "summary"),
                confirmed: verdict == "confirmed",
                fixes: c
                    .get("fixes")
                    .and_then(Value::as_array)
                    .map(|fs| {
                        fs.iter()
                            .map(|f| {
                                let mut s = text(f, "title");
                                if let Some(cmd) = f.get("commands").and_then(Value::as_str) {
                                    s.push('\n');
                                    s.push_str(cmd.trim_end());
                                }
                                s
                            })
                            .collect()
                    })
                    .unwrap_or_default(),
            })
            .collect()
    };
    let confirmed = pick("confirmed");
    if confirmed.is_empty() {
        pick("unconfirmed")
    } else {
        confirmed
    }
}

/// Diagnose in this process, with this process's view of the host.
fn diagnose_here(rules: &RuleSet, bwrap: &Path, args: &[&str], stderr: &[u8]) -> Value {
    let host = Host::live();
    let ctx = Context {
        bwrap: Some(bwrap.to_path_buf()),
        args: Some(bwrap_args::parse(args, &|_| None)),
    };
    let facts = Facts::live(&host, ctx);
    let d = crate::diagnose::diagnose(rules, &facts, stderr);
    serde_json::to_value(crate::report::json::document(&d, None, None)).unwrap_or(Value::Null)
}

/// Diagnose as `who`, by running `bwrap-doctor explain --json` (`me`) as
/// that user: the probes must see what that user sees (its namespaces, its
/// access).
fn diagnose_as(
    me: Option<&Path>,
    who: Identity,
    bwrap: &Path,
    args: &[&str],
    stderr: &[u8],
) -> Result<Value, String> {
    let me = me.ok_or_else(|| {
        format!(
            "no bwrap-doctor program to diagnose with as uid {}",
            who.uid
        )
    })?;
    let mut cmd = Command::new(me);
    cmd.arg("explain")
        .arg("--json")
        .arg("--bwrap")
        .arg(bwrap)
        .arg("-")
        .arg("--")
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .current_dir("/");
    as_identity(&mut cmd, Some(who));
    let limit = diagnosis_limit();
    let out = crate::probe::run_bounded_with_input(&mut cmd, Some(stderr), limit)
        .map_err(|e| format!("{e} as uid {}", who.uid))?;
    if out.timed_out {
        return Err(format!(
            "{} explain, run as uid {}, did not finish within {} s and was killed; not diagnosed",
            me.display(),
            who.uid,
            limit_words(limit)
        ));
    }
    serde_json::from_slice(&out.stdout).map_err(|_| {
        format!(
            "{} explain, run as uid {}, gave no diagnosis (exit {:?})",
            me.display(),
            who.uid,
            out.code
        )
    })
}

/// How long a sandbox may take before it is killed (with the test-only
/// `fault-injection` feature, `BWRAP_DOCTOR_DEADLINE_MS` shortens it).
fn sandbox_limit() -> Duration {
    crate::fault::deadline(Duration::from_secs(5))
}

/// How long a diagnosis as another user (`bwrap-doctor explain` run as that
/// user) may take: the shim's diagnosis deadline (5 s), and 2 s to start.
fn diagnosis_limit() -> Duration {
    crate::fault::deadline(Duration::from_secs(5)) + Duration::from_secs(2)
}

/// "5", "0.5": seconds, as few digits as needed.
fn limit_words(d: Duration) -> String {
    let s = format!("{:.1}", d.as_secs_f64());
    s.strip_suffix(".0").map_or(s.clone(), str::to_string)
}

/// The sandboxes, as this user and (as root) as `sudo`'s user or nobody,
/// whose failures `program` (`bwrap-doctor`) diagnoses as that user.
pub fn checks(
    bwrap: &Path,
    rules: &RuleSet,
    sudo: Option<(u32, u32)>,
    program: Option<&Path>,
) -> Vec<Check> {
    let root = crate::privilege::euid() == 0;
    let mut whos: Vec<Option<Identity>> = vec![None];
    if root && let Some(id) = unprivileged_identity(sudo) {
        whos.push(Some(id));
    }
    let mut out = Vec::new();
    for who in whos {
        let (suffix, as_whom) = match who {
            None if root => ("", "as root".to_string()),
            None => ("", "as this user".to_string()),
            Some(id) => (".unprivileged", format!("as uid {} ({})", id.uid, id.label)),
        };
        let mut reported: Vec<String> = Vec::new();
        for sb in SANDBOXES {
            let t = Instant::now();
            let id = format!("{}{suffix}", sb.id);
            let cmdline = format!("{} {}", bwrap.display(), sb.args.join(" "));
            let outcome = run_bwrap(bwrap, sb.args, who, sandbox_limit());
            let c = match outcome {
                Ok(o) if o.code == Some(0) => Check::new(
                    &id,
                    SANDBOX,
                    Status::Ok,
                    format!("{} works {as_whom}", sb.what),
                )
                .evidence(cmdline),
                Ok(o) => {
                    let diagnosis = if o.timed_out {
                        Err("timed out; not diagnosed".to_string())
                    } else {
                        match who {
                            None => Ok(diagnose_here(rules, bwrap, sb.args, &o.stderr)),
                            Some(w) => diagnose_as(program, w, bwrap, sb.args, &o.stderr),
                        }
                    };
                    failed(sb, &id, &as_whom, cmdline, &o, diagnosis, &mut reported)
                }
                Err(e) => Check::new(
                    &id,
                    SANDBOX,
                    Status::Fail,
                    format!("cannot start {} {as_whom}: {e}", bwrap.display()),
                )
                .evidence(cmdline),
            };
            out.push(c.took(t.elapsed()));
        }
    }
    out
}

fn failed(
    sb: &Sandbox,
    id: &str,
    as_whom: &str,
    cmdline: String,
    o: &Outcome,
    diagnosis: Result<Value, String>,
    reported: &mut Vec<String>,
) -> Check {
    let how = if o.timed_out {
        format!(
            "timed out after {} s and was killed",
            limit_words(sandbox_limit())
        )
    } else {
        match o.code {
            Some(c) => format!("exit {c}"),
            None => "killed by a signal".into(),
        }
    };
    let mut c = Check::new(
        id,
        SANDBOX,
        Status::Fail,
        format!("{} fails {as_whom} ({how})", sb.what),
    )
    .evidence(cmdline);
    let text = String::from_utf8_lossy(&o.stderr);
    let lines: Vec<&str> = text.lines().collect();
    for l in &lines[lines.len().saturating_sub(6)..] {
        c = c.evidence(l.to_string());
    }
    let diagnosis_doc = diagnosis.as_ref().ok().cloned();
    let found = match diagnosis {
        Ok(doc) => found_in(&doc),
        Err(why) => {
            return c
                .evidence(why)
                .fix("bwrap-doctor explain, given the error above, tells why");
        }
    };
    let Some(top) = found.first() else {
        let ruled_out: Vec<String> = match &diagnosis_doc {
            Some(doc) => doc["candidates"]
                .as_array()
                .map(|cs| {
                    cs.iter()
                        .filter_map(|c| c["rule"].as_str().map(str::to_string))
                        .collect()
                })
                .unwrap_or_default(),
            None => Vec::new(),
        };
        if !ruled_out.is_empty() {
            c = c.evidence(format!("ruled out here: {}", ruled_out.join(", ")));
            return c.fix("none of the causes the rules know for this message holds here: `bwrap-doctor explain`, given the error, shows what was checked; if nothing fits, attach the error and `bwrap-doctor snapshot` to a bug report");
        }
        return c.fix("no rule knows this message yet: attach it and `bwrap-doctor snapshot` to a bug report, or write a rule for it (rules/README.md)");
    };
    c.summary = if top.confirmed {
        format!("{} fails {as_whom}: {}", sb.what, top.summary)
    } else {
        format!("{} fails {as_whom}; possibly: {}", sb.what, top.summary)
    };
    for f in &found {
        c = c.evidence(format!(
            "cause: {} (rule {}, {})",
            f.cause,
            f.rule,
            if f.confirmed {
                "confirmed"
            } else {
                "not confirmed"
            }
        ));
    }
    if reported.contains(&top.rule) {
        return c.fix("the same cause as above");
    }
    reported.push(top.rule.clone());
    for f in &top.fixes {
        c = c.fix(f.clone());
    }
    c
}
