//! Reading bwrap's own words back after it failed while setting up, without
//! ever standing between the sandbox and the caller's stderr.
//!
//! | the caller's fd 2                      | how bwrap's message is learned            |
//! |----------------------------------------|-------------------------------------------|
//! | a regular file                         | read back from where bwrap began writing  |
//! | a terminal, a pipe, a socket, a device | the setup repeated (`replay`)             |
//!
//! Whose failure it is comes from `status` where bwrap can say (0.3.2+);
//! elsewhere a read-back tail must hold a bwrap message and a replay must
//! fail before the program would run.

use super::locate::RealBwrap;
use super::plan::Stderr;
use super::replay::{self, Replayed};
use super::status::Setup;
use crate::sys::argv::RawArgs;
use bwrap_doctor_engine::bwrap_args::{self, ArgKind};
use bwrap_doctor_engine::diagnose::bwrap_messages;
use bwrap_doctor_engine::marker::FileKind;
use std::os::fd::RawFd;

/// What is known of a failed run when the shim looks back at it.
pub struct Run<'a> {
    pub stderr: Stderr,
    pub fds: &'a replay::Fds,
    /// `None`: bwrap could not say whether the program ran.
    pub setup: Option<Setup>,
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
    match run.stderr {
        Stderr::File { start, append } => match read_back(start, append) {
            Some(text) if !bwrap_messages(&text).is_empty() => Said::Message(text),
            _ => repeat(run),
        },
        Stderr::Opaque => repeat(run),
    }
}

/// How much of the end of bwrap's stderr is kept for matching its messages.
pub const TAIL_BYTES: usize = 64 * 1024;

/// The bytes bwrap (and anyone else) appended to the caller's file since
/// `start`, at most the last [`TAIL_BYTES`].
fn read_back(start: u64, append: bool) -> Option<Vec<u8>> {
    let end = super::plan::file_end(append);
    if end <= start {
        return None;
    }
    let from = start.max(end.saturating_sub(TAIL_BYTES as u64));
    let mut buf = vec![0u8; (end - from) as usize];
    // fd 2 is usually open for writing only: read through a new open file.
    let file = std::fs::File::open("/proc/self/fd/2").ok()?;
    let n = std::os::unix::fs::FileExt::read_at(&file, &mut buf, from).ok()?;
    buf.truncate(n);
    Some(buf)
}

