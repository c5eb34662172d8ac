//! rules/catalogue/messages.toml: every message bwrap can print, from its
//! source. Each one, filled with plausible values and each errno its setup
//! step can return, must be owned by a rule (nothing ends in "no rule
//! explains this message"), and the stage rules must cover every step ×
//! errno pair with examples of both kinds.

use crate::{Body, Test};
use bwrap_doctor_engine::diagnose::{self, Verdict};
use bwrap_doctor_engine::probe::Context;
use bwrap_doctor_engine::probe::Facts;
use bwrap_doctor_engine::rules::{self, Expect, Locations, STAGES};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

pub fn tests() -> Vec<Test> {
    tests![
        Once every_catalogued_message_with_each_errno_of_its_step_is_owned,
        Once every_step_and_errno_has_a_stage_rule_with_both_kinds_of_example,
        Once a_message_whose_specific_rules_are_all_refuted_falls_back_to_its_step,
    ]
}

fn load(name: &str) -> toml::Table {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("rules/catalogue")
        .join(name);
    toml::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
}

/// glibc's strerror texts of the errnos steps.toml names.
fn strerror(errno: &str) -> &'static str {
    match errno {
        "EPERM" => "Operation not permitted",
        "ENOENT" => "No such file or directory",
        "EIO" => "Input/output error",
        "E2BIG" => "Argument list too long",
        "ENOEXEC" => "Exec format error",
        "EBADF" => "Bad file descriptor",
        "ENXIO" => "No such device or address",
        "ENOMEM" => "Cannot allocate memory",
        "EACCES" => "Permission denied",
        "EFAULT" => "Bad address",
        "EBUSY" => "Device or resource busy",
        "EEXIST" => "File exists",
        "ENODEV" => "No such device",
        "ENOTDIR" => "Not a directory",
        "EISDIR" => "Is a directory",
        "EINVAL" => "Invalid argument",
        "ETXTBSY" => "Text file busy",
        "ENOSPC" => "No space left on device",
        "EROFS" => "Read-only file system",
        "EPIPE" => "Broken pipe",
        "ENOSYS" => "Function not implemented",
        "ELOOP" => "Too many levels of symbolic links",
        "EUSERS" => "Too many users",
        "EOPNOTSUPP" => "Operation not supported",
        "EPROTONOSUPPORT" => "Protocol not supported",
        "EAFNOSUPPORT" => "Address family not supported by protocol",
        "ESTALE" => "Stale file handle",
        other => panic!("steps.toml names {other}, which this test cannot spell"),
    }
}

const MOUNT_ENOSPC: &str = "Limit exceeded (ENOSPC). (Hint: Check that /proc/sys/fs/mount-max is sufficient, typically 100000)";

/// The format with its samples put in (`{errno}` samples get `err`).
fn fill(format: &str, samples: &[String], err: &str) -> String {
    let conv =
        regex::Regex::new(r"%[-+ #0]*(\d+|\*)?(\.\d+)?(hh|h|ll|l|j|z|t)?[diouxXsc%]").unwrap();
    let mut it = samples.iter();
    conv.replace_all(format, |c: &regex::Captures| {
        if &c[0] == "%%" {
            "%".to_string()
        } else {
            let s = it.next().expect("a sample for every conversion");
            if s == "{errno}" {
                err.to_string()
            } else {
                s.clone()
            }
        }
    })
    .into_owned()
}

