//! Finding bwrap's own messages in stderr, also when a caller prefixed or
//! wrapped them: `E: Child process exited with code 1: bwrap: …`
//! (pressure-vessel), `# bwrap: …` (opam), `Runner failure: bwrap: …`,
//! bwrap's own `--level-prefix` form `<3>bwrap: …`.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// How many lines at the end of stderr are searched: bwrap's fatal message
/// is its last words, possibly followed by a caller's few lines.
pub const LAST_LINES: usize = 40;

/// One of bwrap's messages, found in stderr.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[non_exhaustive]
pub struct Message {
    /// The whole line, as printed.
    pub line: String,
    /// bwrap's message: the text after `bwrap: `.
    pub text: String,
}

/// The last [`LAST_LINES`] lines of `stderr` (invalid UTF-8 replaced,
/// terminal colours a caller or a pasted log added taken out).
fn last_lines(stderr: &[u8]) -> Vec<String> {
    let text = String::from_utf8_lossy(stderr);
    let mut last: Vec<String> = text
        .lines()
        .rev()
        .take(LAST_LINES)
        .map(|l| crate::keywords::strip_ansi(l).into_owned())
        .collect();
    last.reverse();
    last
}

/// bwrap's messages among the last lines of `stderr`, oldest first.
pub fn bwrap_messages(stderr: &[u8]) -> Vec<Message> {
    last_lines(stderr)
        .iter()
        .filter_map(|l| {
            let l = l.trim_end_matches('\r');
            let at = find_marker(l)?;
            Some(message_at(l, at, enclosure(l, at)))
        })
        .collect()
}

/// How the text just before a message's `bwrap: ` encloses it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Enclosure {
    /// `\"bwrap: …`: a string inside a string (`\"bwrap: …\\n\"`, as
    /// Rust's `{:?}` of an error holding stderr prints it).
    EscapedQuote,
    /// `"bwrap: …`, also with curly quotes.
    Quote,
    /// `` `bwrap: … ``: Markdown's inline code.
    Backtick,
    /// `'bwrap: …`: Python's repr of bytes, or a quote in prose.
    SingleQuote,
    /// Inside an inline code span opened earlier on the line (a caller's
    /// prefix quoted with the message): an odd number of backticks before.
    CodeSpan,
    Bare,
}

fn enclosure(line: &str, at: usize) -> Enclosure {
    let mut before = line[..at - MARKER.len()].chars().rev();
    match (before.next(), before.next()) {
        (Some('"'), Some('\\')) => Enclosure::EscapedQuote,
        (Some(q), _) if QUOTES.contains(&q) => Enclosure::Quote,
        (Some('`'), _) => Enclosure::Backtick,
        (Some('\''), _) => Enclosure::SingleQuote,
        _ if line[..at].matches('`').count() % 2 == 1 => Enclosure::CodeSpan,
        _ => Enclosure::Bare,
    }
}

/// The message whose text starts at `at` in `line` (after its marker), read
/// as `how` encloses it.
fn message_at(line: &str, at: usize, how: Enclosure) -> Message {
    let text = match how {
        Enclosure::EscapedQuote => quoted(&unescaped(&line[at..])).0,
        Enclosure::Quote => quoted(&line[at..]).0,
        // No catalogued message holds a backtick, so the next one closes
        // the span.
        Enclosure::Backtick | Enclosure::CodeSpan => {
            line[at..].split('`').next().unwrap_or("").to_string()
        }
        // bwrap's own apostrophes stay, the closing quote goes, and so does
        // prose after it. No message bubblewrap 0.4-0.12 prints has a
        // single quote followed by a space (rules/catalogue/messages.toml),
        // so `' ` closes the quote.
        Enclosure::SingleQuote => {
            let t = line[at..].trim_end();
            let t = t.split("' ").next().unwrap_or(t);
            t.strip_suffix('\'').unwrap_or(t).to_string()
        }
        Enclosure::Bare => line[at..].to_string(),
    };
    Message {
        line: line.to_string(),
        text: tidied(&text).to_string(),
    }
}

/// A message's text without what a log left around it.
fn tidied(text: &str) -> &str {
    // A newline a log kept escaped is not part of the message.
    let text = text.trim_end();
    let mut text = text.strip_suffix("\\n").unwrap_or(text).trim();
    // A caller that prefixes bwrap's line with `bwrap: ` again
    // (`bwrap: bwrap: prctl(PR_SET_SECCOMP): …`): no message bubblewrap
    // 0.4-0.12 prints starts with `bwrap: ` (rules/catalogue/messages.toml),
    // so a second marker is a prefix.
    while let Some(rest) = text.strip_prefix(MARKER) {
        text = rest.trim_start();
    }
    text
}

/// For text a person pasted (`explain`): bwrap's messages, or, when no line
/// carries `bwrap: ` at all (the prefix was left out, or a caller such as
/// old opam printed bwrap's words alone), every other non-empty line as a
/// possible message. Patterns are anchored, so a program's own lines
/// rarely match; the shim never uses this (real bwrap always prefixes).
pub fn pasted_messages(stderr: &[u8]) -> Vec<Message> {
    let found = bwrap_messages(stderr);
    if !found.is_empty() {
        return found;
    }
    last_lines(stderr)
        .iter()
        .filter_map(|l| {
            let t = l.trim().trim_start_matches(['#', '>']).trim();
            // A shell prompt with the command that was run is not output.
            (!t.is_empty() && !t.starts_with("$ ")).then(|| Message {
                line: l.trim_end_matches('\r').to_string(),
                text: t.to_string(),
            })
        })
        .collect()
}

