//! `AppArmor`: whether it is on, whether it mediates user namespaces, the
//! caller's label, the loaded profiles, the profile files in
//! /etc/apparmor.d and which executables they attach to; and, derived from
//! those, which profile (if any) lets the bwrap that ran create user
//! namespaces.

pub mod attach;
pub mod glob;
pub(crate) mod policy;

use super::system::lsm_active;
use super::{Host, io_obs};
use crate::facts::Obs;
use crate::probe::Facts;
use serde_json::{Value, json};
use std::collections::BTreeMap;

const POLICY_DIR: &str = "/etc/apparmor.d";
const SECURITYFS: &str = "/sys/kernel/security/apparmor";
/// Bounds on what is read from /etc/apparmor.d.
const MAX_FILES: usize = 2000;
const MAX_FILE_BYTES: u64 = 1 << 20;

pub fn observe(host: &Host, facts: &Facts, key: &str) -> Obs {
    match key {
        "apparmor.enabled" => enabled(host),
        "apparmor.userns_mediation" => userns_mediation(host, facts),
        "apparmor.label" => label(host, facts),
        "apparmor.profiles_loaded" => profiles_loaded(host, facts),
        "apparmor.profile_files" => profile_files(host),
        "apparmor.loaded_attachments" => loaded_attachments(host, facts),
        "apparmor.own_profiles" => own_profiles(host),
        _ => Obs::unavailable(format!("no probe named {key}")),
    }
}

pub fn derive(facts: &Facts, key: &str) -> Obs {
    match key {
        "apparmor.covering_profile" => covering_profile(facts),
        "apparmor.confining_profile" => confining_profile(facts),
        "apparmor.bwrap_exceptions" => bwrap_exceptions(facts),
        "apparmor.attachment_conflicts" => attachment_conflicts(facts),
        "apparmor.conflict_for_bwrap" => conflict_for_bwrap(facts),
        _ => Obs::unavailable(format!("no probe named {key}")),
    }
}

/// /sys/module/apparmor/parameters/enabled: Y/N; absent without `AppArmor`
/// in the kernel.
fn enabled(host: &Host) -> Obs {
    match host.read_fact("/sys/module/apparmor/parameters/enabled") {
        Ok(s) => match s.trim() {
            "Y" | "1" => Obs::seen(true),
            "N" | "0" => Obs::seen(false),
            other => Obs::unavailable(format!("unexpected AppArmor enabled value {other:?}")),
        },
        Err(o) => o,
    }
}

fn is_off(facts: &Facts) -> bool {
    matches!(
        facts.get("apparmor.enabled"),
        Obs::Absent | Obs::Seen(Value::Bool(false))
    )
}

/// `features/namespaces/userns_create` exists (Ubuntu's userns mediation).
fn userns_mediation(host: &Host, facts: &Facts) -> Obs {
    let feature = format!("{SECURITYFS}/features/namespaces/userns_create");
    match host.exists(&feature) {
        Ok(true) => return Obs::seen(true),
        Ok(false) => {}
        Err(o) => return o,
    }
    if is_off(facts) {
        return Obs::seen(false);
    }
    match host.exists(&format!("{SECURITYFS}/features")) {
        Ok(true) => Obs::seen(false),
        Ok(false) => Obs::unavailable(format!(
            "AppArmor is enabled but {SECURITYFS}/features cannot be seen (securityfs not mounted?)"
        )),
        Err(o) => o,
    }
}

/// The caller's confinement: /proc/self/attr/apparmor/current, else
/// /proc/self/attr/current when `AppArmor` is the LSM that owns it.
fn label(host: &Host, facts: &Facts) -> Obs {
    if is_off(facts) {
        return Obs::Absent;
    }
    let clean = |s: String| Obs::seen(s.trim_end_matches(['\n', '\0']).to_string());
    let einval_absent = |o: Obs, e: &std::io::Error| {
        if e.raw_os_error() == Some(libc::EINVAL) {
            Obs::Absent // AppArmor is not active for this task
        } else {
            o
        }
    };
    match host.read_to_string("/proc/self/attr/apparmor/current") {
        Ok(s) => return clean(s),
        Err(e) if !super::is_missing(&e) => {
            let o = io_obs("/proc/self/attr/apparmor/current", &e);
            return einval_absent(o, &e);
        }
        Err(_) => {}
    }
    let owns_current = match lsm_active(facts, "apparmor") {
        Some(a) => a,
        None => lsm_active(facts, "selinux") != Some(true),
    };
    if !owns_current {
        return Obs::Absent;
    }
    match host.read_to_string("/proc/self/attr/current") {
        Ok(s) => clean(s),
        Err(e) => einval_absent(io_obs("/proc/self/attr/current", &e), &e),
    }
}