/// Every text one catalogued message can be, as bwrap prints it (without
/// `bwrap: `), with the errno it carries.
fn instances(m: &toml::Table) -> Vec<(String, Option<String>)> {
    let s = |k: &str| m[k].as_str().unwrap().to_string();
    let format = s("format");
    let samples: Vec<String> = m["samples"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect();
    let errnos: Vec<String> = m["errnos"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect();
    match s("errno").as_str() {
        "none" => vec![(fill(&format, &samples, ""), None)],
        kind => errnos
            .iter()
            .flat_map(|e| {
                let mut texts = vec![strerror(e).to_string()];
                if e == "ENOSPC" && kind == "mount_strerror" {
                    texts.push(MOUNT_ENOSPC.to_string());
                }
                texts.into_iter().map(|t| {
                    let text = if kind == "inline" {
                        fill(&format, &samples, &t)
                    } else {
                        format!("{}: {t}", fill(&format, &samples, &t))
                    };
                    (text, Some(e.clone()))
                })
            })
            .collect(),
    }
}

fn every_catalogued_message_with_each_errno_of_its_step_is_owned() {
    let cat = load("messages.toml");
    let set = rules::load(&Locations::builtin_only());
    let active: Vec<&rules::Rule> = set.active().collect();
    let messages = cat["message"].as_array().unwrap();
    assert!(
        messages.len() > 250,
        "the catalogue has {} messages",
        messages.len()
    );
    let mut tried = 0;
    let mut unowned = Vec::new();
    let mut no_stage = Vec::new();
    for m in messages {
        let m = m.as_table().unwrap();
        if m.get("prefix").and_then(|p| p.as_bool()) == Some(false) {
            continue; // "Out of memory", usage: not bwrap: lines
        }
        let step = m["step"].as_str().unwrap();
        for (text, errno) in instances(m) {
            tried += 1;
            let owners: Vec<&&rules::Rule> = active
                .iter()
                .filter(|r| diagnose::match_rule(r, &text).is_some())
                .collect();
            if owners.is_empty() {
                unowned.push(text.clone());
            }
            // Owned by its step's rule, and for an errno by the rule that
            // says what that errno means at that step (`stage.STEP.ERRNO`,
            // or `stage.STEP.ERRNO.PART` for the messages of the step where
            // it means something else: scripts/stages.py, SPLIT).
            let want = match &errno {
                Some(e) => format!("stage.{step}.{}", e.to_lowercase()),
                None => format!("stage.{step}."),
            };
            let by_step = owners.iter().any(|r| {
                r.stage.as_deref() == Some(step)
                    && (r.id == want
                        || r.id.starts_with(&format!("{want}."))
                        || (errno.is_none() && r.id.starts_with(&want)))
            });
            if !by_step {
                no_stage.push(format!("{want}: {text}"));
            }
        }
    }
    eprintln!(
        "    catalogue: {} messages, {tried} instances (message × errno), {} unowned",
        messages.len(),
        unowned.len()
    );
    assert!(unowned.is_empty(), "no rule owns:\n{}", unowned.join("\n"));
    assert!(
        no_stage.is_empty(),
        "no stage rule of the message's own step owns:\n{}",
        no_stage.join("\n")
    );
}

fn every_step_and_errno_has_a_stage_rule_with_both_kinds_of_example() {
    let steps = load("steps.toml");
    let set = rules::load(&Locations::builtin_only());
    let mut pairs = 0;
    let ids: BTreeSet<String> = set.active().map(|r| r.id.clone()).collect();
    let mut listed = BTreeSet::new();
    for st in steps["step"].as_array().unwrap() {
        let id = st["id"].as_str().unwrap();
        listed.insert(id.to_string());
        assert!(
            STAGES.contains(&id),
            "steps.toml has {id}, the engine's STAGES does not"
        );
        for e in st["errnos"].as_array().unwrap() {
            let e = e.as_str().unwrap();
            let rid = format!("stage.{id}.{}", e.to_lowercase());
            // A step whose messages never carry an errno has no such rule.
            let Some(rule) = set.get(&rid) else {
                assert!(
                    !ids.iter().any(|i| i.starts_with(&format!("stage.{id}.e"))),
                    "{rid} is missing"
                );
                continue;
            };
            pairs += 1;
            // The rule of the pair, and its parts for the messages where the
            // errno means something else (`stage.STEP.ERRNO.PART`).
            let parts = ids.iter().filter(|i| i.starts_with(&format!("{rid}.")));
            for (rid, rule) in std::iter::once((rid.clone(), rule))
                .chain(parts.map(|i| (i.clone(), set.get(i).unwrap())))
            {
                assert_eq!(rule.stage.as_deref(), Some(id), "{rid}");
                assert!(!rule.causes.is_empty(), "{rid} lists no cause");
                let positive: Vec<_> = rule
                    .examples
                    .iter()
                    .filter(|x| x.expect == Expect::Unconfirmed)
                    .collect();
                let negative = rule
                    .examples
                    .iter()
                    .filter(|x| x.expect == Expect::NoMatch)
                    .count();
                assert!(
                    !positive.is_empty() && negative > 0,
                    "{rid}: examples of both kinds"
                );
                assert!(
                    positive.iter().all(|x| x.stderr.contains(strerror(e))),
                    "{rid}: its positive example shows {e}"
                );
                for x in &rule.examples {
                    let r = diagnose::selftest::run_example(rule, x);
                    assert_eq!(r.got, r.expected, "{rid}: {}", x.name);
                }
            }
        }
    }
    let all: BTreeSet<String> = STAGES.iter().map(|s| s.to_string()).collect();
    assert_eq!(listed, all, "steps.toml and STAGES list the same steps");
    eprintln!("    stage rules: {pairs} step × errno pairs");
    assert!(
        pairs >= 80,
        "only {pairs} step × errno pairs have a stage rule"
    );
}

fn a_message_whose_specific_rules_are_all_refuted_falls_back_to_its_step() {
    let set = rules::load(&Locations::builtin_only());
    // Debian's wording of EPERM on namespace creation, on a host where the
    // sysctl is on, no filter, not in a chroot or a sandbox: every specific
    // rule is ruled out.
    let facts: BTreeMap<String, bwrap_doctor_engine::facts::Obs> = [
        (
            "sysctl.kernel.unprivileged_userns_clone",
            serde_json::json!(1),
        ),
        ("sysctl.user.max_user_namespaces", serde_json::json!(15000)),
        (
            "sysctl.kernel.apparmor_restrict_unprivileged_userns",
            serde_json::json!(0),
        ),
        ("caller.euid", serde_json::json!(1000)),
        ("caller.seccomp", serde_json::json!(0)),
        ("caller.in_initial_userns", serde_json::json!(true)),
        ("container.kind", serde_json::json!("none")),
        ("chroot", serde_json::json!(false)),
        ("bwrap.setuid", serde_json::json!(false)),
        ("apparmor.label", serde_json::json!("unconfined")),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), bwrap_doctor_engine::facts::Obs::Seen(v)))
    .collect();
    let facts = Facts::recorded(facts, Context::default());
    let stderr = b"bwrap: No permissions to create a new namespace, likely because the kernel does not allow non-privileged user namespaces. See <https://deb.li/bubblewrap> or <file:///usr/share/doc/bubblewrap/README.Debian.gz>.\n";
    let d = diagnose::diagnose(&set, &facts, stderr);
    let specific: Vec<_> = d.candidates.iter().filter(|c| c.stage.is_none()).collect();
    assert!(
        !specific.is_empty() && specific.iter().all(|c| c.verdict == Verdict::Refuted),
        "every specific rule is ruled out here: {:?}",
        specific
            .iter()
            .map(|c| (&c.rule, c.verdict))
            .collect::<Vec<_>>()
    );
    let first = &d.candidates[0];
    assert_eq!(first.stage.as_deref(), Some("userns"), "{}", first.rule);
    assert_eq!(first.verdict, Verdict::Unconfirmed);
    assert!(!d.has_confirmed());
    // The stage's causes carry what the specific rules found.
    let sysctl = first
        .causes
        .iter()
        .find(|c| c.cause.id() == "userns-sysctl-disabled")
        .expect("the sysctl is a cause of EPERM here");
    assert_eq!(sysctl.verdict, Some(Verdict::Refuted));
    // With a specific rule standing, the stage rule is not heard.
    let stands = Facts::recorded(BTreeMap::new(), Context::default());
    let d = diagnose::diagnose(&set, &stands, stderr);
    assert!(d.candidates.iter().all(|c| c.stage.is_none()));
}