/// How many lines after a bwrap line may belong to it in pasted text.
const WRAPPED_LINES: usize = 3;

/// For text a terminal or a web page wrapped: each bwrap message with the
/// lines that follow it (up to `WRAPPED_LINES`, until an empty line or
/// the next bwrap line) joined on. Each comes in two readings: joined with
/// a space (wrapped at a space), then without (wrapped mid-word), so the
/// second wins where both match. Messages with nothing after them are
/// left as they are.
pub fn unwrapped_messages(stderr: &[u8]) -> Vec<Message> {
    let lines = last_lines(stderr);
    let mut out = Vec::new();
    for (i, l) in lines.iter().enumerate() {
        let l = l.trim_end_matches('\r');
        let Some(at) = find_marker(l) else {
            continue;
        };
        let how = enclosure(l, at);
        let m = message_at(l, at, how);
        let mut rest: Vec<&str> = lines[i + 1..]
            .iter()
            .map(|l| l.trim_end_matches('\r'))
            .take_while(|l| !l.trim().is_empty() && find_marker(l).is_none())
            .take(WRAPPED_LINES)
            .collect();
        // A message that opened inside a quote (`"bwrap: Can't` at the end of
        // a caller's line, wrapped by a terminal) goes on inside it: the
        // quote closes on this line or a following one, and what comes
        // after it is the caller's. bwrap prints double quotes itself
        // (bind-mount.c, 0.7.0+: `remount "%s"`, `Unable to find "%s" in
        // mount table`) and paths can hold them, so the run of lines is read
        // as one quoted string (`quoted`); no catalogued message holds a
        // backtick, so the first one closes a code span.
        if matches!(how, Enclosure::Quote | Enclosure::EscapedQuote) && !rest.is_empty() {
            let run = std::iter::once(&l[at..])
                .chain(rest.iter().copied())
                .collect::<Vec<_>>()
                .join("\n");
            let run = if how == Enclosure::EscapedQuote {
                unescaped(&run)
            } else {
                run
            };
            let (text, _) = quoted(&run);
            let mut pieces = text.split('\n').map(str::to_string);
            let first = pieces.next();
            let pieces: Vec<String> = pieces.collect();
            rest.truncate(pieces.len());
            out.extend(joined(&m, first.as_deref(), &rest, &pieces));
            continue;
        }
        if how == Enclosure::Backtick {
            if l[at..].contains('`') {
                // Closed on its own line.
                rest.clear();
            } else if let Some(end) = rest.iter().position(|r| r.contains('`')) {
                rest.truncate(end + 1);
                if let Some(last) = rest.last_mut() {
                    *last = last.split('`').next().unwrap_or("");
                }
            }
        }
        let pieces: Vec<String> = rest.iter().map(|r| r.to_string()).collect();
        out.extend(joined(&m, None, &rest, &pieces));
    }
    out
}

/// `m` with the text of the lines after it joined on: with a space
/// (wrapped at a space), then without (wrapped mid-word); `m` alone when
/// nothing follows. `first` replaces the text of `m`'s own line (a quoted
/// run read as a whole); `rest` are the raw lines, `pieces` their part in
/// the message.
fn joined(m: &Message, first: Option<&str>, rest: &[&str], pieces: &[String]) -> Vec<Message> {
    let head = first.map_or(m.text.as_str(), tidied);
    if pieces.iter().all(|r| r.trim().is_empty()) {
        return vec![Message {
            line: m.line.clone(),
            text: head.to_string(),
        }];
    }
    let line = std::iter::once(m.line.as_str())
        .chain(rest.iter().copied())
        .collect::<Vec<_>>()
        .join("\n");
    [" ", ""]
        .into_iter()
        .map(|sep| {
            let mut text = head.to_string();
            for r in pieces {
                text.push_str(sep);
                text.push_str(r.trim());
            }
            Message {
                line: line.clone(),
                text: tidied(&text).to_string(),
            }
        })
        .collect()
}

/// For a caller that logged bwrap's stderr one write at a time: bwrap prints
/// a failure's words and its `: ERRNO` with separate writes (`die_with_error`
/// calls `vfprintf` then `fprintf (stderr, ": %s\n", …)` on an unbuffered
/// stderr, in every release), and a launcher that turns each read into a
/// line of its log, behind its own prefix, splits them:
/// `firefox: Can't mount proc on /newroot/proc` then `firefox: : Operation
/// not permitted`. Two neighbouring lines that share a prefix ending in
/// `: `, the second of which goes on with `: `, are joined back behind that
/// prefix (a `bwrap: ` left at the start of the first is dropped).
pub fn rejoined_writes(stderr: &[u8]) -> Vec<Message> {
    let lines: Vec<String> = last_lines(stderr)
        .into_iter()
        .map(|l| l.trim_end_matches('\r').to_string())
        .collect();
    let mut out = Vec::new();
    for pair in lines.windows(2) {
        let (a, b) = (pair[0].as_str(), pair[1].as_str());
        let common = a
            .char_indices()
            .zip(b.chars())
            .find(|((_, x), y)| x != y)
            .map_or(a.len().min(b.len()), |((i, _), _)| i);
        // The logger's prefix ends at the last ": " both lines share.
        let Some(cut) = a[..common].rfind(": ").map(|i| i + 2) else {
            continue;
        };
        let (first, rest) = (a[cut..].trim(), &b[cut..]);
        let first = first.strip_prefix(MARKER).unwrap_or(first).trim();
        if first.is_empty() || !rest.starts_with(": ") || rest[2..].trim().is_empty() {
            continue;
        }
        out.push(Message {
            line: format!("{a}\n{b}"),
            text: format!("{first}: {}", rest[2..].trim()),
        });
    }
    out
}

