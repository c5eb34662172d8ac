//! The live experiments against this machine's real refusals (recipes from
//! ../shared/hostlab.md), as root and as the unprivileged user. Each runs
//! the `facts` helper inside the recipe: a seccomp filter, a child user
//! namespace with a zero limit, a mount namespace with a locked overmount
//! on /proc, root without CAP_NET_ADMIN.

use super::{helper_cmd, run_facts, wrapped};
use crate::support::seccomp::{ArgTest, Deny, apply};
use crate::support::{self, As};
use crate::{Body, Test};
use bwrap_doctor_engine::facts::Obs;
use serde_json::{Value, json};
use std::process::Command;

pub fn tests() -> Vec<Test> {
    tests![
        Each experiments_succeed_on_this_host,
        Each experiment_userns_seccomp_filter_eperm_at_unshare,
        Each experiment_userns_max_user_namespaces_zero_enospc,
        Each experiment_netns_max_net_namespaces_zero_enospc,
        Each experiment_netns_netlink_sendto_denied_eperm_at_newaddr,
        Once experiment_netns_root_without_net_admin_eperm_at_newaddr,
        Once experiment_proc_mount_locked_overmount_eperm,
        Each experiment_proc_mount_nested_bwrap_overmount_eperm,
        Once experiment_userns_read_only_proc_erofs_at_uid_map,
        Each experiments_leave_nothing_behind,
        Each experiments_that_fail_leave_nothing_behind,
    ]
}

const ALL: [&str; 3] = [
    "experiment.userns",
    "experiment.netns",
    "experiment.proc_mount",
];

fn ok() -> Obs {
    Obs::seen(json!({"ok": true, "step": "", "errno": "", "message": ""}))
}

fn failed(step: &str, errno: &str, message: &str) -> Obs {
    Obs::seen(json!({"ok": false, "step": step, "errno": errno, "message": message}))
}

fn root_only(what: &str) {
    if !support::is_root() {
        support::skip(format!("{what} needs root (hostlab recipe)"));
    }
}

/// `setpriv` to the test user, for recipes whose set-up needs root.
fn as_test_user() -> Vec<String> {
    let (uid, gid) = support::test_user();
    vec![
        "setpriv".into(),
        format!("--reuid={uid}"),
        format!("--regid={gid}"),
        "--clear-groups".into(),
    ]
}

fn experiments_succeed_on_this_host(who: &As) {
    let h = run_facts(helper_cmd(who), &ALL);
    for k in ALL {
        assert_eq!(h.obs(k), ok(), "{k}");
        let ms = h.took_ms[k].as_f64().unwrap();
        assert!(ms < 500.0, "{k} took {ms} ms");
    }
    // Root asking for a user namespace (as `bwrap --unshare-user`) too.
    let h = run_facts(
        helper_cmd(who),
        &["--args", "--unshare-user", "--", "experiment.netns"],
    );
    assert_eq!(h.obs("experiment.netns"), ok());
}

/// hostlab 2a/2c: a filter that refuses CLONE_NEWUSER (as Docker's default
/// profile and systemd's RestrictNamespaces= do).
fn experiment_userns_seccomp_filter_eperm_at_unshare(who: &As) {
    let mut cmd = helper_cmd(who);
    let newuser = ArgTest::AnyBits(libc::CLONE_NEWUSER as u32);
    apply(
        &mut cmd,
        &[
            Deny::syscall(libc::SYS_unshare, libc::EPERM).when(0, newuser),
            Deny::syscall(libc::SYS_clone, libc::EPERM).when(0, newuser),
        ],
    );
    let h = run_facts(
        cmd,
        &[
            "--args",
            "--unshare-all",
            "--",
            "experiment.userns",
            "experiment.netns",
        ],
    );
    assert_eq!(
        h.obs("experiment.userns"),
        failed("unshare(CLONE_NEWUSER)", "EPERM", "Operation not permitted")
    );
    assert_eq!(
        h.obs("experiment.netns"),
        failed(
            "unshare(CLONE_NEWUSER|CLONE_NEWNET)",
            "EPERM",
            "Operation not permitted"
        )
    );
}

