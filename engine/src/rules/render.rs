//! Diagnostics for people, in the style of cargo and rustc:
//!
//! ```text
//! error: unknown key `pattern` in [[rule]]
//!  --> rules/userns.toml:4:1
//!   |
//! 4 | pattern = ['^x$']
//!   | ^^^^^^^
//!   |
//!   = help: did you mean `patterns`? …
//! ```

use super::RuleError;
use annotate_snippets::{AnnotationKind, Group, Level, Origin, Renderer, Snippet};
use std::path::Path;

/// Render errors, then warnings, each with <file:line:col>, the source line
/// and a caret under the offending value. An error on line 0 is about the
/// file as a whole (it could not be read): no source line is shown.
pub(super) fn render(
    file: &Path,
    text: &str,
    errors: &[RuleError],
    warnings: &[RuleError],
    color: bool,
) -> String {
    let renderer = if color {
        Renderer::styled()
    } else {
        Renderer::plain()
    };
    let path = file.display().to_string();
    let mut out = String::new();
    let all = errors
        .iter()
        .map(|e| (Level::ERROR, e))
        .chain(warnings.iter().map(|w| (Level::WARNING, w)));
    for (level, e) in all {
        let mut group: Group<'_> = if e.line == 0 {
            level
                .primary_title(e.message.as_str())
                .element(Origin::path(path.as_str()))
        } else {
            let (source, line, local) = source_line(text, e);
            level.primary_title(e.message.as_str()).element(
                Snippet::source(source)
                    .line_start(line)
                    .path(path.as_str())
                    .annotation(AnnotationKind::Primary.span(local)),
            )
        };
        if let Some(help) = &e.help {
            group = group.element(Level::HELP.message(help.as_str()));
        }
        if !out.is_empty() {
            out.push('\n');
        }
        out.push_str(&renderer.render(&[group]));
        out.push('\n');
    }
    out
}

/// The line the error starts on, its number, and the error's span within
/// it (cut at the end of the line: a caret under a whole multi-line string
/// says nothing more than one under its first line).
fn source_line<'t>(text: &'t str, e: &RuleError) -> (&'t str, usize, std::ops::Range<usize>) {
    let mut start = e.span.start.min(text.len());
    while !text.is_char_boundary(start) {
        start -= 1;
    }
    let line_start = text[..start].rfind('\n').map_or(0, |i| i + 1);
    let line_end = text[start..].find('\n').map_or(text.len(), |i| start + i);
    let source = text[line_start..line_end].trim_end_matches('\r');
    // A span that starts on the line's trailing '\r' (cut off above) points
    // at the end of what is shown.
    let start = start.min(line_start + source.len());
    let mut end = e.span.end.clamp(start, line_start + source.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    (source, e.line, start - line_start..end - line_start)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(text: &str, span: std::ops::Range<usize>, msg: &str, help: Option<&str>) -> RuleError {
        let idx = super::super::schema::LineIndex::new(text);
        let (line, col) = idx.line_col(text, span.start);
        RuleError {
            line,
            col,
            span,
            message: msg.into(),
            help: help.map(Into::into),
        }
    }

    #[test]
    fn a_span_after_a_carriage_return_at_the_end_of_a_line_renders() {
        // Found by fuzzing (fuzz/regressions/rules_file/crash-d7fedffe…).
        let text = "[[rule]]\r\nid = \"x\"\r\n";
        let at = text.find("\nid").unwrap(); // the \n after a \r
        let e = err(text, at..at + 1, "something", None);
        let out = render(Path::new("x.toml"), text, &[e], &[], false);
        assert!(out.contains("x.toml:1:"), "{out}");
    }

    #[test]
    fn render_points_at_file_line_col_with_a_caret_and_help() {
        let text = "[[rule]]\nid = \"x\"\ncause = \"nope\"\n";
        let at = text.find("\"nope\"").unwrap();
        let e = err(
            text,
            at..at + 6,
            "unknown cause `nope`",
            Some("the causes are: …"),
        );
        let out = render(Path::new("rules/x.toml"), text, &[e], &[], false);
        assert_eq!(
            out,
            "error: unknown cause `nope`\n --> rules/x.toml:3:9\n  |\n3 | cause = \"nope\"\n  |         ^^^^^^\n  |\n  = help: the causes are: …\n"
        );
    }

    #[test]
    fn a_multi_line_span_is_cut_at_the_end_of_its_first_line() {
        let text = "x = \"\"\"\nabc\n\"\"\"\n";
        let e = err(text, 4..text.len() - 1, "bad", None);
        let out = render(Path::new("f.toml"), text, &[], &[e], false);
        assert!(out.starts_with("warning: bad\n --> f.toml:1:5\n"), "{out}");
        assert!(out.contains("1 | x = \"\"\"\n  |     ^^^\n"), "{out}");
    }

    #[test]
    fn a_file_level_error_has_no_source_line() {
        let e = RuleError {
            line: 0,
            col: 0,
            span: 0..0,
            message: "cannot read rules directory: Permission denied".into(),
            help: Some("make it readable".into()),
        };
        let out = render(Path::new("/etc/x"), "", &[e], &[], false);
        assert!(
            out.starts_with("error: cannot read rules directory"),
            "{out}"
        );
        assert!(out.contains("/etc/x"), "{out}");
        assert!(out.contains("help: make it readable"), "{out}");
    }
}
