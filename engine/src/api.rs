//! The library's entry points: [`load_rules`] and [`explain`], built on the
//! pieces the shim and `bwrap-doctor explain` use. See the crate docs for
//! blocking, forking and thread-safety.

use crate::bwrap_args;
use crate::check::model::Report as CheckReport;
use crate::diagnose::{self, Diagnosis};
use crate::facts::Obs;
#[cfg(doc)]
use crate::facts::Snapshot;
use crate::probe::Facts;
use crate::probe::{self, Context};
use crate::rules::{self, Locations, RuleSet};
use std::collections::BTreeMap;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// A loaded rule set: the built-in rules and any files given to
/// [`load_rules`]. Load it once and use it for every [`explain`] call; it
/// is `Send + Sync`, so threads can share it behind an `Arc` or a `&`.
#[derive(Debug)]
pub struct Rules {
    set: RuleSet,
}

impl Rules {
    /// The built-in rules only (what [`load_rules`] gives for `&[]`).
    #[must_use]
    pub fn builtin() -> Rules {
        Rules {
            set: rules::load(&Self::locations(&[])),
        }
    }

    /// The ids of the rules in force, in load order.
    pub fn ids(&self) -> impl Iterator<Item = &str> {
        self.set.active().map(|r| r.id.as_str())
    }

    /// Rules the binary loaded from its own locations.
    #[doc(hidden)]
    #[must_use]
    pub fn from_set(set: RuleSet) -> Rules {
        Rules { set }
    }

    fn locations(files: &[&Path]) -> Locations {
        Locations {
            builtin: true,
            system_dir: None,
            user_dir: None,
            env_files: files.iter().map(|p| p.to_path_buf()).collect(),
            // Files a program names itself, as in tests: not held to
            // ssh's StrictModes.
            strict_modes: false,
        }
    }
}

/// Load the built-in rules, then the rule files `files` in order (a later
/// file replaces or disables an earlier rule by id, as
/// `BWRAP_DOCTOR_RULES` does for the command line). Nothing else is read:
/// not `/etc/bwrap-doctor/rules.d`, not the user's directory, not the
/// environment.
///
/// # Errors
///
/// [`Error::Rules`] when any of `files` cannot be read or has an error;
/// each problem is one line naming the file, the place and the fix.
pub fn load_rules(files: &[&Path]) -> Result<Rules, Error> {
    let set = rules::load(&Rules::locations(files));
    if set.problems.is_empty() {
        Ok(Rules { set })
    } else {
        Err(Error::Rules(
            set.problems.iter().map(rules::Problem::one_line).collect(),
        ))
    }
}

/// Where the facts about the host come from.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub enum Host {
    /// This machine, now: files under `/proc`, `/sys`, `/etc`, and live
    /// experiments in forked children (see the crate docs).
    #[default]
    Live,
    /// A snapshot file made by `bwrap-doctor snapshot` on the failing
    /// machine. Nothing on this machine is probed.
    Snapshot(PathBuf),
    /// Facts recorded some other way (a [`Snapshot`]'s `facts`, or a few
    /// facts by key, see the `bwrap-doctor snapshot` keys). A fact not in
    /// the map is unavailable. Nothing on this machine is probed.
    Recorded(BTreeMap<String, Obs>),
}

/// One failed bwrap run to explain: what it wrote on stderr and, as far
/// as known, how it was called. Build it with [`Request::new`] and the
/// setters; fields may be added in minor releases.
#[derive(Debug, Clone)]
#[must_use]
pub struct Request {
    stderr: Vec<u8>,
    argv: Option<Vec<OsString>>,
    bwrap: Option<PathBuf>,
    host: Host,
    deadline: Option<Duration>,
    pasted: bool,
}

/// The deadline of a [`Request`] unless it sets another: the shim's own.
pub const DEFAULT_DEADLINE: Duration = Duration::from_secs(5);

impl Request {
    /// A request for the failure whose stderr (or its last part: bwrap's
    /// message is its last word) is `stderr`, on the live host, with
    /// [`DEFAULT_DEADLINE`].
    pub fn new(stderr: impl Into<Vec<u8>>) -> Request {
        Request {
            stderr: stderr.into(),
            argv: None,
            bwrap: None,
            host: Host::Live,
            deadline: Some(DEFAULT_DEADLINE),
            pasted: false,
        }
    }

