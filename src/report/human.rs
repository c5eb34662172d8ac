//! The diagnosis for people. Printed after bwrap's error, never instead of
//! it: the cause in one sentence, the evidence (each probe and what it
//! saw), the fixes narrowest first, and the rule that said so.

use crate::diagnose::{Candidate, Check, Diagnosis, Verdict};
use crate::output::{Style, paint_if};
use std::fmt::Write;

/// Render `d`. `color`: decided once by the caller (terminal, NO_COLOR).
pub fn render(d: &Diagnosis, color: bool) -> String {
    let mut out = causes(d, color);
    if d.retyped {
        let _ = writeln!(
            out,
            "  note: the text differs from bwrap's own words (letter case, a final period), so the rules were matched ignoring both; paste bwrap's exact output for a surer answer"
        );
    }
    out
}

fn causes(d: &Diagnosis, color: bool) -> String {
    let mut out = String::new();
    let p = |s: Style, t: &str| paint_if(color, s, t);
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
                out.push('\n');
            }
            let _ = writeln!(
                out,
                "{} {}{} {}",
                p(Style::Bold, "bwrap-doctor:"),
                if i == 0 { lead.as_str() } else { "" },
                p(Style::Fail, &c.summary),
                p(Style::Dim, &format!("[{}]", c.cause.id()))
            );
            candidate_body(&mut out, c, color);
        }
        return out;
    }
    let what = d
        .messages
        .last()
        .map_or("this failure".to_string(), |m| format!("\"{}\"", m.text));
    let _ = writeln!(
        out,
        "{} no cause could be confirmed for {what}",
        p(Style::Bold, "bwrap-doctor:")
    );
    let possible: Vec<&Candidate> = d
        .candidates
        .iter()
        .filter(|c| c.verdict == Verdict::Unconfirmed)
        .collect();
    for c in &possible {
        let _ = writeln!(
            out,
            "  possible: {} {}",
            c.summary,
            p(Style::Dim, &format!("[{}]", c.cause.id()))
        );
        for ch in &c.checks {
            let _ = writeln!(out, "    {}", check_line(ch, color));
        }
        if !c.causes.is_empty() {
            let _ = writeln!(out, "    {}", stage_causes(c));
        }
    }
    let refuted: Vec<&Candidate> = d
        .candidates
        .iter()
        .filter(|c| c.verdict == Verdict::Refuted)
        .collect();
    if !refuted.is_empty() {
        let _ = writeln!(out, "  ruled out:");
        for c in &refuted {
            let why = c
                .checks
                .iter()
                .find(|ch| ch.holds == Some(false))
                .map_or(String::new(), |ch| format!(": {}", check_text(ch)));
            let _ = writeln!(out, "    {} {}{why}", p(Style::Dim, "-"), c.cause.id());
        }
    }
    let _ = writeln!(
        out,
        "  next: run `bwrap-doctor check` for a full report of this host"
    );
    out
}

/// A stage candidate's causes in one line, most likely first, each with
/// what the specific rules found.
fn stage_causes(c: &Candidate) -> String {
    let each: Vec<String> = c
        .causes
        .iter()
        .map(|sc| match sc.verdict {
            Some(Verdict::Refuted) => format!("{} (ruled out)", sc.cause.id()),
            Some(v) => format!("{} ({})", sc.cause.id(), v.label()),
            None => sc.cause.id().to_string(),
        })
        .collect();
    format!(
        "causes that fail this step so, most likely first: {}",
        each.join(", ")
    )
}

/// One line for a setup failure no rule explains: it was bwrap's setup,
/// not the sandboxed program, and how to check the host.
pub fn unclassified(color: bool) -> String {
    format!(
        "{} bwrap itself failed while setting up the sandbox (the program never ran); no rule explains this message: `bwrap-doctor check` checks this host\n",
        paint_if(color, Style::Bold, "bwrap-doctor:")
    )
}

fn candidate_body(out: &mut String, c: &Candidate, color: bool) {
    let p = |s: Style, t: &str| paint_if(color, s, t);
    if !c.checks.is_empty() {
        let _ = writeln!(out, "  {}", p(Style::Bold, "evidence:"));
        for ch in &c.checks {
            let _ = writeln!(out, "    {}", check_line(ch, color));
        }
    } else {
        let _ = writeln!(
            out,
            "  {} bwrap's own message: {}",
            p(Style::Bold, "evidence:"),
            c.message.text
        );
    }
    let explanation = c.explanation.trim();
    if !explanation.is_empty() {
        let _ = writeln!(out, "  {}", p(Style::Bold, "why:"));
        out.push_str(&wrap(explanation, "    ", 80));
    }
    for (i, f) in c.fixes.iter().enumerate() {
        let _ = writeln!(
            out,
            "  {} {} {}",
            p(Style::Bold, &format!("fix {}:", i + 1)),
            f.title,
            p(Style::Dim, &format!("({})", f.scope))
        );
        if let Some(cmds) = &f.commands {
            for l in cmds.trim_end().lines() {
                if l.trim().is_empty() {
                    out.push('\n');
                } else {
                    let _ = writeln!(out, "      {}", p(Style::Code, l));
                }
            }
        }
        if let Some(t) = &f.tradeoff {
            let _ = writeln!(out, "      trade-off: {t}");
        }
    }
    let _ = writeln!(
        out,
        "  {}",
        p(Style::Dim, &format!("rule: {} ({})", c.rule, c.origin))
    );
}

/// Re-flow a rendered text: paragraphs (separated by blank lines) are
/// filled to `width` columns after `indent`; long words are not broken.
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
        Some(d) => format!("{d}: {seen}  ({}{field})", ch.fact),
        None => format!("{}{field} = {seen}", ch.fact),
    };
    if ch.holds == Some(true) {
        head
    } else {
        format!("{head} (needs {})", ch.wants)
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

fn check_line(ch: &Check, color: bool) -> String {
    let mark = match ch.holds {
        Some(true) => paint_if(color, Style::Ok, "ok"),
        Some(false) => paint_if(color, Style::Fail, "no"),
        None => paint_if(color, Style::Warn, "??"),
    };
    format!("{mark} {}", check_text(ch))
}
