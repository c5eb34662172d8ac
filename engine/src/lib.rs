//! bwrap-doctor's diagnosis engine: why did bubblewrap (`bwrap`) fail, and
//! what to do about it.
//!
//! The `bwrap-doctor` program is a transparent `bwrap` shim and a command
//! line; this library is the engine under both, for tools that run bwrap
//! themselves and want to explain its failures in-process instead of
//! grepping its messages. Give [`explain`] bwrap's stderr (and, as far as
//! known, its arguments and which bwrap ran) and it finds the rules that
//! know the message and checks each cause against the facts of a host —
//! this machine now, or a snapshot recorded on another one — giving a
//! [`Diagnosis`]: the candidate causes, confirmed first, with the evidence
//! and the fixes.
//!
//! ```
//! use bwrap_doctor_engine::{Cause, Host, Obs, Request, Verdict};
//!
//! let rules = bwrap_doctor_engine::load_rules(&[])?; // the built-in rules
//! let stderr = "bwrap: Can't find source path /srv/data: No such file or directory\n";
//! // Facts recorded elsewhere (as `bwrap-doctor snapshot` does): nothing
//! // on this machine is probed.
//! let facts = [("path.exists:/srv/data".to_string(), Obs::seen(false))].into();
//! let request = Request::new(stderr)
//!     .argv(["--ro-bind", "/srv/data", "/data", "true"])
//!     .host(Host::Recorded(facts));
//! let diagnosis = bwrap_doctor_engine::explain(&rules, &request)?;
//!
//! let first = diagnosis.confirmed().next().expect("a confirmed cause");
//! assert_eq!(first.cause, Cause::BindSourceMissing);
//! assert_eq!(first.cause.id(), "bind-source-missing");
//! assert_eq!(first.verdict, Verdict::Confirmed);
//! println!("{}", first.summary); // The bind source /srv/data does not exist on this host.
//! # Ok::<(), bwrap_doctor_engine::Error>(())
//! ```
//!
//! [`to_json`] gives the same document as `bwrap-doctor explain --json`
//! (schema `bwrap-doctor/diagnosis`), which is the interface for callers
//! in other languages: run `bwrap-doctor explain --json` on the captured
//! stderr.
//!
//! # Settings are parameters
//!
//! The library reads no setting from the environment or from
//! configuration files: the rules are the built-in ones and the files
//! given to [`load_rules`] (not `BWRAP_DOCTOR_RULES`, not
//! `/etc/bwrap-doctor/rules.d`), the bwrap is the one given to
//! [`Request::bwrap`] (not looked up on `PATH`), the deadline is
//! [`Request::deadline`]. Colour and `NO_COLOR` do not apply: the output is
//! data. (On a live host one probe, `container.kind`, does look at this
//! process's `KUBERNETES_SERVICE_HOST`, as a fact about where it runs.)
//!
//! # Blocking, forking and threads
//!
//! [`explain`] is synchronous and blocks its thread while it probes:
//! against [`Host::Recorded`] or [`Host::Snapshot`] only for the matching
//! (about 0.1 ms with the built-in rules in a release build, plus reading
//! the snapshot); on [`Host::Live`] for as long as the probes the matching
//! rules need take, tens of milliseconds (25 ms for a uid map failure with
//! 14 probes), at most about the [`Request::deadline`]
//! ([`DEFAULT_DEADLINE`], 5 s) plus the bound of the probe then running.
//! [`load_rules`] compiles the rules' patterns (about 8 ms for the
//! built-in rules in a release build): do it once. On the live host
//! [`explain`] may:
//!
//! - **fork** short-lived children for the experiments that repeat what
//!   bwrap does (creating user, mount and pid namespaces, mounting a procfs)
//!   and for looking at paths that may hang (a dead network mount). Each
//!   child is put in a process group of its own, is time-bounded (500 ms),
//!   and is killed and reaped by its pid before `explain` returns; the
//!   child makes only async-signal-safe calls, so forking from a
//!   multi-threaded program (an async runtime) is sound. Waiting is by pid,
//!   never `wait(-1)`: it does not reap the caller's other children.
//! - **run** the `bwrap` named by [`Request::bwrap`] (`bwrap --version`, a
//!   trial with the failing options) with [`std::process::Command`] in a
//!   process group of its own, also bounded and killed on timeout; two
//!   short-lived threads read its output (they end when its pipes close).
//!   If the caller has set `SIGCHLD` to be ignored, such a run cannot be
//!   waited for and the facts that need it are reported unavailable.
//! - read `/proc`, `/sys`, `/etc` and the paths in bwrap's arguments. Nothing
//!   on the host is changed.
//!
//! A [`Rules`] is `Send + Sync`: load it once and share it. Calls of
//! [`explain`] share no mutable state (each has its own facts; the only
//! cache, of compiled `AppArmor` globs, is per thread), so they may run on
//! several threads at once. In async
//! code, run it off the executor's threads:
//!
//! ```no_run
//! # async fn run(output: std::process::Output) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
//! use std::sync::Arc;
//! let rules = Arc::new(bwrap_doctor_engine::load_rules(&[])?);
//! // `output` is what `tokio::process::Command::new("bwrap")…output().await` gave.
//! let request = bwrap_doctor_engine::Request::new(output.stderr).bwrap("/usr/bin/bwrap");
//! let diagnosis = tokio::task::spawn_blocking(move || bwrap_doctor_engine::explain(&rules, &request))
//!     .await??;
//! for c in diagnosis.confirmed() {
//!     eprintln!("{}: {}", c.cause.id(), c.summary);
//! }
//! # Ok(()) }
//! # mod tokio { pub mod task {
//! #   pub async fn spawn_blocking<F: FnOnce() -> R, R>(f: F) -> Result<R, std::io::Error> { Ok(f()) }
//! # } }
//! ```
//!
//! # Stability (semver)
//!
//! What this crate promises to keep across minor and patch releases is
//! what the crate root documents: the entry points ([`load_rules`],
//! [`Rules`], [`explain`], [`Request`], [`Host`], [`check`],
//! [`CheckRequest`], [`to_json`], [`from_json`], [`Error`]) and the output
//! types re-exported here ([`Diagnosis`], [`Candidate`], [`Check`],
//! [`Verdict`], [`RenderedFix`], [`StageCause`], [`Message`], [`Cause`],
//! [`Obs`], [`Observation`], [`Snapshot`], [`CheckReport`], [`HostCheck`],
//! [`CheckStatus`]). Minor releases may add variants and fields to all of
//! these but [`Obs`] and [`Snapshot`] (new [`Cause`]s come with new rules):
//! they are `#[non_exhaustive]` — read them, do not build them — and their
//! enums are matched with a wildcard arm. [`Obs`] and [`Snapshot`] are also
//! inputs and therefore exhaustive: a new variant of [`Obs`] or a new field
//! of [`Snapshot`] comes only with a breaking release (a snapshot's `facts`
//! map grows with new fact keys without one). A rule's wording (summaries,
//! explanations, fixes) may change in any release; cause ids do not. The JSON documents are
//! versioned by their own `schema_version`. `serde` 1 and `serde_json` 1
//! are public dependencies: every output type is `Serialize` and
//! `Deserialize` (a program may keep or pass on what it was given, and
//! [`from_json`] reads back `bwrap-doctor explain --json`), and
//! [`Obs::Seen`] holds a `serde_json::Value`.
//!
//! Everything else is internal: the modules hidden from these docs are
//! public only for the `bwrap-doctor` binary of the same version (which
//! depends on this crate with an exact `=` version for that reason), the
//! fuzz targets and the tests. They are outside the semver promise and may
//! change in any release.
//!
//! # Internal modules, bottom to top
//!
//! Each module uses only the modules on the lines above its own (a test,
//! `tests/it/architecture.rs`, fails on any cycle between them):
//!
//! 0. `sys`: the system calls, behind safe functions — the one module
//!    allowed `unsafe` (the crate denies `unsafe_code` elsewhere).
//! 1. Words and texts, no host I/O: `cause` (the causes, by id),
//!    `bwrap_args` (bwrap's option grammar), `messages` (bwrap's stderr as
//!    messages), `keywords` (the calling tools' words the shim's text
//!    avoids), `marker` (the ELF note that marks a build of bwrap-doctor),
//!    `written` (the files bwrap-doctor writes: their first line, the
//!    `AppArmor` profile for a bwrap path), `fault` (fault injection).
//! 2. `facts`: facts as data — what a probe saw (`Obs`), the evidence
//!    list, a recorded host (`Snapshot`).
//! 3. `privilege`: what an elevated process may do.
//! 4. `probe`: the host I/O that produces facts — where the host is
//!    (`Host`), what is known of the failing call (`Context`), every fact
//!    key (`probe::CATALOGUE`, parsed into a `probe::Probe`), and the facts
//!    of one diagnosis, each observed at most once (`probe::Facts`).
//! 5. `rules`: the rule files — their model, loading and the collecting
//!    validator.
//! 6. `diagnose`: bwrap's messages against the rules and the facts: a
//!    `Diagnosis`.
//! 7. `report`: a diagnosis as text (after bwrap's own words) or JSON.
//! 8. `fix`: the fixes generated for this host (`AppArmor`, sysctl).
//! 9. `check`: the host check (`bwrap-doctor check`).
//! 10. `contract` (the JSON documents' schemas), `api` (the entry points
//!     above), `fuzz` (the fuzz targets' entries).
#![deny(unsafe_code)]

