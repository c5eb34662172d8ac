//! What the caller runs inside: a container, WSL, gVisor, Flatpak, an outer
//! bwrap, a chroot. container.kind is the strongest sign found;
//! container.evidence lists every check and what it saw.

use super::Host;
use crate::facts::Obs;
use crate::marker::{self, FileKind};
use crate::probe::Facts;
use serde_json::Value;
use std::os::unix::fs::MetadataExt;

pub fn observe(host: &Host, facts: &Facts, key: &str) -> Obs {
    match key {
        "container.kind" => Obs::seen(detect(host, facts).0),
        "container.evidence" => Obs::seen(
            detect(host, facts)
                .1
                .into_iter()
                .map(Value::String)
                .collect::<Vec<_>>(),
        ),
        "sandbox.outer_bwrap" => outer_bwrap(host).0,
        "chroot" => chroot(host),
        _ => Obs::unavailable(format!("no probe named {key}")),
    }
}

/// gVisor's /proc/version: a fixed, fake build line ("Linux version 4.4.0
/// #1 SMP Sun Jan 10 15:06:54 PST 2016"; newer releases say
/// "4.19.0-gvisor" with the same date).
const GVISOR_BUILD: &str = "#1 SMP Sun Jan 10 15:06:54 PST 2016";

/// WSL or gVisor, from /proc/version.
pub fn kernel_kind(version: &str) -> Option<&'static str> {
    let lower = version.to_ascii_lowercase();
    if lower.contains("microsoft") {
        return Some(if lower.contains("microsoft-standard") {
            "wsl2"
        } else {
            "wsl1"
        });
    }
    if version.contains(GVISOR_BUILD) || lower.contains("-gvisor") {
        return Some("gvisor");
    }
    None
}

/// /run/systemd/container (and `container=` in pid 1's environment) → kind.
pub fn systemd_kind(name: &str) -> &'static str {
    match name.trim() {
        "lxc" | "lxc-libvirt" | "incus" => "lxc",
        "systemd-nspawn" => "systemd-nspawn",
        "docker" => "docker",
        "podman" => "podman",
        "wsl" => "wsl2",
        _ => "other",
    }
}

/// /proc/1/cgroup markers → kind (the most specific first).
pub fn cgroup_kind(text: &str) -> Option<&'static str> {
    if text.contains("kubepods") {
        Some("kubernetes")
    } else if text.contains("libpod") {
        Some("podman")
    } else if text.contains("docker") {
        Some("docker")
    } else if text.contains("lxc") {
        Some("lxc")
    } else {
        None
    }
}

