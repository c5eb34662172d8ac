//! `bwrap-doctor fix`: the fixes for this host, printed as commands to
//! paste, and with `--apply` (as root) installed and checked.
//!
//! - `fix apparmor [--bwrap PATH]`: a profile that lets that exact bwrap
//!   create user namespaces under Ubuntu's `AppArmor` restriction.
//! - `fix sysctl`: a drop-in for the namespace sysctls that are switched off.
//! - `fix` alone: every fix `check` would print for what fails here.

use crate::output;
use crate::shim::locate;
use bwrap_doctor_engine::check::{self, model::Status};
use bwrap_doctor_engine::facts::Obs;
use bwrap_doctor_engine::fix::{self, sysctl};
use bwrap_doctor_engine::probe::Facts;
use bwrap_doctor_engine::probe::{Context, Host};
use bwrap_doctor_engine::written::apparmor;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// How long `apparmor_parser -r` may take to compile and load one profile.
const PARSER_LIMIT: std::time::Duration = std::time::Duration::from_secs(60);

/// Exit status: 0 done (or nothing to do); 1 the check after `--apply`
/// still fails; 2 the fix could not be made.
pub fn all() -> i32 {
    let report = crate::check_install::run(None);
    let mut n = 0;
    for c in &report.checks {
        if !matches!(c.status, Status::Fail | Status::Warning) || c.fix.is_empty() {
            continue;
        }
        n += 1;
        crate::outln!("{} ({}): {}", c.id, c.status.label(), c.summary);
        for f in &c.fix {
            let mut lines = f.lines();
            if let Some(first) = lines.next() {
                crate::outln!("  {first}");
            }
            for l in lines {
                crate::outln!("      {l}");
            }
        }
        crate::outln!();
    }
    if n == 0 {
        crate::outln!(
            "bwrap-doctor: nothing to fix: no check failed or warned (`bwrap-doctor check` shows the details)"
        );
        return 0;
    }
    crate::outln!("(from `bwrap-doctor check`; narrowest fix first)");
    report.exit_code()
}

/// Whether `--apply` goes on: `Some(exit)` when it was not asked for (0)
/// or this is not root (2, after `as_root`).
fn stop_before_apply(apply: bool, as_root: &str) -> Option<i32> {
    if !apply {
        return Some(0);
    }
    crate::outln!();
    if bwrap_doctor_engine::privilege::euid() != 0 {
        output::error(as_root);
        return Some(2);
    }
    None
}

fn live_facts(host: &Host, bwrap: Option<PathBuf>) -> Facts<'_> {
    Facts::live(host, Context { bwrap, args: None })
}

/// Write `text` to `path`, unless a file is there that bwrap-doctor did not
/// write. Returns what was there before (to put back if loading fails).
fn write_ours(path: &Path, text: &str) -> Result<Option<String>, String> {
    let before = match std::fs::read_to_string(path) {
        Ok(t) if !t.starts_with(sysctl::WRITTEN_BY) => {
            return Err(format!(
                "{} exists and was not written by bwrap-doctor; leaving it alone (move it away, or merge the text above into it)",
                path.display()
            ));
        }
        Ok(t) => Some(t),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(format!("cannot read {}: {e}", path.display())),
    };
    let tmp = path.with_extension("bwrap-doctor-new");
    std::fs::write(&tmp, text)
        .and_then(|()| std::fs::rename(&tmp, path))
        .map_err(|e| {
            let _ = std::fs::remove_file(&tmp);
            format!("cannot write {}: {e}", path.display())
        })?;
    Ok(before)
}

fn restore(path: &Path, before: Option<String>) {
    let _ = match before {
        Some(t) => std::fs::write(path, t),
        None => std::fs::remove_file(path),
    };
}

/// After `--apply`: the check, as proof.
fn recheck(bwrap: Option<PathBuf>) -> i32 {
    crate::outln!("\nbwrap-doctor check, after the fix:");
    let report = crate::check_install::run(bwrap.as_deref());
    crate::out!("{}", check::render::human(&report, crate::output::color()));
    report.exit_code()
}

fn find_parser() -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(["/usr/sbin", "/sbin"].map(PathBuf::from))
        .map(|d| d.join("apparmor_parser"))
        .find(|p| p.is_file())
}

