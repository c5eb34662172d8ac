//! The caller's credentials and restrictions, from /proc/self: uids,
//! capability sets, seccomp, `no_new_privs`, and its user namespace. The shim
//! runs with the caller's credentials and inherits its seccomp filters, so
//! /proc/self describes what bwrap started with.

use super::Host;
use crate::facts::Obs;
use serde_json::Value;

/// The kernel's capability numbers (include/uapi/linux/capability.h), up to
/// `CAP_CHECKPOINT_RESTORE` = 40.
pub const CAP_NAMES: [&str; 41] = [
    "cap_chown",
    "cap_dac_override",
    "cap_dac_read_search",
    "cap_fowner",
    "cap_fsetid",
    "cap_kill",
    "cap_setgid",
    "cap_setuid",
    "cap_setpcap",
    "cap_linux_immutable",
    "cap_net_bind_service",
    "cap_net_broadcast",
    "cap_net_admin",
    "cap_net_raw",
    "cap_ipc_lock",
    "cap_ipc_owner",
    "cap_sys_module",
    "cap_sys_rawio",
    "cap_sys_chroot",
    "cap_sys_ptrace",
    "cap_sys_pacct",
    "cap_sys_admin",
    "cap_sys_boot",
    "cap_sys_nice",
    "cap_sys_resource",
    "cap_sys_time",
    "cap_sys_tty_config",
    "cap_mknod",
    "cap_lease",
    "cap_audit_write",
    "cap_audit_control",
    "cap_setfcap",
    "cap_mac_override",
    "cap_mac_admin",
    "cap_syslog",
    "cap_wake_alarm",
    "cap_block_suspend",
    "cap_audit_read",
    "cap_perfmon",
    "cap_bpf",
    "cap_checkpoint_restore",
];

/// The names of the bits set in a capability mask ("`cap_N`" for bits this
/// table does not know).
pub fn cap_names(mask: u64) -> Vec<String> {
    (0..64)
        .filter(|b| mask & (1u64 << b) != 0)
        .map(|b| match CAP_NAMES.get(b as usize) {
            Some(n) => n.to_string(),
            None => format!("cap_{b}"),
        })
        .collect()
}

/// The initial user namespace's fixed inode number (`PROC_USER_INIT_INO`).
const INIT_USERNS: &str = "user:[4026531837]";

pub fn observe(host: &Host, key: &str) -> Obs {
    match key {
        "caller.uid_map" => match uid_map(host) {
            Ok(m) => Obs::seen(m),
            Err(o) => o,
        },
        "caller.in_initial_userns" => in_initial_userns(host),
        _ => from_status(host, key),
    }
}

fn from_status(host: &Host, key: &str) -> Obs {
    let status = match host.read_fact("/proc/self/status") {
        Ok(s) => s,
        Err(Obs::Absent) => return Obs::unavailable("/proc/self/status is missing (no /proc?)"),
        Err(o) => return o,
    };
    let st = Status::parse(&status);
    let field = |name: &str| st.field(name);
    let nth_id = |name: &str, i: usize| -> Obs {
        match st.id(name, i) {
            Some(n) => Obs::seen(n),
            None => Obs::unavailable(format!("no {name}: line in /proc/self/status")),
        }
    };
    let caps = |name: &str| -> Obs {
        match field(name).and_then(|v| u64::from_str_radix(v.trim(), 16).ok()) {
            Some(mask) => Obs::seen(
                cap_names(mask)
                    .into_iter()
                    .map(Value::String)
                    .collect::<Vec<_>>(),
            ),
            None => Obs::unavailable(format!("no {name}: line in /proc/self/status")),
        }
    };
    // Fields newer kernels added: absent on kernels that do not have them.
    let int_or_absent = |name: &str| -> Obs {
        match field(name) {
            Some(v) => match v.trim().parse::<i64>() {
                Ok(n) => Obs::seen(n),
                Err(_) => Obs::unavailable(format!("unexpected {name}: {v:?}")),
            },
            None => Obs::Absent,
        }
    };
    match key {
        "caller.uid" => nth_id("Uid", 0),
        "caller.euid" => nth_id("Uid", 1),
        "caller.caps_effective" => caps("CapEff"),
        "caller.caps_permitted" => caps("CapPrm"),
        "caller.caps_ambient" => match field("CapAmb") {
            None => Obs::Absent, // before Linux 4.3
            Some(_) => caps("CapAmb"),
        },
        "caller.caps_bounding" => caps("CapBnd"),
        "caller.seccomp" => int_or_absent("Seccomp"),
        "caller.seccomp_filters" => int_or_absent("Seccomp_filters"),
        "caller.no_new_privs" => int_or_absent("NoNewPrivs"),
        _ => Obs::unavailable(format!("no probe named {key}")),
    }
}

