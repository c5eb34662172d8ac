//! Placeholders in rule texts: `{name}`, `{alias.field}`, `{bwrap.path}`;
//! `{{` and `}}` are literal braces.
//!
//! This module only finds placeholders (for validation and for whoever
//! renders the texts); what a name means is decided by the rule it is in.

use std::ops::Range;

/// One piece of a template, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece<'t> {
    /// Literal text, with `{{`/`}}` still doubled.
    Text(&'t str),
    /// `{name}`: the name without braces, and the byte range of the whole
    /// `{name}` in the text.
    Placeholder(&'t str, Range<usize>),
    /// A brace that is neither doubled nor part of a well-formed
    /// placeholder: what is wrong and where.
    Bad(&'static str, Range<usize>),
}

/// Whether `name` is a well-formed placeholder name: identifiers joined by
/// dots (`dest`, `profile.file`, `bwrap.path`).
pub fn is_placeholder_name(name: &str) -> bool {
    !name.is_empty()
        && name.split('.').all(|part| {
            let mut chars = part.chars();
            chars
                .next()
                .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
                && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        })
}

/// Split a template into literal text, placeholders and malformed braces.
pub fn scan(text: &str) -> Vec<Piece<'_>> {
    let bytes = text.as_bytes();
    let mut pieces = Vec::new();
    let mut lit = 0; // start of the current literal run
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'{' if bytes.get(i + 1) == Some(&b'{') => i += 2,
            b'}' if bytes.get(i + 1) == Some(&b'}') => i += 2,
            b'{' => {
                let close = text[i + 1..].find(['}', '{', '\n']).map(|k| i + 1 + k);
                match close {
                    Some(end) if bytes[end] == b'}' && is_placeholder_name(&text[i + 1..end]) => {
                        if lit < i {
                            pieces.push(Piece::Text(&text[lit..i]));
                        }
                        pieces.push(Piece::Placeholder(&text[i + 1..end], i..end + 1));
                        i = end + 1;
                        lit = i;
                    }
                    Some(end) if bytes[end] == b'}' => {
                        if lit < i {
                            pieces.push(Piece::Text(&text[lit..i]));
                        }
                        pieces.push(Piece::Bad(
                            "not a placeholder name (letters, digits, `_`, joined by dots)",
                            i..end + 1,
                        ));
                        i = end + 1;
                        lit = i;
                    }
                    _ => {
                        if lit < i {
                            pieces.push(Piece::Text(&text[lit..i]));
                        }
                        pieces.push(Piece::Bad("unclosed `{`", i..i + 1));
                        i += 1;
                        lit = i;
                    }
                }
            }
            b'}' => {
                if lit < i {
                    pieces.push(Piece::Text(&text[lit..i]));
                }
                pieces.push(Piece::Bad("unmatched `}`", i..i + 1));
                i += 1;
                lit = i;
            }
            _ => i += 1,
        }
    }
    if lit < bytes.len() {
        pieces.push(Piece::Text(&text[lit..]));
    }
    pieces
}

/// The placeholders of a text: each name (without braces) and the byte
/// range of the whole `{name}`. Malformed braces are left out (see
/// `scan` for them).
#[must_use]
pub fn placeholders(text: &str) -> Vec<(String, Range<usize>)> {
    scan(text)
        .into_iter()
        .filter_map(|p| match p {
            Piece::Placeholder(name, range) => Some((name.to_string(), range)),
            _ => None,
        })
        .collect()
}

/// Fill a template: each placeholder becomes `value(name)`, or stays as
/// written when that gives `None`; `{{`/`}}` become single braces.
pub fn expand(text: &str, mut value: impl FnMut(&str) -> Option<String>) -> String {
    let mut out = String::with_capacity(text.len());
    for piece in scan(text) {
        match piece {
            Piece::Text(t) => out.push_str(&t.replace("{{", "{").replace("}}", "}")),
            Piece::Placeholder(name, range) => match value(name) {
                Some(v) => out.push_str(&v),
                None => out.push_str(&text[range]),
            },
            Piece::Bad(_, range) => out.push_str(&text[range]),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_give_names_and_byte_ranges() {
        let t = "bind {dest} → {bwrap.path}: {profile.file}";
        let p = placeholders(t);
        let names: Vec<_> = p.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["dest", "bwrap.path", "profile.file"]);
        for (name, r) in &p {
            assert_eq!(&t[r.clone()], format!("{{{name}}}"));
        }
    }

    #[test]
    fn doubled_braces_are_literal_not_placeholders() {
        let t = "profile x {{\n  userns,\n}}\n{dest}";
        assert_eq!(placeholders(t).len(), 1);
        assert!(scan(t).iter().all(|p| !matches!(p, Piece::Bad(..))));
        assert_eq!(
            expand(t, |n| Some(format!("<{n}>"))),
            "profile x {\n  userns,\n}\n<dest>"
        );
    }

    #[test]
    fn malformed_braces_are_reported_with_their_place() {
        let bad = |t: &str| -> Vec<(usize, usize)> {
            scan(t)
                .into_iter()
                .filter_map(|p| match p {
                    Piece::Bad(_, r) => Some((r.start, r.end)),
                    _ => None,
                })
                .collect()
        };
        assert_eq!(bad("a { b"), [(2, 3)]);
        assert_eq!(bad("a } b"), [(2, 3)]);
        assert_eq!(bad("x {not a name} y"), [(2, 14)]);
        assert_eq!(bad("{}"), [(0, 2)]);
        assert_eq!(bad("{a\n}"), [(0, 1), (3, 4)]);
        assert_eq!(bad("${HOME}"), []);
    }

    #[test]
    fn expand_leaves_unknown_names_as_written() {
        assert_eq!(
            expand("{a} {b}", |n| (n == "a").then(|| "1".into())),
            "1 {b}"
        );
    }
}
