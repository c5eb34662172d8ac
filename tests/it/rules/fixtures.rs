//! Bad rule files and their expected output, compared byte for byte;
//! good rule files that must lint clean.
//!
//! `BWD_BLESS=1 cargo test --test it rules` rewrites the `.stderr` files
//! from the current output: review the diff before committing it.

use crate::{Body, Test};
use bwrap_doctor_engine::rules::{self, Locations, SourceKind, Status};
use std::path::{Path, PathBuf};

pub fn tests() -> Vec<Test> {
    tests![
        Once bad_rule_files_match_their_snapshots,
        Once every_validation_error_has_a_bad_rule_fixture,
        Once all_errors_of_a_file_are_collected,
        Once good_fixture_rules_lint_clean_as_project_rules,
    ]
}

const BAD: &str = "tests/fixtures/bad-rules";

/// The fixture directories are addressed relative to the package root (the
/// harness's working directory) so the rendered paths are the same on
/// every machine.
fn bad_files() -> Vec<PathBuf> {
    assert!(
        Path::new(BAD).is_dir(),
        "run from the package root (cargo test does): {BAD} not found"
    );
    let mut v: Vec<PathBuf> = std::fs::read_dir(BAD)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    v.sort();
    v
}

/// What `rules lint` says about one file, alone. Files named `project-*`
/// are held to the project standard.
fn lint_output(file: &Path) -> String {
    let project = file
        .file_name()
        .unwrap()
        .to_string_lossy()
        .starts_with("project-");
    let loc = Locations {
        env_files: vec![file.to_path_buf()],
        ..Locations::default()
    };
    let report = rules::lint(&loc, project);
    assert_eq!(report.files.len(), 1);
    report.files[0].rendered.clone()
}

fn bad_rule_files_match_their_snapshots() {
    let bless = std::env::var_os("BWD_BLESS").is_some_and(|v| v == "1");
    let mut mismatches = Vec::new();
    for file in bad_files() {
        let got = lint_output(&file);
        let snap = file.with_extension("stderr");
        if bless {
            std::fs::write(&snap, &got).unwrap();
            continue;
        }
        let want = std::fs::read_to_string(&snap).unwrap_or_else(|e| {
            panic!(
                "{}: {e}; create it with BWD_BLESS=1 cargo test --test it rules",
                snap.display()
            )
        });
        if got != want {
            mismatches.push(format!(
                "{}:\n--- expected ({})\n{want}\n--- got\n{got}",
                file.display(),
                snap.display()
            ));
        }
    }
    assert!(
        mismatches.is_empty(),
        "{} snapshot(s) differ (BWD_BLESS=1 rewrites them; review the diff):\n\n{}",
        mismatches.len(),
        mismatches.join("\n")
    );
    // No orphan snapshots.
    for e in std::fs::read_dir(BAD).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_some_and(|x| x == "stderr") {
            assert!(
                p.with_extension("toml").is_file(),
                "orphan snapshot {}",
                p.display()
            );
        }
    }
}

/// Each check the format promises, the fixture that proves it, and words
/// its snapshot must hold (the snapshot test proves the rest, byte for
/// byte).
const COVERAGE: &[(&str, &[&str])] = &[
    (
        "syntax-error",
        &["error: invalid TOML", "syntax-error.toml:5:"],
    ),
    (
        "unknown-key",
        &[
            "error: unknown key `pattern` in [[rule]]",
            "did you mean `patterns`?",
            "error: unknown key `describtion` in [[rule.confirm]]",
            "error: unknown key `command` in [[rule.fix]]",
            "error: unknown key `fact` in [[rule.example]]",
            "error: unknown key `rules` in a rule file",
        ],
    ),
    (
        "wrong-type",
        &[
            "`summary` in [[rule]] must be a string, found an integer",
            "`patterns` in [[rule]] must be an array of strings, found a string",
            "`greater_than` in [[rule.confirm]] must be an integer, found a string",
            "`exists` in [[rule.confirm]] must be a boolean, found a string",
        ],
    ),
    (
        "missing-required",
        &[
            "[[rule]] has no `cause`",
            "[[rule.confirm]] has no `fact`",
            "[[rule.fix]] has no `scope`",
        ],
    ),
    (
        "invalid-regex",
        &[
            "error: invalid regex in pattern: unclosed group",
            "error: invalid regex in `matches`",
        ],
    ),
    (
        "unknown-cause",
        &[
            "error: unknown cause `apparmor-userns`",
            "did you mean `apparmor-userns-restrict`?",
        ],
    ),
    (
        "condition-without-test",
        &["error: [[rule.confirm]] has no test"],
    ),
    (
        "condition-with-several-tests",
        &["error: [[rule.confirm]] has several tests: `equals` and `in`"],
    ),
    (
        "unknown-fact",
        &[
            "error: unknown fact `kernel.verison`",
            "did you mean `kernel.version`?",
            "did you mean `path.exists:/proc/sys/fs/binfmt_misc/WSLInterop`?",
        ],
    ),
    (
        "host-wide-fix-without-tradeoff",
        &["error: a host-wide fix needs a `tradeoff`"],
    ),
    ("empty-patterns", &["error: `patterns` is empty"]),
    (
        "example-without-stderr",
        &["error: [[rule.example]] has no `stderr`"],
    ),
    (
        "example-unknown-expect",
        &[
            "error: unknown expected verdict `confirm`",
            "did you mean `confirmed`?",
        ],
    ),
    (
        "example-unknown-fact",
        &[
            "error: example fact `path.exists:{src}` has a placeholder",
            "error: unknown fact `os.name` in example facts",
            "error: an absent fact is written exactly `{ absent = true }`",
        ],
    ),
    (
        "unknown-placeholder",
        &[
            "error: unknown placeholder `{os.pretty_nmae}`",
            "error: `link` (the value of path.first_symlink:{dest}) has no field `lnk`",
            "error: unknown placeholder `{eror}`",
            "error: unknown placeholder `{HOME}`",
            "error: in `commands`: unclosed `{`",
        ],
    ),
    (
        "capture-not-in-every-pattern",
        &["error: capture `dest` is not in every pattern"],
    ),
    (
        "duplicate-id",
        &["error: duplicate rule id `proc-mount-denied.proc`"],
    ),
    (
        "bad-id",
        &[
            "error: `Seccomp Filter/Docker` is not a valid rule id",
            "error: `seccomp_filter.systemd` in `yields_to` is not a rule id",
        ],
    ),
    (
        "table-for-array",
        &["error: `example` must be an array of tables, found a table"],
    ),
    (
        "disable-unknown-id",
        &[
            "error: [[disable]] names `apparmor-userns-restrict.uid-mpa`, but no rule loaded before this file has that id",
        ],
    ),
    (
        "project-missing-examples",
        &[
            "error: rule `gvisor.netstack` has no negative example",
            "error: rule `wsl1.invalid-argument` has no examples",
        ],
    ),
    (
        "unknown-field",
        &[
            "error: `experiment.userns` has no field `errnum`",
            "error: `os.id` is not an object",
        ],
    ),
    (
        "example-verdict-unreachable",
        &[
            "error: wrong wording expects confirmed, but its stderr matches none of the rule's patterns",
            "error: claims no match expects no-match, but pattern 1 matches",
        ],
    ),
    (
        "warnings",
        &[
            "warning: no example's stderr matches this pattern",
            "warning: `yields_to` names `selinux-denial.bind`, but no loaded rule has that id",
            "warning: capture `dest` is not in every pattern",
            "warning: fix \"Copy it out\" is narrower than the fix before it",
            "warning: sysctl `kernel.unprivileged_userns_clon` is not one bwrap-doctor knows",
            "warning: `--unshare-nett` is not a bwrap option this grammar knows",
        ],
    ),
    (
        "not-utf8",
        &[
            "error: rules file is not UTF-8: byte 0xff at offset 13",
            "not-utf8.toml:1:14",
        ],
    ),
    ("many-errors", &["error: unknown cause `seccomp`"]),
];

