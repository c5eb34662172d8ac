//! Paths named by the failing call (bind sources and destinations):
//! path.exists:P, `path.first_symlink:P`, path.fstype:P.
//!
//! On the live host each probe runs in a forked child with the time bound:
//! `lstat` and `statfs` on a hung network mount (NFS, a stale FUSE server,
//! autofs) block, and the diagnosis must not. On a fixture the same walk
//! runs in-process.

use super::{Host, is_missing};
use crate::facts::Obs;
use crate::sys::fork::Failure;
use crate::sys::fs::{self as sysfs, Prefixes, WalkStep as Step};
use serde_json::json;
use std::ffi::CString;
use std::os::unix::ffi::OsStrExt;
use std::path::{Component, Path, PathBuf};

pub fn observe(host: &Host, key: &str, arg: &str) -> Obs {
    if !arg.starts_with('/') {
        return Obs::unavailable(format!("{key}: not an absolute path: {arg:?}"));
    }
    let walk = Walk::new(host, arg);
    let Some(walk) = walk else {
        return Obs::unavailable(format!("{key}: the path contains a NUL byte"));
    };
    match key {
        "path.exists:" => exists(host, &walk),
        "path.first_symlink:" => first_symlink(host, &walk),
        "path.fstype:" => fstype(host, &walk),
        _ => Obs::unavailable(format!("no probe named {key}{arg}")),
    }
}

/// A path taken apart for the walk: every prefix from the root, in the
/// order the lexical walk meets them ("/a/b/../c" has "/a", "/a/b", "/a/c").
///
/// Stored in memory linear in the path's length, whatever its depth: each
/// prefix is its parent prefix plus one name of `abs`, and is spelled out
/// only when needed, into a fixed buffer (a prefix longer than `PATH_MAX` is
/// one the kernel refuses with ENAMETOOLONG without looking). Spelling
/// every prefix out, as strings, would cost the square of the length: 1.3
/// GB for `--ro-bind /a/a/a…` of 60 KB.
struct Walk {
    abs: Vec<u8>,
    /// The host root, without a trailing slash ("" for the live host).
    root: Vec<u8>,
    /// Each prefix: its parent prefix (None: the root) and its last name,
    /// a byte range of `abs`.
    nodes: Vec<(Option<usize>, usize, usize)>,
    /// The whole path (lexically normalised) under the host root.
    full: CString,
}

impl Walk {
    fn new(host: &Host, abs: &str) -> Option<Walk> {
        if abs.contains('\0') {
            return None;
        }
        let bytes = abs.as_bytes();
        let mut nodes: Vec<(Option<usize>, usize, usize)> = Vec::new();
        let mut stack: Vec<usize> = Vec::new();
        for c in Path::new(abs).components() {
            match c {
                Component::RootDir | Component::CurDir | Component::Prefix(_) => {}
                Component::ParentDir => {
                    stack.pop();
                }
                Component::Normal(n) => {
                    let start = n.as_bytes().as_ptr() as usize - bytes.as_ptr() as usize;
                    nodes.push((stack.last().copied(), start, start + n.len()));
                    stack.push(nodes.len() - 1);
                }
            }
        }
        let root = host.path("/").as_os_str().as_bytes().to_vec();
        let root = root.strip_suffix(b"/").unwrap_or(&root).to_vec();
        let mut w = Walk {
            abs: bytes.to_vec(),
            root,
            nodes,
            full: CString::default(),
        };
        let mut full = w.root.clone();
        match stack.last() {
            Some(&last) => full.extend_from_slice(w.spell(last).as_bytes()),
            None => full.push(b'/'),
        }
        w.full = CString::new(full).ok()?;
        Some(w)
    }

    /// The prefix `i` as the host sees it ("/a/b"), for reports.
    fn spell(&self, i: usize) -> String {
        let mut names = Vec::new();
        let mut at = Some(i);
        while let Some(n) = at {
            let (parent, start, end) = self.nodes[n];
            names.push(&self.abs[start..end]);
            at = parent;
        }
        let mut out = Vec::new();
        for name in names.iter().rev() {
            out.push(b'/');
            out.extend_from_slice(name);
        }
        String::from_utf8_lossy(&out).into_owned()
    }

    fn shown(&self, i: usize) -> Option<String> {
        (i < self.nodes.len()).then(|| self.spell(i))
    }

    /// The last prefix met.
    fn last_shown(&self) -> String {
        self.nodes
            .len()
            .checked_sub(1)
            .map(|i| self.spell(i))
            .unwrap_or_default()
    }

    /// The prefixes, as the walk in `sys::fs` takes them.
    fn prefixes(&self) -> Prefixes<'_> {
        Prefixes {
            root: &self.root,
            abs: &self.abs,
            nodes: &self.nodes,
        }
    }

    /// Prefix `i` under the host root, NUL-terminated, into `buf`; false
    /// when it does not fit (longer than PATH_MAX).
    #[cfg(test)]
    fn spell_real(&self, i: usize, buf: &mut [u8; sysfs::PREFIX_CAP]) -> bool {
        self.prefixes().spell(i, buf)
    }
}