/// The system bwrap the tools can be pointed at.
const SYSTEM_BWRAP: &str = "/usr/bin/bwrap";

/// For a bwrap whose path changes at upgrades: what changes, which fix
/// survives them (the pattern profile below, or the tool's own setting
/// pointing at the system bwrap) and why; and whether the system bwrap is
/// covered itself.
fn versioned_advice(host: &Host, real: &Path, v: &apparmor::Versioned) -> String {
    let mut s = format!(
        "# {} is {}: {}.\n# A profile for this exact path would stop matching at the next upgrade, silently.\n",
        real.display(),
        v.shape.label(),
        v.changes
    );
    let system = || {
        let facts = live_facts(host, Some(PathBuf::from(SYSTEM_BWRAP)));
        if !Path::new(SYSTEM_BWRAP).exists() {
            format!(
                "#   ({SYSTEM_BWRAP} is not installed: sudo apt install bubblewrap, then `bwrap-doctor fix apparmor --bwrap {SYSTEM_BWRAP}`.)\n"
            )
        } else if let Obs::Seen(p) = facts.get("apparmor.covering_profile") {
            format!(
                "#   ({SYSTEM_BWRAP} is covered by profile \"{}\" ({}).)\n",
                p.get("name").and_then(|x| x.as_str()).unwrap_or("?"),
                p.get("file").and_then(|x| x.as_str()).unwrap_or("?")
            )
        } else {
            format!(
                "#   ({SYSTEM_BWRAP} has no profile either; where AppArmor restricts user namespaces it needs\n#   one: `bwrap-doctor fix apparmor --bwrap {SYSTEM_BWRAP}`. Not Ubuntu's bwrap-userns-restrict:\n#   {}.)\n",
                apparmor::UBUNTU_PROFILE_CAVEAT
            )
        }
    };
    match (&v.tool, v.prefer_system) {
        (Some(t), true) => {
            s.push_str(&format!(
                "# Recommended: make the tool run the system bwrap instead, because {}:\n#   {t}\n",
                v.why
            ));
            s.push_str(&system());
            s.push_str(&format!(
                "# Otherwise, the profile below attaches to the pattern {}, which later versions match.\n",
                v.glob
            ));
        }
        (tool, _) => {
            s.push_str(&format!(
                "# Recommended: the profile below, which attaches to the pattern {} because {}.\n",
                v.glob, v.why
            ));
            if let Some(t) = tool {
                s.push_str(&format!("# Or make the tool run the system bwrap: {t}\n"));
                s.push_str(&system());
            }
        }
    }
    s
}

