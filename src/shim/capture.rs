//! Reading bwrap's own words back after it failed while setting up, without
//! ever standing between the sandbox and the caller's stderr.
//!
//! | the caller's fd 2                         | how bwrap's message is learned          |
//! |-------------------------------------------|-----------------------------------------|
//! | a pipe of its own (relayed, see `plan`)   | the relay's tail                        |
//! | a regular file                            | read back from where bwrap began writing |
//! | a terminal, a socket, a device, `2>&1 \|` | the setup repeated (`replay`)           |
//!
//! Whose failure it is comes from `status` where bwrap can say (0.3.2+);
//! elsewhere a relayed or read-back tail must end in a bwrap message, and a
//! replay must fail before the program would run.

use super::args::RawArgs;
use super::locate::RealBwrap;
use super::marker::FileKind;
use super::plan::{Direct, Plan};
use super::replay::{self, Replayed};
use super::status::Setup;
use crate::bwrap_args::{self, ArgKind};
use crate::diagnose::bwrap_messages;
use std::os::fd::RawFd;

/// What is known of a failed run when the shim looks back at it.
pub struct Run<'a> {
    pub plan: Plan,
    /// `None`: bwrap could not say whether the program ran.
    pub setup: Option<Setup>,
    /// The relay's tail, when relaying.
    pub relayed: &'a [u8],
    pub bwrap: &'a RealBwrap,
    pub args: &'a RawArgs,
}

/// What the shim learned.
#[derive(Debug, PartialEq, Eq)]
pub enum Said {
    /// Nothing of bwrap's to explain.
    Nothing,
    /// bwrap's stderr, to explain.
    Message(Vec<u8>),
    /// One line for the user instead of a diagnosis.
    Note(String),
}

pub fn bwrap_said(run: &Run) -> Said {
    match run.plan {
        Plan::Relay => message_in(run.relayed),
        Plan::Direct(Direct::File { start, append }) => match read_back(start, append) {
            Some(text) if !bwrap_messages(&text).is_empty() => Said::Message(text),
            _ => repeat(run),
        },
        Plan::Direct(Direct::Opaque) => repeat(run),
    }
}

fn message_in(text: &[u8]) -> Said {
    if bwrap_messages(text).is_empty() {
        Said::Nothing
    } else {
        Said::Message(text.to_vec())
    }
}

/// The bytes bwrap (and anyone else) appended to the caller's file since
/// `start`, at most the last [`super::relay::TAIL_BYTES`].
fn read_back(start: u64, append: bool) -> Option<Vec<u8>> {
    let end = super::plan::file_end(append);
    if end <= start {
        return None;
    }
    let from = start.max(end.saturating_sub(super::relay::TAIL_BYTES as u64));
    let mut buf = vec![0u8; (end - from) as usize];
    // fd 2 is usually open for writing only: read through a new open file.
    let file = std::fs::File::open("/proc/self/fd/2").ok()?;
    let n = std::os::unix::fs::FileExt::read_at(&file, &mut buf, from).ok()?;
    buf.truncate(n);
    Some(buf)
}

/// Repeat the setup to hear what bwrap says.
fn repeat(run: &Run) -> Said {
    if run.bwrap.kind != FileKind::Elf {
        // A wrapper script could do anything a second time.
        return Said::Nothing;
    }
    let argv0 = run.args.get(0).unwrap_or(b"bwrap");
    let operands: Vec<&[u8]> = run.args.operands().collect();
    match replay::replay(&run.bwrap.path, argv0, &operands) {
        Replayed::Failed(text) => Said::Message(text),
        // Setup goes through: the program's own failure, unless bwrap said
        // setup failed — then it failed at its very last step, starting
        // the program, which the replay does not repeat.
        Replayed::SetupCompletes if run.setup == Some(Setup::Failed) => {
            match replay::exec(&run.bwrap.path, argv0, &operands) {
                Replayed::Failed(text) => Said::Message(text),
                _ => Said::Note(format!(
                    "bwrap prepared everything but could not start {} (bwrap's own line above says why); to have that line explained, run: bwrap-doctor explain, and paste it",
                    program(&operands)
                )),
            }
        }
        Replayed::SetupCompletes => Said::Nothing,
        Replayed::Inconclusive(why) if run.setup == Some(Setup::Failed) => Said::Note(format!(
            "bwrap stopped before starting the program, and its message could not be read back to explain it: {why}; to have bwrap's line above explained, run: bwrap-doctor explain, and paste it"
        )),
        Replayed::Inconclusive(_) => Said::Nothing,
    }
}

/// The program the call asked for, for a message.
fn program(operands: &[&[u8]]) -> String {
    let parsed = bwrap_args::parse(operands, &|_| None);
    parsed
        .command
        .first()
        .map_or_else(|| "the program".into(), |c| format!("`{c}`"))
}

/// The caller's fds a replay would need again, to keep open after bwrap
/// has started: files behind options bwrap reads (`--args`, `--file`,
/// `--seccomp`…), namespace fds and `O_PATH` directories. Never pipes,
/// sockets or terminals, whose end of file the caller may be waiting for.
pub fn fds_to_repeat(args: &RawArgs, regular_args_fds: &[RawFd]) -> Vec<RawFd> {
    const FD_OPTIONS: &[&[u8]] = &[
        b"--args",
        b"--file",
        b"--bind-data",
        b"--ro-bind-data",
        b"--seccomp",
        b"--add-seccomp-fd",
        b"--userns",
        b"--userns2",
        b"--pidns",
        b"--bind-fd",
        b"--ro-bind-fd",
    ];
    if !args.operands().any(|o| FD_OPTIONS.contains(&o)) {
        return Vec::new();
    }
    let operands: Vec<&[u8]> = args.operands().collect();
    let parsed = bwrap_args::parse(&operands, &|fd| {
        regular_args_fds
            .contains(&fd)
            .then(|| super::read_file_fd(fd))
    });
    let mut fds: Vec<RawFd> = regular_args_fds.to_vec();
    for op in &parsed.ops {
        let Some(spec) = bwrap_args::spec(&op.name) else {
            continue;
        };
        for (kind, arg) in spec.args.iter().zip(&op.args) {
            if matches!(kind, ArgKind::FdRead | ArgKind::FdNs | ArgKind::FdPath)
                && let Ok(fd) = arg.trim().parse::<RawFd>()
                && fd > 2
                && can_be_kept(fd)
            {
                fds.push(fd);
            }
        }
    }
    fds.sort_unstable();
    fds.dedup();
    fds
}

fn can_be_kept(fd: RawFd) -> bool {
    let mut st = std::mem::MaybeUninit::<libc::stat>::zeroed();
    // SAFETY: fstat into our buffer.
    if unsafe { libc::fstat(fd, st.as_mut_ptr()) } != 0 {
        return false;
    }
    // SAFETY: fstat succeeded.
    let fmt = unsafe { st.assume_init() }.st_mode & libc::S_IFMT;
    !matches!(fmt, libc::S_IFIFO | libc::S_IFSOCK | libc::S_IFCHR)
}