/// For words retyped by hand: the message without a final period (bwrap's
/// own messages that end with one are matched by their start).
pub fn without_final_period(m: &Message) -> Message {
    Message {
        line: m.line.clone(),
        text: m.text.strip_suffix('.').unwrap_or(&m.text).to_string(),
    }
}

/// The error texts (glibc's strerror) that bwrap's setup steps can end a
/// message with: every errno of rules/catalogue/steps.toml. Longer texts
/// before their own endings ("No such device or address" before "No such
/// device"), so the first that ends a message is the whole errno.
const ERRNO_TEXTS: &[&str] = &[
    "No such file or directory",
    "Permission denied",
    "Operation not permitted",
    "Invalid argument",
    "No space left on device",
    "Read-only file system",
    "Not a directory",
    "Is a directory",
    "File exists",
    "Function not implemented",
    "Device or resource busy",
    "No such device or address",
    "No such device",
    "Too many levels of symbolic links",
    "Bad file descriptor",
    "Operation not supported",
    "Input/output error",
    "Argument list too long",
    "Exec format error",
    "Cannot allocate memory",
    "Bad address",
    "Text file busy",
    "Broken pipe",
    "Too many users",
    "Protocol not supported",
    "Address family not supported by protocol",
    "Stale file handle",
];

/// bwrap's `die_with_error` ends a message with `: ` and strerror's text
/// exactly as glibc spells it, with nothing after it. An errno text in
/// other letter case or followed by a period was retyped by a person, or a
/// launcher added the period when it quoted bwrap's line as a sentence
/// (pressure-vessel: `E: Child process exited with code 1: bwrap: setting
/// up uid map: Permission denied.`). Give such a message its errno as bwrap
/// prints it; any other message is returned unchanged.
///
/// A caller that logs bwrap's line may also append its own words after the
/// errno: `(exit status 1)`, `(os error 13)`, ` [1]`, `, exit code: 1`,
/// `; exiting`. Where `: ` and an errno text are followed by such a tail
/// (see `caller_tail`), the message is read up to the errno. bwrap's own
/// texts that go on after an errno are not errno texts so followed
/// (`Limit exceeded (ENOSPC). (Hint: …)`, `… exceeded (ENOSPC)`, the
/// inline errno of `Can't remount … submount (…), ignoring error`), and
/// stay whole.
pub fn with_canonical_errno(m: &Message) -> Message {
    // Closing punctuation a caller put around bwrap's line (`(bwrap: …)`,
    // `[bwrap: …].`, `` `bwrap: …` ``) or a sentence's period: no errno
    // text ends so.
    let bare = m
        .text
        .trim_end_matches(|c: char| c.is_whitespace() || ".,;)]}>\"'`".contains(c));
    let (e, at, bare) = match ending_errno(bare) {
        Some((e, at)) => (e, at, bare),
        None => match errno_before_caller_tail(m.text.trim_end()) {
            Some((e, at, end)) => (e, at, &m.text[..end]),
            None => return m.clone(),
        },
    };
    let head = &bare[..at];
    if !head.ends_with(": ") {
        return m.clone();
    }
    let fixed = format!("{head}{e}");
    if fixed == m.text {
        return m.clone();
    }
    Message {
        line: m.line.clone(),
        text: fixed,
    }
}

/// The errno text (as glibc spells it) that `text` ends with, compared
/// ignoring case, and where it starts: `None` when it ends with none, or
/// when lower-casing would move byte offsets (letters whose lower case is
/// longer). The first of [`ERRNO_TEXTS`] that ends it, so the whole errno.
fn ending_errno(text: &str) -> Option<(&'static str, usize)> {
    let lower = text.to_lowercase();
    if lower.len() != text.len() {
        return None;
    }
    ERRNO_TEXTS.iter().find_map(|e| {
        lower
            .strip_suffix(&e.to_lowercase())
            .map(|head| (*e, head.len()))
    })
}

