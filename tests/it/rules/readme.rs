//! rules/README.md documents the format; its worked example must stay a
//! correct rule, and its list of fact keys complete.

use crate::{Body, Test};
use bwrap_doctor_engine::probe;
use bwrap_doctor_engine::rules::{self, Expect, Locations, Scope, SourceKind};
use std::path::Path;

pub fn tests() -> Vec<Test> {
    tests![
        Once readme_worked_example_parses_and_lints_clean,
        Once readme_lists_every_fact_key,
        Once every_rule_confirmed_on_weak_evidence_is_answered_in_the_audit,
        Once the_audit_takes_answers_only_from_its_own_section,
    ]
}

fn readme() -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("rules/README.md")).unwrap()
}

/// The ```toml block after the `<!-- worked-example -->` marker.
fn worked_example(readme: &str) -> String {
    let at = readme
        .find("<!-- worked-example -->")
        .expect("rules/README.md has a <!-- worked-example --> marker");
    let rest = &readme[at..];
    let start = rest
        .find("```toml\n")
        .expect("a ```toml block after the marker")
        + "```toml\n".len();
    let end = rest[start..].find("\n```").expect("the block is closed");
    format!("{}\n", &rest[start..start + end])
}

fn readme_worked_example_parses_and_lints_clean() {
    let text = worked_example(&readme());
    let shown = Path::new("rules/README.md (worked example)");
    let fr = rules::parse(SourceKind::Builtin, shown, &text).unwrap_or_else(|e| {
        panic!("{}", rules::render_errors(shown, &text, &e, false));
    });
    let r = &fr.rules[0];
    assert_eq!(r.id, "apparmor-userns-restrict.uid-map");
    assert!(r.patterns[0].is_match("setting up uid map: Permission denied"));
    let facts: Vec<&str> = r.confirm.iter().map(|c| c.fact.as_str()).collect();
    assert_eq!(
        facts,
        [
            "sysctl.kernel.apparmor_restrict_unprivileged_userns",
            "apparmor.covering_profile"
        ]
    );
    let scopes: Vec<Scope> = r.fixes.iter().map(|f| f.scope).collect();
    assert_eq!(scopes, [Scope::Narrow, Scope::HostWide]);
    assert!(r.fixes[1].tradeoff.is_some());
    let expects: Vec<Expect> = r.examples.iter().map(|e| e.expect).collect();
    assert_eq!(expects, [Expect::Confirmed, Expect::Refuted]);

    // Lint as a project file: no errors and no warnings either.
    let dir = crate::support::install().scratch();
    let file = dir.join("worked-example.toml");
    std::fs::write(&file, &text).unwrap();
    let report = rules::lint(
        &Locations {
            env_files: vec![file],
            ..Locations::default()
        },
        true,
    );
    assert!(
        report.is_clean() && report.warning_count() == 0,
        "{}",
        report.render(false)
    );
}

fn readme_lists_every_fact_key() {
    let readme = readme();
    let table = &readme[readme.find("## Fact keys").expect("a Fact keys section")..];
    for p in probe::CATALOGUE {
        assert!(
            table.contains(&format!("| `{}", p.key)),
            "rules/README.md (Fact keys) does not list `{}`",
            p.key
        );
    }
}

/// scripts/confirm-audit.py flags the rules confirmable by bwrap's words
/// alone, by context facts alone or by absences alone; each must be answered
/// (changed, or the reason its conditions imply its cause) in the README's
/// "Confirmation soundness audit" section, so a new such rule is looked at.
fn every_rule_confirmed_on_weak_evidence_is_answered_in_the_audit() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    need_python_with_tomllib();
    let out = std::process::Command::new("python3")
        .arg(root.join("scripts/confirm-audit.py"))
        .arg("--check")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "flagged rules without an answer in rules/README.md:\n{}\n{}",
        text.lines()
            .filter(|l| l.contains("NOT ANSWERED"))
            .collect::<Vec<_>>()
            .join("\n"),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains(" flagged, 0 without an answer"), "{text}");
}

/// A flagged rule named only after the audit section (in the coverage
/// table, say) has no answer: scripts/confirm-audit.py reads the section up
/// to the next `## ` heading, not the rest of the README.
fn the_audit_takes_answers_only_from_its_own_section() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let script = root.join("scripts/confirm-audit.py");
    need_python_with_tomllib();
    let run = |args: &[&str]| {
        std::process::Command::new("python3")
            .arg(&script)
            .args(args)
            .output()
            .unwrap()
    };
    let listed = String::from_utf8_lossy(&run(&[]).stdout).into_owned();
    let id = listed
        .lines()
        .find(|l| l.contains("[answered]"))
        .and_then(|l| l.split(' ').next())
        .expect("a flagged rule answered in rules/README.md")
        .to_string();
    let readme = crate::support::install().scratch().join("README.md");
    std::fs::write(
        &readme,
        format!(
            "## Confirmation soundness audit (test)\n\nNo answer here.\n\n## Coverage\n\n`{id}`\n"
        ),
    )
    .unwrap();
    let out = run(&["--check", "--readme", readme.to_str().unwrap()]);
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text
        .lines()
        .find(|l| l.starts_with(&format!("{id} ")))
        .unwrap_or_else(|| panic!("{id} not listed:\n{text}"));
    assert!(line.ends_with("[NOT ANSWERED]"), "{line}");
    assert!(!out.status.success(), "{text}");
}

/// scripts/confirm-audit.py reads the rules with tomllib (Python 3.11+;
/// Debian 12's python3, which scripts/test.sh installs, has it): skip,
/// saying so, without it.
fn need_python_with_tomllib() {
    let probe = std::process::Command::new("python3")
        .args(["-c", "import tomllib"])
        .output();
    if !probe.is_ok_and(|o| o.status.success()) {
        crate::support::skip(
            "python3 with tomllib (3.11+) is needed to run scripts/confirm-audit.py",
        );
    }
}
