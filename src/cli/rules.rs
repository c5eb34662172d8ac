//! `bwrap-doctor rules list | lint | test`.

use crate::output::{self, Style, paint};
use bwrap_doctor_engine::diagnose::selftest::{self, Outcome};
use bwrap_doctor_engine::rules::{self, Status};

/// What is loaded, from where, and what overrode or disabled what.
pub fn list() -> i32 {
    let set = rules::load(&crate::config::rule_locations());
    for l in &set.all {
        let status = match &l.status {
            Status::Active => paint(Style::Ok, "active"),
            Status::Overridden { by } => paint(Style::Dim, &format!("overridden by {by}")),
            Status::Disabled { by } => paint(Style::Dim, &format!("disabled by {by}")),
        };
        crate::outln!(
            "{:<48} {:<32} {:<10} {}  {}",
            l.rule.id,
            l.rule.cause.id(),
            l.rule.origin.source.label(),
            l.rule.origin,
            status
        );
    }
    for p in &set.problems {
        output::to_stderr(&p.rendered);
        output::warn(&p.one_line());
    }
    let active = set.active().count();
    crate::outln!(
        "\n{active} active rule{} ({} loaded, {} file{} with errors)",
        if active == 1 { "" } else { "s" },
        set.all.len(),
        set.problems.len(),
        if set.problems.len() == 1 { "" } else { "s" }
    );
    i32::from(!set.problems.is_empty())
}

/// Lint every source.
pub fn lint(project: bool, color: bool) -> i32 {
    let report = rules::lint(&crate::config::rule_locations(), project);
    crate::out!("{}", report.render(color));
    i32::from(!report.is_clean())
}

/// Run every rule's examples.
pub fn test(filter: Option<&str>) -> i32 {
    let set = rules::load(&crate::config::rule_locations());
    for p in &set.problems {
        output::to_stderr(&p.rendered);
    }
    let results = selftest::run(&set, filter);
    let mut counts = [0usize; 4];
    for r in &results {
        let (i, style) = match r.outcome {
            Outcome::Validated => (0, Style::Ok),
            Outcome::FalsePositive => (1, Style::Fail),
            Outcome::FalseNegative => (2, Style::Fail),
            Outcome::Mismatch => (3, Style::Fail),
        };
        counts[i] += 1;
        let mut line = format!(
            "{:<15} {} — {} (expected {}, got {})",
            paint(style, r.outcome.label()),
            r.rule,
            r.example,
            r.expected,
            r.got
        );
        if r.outcome != Outcome::Validated {
            line.push_str(&format!("\n                at {}", r.origin));
            if let Some(d) = &r.detail {
                line.push_str(&format!("\n                {d}"));
            }
        }
        crate::outln!("{line}");
    }
    crate::outln!(
        "\n{} examples: {} validated, {} false positive, {} false negative, {} mismatch",
        results.len(),
        counts[0],
        counts[1],
        counts[2],
        counts[3]
    );
    if results.is_empty() {
        output::error("no rule examples to run");
        return 1;
    }
    i32::from(counts[1..].iter().sum::<usize>() > 0 || !set.problems.is_empty())
}