/// (kind, evidence). Every check adds a line; the first that matches, in
/// this order of strength, names the kind.
fn detect(host: &Host, facts: &Facts) -> (String, Vec<String>) {
    let mut kind: Option<&'static str> = None;
    let mut ev: Vec<String> = Vec::new();
    let mut found = |k: &'static str, ev: &mut Vec<String>, line: String| {
        if kind.is_none() {
            kind = Some(k);
        }
        ev.push(line);
    };

    match facts.get("kernel.version") {
        Obs::Seen(Value::String(v)) => match kernel_kind(&v) {
            Some(k) => found(k, &mut ev, format!("/proc/version: {v} ({k})")),
            None => ev.push("/proc/version: neither WSL nor gVisor".into()),
        },
        other => ev.push(format!("/proc/version: {}", other.describe())),
    }

    for (path, k) in [
        ("/.flatpak-info", "flatpak"),
        ("/.dockerenv", "docker"),
        ("/run/.containerenv", "podman"),
    ] {
        match host.exists(path) {
            Ok(true) => found(k, &mut ev, format!("{path}: present ({k})")),
            Ok(false) => ev.push(format!("{path}: absent")),
            Err(o) => ev.push(format!("{path}: {}", o.describe())),
        }
    }

    match host.read_fact("/run/systemd/container") {
        Ok(t) => {
            let k = systemd_kind(&t);
            found(
                k,
                &mut ev,
                format!("/run/systemd/container: {} ({k})", t.trim()),
            );
        }
        Err(Obs::Absent) => ev.push("/run/systemd/container: absent".into()),
        Err(o) => ev.push(format!("/run/systemd/container: {}", o.describe())),
    }
    // pid 1's environment (readable by root): systemd's own first source.
    if let Ok(env) = std::fs::read(host.path("/proc/1/environ")) {
        match env
            .split(|&b| b == 0)
            .find_map(|kv| kv.strip_prefix(b"container="))
        {
            Some(v) => {
                let v = String::from_utf8_lossy(v).into_owned();
                let k = systemd_kind(&v);
                found(k, &mut ev, format!("/proc/1/environ: container={v} ({k})"));
            }
            None => ev.push("/proc/1/environ: no container=".into()),
        }
    }

    let sa = "/var/run/secrets/kubernetes.io/serviceaccount";
    match host.exists(sa) {
        Ok(true) => found("kubernetes", &mut ev, format!("{sa}: present (kubernetes)")),
        Ok(false) => ev.push(format!("{sa}: absent")),
        Err(o) => ev.push(format!("{sa}: {}", o.describe())),
    }
    if host.is_live() {
        match std::env::var_os("KUBERNETES_SERVICE_HOST") {
            Some(_) => found(
                "kubernetes",
                &mut ev,
                "KUBERNETES_SERVICE_HOST is set (kubernetes)".into(),
            ),
            None => ev.push("KUBERNETES_SERVICE_HOST: not set".into()),
        }
    }

    match host.read_fact("/proc/1/cgroup") {
        Ok(t) => match cgroup_kind(&t) {
            Some(k) => {
                let line = t
                    .lines()
                    .find(|l| cgroup_kind(l) == Some(k))
                    .unwrap_or("")
                    .to_string();
                found(k, &mut ev, format!("/proc/1/cgroup: {line} ({k})"));
            }
            None => ev.push("/proc/1/cgroup: no container markers".into()),
        },
        Err(o) => ev.push(format!("/proc/1/cgroup: {}", o.describe())),
    }

    let (outer, outer_ev) = outer_bwrap(host);
    ev.extend(outer_ev);
    if outer == Obs::seen(true) {
        found(
            "bwrap",
            &mut ev,
            "an outer bwrap runs this process (bwrap)".into(),
        );
    }

    match facts.get("chroot") {
        Obs::Seen(Value::Bool(true)) => found(
            "chroot",
            &mut ev,
            "chroot: / is not pid 1's root (chroot)".into(),
        ),
        Obs::Seen(_) => ev.push("chroot: / is pid 1's root".into()),
        other => ev.push(format!("chroot: {}", other.describe())),
    }

    (kind.unwrap_or("none").to_string(), ev)
}

/// The parent pid and command name from /proc/PID/stat ("pid (comm) S ppid …").
pub fn parse_stat(stat: &str) -> Option<(String, i64)> {
    let open = stat.find('(')?;
    let close = stat.rfind(')')?;
    let comm = stat.get(open + 1..close)?.to_string();
    let mut rest = stat.get(close + 1..)?.split_whitespace();
    let _state = rest.next()?;
    let ppid = rest.next()?.parse().ok()?;
    Some((comm, ppid))
}

/// Whether an ancestor of the caller (from its parent up to pid 1, at most
/// 64 steps), or pid 1 of our pid namespace, is bwrap. bwrap-doctor shims
/// (named `bwrap` too) are skipped: the ELF note on their executable, or
/// the same file as /proc/self/exe.
fn outer_bwrap(host: &Host) -> (Obs, Vec<String>) {
    let mut ev = Vec::new();
    let me = match host.read_fact("/proc/self/stat") {
        Ok(s) => s,
        Err(o) => {
            let why = format!("cannot read /proc/self/stat: {}", o.describe());
            ev.push(format!("outer bwrap: {why}"));
            return (Obs::unavailable(why), ev);
        }
    };
    let Some((_, mut pid)) = parse_stat(&me) else {
        return (Obs::unavailable("unexpected /proc/self/stat"), ev);
    };
    let self_exe = std::fs::metadata(host.path("/proc/self/exe"))
        .ok()
        .map(|m| (m.dev(), m.ino()));
    let mut seen_pid1 = false;
    for _ in 0..64 {
        if pid <= 0 {
            break;
        }
        seen_pid1 |= pid == 1;
        if let Some(line) = bwrap_at(host, pid, self_exe, &mut ev) {
            ev.push(line);
            return (Obs::seen(true), ev);
        }
        if pid == 1 {
            break;
        }
        pid = match host
            .read_to_string(format!("/proc/{pid}/stat"))
            .ok()
            .as_deref()
            .and_then(parse_stat)
        {
            Some((_, ppid)) => ppid,
            None => break,
        };
    }
    if !seen_pid1 && let Some(line) = bwrap_at(host, 1, self_exe, &mut ev) {
        ev.push(format!("{line} (pid 1 of this pid namespace)"));
        return (Obs::seen(true), ev);
    }
    ev.push("outer bwrap: no ancestor is bwrap".into());
    (Obs::seen(false), ev)
}