/// Repeat the setup to hear what bwrap says.
fn repeat(run: &Run) -> Said {
    if matches!(run.bwrap.kind, FileKind::Script | FileKind::Shim) {
        // A wrapper script could do anything a second time.
        return Said::Nothing;
    }
    let argv0 = run.args.get(0).unwrap_or(b"bwrap");
    let operands: Vec<&[u8]> = run.args.operands().collect();
    match replay::replay(&run.bwrap.path, argv0, &operands, run.fds) {
        Replayed::Failed(text) => Said::Message(text),
        // Setup goes through: the program's own failure, unless bwrap said
        // setup failed — then it failed at its very last step, starting
        // the program, which the replay does not repeat.
        Replayed::SetupCompletes if run.setup == Some(Setup::Failed) => {
            match replay::exec(&run.bwrap.path, argv0, &operands, run.fds) {
                Replayed::Failed(text) => Said::Message(text),
                _ => Said::Note(format!(
                    "bwrap prepared everything but could not start {} (bwrap's own line above says why); to have that line explained, run: bwrap-doctor explain, and paste it",
                    program(&operands)
                )),
            }
        }
        Replayed::SetupCompletes => Said::Nothing,
        Replayed::Unrepeatable(why) if run.setup == Some(Setup::Failed) => Said::Note(format!(
            "bwrap stopped before starting the program, and its message could not be read back to explain it: {why}; to have bwrap's line above explained, run: bwrap-doctor explain, and paste it"
        )),
        // A usage error, a setup that hung, or no word of bwrap's: nothing
        // to add to what bwrap said.
        Replayed::Unrepeatable(_) | Replayed::Inconclusive(_) => Said::Nothing,
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

/// The fds a call names, looked at before the shim opens any of its own.
#[derive(Debug, Default)]
pub struct CallersFds {
    /// `--args` fds that are regular files (read back with pread).
    pub regular_args: Vec<RawFd>,
    /// To keep open after bwrap has started, for a replay: files behind
    /// options bwrap reads (`--args`, `--file`, `--seccomp`…), namespace
    /// fds and `O_PATH` directories. Never pipes, sockets or terminals,
    /// whose end of file the caller may be waiting for.
    pub keep: Vec<RawFd>,
    pub replay: replay::Fds,
    /// The call passes `--json-status-fd` itself, or has arguments behind a
    /// pipe that might: the shim must not add its own (bwrap keeps the last,
    /// and 0.11+ warns about a repeat).
    pub own_status_fd: bool,
}

pub fn callers_fds(args: &RawArgs) -> CallersFds {
    let mut fds = CallersFds::default();
    // The quick look first: most calls name no fd at all.
    if !args
        .operands()
        .any(|o| o.ends_with(b"-fd") || FD_OPTIONS.contains(&o))
    {
        return fds;
    }
    let operands: Vec<&[u8]> = args.operands().collect();
    for w in operands.windows(2) {
        if w[0] == b"--args"
            && let Some(fd) = number(w[1])
            && super::is_regular_file(fd)
        {
            fds.regular_args.push(fd);
        }
    }
    let parsed = bwrap_args::parse(&operands, &|fd| {
        fds.regular_args
            .contains(&fd)
            .then(|| super::read_file_fd(fd))
    });
    fds.own_status_fd = parsed.has("--json-status-fd") || !parsed.unread_args_fds.is_empty();
    let named = parsed.ops.iter().flat_map(|op| {
        let kinds = bwrap_args::spec(&op.name).map_or(&[][..], |s| s.args);
        kinds.iter().zip(&op.args).filter_map(|(kind, arg)| {
            let fd = number(arg.trim().as_bytes())?;
            is_fd_kind(*kind).then_some((*kind, fd))
        })
    });
    for (kind, fd) in named.collect::<Vec<_>>() {
        fds.replay.avoid.push(fd);
        match kind_of(fd) {
            None => fds.replay.closed.push(fd),
            Some(fmt) if keepable(kind, fmt) => fds.keep.push(fd),
            Some(_) => {}
        }
    }
    fds.keep.extend(&fds.regular_args);
    for v in [&mut fds.keep, &mut fds.replay.avoid, &mut fds.replay.closed] {
        v.sort_unstable();
        v.dedup();
    }
    fds
}

const FD_OPTIONS: &[&[u8]] = &[
    b"--args",
    b"--file",
    b"--bind-data",
    b"--ro-bind-data",
    b"--seccomp",
    b"--userns",
    b"--userns2",
    b"--pidns",
];

fn number(s: &[u8]) -> Option<RawFd> {
    std::str::from_utf8(s).ok()?.parse::<RawFd>().ok()
}

fn is_fd_kind(kind: ArgKind) -> bool {
    matches!(
        kind,
        ArgKind::FdRead
            | ArgKind::FdRead1
            | ArgKind::FdWrite
            | ArgKind::FdHold
            | ArgKind::FdNs
            | ArgKind::FdPath
    )
}

fn keepable(kind: ArgKind, fmt: libc::mode_t) -> bool {
    matches!(kind, ArgKind::FdRead | ArgKind::FdNs | ArgKind::FdPath)
        && !matches!(fmt, libc::S_IFIFO | libc::S_IFSOCK | libc::S_IFCHR)
}

/// The file type behind an open fd; `None` when it is not open.
fn kind_of(fd: RawFd) -> Option<libc::mode_t> {
    crate::sys::fd::fstat(fd).map(|st| st.st_mode & libc::S_IFMT)
}