    /// bwrap's arguments, without argv\[0\]: rules about the call itself
    /// (a missing bind source, an option this bwrap does not know) need
    /// them. `--args FD` content is not read.
    pub fn argv<I, S>(mut self, argv: I) -> Request
    where
        I: IntoIterator<Item = S>,
        S: Into<OsString>,
    {
        self.argv = Some(argv.into_iter().map(Into::into).collect());
        self
    }

    /// The bwrap executable that ran. Without it, facts about bwrap
    /// (its version, its `AppArmor` profile) are unavailable on a live host;
    /// a snapshot's recorded bwrap is used when there is one.
    pub fn bwrap(mut self, path: impl Into<PathBuf>) -> Request {
        self.bwrap = Some(path.into());
        self
    }

    /// Where the facts come from (default [`Host::Live`]).
    pub fn host(mut self, host: Host) -> Request {
        self.host = host;
        self
    }

    /// Stop probing the host after `limit` (`None`: no overall limit; each
    /// probe that waits is still bounded on its own). What was not probed
    /// by then is reported unavailable and the causes that need it stay
    /// unconfirmed. A probe already running when the deadline passes ends
    /// at its own bound (the smaller of 500 ms and `limit` for each child
    /// it waits for); a plain file read that the kernel blocks (a dead
    /// network file system) is not bounded.
    pub fn deadline(mut self, limit: Option<Duration>) -> Request {
        self.deadline = limit;
        self
    }

    /// The text was pasted or retyped by a person, not captured from
    /// bwrap: also match bwrap's words without the `bwrap: ` prefix,
    /// joined back when wrapped, and ignoring case (what
    /// `bwrap-doctor explain` does). Off by default.
    pub fn pasted(mut self, pasted: bool) -> Request {
        self.pasted = pasted;
        self
    }
}

/// Why [`explain`] or [`load_rules`] gave no answer. The messages are
/// complete sentences without a program-name prefix.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A snapshot file could not be read, is not a snapshot, or is of a
    /// version this library does not read.
    #[error("{0}")]
    Snapshot(String),
    /// Rule files that could not be used, one line each.
    #[error("{}", .0.join("; "))]
    Rules(Vec<String>),
    /// A JSON document given to [`from_json`] that it cannot read.
    #[error("{0}")]
    Document(String),
}

/// Explain one failed bwrap run with `rules`: which rules know its
/// message, and which of their causes the host's facts confirm or refute.
///
/// A [`Diagnosis`] is returned also when no rule knows the message (then
/// [`Diagnosis::candidates`] is empty) or when stderr has no bwrap
/// message at all ([`Diagnosis::messages`] is empty: the failure was the
/// sandboxed program's own).
///
/// Blocks for as long as the probes take (a few milliseconds to the
/// deadline); may fork children and run `bwrap` on a live host. See the
/// crate docs.
///
/// # Errors
///
/// [`Error::Snapshot`] when [`Host::Snapshot`]'s file cannot be used.
pub fn explain(rules: &Rules, request: &Request) -> Result<Diagnosis, Error> {
    let started = Instant::now();
    let args = request.argv.as_ref().map(|argv| {
        let operands: Vec<Vec<u8>> = argv
            .iter()
            .map(|a| std::os::unix::ffi::OsStrExt::as_bytes(a.as_os_str()).to_vec())
            .collect();
        bwrap_args::parse(&operands, &|_| None)
    });
    let recorded = match &request.host {
        Host::Live => None,
        Host::Snapshot(path) => Some(
            crate::facts::read_snapshot(path)
                .map_err(Error::Snapshot)?
                .facts,
        ),
        Host::Recorded(facts) => Some(facts.clone()),
    };
    let mut live = probe::Host::live();
    if let Some(limit) = request.deadline {
        live.limit = live.limit.min(limit);
    }
    let facts = match recorded {
        Some(mut recorded) => {
            let bwrap = request
                .bwrap
                .clone()
                .or_else(|| crate::facts::recorded_bwrap(&recorded));
            if request.bwrap.is_some() {
                // Facts about the recorded bwrap do not describe this one.
                recorded.retain(|k, _| !k.starts_with("bwrap."));
            }
            Facts::recorded(recorded, Context { bwrap, args })
        }
        None => Facts::live(
            &live,
            Context {
                bwrap: request.bwrap.clone(),
                args,
            },
        ),
    };
    let facts = match request.deadline {
        Some(limit) => facts.with_deadline(started + limit),
        None => facts,
    };
    Ok(if request.pasted {
        diagnose::diagnose_pasted(&rules.set, &facts, &request.stderr)
    } else {
        diagnose::diagnose(&rules.set, &facts, &request.stderr)
    })
}

