//! The `{name}` placeholders of a rule's texts: what names a text may
//! use (captures, aliases, fact keys) and what each resolves to.

use super::{Mode, object_fields};
use crate::probe::{self, Entry};
use crate::rules::{
    schema::{Diags, Str, closest, inner_span},
    template::{self, Piece},
};
use std::collections::BTreeSet;

/// A name a condition gives its observed value (`as = "…"`).
#[derive(Debug, Clone)]
pub(super) struct Alias {
    pub(super) name: String,
    pub(super) fact: String,
    pub(super) probe: Option<&'static Entry>,
}

/// The names a text may use.
pub(super) struct Names<'r> {
    pub(super) captures_all: &'r BTreeSet<String>,
    pub(super) captures_any: &'r BTreeSet<String>,
    /// False when the patterns are in error: the captures are not known,
    /// so names that could be captures are not reported again.
    pub(super) captures_known: bool,
    pub(super) aliases: Vec<&'r Alias>,
}

/// Check the placeholders of a text.
pub(super) fn check_text(d: &mut Diags<'_>, mode: Mode, s: &Str<'_>, key: &str, names: &Names<'_>) {
    for piece in template::scan(s.text) {
        let (name, range) = match piece {
            Piece::Text(_) => continue,
            Piece::Bad(why, range) => {
                d.error(
                    inner_span(d.text, s, range),
                    format!("in `{key}`: {why}"),
                    Some("write {{ and }} for literal braces (e.g. `profile x {{ … }}` in a command)".into()),
                );
                continue;
            }
            Piece::Placeholder(name, range) => (name, range),
        };
        let span = inner_span(d.text, s, range);
        if let Some(problem) = resolve(name, names) {
            match problem {
                Resolve::Ok => {}
                Resolve::PartialCapture => {
                    if mode.lint {
                        d.warn(
                            span,
                            format!("capture `{name}` is not in every pattern"),
                            Some(format!("when a pattern without (?P<{name}>…) matches, {{{name}}} has no value; add the group to every pattern")),
                        );
                    }
                }
                Resolve::Error(message, help) => d.error(span, message, Some(help)),
            }
        }
    }
}

enum Resolve {
    Ok,
    PartialCapture,
    Error(String, String),
}

fn resolve(name: &str, names: &Names<'_>) -> Option<Resolve> {
    let alias = |n: &str| names.aliases.iter().find(|a| a.name == n);
    if !name.contains('.') {
        if names.captures_all.contains(name) || alias(name).is_some() {
            return Some(Resolve::Ok);
        }
        if names.captures_any.contains(name) {
            return Some(Resolve::PartialCapture);
        }
        if !names.captures_known && probe::lookup(name).is_none() {
            return Some(Resolve::Ok);
        }
    }
    if let Some((head, field)) = name.split_once('.')
        && let Some(a) = alias(head)
    {
        let Some(p) = a.probe else {
            // The condition's fact is itself in error: said once, there.
            return Some(Resolve::Ok);
        };
        return Some(match object_fields(p) {
            Some(fs) if fs.contains(&field) => Resolve::Ok,
            Some(fs) => {
                let mut help = format!("the fields of {} are: {}", a.fact, fs.join(", "));
                if let Some(best) = closest(field, fs.iter().copied()) {
                    help = format!("did you mean `{head}.{best}`? {help}");
                }
                Resolve::Error(
                    format!("`{head}` (the value of {}) has no field `{field}`", a.fact),
                    help,
                )
            }
            None => Resolve::Error(
                format!("`{head}` (the value of {}) is not an object", a.fact),
                format!("write {{{head}}} for the value itself"),
            ),
        });
    }
    if let Some(p) = probe::lookup(name) {
        if !p.takes_arg {
            return Some(Resolve::Ok);
        }
        return Some(Resolve::Error(
            format!("fact `{name}` takes an argument, so it cannot be a placeholder"),
            "give the condition that tests it `as = \"name\"` and write {name}".to_string(),
        ));
    }
    // `{apparmor.covering_profile.file}`: a fact with a field.
    if let Some(p) = probe::CATALOGUE
        .iter()
        .find(|p| !p.takes_arg && name.starts_with(p.key) && name[p.key.len()..].starts_with('.'))
    {
        return Some(Resolve::Error(
            format!("unknown placeholder `{{{name}}}`"),
            format!(
                "to use a field of {}, give a condition on it `as = \"x\"` and write {{x{}}}",
                p.key,
                &name[p.key.len()..]
            ),
        ));
    }
    let mut candidates: Vec<String> = names.captures_any.iter().cloned().collect();
    candidates.extend(names.aliases.iter().map(|a| a.name.clone()));
    candidates.extend(
        probe::CATALOGUE
            .iter()
            .filter(|p| !p.takes_arg)
            .map(|p| p.key.to_string()),
    );
    let list = |v: Vec<String>| {
        if v.is_empty() {
            "none".to_string()
        } else {
            v.join(", ")
        }
    };
    let mut help = format!(
        "a placeholder is a capture of the patterns ({}), an alias (`as`) of a condition ({}), or a fact key without argument such as {{bwrap.path}}; write {{{{ and }}}} for literal braces",
        list(names.captures_any.iter().cloned().collect()),
        list(names.aliases.iter().map(|a| a.name.clone()).collect()),
    );
    if let Some(best) = closest(name, candidates.iter().map(String::as_str)) {
        help = format!("did you mean {{{best}}}? {help}");
    }
    Some(Resolve::Error(
        format!("unknown placeholder `{{{name}}}`"),
        help,
    ))
}
