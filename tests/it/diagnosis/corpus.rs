//! The real-world corpus (tests/corpus/): each public case replayed with
//! `explain --snapshot`, accuracy reported per cause: how often the cause
//! named first is the thread's, how often it is confirmed. No confirmed
//! cause may be wrong; the two accuracies have floors (see the end).

use crate::cli_doctor as doctor;
use crate::support::{self, As};
use crate::{Body, Test};
use std::collections::BTreeMap;
use std::path::Path;

pub fn tests() -> Vec<Test> {
    tests![
        Once corpus_accuracy_per_cause,
        Once held_out_test_set_accuracy_per_cause,
    ]
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

/// The cases of one set: `tests/corpus` (the development set) or
/// `tests/corpus/test` (the held-out test set).
fn load(set: &str) -> Vec<Case> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join(set);
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

/// How one case came out.
#[derive(Default, Clone, Copy)]
struct Tally {
    cases: usize,
    /// The first confirmed cause is the thread's (for `other`: nothing confirmed).
    confirmed: usize,
    /// The cause named first (confirmed, else the best-supported possible
    /// cause) is the thread's (for `other`: nothing confirmed).
    first: usize,
}

/// The development set: the cases the rules were written from (recall).
fn corpus_accuracy_per_cause() {
    let m = measure("tests/corpus");
    assert!(m.total >= 40, "the corpus has {} cases", m.total);
    m.assert_no_wrong_confirmation();
    // Floors under the figures measured last (96.7% named first, 51.6%
    // confirmed, of 91): a change that loses ground fails here.
    m.assert_floors(95, 50);
}

/// The held-out test set (tests/corpus/test/README.md): cases chosen before
/// the rules changed for them, which rule writers do not read. This is the
/// figure that says whether the knowledge generalizes.
fn held_out_test_set_accuracy_per_cause() {
    let m = measure("tests/corpus/test");
    assert!(m.total >= 60, "the test set has {} cases", m.total);
    // One wrong confirmation is known (see tests/corpus/test/README.md) and
    // not mended from the case, which would spoil the set; a second fails.
    assert!(
        m.wrong.len() <= TEST_SET_KNOWN_WRONG,
        "tests/corpus/test: more confirmed but wrong than known:\n{}",
        m.wrong.join("\n")
    );
    // Floors under the figures measured when the set was first replayed
    // with the stage rules (73.1% and 38.8% of 67): not yet the 90% the
    // project aims for.
    m.assert_floors(73, 38);
}

/// Wrong confirmations on the held-out set when it was first replayed.
const TEST_SET_KNOWN_WRONG: usize = 1;

struct Measured {
    set: String,
    total: usize,
    first: usize,
    confirmed: usize,
    wrong: Vec<String>,
    missed: Vec<String>,
}

impl Measured {
    fn assert_no_wrong_confirmation(&self) {
        assert!(
            self.wrong.is_empty(),
            "{}: confirmed but wrong:\n{}",
            self.set,
            self.wrong.join("\n")
        );
    }

    fn assert_floors(&self, first: usize, confirmed: usize) {
        let total = self.total;
        assert!(
            self.first * 100 >= total * first,
            "{}: the cause named first is right in {}/{total}, below {first}%:\n{}",
            self.set,
            self.first,
            self.missed.join("\n")
        );
        assert!(
            self.confirmed * 100 >= total * confirmed,
            "{}: a cause is confirmed right in {}/{total}, below {confirmed}%",
            self.set,
            self.confirmed
        );
    }
}

/// Replay every case of `set` and report per cause.
fn measure(set: &str) -> Measured {
    let cases = load(set);
    let dir = support::install().scratch();
    let mut per: BTreeMap<String, Tally> = BTreeMap::new();
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
        let shown: Vec<(&str, &str)> = v["candidates"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c["superseded_by"].is_null() && c["verdict"] != "refuted")
            // A stage rule (a step that failed, no specific rule standing)
            // names its causes most likely first: the first is its answer.
            .map(|c| {
                let named = c["causes"][0]["cause"].as_str().or(c["cause"].as_str());
                (c["verdict"].as_str().unwrap(), named.unwrap())
            })
            .collect();
        let confirmed: Vec<&str> = shown
            .iter()
            .filter(|(v, _)| *v == "confirmed")
            .map(|(_, c)| *c)
            .collect();
        let t = per.entry(case.cause.clone()).or_default();
        t.cases += 1;
        let bad: Vec<&&str> = confirmed
            .iter()
            .filter(|c| **c != case.cause && !case.also.iter().any(|a| a == **c))
            .collect();
        let right = |got: Option<&str>| match case.cause.as_str() {
            "other" => confirmed.is_empty(),
            want => got == Some(want),
        };
        if !bad.is_empty() {
            wrong.push(format!(
                "{}: expected {}, confirmed {confirmed:?}",
                case.file, case.cause
            ));
            continue;
        }
        if right(confirmed.first().copied()) {
            t.confirmed += 1;
        }
        if right(shown.first().map(|(_, c)| *c)) {
            t.first += 1;
        } else {
            missed.push(format!(
                "{}: expected {}, named {shown:?}",
                case.file, case.cause
            ));
        }
    }
    let total = cases.len();
    let sum = per.values().fold(Tally::default(), |a, t| Tally {
        cases: a.cases + t.cases,
        confirmed: a.confirmed + t.confirmed,
        first: a.first + t.first,
    });
    let pct = |n: usize| 100.0 * n as f64 / total as f64;
    eprintln!(
        "    {set}: {total} cases; the cause named first is right in {} ({:.1}%); confirmed right in {} ({:.1}%); confirmed wrong in {}",
        sum.first,
        pct(sum.first),
        sum.confirmed,
        pct(sum.confirmed),
        wrong.len()
    );
    eprintln!(
        "      {:<34} {:>5} {:>6} {:>9}",
        "cause", "cases", "first", "confirmed"
    );
    for (cause, t) in &per {
        eprintln!(
            "      {cause:<34} {:>5} {:>6} {:>9}",
            t.cases, t.first, t.confirmed
        );
    }
    for m in &missed {
        eprintln!("      named first, wrongly: {m}");
    }
    Measured {
        set: set.to_string(),
        total,
        first: sum.first,
        confirmed: sum.confirmed,
        wrong,
        missed,
    }
}