/// The loaded profiles, "name (mode)" per line; unavailable without
/// permission (it needs root, and containers often hide it).
fn profiles_loaded(host: &Host, facts: &Facts) -> Obs {
    let path = format!("{SECURITYFS}/profiles");
    match host.read_to_string(&path) {
        Ok(text) => Obs::seen(parse_loaded(&text)),
        Err(e) if super::is_missing(&e) => {
            if is_off(facts) {
                Obs::Absent
            } else {
                Obs::unavailable(format!("{path} is missing (securityfs not mounted?)"))
            }
        }
        Err(e) => io_obs(&path, &e),
    }
}

#[must_use]
pub fn parse_loaded(text: &str) -> Vec<Value> {
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let l = l.trim_end();
            match l.rsplit_once(" (") {
                Some((name, mode)) if mode.ends_with(')') => {
                    json!({ "name": name, "mode": mode.trim_end_matches(')') })
                }
                _ => json!({ "name": l, "mode": "" }),
            }
        })
        .collect()
}

/// The loaded profiles with what they attach to, from
/// /sys/kernel/security/apparmor/policy/profiles/*/{name,attach,mode}
/// (root only on most hosts). `attach` is the attachment pattern, the
/// profile's name for a profile named by its path, `<unknown>` when the
/// kernel has no text for it.
fn loaded_attachments(host: &Host, facts: &Facts) -> Obs {
    let dir = format!("{SECURITYFS}/policy/profiles");
    let rd = match std::fs::read_dir(host.path(&dir)) {
        Ok(rd) => rd,
        Err(e) if super::is_missing(&e) && is_off(facts) => return Obs::Absent,
        Err(e) => return io_obs(&dir, &e),
    };
    let mut entries: Vec<_> = rd.flatten().map(|e| e.path()).collect();
    entries.sort();
    let mut out = Vec::new();
    for d in entries.into_iter().take(MAX_FILES) {
        let read = |f: &str| {
            std::fs::read_to_string(d.join(f))
                .ok()
                .map(|s| s.trim_end_matches(['\n', '\0']).to_string())
        };
        let Some(name) = read("name") else {
            continue;
        };
        out.push(json!({ "name": name, "attach": read("attach"), "mode": read("mode") }));
    }
    Obs::seen(out)
}

/// The names in /etc/apparmor.d that may hold profiles (not backups or
/// hidden files), sorted, at most [`MAX_FILES`].
fn policy_names(host: &Host) -> std::io::Result<Vec<String>> {
    let mut names: Vec<String> = std::fs::read_dir(host.path(POLICY_DIR))?
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| !skipped(n))
        .collect();
    names.sort();
    names.truncate(MAX_FILES);
    Ok(names)
}

/// The profiles bwrap-doctor wrote (files in /etc/apparmor.d whose first
/// line is [`crate::written::WRITTEN_BY`]), with whether the path each
/// attaches to still exists (`null` for a pattern).
fn own_profiles(host: &Host) -> Obs {
    let names = match policy_names(host) {
        Ok(names) => names,
        Err(e) if super::is_missing(&e) => return Obs::Absent,
        Err(e) => return io_obs(POLICY_DIR, &e),
    };
    let mut out = Vec::new();
    for n in names {
        let file = format!("{POLICY_DIR}/{n}");
        let real = host.path(&file);
        if !std::fs::metadata(&real).is_ok_and(|m| m.is_file() && m.len() <= MAX_FILE_BYTES) {
            continue;
        }
        let Ok(text) = std::fs::read_to_string(&real) else {
            continue;
        };
        if !text.starts_with(crate::written::WRITTEN_BY) {
            continue;
        }
        for p in policy::parse(&text).profiles {
            let exists = match &p.attach {
                Some(a) if glob::is_literal(a) => match host.exists(a) {
                    Ok(b) => Value::Bool(b),
                    Err(_) => Value::Null,
                },
                _ => Value::Null,
            };
            out.push(json!({ "file": file, "name": p.name, "attach": p.attach, "exists": exists }));
        }
    }
    Obs::seen(out)
}

