//! A tiny seccomp-BPF builder: make chosen syscalls fail with a chosen errno,
//! to produce real failures in bwrap (and in the shim) without Python.

/// A syscall that fails, optionally only when an argument matches.
#[derive(Clone, Copy, Debug)]
pub struct Deny {
    pub nr: i64,
    pub errno: i32,
    pub arg: Option<(usize, ArgTest)>,
}

#[derive(Clone, Copy, Debug)]
pub enum ArgTest {
    /// The low 32 bits have any of these bits set.
    AnyBits(u32),
    /// The low 32 bits equal this value.
    Equals(u32),
}

impl Deny {
    pub fn syscall(nr: i64, errno: i32) -> Deny {
        Deny {
            nr,
            errno,
            arg: None,
        }
    }
    pub fn when(mut self, arg: usize, test: ArgTest) -> Deny {
        self.arg = Some((arg, test));
        self
    }
}

const AUDIT_ARCH_X86_64: u32 = 0xc000_003e;
const RET_ALLOW: u32 = 0x7fff_0000;
const RET_ERRNO: u32 = 0x0005_0000;

fn stmt(code: u16, k: u32) -> libc::sock_filter {
    libc::sock_filter {
        code,
        jt: 0,
        jf: 0,
        k,
    }
}
fn jump(code: u16, k: u32, jt: u8, jf: u8) -> libc::sock_filter {
    libc::sock_filter { code, jt, jf, k }
}

const LD_W_ABS: u16 = (libc::BPF_LD | libc::BPF_W | libc::BPF_ABS) as u16;
const JEQ_K: u16 = (libc::BPF_JMP | libc::BPF_JEQ | libc::BPF_K) as u16;
const JSET_K: u16 = (libc::BPF_JMP | libc::BPF_JSET | libc::BPF_K) as u16;
const RET_K: u16 = (libc::BPF_RET | libc::BPF_K) as u16;

pub fn program(rules: &[Deny]) -> Vec<libc::sock_filter> {
    let mut body = Vec::new();
    for r in rules {
        match r.arg {
            None => {
                body.push(stmt(LD_W_ABS, 0));
                body.push(jump(JEQ_K, r.nr as u32, 0, 1));
                body.push(stmt(RET_K, RET_ERRNO | r.errno as u32));
            }
            Some((i, test)) => {
                body.push(stmt(LD_W_ABS, 0));
                body.push(jump(JEQ_K, r.nr as u32, 0, 3));
                body.push(stmt(LD_W_ABS, 16 + 8 * i as u32));
                body.push(match test {
                    ArgTest::AnyBits(m) => jump(JSET_K, m, 0, 1),
                    ArgTest::Equals(v) => jump(JEQ_K, v, 0, 1),
                });
                body.push(stmt(RET_K, RET_ERRNO | r.errno as u32));
            }
        }
    }
    let mut prog = vec![
        stmt(LD_W_ABS, 4),
        jump(JEQ_K, AUDIT_ARCH_X86_64, 0, body.len() as u8),
    ];
    prog.extend(body);
    prog.push(stmt(RET_K, RET_ALLOW));
    prog
}

/// Install the filter on the calling thread (use from `pre_exec`).
pub fn install(prog: &[libc::sock_filter]) -> std::io::Result<()> {
    let fprog = libc::sock_fprog {
        len: prog.len() as u16,
        filter: prog.as_ptr() as *mut _,
    };
    // SAFETY: a valid program; no_new_privs is required for unprivileged use.
    unsafe {
        if libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0
            || libc::prctl(
                libc::PR_SET_SECCOMP,
                libc::SECCOMP_MODE_FILTER,
                &fprog as *const libc::sock_fprog,
            ) != 0
        {
            return Err(std::io::Error::last_os_error());
        }
    }
    Ok(())
}

/// A filter like a container's: creating a user namespace fails with
/// EPERM (clone3 answers ENOSYS so that callers fall back to clone).
pub fn deny_userns() -> Vec<Deny> {
    let user = libc::CLONE_NEWUSER as u32;
    vec![
        Deny::syscall(libc::SYS_clone, libc::EPERM).when(0, ArgTest::AnyBits(user)),
        Deny::syscall(libc::SYS_unshare, libc::EPERM).when(0, ArgTest::AnyBits(user)),
        Deny::syscall(libc::SYS_clone3, libc::ENOSYS),
    ]
}

/// bwrap's loopback setup refused: sendto with a sockaddr_nl (addrlen 12)
/// fails with EPERM (hostlab 4a).
pub fn deny_loopback() -> Deny {
    Deny::syscall(libc::SYS_sendto, libc::EPERM).when(5, ArgTest::Equals(12))
}

/// Add the filter to a command (installed in the child just before exec).
pub fn apply(cmd: &mut std::process::Command, rules: &[Deny]) {
    use std::os::unix::process::CommandExt;
    if !cfg!(target_arch = "x86_64") {
        super::skip("the test seccomp filters are written for x86_64");
    }
    let prog = program(rules);
    // SAFETY: prctl calls only, on the child.
    unsafe { cmd.pre_exec(move || install(&prog)) };
}
