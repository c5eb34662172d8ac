//! rtnetlink messages, built and read by hand (as bwrap's network.c does),
//! in the host's byte order: netlink headers and attributes are C structs the
//! kernel reads natively (big-endian on s390x, ppc64, …).

use nix::errno::Errno;
use std::os::fd::{AsRawFd, BorrowedFd};

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
#[must_use]
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
#[must_use]
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
#[must_use]
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
    msg.get(8..12)
        .map_or(0, |s| u32::from_ne_bytes([s[0], s[1], s[2], s[3]]))
}

/// Send a request to the kernel on a `NETLINK_ROUTE` socket and wait for
/// its answer; the errno on failure. Async-signal-safe (stack buffers, raw
/// syscalls): it runs in the experiment's forked child.
pub fn request(fd: BorrowedFd<'_>, msg: &[u8]) -> Result<(), i32> {
    // SAFETY: a zeroed sockaddr_nl is valid; the family is set below.
    let mut dst: libc::sockaddr_nl = unsafe { std::mem::zeroed() };
    dst.nl_family = libc::AF_NETLINK as libc::sa_family_t;
    // SAFETY: sendto from a valid buffer to a valid sockaddr_nl (12 bytes,
    // as bwrap passes it).
    let sent = unsafe {
        libc::sendto(
            fd.as_raw_fd(),
            msg.as_ptr().cast(),
            msg.len(),
            0,
            (&raw const dst).cast(),
            std::mem::size_of::<libc::sockaddr_nl>() as libc::socklen_t,
        )
    };
    if sent < 0 {
        return Err(Errno::last_raw());
    }
    let seq = seq_of(msg);
    let mut buf = [0u8; 8192];
    loop {
        // SAFETY: recv writes at most `buf.len()` bytes into the stack buffer.
        let n = unsafe { libc::recv(fd.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len(), 0) };
        let Ok(n) = usize::try_from(n) else {
            let e = Errno::last_raw();
            if e == libc::EINTR {
                continue;
            }
            return Err(e);
        };
        match answer(&buf[..n], seq) {
            Some(0) => return Ok(()),
            Some(e) => return Err(e),
            None => {}
        }
    }
}

#[cfg(test)]
mod tests {
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
}
