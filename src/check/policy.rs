//! Security policy around bwrap: AppArmor (the user-namespace restriction,
//! the exception profiles and the paths they attach to), SELinux, seccomp,
//! and the container or outer sandbox this runs in.

use super::kernel::seccomp_line;
use super::model::{Check, Status};
use super::{Experiment, POLICY, apparmor_restricts, shown, sysctl, timed};
use crate::diagnose::template::value_text;
use crate::facts::{Facts, Obs};
use serde_json::Value;
use std::path::Path;

pub fn checks(facts: &Facts) -> Vec<Check> {
    vec![
        timed(|| apparmor(facts)),
        timed(|| selinux(facts)),
        timed(|| seccomp(facts)),
        timed(|| container(facts)),
    ]
}

/// Every experiment passed: whatever policy is in force lets bwrap's
/// namespaces through.
fn experiments_pass(facts: &Facts) -> bool {
    [
        "experiment.userns",
        "experiment.netns",
        "experiment.proc_mount",
    ]
    .iter()
    .all(|k| Experiment::of(facts, k).is_ok_and(|e| e.ok))
}

fn field<'v>(v: &'v Value, k: &str) -> &'v str {
    v.get(k).and_then(Value::as_str).unwrap_or("?")
}

fn apparmor(facts: &Facts) -> Check {
    let id = "policy.apparmor";
    if !matches!(facts.get("apparmor.enabled"), Obs::Seen(Value::Bool(true))) {
        let why = match facts.get("apparmor.enabled") {
            Obs::Absent => "this kernel has no AppArmor (/sys/module/apparmor is missing)".into(),
            Obs::Seen(_) => "AppArmor is built in but switched off".into(),
            other => other.describe(),
        };
        return Check::new(id, POLICY, Status::Ok, "AppArmor is not active").evidence(why);
    }
    let restrict = sysctl(facts, "kernel.apparmor_restrict_unprivileged_userns");
    let complain = sysctl(
        facts,
        "kernel.apparmor_restrict_unprivileged_userns_complain",
    );
    let mut c = if !apparmor_restricts(facts) {
        let mut c = Check::new(
            id,
            POLICY,
            Status::Ok,
            "AppArmor is active and does not restrict unprivileged user namespaces",
        );
        if restrict == Some(1) && complain == Some(1) {
            c.summary = "AppArmor's user-namespace restriction only logs (complain mode)".into();
            c.status = Status::Warning;
            c = c.evidence("kernel.apparmor_restrict_unprivileged_userns_complain = 1");
        }
        c
    } else {
        let covered = matches!(facts.get("apparmor.covering_profile"), Obs::Seen(_));
        Check::new(
            id,
            POLICY,
            if covered { Status::Ok } else { Status::Warning },
            "AppArmor restricts unprivileged user namespaces to programs whose profile allows them",
        )
    };
    if let Some(r) = restrict {
        c = c.evidence(format!(
            "kernel.apparmor_restrict_unprivileged_userns = {r}"
        ));
    }
    if let Obs::Seen(label) = facts.get("apparmor.label") {
        c = c.evidence(format!(
            "this process's confinement: {}",
            value_text(&label)
        ));
    }
    let loaded: Option<Vec<String>> = match facts.get("apparmor.profiles_loaded") {
        Obs::Seen(Value::Array(list)) => {
            Some(list.iter().map(|p| field(p, "name").to_string()).collect())
        }
        _ => None,
    };
    match facts.get("apparmor.bwrap_exceptions") {
        Obs::Seen(Value::Array(list)) if !list.is_empty() => {
            for p in &list {
                let name = field(p, "name");
                let attach = p.get("attach").and_then(Value::as_str);
                let state = match &loaded {
                    Some(l) if l.iter().any(|n| n == name) => "loaded",
                    Some(_) => "NOT loaded",
                    None => "loaded: unknown",
                };
                let target = match attach {
                    Some(a)
                        if facts.is_live()
                            && !a.contains(['*', '?', '{', '['])
                            && !Path::new(a).exists() =>
                    {
                        format!("attaches to {a}, which does not exist")
                    }
                    Some(a) => format!("attaches to {a}"),
                    None => "attaches to no path".into(),
                };
                c = c.evidence(format!(
                    "exception profile \"{name}\" ({}): {target}; {state}",
                    field(p, "file")
                ));
            }
        }
        _ if apparmor_restricts(facts) => {
            c = c.evidence("no profile in /etc/apparmor.d exempts any bwrap");
        }
        _ => {}
    }
    c
}

