//! `bwrap-doctor snapshot`: this host's facts recorded for replay
//! elsewhere. Schema: docs/snapshot.md.

use super::catalogue::CATALOGUE;
use super::{Context, Facts, Host};

/// The keys `bwrap-doctor snapshot` records.
pub fn snapshot_keys() -> impl Iterator<Item = &'static str> {
    CATALOGUE.iter().filter(|p| p.in_snapshot).map(|p| p.key)
}

/// Record this host: every catalogue key marked for snapshots, and the
/// sysctls of [`SNAPSHOT_SYSCTLS`]. Schema: docs/snapshot.md.
#[must_use]
pub fn collect_snapshot(host: &Host, ctx: Context) -> crate::facts::Snapshot {
    let facts = Facts::live(host, ctx);
    let mut out = std::collections::BTreeMap::new();
    for key in snapshot_keys() {
        out.insert(key.to_string(), facts.get(key));
    }
    for name in SNAPSHOT_SYSCTLS {
        let key = format!("sysctl.{name}");
        let obs = facts.get(&key);
        out.insert(key, obs);
    }
    crate::facts::Snapshot {
        schema: crate::facts::SNAPSHOT_SCHEMA.to_string(),
        schema_version: crate::facts::SNAPSHOT_VERSION,
        tool_version: env!("CARGO_PKG_VERSION").to_string(),
        taken_at: rfc3339_utc(std::time::SystemTime::now()),
        note: String::new(),
        facts: out,
    }
}

/// "2026-11-22T10:04:05Z" (whole seconds, UTC).
#[must_use]
pub fn rfc3339_utc(t: std::time::SystemTime) -> String {
    let secs = t
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// The sysctls a snapshot records (a family needs its names spelled out).
pub const SNAPSHOT_SYSCTLS: &[&str] = &[
    "kernel.unprivileged_userns_clone",
    "user.max_user_namespaces",
    "user.max_net_namespaces",
    "user.max_mnt_namespaces",
    "user.max_pid_namespaces",
    "user.max_ipc_namespaces",
    "user.max_uts_namespaces",
    "user.max_cgroup_namespaces",
    "kernel.apparmor_restrict_unprivileged_userns",
    "kernel.apparmor_restrict_unprivileged_userns_complain",
    "kernel.apparmor_restrict_unprivileged_userns_force",
    "kernel.apparmor_restrict_unprivileged_unconfined",
    "kernel.unprivileged_userns_apparmor_policy",
    "kernel.overflowuid",
    "kernel.yama.ptrace_scope",
    "fs.mount-max",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snapshot_time_is_rfc3339_utc() {
        use std::time::{Duration, UNIX_EPOCH};
        assert_eq!(rfc3339_utc(UNIX_EPOCH), "1970-01-01T00:00:00Z");
        assert_eq!(
            rfc3339_utc(UNIX_EPOCH + Duration::from_secs(951_782_400)),
            "2000-02-29T00:00:00Z"
        );
        assert_eq!(
            rfc3339_utc(UNIX_EPOCH + Duration::from_secs(1_798_761_599)),
            "2026-12-31T23:59:59Z"
        );
    }
}
