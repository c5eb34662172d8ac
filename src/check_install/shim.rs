//! The shim's own install: is it first on PATH, is it a hard link (not a
//! symlink a caller may resolve), is it sitting where `AppArmor`'s bwrap
//! exception attaches (a dpkg diversion over /usr/bin/bwrap), does it hide a
//! setuid real bwrap, where the env hooks point, and do the rules load.

use crate::install::is_shim;
use bwrap_doctor_engine::check::model::{Check, Status};
use bwrap_doctor_engine::check::{SHIM, timed};
use bwrap_doctor_engine::facts::Obs;
use bwrap_doctor_engine::probe::Facts;
use bwrap_doctor_engine::rules;
use serde_json::Value;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

pub fn checks(facts: &Facts, set: &rules::RuleSet) -> Vec<Check> {
    let path_var = std::env::var_os("PATH").unwrap_or_else(|| "/bin:/usr/bin".into());
    let on_path = bwraps_on_path(path_var.as_bytes());
    // The bwrap the shim itself would run (not a --bwrap under check).
    let real = crate::shim::locate::locate_from_env().ok().map(|r| r.path);
    vec![
        timed(|| placement(&on_path, real.as_deref())),
        timed(|| codex_reach(&on_path, real.as_deref())),
        timed(|| exception_paths(facts)),
        timed(env_hooks),
        timed(|| rules_load(set)),
        timed(settings),
    ]
}

/// Does Codex reach the shim? It searches PATH (`which_in_all`), resolves
/// each hit through symlinks, skips hits inside the directory it runs in
/// (unless that is /), and uses a bwrap only if its `--help` lists
/// `--perms`; otherwise it runs the bwrap bundled with it (exec'd through
/// /proc/self/fd, out of any shim's reach). Read in openai/codex
/// `codex-rs/sandboxing/src/bwrap.rs` and `codex-rs/linux-sandbox/src/launcher.rs`.
fn codex_reach(on_path: &[OnPath], real: Option<&Path>) -> Check {
    let id = "shim.codex";
    let Some(shim) = on_path.iter().find(|o| o.shim) else {
        return Check::new(
            id,
            SHIM,
            Status::Skip,
            "Codex cannot reach the shim: it is not on PATH",
        );
    };
    let dir = shim.path.parent().unwrap_or(Path::new("/")).to_path_buf();
    let mut problems: Vec<(String, String)> = Vec::new();
    if shim.symlink {
        problems.push((
            format!(
                "{} is a symlink: Codex resolves it to bwrap-doctor's own file and then runs the bwrap bundled with Codex, undiagnosed",
                shim.path.display()
            ),
            format!("bwrap-doctor install --dir {}   # a hard link instead", dir.display()),
        ));
    }
    // Codex 0.171.0 does not use a bwrap on PATH inside its sandbox's
    // writable roots either (measured: tests/it/integrations/codex.rs).
    let tmpdir = std::env::var_os("TMPDIR").map(PathBuf::from);
    if let Some(root) = [Some(PathBuf::from("/tmp")), tmpdir]
        .into_iter()
        .flatten()
        .find(|r| r.is_absolute() && r != Path::new("/") && dir.starts_with(r))
    {
        problems.push((
            format!(
                "{} is under {}, which Codex's sandbox may write: Codex does not use a bwrap there and runs the next one, undiagnosed",
                dir.display(),
                root.display()
            ),
            "install the shim outside /tmp and $TMPDIR: bwrap-doctor install (~/.local/bin) or sudo bwrap-doctor install --dir /usr/local/bin".into(),
        ));
    }
    if let Some(home) = crate::config::user_dirs().home
        && dir.starts_with(&home)
        && home != Path::new("/")
    {
        let ancestors: Vec<String> = dir
            .ancestors()
            .take_while(|a| a.starts_with(&home))
            .map(|a| a.display().to_string())
            .collect();
        problems.push((
            format!(
                "{} is under the home directory: Codex skips PATH entries inside the directory it runs in, so Codex started in {} runs the next bwrap, undiagnosed",
                dir.display(),
                ancestors.join(" or ")
            ),
            "run Codex from a project directory, or install the shim for every user: sudo bwrap-doctor install --dir /usr/local/bin".into(),
        ));
    }
    let mut c = Check::new(id, SHIM, Status::Ok, "");
    if let Some(r) = real {
        match help_lists_perms(r) {
            Some(true) => c = c.evidence(format!("{} --help lists --perms, as Codex requires", r.display())),
            Some(false) => problems.push((
                format!(
                    "{} --help does not list --perms (bubblewrap before 0.5): Codex does not use it, nor the shim in front of it, and runs its bundled bwrap",
                    r.display()
                ),
                "install bubblewrap 0.5 or later".into(),
            )),
            None => c = c.evidence(format!("{} --help could not be run", r.display())),
        }
    }
    if problems.is_empty() {
        c.summary = format!(
            "Codex reaches the shim at {} (a regular file on PATH, outside the directories Codex is usually started in)",
            shim.path.display()
        );
        return c;
    }
    c.status = Status::Warning;
    c.summary = problems[0].0.clone();
    for (what, _) in problems.iter().skip(1) {
        c = c.evidence(what.clone());
    }
    for (_, fix) in &problems {
        c = c.fix(fix.clone());
    }
    c
}

