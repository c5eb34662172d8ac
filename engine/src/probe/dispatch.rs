//! From a fact key to the probe that answers it: the key is parsed once
//! into a [`Probe`] (which probe, with its argument), and the probe is
//! chosen by matching on that.

use super::catalogue::{Entry, Family, Kind};
use super::{Facts, Host, apparmor, args, bwrap, caller, container, experiment, mounts, paths};
use super::{program, sysctl, system};
use crate::facts::Obs;

/// A fact key, parsed: which probe answers it, and its argument.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Probe<'k> {
    /// `sysctl.NAME`: the sysctl's dotted name.
    Sysctl(&'k str),
    /// `kernel.*`, `os.*`, `lsm.list`, `selinux.*`: the key.
    System(&'static str),
    /// `apparmor.*` read from the host: the key.
    AppArmor(&'static str),
    /// `bwrap.*` read from the bwrap file or `bwrap --version`: the key.
    Bwrap(&'static str),
    /// `caller.*`: the key.
    Caller(&'static str),
    /// `container.*`, `sandbox.outer_bwrap`, `chroot`: the key.
    Container(&'static str),
    /// `experiment.*`: the key.
    Experiment(&'static str),
    /// `proc.masked`, `proc.read_only`: the key.
    ProcMounts(&'static str),
    /// `path.exists:PATH`.
    PathExists(&'k str),
    /// `path.first_symlink:PATH`.
    PathFirstSymlink(&'k str),
    /// `path.fstype:PATH`.
    PathFstype(&'k str),
    /// `path.mount:PATH`.
    PathMount(&'k str),
    /// `file.interpreter:PATH`.
    FileInterpreter(&'k str),
    /// `file.format:PATH`.
    FileFormat(&'k str),
    /// `file.seen_foreign:PATH`.
    SeenForeign(&'k str),
    /// `bwrap.path`.
    BwrapPath,
    /// `args.*` (but the two below): the key (or prefix) and its argument.
    Args(&'static str, &'k str),
    /// `args.unsupported_namespaces`.
    UnsupportedNamespaces,
    /// `args.covers_interpreter:PROGRAM`.
    CoversInterpreter(&'k str),
    /// `bwrap.knows_option:OPTION`.
    KnowsOption(&'k str),
    /// `fix.apparmor_profile_file`.
    AppArmorProfileFile,
    /// `fix.apparmor_profile`.
    AppArmorProfile,
    /// `apparmor.*` derived from other facts: the key.
    AppArmorDerived(&'static str),
}

/// A key no probe answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownKey(pub String);

impl std::fmt::Display for UnknownKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "no probe named {}", self.0)
    }
}

impl std::error::Error for UnknownKey {}

impl<'k> Probe<'k> {
    /// Parse `key` ([`super::CATALOGUE`] lists the keys): the probe, and the
    /// catalogue entry (how the probe gets its value).
    pub fn parse(key: &'k str) -> Result<(Probe<'k>, &'static Entry), UnknownKey> {
        let Some(e) = super::catalogue::lookup(key) else {
            return Err(UnknownKey(key.to_string()));
        };
        let arg = if e.takes_arg { &key[e.key.len()..] } else { "" };
        let probe = match e.family {
            Family::Sysctl => Probe::Sysctl(arg),
            Family::System => Probe::System(e.key),
            Family::AppArmor => Probe::AppArmor(e.key),
            Family::Bwrap => Probe::Bwrap(e.key),
            Family::Caller => Probe::Caller(e.key),
            Family::Container => Probe::Container(e.key),
            Family::Experiment => Probe::Experiment(e.key),
            Family::ProcMounts => Probe::ProcMounts(e.key),
            Family::PathExists => Probe::PathExists(arg),
            Family::PathFirstSymlink => Probe::PathFirstSymlink(arg),
            Family::PathFstype => Probe::PathFstype(arg),
            Family::PathMount => Probe::PathMount(arg),
            Family::FileInterpreter => Probe::FileInterpreter(arg),
            Family::FileFormat => Probe::FileFormat(arg),
            Family::SeenForeign => Probe::SeenForeign(arg),
            Family::BwrapPath => Probe::BwrapPath,
            Family::Args => Probe::Args(e.key, arg),
            Family::UnsupportedNamespaces => Probe::UnsupportedNamespaces,
            Family::CoversInterpreter => Probe::CoversInterpreter(arg),
            Family::KnowsOption => Probe::KnowsOption(arg),
            Family::AppArmorProfileFile => Probe::AppArmorProfileFile,
            Family::AppArmorProfile => Probe::AppArmorProfile,
            Family::AppArmorDerived => Probe::AppArmorDerived(e.key),
        };
        Ok((probe, e))
    }
}

/// Observe `key` on a live host or fixture.
pub fn observe(host: &Host, facts: &Facts, key: &str) -> Obs {
    let (probe, e) = match Probe::parse(key) {
        Ok(p) => p,
        Err(unknown) => return Obs::unavailable(unknown.to_string()),
    };
    if let Some(o) = derived(facts, probe) {
        return o;
    }
    if e.kind == Kind::Experiment && !host.experiments {
        return Obs::unavailable("experiments run only on the live host");
    }
    match probe {
        Probe::Sysctl(name) => sysctl::read(host, name),
        Probe::System(k) => system::observe(host, facts, k),
        Probe::AppArmor(k) => apparmor::observe(host, facts, k),
        Probe::Bwrap(k) => bwrap::observe(host, facts, k),
        Probe::Caller(k) => caller::observe(host, k),
        Probe::Container(k) => container::observe(host, facts, k),
        Probe::Experiment(k) => experiment::observe(host, facts, k),
        Probe::ProcMounts(k) => mounts::observe(host, k, ""),
        Probe::PathMount(path) => mounts::observe(host, e.key, path),
        Probe::PathExists(path) | Probe::PathFirstSymlink(path) | Probe::PathFstype(path) => {
            paths::observe(host, e.key, path)
        }
        Probe::FileInterpreter(path) => program::observe(host, e.key, path),
        Probe::FileFormat(path) => program::observe_format(host, facts, path),
        Probe::BwrapPath
        | Probe::SeenForeign(_)
        | Probe::Args(..)
        | Probe::UnsupportedNamespaces
        | Probe::CoversInterpreter(_)
        | Probe::KnowsOption(_)
        | Probe::AppArmorProfileFile
        | Probe::AppArmorProfile
        | Probe::AppArmorDerived(_) => unreachable!("derived above"),
    }
}

/// Facts computed without reading the host: from the call's arguments, or
/// from other facts. `None` when `key` is not such a fact.
pub fn derive(facts: &Facts, key: &str) -> Option<Obs> {
    derived(facts, Probe::parse(key).ok()?.0)
}

fn derived(facts: &Facts, probe: Probe) -> Option<Obs> {
    let unknown_bwrap = || Obs::unavailable("the bwrap that ran is not known");
    Some(match probe {
        Probe::BwrapPath => match &facts.ctx.bwrap {
            Some(b) => Obs::seen(b.display().to_string()),
            None => unknown_bwrap(),
        },
        Probe::CoversInterpreter(program) => args::covers_interpreter(facts, program),
        Probe::SeenForeign(program) => program::seen_foreign(facts, program),
        Probe::UnsupportedNamespaces => args::unsupported_namespaces(facts),
        Probe::Args(k, arg) => args::derive(&facts.ctx, k, arg),
        Probe::KnowsOption(option) => args::knows_option(facts, option),
        Probe::AppArmorProfileFile => match &facts.ctx.bwrap {
            Some(b) => Obs::seen(crate::written::apparmor::profile_file(b)),
            None => unknown_bwrap(),
        },
        Probe::AppArmorProfile => match &facts.ctx.bwrap {
            Some(b) => Obs::seen(crate::written::apparmor::profile(b)),
            None => unknown_bwrap(),
        },
        Probe::AppArmorDerived(k) => apparmor::derive(facts, k),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::probe::CATALOGUE;

    #[test]
    fn a_key_parses_to_its_probe_and_argument() {
        let probe = |k| Probe::parse(k).map(|(p, _)| p);
        assert_eq!(
            probe("sysctl.kernel.unprivileged_userns_clone"),
            Ok(Probe::Sysctl("kernel.unprivileged_userns_clone"))
        );
        assert_eq!(
            probe("path.exists:/srv/data"),
            Ok(Probe::PathExists("/srv/data"))
        );
        assert_eq!(
            probe("file.interpreter:/usr/bin/python3"),
            Ok(Probe::FileInterpreter("/usr/bin/python3"))
        );
        assert_eq!(
            probe("file.format:/opt/tool"),
            Ok(Probe::FileFormat("/opt/tool"))
        );
        assert_eq!(
            probe("args.has:--unshare-net"),
            Ok(Probe::Args("args.has:", "--unshare-net"))
        );
        assert_eq!(probe("kernel.release"), Ok(Probe::System("kernel.release")));
        assert_eq!(probe("bwrap.path"), Ok(Probe::BwrapPath));
        assert_eq!(probe("fix.apparmor_profile"), Ok(Probe::AppArmorProfile));
    }

    #[test]
    fn an_unknown_key_is_an_error_naming_it() {
        for key in ["kernel.nonsense", "path.exists:", "sysctl.", "nothing"] {
            let err = Probe::parse(key).unwrap_err();
            assert_eq!(err.to_string(), format!("no probe named {key}"));
        }
    }

    #[test]
    fn every_catalogue_family_has_a_probe() {
        // Each entry parses, and derived entries (only) are derived.
        let facts = Facts::recorded(
            std::collections::BTreeMap::new(),
            crate::probe::Context::default(),
        );
        for e in CATALOGUE {
            let key = if e.takes_arg {
                format!("{}x", e.key)
            } else {
                e.key.to_string()
            };
            assert!(Probe::parse(&key).is_ok(), "{key}");
            assert_eq!(
                derive(&facts, &key).is_some(),
                e.kind == Kind::Derived,
                "{key}"
            );
        }
    }
}
