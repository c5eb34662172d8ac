//! The kernel, the distribution and the active LSMs: kernel.release,
//! kernel.version, kernel.machine, os.*, lsm.list, selinux.mode, selinux.context.

use super::{Host, flat};
use crate::facts::Obs;
use crate::probe::Facts;
use serde_json::Value;

pub fn observe(host: &Host, facts: &Facts, key: &str) -> Obs {
    match key {
        "kernel.release" => one_line(host, "/proc/sys/kernel/osrelease"),
        "kernel.version" => one_line(host, "/proc/version"),
        "kernel.machine" => machine(host),
        "kernel.namespaces" => namespaces(host),
        "os.id" => os_field(host, "ID"),
        "os.id_like" => os_field(host, "ID_LIKE"),
        "os.version_id" => os_field(host, "VERSION_ID"),
        "os.pretty_name" => os_field(host, "PRETTY_NAME"),
        "lsm.list" => lsm_list(host),
        "selinux.mode" => selinux_mode(host, facts),
        "selinux.context" => selinux_context(host, facts),
        _ => Obs::unavailable(format!("no probe named {key}")),
    }
}

fn one_line(host: &Host, abs: &str) -> Obs {
    match host.read_fact(abs) {
        Ok(s) => Obs::seen(s.trim_end_matches(['\n', '\0']).trim().to_string()),
        Err(o) => o,
    }
}

/// `uname -m`: /proc/sys/kernel/arch (Linux 6.1 and later); on the live
/// host without that file, uname(2).
fn machine(host: &Host) -> Obs {
    match one_line(host, "/proc/sys/kernel/arch") {
        Obs::Absent if host.is_live() => match crate::sys::fs::machine() {
            Some(m) => Obs::seen(m),
            None => Obs::unavailable("uname(2) failed"),
        },
        o => o,
    }
}

/// The entries of /proc/self/ns: one per namespace kind the kernel was
/// built with (`pid_for_children` and `time_for_children` are left out).
fn namespaces(host: &Host) -> Obs {
    let dir = match std::fs::read_dir(host.path("/proc/self/ns")) {
        Ok(d) => d,
        Err(e) => return super::io_obs("/proc/self/ns", &e),
    };
    let mut kinds: Vec<String> = dir
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| !n.ends_with("_for_children"))
        .collect();
    kinds.sort();
    Obs::seen(kinds)
}

/// A field of os-release(5): /etc/os-release, else /usr/lib/os-release.
/// Absent when neither file exists or the field is not set.
fn os_field(host: &Host, field: &str) -> Obs {
    let text = match host.read_fact("/etc/os-release") {
        Ok(t) => t,
        Err(Obs::Absent) => match host.read_fact("/usr/lib/os-release") {
            Ok(t) => t,
            Err(o) => return o,
        },
        Err(o) => return o,
    };
    match parse_os_release(&text)
        .into_iter()
        .find(|(k, _)| k == field)
    {
        Some((_, v)) => Obs::seen(v),
        None => Obs::Absent,
    }
}

/// `KEY=value` lines; values may be quoted ("…" with \-escapes, or '…').
#[must_use]
pub fn parse_os_release(text: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let Some((k, v)) = line.split_once('=') else {
            continue;
        };
        let k = k.trim();
        if k.is_empty() || !k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            continue;
        }
        out.push((k.to_string(), unquote_shell(v.trim())));
    }
    out
}

/// The shell-like quoting os-release allows: "…" (with \" \\ \$ \` escapes),
/// '…', or a bare word.
fn unquote_shell(v: &str) -> String {
    let mut out = String::new();
    let mut chars = v.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' => {
                while let Some(c) = chars.next() {
                    match c {
                        '"' => break,
                        '\\' => match chars.peek() {
                            Some(&n @ ('"' | '\\' | '$' | '`')) => {
                                out.push(n);
                                chars.next();
                            }
                            _ => out.push('\\'),
                        },
                        c => out.push(c),
                    }
                }
            }
            '\'' => {
                for c in chars.by_ref() {
                    if c == '\'' {
                        break;
                    }
                    out.push(c);
                }
            }
            '\\' => {
                if let Some(n) = chars.next() {
                    out.push(n);
                }
            }
            c if c.is_whitespace() => break, // an unquoted value ends at a blank
            c => out.push(c),
        }
    }
    out
}