/// The time bound for a probe on the live host; none on a fixture (a local
/// tree: nothing there can hang, and the work runs in this process).
fn limit(host: &Host) -> Option<std::time::Duration> {
    host.is_live().then_some(host.limit)
}

fn walk(host: &Host, w: &Walk, what: &str) -> Result<Step, Obs> {
    sysfs::first_symlink(&w.prefixes(), limit(host)).map_err(|f| unavailable(&f, what))
}

fn unavailable(f: &Failure, what: &str) -> Obs {
    Obs::unavailable(f.reason(what))
}

fn errno_text(e: i32) -> String {
    std::io::Error::from_raw_os_error(e).to_string()
}

/// lstat(P): whether the path exists, without following a final symlink.
fn exists(host: &Host, w: &Walk) -> Obs {
    let e = match sysfs::lstat(&w.full, limit(host)) {
        Ok(Ok(())) => 0,
        Ok(Err(e)) => e,
        Err(f) => return unavailable(&f, "lstat"),
    };
    match e {
        0 => Obs::seen(true),
        libc::ENOENT | libc::ENOTDIR => Obs::seen(false),
        e => Obs::unavailable(format!("cannot look at the path: {}", errno_text(e))),
    }
}

/// The first component of the path that is a symlink.
fn first_symlink(host: &Host, w: &Walk) -> Obs {
    match walk(host, w, "path walk") {
        Err(o) => o,
        Ok(Step::Clear) => Obs::Absent,
        Ok(Step::Link(i, target)) => {
            let target = String::from_utf8_lossy(&target).into_owned();
            let link = w.shown(i).unwrap_or_default();
            let full = w.last_shown();
            Obs::seen(json!({
                "resolved": resolve_once(&link, &target, &full[link.len().min(full.len())..]),
                "absolute": target.starts_with('/'),
                "link": link,
                "target": target,
            }))
        }
        Ok(Step::Error(_, libc::ENOENT | libc::ENOTDIR)) => Obs::Absent,
        Ok(Step::Error(i, e)) => Obs::unavailable(format!(
            "cannot look at {}: {}",
            w.shown(i).as_deref().unwrap_or("?"),
            errno_text(e)
        )),
    }
}

/// The path with its first symlink `link` replaced by `target` (relative
/// targets resolve against the link's directory), lexically normalised.
fn resolve_once(link: &str, target: &str, rest: &str) -> String {
    let base = if target.starts_with('/') {
        target.to_string()
    } else {
        let dir = link.rsplit_once('/').map_or("", |(d, _)| d);
        format!("{dir}/{target}")
    };
    let joined = format!("{base}/{rest}");
    let mut parts: Vec<&str> = Vec::new();
    for c in joined.split('/') {
        match c {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            c => parts.push(c),
        }
    }
    format!("/{}", parts.join("/"))
}

/// statfs(P) (following symlinks, as bwrap does for a bind source).
fn fstype(host: &Host, w: &Walk) -> Obs {
    if !host.is_live() {
        // A fixture can say whether the path exists, not what holds it.
        let full = std::ffi::OsStr::from_bytes(w.full.as_bytes());
        return match std::fs::metadata(full) {
            Err(e) if is_missing(&e) => Obs::Absent,
            _ => Obs::unavailable("file system types are observed only on the live host"),
        };
    }
    match sysfs::statfs_magic(&w.full, host.limit) {
        Ok(Ok(magic)) => Obs::seen(fs_name(magic)),
        Ok(Err(libc::ENOENT | libc::ENOTDIR)) => Obs::Absent,
        Ok(Err(e)) => Obs::unavailable(format!("statfs: {}", errno_text(e))),
        Err(f) => unavailable(&f, "statfs"),
    }
}

/// A file system's name from its statfs magic number.
pub fn fs_name(magic: u64) -> String {
    let name = match magic & 0xffff_ffff {
        0x6969 => "nfs",
        0x6573_5546 => "fuse", // also fuseblk and virtiofs
        0x0187 => "autofs",
        0x0102_1994 => "tmpfs",
        0x794c_7630 => "overlay",
        0xef53 => "ext4", // ext2, ext3 and ext4 share the magic
        0x9123_683e => "btrfs",
        0x5846_5342 => "xfs",
        0x2fc1_2fc1 => "zfs",
        0x0102_1997 => "9p",
        0x9fa0 => "proc",
        0x6265_6572 => "sysfs",
        0xff53_4d42 | 0xfe53_4d42 => "cifs",
        0x4d44 => "vfat",
        0x7371_7368 => "squashfs",
        0x8584_58f6 => "ramfs",
        0x1cd1 => "devpts",
        0x6367_7270 => "cgroup2",
        0x0027_e0eb => "cgroup",
        0x6e73_6673 => "nsfs",
        0x7461_636f => "ocfs2",
        0x00c3_6400 => "ceph",
        0x0116_1970 => "gfs2",
        0xf15f => "ecryptfs",
        0x7366_7362 => "securityfs",
        0xf97c_ff8c => "selinuxfs",
        _ => return format!("{:#x}", magic & 0xffff_ffff),
    };
    name.to_string()
}

