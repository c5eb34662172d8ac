//! Regexes: a rule's `patterns` and `except`, a test's `matches`; their
//! named captures; and the compile budget of one rule file.

use super::FileCx;
use crate::probe;
use crate::rules::{
    model::{Patterns, SourceKind},
    schema::{Diags, Str, Table, inner_span},
};
use regex::Regex;
use std::collections::BTreeSet;

/// The captures of a rule's patterns.
pub(super) struct Captures {
    /// Named groups present in every pattern.
    pub(super) all: BTreeSet<String>,
    /// Named groups present in at least one.
    pub(super) any: BTreeSet<String>,
    /// Per pattern, for messages.
    pub(super) each: Vec<BTreeSet<String>>,
}

/// A rule's `patterns` and `except`, and the captures of its patterns.
pub(super) struct RulePatterns<'a> {
    /// Each pattern compiled, with its string; empty when deferred; `None`
    /// when missing or in error.
    pub(super) patterns: Option<Vec<(Regex, Str<'a>)>>,
    /// The built-in rules' patterns, compiled when first used.
    pub(super) deferred: Option<Vec<String>>,
    pub(super) except: Patterns,
    /// Unknown when deferred or in error.
    pub(super) caps: Option<Captures>,
}

impl FileCx<'_> {
    /// A rule's `patterns` and `except`, compiled (the built-in rules, which
    /// `rules lint` checks in full, compile theirs when first used).
    pub(super) fn patterns<'a>(&self, d: &mut Diags<'_>, t: &Table<'a, '_>) -> RulePatterns<'a> {
        // Patterns and their captures. The built-in rules, which `rules
        // lint` checks in full, compile theirs when first used.
        let defer = self.source == SourceKind::Builtin && !self.mode.lint;
        let mut deferred: Option<Vec<String>> = None;
        let patterns = match t.strings(d, "patterns") {
            None if t.get("patterns").is_none() => {
                t.missing(d, "patterns");
                None
            }
            None => None,
            Some((list, span)) if list.is_empty() => {
                d.error(
                    span,
                    "`patterns` is empty",
                    Some("give at least one regex on bwrap's message (the text after \"bwrap: \"), e.g. patterns = ['^setting up uid map: (?P<error>.+)$']".into()),
                );
                None
            }
            Some((list, _)) if defer => {
                deferred = Some(list.iter().map(|s| s.text.to_string()).collect());
                Some(Vec::new())
            }
            Some((list, _)) => {
                let compiled: Vec<_> = list
                    .iter()
                    .map(|s| compile(d, s, "pattern").map(|r| (r, s.clone())))
                    .collect();
                compiled.into_iter().collect::<Option<Vec<_>>>()
            }
        };
        // Messages the patterns match that this rule is not about.
        let except = match t.strings(d, "except") {
            Some((list, _)) if defer => {
                Patterns::deferred(list.iter().map(|s| s.text.to_string()).collect())
            }
            Some((list, _)) => Patterns::compiled(
                list.iter()
                    .filter_map(|s| compile(d, s, "pattern"))
                    .collect(),
            ),
            None => Patterns::compiled(Vec::new()),
        };
        // Deferred patterns are not compiled here, so their captures are
        // not known: the checks that need them are `rules lint`'s.
        let caps = patterns
            .as_ref()
            .filter(|_| deferred.is_none())
            .map(|ps| captures(ps.iter().map(|(r, _)| r)));
        if let (Some(ps), Some(_)) = (&patterns, &caps) {
            for (r, s) in ps {
                for name in r.capture_names().flatten() {
                    if probe::lookup(name).is_some_and(|p| !p.takes_arg) {
                        d.error(
                            s.span.clone(),
                            format!("capture `{name}` has the name of a fact key"),
                            Some(format!(
                                "rename the group: in texts, {{{name}}} would be ambiguous"
                            )),
                        );
                    }
                }
            }
        }
        RulePatterns {
            patterns,
            deferred,
            except,
            caps,
        }
    }
}

/// Compile a regex, pointing at the offending characters when it fails.
/// A rule's pattern compiled, as when its file loads (`ignore_case` for
/// pasted text a person retyped). The size limit is far above any real
/// rule's needs (they compile to a few KiB), far below the regex crate's
/// 10 MiB default: a pattern that would compile to megabytes is refused in
/// milliseconds, not seconds.
pub(crate) fn pattern(text: &str, ignore_case: bool) -> Result<Regex, regex::Error> {
    regex::RegexBuilder::new(text)
        .size_limit(256 << 10)
        .case_insensitive(ignore_case)
        .build()
}

/// The compile budget of one rule file that is not built in: at most this
/// many regexes (`patterns`, `except`, `matches`)…
pub const MAX_PATTERNS_PER_FILE: usize = 1000;
/// …compiled in at most this much CPU time. The built-in rules have about 200
/// patterns in all and compile in a few milliseconds; a file past either
/// limit is skipped whole (one warning), so that no file makes every
/// diagnosis, or `rules list`, cost seconds.
pub const COMPILE_TIME_PER_FILE: std::time::Duration = std::time::Duration::from_millis(250);

