//! The human form of a check report.

use super::model::{Report, Status};
use crate::report::style::{Style, paint_if};
use std::fmt::Write;

fn badge(color: bool, s: Status) -> String {
    let (style, text) = match s {
        Status::Ok => (Style::Ok, "  ok "),
        Status::Skip => (Style::Dim, " skip"),
        Status::Warning => (Style::Warn, " warn"),
        Status::Fail => (Style::Fail, " FAIL"),
    };
    paint_if(color, style, text)
}

/// The report as text, coloured when `color`.
#[must_use]
pub fn human(report: &Report, color: bool) -> String {
    let paint = |style: Style, text: &str| paint_if(color, style, text);
    let mut out = String::new();
    let mut section = "";
    for c in &report.checks {
        if c.section != section {
            section = &c.section;
            let _ = writeln!(out, "\n{}", paint(Style::Bold, section));
        }
        let _ = writeln!(out, "{} {}", badge(color, c.status), c.summary);
        for e in &c.evidence {
            for line in e.lines() {
                let _ = writeln!(out, "       {}", paint(Style::Dim, line));
            }
        }
        for (i, f) in c.fix.iter().enumerate() {
            let lead = if i == 0 { "fix:" } else { "  or:" };
            // Rules word their later fixes "Or …"; the label says it here.
            let f = match f.strip_prefix("Or ").or_else(|| f.strip_prefix("or ")) {
                Some(rest) if i > 0 => rest,
                _ => f.as_str(),
            };
            let mut lines = f.lines();
            if let Some(first) = lines.next() {
                let _ = writeln!(out, "       {} {}", paint(Style::Bold, lead), first);
            }
            for l in lines {
                let _ = writeln!(out, "            {}", paint(Style::Code, l));
            }
        }
    }
    let verdict = match report.overall {
        Status::Ok | Status::Skip => paint(Style::Ok, "bwrap sandboxes work on this host."),
        Status::Warning => paint(
            Style::Warn,
            "bwrap sandboxes work on this host, with warnings above.",
        ),
        Status::Fail => paint(
            Style::Fail,
            "bwrap sandboxes fail on this host: see FAIL above.",
        ),
    };
    let _ = writeln!(out, "\n{verdict} ({:.0} ms)", report.duration_ms);
    out
}