/// Files `apparmor_parser` itself skips in its policy directory.
fn skipped(name: &str) -> bool {
    name.starts_with('.')
        || name.ends_with('~')
        || name == "README"
        || [
            ".dpkg-new",
            ".dpkg-old",
            ".dpkg-dist",
            ".dpkg-bak",
            ".dpkg-remove",
            ".ucf-new",
            ".ucf-old",
            ".ucf-dist",
            ".pacsave",
            ".pacnew",
            ".rpmnew",
            ".rpmsave",
            ".orig",
            ".rej",
        ]
        .iter()
        .any(|s| name.ends_with(s))
}

/// Variables the stock tunables define, for hosts whose tunables cannot be
/// read; the host's own definitions replace them.
fn default_vars() -> BTreeMap<String, Vec<String>> {
    let mut v = BTreeMap::new();
    let mut set = |k: &str, vals: &[&str]| {
        v.insert(
            k.to_string(),
            vals.iter().map(std::string::ToString::to_string).collect(),
        );
    };
    set("HOMEDIRS", &["/home/"]);
    set("HOME", &["@{HOMEDIRS}/*/", "/root/"]);
    set("PROC", &["/proc/"]);
    set("sys", &["/sys/"]);
    set("run", &["/run/", "/var/run/"]);
    set("multiarch", &["*-linux-gnu*"]);
    v
}

/// Variable definitions from /etc/apparmor.d/tunables (files and one level
/// of subdirectories, in name order).
fn tunables(host: &Host) -> BTreeMap<String, Vec<String>> {
    let mut vars = default_vars();
    let mut files = Vec::new();
    let dir = host.path(format!("{POLICY_DIR}/tunables"));
    if let Ok(rd) = std::fs::read_dir(&dir) {
        let mut entries: Vec<_> = rd.flatten().map(|e| e.path()).collect();
        entries.sort();
        for p in entries.into_iter().take(MAX_FILES) {
            if p.is_dir() {
                if let Ok(sub) = std::fs::read_dir(&p) {
                    let mut s: Vec<_> = sub.flatten().map(|e| e.path()).collect();
                    s.sort();
                    files.extend(s.into_iter().take(MAX_FILES));
                }
            } else {
                files.push(p);
            }
        }
    }
    for f in files {
        let small = std::fs::metadata(&f).is_ok_and(|m| m.is_file() && m.len() <= MAX_FILE_BYTES);
        if let (true, Ok(text)) = (small, std::fs::read_to_string(&f)) {
            policy::define(&mut vars, &policy::parse(&text).vars);
        }
    }
    vars
}

/// Every profile in the regular files directly in /etc/apparmor.d.
fn profile_files(host: &Host) -> Obs {
    let names = match policy_names(host) {
        Ok(names) => names,
        Err(e) => return io_obs(POLICY_DIR, &e),
    };
    let globals = tunables(host);
    let mut out = Vec::new();
    for n in names {
        let file = format!("{POLICY_DIR}/{n}");
        let real = host.path(&file);
        match std::fs::metadata(&real) {
            Ok(m) if m.is_file() && m.len() <= MAX_FILE_BYTES => {}
            _ => continue, // abstractions/, tunables/, local/, disable/…
        }
        let Ok(bytes) = std::fs::read(&real) else {
            continue;
        };
        let pol = policy::parse(&String::from_utf8_lossy(&bytes));
        let mut vars = globals.clone();
        policy::define(&mut vars, &pol.vars);
        let disabled = host
            .exists(&format!("{POLICY_DIR}/disable/{n}"))
            .unwrap_or(false);
        for p in pol.profiles {
            out.push(json!({
                "file": file,
                "name": p.name,
                "attach": p.attach.map(|a| glob::collapse_slashes(&policy::expand(&a, &vars))),
                "unconfined": p.flags.iter().any(|f| f == "unconfined"),
                "flags": p.flags,
                "userns": p.userns,
                "capabilities": p.capabilities,
                "mount_all": p.mount_all,
                "disabled": disabled,
            }));
        }
    }
    Obs::seen(out)
}

/// The profiles recorded in `apparmor.profile_files`, or the observation
/// that stands in for them.
fn files(facts: &Facts) -> Result<Vec<Value>, Obs> {
    match facts.get("apparmor.profile_files") {
        Obs::Seen(Value::Array(v)) => Ok(v),
        Obs::Seen(other) => Err(Obs::unavailable(format!(
            "unexpected apparmor.profile_files: {other}"
        ))),
        Obs::Absent => Ok(Vec::new()),
        Obs::Unavailable(why) => Err(Obs::unavailable(format!(
            "apparmor.profile_files is unavailable ({why})"
        ))),
    }
}

fn summary(p: &Value) -> Value {
    json!({ "file": p["file"], "name": p["name"], "attach": p["attach"] })
}

