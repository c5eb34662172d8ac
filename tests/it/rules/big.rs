//! A large rule file loads (the figure is printed, not asserted: the
//! machine and the build profile decide it).

use crate::{Body, Test};
use bwrap_doctor::rules::{self, Locations};
use std::fmt::Write as _;
use std::time::Instant;

pub fn tests() -> Vec<Test> {
    tests![Once a_five_megabyte_rule_file_with_thousands_of_rules_loads]
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

fn a_five_megabyte_rule_file_with_thousands_of_rules_loads() {
    let mut text = String::new();
    let mut n = 0;
    while text.len() < 5 * 1024 * 1024 {
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
    assert!(set.problems.is_empty(), "{}", set.problems[0].rendered);
    assert_eq!(set.active().count(), n);
    println!(
        "    [figure] loaded {n} rules ({:.1} MB) in {:.0} ms ({} build)",
        text.len() as f64 / (1024.0 * 1024.0),
        took.as_secs_f64() * 1000.0,
        if cfg!(debug_assertions) {
            "debug"
        } else {
            "release"
        }
    );
}
