//! The bwrap binary: which one, its version, setuid bit, file capabilities,
//! readability, and which `AppArmor` profile covers it.

use super::model::{Check, Status};
use super::{BINARY, shown, timed};
use crate::facts::Obs;
use crate::probe::Facts;
use serde_json::Value;

pub fn checks(facts: &Facts) -> Vec<Check> {
    vec![
        timed(|| version(facts)),
        timed(|| setuid(facts)),
        timed(|| capabilities(facts)),
        timed(|| readable(facts)),
        timed(|| apparmor(facts)),
    ]
}

fn version(facts: &Facts) -> Check {
    match facts.get("bwrap.version") {
        Obs::Seen(v) => Check::new(
            "bwrap.version",
            BINARY,
            Status::Ok,
            format!("bubblewrap {}", shown(&Obs::Seen(v))),
        )
        .evidence(format!("{} --version", shown(&facts.get("bwrap.path")))),
        other => Check::new(
            "bwrap.version",
            BINARY,
            Status::Warning,
            "the version of bwrap could not be read",
        )
        .evidence(other.describe()),
    }
}

fn setuid(facts: &Facts) -> Check {
    let mode = shown(&facts.get("bwrap.mode"));
    match facts.get("bwrap.setuid") {
        Obs::Seen(Value::Bool(true)) => Check::new(
            "bwrap.setuid",
            BINARY,
            Status::Warning,
            "bwrap is setuid root: it refuses some options, callers such as Flatpak change what they pass, and bubblewrap 0.11.2+ / 0.12 refuse to run setuid",
        )
        .evidence(format!("mode {mode}"))
        .fix(format!(
            "unless you need a setuid bwrap (a kernel without user namespaces): sudo chmod u-s {}",
            shown(&facts.get("bwrap.path"))
        )),
        Obs::Seen(_) => Check::new(
            "bwrap.setuid",
            BINARY,
            Status::Ok,
            "bwrap is not setuid: it uses unprivileged user namespaces",
        )
        .evidence(format!("mode {mode}")),
        other => Check::new(
            "bwrap.setuid",
            BINARY,
            Status::Warning,
            "the mode of bwrap could not be read",
        )
        .evidence(other.describe()),
    }
}

fn capabilities(facts: &Facts) -> Check {
    match facts.get("bwrap.file_caps") {
        Obs::Seen(caps) => Check::new(
            "bwrap.capabilities",
            BINARY,
            Status::Fail,
            "bwrap has file capabilities, which it refuses (\"Unexpected capabilities but not setuid\")",
        )
        .evidence(format!("file capabilities: {}", shown(&Obs::Seen(caps))))
        .fix(format!("sudo setcap -r {}", shown(&facts.get("bwrap.path")))),
        Obs::Absent => Check::new(
            "bwrap.capabilities",
            BINARY,
            Status::Ok,
            "no file capabilities on bwrap",
        ),
        other => Check::new(
            "bwrap.capabilities",
            BINARY,
            Status::Skip,
            "file capabilities could not be read",
        )
        .evidence(other.describe()),
    }
}

fn readable(facts: &Facts) -> Check {
    let path = shown(&facts.get("bwrap.path"));
    match facts.get("bwrap.readable") {
        Obs::Seen(Value::Bool(false)) => Check::new(
            "bwrap.readable",
            BINARY,
            Status::Fail,
            "bwrap is not readable by this user, so it cannot write its own uid map (\"setting up uid map: Permission denied\")",
        )
        .evidence(format!("mode {}", shown(&facts.get("bwrap.mode"))))
        .fix(format!("sudo chmod a+r {path}")),
        Obs::Seen(_) => {
            let mode = facts.get("bwrap.mode");
            let others_read = match &mode {
                Obs::Seen(Value::String(m)) => u32::from_str_radix(m, 8).map_or(true, |m| m & 0o004 != 0),
                _ => true,
            };
            if others_read {
                Check::new("bwrap.readable", BINARY, Status::Ok, "bwrap is readable by every user")
            } else {
                Check::new(
                    "bwrap.readable",
                    BINARY,
                    Status::Warning,
                    "bwrap is readable by this user but not by others: their sandboxes fail with \"setting up uid map: Permission denied\"",
                )
                .evidence(format!("mode {}", shown(&mode)))
                .fix(format!("sudo chmod a+r {path}"))
            }
        }
        other => Check::new(
            "bwrap.readable",
            BINARY,
            Status::Skip,
            "could not tell whether bwrap is readable",
        )
        .evidence(other.describe()),
    }
}