/// hostlab 1a/1b: user.max_user_namespaces=0 inside a child user namespace.
fn experiment_userns_max_user_namespaces_zero_enospc(who: &As) {
    let h = run_facts(
        wrapped(
            who,
            "unshare",
            &["-Ur"],
            "echo 0 > /proc/sys/user/max_user_namespaces && exec \"$0\" \"$@\"",
        ),
        &["experiment.userns", "sysctl.user.max_user_namespaces"],
    );
    assert_eq!(h.obs("sysctl.user.max_user_namespaces"), Obs::seen(0));
    assert_eq!(
        h.obs("experiment.userns"),
        failed(
            "unshare(CLONE_NEWUSER)",
            "ENOSPC",
            "No space left on device"
        )
    );
}

/// hostlab 1c: user.max_net_namespaces=0. Inside `unshare -Ur` the caller
/// is uid 0 and asked for no user namespace, so only a netns is made.
fn experiment_netns_max_net_namespaces_zero_enospc(who: &As) {
    let h = run_facts(
        wrapped(
            who,
            "unshare",
            &["-Ur"],
            "echo 0 > /proc/sys/user/max_net_namespaces && exec \"$0\" \"$@\"",
        ),
        &["experiment.netns"],
    );
    assert_eq!(
        h.obs("experiment.netns"),
        failed("unshare(CLONE_NEWNET)", "ENOSPC", "No space left on device")
    );
}

/// hostlab 4a: a filter on bwrap's netlink `sendto` (addrlen 12).
fn experiment_netns_netlink_sendto_denied_eperm_at_newaddr(who: &As) {
    let mut cmd = helper_cmd(who);
    apply(&mut cmd, &[crate::support::seccomp::deny_loopback()]);
    let h = run_facts(cmd, &["experiment.netns"]);
    let step_before = h.obs("experiment.netns");
    assert_eq!(
        step_before,
        failed("loopback RTM_NEWADDR", "EPERM", "Operation not permitted")
    );
}

/// hostlab 4c: root without CAP_NET_ADMIN and without a user namespace: the
/// kernel's NLMSG_ERROR says EPERM (bwrap prints a stale errno here).
fn experiment_netns_root_without_net_admin_eperm_at_newaddr() {
    root_only("dropping CAP_NET_ADMIN from root");
    let mut cmd = Command::new("setpriv");
    cmd.args(["--bounding-set=-net_admin", "--inh-caps=-net_admin"])
        .arg(&support::install().helper)
        .args(["--helper", "facts"]);
    let h = run_facts(cmd, &["experiment.netns", "caller.caps_effective"]);
    let eff = h.facts["caller.caps_effective"].as_array().unwrap();
    assert!(!eff.contains(&json!("cap_net_admin")) && eff.contains(&json!("cap_sys_admin")));
    assert_eq!(
        h.obs("experiment.netns"),
        failed("loopback RTM_NEWADDR", "EPERM", "Operation not permitted")
    );
}

/// hostlab 5a/5e: a locked overmount on /proc (/dev/null over
/// /proc/version) in a private mount namespace. A new procfs is refused in
/// a user namespace (the test user; root with --unshare-user), not to root
/// without one.
fn experiment_proc_mount_locked_overmount_eperm() {
    root_only("making a private mount namespace with an overmount");
    let script = "mount --bind /dev/null /proc/version && exec \"$@\"";
    let run = |wrapper: Vec<String>, extra: &[&str]| {
        let mut cmd = Command::new("unshare");
        cmd.args(["-m", "--propagation", "private", "sh", "-c", script, "sh"])
            .args(wrapper)
            .arg(&support::install().helper)
            .args(["--helper", "facts"]);
        run_facts(cmd, &[extra, &["experiment.proc_mount"]].concat())
    };
    let refused = || failed("mount proc", "EPERM", "Operation not permitted");
    let user = run(as_test_user(), &["proc.masked", "proc.read_only"]);
    assert_eq!(user.obs("experiment.proc_mount"), refused(), "test user");
    // The overmount that causes it is seen, and nothing is read-only.
    assert_eq!(user.facts["proc.masked"], json!(["/proc/version"]));
    assert_eq!(user.facts["proc.read_only"], json!([]));
    let root_userns = run(vec![], &["--args", "--unshare-user", "--unshare-pid", "--"]);
    assert_eq!(
        root_userns.obs("experiment.proc_mount"),
        refused(),
        "root, userns"
    );
    let root_plain = run(vec![], &["--args", "--unshare-pid", "--"]);
    assert_eq!(
        root_plain.obs("experiment.proc_mount"),
        ok(),
        "root, no userns"
    );
}

