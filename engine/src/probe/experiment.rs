//! Live experiments: do what bwrap does first, in a forked child, and
//! report the step that failed and its errno. Namespaces, mounts and
//! processes made here belong to the child (and its own child, for the pid
//! namespace) and die with it; nothing is left behind.
//!
//! - `experiment.userns`: `unshare(CLONE_NEWUSER)`, then write the child's own
//!   uid map, "deny" to setgroups, and the gid map, in bwrap's order (so the
//!   step that fails first is the one bwrap reports). Always a user
//!   namespace, also for root (as `bwrap --unshare-user`).
//! - experiment.netns: a network namespace, then loopback set up with
//!   rtnetlink exactly as bwrap does (`RTM_NEWADDR` 127.0.0.1/8 on lo, then
//!   `RTM_NEWLINK` `IFF_UP`), reporting the true errno from the kernel's
//!   `NLMSG_ERROR` answer (bwrap prints a stale one).
//! - `experiment.proc_mount`: new mount and pid namespaces, a second fork so
//!   that a process is pid 1 there, the mount tree made private, then a
//!   procfs mounted over /proc (inside the private mount namespace only).
//!
//! With or without a user namespace: as bwrap decides. A non-root caller
//! always gets one (non-setuid bwrap forces --unshare-user); root only when
//! the call asks for it (--unshare-user, --unshare-user-try, --unshare-all,
//! --userns) — when the call is unknown, root gets none. This matters: root
//! without `CAP_NET_ADMIN` fails `RTM_NEWADDR` only without a user namespace,
//! and a locked overmount on /proc refuses the procfs mount only in one.

use super::Host;
use crate::facts::Obs;
use crate::probe::Facts;
use crate::sys::namespace::{self, Step};
use crate::sys::netlink;
use serde_json::json;

// Step numbers the child reports; `STEPS` names them.
const DONE: u8 = 0;
const UNSHARE_USER: u8 = 1;
const UNSHARE_USER_NET: u8 = 2;
const UNSHARE_NET: u8 = 3;
const UNSHARE_USER_NS_PID: u8 = 4;
const UNSHARE_NS_PID: u8 = 5;
const UID_MAP: u8 = 6;
const SETGROUPS: u8 = 7;
const GID_MAP: u8 = 8;
const NL_SOCKET: u8 = 9;
const NL_NEWADDR: u8 = 10;
const NL_NEWLINK: u8 = 11;
const PID1_FORK: u8 = 12;
const MAKE_PRIVATE: u8 = 13;
const MOUNT_PROC: u8 = 14;
const PID1_SILENT: u8 = 15;

/// The `step` strings of the facts (documented in docs/snapshot.md).
pub const STEPS: [&str; 16] = [
    "",
    "unshare(CLONE_NEWUSER)",
    "unshare(CLONE_NEWUSER|CLONE_NEWNET)",
    "unshare(CLONE_NEWNET)",
    "unshare(CLONE_NEWUSER|CLONE_NEWNS|CLONE_NEWPID)",
    "unshare(CLONE_NEWNS|CLONE_NEWPID)",
    "write /proc/self/uid_map",
    "write /proc/self/setgroups",
    "write /proc/self/gid_map",
    "loopback socket(AF_NETLINK)",
    "loopback RTM_NEWADDR",
    "loopback RTM_NEWLINK",
    "fork (pid 1 of the new pid namespace)",
    "mount --make-rprivate /",
    "mount proc",
    "pid 1 of the new pid namespace ended without answering",
];

/// What the child does, prepared before the fork (the child must not
/// allocate), and the step number an `unshare` failure reports.
struct Plan {
    plan: namespace::Plan,
    unshare_step: u8,
}

/// The child's answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Outcome {
    step: u8,
    errno: i32,
}

impl Outcome {
    const OK: Outcome = Outcome {
        step: DONE,
        errno: 0,
    };

    /// The child's answer, with the `unshare` step told apart by the
    /// namespaces it asked for.
    fn of(o: Result<(), namespace::Stopped>, unshare_step: u8) -> Outcome {
        let Err(stopped) = o else {
            return Outcome::OK;
        };
        let step = match stopped.step {
            Step::Unshare => unshare_step,
            Step::UidMap => UID_MAP,
            Step::Setgroups => SETGROUPS,
            Step::GidMap => GID_MAP,
            Step::NetlinkSocket => NL_SOCKET,
            Step::NetlinkNewaddr => NL_NEWADDR,
            Step::NetlinkNewlink => NL_NEWLINK,
            Step::Pid1Fork => PID1_FORK,
            Step::MakePrivate => MAKE_PRIVATE,
            Step::MountProc => MOUNT_PROC,
            Step::Pid1Silent => PID1_SILENT,
        };
        Outcome {
            step,
            errno: stopped.errno,
        }
    }
}

