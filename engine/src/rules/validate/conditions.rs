//! Conditions (`[[rule.confirm]]`, `[[rule.fix.when]]`): each names a fact
//! key the catalogue knows (placeholders in it are captures of every
//! pattern), and makes exactly one test on a well-typed value.

use super::{Alias, Captures, FACTS_HELP, FileCx, Mode, compile};
use crate::probe::{self, Entry, Family};
use crate::rules::{
    model::{Condition, Test},
    schema,
    schema::{Diags, Str, TEST_KEYS, Table, Val, closest, inner_span},
    template::{self, Piece},
};
use serde_json::Value;
use toml::de::DeValue;

/// The fields of an object-valued fact, from the catalogue's description
/// of its value (`{ok, step, errno, message}`); `None` when the value is
/// not an object.
pub(super) fn object_fields(p: &Entry) -> Option<Vec<&'static str>> {
    // An object, or a list of objects (a field of a list is each item's
    // field, joined, when rendered).
    let v = p.value.strip_prefix("list of ").unwrap_or(p.value);
    let v = v.strip_prefix('{')?;
    let inner = &v[..v.find('}')?];
    Some(inner.split(',').map(str::trim).collect())
}

impl FileCx<'_> {
    /// One condition (`[[rule.confirm]]` or `[[rule.fix.when]]`). A new
    /// alias is added to `aliases`; `outer` are aliases it must not clash
    /// with besides those.
    pub(super) fn condition(
        &self,
        d: &mut Diags<'_>,
        t: &Table<'_, '_>,
        caps: Option<&Captures>,
        aliases: &mut Vec<Alias>,
        outer: &[Alias],
    ) -> Option<Condition> {
        let before = d.errors.len();
        let fact = t.required_string(d, "fact");
        let found = fact.as_ref().and_then(|f| fact_key(d, self.mode, f, caps));

        let field = t.string(d, "field");
        if let (Some(field), Some(fact), Some(p)) = (&field, &fact, found) {
            match object_fields(p) {
                Some(fields) if !fields.contains(&field.text) => {
                    let mut help = format!("the fields of {} are: {}", fact.text, fields.join(", "));
                    if let Some(best) = closest(field.text, fields.iter().copied()) {
                        help = format!("did you mean `{best}`? {help}");
                    }
                    d.error(
                        field.span.clone(),
                        format!("`{}` has no field `{}`", fact.text, field.text),
                        Some(help),
                    );
                }
                Some(_) => {}
                None => d.error(
                    field.span.clone(),
                    format!(
                        "`{}` is not an object (its value: {}), so it has no fields",
                        fact.text, p.value
                    ),
                    Some("`field` tests one field of an object-valued fact such as experiment.userns; remove it to test the value itself".into()),
                ),
            }
        }

        // Exactly one test.
        let present: Vec<&str> = TEST_KEYS
            .iter()
            .copied()
            .filter(|k| t.get(k).is_some())
            .collect();
        let test = match present.as_slice() {
            [] => {
                d.error(
                    t.span.clone(),
                    format!("{} has no test", t.name),
                    Some(format!("add exactly one of: {}", TEST_KEYS.join(", "))),
                );
                None
            }
            [one] => test(d, t, one),
            [first, rest @ ..] => {
                for k in rest {
                    let span = t.key_span(k).unwrap_or_else(|| t.span.clone());
                    d.error(
                        span,
                        format!("{} has several tests: `{first}` and `{k}`", t.name),
                        Some(format!(
                            "a condition makes one test; split it into two {} tables (all conditions must hold)",
                            t.name
                        )),
                    );
                }
                None
            }
        };

        let alias = t.string(d, "as");
        if let Some(a) = &alias {
            let taken = |n: &str| {
                aliases.iter().chain(outer).any(|x| x.name == n)
                    || caps.is_some_and(|c| c.any.contains(n))
            };
            if !template::is_placeholder_name(a.text) || a.text.contains('.') {
                d.error(
                    a.span.clone(),
                    format!("`{}` is not a usable alias", a.text),
                    Some(
                        "an alias is a name like `restrict` or `profile`: letters, digits and `_`"
                            .into(),
                    ),
                );
            } else if taken(a.text) {
                d.error(
                    a.span.clone(),
                    format!("alias `{}` is already defined in this rule", a.text),
                    Some("captures and aliases share one set of names; choose another".into()),
                );
            } else if probe::lookup(a.text).is_some() {
                d.error(
                    a.span.clone(),
                    format!("alias `{}` has the name of a fact key", a.text),
                    Some("choose another name, so {…} in texts is not ambiguous".into()),
                );
            } else if let Some(f) = &fact {
                aliases.push(Alias {
                    name: a.text.to_string(),
                    fact: f.text.to_string(),
                    probe: found,
                });
            }
        }
        let describe = t.string(d, "describe");
        if let Some(s) = &describe {
            // Shown as written beside the value seen: nothing fills it in.
            for piece in template::scan(s.text) {
                if let Piece::Placeholder(name, range) = piece {
                    d.error(
                        inner_span(d.text, s, range),
                        format!("`describe` is shown as written: {{{name}}} would not be filled in"),
                        Some("say what the condition tests in plain words; the value seen (and the fact's key) is shown beside it".into()),
                    );
                }
            }
        }
        let refutes = t.boolean(d, "refutes");
        if refutes.is_some() && t.name != "[[rule.confirm]]" {
            let span = t.key_span("refutes").unwrap_or_else(|| t.span.clone());
            d.error(
                span,
                format!("`refutes` has no meaning in {}", t.name),
                Some("only a [[rule.confirm]] condition can rule a cause out; remove it".into()),
            );
        }

        if d.errors.len() > before {
            return None;
        }
        Some(Condition {
            fact: fact?.text.to_string(),
            field: field.map(|f| f.text.to_string()),
            test: test?,
            alias: alias.map(|a| a.text.to_string()),
            describe: describe.map(|s| s.text.to_string()),
            refutes: refutes.unwrap_or(true),
            origin: self.origin(d, &t.span),
        })
    }
}