fn every_validation_error_has_a_bad_rule_fixture() {
    let files = bad_files();
    for (name, needles) in COVERAGE {
        let file = Path::new(BAD).join(format!("{name}.toml"));
        assert!(files.contains(&file), "no fixture {}", file.display());
        let out = lint_output(&file);
        for n in *needles {
            assert!(
                out.contains(n),
                "{}: expected {n:?} in:\n{out}",
                file.display()
            );
        }
    }
    let covered: Vec<PathBuf> = COVERAGE
        .iter()
        .map(|(n, _)| Path::new(BAD).join(format!("{n}.toml")))
        .collect();
    for f in &files {
        assert!(covered.contains(f), "{} is not in COVERAGE", f.display());
    }
}

fn all_errors_of_a_file_are_collected() {
    let file = Path::new(BAD).join("many-errors.toml");
    let text = std::fs::read_to_string(&file).unwrap();
    let errors = rules::parse(SourceKind::User, &file, &text).unwrap_err();
    let at: Vec<(usize, &str)> = errors
        .iter()
        .map(|e| (e.line, e.message.as_str()))
        .collect();
    assert_eq!(
        at,
        [
            (4, "unknown cause `seccomp`"),
            (5, "unknown placeholder `{bwrap.pth}`"),
            (6, "invalid regex in pattern: unclosed group"),
            (12, "[[rule.confirm]] has several tests: `equals` and `in`"),
            (16, "unknown scope `global`"),
            (20, "unknown expected verdict `yes`"),
            (22, "unknown fact `caller.seccom` in example facts"),
            (25, "duplicate rule id `seccomp-filter.docker`"),
            (30, "unknown key `colour` in [[rule]]"),
        ]
    );
    // Each points at the value, not merely the line.
    for e in &errors {
        assert!(e.col > 0 && e.span.end > e.span.start, "{e:?}");
    }
    // The rendering has every one of them.
    let out = rules::render_errors(&file, &text, &errors, false);
    assert_eq!(out.matches("\nerror: ").count() + 1, errors.len(), "{out}");
}

fn good_fixture_rules_lint_clean_as_project_rules() {
    let dir = Path::new("tests/fixtures/rules");
    let loc = Locations {
        builtin: false,
        system_dir: Some(dir.join("system")),
        user_dir: Some(dir.join("user")),
        env_files: vec![dir.join("env/disable.toml")],
        strict_modes: false,
    };
    let report = rules::lint(&loc, true);
    assert_eq!(report.files.len(), 3);
    assert!(
        report.is_clean() && report.warning_count() == 0,
        "{}",
        report.render(false)
    );
    let set = rules::load(&loc);
    assert!(set.problems.is_empty());
    let active: Vec<&str> = set.active().map(|r| r.id.as_str()).collect();
    assert_eq!(active, ["userns-max-zero.enospc", "local.execvp"]);
    assert!(matches!(set.all[0].status, Status::Disabled { .. }));
    assert!(matches!(set.all[1].status, Status::Overridden { .. }));
}
