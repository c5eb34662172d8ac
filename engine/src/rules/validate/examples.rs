//! `[[rule.example]]`: a stderr, the host facts and the expected verdict;
//! and lint's check that the patterns can reach each verdict.

use super::{FileCx, json, unknown_fact_help};
use crate::facts::Obs;
use crate::probe;
use crate::rules::{
    model::{Example, Expect},
    schema,
    schema::{Diags, EXAMPLE_KEYS, Str, Table, Val, closest},
};
use regex::Regex;
use std::collections::BTreeMap;
use std::ops::Range;
use toml::de::DeValue;

impl FileCx<'_> {
    /// A rule's `[[rule.example]]`s, with the span of each stderr (for lint).
    pub(super) fn examples(
        &self,
        d: &mut Diags<'_>,
        t: &Table<'_, '_>,
    ) -> (Vec<Example>, Vec<Range<usize>>) {
        let mut examples = Vec::new();
        let mut example_spans = Vec::new();
        for (n, et) in t
            .tables(d, "example", "[[rule.example]]", EXAMPLE_KEYS)
            .iter()
            .enumerate()
        {
            if let Some((ex, stderr_span)) = self.example(d, et, n + 1) {
                examples.push(ex);
                example_spans.push(stderr_span);
            }
        }
        (examples, example_spans)
    }

    /// One example, and the span of its stderr (for lint).
    pub(super) fn example(
        &self,
        d: &mut Diags<'_>,
        t: &Table<'_, '_>,
        n: usize,
    ) -> Option<(Example, Range<usize>)> {
        let before = d.errors.len();
        let name = t.string(d, "name");
        let stderr = t.required_string(d, "stderr");
        let argv = t.strings(d, "argv");
        let expect = t.required_string(d, "expect").and_then(|s| {
            let e = match s.text {
                "confirmed" => Some(Expect::Confirmed),
                "refuted" => Some(Expect::Refuted),
                "unconfirmed" => Some(Expect::Unconfirmed),
                "no-match" => Some(Expect::NoMatch),
                _ => None,
            };
            if e.is_none() {
                let all = ["confirmed", "refuted", "unconfirmed", "no-match"];
                let mut help = "one of: confirmed, refuted, unconfirmed, no-match".to_string();
                if let Some(best) = closest(s.text, all) {
                    help = format!("did you mean `{best}`? {help}");
                }
                d.error(
                    s.span.clone(),
                    format!("unknown expected verdict `{}`", s.text),
                    Some(help),
                );
            }
            e
        });
        let mut facts = BTreeMap::new();
        if let Some(v) = t.get("facts") {
            match v.get_ref() {
                DeValue::Table(map) => {
                    for (k, v) in map {
                        let key: &str = k.get_ref();
                        if key.contains(['{', '}']) {
                            d.error(
                                k.span(),
                                format!("example fact `{key}` has a placeholder"),
                                Some("example facts are concrete: spell the key as the condition does for this stderr, e.g. \"path.first_symlink:/var/run/x\"".into()),
                            );
                            continue;
                        }
                        if probe::lookup(key).is_none() {
                            d.error(
                                k.span(),
                                format!("unknown fact `{key}` in example facts"),
                                Some(unknown_fact_help(key)),
                            );
                            continue;
                        }
                        if let Some(obs) = fact_value(d, v) {
                            facts.insert(key.to_string(), obs);
                        }
                    }
                }
                other => d.error(
                    v.span(),
                    format!(
                        "`facts` in [[rule.example]] must be a table, found {}",
                        schema::type_name(other)
                    ),
                    Some(
                        "write [rule.example.facts] followed by `\"fact.key\" = value` lines"
                            .into(),
                    ),
                ),
            }
        }
        if d.errors.len() > before {
            return None;
        }
        let stderr = stderr?;
        let ex = Example {
            name: name.map_or_else(|| format!("example {n}"), |s| s.text.to_string()),
            stderr: stderr.text.to_string(),
            argv: argv.map(|(v, _)| v.into_iter().map(|s| s.text.to_string()).collect()),
            facts,
            expect: expect?,
            origin: self.origin(d, &t.span),
        };
        Some((ex, stderr.span))
    }
}