/// Resolve every symlink in the host path `abs` under the host root
/// (absolute targets re-rooted there), like realpath(3) on the live host.
/// `Err` as for `std::fs` (`NotFound` when a component is missing).
pub fn resolve(host: &Host, abs: &Path) -> std::io::Result<PathBuf> {
    let mut todo: Vec<std::ffi::OsString> = Vec::new();
    let push_all = |todo: &mut Vec<std::ffi::OsString>, p: &Path| {
        for c in p.components().rev() {
            match c {
                Component::Normal(n) => todo.push(n.to_os_string()),
                Component::ParentDir => todo.push("..".into()),
                _ => {}
            }
        }
    };
    push_all(&mut todo, abs);
    let mut cur = PathBuf::from("/");
    let mut hops = 0;
    while let Some(c) = todo.pop() {
        if c == ".." {
            cur.pop();
            continue;
        }
        let next = cur.join(&c);
        let meta = std::fs::symlink_metadata(host.path(&next))?;
        if meta.file_type().is_symlink() {
            hops += 1;
            if hops > 40 {
                return Err(std::io::Error::from_raw_os_error(libc::ELOOP));
            }
            let target = std::fs::read_link(host.path(&next))?;
            if target.is_absolute() {
                cur = PathBuf::from("/");
            }
            push_all(&mut todo, &target);
        } else {
            cur = next;
        }
    }
    Ok(cur)
}

#[cfg(test)]
mod resolve_tests {
    use super::resolve_once;

    #[test]
    fn a_symlink_is_replaced_by_its_target_once() {
        assert_eq!(resolve_once("/p/.codex", "/data/codex", ""), "/data/codex");
        assert_eq!(
            resolve_once("/p/.codex", "/data/codex", "/cfg/x"),
            "/data/codex/cfg/x"
        );
        assert_eq!(
            resolve_once("/p/.codex", "../shared/codex", "/x"),
            "/shared/codex/x"
        );
        assert_eq!(resolve_once("/var/run", "/run", "/dbus"), "/run/dbus");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fs_magic_numbers_have_names() {
        assert_eq!(fs_name(0x6969), "nfs");
        assert_eq!(fs_name(0x6573_5546), "fuse");
        assert_eq!(fs_name(0xef53), "ext4");
        assert_eq!(fs_name(0xffff_ffff_ff53_4d42), "cifs");
        assert_eq!(fs_name(0x1234), "0x1234");
    }

    fn prefixes(host: &Host, abs: &str) -> Vec<(String, Vec<u8>)> {
        let w = Walk::new(host, abs).unwrap();
        let mut buf = [0u8; sysfs::PREFIX_CAP];
        (0..w.nodes.len())
            .map(|i| {
                assert!(w.spell_real(i, &mut buf));
                let n = buf.iter().position(|&b| b == 0).unwrap();
                (w.spell(i), buf[..n].to_vec())
            })
            .collect()
    }

    #[test]
    fn the_walk_meets_every_prefix_in_order_also_after_dotdot() {
        let got = prefixes(&Host::live(), "/a/b/../c/./d");
        let want: Vec<(String, Vec<u8>)> = ["/a", "/a/b", "/a/c", "/a/c/d"]
            .iter()
            .map(|p| (p.to_string(), p.as_bytes().to_vec()))
            .collect();
        assert_eq!(got, want);
        let w = Walk::new(&Host::live(), "/a/b/../c/./d").unwrap();
        assert_eq!(w.full.as_bytes(), b"/a/c/d");
        assert_eq!(w.last_shown(), "/a/c/d");
        let fx = prefixes(&Host::fixture("/fx/"), "/x/y");
        assert_eq!(fx[1], ("/x/y".to_string(), b"/fx/x/y".to_vec()));
        assert_eq!(
            Walk::new(&Host::fixture("/fx"), "/")
                .unwrap()
                .full
                .as_bytes(),
            b"/fx/"
        );
    }

    #[test]
    fn a_path_of_60_kb_costs_memory_linear_in_its_length() {
        let long = format!("/nonexistent-bwd{}", "/a".repeat(30_000));
        let w = Walk::new(&Host::live(), &long).unwrap();
        assert_eq!(w.nodes.len(), 30_001);
        assert_eq!(w.full.as_bytes().len(), long.len());
        // Prefixes beyond PATH_MAX are not spelled out: the kernel refuses
        // them (ENAMETOOLONG), and so does the walk, at the first one.
        let mut buf = [0u8; sysfs::PREFIX_CAP];
        assert!(w.spell_real(100, &mut buf));
        assert!(!w.spell_real(30_000, &mut buf));
        assert_eq!(
            sysfs::first_symlink(&w.prefixes(), None),
            Ok(Step::Error(0, libc::ENOENT))
        );
    }
}