pub fn apparmor(bwrap: Option<PathBuf>, apply: bool) -> i32 {
    let named = match bwrap {
        Some(p) => p,
        None => match locate::locate_from_env() {
            Ok(r) => r.path,
            Err(e) => {
                output::error(&format!(
                    "{}; or name it: bwrap-doctor fix apparmor --bwrap PATH",
                    e.message()
                ));
                return 2;
            }
        },
    };
    // AppArmor attaches a profile to the file's real path.
    let real = match std::fs::canonicalize(&named) {
        Ok(r) => r,
        Err(e) => {
            output::error(&format!(
                "cannot find {}: {e}; pass the path of the bwrap that fails to --bwrap",
                named.display()
            ));
            return 2;
        }
    };
    let host = Host::live();
    let facts = live_facts(&host, Some(real.clone()));
    let active = matches!(
        facts.get("apparmor.enabled"),
        Obs::Seen(serde_json::Value::Bool(true))
    );
    let restrict = bwrap_doctor_engine::probe::sysctl_number(
        &facts,
        "kernel.apparmor_restrict_unprivileged_userns",
    );
    let file = apparmor::profile_file(&real);
    let profile = apparmor::profile(&real);

    if real != named {
        crate::outln!(
            "# {} resolves to {}: AppArmor attaches profiles to the real path, so the profile names that.",
            named.display(),
            real.display()
        );
    }
    if !active {
        crate::outln!(
            "# AppArmor is not active on this host: the profile is for hosts that restrict user namespaces (Ubuntu 23.10 and later)."
        );
    } else if restrict != Some(1) {
        crate::outln!(
            "# This host does not restrict unprivileged user namespaces (kernel.apparmor_restrict_unprivileged_userns = {}): the profile changes nothing here until it does.",
            restrict.map_or("absent".into(), |r| r.to_string())
        );
    }
    if let Obs::Seen(p) = facts.get("apparmor.covering_profile") {
        crate::outln!(
            "# {} is already covered by profile \"{}\" ({}).",
            real.display(),
            p.get("name").and_then(|v| v.as_str()).unwrap_or("?"),
            p.get("file").and_then(|v| v.as_str()).unwrap_or("?"),
        );
    }
    let described = |others: &[bwrap_doctor_engine::probe::apparmor::attach::Candidate]| {
        others
            .iter()
            .map(bwrap_doctor_engine::probe::apparmor::attach::Candidate::describe)
            .collect::<Vec<_>>()
            .join(" and ")
    };
    let versioned = apparmor::classify(&real);
    if let Some(v) = &versioned {
        crate::out!("{}", versioned_advice(&host, &real, v));
    }
    let placement = fix::apparmor::placement(&facts, &real);
    match &placement {
        Ok(fix::apparmor::Placement::Conflicts(others)) => crate::outln!(
            "# CONFLICT: {} already attaches to {} as specifically as this profile would.\n# Two such profiles make AppArmor attach neither (\"conflicting profile attachments\"):\n# bwrap would run unconfined and be refused its user namespace. Use that profile,\n# or remove it before adding this one (--apply refuses to add it).",
            described(others),
            real.display()
        ),
        Ok(fix::apparmor::Placement::Shadowed(others)) => crate::outln!(
            "# {} attaches to {} more specifically: this profile would never apply to it\n# (--apply refuses to add it). Change that profile instead.",
            described(others),
            real.display()
        ),
        _ => {}
    }
    if let Ok(old) = fix::apparmor::superseded(&facts, &real)
        && !old.is_empty()
    {
        crate::outln!(
            "# The profile below supersedes bwrap-doctor's profiles for single versions' exact paths:\n{}",
            old.iter()
                .map(|c| match &c.file {
                    Some(f) => format!(
                        "#   {} attaches to {}; remove it: sudo apparmor_parser -R {f} && sudo rm {f}",
                        c.describe(),
                        c.attach
                    ),
                    None => format!("#   {} attaches to {}", c.describe(), c.attach),
                })
                .collect::<Vec<_>>()
                .join("\n")
        );
    }
    let (what, through) = match &versioned {
        Some(v) => (
            format!("every bwrap matching {}", v.glob),
            "any bwrap matching the pattern",
        ),
        None => (real.display().to_string(), "this bwrap"),
    };
    crate::outln!(
        "# An AppArmor profile that lets {what} create user namespaces.\n# Trade-off: any program can get a user namespace through {through} (as with\n# Ubuntu's own profiles for Chrome or VS Code); nothing else changes.\n\nsudo tee {file} > /dev/null <<'EOF'\n{profile}\nEOF\nsudo apparmor_parser -r {file}\nbwrap-doctor check --bwrap {}\n\n# Undo: sudo apparmor_parser -R {file} && sudo rm {file}\n# Or let bwrap-doctor do it: sudo bwrap-doctor fix apparmor --bwrap {} --apply",
        real.display(),
        real.display()
    );
    if let Some(code) = stop_before_apply(
        apply,
        "--apply writes /etc/apparmor.d and loads the profile: run it as root (sudo bwrap-doctor fix apparmor --apply)",
    ) {
        return code;
    }
    match placement {
        Ok(fix::apparmor::Placement::Conflicts(others)) => {
            output::error(&format!(
                "--apply: {file} would conflict with {}, which attaches to {} as specifically: AppArmor would attach neither; nothing was written (use that profile, or remove it first: sudo apparmor_parser -R FILE && sudo rm FILE)",
                others
                    .iter()
                    .map(bwrap_doctor_engine::probe::apparmor::attach::Candidate::describe)
                    .collect::<Vec<_>>()
                    .join(" and "),
                real.display()
            ));
            return 2;
        }
        Ok(fix::apparmor::Placement::Shadowed(others)) => {
            output::error(&format!(
                "--apply: {file} would never apply to {}: {} attaches to it more specifically; nothing was written (change that profile instead)",
                real.display(),
                others
                    .iter()
                    .map(bwrap_doctor_engine::probe::apparmor::attach::Candidate::describe)
                    .collect::<Vec<_>>()
                    .join(" and ")
            ));
            return 2;
        }
        Ok(fix::apparmor::Placement::Attaches) => {}
        Err(o) if active => {
            output::error(&format!(
                "--apply: cannot tell whether {file} would conflict with a profile already here ({}); nothing was written",
                o.describe()
            ));
            return 2;
        }
        Err(_) => {}
    }
    if !active {
        output::error(
            "--apply: AppArmor is not active on this host, so there is nothing to load the profile into; nothing was written",
        );
        return 2;
    }
    let Some(parser) = find_parser() else {
        output::error(
            "--apply: apparmor_parser is not installed (apt install apparmor); nothing was written",
        );
        return 2;
    };
    let path = Path::new(&file);
    let before = match write_ours(path, &format!("{profile}\n")) {
        Ok(b) => b,
        Err(e) => {
            output::error(&e);
            return 2;
        }
    };
    let mut cmd = Command::new(&parser);
    cmd.arg("-r")
        .arg(path)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    match bwrap_doctor_engine::probe::run_bounded(&mut cmd, PARSER_LIMIT) {
        Ok(o) if o.code == Some(0) => crate::outln!("bwrap-doctor: wrote {file} and loaded it"),
        Ok(o) => {
            restore(path, before);
            let _ = std::io::stderr().write_all(&o.stderr);
            output::error(&format!(
                "{} -r {file} {}; the file was put back as it was",
                parser.display(),
                match o.code {
                    _ if o.timed_out => format!(
                        "did not finish within {} s and was killed",
                        PARSER_LIMIT.as_secs()
                    ),
                    Some(c) => format!("failed (exit status {c})"),
                    None => "was killed by a signal".into(),
                }
            ));
            return 2;
        }
        Err(e) => {
            restore(path, before);
            // `e` names the program and the cause.
            output::error(&format!("{e}; the file was put back as it was"));
            return 2;
        }
    }
    recheck(Some(real))
}

