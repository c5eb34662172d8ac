//! The kernel's namespaces, tried for real: the live experiments create a
//! user namespace, a network namespace with loopback, and a fresh /proc, as
//! bwrap does first, and the sysctls that limit them are shown as evidence.

use super::model::{Check, Status};
use super::{Experiment, KERNEL, apparmor_restricts, sysctl, timed};
use crate::facts::Obs;
use crate::probe::Facts;

pub fn checks(facts: &Facts) -> Vec<Check> {
    vec![
        timed(|| userns(facts)),
        timed(|| netns(facts)),
        timed(|| proc_mount(facts)),
    ]
}

/// The sysctls that limit user namespaces, as evidence lines.
fn limits(facts: &Facts) -> Vec<String> {
    let mut out = Vec::new();
    for name in [
        "kernel.unprivileged_userns_clone",
        "user.max_user_namespaces",
        "kernel.apparmor_restrict_unprivileged_userns",
    ] {
        if let Some(v) = sysctl(facts, name) {
            out.push(format!("{name} = {v}"));
        }
    }
    out
}

/// Set a sysctl now and at every boot (the same words as the rules' fixes).
fn sysctl_fix(name: &str, value: &str) -> String {
    format!(
        "set it now and at every boot:\nsudo sysctl -w {name}={value}\necho '{name} = {value}' | sudo tee {}",
        crate::fix::sysctl::DROP_IN
    )
}

fn userns(facts: &Facts) -> Check {
    let id = "kernel.userns";
    let setuid = matches!(
        facts.get("bwrap.setuid"),
        Obs::Seen(serde_json::Value::Bool(true))
    );
    let e = match Experiment::of(facts, "experiment.userns") {
        Ok(e) => e,
        Err(c) => return c.into_check(id, KERNEL, "user namespaces"),
    };
    let mut c = if e.ok {
        Check::new(id, KERNEL, Status::Ok, "unprivileged user namespaces work")
    } else if setuid {
        // A setuid bwrap makes its namespaces as root and needs none.
        Check::new(
            id,
            KERNEL,
            Status::Warning,
            "this user cannot create user namespaces; the setuid bwrap works without them, but callers that refuse a setuid bwrap will fail",
        )
    } else if apparmor_restricts(facts) {
        let covered = matches!(facts.get("apparmor.covering_profile"), Obs::Seen(_));
        let mut c = Check::new(
            id,
            KERNEL,
            if covered { Status::Ok } else { Status::Fail },
            if covered {
                "AppArmor lets only programs with a profile create user namespaces; this bwrap has one"
            } else {
                "AppArmor lets only programs with a profile create user namespaces, and this bwrap has none"
            },
        );
        if !covered && matches!(facts.get("apparmor.conflict_for_bwrap"), Obs::Seen(_)) {
            c = c.fix(
                "keep one of the profiles tied for this bwrap's path: the policy.apparmor-conflicts check names their files and the command",
            );
        } else if !covered {
            c = c.fix(format!(
                "bwrap-doctor fix apparmor --bwrap {}",
                super::shown(&facts.get("bwrap.path"))
            ));
        }
        c
    } else if sysctl(facts, "kernel.unprivileged_userns_clone") == Some(0) {
        Check::new(
            id,
            KERNEL,
            Status::Fail,
            "unprivileged user namespaces are switched off (kernel.unprivileged_userns_clone = 0)",
        )
        .fix(sysctl_fix("kernel.unprivileged_userns_clone", "1"))
        .fix("let bwrap-doctor write and load the drop-in: sudo bwrap-doctor fix sysctl --apply")
    } else if sysctl(facts, "user.max_user_namespaces") == Some(0) {
        Check::new(
            id,
            KERNEL,
            Status::Fail,
            "user namespaces are switched off (user.max_user_namespaces = 0)",
        )
        .fix(sysctl_fix(
            "user.max_user_namespaces",
            crate::fix::sysctl::LIMIT,
        ))
        .fix("let bwrap-doctor write and load the drop-in: sudo bwrap-doctor fix sysctl --apply")
    } else {
        Check::new(
            id,
            KERNEL,
            Status::Fail,
            format!("cannot create a user namespace: {}", e.failure()),
        )
        .fix("the sandboxes below run bwrap itself; their diagnosis names the cause")
    };
    if !e.ok {
        c = c.evidence(format!("tried: {}", e.failure()));
    }
    for l in limits(facts) {
        c = c.evidence(l);
    }
    c
}