fn flag(p: &Value, k: &str) -> bool {
    p[k].as_bool().unwrap_or(false)
}

/// The path of the bwrap that ran, and its real path when known.
fn bwrap_paths(facts: &Facts) -> Result<(String, Option<String>), Obs> {
    let path = match facts.get("bwrap.path") {
        Obs::Seen(Value::String(s)) => s,
        other => {
            return Err(Obs::unavailable(format!(
                "bwrap.path is {}",
                other.describe()
            )));
        }
    };
    let real = match facts.get("bwrap.realpath") {
        Obs::Seen(Value::String(s)) => Some(s),
        _ => None,
    };
    Ok((path, real))
}

/// The profile attaches to this path or this real path.
fn attaches(p: &Value, path: &str, real: Option<&str>) -> bool {
    p["attach"]
        .as_str()
        .is_some_and(|a| glob::matches(a, path) || real.is_some_and(|r| glob::matches(a, r)))
}

/// The profile that lets the bwrap that ran (by its path or its real path)
/// create user namespaces: not disabled, attached to that path, granting
/// `userns`, and loaded (when the loaded list can be read). An exact
/// attachment wins over a pattern, as in `AppArmor`; then file order.
fn covering_profile(facts: &Facts) -> Obs {
    let files = match files(facts) {
        Ok(f) => f,
        Err(o) => return o,
    };
    // No profile that grants user namespaces: none can cover any bwrap,
    // whichever path it has.
    if !files
        .iter()
        .any(|p| !flag(p, "disabled") && flag(p, "userns"))
    {
        return Obs::Absent;
    }
    let (path, real) = match bwrap_paths(facts) {
        Ok(p) => p,
        Err(o) => return o,
    };
    // Profiles tied for this path attach to nothing: nothing covers it.
    if let Ok(cands) = attachment_candidates(facts)
        && [Some(&path), real.as_ref()]
            .into_iter()
            .flatten()
            .any(|p| attach::strongest(&cands, p).len() > 1)
    {
        return Obs::Absent;
    }
    let loaded = loaded(facts);
    let hits = files
        .iter()
        .filter(|p| !flag(p, "disabled") && flag(p, "userns"))
        .filter(|p| attaches(p, &path, real.as_deref()))
        .filter(|p| match (&loaded, p["name"].as_str()) {
            (Some(l), Some(n)) => l.iter().any(|(x, _)| x == n),
            _ => true,
        });
    match best(hits) {
        Some(p) => Obs::Seen(summary(p)),
        None => Obs::Absent,
    }
}

/// The loaded profiles as (name, mode), when the list can be read.
fn loaded(facts: &Facts) -> Option<Vec<(String, String)>> {
    match facts.get("apparmor.profiles_loaded") {
        Obs::Seen(Value::Array(v)) => Some(
            v.iter()
                .filter_map(|p| {
                    Some((
                        p["name"].as_str()?.to_string(),
                        p["mode"].as_str().unwrap_or("").to_string(),
                    ))
                })
                .collect(),
        ),
        _ => None,
    }
}

/// The profile `AppArmor` would attach among `hits`: an exact attachment
/// before a pattern, then file order.
fn best<'a>(hits: impl Iterator<Item = &'a Value>) -> Option<&'a Value> {
    let mut hits: Vec<&Value> = hits.collect();
    hits.sort_by_key(|p| !glob::is_literal(p["attach"].as_str().unwrap_or("")));
    hits.first().copied()
}

/// The profile that confines the bwrap that ran: attached to its path or
/// real path, not disabled, without `flags=(unconfined)`, and (when the
/// loaded list can be read) loaded in enforce mode. What it does not allow,
/// bwrap cannot do, whatever the user-namespace restriction says.
fn confining_profile(facts: &Facts) -> Obs {
    let files = match files(facts) {
        Ok(f) => f,
        Err(o) => return o,
    };
    let confining = |p: &&Value| !flag(p, "disabled") && !flag(p, "unconfined");
    if !files
        .iter()
        .any(|p| confining(&p) && p["attach"].is_string())
    {
        return Obs::Absent;
    }
    let (path, real) = match bwrap_paths(facts) {
        Ok(p) => p,
        Err(o) => return o,
    };
    let modes = loaded(facts);
    let hits = files
        .iter()
        .filter(confining)
        .filter(|p| attaches(p, &path, real.as_deref()))
        .filter(|p| match (&modes, p["name"].as_str()) {
            (Some(m), Some(n)) => m.iter().any(|(name, mode)| name == n && mode == "enforce"),
            _ => true,
        });
    match best(hits) {
        Some(p) => Obs::Seen(json!({
            "file": p["file"], "name": p["name"], "attach": p["attach"], "flags": p["flags"],
            "capabilities": p["capabilities"], "mount_all": p["mount_all"],
        })),
        None => Obs::Absent,
    }
}

