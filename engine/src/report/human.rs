//! The diagnosis for people. Printed after bwrap's error, never instead of
//! it: the cause in one sentence, the evidence (each probe and what it
//! saw), the fixes narrowest first, and the rule that said so.

use super::style::{Style, paint_if};
use crate::diagnose::{Candidate, Check, Diagnosis, Verdict};
use crate::keywords::Words;
use std::fmt::Write;

/// Render `d` in full, in any words. `color`: decided once by the caller
/// (terminal, `NO_COLOR`).
#[must_use]
pub fn render(d: &Diagnosis, color: bool) -> String {
    render_with(d, color, Words::Any)
}

/// Render `d` in full with the words `words` allows. A line that would
/// need a word the caller reacts to (a rule's text, a fix's command, a
/// fact's name) is left out, and one note at the end says how many were
/// and where they are (`bwrap-doctor explain --last`); identifiers are
/// spelled without those words.
#[must_use]
pub fn render_with(d: &Diagnosis, color: bool, words: Words) -> String {
    let mut out = Lines::new(words);
    causes(&mut out, d, color);
    if d.retyped {
        out.line("  note: the text differs from bwrap's own words (letter case, a final period, a word's ending), so the rules were matched ignoring those; paste bwrap's exact output for a surer answer");
    }
    out.finish()
}

/// Text built line by line, keeping out what `words` does not allow.
pub(crate) struct Lines {
    pub words: Words,
    text: String,
    pub withheld: usize,
}

impl Lines {
    pub fn new(words: Words) -> Lines {
        Lines {
            words,
            text: String::new(),
            withheld: 0,
        }
    }

    /// One line (no newline in `l`), or nothing if it needs a word `words`
    /// does not allow.
    pub fn line(&mut self, l: &str) {
        if self.words.allows(l) {
            self.text.push_str(l);
            self.text.push('\n');
        } else {
            self.withheld += 1;
        }
    }

    /// Several lines that only make sense together (a paragraph): all of
    /// them, or none.
    pub fn block(&mut self, text: &str) {
        if self.words.allows(text) {
            self.text.push_str(text);
        } else {
            self.withheld += text.lines().count();
        }
    }

    pub fn blank(&mut self) {
        self.text.push('\n');
    }

    /// The text, with the note about withheld lines.
    pub fn finish(mut self) -> String {
        if self.withheld > 0 {
            let n = self.withheld;
            let _ = writeln!(
                self.text,
                "  ({n} line{} left out here: {} words that make agent tools hide a failed command's output; `bwrap-doctor explain --last` shows {})",
                if n == 1 { " is" } else { "s are" },
                if n == 1 { "it uses" } else { "they use" },
                if n == 1 { "it" } else { "them" },
            );
        }
        self.text
    }
}