/// Read back a document [`to_json`] or `bwrap-doctor explain --json`
/// (or the shim's `BWRAP_DOCTOR_JSON`) wrote: its diagnosis.
///
/// # Errors
///
/// [`Error::Document`] when `text` is not JSON, not a
/// `bwrap-doctor/diagnosis` document, or of a `schema_version` this
/// release does not read.
pub fn from_json(text: &str) -> Result<Diagnosis, Error> {
    let doc: serde_json::Value =
        serde_json::from_str(text).map_err(|e| Error::Document(format!("not JSON: {e}")))?;
    let schema = crate::report::json::SCHEMA;
    if doc["schema"] != schema {
        return Err(Error::Document(format!(
            "not a {schema} document (its schema is {})",
            doc["schema"]
        )));
    }
    let version = crate::report::json::SCHEMA_VERSION;
    if doc["schema_version"] != version {
        return Err(Error::Document(format!(
            "{schema} version {} is not read by this release (it reads version {version}): use the bwrap-doctor-engine release of the program that wrote it",
            doc["schema_version"]
        )));
    }
    serde_json::from_value(doc)
        .map_err(|e| Error::Document(format!("a {schema} document with a wrong field: {e}")))
}

/// What [`check`] is asked: which bwrap to try. Build it with
/// [`CheckRequest::new`] and the setters; fields may be added in minor
/// releases.
#[derive(Debug, Clone, Default)]
#[must_use]
pub struct CheckRequest {
    bwrap: Option<PathBuf>,
    sudo: Option<(u32, u32)>,
}

impl CheckRequest {
    /// A check of this host with no bwrap named: the kernel and the
    /// security policies only (no sandbox is tried).
    pub fn new() -> CheckRequest {
        CheckRequest::default()
    }

    /// The bwrap executable to check and to try sandboxes with (the
    /// library does not look it up on `PATH`).
    pub fn bwrap(mut self, path: impl Into<PathBuf>) -> CheckRequest {
        self.bwrap = Some(path.into());
        self
    }

    /// As root: also try the sandboxes as this user (uid, gid), as
    /// `bwrap-doctor check` does for the user who ran `sudo`. Without it,
    /// a check run as root tries them as `nobody` too (when that user
    /// exists): the `….unprivileged` checks of the report.
    pub fn as_user_too(mut self, uid: u32, gid: u32) -> CheckRequest {
        self.sudo = Some((uid, gid));
        self
    }
}

/// Check this host, now, before anything fails: the bwrap binary (when
/// [`CheckRequest::bwrap`] names one), the kernel's namespaces (live
/// experiments), the security policies (`AppArmor`, `SELinux`, seccomp,
/// containers), and real minimal sandboxes with that bwrap, whose
/// failures are explained with `rules`. The same report as
/// `bwrap-doctor check --json` without its `bwrap-doctor shim` section
/// (which is about the program's own install) and without the
/// diagnosis of a failure seen only as the other user (it needs the
/// `bwrap-doctor` program).
///
/// Blocks for up to a few seconds: it forks the experiments' children
/// and runs bwrap several times, each run bounded in time and killed on
/// timeout, as [`explain`] does on a live host (see the crate docs).
/// Nothing on the host is changed.
///
/// ```no_run
/// let rules = bwrap_doctor_engine::load_rules(&[])?;
/// let request = bwrap_doctor_engine::CheckRequest::new().bwrap("/usr/bin/bwrap");
/// let report = bwrap_doctor_engine::check(&rules, &request);
/// for c in report.checks.iter().filter(|c| c.status == bwrap_doctor_engine::CheckStatus::Fail) {
///     eprintln!("{}: {}", c.id, c.summary);
/// }
/// # Ok::<(), bwrap_doctor_engine::Error>(())
/// ```
#[must_use]
pub fn check(rules: &Rules, request: &CheckRequest) -> CheckReport {
    crate::check::run(crate::check::Options {
        start: Instant::now(),
        bwrap: request.bwrap.clone(),
        found: Vec::new(),
        rules: &rules.set,
        sudo: request.sudo,
        program: None,
        install: &|_| Vec::new(),
    })
}