/// The project's own rules carry a positive and a negative example, so
/// that `bwrap-doctor rules test` proves the rule fires when it should and
/// only then. `stage`: a stage rule, which never confirms.
pub(super) fn require_both_kinds(
    d: &mut Diags<'_>,
    id: &Str<'_>,
    stage: bool,
    examples: &[Example],
) {
    // A stage rule never confirms: its positive examples are
    // unconfirmed matches.
    let positive = examples
        .iter()
        .any(|e| e.expect.is_positive() || (stage && e.expect == Expect::Unconfirmed));
    let negative = examples
        .iter()
        .any(|e| matches!(e.expect, Expect::Refuted | Expect::NoMatch));
    let missing = match (positive, negative) {
        (true, true) => None,
        (false, true) => Some("positive example (expect = \"confirmed\")"),
        (true, false) => Some("negative example (expect = \"refuted\" or \"no-match\")"),
        (false, false) => Some(
            "examples: it needs a positive one (expect = \"confirmed\") and a negative one (expect = \"refuted\" or \"no-match\")",
        ),
    };
    if let Some(missing) = missing {
        d.error(
            id.span.clone(),
            format!("rule `{}` has no {missing}", id.text),
            Some("the project's own rules carry both kinds, so `bwrap-doctor rules test` proves the rule fires when it should and only then: add a [[rule.example]] with a stderr, the host facts and the expected verdict".into()),
        );
    }
}

/// An example fact: a plain value, `{ absent = true }` or
/// `{ unavailable = "why" }`.
fn fact_value(d: &mut Diags<'_>, v: &Val<'_>) -> Option<Obs> {
    if let DeValue::Table(map) = v.get_ref() {
        let special = |k: &str| map.get(k);
        if let Some(a) = special("absent") {
            if map.len() != 1 || !matches!(a.get_ref(), DeValue::Boolean(true)) {
                d.error(
                    v.span(),
                    "an absent fact is written exactly `{ absent = true }`",
                    Some("to give an observed value, write the value itself".into()),
                );
                return None;
            }
            return Some(Obs::Absent);
        }
        if let Some(u) = special("unavailable")
            && (map.len() != 1 || !matches!(u.get_ref(), DeValue::String(_)))
        {
            d.error(
                v.span(),
                "an unavailable fact is written exactly `{ unavailable = \"why\" }`",
                Some("to give an observed value, write the value itself".into()),
            );
            return None;
        }
    }
    json(d, v, "facts").map(Obs::from_value)
}

/// bwrap's messages in a stderr, found as the diagnosis finds them.
fn bwrap_messages(stderr: &str) -> Vec<String> {
    crate::messages::bwrap_messages(stderr.as_bytes())
        .into_iter()
        .map(|m| m.text)
        .collect()
}

/// Lint: each pattern should be exercised by an example, and each example's
/// verdict must be reachable given the patterns alone.
pub(super) fn lint_examples(
    d: &mut Diags<'_>,
    patterns: &[(Regex, Str<'_>)],
    except: &[Regex],
    examples: &[Example],
    stderr_spans: &[Range<usize>],
) {
    // The messages the rule considers: `except` takes some away.
    let messages: Vec<Vec<String>> = examples
        .iter()
        .map(|e| {
            bwrap_messages(&e.stderr)
                .into_iter()
                .filter(|m| !except.iter().any(|x| x.is_match(m)))
                .collect()
        })
        .collect();
    for (r, s) in patterns {
        // Only when the rule has examples: a user's rule need not have any,
        // and a project rule without them is already an error.
        if !examples.is_empty() && !messages.iter().flatten().any(|m| r.is_match(m)) {
            d.warn(
                s.span.clone(),
                "no example's stderr matches this pattern",
                Some("add a [[rule.example]] whose stderr shows this wording, so the pattern is tested".into()),
            );
        }
    }
    for ((ex, msgs), span) in examples.iter().zip(&messages).zip(stderr_spans) {
        let hit = patterns
            .iter()
            .enumerate()
            .find_map(|(i, (r, _))| msgs.iter().find(|m| r.is_match(m)).map(|m| (i, m.as_str())));
        match (ex.expect, hit) {
            (Expect::NoMatch, Some((i, m))) => d.error(
                span.clone(),
                format!(
                    "{} expects no-match, but pattern {} matches \"{m}\"",
                    ex.name,
                    i + 1
                ),
                Some("change the stderr or the expected verdict".into()),
            ),
            (e, None) if e != Expect::NoMatch => d.error(
                span.clone(),
                format!(
                    "{} expects {}, but its stderr matches none of the rule's patterns",
                    ex.name,
                    e.label()
                ),
                Some(if msgs.is_empty() {
                    "the stderr has no line with \"bwrap: \"; patterns match the text after it"
                        .to_string()
                } else {
                    format!(
                        "patterns match the text after \"bwrap: \"; here that is: {}",
                        msgs.iter()
                            .map(|m| format!("\"{m}\""))
                            .collect::<Vec<_>>()
                            .join(", ")
                    )
                }),
            ),
            _ => {}
        }
    }
}