/// The last errno text (compared ignoring case) that follows `: ` in
/// `text` and is followed only by a caller's tail: its text as glibc spells
/// it, where it starts and where it ends. `None` when there is none, or
/// when lower-casing would move byte offsets.
fn errno_before_caller_tail(text: &str) -> Option<(&'static str, usize, usize)> {
    let lower = text.to_lowercase();
    if lower.len() != text.len() {
        return None;
    }
    let mut best: Option<(&'static str, usize, usize)> = None;
    for e in ERRNO_TEXTS {
        let needle = format!(": {}", e.to_lowercase());
        for (i, _) in lower.match_indices(&needle) {
            let (at, end) = (i + 2, i + needle.len());
            // The whole errno: longer texts come first, and a word goes on
            // no further (`No such device` inside `No such device or …`).
            if best.is_some_and(|(_, b, _)| b >= at) || !caller_tail(&text[end..]) {
                continue;
            }
            best = Some((e, at, end));
        }
    }
    best
}

/// Is `tail`, what follows an errno text, words a caller appended rather
/// than bwrap's: a parenthesised or bracketed aside (` (exit status 1)`,
/// ` (os error 13)`, ` [1]`), or a clause after a comma or semicolon
/// (`, exit code: 1`, `; exiting`), perhaps after a quote or bracket that
/// closed bwrap's line and perhaps closed by a period. bwrap's
/// `die_with_error` ends its line with the errno, so a tail so shaped after
/// `: ` and an errno text is not part of its message. Anything else (a
/// letter straight after the errno, another `: `) is not cut.
fn caller_tail(tail: &str) -> bool {
    // A quote or bracket the caller closed around bwrap's line comes first.
    let t = tail.trim_start_matches(|c: char| "\"'`)]".contains(c));
    let aside = |open: char, close: char| {
        t.trim_start().strip_prefix(open).is_some_and(|r| {
            let inner =
                r.trim_end_matches(|c: char| c.is_whitespace() || ".,;)]}>\"'`".contains(c));
            !inner.trim().is_empty() && !inner.contains(open) && !inner.contains(close)
        })
    };
    let clause = |sep: char| {
        t.strip_prefix(sep)
            .is_some_and(|r| r.starts_with(' ') && !r.trim().is_empty())
    };
    aside('(', ')') || aside('[', ']') || clause(',') || clause(';')
}

/// For words retyped by hand: `die_with_error` always prints `%s: %s`, the
/// step and the errno's text, but a retyped message often loses the colon
/// (`execvp x no such file or directory`). Put it back before an errno text
/// the message ends with (compared ignoring case), when it is missing.
pub fn with_errno_separator(m: &Message) -> Message {
    let Some((_, at)) = ending_errno(&m.text) else {
        return m.clone();
    };
    let head = &m.text[..at];
    let kept = head.trim_end();
    if kept.is_empty() || kept.ends_with(':') || kept.len() != at.saturating_sub(1) {
        // Nothing before it, already separated, or not one space apart.
        return m.clone();
    }
    Message {
        line: m.line.clone(),
        text: format!("{kept}: {}", &m.text[at..]),
    }
}

/// bwrap warnings that do not stop it (0.6.0+).
pub(crate) fn is_warning(text: &str) -> bool {
    (text.starts_with("Only the last ") && text.ends_with(" option will take effect"))
        // 0.12.0 with --not-a-security-boundary
        || (text.starts_with("Can't remount ") && text.ends_with(", ignoring error"))
}

/// A setuid bwrap (0.4-0.11) runs as two processes: the privileged one makes
/// the mounts the other asks for over `privileged_op_socket`. When the
/// privileged one dies of a failure it printed, the other finds the socket
/// closed and prints only that: its partner's failure, not a step of its
/// own. The failing step is the message before it, when there is one.
pub(crate) fn is_partner_gone(text: &str) -> bool {
    text == "Can't read from privileged_op_socket" || text == "Can't write to privileged_op_socket"
}

/// Did bwrap's own setup fail? Its fatal message is its last word: the last
/// non-empty line of stderr is a bwrap message (not a warning). A program
/// in the sandbox that failed after bwrap started it prints after it, or
/// nothing from bwrap at all.
pub fn setup_failed(stderr: &[u8]) -> Option<Message> {
    let text = String::from_utf8_lossy(stderr);
    let last = text.lines().rev().find(|l| !l.trim().is_empty())?;
    let m = bwrap_messages(last.as_bytes()).pop()?;
    (!is_warning(&m.text)).then_some(m)
}

const MARKER: &str = "bwrap: ";

/// The characters that open and close a double-quoted string.
const QUOTES: [char; 3] = ['"', '\u{201c}', '\u{201d}'];

/// A message inside a double-quoted string, as callers log stderr in JSON
/// (`"stderr":"bwrap: …\n"`) or quote it in prose (`failed: "bwrap: …"`),
/// `run` being the text after the marker (lines a terminal wrapped joined
/// by `\n`). `\"` and `\\` stand for themselves; an escaped newline ends
/// the message. Returns the text and whether its string closed.
///
/// bwrap prints double quotes itself (bind-mount.c, 0.7.0+: `remount "%s"`,
/// `Unable to find "%s" in mount table`, `open("%s", O_PATH)`) and a path
/// can hold them, so the first quote does not always close the string. A
/// quote shaped as an opening one (after a space, `(`, `[`, `{`, `=`, `:`
/// or `,`, and before a non-space) opens a quoted part inside the message
/// and the next closing-shaped one ends it; neither closes the message. Of
/// the other quotes, the first that ends the message closes it (the last
/// thing on its line but closing punctuation, or right after an errno
/// text); without one, the first of them (a JSON string's end: `"bwrap: …",
/// "code": 1`); without any, the first that ends a message inside an
/// unclosed part. One pass: each quote's tests look at a bounded stretch
/// around it, or at spaces no other quote looks at.
fn quoted(run: &str) -> (String, bool) {
    // Where each line's content ends: after it, only spaces and closing
    // punctuation.
    let mut line_ends = Vec::new();
    let mut from = 0;
    for line in run.split('\n') {
        let end = line
            .rfind(|c: char| !(c.is_whitespace() || ".,;:!?)]}>".contains(c)))
            .map(|i| from + i);
        line_ends.push(end);
        from += line.len() + 1;
    }
    let mut out = String::new();
    let mut line = 0;
    let mut depth = 0usize;
    let mut first = None;
    let mut ending_inside = None;
    let mut prev = None;
    let mut chars = run.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        match c {
            '\n' => {
                line += 1;
                out.push('\n');
            }
            '\\' => match chars.next() {
                Some((_, 'n' | 'r')) | None => return (out, true),
                Some((_, 't')) => out.push('\t'),
                Some((_, other)) => {
                    // A backslash ending a wrapped line.
                    if other == '\n' {
                        line += 1;
                    }
                    out.push(other);
                }
            },
            q if QUOTES.contains(&q) => {
                let opening = prev.is_none_or(|p: char| p.is_whitespace() || "([{=:,".contains(p))
                    && chars.peek().is_some_and(|(_, n)| !n.is_whitespace());
                let ends =
                    line_ends.get(line).copied().flatten() == Some(i) || ends_with_errno(&out);
                if opening {
                    depth += 1;
                } else if depth > 0 {
                    depth -= 1;
                    if ends {
                        ending_inside.get_or_insert(out.len());
                    }
                } else if ends {
                    return (out, true);
                } else {
                    first.get_or_insert(out.len());
                }
                out.push(q);
            }
            c => out.push(c),
        }
        prev = Some(c);
    }
    match first.or(ending_inside) {
        Some(n) => {
            out.truncate(n);
            (out, true)
        }
        None => (out, false),
    }
}

