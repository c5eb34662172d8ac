//! `bwrap-doctor check`: a doctor for this host. It tells, before anything
//! fails, whether bwrap sandboxes will work here, why not, and what to do:
//! the bwrap binary, the kernel's namespaces (live experiments), the
//! security policies (AppArmor, SELinux, seccomp, containers), the checks
//! the caller adds (the `bwrap-doctor` binary: which bwrap, the shim's own
//! install), and real minimal sandboxes, whose failures are diagnosed by
//! the same rules as the shim's.

mod binary;
mod kernel;
pub mod model;
mod policy;
pub mod render;
mod sandbox;

use crate::facts::Obs;
use crate::probe::Facts;
use crate::probe::{Context, Host};
use crate::rules::RuleSet;
use model::{Check, Report};
use std::path::PathBuf;
use std::time::Instant;

pub(crate) use sandbox::AGENT_ARGS;

/// What the host checks are given: the engine reads no environment and no
/// configuration, so the caller (the `bwrap-doctor` binary) finds the bwrap,
/// loads the rules and adds the checks of its own install.
pub struct Options<'a> {
    /// When the caller started (the report's duration counts from here).
    pub start: Instant,
    /// The bwrap to check, as the caller found it (None: none was).
    pub bwrap: Option<PathBuf>,
    /// The checks that found it (section [`BINARY`]), first in the report.
    pub found: Vec<Check>,
    /// The rules the sandbox failures are diagnosed with.
    pub rules: &'a RuleSet,
    /// The uid and gid of the user who ran sudo (`SUDO_UID`, `SUDO_GID`):
    /// as root, the sandboxes are also tried as this user (else `nobody`).
    pub sudo: Option<(u32, u32)>,
    /// The `bwrap-doctor` program that diagnoses a sandbox's failure as
    /// that user (`explain --json`); None: such failures are not diagnosed.
    pub program: Option<PathBuf>,
    /// The caller's checks of its own install (section [`SHIM`]), given the
    /// facts of this host.
    pub install: &'a dyn Fn(&Facts) -> Vec<Check>,
}

/// Section titles, in report order.
pub const BINARY: &str = "bwrap binary";
pub const KERNEL: &str = "kernel";
pub const POLICY: &str = "security policy";
pub const SHIM: &str = "bwrap-doctor shim";
pub const SANDBOX: &str = "sandboxes";

#[must_use]
pub fn run(opts: Options) -> Report {
    let real = opts.bwrap;
    let mut checks = opts.found;
    let host = Host::live();
    let facts = Facts::live(
        &host,
        Context {
            bwrap: real.clone(),
            args: Some(crate::bwrap_args::parse(AGENT_ARGS, &|_| None)),
        },
    );
    if real.is_some() {
        checks.extend(binary::checks(&facts));
    }
    checks.extend(kernel::checks(&facts));
    checks.extend(policy::checks(&facts));
    checks.extend((opts.install)(&facts));
    if let Some(real) = &real {
        checks.extend(sandbox::checks(
            real,
            opts.rules,
            opts.sudo,
            opts.program.as_deref(),
        ));
    }
    Report::new(checks, opts.start.elapsed())
}

/// Run `f` and record how long it took in the check it makes.
pub fn timed(f: impl FnOnce() -> Check) -> Check {
    let t = Instant::now();
    let c = f();
    c.took(t.elapsed())
}

/// A fact's value as text, for evidence lines.
#[must_use]
pub fn shown(o: &Obs) -> String {
    match o {
        Obs::Seen(v) => crate::diagnose::template::value_text(v),
        other => other.describe(),
    }
}

/// A sysctl as a number, when the kernel has it (for the checks below).
use crate::probe::sysctl_number as sysctl;

/// Ubuntu's `AppArmor` restriction on unprivileged user namespaces is on
/// (and enforcing, not only logging).
pub fn apparmor_restricts(facts: &Facts) -> bool {
    sysctl(facts, "kernel.apparmor_restrict_unprivileged_userns") == Some(1)
        && sysctl(
            facts,
            "kernel.apparmor_restrict_unprivileged_userns_complain",
        ) != Some(1)
}

/// One live experiment's outcome (`experiment.*`).
pub(crate) struct Experiment {
    pub ok: bool,
    pub step: String,
    pub errno: String,
    pub message: String,
}

/// An experiment that could not be run or read.
pub(crate) struct NotRun(Obs);

impl NotRun {
    pub fn into_check(self, id: &str, section: &str, what: &str) -> Check {
        Check::new(
            id,
            section,
            model::Status::Skip,
            format!("{what} could not be tried"),
        )
        .evidence(self.0.describe())
    }
}