fn causes(out: &mut Lines, d: &Diagnosis, color: bool) {
    let p = |s: Style, t: &str| paint_if(color, s, t);
    let words = out.words;
    let confirmed: Vec<&Candidate> = d.confirmed().collect();
    if !confirmed.is_empty() {
        let lead = if confirmed.len() == 1 {
            String::new()
        } else {
            format!(
                "{} causes, in the order bwrap meets them. ",
                confirmed.len()
            )
        };
        for (i, c) in confirmed.iter().enumerate() {
            if i > 0 {
                out.blank();
            }
            out.line(&format!(
                "{} {}{} {}",
                p(Style::Bold, "bwrap-doctor:"),
                if i == 0 { lead.as_str() } else { "" },
                p(Style::Fail, &super::compact::summary(c, words)),
                p(Style::Dim, &format!("[{}]", words.id(c.cause.id())))
            ));
            candidate_body(out, c, color);
        }
        return;
    }
    // The line the rules matched (bwrap's), not the last one: a caller
    // may print its own lines after bwrap's.
    let what = d
        .candidates
        .iter()
        .find(|c| c.verdict == Verdict::Unconfirmed)
        .or(d.candidates.first())
        .map(|c| &c.message)
        .or(d.messages.last())
        .map_or("this failure".to_string(), |m| format!("\"{}\"", m.text));
    out.line(&format!(
        "{} no cause could be confirmed for {what}",
        p(Style::Bold, "bwrap-doctor:")
    ));
    let possible: Vec<&Candidate> = d
        .candidates
        .iter()
        .filter(|c| c.verdict == Verdict::Unconfirmed)
        .collect();
    for c in &possible {
        out.line(&format!(
            "  possible: {} {}",
            super::compact::summary(c, words),
            p(Style::Dim, &format!("[{}]", words.id(c.cause.id())))
        ));
        for ch in &c.checks {
            check_out(out, ch, color, "    ");
        }
        if !c.causes.is_empty() {
            out.line(&format!("    {}", stage_causes(c, words)));
        }
    }
    let refuted: Vec<&Candidate> = d
        .candidates
        .iter()
        .filter(|c| c.verdict == Verdict::Refuted)
        .collect();
    if !refuted.is_empty() {
        out.line("  ruled out:");
        for c in &refuted {
            let id = words.id(c.cause.id());
            let why = c
                .checks
                .iter()
                .find(|ch| ch.holds == Some(false) && ch.refutes);
            let with_why = why.map_or(String::new(), |ch| format!(": {}", check_text(ch)));
            let line = format!("    {} {id}{with_why}", p(Style::Dim, "-"));
            if words.allows(&line) {
                out.line(&line);
            } else {
                // The cause without the check that ruled it out.
                out.line(&format!("    {} {id}", p(Style::Dim, "-")));
            }
        }
    }
    out.line("  next: run `bwrap-doctor check` for a full report of this host");
}

/// A stage candidate's causes in one line, most likely first, each with
/// what the specific rules found.
fn stage_causes(c: &Candidate, words: Words) -> String {
    let each: Vec<String> = c
        .causes
        .iter()
        .map(|sc| {
            let id = words.id(sc.cause.id());
            match sc.verdict {
                Some(Verdict::Refuted) => format!("{id} (ruled out)"),
                Some(v) => format!("{id} ({})", v.label()),
                None => id,
            }
        })
        .collect();
    format!(
        "causes that fail this step so, most likely first: {}",
        each.join(", ")
    )
}

/// One line for a setup failure no rule explains: it was bwrap's own
/// setup, not the program it was to run, and how to check the host. (In
/// words no caller reacts to: bwrap's line decides for the caller.)
#[must_use]
pub fn unclassified(color: bool) -> String {
    format!(
        "{} bwrap itself failed while it was setting up (the program never ran); no rule explains this message: `bwrap-doctor check` checks this host\n",
        paint_if(color, Style::Bold, "bwrap-doctor:")
    )
}

/// A check's line; where the fact's own name holds a word the caller
/// reacts to, the line without it.
fn check_out(out: &mut Lines, ch: &Check, color: bool, indent: &str) {
    let line = format!("{indent}{}", check_line(ch, color));
    if out.words.allows(&line) {
        out.line(&line);
    } else {
        out.line(&format!("{indent}{}", check_line_unnamed(ch, color)));
    }
}

fn candidate_body(out: &mut Lines, c: &Candidate, color: bool) {
    let p = |s: Style, t: &str| paint_if(color, s, t);
    let words = out.words;
    if c.checks.is_empty() {
        out.line(&format!(
            "  {} bwrap's own message: {}",
            p(Style::Bold, "evidence:"),
            c.message.text
        ));
    } else {
        out.line(&format!("  {}", p(Style::Bold, "evidence:")));
        for ch in &c.checks {
            check_out(out, ch, color, "    ");
        }
    }
    let explanation = c.explanation.trim();
    if !explanation.is_empty() && words.allows(explanation) {
        out.line(&format!("  {}", p(Style::Bold, "why:")));
        out.block(&wrap(explanation, "    ", 80));
    } else if !explanation.is_empty() {
        out.withheld += 1 + wrap(explanation, "    ", 80).lines().count();
    }
    for (i, f) in c.fixes.iter().enumerate() {
        let head = p(Style::Bold, &format!("fix {}:", i + 1));
        let scope = p(Style::Dim, &format!("({})", f.scope));
        let title = format!("  {head} {} {scope}", f.title);
        if words.allows(&title) {
            out.line(&title);
        } else {
            out.withheld += 1;
            out.line(&format!("  {head} {scope}"));
        }
        if let Some(cmds) = &f.commands {
            for l in cmds.trim_end().lines() {
                if l.trim().is_empty() {
                    out.blank();
                } else {
                    out.line(&format!("      {}", p(Style::Code, l)));
                }
            }
        }
        if let Some(t) = &f.tradeoff {
            out.line(&format!("      trade-off: {t}"));
        }
    }
    out.line(&format!(
        "  {}",
        p(
            Style::Dim,
            &format!("rule: {} ({})", words.id(&c.rule), c.origin)
        )
    ));
}