pub fn sysctls(apply: bool) -> i32 {
    let host = Host::live();
    let facts = live_facts(&host, None);
    let needed = sysctl::needed(&facts);
    if check::apparmor_restricts(&facts) {
        crate::outln!(
            "# AppArmor restricts unprivileged user namespaces here (kernel.apparmor_restrict_unprivileged_userns = 1).\n# `bwrap-doctor fix apparmor` exempts just bwrap; setting that sysctl to 0 re-opens\n# user namespaces to every program, which is what the restriction is there to prevent.\n"
        );
    }
    if needed.is_empty() {
        crate::outln!("bwrap-doctor: no namespace sysctl is switched off here; nothing to change");
        return 0;
    }
    let text = sysctl::drop_in(&needed);
    crate::outln!("# These sysctls keep bwrap from creating namespaces here:");
    for s in &needed {
        crate::outln!("#   {} = {}: {}", s.name, s.now, s.why);
    }
    crate::outln!(
        "# Trade-off: every local user may create these namespaces again, the kernel\n# attack surface the setting was chosen to close.\n\nsudo tee {} > /dev/null <<'EOF'\n{}EOF\nsudo sysctl -p {}\n\n# Or let bwrap-doctor do it: sudo bwrap-doctor fix sysctl --apply",
        sysctl::DROP_IN,
        text,
        sysctl::DROP_IN
    );
    if let Some(code) = stop_before_apply(
        apply,
        "--apply writes /etc/sysctl.d and sets the sysctls: run it as root (sudo bwrap-doctor fix sysctl --apply)",
    ) {
        return code;
    }
    let path = Path::new(sysctl::DROP_IN);
    if let Err(e) = write_ours(path, &text) {
        output::error(&e);
        return 2;
    }
    for s in &needed {
        if let Err(e) = std::fs::write(s.proc_path(), s.value) {
            output::error(&format!(
                "wrote {} but cannot set {} now ({}: {e}); it takes effect at the next boot",
                sysctl::DROP_IN,
                s.name,
                s.proc_path()
            ));
            return 2;
        }
    }
    crate::outln!(
        "bwrap-doctor: wrote {} and set {} now",
        sysctl::DROP_IN,
        needed.iter().map(|s| s.name).collect::<Vec<_>>().join(", ")
    );
    recheck(None)
}