/// The budget of the file being checked, on this thread: set by [`super::check`]
/// for the time of one file (not for the built-in rules), spent by
/// [`compile`].
pub(super) struct Budget {
    /// This thread's CPU time when the file's budget started: CPU time,
    /// not wall time, so that a busy machine does not make a file that
    /// fits skip.
    started: std::time::Duration,
    compiled: usize,
    /// The file is over budget (said once; later patterns are not compiled).
    over: bool,
}

thread_local! {
    static BUDGET: std::cell::RefCell<Option<Budget>> = const { std::cell::RefCell::new(None) };
}

/// Dropping it ends the file's budget.
pub(super) struct BudgetGuard;

impl Budget {
    pub(super) fn start() -> BudgetGuard {
        BUDGET.with(|b| {
            *b.borrow_mut() = Some(Budget {
                started: thread_cpu_time(),
                compiled: 0,
                over: false,
            });
        });
        BudgetGuard
    }
}

impl Drop for BudgetGuard {
    fn drop(&mut self) {
        BUDGET.with(|b| *b.borrow_mut() = None);
    }
}

/// The CPU time this thread has used.
fn thread_cpu_time() -> std::time::Duration {
    use nix::time::{ClockId, clock_gettime};
    clock_gettime(ClockId::CLOCK_THREAD_CPUTIME_ID).map_or(std::time::Duration::ZERO, Into::into)
}

/// The file being checked went over its budget.
pub(super) fn over_budget() -> bool {
    BUDGET.with(|b| b.borrow().as_ref().is_some_and(|b| b.over))
}

/// Take one regex from the budget. `Err(Some(why))`: the file just went
/// over; `Err(None)`: it was already over.
fn spend() -> Result<(), Option<String>> {
    BUDGET.with(|b| {
        let mut b = b.borrow_mut();
        let Some(b) = b.as_mut() else {
            return Ok(());
        };
        if b.over {
            return Err(None);
        }
        let why = if b.compiled >= MAX_PATTERNS_PER_FILE {
            format!("the file has more than {MAX_PATTERNS_PER_FILE} patterns, the limit per rule file")
        } else if thread_cpu_time().saturating_sub(b.started) > COMPILE_TIME_PER_FILE {
            format!(
                "compiling the file's patterns took more than {} ms of CPU time, the limit per rule file (this is pattern {})",
                COMPILE_TIME_PER_FILE.as_millis(),
                b.compiled + 1
            )
        } else {
            b.compiled += 1;
            return Ok(());
        };
        b.over = true;
        Err(Some(why))
    })
}

pub(super) fn compile(d: &mut Diags<'_>, s: &Str<'_>, what: &str) -> Option<Regex> {
    match spend() {
        Ok(()) => {}
        Err(None) => return None,
        Err(Some(why)) => {
            d.error(
                s.span.clone(),
                format!("compile budget exceeded: {why}"),
                Some("split the rules into several files, or use fewer and simpler patterns (`\\w`, `\\d` and `.` are Unicode-wide and compile large; `(?-u:\\w)` does not); the file was skipped".into()),
            );
            return None;
        }
    }
    let err = match pattern(s.text, false) {
        Ok(r) => return Some(r),
        Err(e) => e,
    };
    let located = match regex_syntax::parse(s.text) {
        Err(regex_syntax::Error::Parse(e)) => Some((e.kind().to_string(), *e.span())),
        Err(regex_syntax::Error::Translate(e)) => Some((e.kind().to_string(), *e.span())),
        _ => None,
    };
    let (message, span) = if let Some((kind, sp)) = located {
        (
            kind,
            inner_span(
                d.text,
                s,
                sp.start.offset..sp.end.offset.max(sp.start.offset + 1).min(s.text.len()),
            ),
        )
    } else {
        // The regex crate's own words (e.g. a size limit), on one line.
        let text = err.to_string();
        let last = text.lines().last().unwrap_or(&text);
        (
            last.trim_start_matches("error: ").to_string(),
            s.span.clone(),
        )
    };
    d.error(
        span,
        format!("invalid regex in {what}: {message}"),
        Some("patterns use the syntax of the regex crate: https://docs.rs/regex/latest/regex/#syntax (TOML literal strings, '…', need no escaping)".into()),
    );
    None
}

pub(super) fn captures<'r>(patterns: impl Iterator<Item = &'r Regex>) -> Captures {
    let each: Vec<BTreeSet<String>> = patterns
        .map(|r| r.capture_names().flatten().map(str::to_string).collect())
        .collect();
    let any: BTreeSet<String> = each.iter().flatten().cloned().collect();
    let all = any
        .iter()
        .filter(|n| each.iter().all(|s| s.contains(*n)))
        .cloned()
        .collect();
    Captures { all, any, each }
}