impl Experiment {
    pub fn of(facts: &Facts, key: &str) -> Result<Experiment, NotRun> {
        let obs = facts.get(key);
        let Obs::Seen(v) = &obs else {
            return Err(NotRun(obs));
        };
        let text = |k: &str| v.get(k).and_then(|s| s.as_str()).unwrap_or("").to_string();
        match v.get("ok").and_then(serde_json::Value::as_bool) {
            Some(ok) => Ok(Experiment {
                ok,
                step: text("step"),
                errno: text("errno"),
                message: text("message"),
            }),
            None => Err(NotRun(Obs::unavailable(format!("{key}: malformed value")))),
        }
    }

    /// `step: message (ERRNO)`.
    pub fn failure(&self) -> String {
        format!("{}: {} ({})", self.step, self.message, self.errno)
    }
}

#[cfg(test)]
mod tests {
    //! The host-facing checks judged on recorded fixture hosts (the same
    //! snapshots `explain --snapshot` is tested on): hosts this machine
    //! cannot be.
    use super::model::Status;
    use super::*;
    use crate::facts::Snapshot;

    fn host(name: &str) -> Facts<'static> {
        let path = format!(
            "{}/../tests/fixtures/snapshots/{name}.json",
            env!("CARGO_MANIFEST_DIR")
        );
        let snap: Snapshot = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        let bwrap = crate::facts::recorded_bwrap(&snap.facts);
        Facts::recorded(snap.facts, Context { bwrap, args: None })
    }

    fn statuses(facts: &Facts) -> Vec<(String, Status, String)> {
        binary::checks(facts)
            .into_iter()
            .chain(kernel::checks(facts))
            .chain(policy::checks(facts))
            .map(|c| (c.id, c.status, c.summary))
            .collect()
    }

    fn status_of(facts: &Facts, id: &str) -> (Status, String) {
        let all = statuses(facts);
        let (_, s, text) = all
            .iter()
            .find(|(i, _, _)| i == id)
            .unwrap_or_else(|| panic!("no {id} in {all:?}"));
        (*s, text.clone())
    }

    #[test]
    fn ubuntu_24_04_without_an_exception_for_this_bwrap_fails_with_the_apparmor_fix() {
        let f = host("ubuntu-24.04-no-exception");
        let (s, text) = status_of(&f, "bwrap.apparmor-profile");
        assert_eq!(s, Status::Fail, "{text}");
        let (s, text) = status_of(&f, "kernel.userns");
        assert_eq!(s, Status::Fail, "{text}");
        assert!(
            text.contains("AppArmor lets only programs with a profile"),
            "{text}"
        );
        assert_eq!(status_of(&f, "policy.apparmor").0, Status::Warning);
    }

    #[test]
    fn ubuntu_24_04_with_the_exception_passes_the_apparmor_checks() {
        let f = host("ubuntu-24.04");
        for id in ["bwrap.apparmor-profile", "kernel.userns", "policy.apparmor"] {
            let (s, text) = status_of(&f, id);
            assert_eq!(s, Status::Ok, "{id}: {text}");
        }
    }

    #[test]
    fn debian_with_userns_clone_off_names_the_sysctl() {
        let f = host("debian-12-userns-off");
        let (s, text) = status_of(&f, "kernel.userns");
        assert_eq!(s, Status::Fail);
        assert!(
            text.contains("kernel.unprivileged_userns_clone = 0"),
            "{text}"
        );
    }

    #[test]
    fn rhel7_with_a_zero_limit_names_the_sysctl() {
        let f = host("rhel7");
        let (s, text) = status_of(&f, "kernel.userns");
        assert_eq!(s, Status::Fail);
        assert!(text.contains("user.max_user_namespaces = 0"), "{text}");
    }

    #[test]
    fn wsl1_fails_as_a_platform_without_namespaces() {
        let f = host("wsl1");
        let (s, text) = status_of(&f, "policy.container");
        assert_eq!(s, Status::Fail, "{text}");
        assert!(text.contains("WSL 1"), "{text}");
    }

    #[test]
    fn docker_with_its_seccomp_profile_warns_about_the_filter_and_the_container() {
        let f = host("docker");
        assert_eq!(status_of(&f, "policy.seccomp").0, Status::Warning);
        let (s, text) = status_of(&f, "policy.container");
        assert_eq!(s, Status::Warning, "{text}");
        assert_eq!(status_of(&f, "kernel.userns").0, Status::Fail);
    }
}
