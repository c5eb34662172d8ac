//! The shim's default text: a few lines made for callers that keep only
//! the end of a command's output (Gemini CLI's shell box shows its last
//! lines; Codex keeps the head and the tail for its model). The last lines
//! carry the cause, with its id, and the narrowest next step; the whole
//! diagnosis is one command away (`bwrap-doctor explain --last`).
//!
//! ```text
//! bwrap-doctor: the whole diagnosis (evidence, why, 2 fixes): bwrap-doctor explain --last
//! bwrap-doctor: cause [userns-max-zero]: No network namespace may be created here: … (--unshare-net).
//! bwrap-doctor: next step (narrow): Drop --unshare-net (or use --share-net after --unshare-all) …
//! ```

use super::style::{Style, paint_if};
use crate::cause::neutral_meaning;
use crate::diagnose::{Candidate, Diagnosis, Verdict};
use crate::keywords::Words;

/// The longest command shown on the next-step line; a longer one, or a
/// fix of several lines, is left to `explain --last`.
const MAX_COMMAND: usize = 100;

/// The compact text for `d`, in the words `words` allows.
#[must_use]
pub fn render(d: &Diagnosis, color: bool, words: Words) -> String {
    let p = |s: Style, t: &str| paint_if(color, s, t);
    let me = p(Style::Bold, "bwrap-doctor:");
    let mut out = Vec::new();
    let confirmed: Vec<&Candidate> = d.confirmed().collect();
    if let Some(c) = confirmed.first() {
        let fixes = match c.fixes.len() {
            0 => String::new(),
            1 => ", the fix".into(),
            n => format!(", {n} fixes"),
        };
        out.push(format!(
            "{me} the whole diagnosis (evidence, why{fixes}): bwrap-doctor explain --last"
        ));
        let more = match confirmed.len() {
            1 => String::new(),
            2 => " (and 1 more cause)".into(),
            n => format!(" (and {} more causes)", n - 1),
        };
        out.push(format!(
            "{me} cause [{}]: {}{more}",
            words.id(c.cause.id()),
            p(Style::Fail, &summary(c, words))
        ));
        out.extend(next_step(c, color, words));
    } else {
        let possible: Vec<&Candidate> = d
            .candidates
            .iter()
            .filter(|c| c.verdict == Verdict::Unconfirmed)
            .collect();
        let refuted = d
            .candidates
            .iter()
            .filter(|c| c.verdict == Verdict::Refuted)
            .count();
        out.push(format!(
            "{me} what was checked, and every cause considered: bwrap-doctor explain --last"
        ));
        match possible.first() {
            Some(c) => {
                let others = match possible.len() {
                    1 => String::new(),
                    n => format!(", {} other possible cause{}", n - 1, plural(n - 1)),
                };
                out.push(format!(
                    "{me} cause not confirmed; most likely [{}]: {} ({}{others})",
                    words.id(c.cause.id()),
                    summary(c, words),
                    why_open(c),
                ));
            }
            None => out.push(format!(
                "{me} cause not found: none of the {refuted} known cause{} of this message holds on this host",
                plural(refuted)
            )),
        }
        out.push(format!(
            "{me} next step: bwrap-doctor check (tests this host for real)"
        ));
    }
    let mut text = String::new();
    for l in out {
        text.push_str(&l);
        text.push('\n');
    }
    text
}

/// Why an unconfirmed candidate stays open: facts that could not be read,
/// and conditions needed to confirm it that do not hold but do not rule it
/// out (`refutes = false`: another mechanism of the message may hold too).
fn why_open(c: &Candidate) -> String {
    let open = c.checks.iter().filter(|ch| ch.holds.is_none()).count();
    let short = c
        .checks
        .iter()
        .filter(|ch| ch.holds == Some(false) && !ch.refutes)
        .count();
    let unread = format!("{open} fact{} could not be read", plural(open));
    let unmet = match short {
        1 => "a condition needed to confirm it does not hold here".to_string(),
        n => format!("{n} conditions needed to confirm it do not hold here"),
    };
    match (open, short) {
        (_, 0) => unread,
        (0, _) => format!("{unmet}, which does not rule it out"),
        (_, _) => format!("{unread}; {unmet}"),
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// The next-step line (and its command, when it is one short line).
fn next_step(c: &Candidate, color: bool, words: Words) -> Vec<String> {
    let p = |s: Style, t: &str| paint_if(color, s, t);
    let me = p(Style::Bold, "bwrap-doctor:");
    let Some(first) = c.fixes.first() else {
        return vec![format!(
            "{me} next step: bwrap-doctor explain --last (this rule names no fix)"
        )];
    };
    // The narrowest fix that can be said in these words: among those of
    // the narrowest scope, the first whose title allows it.
    let Some(f) = c
        .fixes
        .iter()
        .take_while(|f| f.scope == first.scope)
        .find(|f| words.allows(&f.title))
    else {
        return vec![format!(
            "{me} next step ({}): shown by bwrap-doctor explain --last",
            first.scope
        )];
    };
    let mut v = vec![format!("{me} next step ({}): {}", f.scope, f.title)];
    let lines: Vec<&str> = f
        .commands
        .as_deref()
        .unwrap_or("")
        .lines()
        .filter(|l| !l.trim().is_empty())
        .collect();
    if let [one] = lines.as_slice()
        && one.chars().count() <= MAX_COMMAND
        && words.allows(one)
    {
        v.push(format!("    {}", p(Style::Code, one.trim())));
    }
    v
}

/// The cause of `c` in one sentence: the rule's own summary, or, where it
/// needs a word the caller reacts to, the cause's meaning said without one.
#[must_use]
pub fn summary(c: &Candidate, words: Words) -> String {
    if words.allows(&c.summary) {
        c.summary.clone()
    } else {
        neutral_meaning(c.cause).to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cause::Cause;
    use crate::keywords::contains_keyword;

    #[test]
    fn every_cause_has_a_meaning_without_caller_keywords() {
        for c in Cause::ALL {
            let m = neutral_meaning(*c);
            assert!(!contains_keyword(m), "{}: {m}", c.id());
        }
    }
}
