//! The caller's mounts (/proc/self/mountinfo): what covers parts of /proc
//! (containers mask /proc/kcore, /proc/acpi…; the kernel then refuses a new
//! procfs in a user namespace), and what is mounted read-only.

use super::Host;
use crate::facts::Obs;

/// One mountinfo line: the mount point (unescaped), its options, and whether
/// what it mounts was deleted from its file system since (the root field ends
/// in `//deleted`: a bind of a file or directory the host has since removed or
/// replaced by a rename, which the kernel no longer lets anyone bind: ENOENT).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mount {
    pub point: String,
    pub read_only: bool,
    pub fstype: String,
    pub deleted: bool,
}

/// `\040` and friends back to bytes.
fn unescape(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\'
            && i + 3 < b.len()
            && b[i + 1..i + 4].iter().all(|c| (b'0'..=b'7').contains(c))
        {
            let v = (b[i + 1] - b'0') * 64 + (b[i + 2] - b'0') * 8 + (b[i + 3] - b'0');
            out.push(v);
            i += 4;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

pub fn parse(text: &str) -> Vec<Mount> {
    text.lines()
        .filter_map(|l| {
            let f: Vec<&str> = l.split(' ').collect();
            let sep = f.iter().position(|x| *x == "-")?;
            Some(Mount {
                point: unescape(f.get(4)?),
                read_only: f.get(5)?.split(',').any(|o| o == "ro"),
                fstype: f.get(sep + 1)?.to_string(),
                deleted: f.get(3)?.ends_with("//deleted"),
            })
        })
        .collect()
}

fn mounts(host: &Host) -> Result<Vec<Mount>, Obs> {
    match host.read_fact("/proc/self/mountinfo") {
        Ok(t) => Ok(parse(&t)),
        // Without mountinfo nothing can be said about the mounts.
        Err(Obs::Absent) => Err(Obs::unavailable("/proc/self/mountinfo is missing")),
        Err(o) => Err(o),
    }
}

/// The mount that holds `path`: the longest mount point that is `path`
/// or one of its ancestors (the last such line wins, as the kernel stacks).
pub fn holding<'m>(ms: &'m [Mount], path: &str) -> Option<&'m Mount> {
    let path = format!("/{}", path.trim_matches('/'));
    let under = |p: &str| p == "/" || path == p || path.starts_with(&format!("{p}/"));
    ms.iter()
        .filter(|m| under(&m.point))
        .fold(None, |best: Option<&Mount>, m| match best {
            Some(b) if b.point.len() > m.point.len() => Some(b),
            _ => Some(m),
        })
}

pub fn observe(host: &Host, key: &str, arg: &str) -> Obs {
    let ms = match mounts(host) {
        Ok(m) => m,
        Err(o) => return o,
    };
    match key {
        "path.mount:" => match holding(&ms, arg) {
            Some(m) => Obs::seen(serde_json::json!({
                "point": m.point,
                "fstype": m.fstype,
                "read_only": m.read_only,
                // Only for the path's own mount: what lies under a bind of a
                // deleted directory is still linked in it.
                "deleted": m.deleted && m.point == format!("/{}", arg.trim_matches('/')),
            })),
            None => Obs::Absent,
        },
        "proc.masked" => {
            let mut v: Vec<String> = ms
                .iter()
                .filter(|m| m.point.starts_with("/proc/"))
                .map(|m| m.point.clone())
                .collect();
            v.sort();
            v.dedup();
            Obs::seen(v)
        }
        "proc.read_only" => {
            let mut v: Vec<String> = ms
                .iter()
                .filter(|m| (m.point == "/proc" || m.point.starts_with("/proc/")) && m.read_only)
                .map(|m| m.point.clone())
                .collect();
            v.sort();
            v.dedup();
            Obs::seen(v)
        }
        _ => Obs::unavailable(format!("no probe named {key}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mountinfo_lines_give_points_options_and_types() {
        let text = "22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw\n\
                    30 22 0:5 / /proc rw,nosuid - proc proc rw\n\
                    31 30 0:6 /null /proc/kcore rw,nosuid - tmpfs tmpfs rw\n\
                    32 30 0:5 /sys /proc/sys ro,nosuid master:2 - proc proc rw\n\
                    40 22 0:40 / /home/me/with\\040space rw - fuse.sshfs me@h: rw\n";
        let m = parse(text);
        assert_eq!(m.len(), 5);
        assert_eq!(m[2].point, "/proc/kcore");
        assert!(m[3].read_only && !m[1].read_only);
        assert_eq!(m[4].point, "/home/me/with space");
        assert_eq!(m[4].fstype, "fuse.sshfs");
        assert_eq!(
            holding(&m, "/home/me/with space/x").unwrap().fstype,
            "fuse.sshfs"
        );
        assert_eq!(holding(&m, "/proc/sys/kernel").unwrap().point, "/proc/sys");
        assert_eq!(holding(&m, "/etc/passwd").unwrap().point, "/");
        assert!(m.iter().all(|m| !m.deleted));
    }

    #[test]
    fn a_bind_of_a_file_replaced_since_is_deleted() {
        // Steam's FHS bwrap on NixOS after an activation replaced /etc/group
        // (nixpkgs#247065), in the shape mountinfo showed on this project's
        // test machine for a bound file renamed over on the host.
        let text = "22 1 8:1 / / rw,relatime - ext4 /dev/sda1 rw\n\
                    90 22 8:1 /etc/static/group//deleted /etc/group ro,nosuid - ext4 /dev/sda1 rw\n\
                    91 22 8:1 /etc/passwd /etc/passwd ro,nosuid - ext4 /dev/sda1 rw\n";
        let m = parse(text);
        assert!(holding(&m, "/etc/group").unwrap().deleted);
        assert!(!holding(&m, "/etc/passwd").unwrap().deleted);
        assert!(!holding(&m, "/etc/hosts").unwrap().deleted);
    }

    #[test]
    fn path_mount_says_deleted_only_for_the_paths_own_mount() {
        let root = std::env::temp_dir().join(format!("bwd-mounts-{}", std::process::id()));
        std::fs::create_dir_all(root.join("proc/self")).unwrap();
        std::fs::write(
            root.join("proc/self/mountinfo"),
            "22 1 8:1 / / rw,relatime - ext4 /dev/sda1 rw\n\
             90 22 8:1 /etc/static/group//deleted /etc/group ro,nosuid - ext4 /dev/sda1 rw\n\
             91 22 8:1 /srv/old//deleted /srv/data rw - ext4 /dev/sda1 rw\n",
        )
        .unwrap();
        let host = Host::fixture(&root);
        let deleted = |p: &str| match observe(&host, "path.mount:", p) {
            Obs::Seen(v) => v["deleted"].clone(),
            o => panic!("{p}: {o:?}"),
        };
        assert_eq!(deleted("/etc/group"), true);
        assert_eq!(deleted("/etc/group/"), true);
        assert_eq!(deleted("/srv/data"), true);
        assert_eq!(
            deleted("/srv/data/file"),
            false,
            "under a deleted directory's bind"
        );
        assert_eq!(deleted("/etc/passwd"), false);
        std::fs::remove_dir_all(&root).unwrap();
    }
}
