//! The JSON contracts as data: docs/check.schema.json,
//! docs/diagnosis.schema.json and docs/snapshot.schema.json are generated
//! from the output types (`bwrap_doctor_engine::contract`, schemars);
//! `BWD_BLESS=1 cargo test --test it schemas` rewrites them. Every document
//! the tests read is validated against them (support::schema, the
//! `jsonschema` crate); here, that the validator says no when it should,
//! and that every snapshot kept in the repository is one.

use super::check::doctor;
use crate::support::{self, As, schema};
use crate::{Body, Test};
use bwrap_doctor_engine::contract::{CONTRACTS, contract};
use serde_json::{Value, json};
use std::path::Path;

pub fn tests() -> Vec<Test> {
    tests![
        Once the_committed_schemas_are_the_generated_ones,
        Once each_schema_names_its_document_and_version,
        Once the_validator_rejects_a_broken_check_report,
        Once the_validator_rejects_a_broken_diagnosis,
        Once the_validator_rejects_a_broken_snapshot,
        Once every_kept_snapshot_and_a_fresh_one_match_the_snapshot_schema,
    ]
}

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn the_committed_schemas_are_the_generated_ones() {
    let bless = std::env::var_os("BWD_BLESS").is_some_and(|v| v == "1");
    let mut stale = Vec::new();
    for c in &CONTRACTS {
        let path = root().join(c.file);
        let want = c.text();
        if bless {
            std::fs::write(&path, &want).unwrap();
            continue;
        }
        let have = std::fs::read_to_string(&path).unwrap_or_default();
        if have != want {
            stale.push(format!("--- {}\n{have}\n--- generated\n{want}", c.file));
        }
    }
    assert!(
        stale.is_empty(),
        "committed schemas differ from the types (BWD_BLESS=1 cargo test --test it schemas rewrites them; review the diff and bump the version if a change is not additive):\n{}",
        stale.join("\n")
    );
}

fn each_schema_names_its_document_and_version() {
    assert_eq!(CONTRACTS.len(), 3);
    for c in &CONTRACTS {
        let s = c.json();
        assert_eq!(
            s["$schema"], "https://json-schema.org/draft/2020-12/schema",
            "{}",
            c.file
        );
        let kind = c.schema.strip_prefix("bwrap-doctor/").unwrap();
        assert_eq!(
            s["$id"],
            format!(
                "https://bwrap-doctor.invalid/schema/{kind}-{}.json",
                c.version
            )
        );
        assert!(
            s["title"]
                .as_str()
                .unwrap()
                .ends_with(&format!(", version {}", c.version)),
            "{}",
            s["title"]
        );
        assert_eq!(s["properties"]["schema"]["const"], c.schema, "{}", c.file);
        assert_eq!(
            s["properties"]["schema_version"]["const"], c.version,
            "{}",
            c.file
        );
        for field in ["schema", "schema_version", "tool_version"] {
            assert!(
                s["required"].as_array().unwrap().contains(&field.into()),
                "{}: {field} is not required",
                c.file
            );
        }
        // Doc comments become descriptions.
        assert!(s["description"].as_str().is_some_and(|d| !d.is_empty()));
        assert!(
            s["properties"]["schema_version"]["description"]
                .as_str()
                .unwrap()
                .contains("additive changes keep it")
        );
    }
}

/// A change to a valid document, and the paths it must make errors at.
type Breakage<'a> = (&'a dyn Fn(&mut Value), &'a [&'a str]);

/// `doc` is valid, and each breakage makes exactly the listed error paths.
fn rejects(kind: &str, good: &Value, breakages: &[Breakage]) {
    let c = contract(kind).unwrap();
    assert_eq!(
        schema::violations(c, good),
        Vec::<String>::new(),
        "{good:#}"
    );
    for (i, (breakage, paths)) in breakages.iter().enumerate() {
        let mut bad = good.clone();
        breakage(&mut bad);
        let errors = schema::violations(c, &bad);
        let mut at: Vec<&str> = errors
            .iter()
            .map(|e| e.split(": ").next().unwrap())
            .collect();
        at.sort_unstable();
        at.dedup();
        assert_eq!(at, paths.to_vec(), "breakage {i} of {kind}: {errors:#?}");
    }
}

