//! How a diagnosis is shown: as text after bwrap's own error (the shim and
//! `explain`), or as versioned JSON for tools.

pub mod compact;
pub mod human;
pub mod json;
pub mod style;

#[cfg(test)]
mod tests {
    use crate::diagnose::{self, selftest};
    use crate::keywords::{Words, first_keyword};
    use crate::probe::Facts;
    use crate::rules::{self, Locations};

    /// Callers decide the same (DESIGN.md §2): for every built-in rule and
    /// every one of its examples, the compact and the long text in the
    /// caller-neutral words hold none of the callers' keywords, in color or
    /// not; and those are the words the shim uses whenever the example's
    /// bwrap lines hold none.
    #[test]
    fn the_shims_text_adds_no_caller_keyword_to_bwraps_lines() {
        let set = rules::load(&Locations::builtin_only());
        assert!(set.problems.is_empty());
        let (mut neutral, mut any, mut confirmed) = (0, 0, 0);
        for rule in set.active() {
            for ex in &rule.examples {
                let lines: Vec<String> = diagnose::bwrap_messages(ex.stderr.as_bytes())
                    .into_iter()
                    .map(|m| m.line)
                    .collect();
                match Words::for_bwrap_lines(lines.iter().map(String::as_str)) {
                    Words::Any => any += 1,
                    Words::CallerNeutral => neutral += 1,
                }
                assert_eq!(
                    Words::for_bwrap_lines(lines.iter().map(String::as_str)) == Words::Any,
                    lines.iter().any(|l| first_keyword(l).is_some())
                );
                let words = Words::CallerNeutral;
                let facts = Facts::recorded(ex.facts.clone(), selftest::example_context(ex));
                let d = diagnose::diagnose(&set, &facts, ex.stderr.as_bytes());
                confirmed += usize::from(d.has_confirmed());
                for color in [false, true] {
                    for (form, text) in [
                        ("compact", super::compact::render(&d, color, words)),
                        ("long", super::human::render_with(&d, color, words)),
                    ] {
                        let plain = crate::keywords::strip_ansi(&text);
                        assert!(
                            first_keyword(&plain).is_none(),
                            "rule {} example {:?} ({form}): {:?} in\n{plain}",
                            rule.id,
                            ex.name,
                            first_keyword(&plain)
                        );
                    }
                }
            }
        }
        assert!(
            neutral > 80 && any > 60 && confirmed > 100,
            "neutral {neutral}, any {any}, confirmed {confirmed}"
        );
        assert!(first_keyword(&super::human::unclassified(false)).is_none());
    }

    /// The compact text ends with the cause (and its id) and the next step,
    /// in at most 4 lines, for every confirmed example.
    #[test]
    fn the_compact_text_ends_with_the_cause_and_the_next_step() {
        let set = rules::load(&Locations::builtin_only());
        for rule in set.active() {
            for ex in &rule.examples {
                let facts = Facts::recorded(ex.facts.clone(), selftest::example_context(ex));
                let d = diagnose::diagnose(&set, &facts, ex.stderr.as_bytes());
                let Some(c) = d.confirmed().next() else {
                    continue;
                };
                for words in [Words::Any, Words::CallerNeutral] {
                    let text = super::compact::render(&d, false, words);
                    let lines: Vec<&str> = text.lines().collect();
                    assert!(lines.len() <= 4, "{}: {text}", rule.id);
                    let cause = lines.iter().position(|l| l.contains("cause [")).unwrap();
                    assert!(lines[cause].contains(&format!("[{}]", words.id(c.cause.id()))));
                    assert!(lines[cause + 1].contains("next step"), "{text}");
                    assert!(lines.len() - cause <= 3, "{text}");
                }
            }
        }
    }

    /// A condition with `refutes = false` that does not hold leaves its
    /// cause open, and the reports say so: the long text marks it as needed
    /// to confirm without ruling the cause out, never names it as what
    /// ruled a cause out, and the compact text gives it as the reason the
    /// cause is not confirmed (not "0 facts could not be read").
    #[test]
    fn a_condition_that_does_not_refute_is_shown_as_leaving_the_cause_open() {
        let diagnosis = |os: &str| crate::diagnose::fixtures::diagnose_soft_condition(2, os);
        let open = diagnosis("x");
        let long = super::human::render(&open, false);
        assert!(
            long.contains("(needs ≠ 2 to confirm; this does not rule the cause out)"),
            "{long}"
        );
        let compact = super::compact::render(&open, false, Words::Any);
        assert!(
            compact.contains(
                "(a condition needed to confirm it does not hold here, which does not rule it out)"
            ),
            "{compact}"
        );
        // Ruled out by os.id, the condition that refutes; not by the one
        // before it that does not.
        let long = super::human::render(&diagnosis("y"), false);
        let why = long.lines().find(|l| l.contains("- wsl1")).unwrap();
        assert!(why.contains("os.id") && !why.contains("seccomp"), "{long}");
    }
}