/// If process `pid` is a real bwrap (not a bwrap-doctor shim), a line
/// saying so; shims that were skipped are noted in `ev`.
fn bwrap_at(
    host: &Host,
    pid: i64,
    self_exe: Option<(u64, u64)>,
    ev: &mut Vec<String>,
) -> Option<String> {
    let comm = host.read_to_string(format!("/proc/{pid}/comm")).ok()?;
    if comm.trim_end_matches('\n') != "bwrap" {
        return None;
    }
    let exe = host.path(format!("/proc/{pid}/exe"));
    match std::fs::File::open(&exe) {
        Ok(f) => {
            let same = f
                .metadata()
                .ok()
                .map(|m| (m.dev(), m.ino()))
                .is_some_and(|id| Some(id) == self_exe);
            if same || marker::classify(&f) == FileKind::Shim {
                ev.push(format!(
                    "outer bwrap: pid {pid} is a bwrap-doctor shim (skipped)"
                ));
                return None;
            }
            Some(format!("outer bwrap: pid {pid} is bwrap"))
        }
        Err(e) => Some(format!(
            "outer bwrap: pid {pid} is named bwrap (its executable cannot be opened: {e})"
        )),
    }
}

/// Whether our root differs from pid 1's (systemd's test), live only.
/// When /proc/1/root cannot be looked at (another user's pid 1, or one with
/// more capabilities than ours), /proc/self/mountinfo can still prove a
/// chroot: it lists only the mounts reachable from our root, so without a
/// mount at "/" our root is a plain directory. A chroot into a mount point
/// looks like no chroot there, so that case stays unavailable.
fn chroot(host: &Host) -> Obs {
    if !host.is_live() {
        return Obs::unavailable("a chroot can be observed only on the live host");
    }
    let ours = match std::fs::metadata(host.path("/")) {
        Ok(m) => (m.dev(), m.ino()),
        Err(e) => return Obs::unavailable(format!("cannot stat /: {e}")),
    };
    let why = match std::fs::metadata(host.path("/proc/1/root")) {
        Ok(m) => return Obs::seen((m.dev(), m.ino()) != ours),
        Err(e) => format!("cannot look at /proc/1/root: {e}"),
    };
    match host.read_to_string("/proc/self/mountinfo") {
        Ok(text) if !has_root_mount(&text) => Obs::seen(true),
        Ok(text) => match host
            .read_to_string("/proc/1/mountinfo")
            .ok()
            .and_then(|pid1| root_moved(&text, &pid1))
        {
            Some(v) => Obs::seen(v),
            None => Obs::unavailable(format!(
                "{why}; / is a mount point, and pid 1 is in another mount namespace"
            )),
        },
        Err(e) => Obs::unavailable(format!("{why}; cannot read /proc/self/mountinfo: {e}")),
    }
}

/// Compare our root mount with the same mount as pid 1 sees it (mountinfo
/// is readable by anyone, unlike /proc/1/root): mount ids are unique across
/// namespaces, so the same id means the same mount namespace. Chrooted when
/// pid 1 has our root mount somewhere else than "/" (a chroot into a bind
/// mount), or at a different place in its file system. None when pid 1 is
/// in another mount namespace.
pub fn root_moved(ours: &str, pid1: &str) -> Option<bool> {
    let entry = |l: &str| -> Option<(String, String, String)> {
        let f: Vec<&str> = l.split(' ').collect();
        (f.len() > 4).then(|| (f[0].to_string(), f[3].to_string(), f[4].to_string()))
    };
    let (id, root, _) = ours
        .lines()
        .rev()
        .filter_map(entry)
        .find(|(_, _, point)| point == "/")?;
    let (_, p1_root, p1_point) = pid1.lines().filter_map(entry).find(|(i, _, _)| *i == id)?;
    Some(p1_point != "/" || p1_root != root)
}

