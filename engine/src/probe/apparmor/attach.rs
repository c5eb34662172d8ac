//! Which profile `AppArmor` attaches to an executable, as the kernel decides
//! it (security/apparmor/domain.c, `find_attach`): a profile whose name is
//! a plain path and that has no separate attachment wins outright; among
//! the others that match, the one whose attachment matches the most
//! characters before its first `*` wins. Two profiles (by name) tied there
//! are a conflict: the kernel logs `info="conflicting profile attachments"`
//! and attaches *neither*, so the program runs unconfined, and under
//! `kernel.apparmor_restrict_unprivileged_userns=1` without the exception
//! either profile was written to give.

use super::glob;
use serde_json::{Value, json};

/// A profile that may attach to executables: from a file in
/// /etc/apparmor.d, from the kernel's loaded list, or both (same name).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub name: String,
    pub attach: String,
    /// The file that defines it (`None` for a profile only the kernel has).
    pub file: Option<String>,
    /// Loaded in the kernel now (`None` when the loaded list is unknown).
    pub loaded: Option<bool>,
}

impl Candidate {
    #[must_use]
    pub fn to_json(&self) -> Value {
        json!({ "name": self.name, "attach": self.attach, "file": self.file, "loaded": self.loaded })
    }

    /// `"NAME" (FILE)` or `"NAME" (loaded in the kernel, no file in /etc/apparmor.d)`.
    #[must_use]
    pub fn describe(&self) -> String {
        match &self.file {
            Some(f) => format!("\"{}\" ({f})", self.name),
            None => format!(
                "\"{}\" (loaded in the kernel; no file in /etc/apparmor.d defines it)",
                self.name
            ),
        }
    }
}

/// How strongly `attach` (of a profile named `name`) claims `path`: `None`
/// when it does not match; `usize::MAX` for a profile named by the path
/// itself with no separate attachment (the kernel's exact-name match); else
/// the number of characters matched before the attachment's first `*`
/// (the whole path for a pattern without `*`).
#[must_use]
pub fn strength(name: &str, attach: &str, path: &str) -> Option<usize> {
    if name == attach && glob::is_literal(attach) {
        return (attach == path).then_some(usize::MAX);
    }
    // One compiled pattern for the whole attachment first (cached): most
    // profiles do not match, and only a match needs its alternatives.
    if !glob::matches(attach, path) {
        return None;
    }
    let alternatives = glob::expand_braces(attach)?;
    alternatives
        .iter()
        .map(|a| glob::collapse_slashes(a))
        .filter(|a| glob::matches(a, path))
        .map(|a| literal_run(&a).unwrap_or(path.chars().count()))
        .max()
}

/// Characters of a path a pattern consumes before its first `*` (`?`, a
/// class or an escaped character count one each); `None` without a `*`.
fn literal_run(pattern: &str) -> Option<usize> {
    let c: Vec<char> = pattern.chars().collect();
    let (mut i, mut n) = (0, 0);
    while i < c.len() {
        match c[i] {
            '*' => return Some(n),
            '\\' => i += 1,
            '[' => {
                while i < c.len() && c[i] != ']' {
                    i += 1;
                }
            }
            _ => {}
        }
        n += 1;
        i += 1;
    }
    None
}

/// The candidates the kernel would weigh last for `path`: the strongest
/// matches. One name: it attaches. Several names: a conflict, none
/// attaches. Empty: nothing attaches.
#[must_use]
pub fn strongest<'a>(cands: &'a [Candidate], path: &str) -> Vec<&'a Candidate> {
    let scored: Vec<(usize, &Candidate)> = cands
        .iter()
        .filter_map(|c| strength(&c.name, &c.attach, path).map(|s| (s, c)))
        .collect();
    let Some(best) = scored.iter().map(|(s, _)| *s).max() else {
        return Vec::new();
    };
    let mut out: Vec<&Candidate> = Vec::new();
    for (s, c) in scored {
        if s == best && !out.iter().any(|o| o.name == c.name) {
            out.push(c);
        }
    }
    out
}