/// Which `AppArmor` profile covers this bwrap, and whether it needs one.
fn apparmor(facts: &Facts) -> Check {
    let c = apparmor_exception(facts);
    match facts.get("apparmor.confining_profile") {
        Obs::Seen(p) => {
            let flags = p.get("flags").and_then(Value::as_array);
            let disconnected = flags.is_some_and(|f| f.iter().any(|x| x == "attach_disconnected"));
            let name = p.get("name").and_then(Value::as_str).unwrap_or("?");
            let file = p.get("file").and_then(Value::as_str).unwrap_or("?");
            let mut c = c.evidence(format!(
                "AppArmor profile \"{name}\" ({file}) confines this bwrap: what it does not allow, bwrap cannot do (the sandboxes below show whether that matters)"
            ));
            if !disconnected {
                c.status = c.status.max(Status::Warning);
                c = c
                    .evidence("that profile lacks flags=(attach_disconnected): bwrap will fail with \"setting up uid map: Permission denied\"")
                    .fix(format!("add attach_disconnected to the flags in {file}, then: sudo apparmor_parser -r {file}"));
            }
            c
        }
        _ => c,
    }
}

/// Which `AppArmor` profile exempts this bwrap from the user-namespace
/// restriction, and whether it needs one.
fn apparmor_exception(facts: &Facts) -> Check {
    let restricted =
        super::sysctl(facts, "kernel.apparmor_restrict_unprivileged_userns") == Some(1);
    let path = shown(&facts.get("bwrap.path"));
    match facts.get("apparmor.covering_profile") {
        Obs::Seen(p) => Check::new(
            "bwrap.apparmor-profile",
            BINARY,
            Status::Ok,
            format!(
                "AppArmor profile \"{}\" ({}) allows user namespaces for this bwrap",
                p.get("name").and_then(Value::as_str).unwrap_or("?"),
                p.get("file").and_then(Value::as_str).unwrap_or("?")
            ),
        ),
        Obs::Absent if restricted => {
            let exceptions = shown(&facts.get("apparmor.bwrap_exceptions"));
            let mut c = Check::new(
                "bwrap.apparmor-profile",
                BINARY,
                Status::Fail,
                format!(
                    "AppArmor restricts user namespaces and no profile exempts {path}: unprivileged sandboxes will fail"
                ),
            )
            .evidence("kernel.apparmor_restrict_unprivileged_userns = 1");
            if !exceptions.is_empty() {
                c = c.evidence(format!("exception profiles exist for: {exceptions}"));
            }
            // Profiles tied for this path: the cure is to keep one, not to
            // add a third (policy.apparmor-conflicts names them).
            if let Obs::Seen(conflict) = facts.get("apparmor.conflict_for_bwrap") {
                let names: Vec<String> = conflict["profiles"]
                    .as_array()
                    .map(|l| {
                        l.iter()
                            .map(|p| format!("\"{}\"", p["name"].as_str().unwrap_or("?")))
                            .collect()
                    })
                    .unwrap_or_default();
                c.summary = format!(
                    "AppArmor restricts user namespaces and the profiles {} are tied for {}: AppArmor attaches neither, so nothing exempts {path}",
                    names.join(" and "),
                    conflict["path"].as_str().unwrap_or("?")
                );
                return c.fix(
                    "keep one of the tied profiles: the policy.apparmor-conflicts check below names their files and the command",
                );
            }
            c.fix(format!(
                "bwrap-doctor fix apparmor --bwrap {path}   # prints the profile for this bwrap (a pattern the next versions match, for a vendored bwrap whose path changes at upgrades), and how to load it"
            ))
            .fix("for every program (re-opens what the restriction closes): sudo sysctl -w kernel.apparmor_restrict_unprivileged_userns=0")
        }
        Obs::Absent => Check::new(
            "bwrap.apparmor-profile",
            BINARY,
            Status::Ok,
            "AppArmor does not restrict user namespaces here: bwrap needs no exception profile",
        ),
        other => Check::new(
            "bwrap.apparmor-profile",
            BINARY,
            if restricted {
                Status::Warning
            } else {
                Status::Skip
            },
            "could not tell which AppArmor profile covers bwrap",
        )
        .evidence(other.describe()),
    }
}