/// hostlab 5c: inside a bwrap sandbox whose /proc has an overmount (as
/// Flatpak's), fully unprivileged.
fn experiment_proc_mount_nested_bwrap_overmount_eperm(who: &As) {
    let mut cmd = Command::new(support::real_bwrap());
    cmd.args([
        "--dev-bind",
        "/",
        "/",
        "--unshare-pid",
        "--proc",
        "/proc",
        "--ro-bind",
        "/dev/null",
        "/proc/version",
    ])
    .arg(&support::install().helper)
    .args([
        "--helper",
        "facts",
        "--args",
        "--unshare-user",
        "--unshare-pid",
        "--",
    ]);
    who.apply(&mut cmd);
    let h = run_facts(cmd, &["experiment.proc_mount", "sandbox.outer_bwrap"]);
    assert_eq!(h.obs("sandbox.outer_bwrap"), Obs::seen(true));
    assert_eq!(
        h.obs("experiment.proc_mount"),
        failed("mount proc", "EPERM", "Operation not permitted")
    );
}

/// hostlab 3d: /proc bind-remounted read-only in a private mount namespace
/// (never without `bind`: that would make the host's /proc read-only).
fn experiment_userns_read_only_proc_erofs_at_uid_map() {
    root_only("remounting /proc read-only in a private mount namespace");
    let script = "mount -o remount,bind,ro /proc && exec \"$@\"";
    for wrapper in [as_test_user(), vec![]] {
        let mut cmd = Command::new("unshare");
        cmd.args(["-m", "--propagation", "private", "sh", "-c", script, "sh"])
            .args(&wrapper)
            .arg(&support::install().helper)
            .args(["--helper", "facts"]);
        let h = run_facts(cmd, &["experiment.userns"]);
        assert_eq!(
            h.obs("experiment.userns"),
            failed("write /proc/self/uid_map", "EROFS", "Read-only file system"),
            "{wrapper:?}"
        );
    }
    // The host's /proc is still writable.
    assert!(
        !std::fs::read_to_string("/proc/self/mountinfo")
            .unwrap()
            .lines()
            .any(|l| l.split(' ').nth(4) == Some("/proc")
                && l.split(' ').nth(5).is_some_and(|o| o.starts_with("ro")))
    );
}

fn assert_nothing_left(left: &Value) {
    let (b, a) = (&left["before"], &left["after"]);
    assert!(a.is_object(), "no leftovers report: {left}");
    assert_eq!(a["children"], json!([]), "processes left behind");
    assert_eq!(b["children"], json!([]));
    assert_eq!(a["ns"], b["ns"], "namespaces changed");
    assert_eq!(a["mountinfo"], b["mountinfo"], "mounts changed");
}

fn experiments_leave_nothing_behind(who: &As) {
    let before = std::fs::read_to_string("/proc/self/mountinfo").unwrap();
    let h = run_facts(
        helper_cmd(who),
        &[
            "--leftovers",
            "--args",
            "--unshare-all",
            "--",
            "experiment.userns",
            "experiment.netns",
            "experiment.proc_mount",
            "path.fstype:/",
            "path.first_symlink:/var/run/x",
            "bwrap.version",
            "--bwrap",
            support::real_bwrap().to_str().unwrap(),
        ],
    );
    for k in ALL {
        assert_eq!(h.obs(k), ok(), "{k}");
    }
    assert_nothing_left(&h.leftovers);
    // Nor in this (the test's) mount namespace.
    assert_eq!(
        std::fs::read_to_string("/proc/self/mountinfo").unwrap(),
        before
    );
}

fn experiments_that_fail_leave_nothing_behind(who: &As) {
    let mut cmd = helper_cmd(who);
    apply(
        &mut cmd,
        &[
            Deny::syscall(libc::SYS_mount, libc::EPERM),
            crate::support::seccomp::deny_loopback(),
        ],
    );
    let h = run_facts(
        cmd,
        &[
            "--leftovers",
            "--args",
            "--unshare-all",
            "--",
            "experiment.netns",
            "experiment.proc_mount",
        ],
    );
    assert_eq!(
        h.obs("experiment.proc_mount"),
        failed(
            "mount --make-rprivate /",
            "EPERM",
            "Operation not permitted"
        )
    );
    assert_eq!(
        h.obs("experiment.netns"),
        failed("loopback RTM_NEWADDR", "EPERM", "Operation not permitted")
    );
    assert_nothing_left(&h.leftovers);
}