/// Suggestions for an unknown fact key.
pub(super) fn unknown_fact_help(key: &str) -> String {
    let mut candidates: Vec<String> = Vec::new();
    let arg = key.split_once(':').map_or("", |(_, a)| a);
    for p in probe::CATALOGUE {
        if !p.takes_arg {
            candidates.push(p.key.to_string());
        } else if p.key.ends_with(':') {
            candidates.push(format!("{}{arg}", p.key));
        }
    }
    candidates.extend(
        probe::SNAPSHOT_SYSCTLS
            .iter()
            .map(|s| format!("sysctl.{s}")),
    );
    let family = probe::CATALOGUE
        .iter()
        .find(|p| p.takes_arg && (key == p.key || key == p.key.trim_end_matches([':', '.'])));
    if let Some(p) = family {
        return format!(
            "`{}` takes an argument after it ({}); {FACTS_HELP}",
            p.key, p.meaning
        );
    }
    match closest(key, candidates.iter().map(String::as_str)) {
        Some(best) => format!("did you mean `{best}`? {FACTS_HELP}"),
        None => FACTS_HELP.to_string(),
    }
}

/// Check a condition's fact key: its placeholders (captures present in
/// every pattern) and that the key is in the catalogue.
fn fact_key(
    d: &mut Diags<'_>,
    mode: Mode,
    s: &Str<'_>,
    caps: Option<&Captures>,
) -> Option<&'static Entry> {
    let before = d.errors.len();
    for piece in template::scan(s.text) {
        match piece {
            Piece::Text(_) => {}
            Piece::Bad(why, range) => d.error(
                inner_span(d.text, s, range),
                format!("in a fact key: {why}"),
                Some(
                    "a fact key may hold {capture} placeholders; braces are not otherwise allowed"
                        .into(),
                ),
            ),
            Piece::Placeholder(name, range) => {
                let Some(caps) = caps else { continue };
                let span = inner_span(d.text, s, range);
                if caps.all.contains(name) {
                    continue;
                }
                if caps.any.contains(name) {
                    let lacking: Vec<String> = caps
                        .each
                        .iter()
                        .enumerate()
                        .filter(|(_, set)| !set.contains(name))
                        .map(|(i, _)| (i + 1).to_string())
                        .collect();
                    d.error(
                        span,
                        format!("capture `{name}` is not in every pattern"),
                        Some(format!(
                            "pattern {} has no group (?P<{name}>…), so a match could leave {{{name}}} unset; add the group to every pattern, or put this condition in a rule whose patterns all capture it",
                            lacking.join(", ")
                        )),
                    );
                } else {
                    let known: Vec<&str> = caps.all.iter().map(String::as_str).collect();
                    d.error(
                        span,
                        format!("`{{{name}}}` in a fact key is not a capture of the patterns"),
                        Some(if known.is_empty() {
                            "only named groups of the patterns, (?P<name>…), may be used in a fact key; these patterns have none".to_string()
                        } else {
                            format!(
                                "only named groups of the patterns may be used in a fact key; these are: {}",
                                known.join(", ")
                            )
                        }),
                    );
                }
            }
        }
    }
    if d.errors.len() > before {
        return None;
    }
    let dummy = template::expand(s.text, |_| Some("_".into()));
    let Some(p) = probe::lookup(&dummy) else {
        d.error(
            s.span.clone(),
            format!("unknown fact `{}`", s.text),
            Some(unknown_fact_help(s.text)),
        );
        return None;
    };
    // A placeholder may stand in the argument, not in the fact's name.
    let arg = match (p.takes_arg, s.text.strip_prefix(p.key)) {
        (false, _) if s.text == p.key => "",
        (true, Some(arg)) => arg,
        _ => {
            d.error(
                s.span.clone(),
                format!(
                    "`{}`: a placeholder can only stand in a fact's argument",
                    s.text
                ),
                Some(format!("write the fact's name in full, e.g. {}", p.key)),
            );
            return None;
        }
    };
    let takes_path = matches!(
        p.family,
        Family::PathExists | Family::PathFirstSymlink | Family::PathFstype | Family::PathMount
    );
    if takes_path && !arg.starts_with('/') && !arg.starts_with('{') {
        d.error(
            s.span.clone(),
            format!("`{}` takes an absolute path, not `{arg}`", p.key),
            Some(format!("e.g. {}/var/run or {}{{dest}}", p.key, p.key)),
        );
        return None;
    }
    if mode.lint && !arg.contains('{') {
        if p.family == Family::Sysctl && !probe::SNAPSHOT_SYSCTLS.contains(&arg) {
            let mut help = "a snapshot does not record it, so the rule is unconfirmed when replayed; check the spelling (`sysctl -a`), or add it to probe::SNAPSHOT_SYSCTLS".to_string();
            if let Some(best) = closest(arg, probe::SNAPSHOT_SYSCTLS.iter().copied()) {
                help = format!("did you mean `sysctl.{best}`? {help}");
            }
            d.warn(
                s.span.clone(),
                format!("sysctl `{arg}` is not one bwrap-doctor knows"),
                Some(help),
            );
        }
        if (p.key == "args.has:" || p.key == "args.option_since:")
            && !crate::bwrap_args::OPTIONS.iter().any(|o| o.name == arg)
        {
            d.warn(
                s.span.clone(),
                format!("`{arg}` is not a bwrap option this grammar knows"),
                Some("check the spelling against `bwrap --help`".into()),
            );
        }
    }
    Some(p)
}

