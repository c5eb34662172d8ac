//! Words retyped in another form: the last repair of pasted text.
//!
//! A person who retypes bwrap's line from memory or from a screenshot keeps
//! its words but not always their form: `Create new namespace failed: No
//! Space left on device` for bwrap's `Creating new namespace failed: No
//! space left on device` (ansible/awx#11016), a doubled space, a verb's
//! other ending. When no pattern matches the text as written, nor ignoring
//! case, the patterns are read once more with every word of five letters or
//! more allowed its other endings (its stem and then `-e`, `-es`, `-ed`,
//! `-ing`, `-s`, `-d` or nothing), every space allowed to be several, and a
//! colon allowed a space before it.
//! The words themselves, their order, bwrap's errno text (the `error`
//! group) and the names of system calls and functions (`execvp`,
//! `unshare`, …: another ending is another function) stay as the pattern
//! has them: a reading of the same message, never of another one. And a
//! reading this loose never confirms a cause (`diagnose`): it names one.
//!
//! Only the literal words of a pattern change: character classes, groups,
//! alternatives and escapes are kept byte for byte (the pattern is parsed
//! with `regex_syntax`'s AST and only the spans of runs of plain letters,
//! and of plain spaces, are rewritten).

use regex_syntax::ast::{self, Ast, LiteralKind};

/// Endings a retyped word may have in place of its own, longest first for
/// the stem (`Creating` → `Creat`).
const ENDINGS: &[&str] = &["ing", "ed", "es", "e", "s"];

/// Shorter words (`uid`, `map`, `new`, `proc`, `open`) keep their form: an
/// ending there would make another word, not another form of it.
const MIN_WORD: usize = 5;

/// Names of system calls and functions bwrap's messages carry: another
/// ending makes another function (`execvpe`), not another form.
const NAMES: &[&str] = &[
    "execvp",
    "unshare",
    "mount",
    "umount",
    "chdir",
    "fchdir",
    "mkdir",
    "setns",
    "prctl",
    "capset",
    "openat",
    "symlink",
    "chmod",
    "fstat",
    "ioctl",
    "socket",
    "seccomp",
    "clone",
    "sethostname",
    "setuid",
    "setgid",
    "setgroups",
    "loopback",
    "pivot",
];

/// `pattern` with its words' endings and its spaces loosened, or `None`
/// when it does not parse or has nothing to loosen.
pub(crate) fn loosened(pattern: &str) -> Option<String> {
    let ast = ast::parse::Parser::new().parse(pattern).ok()?;
    let mut edits: Vec<(usize, usize, String)> = Vec::new();
    collect(&ast, &mut edits);
    if edits.is_empty() {
        return None;
    }
    edits.sort_by_key(|e| e.0);
    let mut out = String::with_capacity(pattern.len() * 2);
    let mut at = 0;
    for (start, end, text) in edits {
        out.push_str(&pattern[at..start]);
        out.push_str(&text);
        at = end;
    }
    out.push_str(&pattern[at..]);
    Some(out)
}

/// One word in its loosened form: the stem, then any of the endings.
fn word(w: &str) -> String {
    let lower = w.to_ascii_lowercase();
    let stem_len = ENDINGS
        .iter()
        .find(|e| lower.ends_with(*e) && w.len() - e.len() >= 4)
        .map_or(w.len(), |e| w.len() - e.len());
    // The stem, then one of the endings, or `-d` after a stem that kept its `e`.
    format!("{}(?:{}|d)?", &w[..stem_len], ENDINGS.join("|"))
}

fn plain(a: &Ast) -> Option<(char, usize, usize)> {
    match a {
        Ast::Literal(l) if l.kind == LiteralKind::Verbatim => {
            Some((l.c, l.span.start.offset, l.span.end.offset))
        }
        _ => None,
    }
}

fn collect(a: &Ast, edits: &mut Vec<(usize, usize, String)>) {
    match a {
        Ast::Concat(c) => {
            run(&c.asts, edits);
            for x in &c.asts {
                collect(x, edits);
            }
        }
        Ast::Alternation(alt) => {
            for x in &alt.asts {
                collect(x, edits);
            }
        }
        // bwrap's errno text keeps its form.
        Ast::Group(g) if matches!(&g.kind, ast::GroupKind::CaptureName { name, .. } if name.name == "error") =>
            {}
        Ast::Group(g) => collect(&g.ast, edits),
        // A repeated item keeps its form: `s?` is the pattern's own ending.
        _ => {}
    }
}

