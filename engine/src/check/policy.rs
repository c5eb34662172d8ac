//! Security policy around bwrap: `AppArmor` (the user-namespace restriction,
//! the exception profiles and the paths they attach to), `SELinux`, seccomp,
//! and the container or outer sandbox this runs in.

use super::kernel::seccomp_line;
use super::model::{Check, Status};
use super::{Experiment, POLICY, apparmor_restricts, shown, sysctl, timed};
use crate::diagnose::template::value_text;
use crate::facts::Obs;
use crate::probe::Facts;
use serde_json::Value;
use std::path::Path;

pub fn checks(facts: &Facts) -> Vec<Check> {
    vec![
        timed(|| apparmor(facts)),
        timed(|| apparmor_conflicts(facts)),
        timed(|| own_profiles(facts)),
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
    let mut c = if apparmor_restricts(facts) {
        let covered = matches!(facts.get("apparmor.covering_profile"), Obs::Seen(_));
        Check::new(
            id,
            POLICY,
            if covered { Status::Ok } else { Status::Warning },
            "AppArmor restricts unprivileged user namespaces to programs whose profile allows them",
        )
    } else {
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

/// The command that takes a profile away: bwrap-doctor's own files are
/// removed; another package's are disabled the documented way (so an
/// upgrade does not bring them back); a profile only the kernel has is
/// unloaded by name.
fn removal(name: &str, file: Option<&str>) -> String {
    match file {
        Some(f) if name.starts_with("bwrap-doctor.") => {
            format!("sudo apparmor_parser -R {f} && sudo rm {f}")
        }
        Some(f) => {
            format!("sudo ln -s {f} /etc/apparmor.d/disable/ && sudo apparmor_parser -R {f}")
        }
        None => format!("echo -n '{name}' | sudo tee /sys/kernel/security/apparmor/.remove"),
    }
}

/// Two profiles attached to one bwrap path as specifically as each other:
/// `AppArmor` attaches neither ("conflicting profile attachments"), so that
/// bwrap runs unconfined, without the exception either was written for.
fn apparmor_conflicts(facts: &Facts) -> Check {
    let id = "policy.apparmor-conflicts";
    if !matches!(facts.get("apparmor.enabled"), Obs::Seen(Value::Bool(true))) {
        return Check::new(id, POLICY, Status::Ok, "AppArmor is not active");
    }
    let list = match facts.get("apparmor.attachment_conflicts") {
        Obs::Seen(Value::Array(l)) => l,
        other => {
            return Check::new(
                id,
                POLICY,
                Status::Skip,
                "could not tell whether AppArmor profiles conflict over a bwrap path",
            )
            .evidence(other.describe());
        }
    };
    let mut c = Check::new(
        id,
        POLICY,
        Status::Ok,
        "no two AppArmor profiles attach to the same bwrap path",
    );
    if !matches!(facts.get("apparmor.loaded_attachments"), Obs::Seen(_)) {
        c = c.evidence(
            "the loaded profiles' attachments could not be read (root can): only the files in /etc/apparmor.d were compared",
        );
    }
    if list.is_empty() {
        return c;
    }
    let ran: Vec<String> = ["bwrap.path", "bwrap.realpath"]
        .iter()
        .filter_map(|k| match facts.get(k) {
            Obs::Seen(Value::String(s)) => Some(s),
            _ => None,
        })
        .collect();
    let mut hits_ran = false;
    let mut summaries = Vec::new();
    for conflict in &list {
        let path = field(conflict, "path");
        hits_ran |= ran.iter().any(|r| r == path);
        let profiles = conflict["profiles"].as_array().cloned().unwrap_or_default();
        let names: Vec<String> = profiles
            .iter()
            .map(|p| match p["file"].as_str() {
                Some(f) => format!("\"{}\" ({f})", field(p, "name")),
                None => format!("\"{}\" (loaded only)", field(p, "name")),
            })
            .collect();
        summaries.push(format!("{} for {path}", names.join(" and ")));
        for p in &profiles {
            let state = match p["loaded"].as_bool() {
                Some(true) => "loaded",
                Some(false) => "not loaded now, but loaded at the next boot",
                None => "loaded: unknown",
            };
            c = c.evidence(format!(
                "{path}: profile \"{}\" ({}) attaches to {}; {state}",
                field(p, "name"),
                p["file"]
                    .as_str()
                    .unwrap_or("no file: loaded in the kernel only"),
                field(p, "attach")
            ));
        }
        // Keep one: bwrap-doctor's own profile is the one to drop when
        // another is there.
        let (ours, theirs): (Vec<&Value>, Vec<&Value>) = profiles
            .iter()
            .partition(|p| field(p, "name").starts_with("bwrap-doctor."));
        let drop: Vec<&Value> = if !ours.is_empty() && !theirs.is_empty() {
            ours
        } else {
            profiles.iter().skip(1).collect()
        };
        let keep: Vec<String> = profiles
            .iter()
            .filter(|p| !drop.iter().any(|d| d["name"] == p["name"]))
            .map(|p| format!("\"{}\"", field(p, "name")))
            .collect();
        let cmds: Vec<String> = drop
            .iter()
            .map(|p| removal(field(p, "name"), p["file"].as_str()))
            .collect();
        c = c.fix(format!(
            "keep one profile for {path} ({}) and take the other away{}, then check again:\n{}\nbwrap-doctor check",
            keep.join(", "),
            if drop.len() > 1 { "s" } else { "" },
            cmds.join("\n")
        ));
    }
    c.status = if hits_ran && apparmor_restricts(facts) {
        Status::Fail
    } else {
        Status::Warning
    };
    c.summary = format!(
        "AppArmor profiles conflict: {}; AppArmor attaches neither (\"conflicting profile attachments\"), so that bwrap runs unconfined and gets no exception",
        summaries.join("; ")
    );
    c
}

/// bwrap-doctor's own profiles whose path is gone: the vendored bwrap was
/// upgraded to a new path or removed, and the profile now covers nothing.
fn own_profiles(facts: &Facts) -> Check {
    let id = "policy.apparmor-own-profiles";
    let list = match facts.get("apparmor.own_profiles") {
        Obs::Seen(Value::Array(l)) => l,
        Obs::Absent => {
            return Check::new(id, POLICY, Status::Ok, "no /etc/apparmor.d here");
        }
        other => {
            return Check::new(
                id,
                POLICY,
                Status::Skip,
                "bwrap-doctor's own AppArmor profiles could not be listed",
            )
            .evidence(other.describe());
        }
    };
    if list.is_empty() {
        return Check::new(
            id,
            POLICY,
            Status::Ok,
            "bwrap-doctor has written no AppArmor profile here",
        );
    }
    let mut c = Check::new(
        id,
        POLICY,
        Status::Ok,
        format!(
            "bwrap-doctor's AppArmor profiles ({}) attach to paths that exist",
            list.len()
        ),
    );
    let mut gone = 0;
    for p in &list {
        let (file, attach) = (field(p, "file"), field(p, "attach"));
        match p["exists"].as_bool() {
            Some(true) => c = c.evidence(format!("{file}: attaches to {attach}, which exists")),
            None => {
                c = c.evidence(format!(
                    "{file}: attaches to the pattern {attach} (kept across upgrades)"
                ));
            }
            Some(false) => {
                gone += 1;
                c = c.evidence(format!(
                    "{file}: attaches to {attach}, which no longer exists"
                ));
                let again = if crate::written::apparmor::classify(Path::new(attach)).is_some() {
                    "; for the bwrap that replaced it, `bwrap-doctor fix apparmor --bwrap NEW-PATH` writes a profile whose pattern survives upgrades"
                } else {
                    ""
                };
                c = c.fix(format!(
                    "remove bwrap-doctor's profile for the missing {attach}{again}:\nsudo apparmor_parser -R {file} && sudo rm {file}"
                ));
            }
        }
    }
    if gone > 0 {
        c.status = Status::Warning;
        c.summary = format!(
            "{gone} of bwrap-doctor's AppArmor profiles attach to a path that no longer exists (the vendored bwrap was upgraded or removed)"
        );
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

#[cfg(test)]
mod tests {
    //! The AppArmor checks on fixture hosts read through `Host::fixture`
    //! (tests/fixtures/hosts): profiles that fight over a bwrap path, and
    //! bwrap-doctor's own profiles whose path is gone.
    use super::*;
    use crate::probe::{Context, Host};

    fn facts(name: &str, bwrap: &str) -> Facts<'static> {
        let host: &'static Host = Box::leak(Box::new(Host::fixture(format!(
            "{}/../tests/fixtures/hosts/{name}",
            env!("CARGO_MANIFEST_DIR")
        ))));
        Facts::live(
            host,
            Context {
                bwrap: Some(bwrap.into()),
                args: None,
            },
        )
    }

    #[test]
    fn two_profiles_for_the_bwrap_that_ran_fail_naming_both_files_and_the_fix() {
        let c = apparmor_conflicts(&facts("ubuntu-24.04-conflict", "/usr/bin/bwrap"));
        assert_eq!(c.status, Status::Fail, "{c:?}");
        assert!(
            c.summary.contains("\"bwrap-doctor.usr.bin.bwrap\" (/etc/apparmor.d/bwrap-doctor.usr.bin.bwrap) and \"bwrap\" (/etc/apparmor.d/bwrap-userns-restrict) for /usr/bin/bwrap"),
            "{}",
            c.summary
        );
        assert!(c.summary.contains("conflicting profile attachments"));
        // The vendor's pair is found too: a file and a kernel-only profile.
        assert!(
            c.summary.contains("\"vendor\" (/etc/apparmor.d/opt.vendor.bwrap) and \"vendor-bwrap\" (loaded only) for /opt/vendor/bwrap"),
            "{}",
            c.summary
        );
        assert!(c.evidence.contains(&"/opt/vendor/bwrap: profile \"vendor\" (/etc/apparmor.d/opt.vendor.bwrap) attaches to /opt/vendor/bwrap; not loaded now, but loaded at the next boot".to_string()), "{:?}", c.evidence);
        // bwrap-doctor's own profile is the one to drop next to Ubuntu's.
        assert_eq!(
            c.fix[0],
            "keep one profile for /usr/bin/bwrap (\"bwrap\") and take the other away, then check again:\nsudo apparmor_parser -R /etc/apparmor.d/bwrap-doctor.usr.bin.bwrap && sudo rm /etc/apparmor.d/bwrap-doctor.usr.bin.bwrap\nbwrap-doctor check"
        );
        assert!(
            c.fix[1].contains("sudo tee /sys/kernel/security/apparmor/.remove"),
            "{}",
            c.fix[1]
        );
        // Another bwrap ran: the conflicts still warn.
        let c = apparmor_conflicts(&facts(
            "ubuntu-24.04-conflict",
            "/home/u/.local/share/tool/bwrap",
        ));
        assert_eq!(c.status, Status::Warning, "{c:?}");
    }

    #[test]
    fn the_binary_and_kernel_checks_send_a_conflict_to_keeping_one_not_adding_a_third() {
        let f = facts("ubuntu-24.04-conflict", "/usr/bin/bwrap");
        let all: Vec<Check> = super::super::binary::checks(&f)
            .into_iter()
            .chain(super::super::kernel::checks(&f))
            .collect();
        let b = all
            .iter()
            .find(|c| c.id == "bwrap.apparmor-profile")
            .unwrap();
        assert_eq!(b.status, Status::Fail, "{b:?}");
        assert_eq!(
            b.summary,
            "AppArmor restricts user namespaces and the profiles \"bwrap-doctor.usr.bin.bwrap\" and \"bwrap\" are tied for /usr/bin/bwrap: AppArmor attaches neither, so nothing exempts /usr/bin/bwrap"
        );
        assert!(
            b.fix[0].contains("policy.apparmor-conflicts"),
            "{:?}",
            b.fix
        );
        // kernel.userns needs its experiment: recorded, as a snapshot would.
        let recorded = |files: serde_json::Value| {
            let mut m = std::collections::BTreeMap::new();
            let mut put = |k: &str, v: serde_json::Value| {
                m.insert(k.to_string(), Obs::Seen(v));
            };
            put(
                "experiment.userns",
                serde_json::json!({"ok": false, "step": "uid map", "errno": "EACCES", "message": "Permission denied"}),
            );
            put(
                "sysctl.kernel.apparmor_restrict_unprivileged_userns",
                1.into(),
            );
            put("bwrap.path", "/usr/bin/bwrap".into());
            put("bwrap.setuid", false.into());
            put("apparmor.profile_files", files);
            let k = super::super::kernel::checks(&Facts::recorded(
                m,
                Context {
                    bwrap: Some("/usr/bin/bwrap".into()),
                    args: None,
                },
            ));
            k.into_iter().find(|c| c.id == "kernel.userns").unwrap()
        };
        let p = |file: &str, name: &str| serde_json::json!({"file": file, "name": name, "attach": "/usr/bin/bwrap", "userns": true, "unconfined": true, "disabled": false});
        let k = recorded(serde_json::json!([
            p("/etc/apparmor.d/a", "a"),
            p("/etc/apparmor.d/b", "b")
        ]));
        assert_eq!(k.status, Status::Fail, "{k:?}");
        assert!(
            k.fix
                .iter()
                .any(|x| x.contains("policy.apparmor-conflicts")),
            "{k:?}"
        );
        assert!(!k.fix.iter().any(|x| x.contains("fix apparmor")), "{k:?}");
        let k = recorded(serde_json::json!([]));
        assert_eq!(
            k.fix,
            ["bwrap-doctor fix apparmor --bwrap /usr/bin/bwrap"],
            "{k:?}"
        );
        // A bwrap with one profile of its own is covered there.
        let f = facts("ubuntu-24.04-conflict", "/home/u/.local/share/tool/bwrap");
        let b = super::super::binary::checks(&f)
            .into_iter()
            .find(|c| c.id == "bwrap.apparmor-profile")
            .unwrap();
        assert_eq!(b.status, Status::Ok, "{b:?}");
    }

    #[test]
    fn one_profile_per_path_is_no_conflict() {
        // Two files define the same profile name (one disabled): one kernel
        // profile, no rival.
        let c = apparmor_conflicts(&facts("ubuntu-24.04", "/usr/bin/bwrap"));
        assert_eq!(c.status, Status::Ok, "{c:?}");
        assert_eq!(
            c.summary,
            "no two AppArmor profiles attach to the same bwrap path"
        );
        assert!(c.evidence[0].contains("only the files in /etc/apparmor.d were compared"));
        let c = apparmor_conflicts(&facts("debian-12", "/usr/bin/bwrap"));
        assert_eq!(c.status, Status::Ok, "{c:?}");
    }

    #[test]
    fn own_profiles_whose_path_is_gone_warn_with_the_removal_command() {
        let c = own_profiles(&facts("ubuntu-24.04-conflict", "/usr/bin/bwrap"));
        assert_eq!(c.status, Status::Warning, "{c:?}");
        let gone = "/home/u/.npm/_npx/0a1b2c3d4e5f6071/node_modules/@anthropic-ai/sandbox-runtime/vendor/bwrap";
        let file = "/etc/apparmor.d/bwrap-doctor.home.u..npm._npx.0a1b2c3d4e5f6071.node_modules._anthropic-ai.sandbox-runtime.vendor.bwrap";
        assert!(
            c.summary.starts_with(
                "1 of bwrap-doctor's AppArmor profiles attach to a path that no longer exists"
            ),
            "{}",
            c.summary
        );
        assert!(
            c.evidence.contains(&format!(
                "{file}: attaches to {gone}, which no longer exists"
            )),
            "{:?}",
            c.evidence
        );
        assert!(c.evidence.contains(&"/etc/apparmor.d/bwrap-doctor.usr.bin.bwrap: attaches to /usr/bin/bwrap, which exists".to_string()));
        assert_eq!(c.fix.len(), 1, "{:?}", c.fix);
        assert!(
            c.fix[0].ends_with(&format!(
                "\nsudo apparmor_parser -R {file} && sudo rm {file}"
            )),
            "{}",
            c.fix[0]
        );
        assert!(
            c.fix[0].contains("whose pattern survives upgrades"),
            "{}",
            c.fix[0]
        );
        // Ubuntu's own host: bwrap-doctor wrote nothing there.
        let c = own_profiles(&facts("ubuntu-24.04", "/usr/bin/bwrap"));
        assert_eq!(
            (c.status, c.summary.as_str()),
            (
                Status::Ok,
                "bwrap-doctor has written no AppArmor profile here"
            )
        );
    }
}
