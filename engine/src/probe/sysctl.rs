//! Sysctls, by dotted name, from /proc/sys.

use super::{Facts, Host};
use crate::facts::Obs;

/// `sysctl.kernel.unprivileged_userns_clone` → /`proc/sys/kernel/unprivileged_userns_clone`.
/// An integer when the value is one, else the trimmed text; absent when
/// this kernel has no such sysctl.
pub fn read(host: &Host, name: &str) -> Obs {
    if name.is_empty() || name.contains("..") || name.contains('/') {
        return Obs::unavailable(format!("not a sysctl name: {name:?}"));
    }
    let path = format!("/proc/sys/{}", name.replace('.', "/"));
    match host.read_to_string(&path) {
        Ok(s) => {
            let t = s.trim();
            match t.parse::<i64>() {
                Ok(n) => Obs::seen(n),
                Err(_) => Obs::seen(t.to_string()),
            }
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Obs::Absent,
        Err(e) => Obs::unavailable(format!("cannot read {path}: {e}")),
    }
}

/// The sysctl `name` as a number, when the kernel has it (through the fact
/// `sysctl.NAME`).
pub fn number(facts: &Facts, name: &str) -> Option<i64> {
    match facts.get(&format!("sysctl.{name}")) {
        Obs::Seen(v) => v
            .as_i64()
            .or_else(|| v.as_str().and_then(|s| s.trim().parse().ok())),
        _ => None,
    }
}