/// Whether a mountinfo table has a mount at "/" (the 5th field).
pub fn has_root_mount(mountinfo: &str) -> bool {
    mountinfo.lines().any(|l| l.split(' ').nth(4) == Some("/"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_chroot_into_a_mount_shows_in_pid_1s_mount_table() {
        let ours =
            "402 366 254:0 / / rw - ext4 /dev/vda rw\n422 402 0:21 / /proc rw - proc proc rw\n";
        let moved = "27 1 254:0 / / rw - ext4 /dev/vda rw\n402 27 254:0 / /srv/chroot rw - ext4 /dev/vda rw\n";
        assert_eq!(root_moved(ours, moved), Some(true));
        let same = "402 1 254:0 / / rw - ext4 /dev/vda rw\n";
        assert_eq!(root_moved(ours, same), Some(false));
        let other_namespace = "27 1 254:0 / / rw - ext4 /dev/vda rw\n";
        assert_eq!(root_moved(ours, other_namespace), None);
    }

    #[test]
    fn kernel_version_names_wsl_and_gvisor() {
        assert_eq!(
            kernel_kind(
                "Linux version 4.4.0-19041-Microsoft (Microsoft@Microsoft.com) (gcc version 5.4.0 (GCC) ) #1237-Microsoft Sat Sep 11 14:32:00 PST 2021"
            ),
            Some("wsl1")
        );
        assert_eq!(
            kernel_kind(
                "Linux version 5.15.167.4-microsoft-standard-WSL2 (root@f9c826d3017f) (gcc (GCC) 11.2.0, GNU ld (GNU Binutils) 2.37) #1 SMP Tue Nov 5 00:21:55 UTC 2024"
            ),
            Some("wsl2")
        );
        assert_eq!(
            kernel_kind("Linux version 4.4.0 #1 SMP Sun Jan 10 15:06:54 PST 2016"),
            Some("gvisor")
        );
        assert_eq!(
            kernel_kind("Linux version 4.19.0-gvisor #1 SMP Sun Jan 10 15:06:54 PST 2016"),
            Some("gvisor")
        );
        assert_eq!(
            kernel_kind("Linux version 6.8.0-45-generic (buildd@lcy02-amd64-115) #45-Ubuntu"),
            None
        );
    }

    #[test]
    fn cgroup_and_systemd_markers_name_the_runtime() {
        assert_eq!(
            cgroup_kind("0::/kubepods/besteffort/pod1/docker-abc.scope"),
            Some("kubernetes")
        );
        assert_eq!(cgroup_kind("12:pids:/docker/0123abcd"), Some("docker"));
        assert_eq!(
            cgroup_kind("0::/machine.slice/libpod-abc.scope"),
            Some("podman")
        );
        assert_eq!(cgroup_kind("0::/lxc.payload.c1"), Some("lxc"));
        assert_eq!(cgroup_kind("0::/user.slice/user-1000.slice"), None);
        assert_eq!(systemd_kind("lxc\n"), "lxc");
        assert_eq!(systemd_kind("systemd-nspawn"), "systemd-nspawn");
        assert_eq!(systemd_kind("oci"), "other");
    }

    #[test]
    fn mountinfo_without_a_root_mount_means_chroot() {
        let host =
            "27 1 254:0 / / rw,relatime - ext4 /dev/vda rw\n22 27 0:21 / /proc rw - proc proc rw\n";
        assert!(has_root_mount(host));
        let chrooted = "22 27 0:21 / /proc rw - proc proc rw\n";
        assert!(!has_root_mount(chrooted));
    }

    #[test]
    fn proc_stat_comm_may_hold_parens_and_blanks() {
        assert_eq!(
            parse_stat("42 (my (odd) name) S 7 42 42 0 -1"),
            Some(("my (odd) name".to_string(), 7))
        );
        assert_eq!(parse_stat("garbage"), None);
    }
}