/// The diagnosis as the JSON document `bwrap-doctor explain --json`
/// prints (schema `bwrap-doctor/diagnosis`, docs/json.md), for callers in
/// other languages or logs. `bwrap` is the executable that ran, if known.
#[must_use]
pub fn to_json(diagnosis: &Diagnosis, bwrap: Option<&Path>) -> String {
    let doc =
        crate::report::json::document(diagnosis, bwrap.map(|b| b.display().to_string()), None);
    crate::report::json::to_string(&doc)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shareable<T: Send + Sync>() {}

    #[test]
    fn the_public_types_can_cross_threads() {
        shareable::<Rules>();
        shareable::<Request>();
        shareable::<Diagnosis>();
        shareable::<Error>();
    }

    #[test]
    fn a_missing_rule_file_is_an_error_naming_it() {
        let e = load_rules(&[Path::new("/nonexistent/bwrap-doctor-rules.toml")]).unwrap_err();
        let Error::Rules(lines) = &e else {
            panic!("expected a rules error, got {e:?}");
        };
        assert_eq!(lines.len(), 1, "{lines:?}");
        assert!(
            lines[0].contains("/nonexistent/bwrap-doctor-rules.toml"),
            "{lines:?}"
        );
    }

    #[test]
    fn an_unreadable_snapshot_is_an_error_naming_the_file() {
        let rules = Rules::builtin();
        let request = Request::new("bwrap: setting up uid map: Permission denied\n")
            .host(Host::Snapshot(PathBuf::from("/nonexistent/snap.json")));
        match explain(&rules, &request) {
            Err(Error::Snapshot(why)) => assert!(why.contains("/nonexistent/snap.json"), "{why}"),
            other => panic!("expected a snapshot error, got {other:?}"),
        }
    }

    #[test]
    fn to_json_is_the_explain_json_document_with_the_cause_and_the_bwrap() {
        let rules = Rules::builtin();
        let facts = [("path.exists:/srv/x".to_string(), Obs::seen(false))].into();
        let request =
            Request::new("bwrap: Can't find source path /srv/x: No such file or directory\n")
                .host(Host::Recorded(facts));
        let d = explain(&rules, &request).unwrap();
        let v: serde_json::Value =
            serde_json::from_str(&to_json(&d, Some(Path::new("/usr/bin/bwrap")))).unwrap();
        assert_eq!(v["schema"], crate::report::json::SCHEMA, "{v}");
        assert_eq!(v["bwrap"], "/usr/bin/bwrap", "{v}");
        assert!(v.to_string().contains("\"bind-source-missing\""), "{v}");
    }

    #[test]
    fn from_json_reads_back_what_to_json_wrote() {
        let rules = Rules::builtin();
        let facts = [("path.exists:/srv/x".to_string(), Obs::seen(false))].into();
        let request =
            Request::new("bwrap: Can't find source path /srv/x: No such file or directory\n")
                .argv(["--bind", "/srv/x", "/x", "true"])
                .host(Host::Recorded(facts));
        let d = explain(&rules, &request).unwrap();
        let text = to_json(&d, None);
        let back = from_json(&text).expect("its own document reads back");
        assert_eq!(
            serde_json::to_value(&back).unwrap(),
            serde_json::to_value(&d).unwrap()
        );
        assert_eq!(
            back.confirmed().next().map(|c| c.cause),
            Some(crate::Cause::BindSourceMissing)
        );
    }

    #[test]
    fn from_json_refuses_another_document_or_version_naming_what_it_got() {
        for (text, says) in [
            ("not json", "not JSON"),
            (
                r#"{"schema": "bwrap-doctor/check", "schema_version": 1}"#,
                "\"bwrap-doctor/check\"",
            ),
            (
                r#"{"schema": "bwrap-doctor/diagnosis", "schema_version": 99}"#,
                "version 99",
            ),
            (
                r#"{"schema": "bwrap-doctor/diagnosis", "schema_version": 1, "messages": 3}"#,
                "wrong field",
            ),
        ] {
            match from_json(text) {
                Err(Error::Document(why)) => assert!(why.contains(says), "{text}: {why}"),
                other => panic!("{text}: {other:?}"),
            }
        }
    }

    #[test]
    fn a_passed_deadline_leaves_live_facts_unprobed() {
        let host = probe::Host::live();
        let facts = Facts::live(&host, Context::default()).with_deadline(Instant::now());
        match facts.get("kernel.release") {
            crate::facts::Obs::Unavailable(why) => assert!(why.contains("deadline"), "{why}"),
            other => panic!("probed after the deadline: {other:?}"),
        }
    }
}