/// /proc/self/status, by field name.
pub struct Status(Vec<(String, String)>);

impl Status {
    pub fn parse(text: &str) -> Status {
        Status(
            text.lines()
                .filter_map(|l| {
                    let (k, v) = l.split_once(':')?;
                    Some((k.trim().to_string(), v.trim().to_string()))
                })
                .collect(),
        )
    }

    pub fn field(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The n-th number of a field ("Uid: 1000 1000 1000 1000").
    pub fn id(&self, name: &str, n: usize) -> Option<u32> {
        self.field(name)?.split_whitespace().nth(n)?.parse().ok()
    }
}

/// /`proc/self/uid_map` with each line's blanks normalised.
fn uid_map(host: &Host) -> Result<String, Obs> {
    let text = host.read_fact("/proc/self/uid_map")?;
    Ok(normalise_map(&text))
}

pub fn normalise_map(text: &str) -> String {
    text.lines()
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join("\n")
}

/// The initial user namespace has a fixed inode number, which
/// /proc/self/ns/user shows; when that link cannot be read, a full identity
/// uid map ("0 0 4294967295") is taken as the sign (a full map alone is not
/// proof: root can create a user namespace with that map).
fn in_initial_userns(host: &Host) -> Obs {
    if let Ok(link) = std::fs::read_link(host.path("/proc/self/ns/user")) {
        return Obs::seen(link.as_os_str() == INIT_USERNS);
    }
    match uid_map(host) {
        Ok(m) => Obs::seen(m == "0 0 4294967295"),
        // A kernel without user namespaces (WSL1, CONFIG_USER_NS unset) has
        // no uid_map: its only user namespace is the initial one.
        Err(Obs::Absent) => Obs::seen(true),
        Err(o) => o,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const STATUS: &str = "Name:\tbwrap\nUmask:\t0022\nState:\tR (running)\n\
        Uid:\t1000\t1001\t1000\t1000\nGid:\t100\t100\t100\t100\n\
        CapInh:\t0000000000000000\nCapPrm:\t0000000000000000\n\
        CapEff:\t00000000a80425fb\nCapBnd:\t000001ffffffffff\nCapAmb:\t0000000000000000\n\
        NoNewPrivs:\t1\nSeccomp:\t2\nSeccomp_filters:\t3\n";

    #[test]
    fn status_caps_decode_to_kernel_names() {
        // Docker's default set.
        let st = Status::parse(STATUS);
        let eff = u64::from_str_radix(st.field("CapEff").unwrap(), 16).unwrap();
        assert_eq!(
            cap_names(eff),
            [
                "cap_chown",
                "cap_dac_override",
                "cap_fowner",
                "cap_fsetid",
                "cap_kill",
                "cap_setgid",
                "cap_setuid",
                "cap_setpcap",
                "cap_net_bind_service",
                "cap_net_raw",
                "cap_sys_chroot",
                "cap_mknod",
                "cap_audit_write",
                "cap_setfcap"
            ]
        );
        let bnd = u64::from_str_radix(st.field("CapBnd").unwrap(), 16).unwrap();
        let names = cap_names(bnd);
        assert_eq!(names.len(), 41);
        assert_eq!(names.last().unwrap(), "cap_checkpoint_restore");
    }

    #[test]
    fn status_unknown_cap_bits_are_numbered() {
        assert_eq!(cap_names(1 << 41 | 1 << 63), ["cap_41", "cap_63"]);
        assert_eq!(cap_names(1 << 21), ["cap_sys_admin"]);
    }

    #[test]
    fn status_ids_and_fields_parse() {
        let st = Status::parse(STATUS);
        assert_eq!(st.id("Uid", 0), Some(1000));
        assert_eq!(st.id("Uid", 1), Some(1001));
        assert_eq!(st.id("Gid", 0), Some(100));
        assert_eq!(st.field("Seccomp"), Some("2"));
        assert_eq!(st.field("NoNewPrivs"), Some("1"));
        assert_eq!(st.field("Missing"), None);
    }

    #[test]
    fn uid_map_blanks_are_normalised() {
        assert_eq!(
            normalise_map("         0          0 4294967295\n"),
            "0 0 4294967295"
        );
        assert_eq!(
            normalise_map("   1000   1000    1\n     0  100000  65536\n\n"),
            "1000 1000 1\n0 100000 65536"
        );
    }
}