/// An experiment built on a user namespace: its check when it worked, could
/// not run, or failed before its own step (then it was not really tried);
/// the experiment itself when its own step failed.
fn own_step(
    facts: &Facts,
    (id, key, what): (&str, &str, &str),
    ok: &str,
    not_tried: &str,
    is_own_step: impl Fn(&str) -> bool,
    failed: impl FnOnce(Experiment) -> Check,
) -> Check {
    let e = match Experiment::of(facts, key) {
        Ok(e) => e,
        Err(c) => return c.into_check(id, KERNEL, what),
    };
    if e.ok {
        return Check::new(id, KERNEL, Status::Ok, ok);
    }
    if !is_own_step(&e.step) {
        return Check::new(id, KERNEL, Status::Skip, not_tried)
            .evidence(format!("tried: {}", e.failure()));
    }
    failed(e)
}

fn netns(facts: &Facts) -> Check {
    let id = "kernel.netns";
    own_step(
        facts,
        (id, "experiment.netns", "network namespaces"),
        "network namespaces work, and loopback comes up in them",
        "network namespaces not tried: the user namespace under them fails (above)",
        |step| step.starts_with("loopback"),
        |e| netns_failed(facts, id, e),
    )
}

fn netns_failed(facts: &Facts, id: &str, e: Experiment) -> Check {
    let mut c = Check::new(
        id,
        KERNEL,
        Status::Fail,
        format!(
            "a network namespace is made, but its loopback cannot be set up ({}): `--unshare-net` fails",
            e.errno
        ),
    )
    .evidence(format!("tried: {}", e.failure()));
    if let Some(s) = seccomp_line(facts) {
        c = c.evidence(s);
    }
    c.fix("the sandboxes below run bwrap itself; their diagnosis names the cause (a seccomp filter that refuses netlink, or a container without NET_ADMIN)")
        .fix("a caller that needs no network isolation can run without --unshare-net")
}

fn proc_mount(facts: &Facts) -> Check {
    let id = "kernel.proc";
    own_step(
        facts,
        (id, "experiment.proc_mount", "mounting /proc"),
        "a fresh /proc can be mounted in new pid and mount namespaces",
        "mounting /proc not tried: the namespaces under it fail (above)",
        |step| !(step.starts_with("unshare") || step.starts_with("write")),
        |e| proc_failed(facts, id, e),
    )
}

fn proc_failed(facts: &Facts, id: &str, e: Experiment) -> Check {
    let mut c = Check::new(
        id,
        KERNEL,
        Status::Fail,
        format!(
            "a fresh /proc cannot be mounted: `--proc /proc` fails ({})",
            e.failure()
        ),
    );
    for key in ["proc.masked", "proc.read_only"] {
        if let Obs::Seen(serde_json::Value::Array(v)) = facts.get(key)
            && !v.is_empty()
        {
            let list: Vec<String> = v
                .iter()
                .map(crate::diagnose::template::value_text)
                .collect();
            let what = if key == "proc.masked" {
                "parts of /proc are covered by other mounts (a container's masking)"
            } else {
                "read-only under /proc"
            };
            c = c.evidence(format!("{what}: {}", list.join(", ")));
        }
    }
    c.fix("in Docker: docker run --security-opt systempaths=unconfined …; in Podman: podman run --security-opt unmask=ALL …")
        .fix("a caller that can go without a fresh /proc can bind the host's: --bind /proc /proc instead of --proc /proc (tools such as Codex retry without --proc)")
}

/// The caller's seccomp state, when it has filters.
pub fn seccomp_line(facts: &Facts) -> Option<String> {
    match (
        facts.get("caller.seccomp"),
        facts.get("caller.seccomp_filters"),
    ) {
        (Obs::Seen(m), Obs::Seen(n)) if m.as_i64() == Some(2) => Some(format!(
            "this process runs under {} seccomp filter(s), which bwrap inherits",
            crate::diagnose::template::value_text(&n)
        )),
        _ => None,
    }
}