/// The runs of plain letters (words) and plain spaces among the items of
/// one concatenation.
fn run(items: &[Ast], edits: &mut Vec<(usize, usize, String)>) {
    let mut i = 0;
    while i < items.len() {
        let Some((c, start, mut end)) = plain(&items[i]) else {
            i += 1;
            continue;
        };
        if c == ' ' {
            edits.push((start, end, " +".to_string()));
            i += 1;
            continue;
        }
        if c == ':' {
            // `failed : No space…`: a space typed before the colon.
            edits.push((start, end, " *:".to_string()));
            i += 1;
            continue;
        }
        if !c.is_ascii_alphabetic() {
            i += 1;
            continue;
        }
        let mut w = String::from(c);
        let mut j = i + 1;
        while let Some((c, _, e)) = items.get(j).and_then(plain) {
            if !c.is_ascii_alphabetic() {
                break;
            }
            w.push(c);
            end = e;
            j += 1;
        }
        // Only a word of prose, set apart by spaces or punctuation: not one
        // that goes on under a repetition or a group (`namespaces?`, which
        // spells its own endings), nor part of an option (`--unshare-user`),
        // a path (`/proc/sys/kernel`) or a contraction (`doesn.t`).
        let apart = |a: Option<&Ast>| match a {
            None | Some(Ast::Assertion(_)) => true,
            Some(x) => plain(x).is_some_and(|(c, _, _)| matches!(c, ' ' | ':' | ',' | ';')),
        };
        let before = i.checked_sub(1).and_then(|k| items.get(k));
        let name = NAMES.iter().any(|n| n.eq_ignore_ascii_case(&w));
        if w.len() >= MIN_WORD && !name && apart(before) && apart(items.get(j)) {
            edits.push((start, end, word(&w)));
        }
        i = j;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn re(p: &str) -> regex::Regex {
        regex::RegexBuilder::new(&loosened(p).unwrap())
            .case_insensitive(true)
            .build()
            .unwrap()
    }

    #[test]
    fn a_verbs_other_form_and_the_errnos_letter_case_match() {
        let r = re(r"^Creating new namespace failed: (?P<error>No space left on device)$");
        assert!(r.is_match("Create new namespace failed: No Space left on device"));
        assert!(r.is_match("Creating new namespace failed: No space left on device"));
        assert!(r.is_match("Creating  new namespace failed:  No space left on device"));
        assert!(r.is_match("Creating new namespace failed : No space left on device"));
        // Other words, or the words in another order, are another message.
        assert!(!r.is_match("Create new namespace failed: Permission denied"));
        assert!(!r.is_match("new namespace Creating failed: No space left on device"));
        assert!(!r.is_match("Creating new namespace: No space left on device"));
        // bwrap's errno text keeps its form.
        assert!(!r.is_match("Creating new namespace failed: No spaces left on device"));
    }

    #[test]
    fn a_function_name_keeps_its_form() {
        let r = re(r"^execvp (?P<prog>.+): (?P<error>No such file or directory)$");
        assert!(r.is_match("execvp  /usr/bin/foo: No such file or directory"));
        assert!(!r.is_match("execvpe /usr/bin/foo: No such file or directory"));
        assert!(!r.is_match("execvp /usr/bin/foo: No such file or directorys"));
    }

    #[test]
    fn classes_groups_escapes_and_short_words_keep_their_form() {
        assert_eq!(
            loosened(r"^setting up (?P<map>uid|gid) map: x\.y [a-z]+$").unwrap(),
            r"^sett(?:ing|ed|es|e|s|d)? +up +(?P<map>uid|gid) +map *: +x\.y +[a-z]+$"
        );
        // A word the pattern gives its own endings, an option's name and a
        // path are left as they are.
        assert_eq!(
            loosened(r"^--unshare-user /proc/sys/kernel$").as_deref(),
            Some(r"^--unshare-user +/proc/sys/kernel$")
        );
        assert_eq!(
            loosened(r"^namespaces?$"),
            None,
            "nothing to loosen: the word goes on under `?`"
        );
        assert_eq!(loosened(r"^(uid|gid)$"), None);
        assert_eq!(loosened(r"(unclosed"), None);
    }

    #[test]
    fn every_built_in_pattern_loosens_within_the_size_limit_and_still_matches_its_words() {
        let set = crate::rules::load(&crate::rules::Locations::builtin_only());
        let mut n = 0;
        for l in &set.all {
            let r = &l.rule;
            for p in r.patterns.iter().chain(r.except.iter()) {
                let Some(text) = loosened(p.as_str()) else {
                    continue;
                };
                // A stage rule's alternation of every message of its step
                // may exceed the size limit loosened: it is then read
                // ignoring case only (`in_word_forms`). A specific rule's
                // pattern must not.
                let Ok(loose) = crate::rules::pattern(&text, true) else {
                    assert!(r.stage.is_some(), "{}: {text}", r.id);
                    continue;
                };
                n += 1;
                // Whatever bwrap's own words match, the loosened reading
                // matches too (it only adds forms).
                for ex in &r.examples {
                    for line in ex.stderr.lines() {
                        let m = line.strip_prefix("bwrap: ").unwrap_or(line);
                        if p.is_match(m) {
                            assert!(loose.is_match(m), "{}: {m}", r.id);
                        }
                    }
                }
            }
        }
        assert!(n > 100, "only {n} patterns loosened");
    }
}