/// Whether `text` ends with `: ` and an errno text (any letter case).
fn ends_with_errno(text: &str) -> bool {
    let t = text.trim_end().as_bytes();
    ERRNO_TEXTS.iter().any(|e| {
        t.len() >= e.len() + 2
            && t[t.len() - e.len()..].eq_ignore_ascii_case(e.as_bytes())
            && t[..t.len() - e.len()].ends_with(b": ")
    })
}

/// `text` with one level of backslash escapes removed (`\\` → `\`,
/// `\"` → `"`), the others kept as they are.
fn unescaped(text: &str) -> String {
    let mut out = String::new();
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        match (c, chars.clone().next()) {
            ('\\', Some(n @ ('\\' | '"'))) => {
                out.push(n);
                chars.next();
            }
            (c, _) => out.push(c),
        }
    }
    out
}

/// Where the message starts: after the first `bwrap: ` that is at the start
/// of the line, after a level prefix `<N>`, or after a separator (space,
/// colon, quote, `#`).
fn find_marker(line: &str) -> Option<usize> {
    let mut from = 0;
    while let Some(i) = line[from..].find(MARKER) {
        let at = from + i;
        let before = line[..at].trim_end();
        let ok = before.is_empty()
            || before.ends_with([
                ':', '#', '"', '\'', '`', '[', '(', '-', '|', '>', '=', '/', '\u{201c}', '\u{201d}',
            ])
            || line[..at].ends_with(' ');
        if ok {
            return Some(at + MARKER.len());
        }
        from = at + MARKER.len();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(s: &str) -> Vec<String> {
        bwrap_messages(s.as_bytes())
            .into_iter()
            .map(|m| m.text)
            .collect()
    }

    /// The texts [`unwrapped_messages`] reads from `stderr`.
    fn unwrapped_texts(stderr: &[u8]) -> Vec<String> {
        unwrapped_messages(stderr)
            .into_iter()
            .map(|m| m.text)
            .collect()
    }

    #[test]
    fn a_message_and_its_errno_logged_as_two_lines_are_joined_behind_the_loggers_prefix() {
        let got: Vec<String> = rejoined_writes(
            b"2016/12/25 05:35:20 firefox: Can't mount proc on /newroot/proc\n\
              2016/12/25 05:35:20 firefox: : Operation not permitted\n\
              2016/12/25 05:35:20 fatal error in the user interface: waitid: no child processes\n",
        )
        .into_iter()
        .map(|m| m.text)
        .collect();
        assert_eq!(
            got,
            vec!["Can't mount proc on /newroot/proc: Operation not permitted"]
        );
        // bwrap's own prefix on the first line goes; lines that do not go on
        // with ": " are not joined.
        let got: Vec<String> = rejoined_writes(
            b"app: bwrap: Can't mkdir /x\napp: : Permission denied\napp: started\napp: done\n",
        )
        .into_iter()
        .map(|m| m.text)
        .collect();
        assert_eq!(got, vec!["Can't mkdir /x: Permission denied"]);
        assert!(rejoined_writes(b"a: one\nb: : two\n").is_empty());
    }

    #[test]
    fn a_quoted_message_wrapped_onto_an_indented_line_ends_at_its_closing_quote() {
        let stderr = b"[ERROR] Sandboxing is not working:\n        \"sh -c true\" exited with code 1 \"bwrap: Can't\n        bind mount /oldroot/a on /newroot/b: No such file or directory\"\n";
        let texts = unwrapped_texts(stderr);
        assert_eq!(
            texts[0],
            "Can't bind mount /oldroot/a on /newroot/b: No such file or directory"
        );
        let stderr = b"`bwrap: Can't find source path\n/x: No such file or directory` then more\n";
        let texts = unwrapped_texts(stderr);
        assert_eq!(
            texts[0],
            "Can't find source path /x: No such file or directory"
        );
    }

    #[test]
    fn a_quoted_message_is_not_cut_at_a_quote_inside_its_path() {
        // Review of branch rulesc: this message's format holds no double quote, but
        // the paths and program names it prints can. A quoted message
        // wrapped onto an indented line must not end at a quote inside its
        // path: `Can't find source path /home/u/My` is not what bwrap said
        // (it made `bind-source-missing` confirm a path no one gave).
        let stderr = b"error: \"bwrap: Can't find source path\n    /home/u/My \"quoted\" dir: No such file or directory\"\n";
        let texts = unwrapped_texts(stderr);
        assert!(
            !texts.iter().any(|t| t.trim_end().ends_with("/home/u/My")),
            "{texts:?}"
        );
    }

    #[test]
    fn a_quoted_remount_message_wrapped_onto_an_indented_line_keeps_its_own_quotes() {
        // Review of branch rulesc: bwrap 0.7.0 and later print double quotes
        // themselves (bind-mount.c: `Unable to apply mount flags: remount
        // "%s"`, `Unable to find "%s" in mount table`), so a quoted message
        // wrapped onto an indented line does not end at the first quote there.
        let stderr = b"sandbox failed: \"bwrap: Can't bind mount /oldroot/run/a on /newroot/run/a: Unable to\n    apply mount flags: remount \"/newroot/run/a\": Operation not permitted\"\n";
        let texts = unwrapped_texts(stderr);
        assert!(
            texts.iter().any(|t| t
                == "Can't bind mount /oldroot/run/a on /newroot/run/a: Unable to apply mount flags: remount \"/newroot/run/a\": Operation not permitted"),
            "{texts:?}"
        );
    }

    #[test]
    fn a_quoted_message_on_one_line_keeps_bwraps_own_quotes_and_those_of_its_path() {
        assert_eq!(
            texts(
                "error: \"bwrap: Can't bind mount /a on /b: Unable to find \"/b\" in mount table: No such file or directory\"\n"
            ),
            vec![
                "Can't bind mount /a on /b: Unable to find \"/b\" in mount table: No such file or directory"
            ]
        );
        assert_eq!(
            texts(
                "failed: \"bwrap: Can't bind mount /a on /b: open(\"/b\", O_PATH): Permission denied\" (exit status 1)\n"
            ),
            vec!["Can't bind mount /a on /b: open(\"/b\", O_PATH): Permission denied"]
        );
        // A quote inside bwrap's own quoted part, and a lone one in a path.
        assert_eq!(
            texts(
                "failed: \"bwrap: Can't remount readonly on /x: Unable to apply mount flags: remount \"/home/u/My \"q\" dir\": Operation not permitted\"\n"
            ),
            vec![
                "Can't remount readonly on /x: Unable to apply mount flags: remount \"/home/u/My \"q\" dir\": Operation not permitted"
            ]
        );
        assert_eq!(
            texts("\"bwrap: Can't find source path /home/u/it\"s: No such file or directory\"\n"),
            vec!["Can't find source path /home/u/it\"s: No such file or directory"]
        );
    }

    #[test]
    fn a_quoted_message_ends_before_the_callers_own_quoted_words() {
        for (line, want) in [
            (
                "error: \"bwrap: setting up uid map: Permission denied\" running \"sh -c true\"\n",
                "setting up uid map: Permission denied",
            ),
            (
                "{\"stderr\": \"bwrap: Unknown option --argv0\", \"code\": 1}\n",
                "Unknown option --argv0",
            ),
            (
                "{\"stderr\":\"bwrap: Unknown option --argv0\",\"msg\":\"open: Permission denied\"}\n",
                "Unknown option --argv0",
            ),
            ("\"bwrap: execvp x\" exited with \"code\"\n", "execvp x"),
        ] {
            assert_eq!(texts(line), vec![want], "{line}");
        }
    }

    #[test]
    fn a_quoted_message_closed_on_its_own_line_is_not_joined_with_the_callers_next_line() {
        let stderr = b"error: \"bwrap: Can't find source path /x: No such file or directory\"\n    at main.rs:3\n";
        let texts = unwrapped_texts(stderr);
        assert_eq!(
            texts,
            vec!["Can't find source path /x: No such file or directory"]
        );
    }

    #[test]
    fn hostile_quotes_and_escapes_over_wrapped_lines_do_not_panic() {
        // Quotes of every shape, escapes, curly quotes, long runs of spaces,
        // over wrapped lines. Each quote looks at a bounded stretch, so the
        // readers are linear in the input; speed is for scripts/bench.sh to
        // print, not for a test to time (a quadratic reading of these 400 kB
        // would take minutes and show in the suite's own running time).
        let piece = "\"a \"b\" \u{201c}(\"\\\"\\x: Permission denied\" \"  ";
        let line = piece.repeat(100_000 / piece.len());
        let spaces = format!("\"{}\"", " ".repeat(100_000));
        let stderr =
            format!("e: \"bwrap: {line}\n {line}\n{spaces}\n{line}\nx \\\"bwrap: {line}\n{line}\n");
        let _ = bwrap_messages(stderr.as_bytes());
        let _ = unwrapped_messages(stderr.as_bytes());
        let _ = quoted(&stderr);
    }

    #[test]
    fn plain_and_wrapped_bwrap_lines_give_the_same_message() {
        for line in [
            "bwrap: setting up uid map: Permission denied",
            "<3>bwrap: setting up uid map: Permission denied",
            "E: Child process exited with code 1: bwrap: setting up uid map: Permission denied",
            "# bwrap: setting up uid map: Permission denied",
            "Runner failure: bwrap: setting up uid map: Permission denied",
            "error: sandbox failed: \"bwrap: setting up uid map: Permission denied\"",
        ] {
            let got = texts(line);
            assert_eq!(got.len(), 1, "{line}");
            assert!(
                got[0].starts_with("setting up uid map: Permission denied"),
                "{line}: {got:?}"
            );
        }
    }

    #[test]
    fn a_message_inside_a_json_string_ends_with_the_string() {
        assert_eq!(
            texts(r#"{"code":1,"stderr":"bwrap: Unknown option --argv0\n"}"#),
            vec!["Unknown option --argv0"]
        );
        assert_eq!(
            texts(
                r#"{"stderr":"bwrap: Can't bind mount /oldroot/a on /newroot/b: Unable to find \"/b\" in mount table"}"#
            ),
            vec![
                r#"Can't bind mount /oldroot/a on /newroot/b: Unable to find "/b" in mount table"#
            ]
        );
        // A string inside a string: Codex's `{:?}` of its sandbox error,
        // logged as JSON.
        assert_eq!(
            texts(
                r#"error: Sandbox(Denied { stderr: StreamOutput { text: \"bwrap: setting up uid map: Permission denied\\n\", truncated_after_lines: None } })"#
            ),
            vec!["setting up uid map: Permission denied"]
        );
        assert_eq!(
            texts(r#"{"e":"Err(\"bwrap: Unable to find \\\"/b\\\" in mount table\\n\")"}"#),
            vec![r#"Unable to find "/b" in mount table"#]
        );
        // Coloured by a caller's logger.
        assert_eq!(
            texts(
                "\x1b[31mERROR\x1b[0m \x1b[1mbwrap: setting up uid map: Permission denied\x1b[0m\n"
            ),
            vec!["setting up uid map: Permission denied"]
        );
        // Markdown's inline code, Python's repr of bytes, an escaped
        // newline left in a log line.
        assert_eq!(
            texts("The error is `bwrap: setting up uid map: Permission denied` on 24.04\n"),
            vec!["setting up uid map: Permission denied"]
        );
        assert_eq!(
            texts("b'bwrap: execvp /usr/bin/x: No such file or directory\\n'\n"),
            vec!["execvp /usr/bin/x: No such file or directory"]
        );
        assert_eq!(
            texts("stderr: bwrap: setting up uid map: Permission denied\\n\n"),
            vec!["setting up uid map: Permission denied"]
        );
        // A caller's prefix inside the same inline code span; a quoted
        // message followed by prose.
        assert_eq!(
            texts(
                "`pressure-vessel-wrap[27067]: E: Child process exited with code 1: bwrap: setting up uid map: Permission denied`\n"
            ),
            vec!["setting up uid map: Permission denied"]
        );
        assert_eq!(
            texts(
                "'bwrap: loopback: Failed RTM_NEWADDR: Operation not permitted' error while Codex runs\n"
            ),
            vec!["loopback: Failed RTM_NEWADDR: Operation not permitted"]
        );
        assert_eq!(
            texts("'bwrap: Can't find source path /x: No such file or directory'\n"),
            vec!["Can't find source path /x: No such file or directory"]
        );
        // Backticks that closed before the message do not cut it.
        assert_eq!(
            texts("run `flatpak run x` and get bwrap: execvp x: No such file or directory\n"),
            vec!["execvp x: No such file or directory"]
        );
        // Pasted through a word processor: curly quotes.
        assert_eq!(
            texts("el_stderr_tail\u{201c}:\u{201d}bwrap: Unknown option --argv0\"}"),
            vec!["Unknown option --argv0"]
        );
    }

    #[test]
    fn a_retyped_message_gets_back_the_colon_before_its_errno() {
        let m = |t: &str| Message {
            line: t.to_string(),
            text: t.to_string(),
        };
        let fix = |t: &str| with_errno_separator(&m(t)).text;
        assert_eq!(
            fix("execvp script.sh no such file or directory"),
            "execvp script.sh: no such file or directory"
        );
        // Already separated, or bwrap's own words: unchanged.
        assert_eq!(
            fix("execvp x: No such file or directory"),
            "execvp x: No such file or directory"
        );
        assert_eq!(
            fix("Creating new namespace failed: Operation not permitted"),
            "Creating new namespace failed: Operation not permitted"
        );
        // Not ending with an errno's text, or nothing before it.
        assert_eq!(fix("pivot_root failed"), "pivot_root failed");
        assert_eq!(fix("Permission denied"), "Permission denied");
    }

    #[test]
    fn an_errno_in_other_letter_case_or_with_a_period_is_spelled_as_bwrap_prints_it() {
        let m = |t: &str| Message {
            line: t.to_string(),
            text: t.to_string(),
        };
        let fix = |t: &str| with_canonical_errno(&m(t)).text;
        // As retyped (agentty#21) and as pressure-vessel quotes it.
        assert_eq!(
            fix("setting up uid map: permission denied"),
            "setting up uid map: Permission denied"
        );
        assert_eq!(
            fix("setting up uid map: Permission denied."),
            "setting up uid map: Permission denied"
        );
        assert_eq!(
            fix("Can't create file at /x: no such device or address."),
            "Can't create file at /x: No such device or address"
        );
        // A caller's closing bracket after bwrap's line.
        assert_eq!(
            fix("setting up uid map: Permission denied)."),
            "setting up uid map: Permission denied"
        );
        // bwrap's own words, and messages not ending with an errno: unchanged.
        for same in [
            "setting up uid map: Permission denied",
            "Creating new namespace failed, likely because the kernel does not support user namespaces.  bwrap must be installed setuid on such systems.",
            "Unexpected capabilities but not setuid, old file caps config?",
            "Permission denied.",
        ] {
            assert_eq!(fix(same), same);
        }
    }

    fn canonical(t: &str) -> String {
        with_canonical_errno(&Message {
            line: t.to_string(),
            text: t.to_string(),
        })
        .text
    }

    #[test]
    fn a_callers_parenthesised_or_bracketed_aside_after_the_errno_is_not_read() {
        let bare = "Can't bind mount /a on /b: Permission denied";
        for shape in [
            " (exit status 1)",
            " (exit code 1)",
            " (os error 13)",
            " (exit status 1).",
            " [1]",
            "\" (exit status 1)",
            "` (os error 13))",
        ] {
            assert_eq!(canonical(&format!("{bare}{shape}")), bare, "{shape:?}");
        }
        // In other letter case too, and the whole errno, not its start.
        assert_eq!(
            canonical("Can't create file at /x: no such device or address (os error 6)"),
            "Can't create file at /x: No such device or address"
        );
    }

    #[test]
    fn a_callers_comma_or_semicolon_clause_after_the_errno_is_not_read() {
        let bare = "setting up uid map: Permission denied";
        for shape in [", exit code: 1", "; exiting", "; exiting.", ", aborting"] {
            assert_eq!(canonical(&format!("{bare}{shape}")), bare, "{shape:?}");
        }
    }

    #[test]
    fn a_closing_quote_or_backtick_after_the_errno_is_not_read() {
        let bare = "execvp x: No such file or directory";
        for shape in ["\"", "'", "`", ")", "].", "."] {
            assert_eq!(canonical(&format!("{bare}{shape}")), bare, "{shape:?}");
        }
    }

    #[test]
    fn bwraps_own_words_after_an_errno_are_kept_whole() {
        for own in [
            // die_with_mount_error's ENOSPC text and its hint.
            "Can't bind mount /a on /b: Unable to mount source on destination: Limit exceeded (ENOSPC). (Hint: Check that /proc/sys/fs/mount-max is sufficient, typically 100000)",
            "Creating new namespace failed: nesting depth or /proc/sys/user/max_*_namespaces exceeded (ENOSPC)",
            "Unable to set up system call filtering as requested: prctl(PR_SET_SECCOMP) reported EINVAL. (Hint: this requires a kernel configured with CONFIG_SECCOMP and CONFIG_SECCOMP_FILTER.)",
            // 0.12's warning: the errno inline, in parentheses, then words.
            "Can't remount /x submount (Permission denied), ignoring error",
            // bind-mount.c's texts, with and without their errno.
            "Can't bind mount /a on /b: Unable to find \"/b\" in mount table",
            "Can't bind mount /a on /b: Unable to find \"/b\" in mount table: No such file or directory",
            "Can't make symlink at /x: destination exists, and cannot read symlink target: Permission denied",
            "Can't bind mount /a on /b: open(\"/b\", O_PATH): Permission denied",
            // Words straight after the errno, or a further `: `: not a tail.
            "x: Permission denied by policy",
            "x: Permission denied: more",
            "x: Permission denied ()",
        ] {
            assert_eq!(canonical(own), own, "{own:?}");
        }
    }

    #[test]
    fn a_second_bwrap_prefix_a_caller_added_is_not_part_of_the_message() {
        // flatpak#3069: `bwrap: bwrap: prctl(PR_SET_SECCOMP): Invalid argument`.
        assert_eq!(
            texts(
                "bwrap: bwrap: prctl(PR_SET_SECCOMP): Invalid argument\nprctl(PR_SET_SECCOMP): Invalid argument\n"
            ),
            vec!["prctl(PR_SET_SECCOMP): Invalid argument"]
        );
        assert_eq!(texts("x: bwrap:  bwrap: late\n"), vec!["late"]);
    }

    #[test]
    fn pasted_text_without_the_prefix_is_read_line_by_line() {
        let t = |s: &str| -> Vec<String> {
            pasted_messages(s.as_bytes())
                .into_iter()
                .map(|m| m.text)
                .collect()
        };
        assert_eq!(
            t(
                "$ bwrap --unshare-all --ro-bind / / /bin/id\nCreating new namespace failed: Invalid argument\n"
            ),
            vec!["Creating new namespace failed: Invalid argument"]
        );
        // Every other line is a candidate; the anchored patterns pick.
        assert_eq!(
            t("### output ###\n# Creating new namespace failed: Invalid argument\n"),
            vec![
                "output ###",
                "Creating new namespace failed: Invalid argument"
            ]
        );
        // With a bwrap line present, only bwrap lines count.
        assert_eq!(t("noise\nbwrap: late\n"), vec!["late"]);
    }

    #[test]
    fn a_setup_failure_is_bwraps_last_word_and_not_a_warning() {
        assert!(setup_failed(b"bwrap: pivot_root: Operation not permitted\n").is_some());
        assert!(setup_failed(b"E: Child process exited with code 1: bwrap: x\n\n").is_some());
        assert!(setup_failed(b"bwrap: something\nthen the program spoke\n").is_none());
        assert!(setup_failed(b"bwrap: Only the last --chdir option will take effect\n").is_none());
        assert!(
            setup_failed(
                b"bwrap: Can't remount /newroot/tmp/sub submount (Operation not permitted), ignoring error\n"
            )
            .is_none()
        );
        assert!(setup_failed(b"").is_none());
    }

    #[test]
    fn other_lines_are_not_bwrap_messages() {
        assert!(texts("hello\nmybwrap: no\nsubwrap: x\n").is_empty());
        // bwrap always says `bwrap: `; a path or a key before it is a
        // caller's or a person's way of quoting it.
        assert_eq!(
            texts("/usr/bin/bwrap: capset failed: Operation not permitted\nstderr=bwrap: x\n"),
            vec!["capset failed: Operation not permitted", "x"]
        );
        let t = texts(
            "compiling…\nbwrap: Can't find source path /x: No such file or directory\nexit 1\n",
        );
        assert_eq!(
            t,
            vec!["Can't find source path /x: No such file or directory"]
        );
    }

    #[test]
    fn only_the_last_lines_are_searched_and_invalid_utf8_is_tolerated() {
        let mut s = b"bwrap: early\n".to_vec();
        for _ in 0..LAST_LINES {
            s.extend_from_slice(b"noise\xff\n");
        }
        s.extend_from_slice(b"bwrap: late\r\n");
        assert_eq!(texts(&String::from_utf8_lossy(&s)), vec!["late"]);
    }
}