/// /sys/kernel/security/lsm, "capability,landlock,yama,apparmor" → list.
/// Absent when the kernel has no securityfs at all (no such directory);
/// unavailable when the directory is there but the list is not (securityfs
/// not mounted, as in most containers, or a kernel before 4.15).
fn lsm_list(host: &Host) -> Obs {
    match host.read_fact("/sys/kernel/security/lsm") {
        Ok(s) => Obs::seen(
            s.trim_matches(['\n', '\0', ' '])
                .split(',')
                .filter(|x| !x.is_empty())
                .map(|x| Value::String(x.to_string()))
                .collect::<Vec<_>>(),
        ),
        Err(Obs::Absent) => match host.exists("/sys/kernel/security") {
            Ok(false) => Obs::Absent,
            Ok(true) => Obs::unavailable(
                "/sys/kernel/security/lsm is missing (securityfs not mounted, or a kernel before 4.15)",
            ),
            Err(o) => o,
        },
        Err(o) => o,
    }
}

/// Whether `lsm.list` names `lsm`: Some(bool) when the list is known.
pub fn lsm_active(facts: &Facts, lsm: &str) -> Option<bool> {
    match facts.get("lsm.list") {
        Obs::Seen(Value::Array(v)) => Some(v.iter().any(|x| x.as_str() == Some(lsm))),
        _ => None,
    }
}

/// enforcing / permissive from selinuxfs; "disabled" without selinuxfs
/// (unless the LSM list says `SELinux` is active: then selinuxfs is just not
/// mounted here, and the mode cannot be seen).
fn selinux_mode(host: &Host, facts: &Facts) -> Obs {
    match host.read_fact("/sys/fs/selinux/enforce") {
        Ok(s) => match s.trim() {
            "1" => Obs::seen("enforcing"),
            "0" => Obs::seen("permissive"),
            other => Obs::unavailable(format!("unexpected /sys/fs/selinux/enforce: {other:?}")),
        },
        Err(Obs::Absent) => {
            if lsm_active(facts, "selinux") == Some(true) {
                Obs::unavailable("SELinux is an active LSM but selinuxfs is not mounted")
            } else {
                Obs::seen("disabled")
            }
        }
        Err(o) => o,
    }
}

/// The caller's `SELinux` context, when `SELinux` is active (by the LSM list,
/// or by selinuxfs when the list cannot be seen). Absent otherwise.
fn selinux_context(host: &Host, facts: &Facts) -> Obs {
    let active = match lsm_active(facts, "selinux") {
        Some(a) => a,
        None => match host.exists("/sys/fs/selinux/enforce") {
            Ok(a) => a,
            Err(o) => return o,
        },
    };
    if !active {
        return Obs::Absent;
    }
    flat(
        host.read_fact("/proc/self/attr/current")
            .map(|s| Obs::seen(s.trim_end_matches(['\n', '\0']).to_string())),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn os_release_values_are_unquoted() {
        let text = "NAME=\"Ubuntu\"\nVERSION_ID=\"24.04\"\nID=ubuntu\nID_LIKE=debian\n\
                    PRETTY_NAME='Ubuntu 24.04 LTS'\n# comment\nBAD LINE\n\
                    ESC=\"a \\\"quoted\\\" \\$word\"\nEMPTY=\n";
        let kv = parse_os_release(text);
        let get = |k: &str| kv.iter().find(|(x, _)| x == k).map(|(_, v)| v.as_str());
        assert_eq!(get("NAME"), Some("Ubuntu"));
        assert_eq!(get("VERSION_ID"), Some("24.04"));
        assert_eq!(get("ID"), Some("ubuntu"));
        assert_eq!(get("ID_LIKE"), Some("debian"));
        assert_eq!(get("PRETTY_NAME"), Some("Ubuntu 24.04 LTS"));
        assert_eq!(get("ESC"), Some("a \"quoted\" $word"));
        assert_eq!(get("EMPTY"), Some(""));
        assert_eq!(get("BAD LINE"), None);
    }

    #[test]
    fn os_release_unquoted_value_ends_at_blank() {
        let kv = parse_os_release("ID=rhel   \nVERSION_ID=7.9 # trailing\n");
        assert_eq!(kv[0], ("ID".into(), "rhel".into()));
        assert_eq!(kv[1], ("VERSION_ID".into(), "7.9".into()));
    }
}