fn selinux(facts: &Facts) -> Check {
    let id = "policy.selinux";
    match facts.get("selinux.mode") {
        Obs::Seen(v) if v.as_str() == Some("enforcing") => {
            let mut c = Check::new(
                id,
                POLICY,
                Status::Ok,
                "SELinux is enforcing; the sandboxes below show whether its policy lets bwrap mount",
            );
            if let Obs::Seen(ctx) = facts.get("selinux.context") {
                c = c.evidence(format!("this process's context: {}", value_text(&ctx)));
            }
            c.evidence("denials are logged: sudo ausearch -m avc -ts recent")
        }
        Obs::Seen(v) => Check::new(
            id,
            POLICY,
            Status::Ok,
            format!("SELinux is {}", value_text(&v)),
        ),
        Obs::Absent => Check::new(id, POLICY, Status::Ok, "SELinux is not active"),
        other => Check::new(id, POLICY, Status::Skip, "SELinux's mode could not be read")
            .evidence(other.describe()),
    }
}

fn seccomp(facts: &Facts) -> Check {
    let id = "policy.seccomp";
    match seccomp_line(facts) {
        None => match facts.get("caller.seccomp") {
            Obs::Seen(_) => Check::new(id, POLICY, Status::Ok, "no seccomp filter on this process"),
            other => Check::new(id, POLICY, Status::Skip, "the seccomp state could not be read")
                .evidence(other.describe()),
        },
        Some(line) if experiments_pass(facts) => Check::new(
            id,
            POLICY,
            Status::Ok,
            "seccomp filters are in force, and they let bwrap's namespaces and mounts through",
        )
        .evidence(line),
        Some(line) => Check::new(
            id,
            POLICY,
            Status::Warning,
            "seccomp filters are in force (a container runtime, systemd or an outer sandbox set them); they may refuse what bwrap needs",
        )
        .evidence(line)
        .evidence(format!("no_new_privs: {}", shown(&facts.get("caller.no_new_privs"))))
        .fix("the diagnosis of a failing sandbox below tells whether the filter is the cause"),
    }
}

fn container(facts: &Facts) -> Check {
    let id = "policy.container";
    let kind = match facts.get("container.kind") {
        Obs::Seen(v) => value_text(&v),
        other => {
            return Check::new(
                id,
                POLICY,
                Status::Skip,
                "could not tell whether this runs in a container",
            )
            .evidence(other.describe());
        }
    };
    let mut c = match kind.as_str() {
        "none" => Check::new(
            id,
            POLICY,
            Status::Ok,
            "not inside a container or another sandbox",
        ),
        "wsl1" => Check::new(
            id,
            POLICY,
            Status::Fail,
            "this is WSL 1, which has no Linux namespaces: bwrap cannot work here",
        )
        .fix("convert the distribution to WSL 2: wsl --set-version <distro> 2 (in Windows)"),
        "flatpak" | "bwrap" => Check::new(
            id,
            POLICY,
            if experiments_pass(facts) {
                Status::Ok
            } else {
                Status::Warning
            },
            format!("inside an outer sandbox ({kind}); nested sandboxes get only what it allows"),
        )
        .fix("inside Flatpak, start sandboxes with flatpak-spawn --sandbox instead of bwrap"),
        other => {
            let pass = experiments_pass(facts);
            let mut c = Check::new(
                id,
                POLICY,
                if pass { Status::Ok } else { Status::Warning },
                if pass {
                    format!("inside a container ({other}); it lets bwrap's namespaces through")
                } else {
                    format!(
                        "inside a container ({other}); its seccomp profile, capabilities or masked /proc may refuse bwrap"
                    )
                },
            );
            if !pass {
                c = c.fix(
                    "the diagnosis of a failing sandbox below names the container option to change",
                );
            }
            c
        }
    };
    if let Obs::Seen(Value::Array(lines)) = facts.get("container.evidence") {
        for l in lines.iter().filter_map(Value::as_str) {
            if is_positive_evidence(l) {
                c = c.evidence(l.to_string());
            }
        }
    }
    c
}

/// Detection lines that saw something (not "X: absent", "Y: not set"…).
fn is_positive_evidence(line: &str) -> bool {
    let Some((_, what)) = line.split_once(": ") else {
        return true;
    };
    !(what == "absent"
        || what == "not set"
        || what.starts_with("no ")
        || what.starts_with("neither")
        || what.starts_with("unavailable")
        || what == "no")
}