/// Profiles that allow user namespaces (or are unconfined) for some bwrap
/// path: not disabled, attached to an executable, and "bwrap" in the name
/// or the attachment.
fn bwrap_exceptions(facts: &Facts) -> Obs {
    let files = match files(facts) {
        Ok(f) => f,
        Err(o) => return o,
    };
    Obs::seen(
        files
            .iter()
            .filter(|p| !flag(p, "disabled") && (flag(p, "userns") || flag(p, "unconfined")))
            .filter(|p| {
                let name = p["name"].as_str().unwrap_or("");
                match p["attach"].as_str() {
                    Some(a) => name.contains("bwrap") || a.contains("bwrap"),
                    None => false,
                }
            })
            .map(summary)
            .collect::<Vec<_>>(),
    )
}

/// Every profile that may attach to an executable here: the profile files
/// and, when they can be read, the kernel's loaded attachments.
pub fn attachment_candidates(facts: &Facts) -> Result<Vec<attach::Candidate>, Obs> {
    let files = files(facts)?;
    let loaded = match facts.get("apparmor.loaded_attachments") {
        Obs::Seen(Value::Array(v)) => Some(v),
        _ => None,
    };
    Ok(attach::candidates(&files, loaded.as_deref()))
}

/// The conflict over the path (or real path) of the bwrap that ran.
fn conflict_for_bwrap(facts: &Facts) -> Obs {
    let (path, real) = match bwrap_paths(facts) {
        Ok(p) => p,
        Err(o) => return o,
    };
    let cands = match attachment_candidates(facts) {
        Ok(c) => c,
        Err(o) => return o,
    };
    for p in [Some(path), real].into_iter().flatten() {
        let top = attach::strongest(&cands, &p);
        if top.len() > 1 {
            return Obs::seen(json!({
                "path": p,
                "profiles": top.iter().map(|c| c.to_json()).collect::<Vec<_>>(),
            }));
        }
    }
    Obs::Absent
}

/// Profiles that tie for an executable bwrap may run as (the bwrap that
/// ran, by its path and real path, and every plain path a bwrap profile
/// attaches to): `AppArmor` attaches none of them. Each conflict:
/// `{path, profiles: [{name, attach, file, loaded}]}`.
fn attachment_conflicts(facts: &Facts) -> Obs {
    let cands = match attachment_candidates(facts) {
        Ok(c) => c,
        Err(o) => return o,
    };
    let mut paths: Vec<String> = Vec::new();
    if let Ok((path, real)) = bwrap_paths(facts) {
        paths.push(path);
        paths.extend(real);
    }
    for c in &cands {
        if glob::is_literal(&c.attach) && (c.attach.contains("bwrap") || c.name.contains("bwrap")) {
            paths.push(c.attach.clone());
        }
    }
    let mut seen: Vec<Vec<String>> = Vec::new();
    let mut out = Vec::new();
    for path in paths {
        let top = attach::strongest(&cands, &path);
        if top.len() < 2 {
            continue;
        }
        let key: Vec<String> = top.iter().map(|c| c.name.clone()).collect();
        if seen.contains(&key) {
            continue;
        }
        seen.push(key);
        out.push(json!({
            "path": path,
            "profiles": top.iter().map(|c| c.to_json()).collect::<Vec<_>>(),
        }));
    }
    Obs::seen(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loaded_profiles_parse_name_and_mode() {
        let v = parse_loaded(
            "bwrap (enforce)\nunpriv_bwrap (enforce)\n/usr/bin/man (complain)\nsnap.x.y (unconfined)\n\n",
        );
        assert_eq!(v.len(), 4);
        assert_eq!(v[0], json!({"name": "bwrap", "mode": "enforce"}));
        assert_eq!(v[2], json!({"name": "/usr/bin/man", "mode": "complain"}));
    }

    #[test]
    fn policy_dir_skips_backups_and_hidden_files() {
        for n in [
            "README",
            ".git",
            "foo~",
            "bwrap.dpkg-new",
            "x.rpmsave",
            "y.orig",
        ] {
            assert!(skipped(n), "{n}");
        }
        for n in [
            "bwrap-userns-restrict",
            "usr.bin.man",
            "unprivileged_userns",
        ] {
            assert!(!skipped(n), "{n}");
        }
    }
}
