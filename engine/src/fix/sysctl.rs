//! A sysctl drop-in file that re-opens the namespaces this host's sysctls
//! close to bwrap: `kernel.unprivileged_userns_clone = 0` (Debian before 11,
//! old Ubuntu kernels) and `user.max_*_namespaces = 0` (RHEL 7, hardened
//! hosts). `AppArmor`'s restriction is not lifted here: `fix apparmor` exempts
//! just bwrap instead.

use crate::probe::Facts;

/// Where the drop-in goes (the same file the rules' fixes name).
pub const DROP_IN: &str = "/etc/sysctl.d/60-bwrap-userns.conf";
pub use crate::written::WRITTEN_BY;

/// The kernel's default for `user.max_*_namespaces` on a small machine (the
/// default scales with memory); enough for any desktop or build host.
pub const LIMIT: &str = "28633";

/// One setting to change.
#[derive(Debug, Clone, PartialEq)]
pub struct Setting {
    pub name: &'static str,
    pub now: i64,
    pub value: &'static str,
    /// What the current value does to bwrap.
    pub why: &'static str,
}

impl Setting {
    /// `/proc/sys/...` for this setting.
    #[must_use]
    pub fn proc_path(&self) -> String {
        format!("/proc/sys/{}", self.name.replace('.', "/"))
    }
}

/// The settings that close namespaces to bwrap here.
pub fn needed(facts: &Facts) -> Vec<Setting> {
    let table: [(&'static str, i64, &'static str, &'static str); 8] = [
        (
            "kernel.unprivileged_userns_clone",
            0,
            "1",
            "unprivileged user namespaces are switched off",
        ),
        (
            "user.max_user_namespaces",
            0,
            LIMIT,
            "no user namespace may be created (every bwrap sandbox of an unprivileged user)",
        ),
        (
            "user.max_mnt_namespaces",
            0,
            LIMIT,
            "no mount namespace may be created (every bwrap sandbox)",
        ),
        (
            "user.max_net_namespaces",
            0,
            LIMIT,
            "no network namespace may be created (--unshare-net, --unshare-all)",
        ),
        (
            "user.max_pid_namespaces",
            0,
            LIMIT,
            "no pid namespace may be created (--unshare-pid, --unshare-all)",
        ),
        (
            "user.max_ipc_namespaces",
            0,
            LIMIT,
            "no IPC namespace may be created (--unshare-ipc, --unshare-all)",
        ),
        (
            "user.max_uts_namespaces",
            0,
            LIMIT,
            "no UTS namespace may be created (--unshare-uts, --unshare-all)",
        ),
        (
            "user.max_cgroup_namespaces",
            0,
            LIMIT,
            "no cgroup namespace may be created (--unshare-cgroup, --unshare-all)",
        ),
    ];
    table
        .into_iter()
        .filter_map(|(name, bad, value, why)| {
            (crate::probe::sysctl_number(facts, name) == Some(bad)).then_some(Setting {
                name,
                now: bad,
                value,
                why,
            })
        })
        .collect()
}

/// The drop-in file's text.
#[must_use]
pub fn drop_in(settings: &[Setting]) -> String {
    let mut s = format!("{WRITTEN_BY}: lets bwrap create the namespaces it needs.\n");
    for set in settings {
        s.push_str(&format!(
            "# was {} = {}: {}\n{} = {}\n",
            set.name, set.now, set.why, set.name, set.value
        ));
    }
    s
}
