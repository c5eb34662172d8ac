//! The real-world corpus (tests/corpus/): each public case replayed with
//! `explain --snapshot`, accuracy reported per cause. At least 90% must be
//! right, and no confirmed cause may be wrong.

use crate::cli_doctor as doctor;
use crate::support::{self, As};
use crate::{Body, Test};
use std::collections::BTreeMap;
use std::path::Path;

pub fn tests() -> Vec<Test> {
    tests![Once corpus_accuracy_per_cause]
}

#[derive(Debug)]
struct Case {
    file: String,
    cause: String,
    also: Vec<String>,
    stderr: String,
    argv: Vec<String>,
    facts: toml::Table,
}

fn load() -> Vec<Case> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort();
    files
        .iter()
        .map(|p| {
            let text = std::fs::read_to_string(p).unwrap();
            let t: toml::Table =
                toml::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
            let strs = |k: &str| -> Vec<String> {
                t.get(k)
                    .and_then(|v| v.as_array())
                    .map(|a| {
                        a.iter()
                            .filter_map(|x| x.as_str().map(str::to_string))
                            .collect()
                    })
                    .unwrap_or_default()
            };
            for key in [
                "id",
                "source",
                "title",
                "caller",
                "stderr",
                "cause",
                "confidence",
                "evidence",
            ] {
                assert!(t.contains_key(key), "{}: no {key}", p.display());
            }
            Case {
                file: p.file_name().unwrap().to_string_lossy().into_owned(),
                cause: t["cause"].as_str().unwrap().to_string(),
                also: strs("also"),
                stderr: t["stderr"].as_str().unwrap().to_string(),
                argv: strs("argv"),
                facts: t
                    .get("facts")
                    .and_then(|f| f.as_table())
                    .cloned()
                    .unwrap_or_default(),
            }
        })
        .collect()
}

/// The case's facts as a snapshot file.
fn snapshot(case: &Case, dir: &Path) -> std::path::PathBuf {
    let facts: serde_json::Value = serde_json::to_value(&case.facts).unwrap();
    for key in facts.as_object().unwrap().keys() {
        assert!(
            bwrap_doctor::probe::lookup(key).is_some(),
            "{}: {key} is not a fact key (rules/README.md lists them)",
            case.file
        );
    }
    let snap = serde_json::json!({
        "schema": "bwrap-doctor/snapshot",
        "schema_version": 1,
        "note": format!("tests/corpus/{}", case.file),
        "facts": facts,
    });
    let path = dir.join(case.file.replace(".toml", ".json"));
    std::fs::write(&path, serde_json::to_string_pretty(&snap).unwrap()).unwrap();
    path
}

fn corpus_accuracy_per_cause() {
    let cases = load();
    assert!(cases.len() >= 40, "the corpus has {} cases", cases.len());
    let dir = support::install().scratch();
    // cause -> (cases, right)
    let mut per: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    let mut wrong = Vec::new();
    let mut missed = Vec::new();
    for case in &cases {
        let snap = snapshot(case, &dir);
        let mut args = vec![
            "explain".to_string(),
            "--json".into(),
            "--snapshot".into(),
            snap.display().to_string(),
        ];
        if !case.argv.is_empty() {
            args.push("--".into());
            args.extend(case.argv.iter().cloned());
        }
        let argv: Vec<&str> = args.iter().map(String::as_str).collect();
        let mut c = doctor(As::User, &argv);
        let out = support::run_with_input(
            &mut c,
            Some(case.stderr.as_bytes()),
            std::time::Duration::from_secs(60),
        );
        let v: serde_json::Value = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{}: {e}: {}", case.file, out.stderr_text()));
        let confirmed: Vec<String> = v["candidates"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c["verdict"] == "confirmed" && c["superseded_by"].is_null())
            .map(|c| c["cause"].as_str().unwrap().to_string())
            .collect();
        let entry = per.entry(case.cause.clone()).or_default();
        entry.0 += 1;
        let bad: Vec<&String> = confirmed
            .iter()
            .filter(|c| **c != case.cause && !case.also.contains(c))
            .collect();
        if !bad.is_empty() {
            wrong.push(format!(
                "{}: expected {}, confirmed {:?}",
                case.file, case.cause, confirmed
            ));
        } else if confirmed.first() == Some(&case.cause) {
            entry.1 += 1;
        } else {
            missed.push(format!(
                "{}: expected {}, confirmed {:?}",
                case.file, case.cause, confirmed
            ));
        }
    }
    let total = cases.len();
    let right: usize = per.values().map(|(_, r)| r).sum();
    eprintln!(
        "    corpus: {right}/{total} right ({:.1}%)",
        100.0 * right as f64 / total as f64
    );
    for (cause, (n, r)) in &per {
        eprintln!("      {cause:<34} {r:>3}/{n:<3}");
    }
    for m in &missed {
        eprintln!("      missed: {m}");
    }
    assert!(
        wrong.is_empty(),
        "confirmed but wrong:\n{}",
        wrong.join("\n")
    );
    assert!(
        right * 10 >= total * 9,
        "accuracy {right}/{total} is below 90%; missed:\n{}",
        missed.join("\n")
    );
}