/// The test of a condition (`key` is its one test key).
fn test(d: &mut Diags<'_>, t: &Table<'_, '_>, key: &str) -> Option<Test> {
    let v = t.get(key)?;
    match key {
        "equals" => json(d, v, key).map(Test::Equals),
        "not_equals" => json(d, v, key).map(Test::NotEquals),
        "contains" => json(d, v, key).map(Test::Contains),
        "not_contains" => json(d, v, key).map(Test::NotContains),
        "in" | "not_in" | "not_contains_all" => {
            let DeValue::Array(items) = v.get_ref() else {
                d.error(
                    v.span(),
                    format!(
                        "`{key}` must be an array of values, found {}",
                        schema::type_name(v.get_ref())
                    ),
                    Some(format!(
                        "write {key} = [ … ], or use `equals` for one value"
                    )),
                );
                return None;
            };
            if items.is_empty() {
                d.error(
                    v.span(),
                    format!("`{key}` is empty"),
                    Some("give the values to compare with".into()),
                );
                return None;
            }
            let vals: Option<Vec<Value>> = items.iter().map(|i| json(d, i, key)).collect();
            let vals = vals?;
            Some(match key {
                "in" => Test::In(vals),
                "not_in" => Test::NotIn(vals),
                _ => Test::NotContainsAll(vals),
            })
        }
        "matches" => {
            let s = t.string(d, key)?;
            compile(d, &s, "`matches`").map(Test::Matches)
        }
        "exists" => t.boolean(d, key).map(Test::Exists),
        "empty" => t.boolean(d, key).map(Test::Empty),
        "greater_than" => t.integer(d, key).map(Test::GreaterThan),
        "less_than" => t.integer(d, key).map(Test::LessThan),
        _ => None,
    }
}

/// A TOML value as JSON (the facts' value type).
pub(super) fn json(d: &mut Diags<'_>, v: &Val<'_>, what: &str) -> Option<Value> {
    Some(match v.get_ref() {
        DeValue::String(s) => Value::String(s.to_string()),
        DeValue::Integer(i) => match i64::from_str_radix(i.as_str(), i.radix()) {
            Ok(n) => Value::from(n),
            Err(e) => {
                d.error(
                    v.span(),
                    format!("`{what}`: integer out of range: {e}"),
                    None,
                );
                return None;
            }
        },
        DeValue::Float(f) => {
            let n = f.as_str().replace('_', "").parse::<f64>().ok();
            if let Some(n) = n.and_then(serde_json::Number::from_f64) {
                Value::Number(n)
            } else {
                d.error(
                    v.span(),
                    format!("`{what}`: {} is not a finite number", f.as_str()),
                    None,
                );
                return None;
            }
        }
        DeValue::Boolean(b) => Value::Bool(*b),
        DeValue::Datetime(_) => {
            d.error(
                v.span(),
                format!("`{what}`: no fact has a date-time value"),
                Some("write it as a string in quotes".into()),
            );
            return None;
        }
        DeValue::Array(items) => {
            let vals: Option<Vec<Value>> = items.iter().map(|i| json(d, i, what)).collect();
            Value::Array(vals?)
        }
        DeValue::Table(map) => {
            let mut obj = serde_json::Map::new();
            let mut ok = true;
            for (k, x) in map {
                match json(d, x, what) {
                    Some(val) => {
                        obj.insert(k.get_ref().to_string(), val);
                    }
                    None => ok = false,
                }
            }
            if !ok {
                return None;
            }
            Value::Object(obj)
        }
    })
}