fn the_validator_rejects_a_broken_check_report() {
    let good = json!({
        "schema": "bwrap-doctor/check", "schema_version": 1, "tool_version": "0.1.0",
        "overall": "ok", "duration_ms": 1.5,
        "checks": [{"id": "kernel.userns", "section": "kernel", "status": "ok",
                    "summary": "works", "evidence": [], "fix": [], "duration_ms": 0.1}]
    });
    rejects(
        "bwrap-doctor/check",
        &good,
        &[
            (
                &|v| v["checks"][0]["status"] = "fine".into(),
                &["/checks/0/status"],
            ),
            (&|v| v["checks"][0]["extra"] = 1.into(), &["/checks/0"]),
            (&|v| v["schema_version"] = 2.into(), &["/schema_version"]),
            (
                &|v| v["schema"] = "bwrap-doctor/snapshot".into(),
                &["/schema"],
            ),
            (
                &|v| {
                    v.as_object_mut().unwrap().remove("overall");
                },
                &[""],
            ),
            (&|v| v["overall"] = "skip".into(), &["/overall"]),
            (
                &|v| v["checks"][0]["id"] = "Kernel userns".into(),
                &["/checks/0/id"],
            ),
            (
                &|v| v["checks"][0]["section"] = "misc".into(),
                &["/checks/0/section"],
            ),
            (
                &|v| v["checks"][0]["fix"] = json!([""]),
                &["/checks/0/fix/0"],
            ),
            (&|v| v["duration_ms"] = (-1).into(), &["/duration_ms"]),
        ],
    );
}

fn explain_json(stderr: &str) -> Value {
    let mut c = doctor(
        As::User,
        &[
            "explain",
            "--snapshot",
            "tests/fixtures/snapshots/ubuntu-24.04.json",
            "--bwrap",
            "/opt/vendor/bwrap",
            "--json",
        ],
    );
    c.current_dir(root());
    let out = support::run_with_input(
        &mut c,
        Some(stderr.as_bytes()),
        std::time::Duration::from_secs(60),
    );
    schema::parse_valid(&out.stdout_text())
}

fn the_validator_rejects_a_broken_diagnosis() {
    let good = explain_json("bwrap: setting up uid map: Permission denied\n");
    assert!(
        !good["candidates"].as_array().unwrap().is_empty(),
        "{good:#}"
    );
    assert!(
        !good["observations"].as_array().unwrap().is_empty(),
        "{good:#}"
    );
    rejects(
        "bwrap-doctor/diagnosis",
        &good,
        &[
            (&|v| v["schema_version"] = 2.into(), &["/schema_version"]),
            (
                &|v| v["candidates"][0]["cause"] = "bad-luck".into(),
                &["/candidates/0/cause"],
            ),
            (
                &|v| v["candidates"][0]["verdict"] = "maybe".into(),
                &["/candidates/0/verdict"],
            ),
            (
                &|v| v["candidates"][0]["fixes"][0]["scope"] = "galaxy".into(),
                &["/candidates/0/fixes/0/scope"],
            ),
            (
                &|v| {
                    v["messages"][0].as_object_mut().unwrap().remove("text");
                },
                &["/messages/0"],
            ),
            (&|v| v["live"] = "no".into(), &["/live"]),
            (
                &|v| v["exit"] = json!({"code": "1", "signal": null}),
                &["/exit"],
            ),
            (&|v| v["surprise"] = true.into(), &[""]),
        ],
    );
}

fn the_validator_rejects_a_broken_snapshot() {
    let text = std::fs::read_to_string(root().join("docs/snapshot-example.json")).unwrap();
    let good: Value = serde_json::from_str(&text).unwrap();
    rejects(
        "bwrap-doctor/snapshot",
        &good,
        &[
            (&|v| v["schema_version"] = 2.into(), &["/schema_version"]),
            (
                &|v| {
                    v.as_object_mut().unwrap().remove("facts");
                },
                &[""],
            ),
            (&|v| v["facts"] = json!([]), &["/facts"]),
            (&|v| v["taken_at"] = 0.into(), &["/taken_at"]),
            (&|v| v["note"] = json!(["x"]), &["/note"]),
        ],
    );
}

fn every_kept_snapshot_and_a_fresh_one_match_the_snapshot_schema() {
    let mut files = vec![root().join("docs/snapshot-example.json")];
    for dir in ["tests/fixtures/snapshots", "tests/fixtures/kinds"] {
        for e in std::fs::read_dir(root().join(dir)).unwrap() {
            let p = e.unwrap().path();
            if p.extension().is_some_and(|x| x == "json") {
                files.push(p);
            }
        }
    }
    assert!(files.len() > 10, "{files:?}");
    for f in &files {
        let v = schema::parse_valid(&std::fs::read_to_string(f).unwrap());
        assert_eq!(v["schema"], "bwrap-doctor/snapshot", "{}", f.display());
    }
    let out = support::run(&mut doctor(As::User, &["snapshot"]));
    assert_eq!(out.status.code(), Some(0), "{}", out.stderr_text());
    let v = schema::parse_valid(&out.stdout_text());
    assert_eq!(v["schema"], "bwrap-doctor/snapshot");
}
