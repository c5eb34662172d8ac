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

use super::{Host, forked};
use crate::facts::Obs;
use crate::probe::Facts;
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
/// allocate).
struct Plan {
    unshare: libc::c_int,
    unshare_step: u8,
    /// `uid_map` and `gid_map` contents, when a user namespace is made.
    maps: Option<(Vec<u8>, Vec<u8>)>,
    /// `RTM_NEWADDR` and `RTM_NEWLINK` requests.
    loopback: Option<(Vec<u8>, Vec<u8>)>,
    proc_mount: bool,
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
    fn encode(self) -> [u8; 5] {
        let e = self.errno.to_le_bytes();
        [self.step, e[0], e[1], e[2], e[3]]
    }
    fn decode(b: &[u8]) -> Option<Outcome> {
        Some(Outcome {
            step: *b.first()?,
            errno: i32::from_le_bytes(b.get(1..5)?.try_into().ok()?),
        })
    }
}

pub fn observe(host: &Host, facts: &Facts, key: &str) -> Obs {
    if !host.is_live() {
        return Obs::unavailable("experiments run only on the live host");
    }
    let userns = wants_userns(facts);
    let plan = match key {
        "experiment.userns" => Plan {
            unshare: libc::CLONE_NEWUSER,
            unshare_step: UNSHARE_USER,
            maps: Some(own_maps()),
            loopback: None,
            proc_mount: false,
        },
        "experiment.netns" => Plan {
            unshare: libc::CLONE_NEWNET | if userns { libc::CLONE_NEWUSER } else { 0 },
            unshare_step: if userns {
                UNSHARE_USER_NET
            } else {
                UNSHARE_NET
            },
            maps: userns.then(own_maps),
            loopback: Some((
                netlink::newaddr_loopback(1, netlink::LOOPBACK_IFINDEX),
                netlink::newlink_up(2, netlink::LOOPBACK_IFINDEX),
            )),
            proc_mount: false,
        },
        "experiment.proc_mount" => Plan {
            unshare: libc::CLONE_NEWNS
                | libc::CLONE_NEWPID
                | if userns { libc::CLONE_NEWUSER } else { 0 },
            unshare_step: if userns {
                UNSHARE_USER_NS_PID
            } else {
                UNSHARE_NS_PID
            },
            maps: userns.then(own_maps),
            loopback: None,
            proc_mount: true,
        },
        _ => return Obs::unavailable(format!("no probe named {key}")),
    };
    let what = key.trim_start_matches("experiment.");
    let plan = &plan;
    // SAFETY: `child` makes only raw syscalls on prepared buffers and does
    // not allocate (see its comment).
    let got = unsafe {
        forked::run(host.limit, |out| {
            out.push(&child(plan).encode());
        })
    };
    match got {
        Ok(bytes) => match Outcome::decode(&bytes) {
            Some(o) => report(o),
            None => Obs::unavailable(format!("experiment {what}: garbled answer")),
        },
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
    // SAFETY: getuid/getgid have no side effects.
    let (uid, gid) = unsafe { (libc::getuid(), libc::getgid()) };
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

/// Write a whole (small) file; the errno on failure. Async-signal-safe.
fn write_file(path: &std::ffi::CStr, content: &[u8]) -> Result<(), i32> {
    // SAFETY: open/write/close on a NUL-terminated path and a valid buffer.
    unsafe {
        let fd = libc::open(path.as_ptr(), libc::O_WRONLY | libc::O_CLOEXEC);
        if fd < 0 {
            return Err(super::forked::errno());
        }
        let n = libc::write(fd, content.as_ptr().cast(), content.len());
        let e = super::forked::errno();
        libc::close(fd);
        if n < 0 {
            return Err(e);
        }
        if n as usize != content.len() {
            return Err(libc::EIO);
        }
    }
    Ok(())
}

/// The experiment itself, in the forked child. Only raw syscalls on
/// buffers prepared by the parent: no allocation, no locks.
fn child(plan: &Plan) -> Outcome {
    let fail = |step: u8, errno: i32| Outcome { step, errno };
    // SAFETY: unshare changes only this (forked, single-threaded) process.
    if unsafe { libc::unshare(plan.unshare) } != 0 {
        return fail(plan.unshare_step, super::forked::errno());
    }
    if let Some((uid_map, gid_map)) = &plan.maps {
        if let Err(e) = write_file(c"/proc/self/uid_map", uid_map) {
            return fail(UID_MAP, e);
        }
        match write_file(c"/proc/self/setgroups", b"deny\n") {
            Ok(()) | Err(libc::ENOENT) => {} // kernels before 3.19 have none
            Err(e) => return fail(SETGROUPS, e),
        }
        if let Err(e) = write_file(c"/proc/self/gid_map", gid_map) {
            return fail(GID_MAP, e);
        }
    }
    if let Some((newaddr, newlink)) = &plan.loopback
        && let Err((step, e)) = loopback(newaddr, newlink)
    {
        return fail(step, e);
    }
    if plan.proc_mount {
        return mount_proc_as_pid1();
    }
    Outcome::OK
}

/// bwrap's `loopback_setup`: one rtnetlink request after the other, each
/// answered by an ACK or an error.
fn loopback(newaddr: &[u8], newlink: &[u8]) -> Result<(), (u8, i32)> {
    // SAFETY: a new socket owned by this function, closed below.
    let fd = unsafe {
        libc::socket(
            libc::AF_NETLINK,
            libc::SOCK_RAW | libc::SOCK_CLOEXEC,
            libc::NETLINK_ROUTE,
        )
    };
    if fd < 0 {
        return Err((NL_SOCKET, super::forked::errno()));
    }
    let r = netlink::request(fd, newaddr)
        .map_err(|e| (NL_NEWADDR, e))
        .and_then(|()| netlink::request(fd, newlink).map_err(|e| (NL_NEWLINK, e)));
    // SAFETY: closing our own socket.
    unsafe { libc::close(fd) };
    r
}

/// Fork pid 1 of the new pid namespace; it makes the mount tree private and
/// mounts a procfs over /proc, then answers through a pipe.
fn mount_proc_as_pid1() -> Outcome {
    let mut p = [0 as libc::c_int; 2];
    // SAFETY: pipe2 fills the array.
    if unsafe { libc::pipe2(p.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
        return Outcome {
            step: PID1_FORK,
            errno: super::forked::errno(),
        };
    }
    // SAFETY: we are the single-threaded experiment child; the grandchild
    // makes only raw syscalls and _exits.
    let pid = unsafe { libc::fork() };
    if pid < 0 {
        return Outcome {
            step: PID1_FORK,
            errno: super::forked::errno(),
        };
    }
    if pid == 0 {
        // SAFETY: raw syscalls in the grandchild (pid 1 of the new pid
        // namespace), then _exit.
        unsafe {
            libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
            let o = if libc::mount(
                std::ptr::null(),
                c"/".as_ptr(),
                std::ptr::null(),
                libc::MS_REC | libc::MS_PRIVATE,
                std::ptr::null(),
            ) != 0
            {
                Outcome {
                    step: MAKE_PRIVATE,
                    errno: super::forked::errno(),
                }
            } else if libc::mount(
                c"proc".as_ptr(),
                c"/proc".as_ptr(),
                c"proc".as_ptr(),
                libc::MS_NOSUID | libc::MS_NODEV | libc::MS_NOEXEC,
                std::ptr::null(),
            ) != 0
            {
                Outcome {
                    step: MOUNT_PROC,
                    errno: super::forked::errno(),
                }
            } else {
                Outcome::OK
            };
            let b = o.encode();
            libc::write(p[1], b.as_ptr().cast(), b.len());
            libc::_exit(0);
        }
    }
    let mut b = [0u8; 5];
    // SAFETY: closing our copy of the write end, reading the answer into a
    // stack buffer, reaping the grandchild.
    unsafe {
        libc::close(p[1]);
        let mut got = 0usize;
        while got < b.len() {
            let n = libc::read(p[0], b[got..].as_mut_ptr().cast(), b.len() - got);
            if n < 0 && super::forked::errno() == libc::EINTR {
                continue;
            }
            if n <= 0 {
                break;
            }
            got += n as usize;
        }
        libc::close(p[0]);
        let mut status = 0;
        libc::waitpid(pid, &mut status, 0);
        if got < b.len() {
            return Outcome {
                step: PID1_SILENT,
                errno: 0,
            };
        }
    }
    Outcome::decode(&b).unwrap_or(Outcome {
        step: PID1_SILENT,
        errno: 0,
    })
}

/// rtnetlink messages, built and read by hand (as bwrap's network.c does),
/// in the host's byte order: netlink headers and attributes are C structs the
/// kernel reads natively (big-endian on s390x, ppc64, …).
pub mod netlink {
    /// The loopback device is always ifindex 1 in a new network namespace
    /// (`LOOPBACK_IFINDEX` in the kernel).
    pub const LOOPBACK_IFINDEX: i32 = 1;
    const NLMSG_HDRLEN: usize = 16;
    const NLMSG_ERROR: u16 = libc::NLMSG_ERROR as u16;
    const NLMSG_DONE: u16 = libc::NLMSG_DONE as u16;

    fn align4(n: usize) -> usize {
        (n + 3) & !3
    }

    /// A request: header, fixed part, attributes (type, data).
    fn message(kind: u16, flags: u16, seq: u32, fixed: &[u8], attrs: &[(u16, &[u8])]) -> Vec<u8> {
        let mut body = fixed.to_vec();
        body.resize(align4(body.len()), 0);
        for (t, data) in attrs {
            let len = 4 + data.len();
            body.extend((len as u16).to_ne_bytes());
            body.extend(t.to_ne_bytes());
            body.extend_from_slice(data);
            body.resize(align4(body.len()), 0);
        }
        let total = NLMSG_HDRLEN + body.len();
        let mut m = Vec::with_capacity(total);
        m.extend((total as u32).to_ne_bytes());
        m.extend(kind.to_ne_bytes());
        m.extend((flags | libc::NLM_F_REQUEST as u16).to_ne_bytes());
        m.extend(seq.to_ne_bytes());
        m.extend(0u32.to_ne_bytes()); // nlmsg_pid: the kernel
        m.extend(body);
        m
    }

    /// `RTM_NEWADDR` 127.0.0.1/8 (`IFA_LOCAL` and `IFA_ADDRESS`), permanent, host
    /// scope, on `ifindex`; create, exclusive, acknowledged.
    pub fn newaddr_loopback(seq: u32, ifindex: i32) -> Vec<u8> {
        let mut ifa = vec![
            libc::AF_INET as u8,
            8,
            libc::IFA_F_PERMANENT as u8,
            libc::RT_SCOPE_HOST,
        ];
        ifa.extend(ifindex.to_ne_bytes());
        let lo = [127u8, 0, 0, 1];
        message(
            libc::RTM_NEWADDR,
            (libc::NLM_F_CREATE | libc::NLM_F_EXCL | libc::NLM_F_ACK) as u16,
            seq,
            &ifa,
            &[(libc::IFA_LOCAL, &lo), (libc::IFA_ADDRESS, &lo)],
        )
    }

    /// `RTM_NEWLINK` setting `IFF_UP` on `ifindex`, acknowledged.
    pub fn newlink_up(seq: u32, ifindex: i32) -> Vec<u8> {
        let mut ifi = vec![libc::AF_UNSPEC as u8, 0];
        ifi.extend(0u16.to_ne_bytes()); // ifi_type
        ifi.extend(ifindex.to_ne_bytes());
        ifi.extend((libc::IFF_UP as u32).to_ne_bytes()); // ifi_flags
        ifi.extend((libc::IFF_UP as u32).to_ne_bytes()); // ifi_change
        message(libc::RTM_NEWLINK, libc::NLM_F_ACK as u16, seq, &ifi, &[])
    }

    /// The answer to request `seq` in a batch of messages: `Some(0)` for an
    /// ACK, `Some(errno)` for an error, `None` if it is not in this batch.
    pub fn answer(buf: &[u8], seq: u32) -> Option<i32> {
        let mut off = 0;
        while off + NLMSG_HDRLEN <= buf.len() {
            let h = &buf[off..];
            let len = u32::from_ne_bytes([h[0], h[1], h[2], h[3]]) as usize;
            let kind = u16::from_ne_bytes([h[4], h[5]]);
            let mseq = u32::from_ne_bytes([h[8], h[9], h[10], h[11]]);
            if len < NLMSG_HDRLEN || off + len > buf.len() {
                return Some(libc::EPROTO);
            }
            if mseq == seq {
                match kind {
                    NLMSG_ERROR if len >= NLMSG_HDRLEN + 4 => {
                        let e = i32::from_ne_bytes([h[16], h[17], h[18], h[19]]);
                        return Some(-e);
                    }
                    NLMSG_DONE => return Some(0),
                    _ => {}
                }
            }
            off += align4(len);
        }
        None
    }

    /// The sequence number of a request built above.
    fn seq_of(msg: &[u8]) -> u32 {
        u32::from_ne_bytes([msg[8], msg[9], msg[10], msg[11]])
    }

    /// Send a request to the kernel and wait for its answer; the errno on
    /// failure. Async-signal-safe (stack buffers, raw syscalls).
    pub fn request(fd: libc::c_int, msg: &[u8]) -> Result<(), i32> {
        // SAFETY: a zeroed sockaddr_nl is valid; the family is set below.
        let mut dst: libc::sockaddr_nl = unsafe { std::mem::zeroed() };
        dst.nl_family = libc::AF_NETLINK as libc::sa_family_t;
        // SAFETY: sendto from a valid buffer to a valid sockaddr_nl (12
        // bytes, as bwrap passes it).
        let sent = unsafe {
            libc::sendto(
                fd,
                msg.as_ptr().cast(),
                msg.len(),
                0,
                (&dst as *const libc::sockaddr_nl).cast(),
                std::mem::size_of::<libc::sockaddr_nl>() as libc::socklen_t,
            )
        };
        if sent < 0 {
            return Err(super::super::forked::errno());
        }
        let seq = seq_of(msg);
        let mut buf = [0u8; 8192];
        loop {
            // SAFETY: recv into a stack buffer of the given size.
            let n = unsafe { libc::recv(fd, buf.as_mut_ptr().cast(), buf.len(), 0) };
            if n < 0 {
                let e = super::super::forked::errno();
                if e == libc::EINTR {
                    continue;
                }
                return Err(e);
            }
            match answer(&buf[..n as usize], seq) {
                Some(0) => return Ok(()),
                Some(e) => return Err(e),
                None => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::netlink::*;
    use super::*;

    #[test]
    fn netlink_newaddr_matches_bwraps_request() {
        let m = newaddr_loopback(7, 1);
        // header 16 + ifaddrmsg 8 + two 8-byte attributes
        assert_eq!(m.len(), 40);
        assert_eq!(u32::from_ne_bytes(m[0..4].try_into().unwrap()), 40);
        assert_eq!(
            u16::from_ne_bytes(m[4..6].try_into().unwrap()),
            libc::RTM_NEWADDR
        );
        let flags = u16::from_ne_bytes(m[6..8].try_into().unwrap()) as i32;
        assert_eq!(
            flags,
            libc::NLM_F_REQUEST | libc::NLM_F_ACK | libc::NLM_F_CREATE | libc::NLM_F_EXCL
        );
        assert_eq!(u32::from_ne_bytes(m[8..12].try_into().unwrap()), 7);
        // ifaddrmsg: AF_INET, /8, IFA_F_PERMANENT, RT_SCOPE_HOST, ifindex 1
        assert_eq!(&m[16..20], &[2, 8, 0x80, 254]);
        assert_eq!(i32::from_ne_bytes(m[20..24].try_into().unwrap()), 1);
        // IFA_LOCAL then IFA_ADDRESS, each 127.0.0.1
        let attr = |at: usize| {
            (
                u16::from_ne_bytes(m[at..at + 2].try_into().unwrap()),
                u16::from_ne_bytes(m[at + 2..at + 4].try_into().unwrap()),
                &m[at + 4..at + 8],
            )
        };
        assert_eq!(attr(24), (8, libc::IFA_LOCAL, &[127u8, 0, 0, 1][..]));
        assert_eq!(attr(32), (8, libc::IFA_ADDRESS, &[127u8, 0, 0, 1][..]));
    }

    #[test]
    fn netlink_newlink_sets_iff_up() {
        let m = newlink_up(8, 1);
        assert_eq!(m.len(), 32);
        assert_eq!(
            u16::from_ne_bytes(m[4..6].try_into().unwrap()),
            libc::RTM_NEWLINK
        );
        let flags = u16::from_ne_bytes(m[6..8].try_into().unwrap()) as i32;
        assert_eq!(flags, libc::NLM_F_REQUEST | libc::NLM_F_ACK);
        assert_eq!(m[16], libc::AF_UNSPEC as u8);
        assert_eq!(i32::from_ne_bytes(m[20..24].try_into().unwrap()), 1);
        assert_eq!(u32::from_ne_bytes(m[24..28].try_into().unwrap()), 1); // flags
        assert_eq!(u32::from_ne_bytes(m[28..32].try_into().unwrap()), 1); // change
    }

    /// `T` read from `b` at `at` as the kernel reads it: a C struct in the
    /// host's byte order.
    fn c_struct<T: Copy>(b: &[u8], at: usize) -> T {
        assert!(at + std::mem::size_of::<T>() <= b.len(), "short message");
        // SAFETY: the bytes are in bounds (checked above) and every bit
        // pattern is valid for these plain integer structs.
        unsafe { std::ptr::read_unaligned(b[at..].as_ptr().cast::<T>()) }
    }

    /// The attributes after the fixed part, as (rta_len, rta_type, payload).
    fn rtattrs(m: &[u8], mut at: usize) -> Vec<(u16, u16, Vec<u8>)> {
        let mut v = Vec::new();
        while at < m.len() {
            let a: libc::rtattr = c_struct(m, at);
            let len = usize::from(a.rta_len);
            assert!(len >= 4 && at + len <= m.len(), "attribute overruns: {m:?}");
            v.push((a.rta_len, a.rta_type, m[at + 4..at + len].to_vec()));
            at += (len + 3) & !3;
        }
        v
    }

    #[test]
    fn netlink_requests_decode_as_the_kernels_c_structs_in_native_byte_order() {
        let hdr = std::mem::size_of::<libc::nlmsghdr>();
        assert_eq!(hdr, 16);

        let m = newaddr_loopback(0x0102_0304, 0x0506_0708);
        let h: libc::nlmsghdr = c_struct(&m, 0);
        assert_eq!(h.nlmsg_len as usize, m.len());
        assert_eq!(h.nlmsg_type, libc::RTM_NEWADDR);
        assert_eq!(
            i32::from(h.nlmsg_flags),
            libc::NLM_F_REQUEST | libc::NLM_F_ACK | libc::NLM_F_CREATE | libc::NLM_F_EXCL
        );
        assert_eq!(h.nlmsg_seq, 0x0102_0304);
        assert_eq!(h.nlmsg_pid, 0);
        let ifa: libc::ifaddrmsg = c_struct(&m, hdr);
        assert_eq!(i32::from(ifa.ifa_family), libc::AF_INET);
        assert_eq!(ifa.ifa_prefixlen, 8);
        assert_eq!(u32::from(ifa.ifa_flags), libc::IFA_F_PERMANENT);
        assert_eq!(ifa.ifa_scope, libc::RT_SCOPE_HOST);
        assert_eq!(ifa.ifa_index, 0x0506_0708);
        let lo = vec![127u8, 0, 0, 1];
        assert_eq!(
            rtattrs(&m, hdr + std::mem::size_of::<libc::ifaddrmsg>()),
            vec![(8, libc::IFA_LOCAL, lo.clone()), (8, libc::IFA_ADDRESS, lo)]
        );

        let m = newlink_up(0x0a0b_0c0d, 0x0102_0304);
        let h: libc::nlmsghdr = c_struct(&m, 0);
        assert_eq!(h.nlmsg_len as usize, m.len());
        assert_eq!(h.nlmsg_type, libc::RTM_NEWLINK);
        assert_eq!(
            i32::from(h.nlmsg_flags),
            libc::NLM_F_REQUEST | libc::NLM_F_ACK
        );
        assert_eq!(h.nlmsg_seq, 0x0a0b_0c0d);
        let ifi: libc::ifinfomsg = c_struct(&m, hdr);
        assert_eq!(i32::from(ifi.ifi_family), libc::AF_UNSPEC);
        assert_eq!(ifi.ifi_type, 0);
        assert_eq!(ifi.ifi_index, 0x0102_0304);
        assert_eq!(ifi.ifi_flags, libc::IFF_UP as u32);
        assert_eq!(ifi.ifi_change, libc::IFF_UP as u32);
        assert_eq!(m.len(), hdr + std::mem::size_of::<libc::ifinfomsg>());
        assert!(rtattrs(&m, m.len()).is_empty());

        // And an answer the kernel writes (struct nlmsgerr) is read back.
        let mut ack = Vec::new();
        let e = libc::nlmsghdr {
            nlmsg_len: 36,
            nlmsg_type: libc::NLMSG_ERROR as u16,
            nlmsg_flags: 0,
            nlmsg_seq: 0x0102_0304,
            nlmsg_pid: 0,
        };
        // SAFETY: viewing a plain C struct as its bytes.
        ack.extend_from_slice(unsafe {
            std::slice::from_raw_parts((&e as *const libc::nlmsghdr).cast::<u8>(), hdr)
        });
        ack.extend((-libc::EPERM).to_ne_bytes());
        ack.extend(&m[..16]);
        assert_eq!(answer(&ack, 0x0102_0304), Some(libc::EPERM));
    }

    fn error_msg(seq: u32, errno: i32) -> Vec<u8> {
        let mut m = Vec::new();
        m.extend(36u32.to_ne_bytes());
        m.extend(2u16.to_ne_bytes()); // NLMSG_ERROR
        m.extend(0u16.to_ne_bytes());
        m.extend(seq.to_ne_bytes());
        m.extend(0u32.to_ne_bytes());
        m.extend((-errno).to_ne_bytes());
        m.extend([0u8; 16]); // the start of the offending request
        m
    }

    #[test]
    fn netlink_error_answer_gives_the_true_errno() {
        assert_eq!(answer(&error_msg(1, libc::EPERM), 1), Some(libc::EPERM));
        assert_eq!(answer(&error_msg(1, 0), 1), Some(0));
        // Another request's answer first, then ours.
        let mut two = error_msg(5, libc::EEXIST);
        two.extend(error_msg(1, libc::EACCES));
        assert_eq!(answer(&two, 1), Some(libc::EACCES));
        assert_eq!(answer(&error_msg(5, 1), 1), None);
        // A header claiming to be shorter than itself.
        let mut short = error_msg(1, 0);
        short.truncate(16);
        short[0..4].copy_from_slice(&1u32.to_ne_bytes());
        assert_eq!(answer(&short, 1), Some(libc::EPROTO));
    }

    #[test]
    fn experiment_outcome_round_trips_and_names_errno() {
        let o = Outcome {
            step: MOUNT_PROC,
            errno: libc::EPERM,
        };
        assert_eq!(Outcome::decode(&o.encode()), Some(o));
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