pub fn observe(host: &Host, facts: &Facts, key: &str) -> Obs {
    if !host.is_live() {
        return Obs::unavailable("experiments run only on the live host");
    }
    let userns = wants_userns(facts);
    let plan = |unshare: libc::c_int, unshare_step: u8| Plan {
        plan: namespace::Plan {
            unshare,
            maps: None,
            loopback: None,
            proc_mount: false,
        },
        unshare_step,
    };
    let plan = match key {
        "experiment.userns" => {
            let mut p = plan(libc::CLONE_NEWUSER, UNSHARE_USER);
            p.plan.maps = Some(own_maps());
            p
        }
        "experiment.netns" => {
            let mut p = if userns {
                plan(libc::CLONE_NEWNET | libc::CLONE_NEWUSER, UNSHARE_USER_NET)
            } else {
                plan(libc::CLONE_NEWNET, UNSHARE_NET)
            };
            p.plan.maps = userns.then(own_maps);
            p.plan.loopback = Some((
                netlink::newaddr_loopback(1, netlink::LOOPBACK_IFINDEX),
                netlink::newlink_up(2, netlink::LOOPBACK_IFINDEX),
            ));
            p
        }
        "experiment.proc_mount" => {
            let ns = libc::CLONE_NEWNS | libc::CLONE_NEWPID;
            let mut p = if userns {
                plan(ns | libc::CLONE_NEWUSER, UNSHARE_USER_NS_PID)
            } else {
                plan(ns, UNSHARE_NS_PID)
            };
            p.plan.maps = userns.then(own_maps);
            p.plan.proc_mount = true;
            p
        }
        _ => return Obs::unavailable(format!("no probe named {key}")),
    };
    let what = key.trim_start_matches("experiment.");
    let got = namespace::try_in_child(&plan.plan, host.limit);
    match got {
        Ok(o) => report(Outcome::of(o, plan.unshare_step)),
        Err(f) => Obs::unavailable(f.reason(&format!("experiment {what}"))),
    }
}

/// Whether bwrap would make a user namespace for this call (see the module
/// comment).
fn wants_userns(facts: &Facts) -> bool {
    if crate::privilege::euid() != 0 {
        return true;
    }
    facts
        .ctx
        .args
        .as_ref()
        .is_some_and(|a| a.namespaces().contains(&"user"))
}

/// bwrap's default mapping: the caller's own uid and gid, to themselves.
fn own_maps() -> (Vec<u8>, Vec<u8>) {
    let (uid, gid) = (nix::unistd::getuid(), nix::unistd::getgid());
    (
        format!("{uid} {uid} 1\n").into_bytes(),
        format!("{gid} {gid} 1\n").into_bytes(),
    )
}

fn report(o: Outcome) -> Obs {
    if o.step == DONE {
        return Obs::seen(json!({"ok": true, "step": "", "errno": "", "message": ""}));
    }
    let step = STEPS.get(o.step as usize).copied().unwrap_or("?");
    let (name, message) = if o.errno == 0 {
        (String::new(), String::new())
    } else {
        errno_words(o.errno)
    };
    Obs::seen(json!({"ok": false, "step": step, "errno": name, "message": message}))
}

/// ("EPERM", "Operation not permitted").
pub fn errno_words(e: i32) -> (String, String) {
    let errno = nix::errno::Errno::from_raw(e);
    let name = if errno == nix::errno::Errno::UnknownErrno {
        format!("E{e}")
    } else {
        format!("{errno:?}")
    };
    (name, errno.desc().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn experiment_outcome_names_the_step_and_errno() {
        let o = Outcome {
            step: MOUNT_PROC,
            errno: libc::EPERM,
        };
        let stopped = |step| {
            Err(namespace::Stopped {
                step,
                errno: libc::EPERM,
            })
        };
        assert_eq!(Outcome::of(stopped(Step::MountProc), UNSHARE_USER), o);
        assert_eq!(
            Outcome::of(stopped(Step::Unshare), UNSHARE_NS_PID).step,
            UNSHARE_NS_PID
        );
        assert_eq!(Outcome::of(Ok(()), UNSHARE_USER), Outcome::OK);
        assert_eq!(
            report(o),
            Obs::seen(json!({"ok": false, "step": "mount proc", "errno": "EPERM",
                             "message": "Operation not permitted"}))
        );
        assert_eq!(errno_words(libc::ENOSPC).0, "ENOSPC");
        assert_eq!(
            report(Outcome::OK),
            Obs::seen(json!({"ok": true, "step": "", "errno": "", "message": ""}))
        );
    }
}