/// The candidates from the parsed profile files (`apparmor.profile_files`)
/// and the kernel's loaded attachments (`apparmor.loaded_attachments`,
/// when known): a file's profile counts unless it is disabled and not
/// loaded; a loaded profile no file defines counts too. Hats and child
/// profiles (`a//b`) never attach by path.
pub fn candidates(files: &[Value], loaded: Option<&[Value]>) -> Vec<Candidate> {
    let is_loaded = |name: &str| loaded.map(|l| l.iter().any(|p| p["name"].as_str() == Some(name)));
    let mut out: Vec<Candidate> = Vec::new();
    for p in files {
        let (Some(name), Some(attach)) = (p["name"].as_str(), p["attach"].as_str()) else {
            continue;
        };
        let loaded_now = is_loaded(name);
        let disabled = p["disabled"].as_bool().unwrap_or(false);
        if disabled && loaded_now != Some(true) {
            continue;
        }
        if out.iter().any(|c| c.name == name) {
            continue; // the same name twice: one kernel profile
        }
        out.push(Candidate {
            name: name.to_string(),
            attach: attach.to_string(),
            file: p["file"].as_str().map(str::to_string),
            loaded: loaded_now,
        });
    }
    for p in loaded.unwrap_or(&[]) {
        let (Some(name), Some(attach)) = (p["name"].as_str(), p["attach"].as_str()) else {
            continue;
        };
        if name.contains("//") || attach == "<unknown>" || out.iter().any(|c| c.name == name) {
            continue;
        }
        out.push(Candidate {
            name: name.to_string(),
            attach: attach.to_string(),
            file: None,
            loaded: Some(true),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cand(name: &str, attach: &str) -> Candidate {
        Candidate {
            name: name.into(),
            attach: attach.into(),
            file: Some(format!("/etc/apparmor.d/{name}")),
            loaded: None,
        }
    }

    fn names(v: Vec<&Candidate>) -> Vec<&str> {
        v.into_iter().map(|c| c.name.as_str()).collect()
    }

    #[test]
    fn two_exact_attachments_to_one_path_conflict() {
        let c = [
            cand("bwrap", "/usr/bin/bwrap"),
            cand("bwrap-doctor.usr.bin.bwrap", "/usr/bin/bwrap"),
            cand("man", "/usr/bin/man"),
        ];
        assert_eq!(
            names(strongest(&c, "/usr/bin/bwrap")),
            ["bwrap", "bwrap-doctor.usr.bin.bwrap"]
        );
        assert_eq!(names(strongest(&c, "/usr/bin/man")), ["man"]);
        assert!(strongest(&c, "/opt/bwrap").is_empty());
    }

    #[test]
    fn an_exact_attachment_beats_a_pattern_and_equal_patterns_conflict() {
        let c = [
            cand("nix-any", "/nix/store/**/bin/bwrap"),
            cand("nix-bubblewrap", "/nix/store/*-bubblewrap-*/bin/bwrap"),
            cand("one", "/nix/store/abc-bubblewrap-0.11.0/bin/bwrap"),
        ];
        let p = "/nix/store/abc-bubblewrap-0.11.0/bin/bwrap";
        assert_eq!(names(strongest(&c, p)), ["one"]);
        // Both patterns match 11 characters (`/nix/store/`) before a `*`.
        let p2 = "/nix/store/def-bubblewrap-0.12.0/bin/bwrap";
        assert_eq!(names(strongest(&c, p2)), ["nix-any", "nix-bubblewrap"]);
        // A longer literal prefix wins.
        let c = [
            cand("home", "/home/*/bin/bwrap"),
            cand("npx", "/home/*/.npm/_npx/*/bwrap"),
            cand("me", "/home/me/**/bwrap"),
        ];
        assert_eq!(names(strongest(&c, "/home/me/.npm/_npx/1/bwrap")), ["me"]);
    }

    #[test]
    fn a_profile_named_by_its_path_wins_outright() {
        let c = [
            cand("/usr/bin/bwrap", "/usr/bin/bwrap"),
            cand("bwrap", "/usr/bin/bwrap"),
        ];
        assert_eq!(names(strongest(&c, "/usr/bin/bwrap")), ["/usr/bin/bwrap"]);
        assert_eq!(strength("/usr/bin/x", "/usr/bin/x", "/usr/bin/y"), None);
    }

    #[test]
    fn braces_count_as_literal_characters() {
        assert_eq!(
            strength("b", "/usr/{bin,sbin}/bwrap", "/usr/sbin/bwrap"),
            Some(15)
        );
        assert_eq!(strength("b", "/usr/bin/bw*", "/usr/bin/bwrap"), Some(11));
        assert_eq!(
            strength("b", "/usr/bin/b[w]rap", "/usr/bin/bwrap"),
            Some(14)
        );
    }

    #[test]
    fn candidates_merge_files_and_the_kernel_list() {
        let files = [
            json!({"file": "/etc/apparmor.d/a", "name": "a", "attach": "/usr/bin/bwrap", "disabled": false}),
            json!({"file": "/etc/apparmor.d/off", "name": "off", "attach": "/usr/bin/bwrap", "disabled": true}),
            json!({"file": "/etc/apparmor.d/still", "name": "still", "attach": "/usr/bin/bwrap", "disabled": true}),
            json!({"file": "/etc/apparmor.d/none", "name": "none", "attach": null, "disabled": false}),
        ];
        let loaded = [
            json!({"name": "a", "attach": "/usr/bin/bwrap", "mode": "enforce"}),
            json!({"name": "still", "attach": "/usr/bin/bwrap", "mode": "enforce"}),
            json!({"name": "ghost", "attach": "/opt/bwrap", "mode": "unconfined"}),
            json!({"name": "ghost//hat", "attach": "/opt/bwrap", "mode": "enforce"}),
            json!({"name": "dfa", "attach": "<unknown>", "mode": "enforce"}),
        ];
        let c = candidates(&files, Some(&loaded));
        let n: Vec<(&str, Option<&str>, Option<bool>)> = c
            .iter()
            .map(|c| (c.name.as_str(), c.file.as_deref(), c.loaded))
            .collect();
        assert_eq!(
            n,
            [
                ("a", Some("/etc/apparmor.d/a"), Some(true)),
                ("still", Some("/etc/apparmor.d/still"), Some(true)),
                ("ghost", None, Some(true)),
            ]
        );
        let c = candidates(&files, None);
        assert_eq!(c.len(), 1, "{c:?}");
        assert_eq!(c[0].loaded, None);
    }
}