mod api;
pub use api::{
    CheckRequest, DEFAULT_DEADLINE, Error, Host, Request, Rules, check, explain, from_json,
    load_rules, to_json,
};
pub use cause::Cause;
pub use check::model::{Check as HostCheck, Report as CheckReport, Status as CheckStatus};
pub use diagnose::{Candidate, Check, Diagnosis, Message, RenderedFix, StageCause, Verdict};
pub use facts::{Obs, Observation, Snapshot};

#[doc(hidden)]
pub mod bwrap_args;
#[doc(hidden)]
pub mod cause;
#[doc(hidden)]
pub mod fault;
#[doc(hidden)]
pub mod keywords;
#[doc(hidden)]
pub mod marker;
#[doc(hidden)]
pub mod messages;
#[doc(hidden)]
pub mod written;

#[doc(hidden)]
pub mod check;
#[doc(hidden)]
pub mod diagnose;
#[doc(hidden)]
pub mod facts;
#[doc(hidden)]
pub mod fix;
#[doc(hidden)]
pub mod privilege;
#[doc(hidden)]
pub mod probe;
#[doc(hidden)]
pub mod report;
#[doc(hidden)]
pub mod rules;

#[doc(hidden)]
pub mod contract;
#[doc(hidden)]
pub mod fuzz;
// The one module allowed `unsafe` (see its documentation).
#[doc(hidden)]
#[allow(unsafe_code)]
pub mod sys;