/// Re-flow a rendered text: paragraphs (separated by blank lines) are
/// filled to `width` columns after `indent`; long words are not broken.
#[must_use]
pub fn wrap(text: &str, indent: &str, width: usize) -> String {
    let mut out = String::new();
    for (i, para) in text.split("\n\n").enumerate() {
        if i > 0 {
            out.push('\n');
        }
        let mut line = String::new();
        for word in para.split_whitespace() {
            if !line.is_empty() && indent.len() + line.len() + 1 + word.chars().count() > width {
                let _ = writeln!(out, "{indent}{line}");
                line.clear();
            }
            if !line.is_empty() {
                line.push(' ');
            }
            line.push_str(word);
        }
        if !line.is_empty() {
            let _ = writeln!(out, "{indent}{line}");
        }
    }
    out
}

fn check_text(ch: &Check) -> String {
    check_text_named(ch, true)
}

fn check_text_named(ch: &Check, named: bool) -> String {
    let field = ch.field.as_ref().map_or(String::new(), |f| format!(".{f}"));
    let seen = match (&ch.observed, &ch.field) {
        (crate::facts::Obs::Seen(v), Some(f)) => match v.get(f) {
            Some(serde_json::Value::Array(items)) if items.len() > 8 => long_list(items, &ch.wants),
            Some(x) => crate::diagnose::template::value_text(x),
            None => "absent".into(),
        },
        (crate::facts::Obs::Seen(serde_json::Value::Array(items)), None) if items.len() > 8 => {
            long_list(items, &ch.wants)
        }
        (crate::facts::Obs::Seen(v), None) => crate::diagnose::template::value_text(v),
        (o, _) => o.describe(),
    };
    let seen = if seen.is_empty() {
        "(none)".to_string()
    } else {
        seen
    };
    let head = match &ch.describe {
        Some(d) if named => format!("{d}: {seen}  ({}{field})", ch.fact),
        Some(d) => format!("{d}: {seen}"),
        None => format!("{}{field} = {seen}", ch.fact),
    };
    match ch.holds {
        Some(true) => head,
        // `refutes = false`: the cause stays possible.
        Some(false) if !ch.refutes => format!(
            "{head} (needs {} to confirm; this does not rule the cause out)",
            ch.wants
        ),
        _ => format!("{head} (needs {})", ch.wants),
    }
}

/// A long list (40 capabilities…) in one line: its size, and whether it
/// has the item the condition is about.
fn long_list(items: &[serde_json::Value], wants: &str) -> String {
    let text = |v: &serde_json::Value| crate::diagnose::template::value_text(v);
    let item = wants
        .strip_prefix("contains ")
        .or_else(|| wants.strip_prefix("does not contain "));
    match item {
        Some(x) if items.iter().any(|v| text(v) == x) => {
            format!("{} items, {x} among them", items.len())
        }
        Some(x) => format!("{} items, {x} not among them", items.len()),
        None => format!(
            "{} items: {}, …",
            items.len(),
            items
                .iter()
                .take(3)
                .map(text)
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

fn check_mark(ch: &Check, color: bool) -> String {
    match ch.holds {
        Some(true) => paint_if(color, Style::Ok, "ok"),
        Some(false) => paint_if(color, Style::Fail, "no"),
        None => paint_if(color, Style::Warn, "??"),
    }
}

fn check_line(ch: &Check, color: bool) -> String {
    format!("{} {}", check_mark(ch, color), check_text(ch))
}

/// The check without the fact's key (its description and what was seen).
fn check_line_unnamed(ch: &Check, color: bool) -> String {
    format!("{} {}", check_mark(ch, color), check_text_named(ch, false))
}
