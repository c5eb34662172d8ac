//! Whether the `AppArmor` profile bwrap-doctor writes for a bwrap
//! ([`crate::written::apparmor::profile`]) would stand on this host: the
//! profiles of its own it replaces ([`superseded`]) and whether it would
//! conflict with, or be shadowed by, one already there ([`placement`]).

use crate::probe::Facts;
use crate::probe::apparmor::attach::{self, Candidate};
use crate::written::apparmor::{attachment, classify, profile_file, profile_name};
use std::path::Path;

/// bwrap-doctor's earlier profiles for single versions' exact paths that
/// the pattern profile for `bwrap` replaces (empty for a stable path): they
/// are not rivals (the exact one wins on its own path, granting the same),
/// but they are left behind; `check` reports them once their path is gone.
pub fn superseded(facts: &Facts, bwrap: &Path) -> Result<Vec<Candidate>, crate::facts::Obs> {
    let Some(v) = classify(bwrap) else {
        return Ok(Vec::new());
    };
    let name = profile_name(bwrap);
    Ok(crate::probe::apparmor::attachment_candidates(facts)?
        .into_iter()
        .filter(|c| {
            c.name != name
                && c.name.starts_with("bwrap-doctor.")
                && crate::probe::apparmor::glob::is_literal(&c.attach)
                && crate::probe::apparmor::glob::matches(&v.glob, &c.attach)
        })
        .collect())
}

/// Where a new profile for `bwrap` would stand among the profiles already
/// here, for the path itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Placement {
    /// It would attach (alone).
    Attaches,
    /// It would tie with these: `AppArmor` would attach none of them.
    Conflicts(Vec<Candidate>),
    /// These attach more specifically: it would never apply to this path.
    Shadowed(Vec<Candidate>),
}

/// Where the profile [`crate::written::apparmor::profile`] writes for `bwrap` would stand among the
/// profiles on this host (files in /etc/apparmor.d and loaded ones). A
/// profile of the same name is the one it replaces, not a rival.
pub fn placement(facts: &Facts, bwrap: &Path) -> Result<Placement, crate::facts::Obs> {
    let name = profile_name(bwrap);
    let superseded = superseded(facts, bwrap)?;
    let mut cands = crate::probe::apparmor::attachment_candidates(facts)?;
    cands.retain(|c| c.name != name && !superseded.contains(c));
    cands.push(Candidate {
        name: name.clone(),
        attach: attachment(bwrap),
        file: Some(profile_file(bwrap)),
        loaded: Some(false),
    });
    let path = bwrap.to_string_lossy();
    let top = attach::strongest(&cands, &path);
    let others: Vec<Candidate> = top
        .iter()
        .filter(|c| c.name != name)
        .map(|c| (*c).clone())
        .collect();
    Ok(if others.is_empty() {
        Placement::Attaches
    } else if top.iter().any(|c| c.name == name) {
        Placement::Conflicts(others)
    } else {
        Placement::Shadowed(others)
    })
}

#[cfg(test)]
mod placement_tests {
    //! Where a new profile would stand among those on a fixture host
    //! (tests/fixtures/hosts/ubuntu-24.04-conflict, read through
    //! `Host::fixture`): `--apply` refuses the conflicting and the shadowed.
    use super::*;
    use crate::probe::{Context, Host};

    fn host(name: &str) -> &'static Host {
        Box::leak(Box::new(Host::fixture(format!(
            "{}/../tests/fixtures/hosts/{name}",
            env!("CARGO_MANIFEST_DIR")
        ))))
    }

    fn place(name: &str, bwrap: &str) -> Placement {
        let facts = Facts::live(
            host(name),
            Context {
                bwrap: Some(bwrap.into()),
                args: None,
            },
        );
        placement(&facts, Path::new(bwrap)).unwrap()
    }

    fn names(v: &[Candidate]) -> Vec<(&str, Option<&str>)> {
        v.iter()
            .map(|c| (c.name.as_str(), c.file.as_deref()))
            .collect()
    }

    #[test]
    fn a_second_profile_for_usr_bin_bwrap_conflicts_with_ubuntus() {
        // Ubuntu 24.04 with bwrap-userns-restrict in place: a profile of
        // ours for the same path would make AppArmor attach neither.
        let Placement::Conflicts(others) = place("ubuntu-24.04", "/usr/bin/bwrap") else {
            panic!("no conflict found");
        };
        assert_eq!(
            names(&others),
            [("bwrap", Some("/etc/apparmor.d/bwrap-userns-restrict"))]
        );
        // On the conflict host, our own file is the one replaced, not a rival.
        let Placement::Conflicts(others) = place("ubuntu-24.04-conflict", "/usr/bin/bwrap") else {
            panic!("no conflict found");
        };
        assert_eq!(
            names(&others),
            [("bwrap", Some("/etc/apparmor.d/bwrap-userns-restrict"))]
        );
    }

    #[test]
    fn a_profile_only_the_kernel_has_is_a_rival_too() {
        let Placement::Conflicts(others) = place("ubuntu-24.04-conflict", "/opt/vendor/bwrap")
        else {
            panic!("no conflict found");
        };
        assert_eq!(
            names(&others),
            [
                ("vendor", Some("/etc/apparmor.d/opt.vendor.bwrap")),
                ("vendor-bwrap", None)
            ]
        );
        assert!(others[1].describe().contains("loaded in the kernel"));
    }

    #[test]
    fn a_pattern_profile_under_an_exact_one_is_shadowed() {
        let Placement::Shadowed(others) = place(
            "ubuntu-24.04-conflict",
            "/nix/store/abc-bubblewrap-0.11.0/bin/bwrap",
        ) else {
            panic!("not shadowed");
        };
        assert_eq!(
            names(&others),
            [("nix-one", Some("/etc/apparmor.d/nix-one"))]
        );
    }

    #[test]
    fn a_free_path_attaches_and_our_old_exact_profile_is_superseded_not_a_rival() {
        assert_eq!(
            place("ubuntu-24.04-conflict", "/home/u/.local/share/tool/bwrap"),
            Placement::Attaches
        );
        assert_eq!(
            place("ubuntu-24.04", "/opt/vendor/bwrap"),
            Placement::Attaches
        );
        let old = "/home/u/.npm/_npx/0a1b2c3d4e5f6071/node_modules/@anthropic-ai/sandbox-runtime/vendor/bwrap";
        assert_eq!(place("ubuntu-24.04-conflict", old), Placement::Attaches);
        let facts = Facts::live(
            host("ubuntu-24.04-conflict"),
            Context {
                bwrap: Some(old.into()),
                args: None,
            },
        );
        let s = superseded(&facts, Path::new(old)).unwrap();
        assert_eq!(s.len(), 1);
        assert!(
            s[0].name.starts_with("bwrap-doctor.home.u..npm._npx.0a1b"),
            "{s:?}"
        );
    }
}