/// Does `bwrap --help` mention `--perms`? None when it cannot be run.
fn help_lists_perms(bwrap: &Path) -> Option<bool> {
    let mut cmd = std::process::Command::new(bwrap);
    cmd.arg("--help")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let ran = bwrap_doctor_engine::probe::run_bounded(&mut cmd, std::time::Duration::from_secs(2))
        .ok()?;
    let text = [ran.stdout.as_slice(), ran.stderr.as_slice()].concat();
    Some(String::from_utf8_lossy(&text).contains("--perms"))
}

/// The configuration files: which were read, and any that were refused or
/// do not parse (each error at <file:line:col>).
fn settings() -> Check {
    let id = "shim.config";
    let s = crate::config::current();
    let files = crate::config::files(&crate::config::user_dirs());
    if s.problems.is_empty() {
        let mut c = Check::new(
            id,
            SHIM,
            Status::Ok,
            if s.files_read.is_empty() {
                "no configuration file (the environment and the defaults apply)".to_string()
            } else {
                format!(
                    "configuration read from {}",
                    s.files_read
                        .iter()
                        .map(|f| f.display().to_string())
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            },
        );
        for (f, _) in &files {
            c = c.evidence(format!("looked for {}", f.display()));
        }
        return c;
    }
    let mut c = Check::new(
        id,
        SHIM,
        Status::Warning,
        format!(
            "{} configuration file(s) not used: {}",
            s.problems.len(),
            crate::config::one_line(&s.problems[0])
        ),
    );
    for p in &s.problems {
        for l in p.rendered.lines() {
            c = c.evidence(l.to_string());
        }
    }
    c.fix("correct the file, or remove it; the keys are real_bwrap, off, json, rules, no_color, report")
}

/// A `bwrap` found in a PATH directory.
#[derive(Debug)]
pub struct OnPath {
    pub path: PathBuf,
    pub shim: bool,
    pub symlink: bool,
}

/// Every executable `bwrap` on PATH, in order.
pub fn bwraps_on_path(path_var: &[u8]) -> Vec<OnPath> {
    let mut out: Vec<OnPath> = Vec::new();
    for entry in path_var.split(|&b| b == b':') {
        let dir = if entry.is_empty() {
            PathBuf::from(".")
        } else {
            PathBuf::from(std::ffi::OsStr::from_bytes(entry))
        };
        let p = dir.join("bwrap");
        let Ok(meta) = std::fs::metadata(&p) else {
            continue;
        };
        if !meta.is_file() || meta.permissions().mode() & 0o111 == 0 {
            continue;
        }
        // The same file by another directory (/bin → /usr/bin): listed once.
        let same = |o: &OnPath| {
            o.path == p
                || std::fs::canonicalize(&o.path)
                    .ok()
                    .zip(std::fs::canonicalize(&p).ok())
                    .is_some_and(|(a, b)| a == b)
        };
        if out.iter().any(same) {
            continue;
        }
        let symlink = std::fs::symlink_metadata(&p).is_ok_and(|m| m.file_type().is_symlink());
        out.push(OnPath {
            shim: is_shim(&p),
            symlink,
            path: p,
        });
    }
    out
}

fn is_setuid(p: &Path) -> bool {
    std::fs::metadata(p).is_ok_and(|m| m.permissions().mode() & 0o4000 != 0)
}

/// Where the shim is on PATH, relative to the real bwrap.
fn placement(on_path: &[OnPath], real: Option<&Path>) -> Check {
    let id = "shim.path";
    let first_shim = on_path.iter().position(|o| o.shim);
    let first_real = on_path.iter().position(|o| !o.shim);
    let listing = || {
        on_path
            .iter()
            .map(|o| {
                format!(
                    "PATH: {} ({}{})",
                    o.path.display(),
                    if o.shim {
                        "bwrap-doctor shim"
                    } else {
                        "real bwrap"
                    },
                    if o.symlink { ", a symlink" } else { "" }
                )
            })
            .collect::<Vec<_>>()
    };
    let mut c = match (first_shim, first_real) {
        (None, _) => {
            return Check::new(
                id,
                SHIM,
                Status::Skip,
                "the shim is not installed on PATH: bwrap failures are explained only when passed to `bwrap-doctor explain`",
            )
            .fix("bwrap-doctor install   # puts the shim in ~/.local/bin, in front of the real bwrap");
        }
        (Some(s), Some(r)) if r < s => Check::new(
            id,
            SHIM,
            Status::Warning,
            format!(
                "the shim at {} comes after the real bwrap at {} on PATH: callers that search PATH run the real one directly",
                on_path[s].path.display(),
                on_path[r].path.display()
            ),
        )
        .fix(format!(
            "put {} before {} in PATH (in ~/.profile or the service's Environment=PATH=)",
            on_path[s].path.parent().unwrap_or(Path::new("?")).display(),
            on_path[r].path.parent().unwrap_or(Path::new("?")).display()
        )),
        (Some(s), _) if on_path[s].symlink => Check::new(
            id,
            SHIM,
            Status::Warning,
            format!(
                "the shim at {} is a symlink: callers that resolve symlinks before they run bwrap (Codex does) start bwrap-doctor under its own name, not as bwrap",
                on_path[s].path.display()
            ),
        )
        .fix(format!(
            "bwrap-doctor install --dir {}   # replaces it with a hard link",
            on_path[s].path.parent().unwrap_or(Path::new("?")).display()
        )),
        (Some(s), _) => {
            let mut c = Check::new(
                id,
                SHIM,
                Status::Ok,
                format!("the shim at {} is the first bwrap on PATH", on_path[s].path.display()),
            );
            if let Some(r) = real {
                c = c.evidence(format!("it runs the real bwrap at {}", r.display()));
                if is_setuid(r) {
                    c.status = Status::Warning;
                    c.summary = format!(
                        "the shim at {} hides a setuid real bwrap ({}): callers that look for the setuid bit (Flatpak, pressure-vessel) see the shim's file, think bwrap is unprivileged, and pass options a setuid bwrap refuses",
                        on_path[s].path.display(),
                        r.display()
                    );
                    c = c
                        .fix(format!(
                            "if this kernel has unprivileged user namespaces, drop the setuid bit: sudo chmod u-s {}",
                            r.display()
                        ))
                        .fix("otherwise do not put the shim in front of a setuid bwrap: bwrap-doctor uninstall");
                }
            }
            c
        }
    };
    for l in listing() {
        c = c.evidence(l);
    }
    c
}

/// The shim must not sit where `AppArmor`'s bwrap exception attaches: it would
/// take the exception and the real bwrap would lose it.
fn exception_paths(facts: &Facts) -> Check {
    let id = "shim.apparmor-path";
    let mut paths: Vec<String> = crate::shim::locate::SYSTEM_PATHS
        .iter()
        .map(std::string::ToString::to_string)
        .collect();
    if let Obs::Seen(Value::Array(list)) = facts.get("apparmor.bwrap_exceptions") {
        for p in &list {
            if let Some(a) = p.get("attach").and_then(Value::as_str)
                && !paths.iter().any(|x| x == a)
            {
                paths.push(a.to_string());
            }
        }
    }
    let taken: Vec<&String> = paths.iter().filter(|p| is_shim(Path::new(p))).collect();
    let diverted = diversions();
    if taken.is_empty() {
        let mut c = Check::new(
            id,
            SHIM,
            Status::Ok,
            "the shim does not occupy bwrap's own path (where AppArmor's bwrap exception attaches)",
        );
        for d in diverted {
            c = c.evidence(format!("dpkg diversion: {d}"));
        }
        return c;
    }
    let mut c = Check::new(
        id,
        SHIM,
        Status::Fail,
        format!(
            "the shim is installed as {}: AppArmor's exception for bwrap attaches to that path, so the shim gets it and the real bwrap it runs does not (\"setting up uid map: Permission denied\" on Ubuntu 24.04)",
            taken
                .iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    );
    for d in &diverted {
        c = c.evidence(format!("dpkg diversion: {d}"));
    }
    let first = taken[0];
    if diverted.is_empty() {
        c = c.fix(format!(
            "sudo rm {first}   # the shim; if bubblewrap belongs there, reinstall it: sudo apt install --reinstall bubblewrap\nbwrap-doctor install   # the shim in front of it on PATH instead"
        ));
    } else {
        c = c.fix(format!(
            "sudo rm {first} && sudo dpkg-divert --local --rename --remove {first}\nbwrap-doctor install   # in front of it on PATH instead"
        ));
    }
    c
}

/// dpkg's diversions of a bwrap, as "FROM -> TO".
fn diversions() -> Vec<String> {
    let Ok(text) = std::fs::read_to_string("/var/lib/dpkg/diversions") else {
        return Vec::new();
    };
    // Records of three lines: from, to, package.
    let lines: Vec<&str> = text.lines().collect();
    lines
        .chunks(3)
        .filter(|r| r.len() == 3 && r[0].ends_with("/bwrap"))
        .map(|r| format!("{} -> {} (by {})", r[0], r[1], r[2]))
        .collect()
}

/// Where the explicit hooks of Flatpak and Steam point.
fn env_hooks() -> Check {
    let id = "shim.env-hooks";
    let mut c = Check::new(id, SHIM, Status::Ok, "");
    let mut set = 0;
    for var in ["FLATPAK_BWRAP", "PRESSURE_VESSEL_BWRAP"] {
        let Some(v) = std::env::var_os(var) else {
            continue;
        };
        set += 1;
        let p = Path::new(&v);
        let what = if !p.is_absolute() {
            "a name looked up on PATH".to_string()
        } else if is_shim(p) {
            "the bwrap-doctor shim".to_string()
        } else if p.exists() {
            "a real bwrap, not the shim".to_string()
        } else {
            c.status = Status::Warning;
            "which does not exist: callers using it will fail".to_string()
        };
        c = c.evidence(format!("{var}={}: {what}", p.display()));
    }
    c.summary = if set == 0 {
        "FLATPAK_BWRAP and PRESSURE_VESSEL_BWRAP are not set here (Flatpak and Steam use their own bwrap unless they are)".into()
    } else if c.status == Status::Warning {
        "a bwrap hook variable names a missing file".into()
    } else {
        "bwrap hook variables are set".into()
    };
    c
}

/// The rules load: a broken file only loses its own rules, but says so.
fn rules_load(set: &rules::RuleSet) -> Check {
    let id = "shim.rules";
    let n = set.active().count();
    if set.problems.is_empty() {
        return Check::new(
            id,
            SHIM,
            Status::Ok,
            format!("{n} diagnosis rules load without errors"),
        );
    }
    let mut c = Check::new(
        id,
        SHIM,
        Status::Warning,
        format!(
            "{} rule file(s) have errors and are skipped ({n} rules in force)",
            set.problems.len()
        ),
    );
    for p in &set.problems {
        c = c.evidence(p.one_line());
    }
    c.fix("bwrap-doctor rules lint   # shows each error with file:line:col")
}
