//! Large rule files and the compile budget (rules/README.md): a file
//! within it loads whole, a 5 MB one is skipped rather than costing every
//! diagnosis seconds (the figures are printed; only "seconds" is asserted).

use crate::{Body, Test};
use bwrap_doctor_engine::rules::{self, Locations};
use std::fmt::Write as _;
use std::time::Instant;

pub fn tests() -> Vec<Test> {
    tests![
        Once a_rule_file_within_the_compile_budget_loads_whole,
        Once a_five_megabyte_rule_file_is_skipped_by_the_compile_budget_not_loaded_for_seconds,
    ]
}

fn rule(n: usize) -> String {
    let mut s = String::new();
    write!(
        s,
        r#"
[[rule]]
id = "generated.rule-{n}"
cause = "bind-dest-symlink"
summary = "rule {n}: {{dest}} crosses the symlink {{link.link}} on {{os.pretty_name}}"
patterns = [
  '^Can.t create file at (?P<dest>/gen{n}/\S+): (?P<error>.+)$',
  '^Can.t mkdir (?P<dest>/gen{n}/\S+): (?P<error>.+)$',
]
explanation = """
Generated rule number {n}. The destination {{dest}} runs through {{link.link}},
which points to {{link.target}}; bwrap creates mount points with mkdir and
fails ({{error}}). Bind the symlink's target instead, or create the directory.
"""

[[rule.confirm]]
fact = "path.first_symlink:{{dest}}"
exists = true
as = "link"
describe = "a symlink on the way to the destination"

[[rule.confirm]]
fact = "sysctl.kernel.unprivileged_userns_clone"
in = [1, 2]

[[rule.fix]]
title = "Bind {{link.target}} instead of {{dest}}"
scope = "narrow"
commands = "bwrap --bind {{link.target}} {{link.target}} --symlink {{link.target}} {{dest}} …"

[[rule.example]]
stderr = "bwrap: Can't create file at /gen{n}/var/run/x: No such file or directory\n"
expect = "confirmed"
[rule.example.facts]
"path.first_symlink:/gen{n}/var/run/x" = {{ link = "/gen{n}/var/run", target = "../run", absolute = "/run" }}
"sysctl.kernel.unprivileged_userns_clone" = 1

[[rule.example]]
stderr = "bwrap: Can't mkdir /gen{n}/opt/x: Permission denied\n"
expect = "refuted"
[rule.example.facts]
"path.first_symlink:/gen{n}/opt/x" = {{ absent = true }}
"#
    )
    .unwrap();
    s
}

/// Load `rules` generated rules from one BWRAP_DOCTOR_RULES file: the
/// set, the file's size in MB and the time taken.
fn load_generated(rules: Option<usize>) -> (rules::RuleSet, usize, f64, std::time::Duration) {
    let mut text = String::new();
    let mut n = 0;
    while rules.map_or(text.len() < 5 * 1024 * 1024, |r| n < r) {
        text.push_str(&rule(n));
        n += 1;
    }
    let dir = crate::support::install().scratch();
    let file = dir.join("big.toml");
    std::fs::write(&file, &text).unwrap();
    let loc = Locations {
        env_files: vec![file],
        ..Locations::default()
    };
    let start = Instant::now();
    let set = rules::load(&loc);
    let took = start.elapsed();
    println!(
        "    [figure] {n} rules ({:.1} MB) in {:.0} ms ({} build)",
        text.len() as f64 / (1024.0 * 1024.0),
        took.as_secs_f64() * 1000.0,
        if cfg!(debug_assertions) {
            "debug"
        } else {
            "release"
        }
    );
    (set, n, text.len() as f64 / (1024.0 * 1024.0), took)
}

fn a_rule_file_within_the_compile_budget_loads_whole() {
    // 50 patterns with Unicode classes and named groups: a twentieth of
    // the count limit, and well inside the CPU-time limit in a debug build.
    let (set, n, _, _) = load_generated(Some(25));
    assert!(set.problems.is_empty(), "{}", set.problems[0].rendered);
    assert_eq!(set.active().count(), n);
}

fn a_five_megabyte_rule_file_is_skipped_by_the_compile_budget_not_loaded_for_seconds() {
    let (set, _, _, took) = load_generated(None);
    assert_eq!(set.problems.len(), 1);
    assert!(
        set.problems[0]
            .one_line()
            .contains("compile budget exceeded"),
        "{}",
        set.problems[0].rendered
    );
    assert_eq!(set.active().count(), 0);
    assert!(took < std::time::Duration::from_secs(5), "{took:?}");
}
