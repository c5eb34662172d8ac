//! From a parsed rule file to the engine's types ([`super::model`]), with
//! every check the format promises: keys, types, regexes, causes, fact keys,
//! placeholders, tests, fixes and examples. All errors of a file are
//! collected; a rule with any error is left out.
//!
//! This file walks a file's tables (`[[rule]]`, `[[disable]]`) and a
//! rule's keys in order (`id`, `yields_to` and the texts here); by concern:
//! - `patterns.rs`: regexes (`patterns`, `except`, `matches`), their
//!   captures, and the compile budget of a file;
//! - `causes.rs`: `cause`, `stage`, `causes` and `[[rule.prior]]`;
//! - `conditions.rs`: `[[rule.confirm]]` and `[[rule.fix.when]]`: fact keys
//!   against the catalogue, tests, values;
//! - `placeholders.rs`: the `{name}`s of texts: captures, aliases, facts;
//! - `fixes.rs`: `[[rule.fix]]`;
//! - `examples.rs`: `[[rule.example]]`, and lint's reachability of them.

use super::RuleError;
use super::model::{Origin, Patterns, Rule, SourceKind};
use super::schema::{CONDITION_KEYS, DISABLE_KEYS, Diags, RULE_KEYS, Str, TOP_KEYS, Table};
use std::collections::{BTreeSet, HashMap};
use std::ops::Range;
use std::path::Path;

mod causes;
mod conditions;
mod examples;
mod fixes;
mod patterns;
mod placeholders;
#[cfg(test)]
mod tests;

use causes::cause;
use conditions::{json, object_fields, unknown_fact_help};
use examples::{lint_examples, require_both_kinds};
pub(crate) use patterns::pattern;
use patterns::{Budget, Captures, RulePatterns, compile, over_budget};
use placeholders::{Alias, Names, check_text};

/// How strict to be.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Mode {
    /// The project's own rules: every rule needs a positive and a negative
    /// example. Always on for built-in files.
    pub project: bool,
    /// Also compute warnings and the checks only `rules lint` makes.
    pub lint: bool,
}

/// What checking one file gives.
#[derive(Debug, Default)]
pub(super) struct Checked {
    pub rules: Vec<Rule>,
    /// Parallel to `rules`.
    pub meta: Vec<RuleMeta>,
    pub disables: Vec<Disable>,
    pub errors: Vec<RuleError>,
    pub warnings: Vec<RuleError>,
}

/// Spans of a rule that checks across files point at.
#[derive(Debug, Clone)]
pub(super) struct RuleMeta {
    pub id_span: Range<usize>,
    pub yields_to: Vec<(String, Range<usize>)>,
}

/// A `[[disable]]` entry.
#[derive(Debug, Clone)]
pub(super) struct Disable {
    pub id: String,
    pub span: Range<usize>,
    pub origin: Origin,
}

/// Check one file. `file` is the path as shown to people.
pub(super) fn check(source: SourceKind, file: &Path, text: &str, mode: Mode) -> Checked {
    let mode = Mode {
        project: mode.project || source == SourceKind::Builtin,
        ..mode
    };
    let mut d = Diags::new(text);
    let Some(root) = d.parse("fix the syntax; nothing else in this file was read") else {
        return Checked {
            errors: d.errors,
            ..Checked::default()
        };
    };
    let _budget = (source != SourceKind::Builtin).then(Budget::start);
    let mut out = Checked::default();
    let mut cx = FileCx {
        source,
        file,
        mode,
        ids: HashMap::new(),
    };
    if let Some(top) = Table::open(&mut d, &root, "a rule file", TOP_KEYS) {
        for t in top.tables(&mut d, "rule", "[[rule]]", RULE_KEYS) {
            if over_budget() {
                break; // the file is skipped: checking the rest is waste
            }
            if let Some((rule, meta)) = cx.rule(&mut d, &t) {
                out.rules.push(rule);
                out.meta.push(meta);
            }
        }
        for t in top.tables(&mut d, "disable", "[[disable]]", DISABLE_KEYS) {
            if let Some(dis) = cx.disable(&mut d, &t) {
                out.disables.push(dis);
            }
        }
    }
    d.errors.sort_by_key(|e| e.span.start);
    d.warnings.sort_by_key(|e| e.span.start);
    out.errors = d.errors;
    out.warnings = d.warnings;
    out
}

/// Whether `id` has the shape of a rule id.
pub(super) fn is_rule_id(id: &str) -> bool {
    let mut chars = id.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '.' || c == '-')
}

const ID_HELP: &str = "ids use lowercase letters, digits, `.` and `-`, starting with a letter or digit, e.g. \"apparmor-userns-restrict.uid-map\"";
const FACTS_HELP: &str = "the fact keys are listed in rules/README.md (\"Fact keys\")";

struct FileCx<'f> {
    source: SourceKind,
    file: &'f Path,
    mode: Mode,
    /// Rule ids seen in this file, with the line of the first.
    ids: HashMap<String, usize>,
}

impl FileCx<'_> {
    fn origin(&self, d: &Diags<'_>, span: &Range<usize>) -> Origin {
        Origin {
            source: self.source,
            file: self.file.to_path_buf(),
            line: d.line(span.start),
        }
    }

    fn disable(&mut self, d: &mut Diags<'_>, t: &Table<'_, '_>) -> Option<Disable> {
        let before = d.errors.len();
        if self.source == SourceKind::Builtin {
            d.error(
                t.span.clone(),
                "[[disable]] in a built-in rule file",
                Some("built-in files define rules; to retire one, delete it. [[disable]] belongs in /etc/bwrap-doctor/rules.d, the user's rules.d or a BWRAP_DOCTOR_RULES file".into()),
            );
        }
        let id = t.required_string(d, "id");
        t.string(d, "reason");
        let id = id?;
        if !is_rule_id(id.text) {
            d.error(
                id.span.clone(),
                format!("`{}` is not a rule id", id.text),
                Some(ID_HELP.into()),
            );
        }
        (d.errors.len() == before).then(|| Disable {
            id: id.text.to_string(),
            span: id.span.clone(),
            origin: self.origin(d, &t.span),
        })
    }

    fn rule(&mut self, d: &mut Diags<'_>, t: &Table<'_, '_>) -> Option<(Rule, RuleMeta)> {
        let before = d.errors.len();
        let id = self.rule_id(d, t);
        let cause = t.required_string(d, "cause").and_then(|c| cause(d, &c));
        let summary = t.required_string(d, "summary");
        let explanation = t.required_string(d, "explanation");

        let RulePatterns {
            patterns,
            deferred,
            except,
            caps,
        } = self.patterns(d, t);

        let yields_to = yields_to(d, t, id.as_ref().map(|id| id.text));

        // Conditions, with the aliases they define.
        let empty = BTreeSet::new();
        let (all, any) = caps.as_ref().map_or((&empty, &empty), |c| (&c.all, &c.any));
        let mut aliases: Vec<Alias> = Vec::new();
        let mut confirm = Vec::new();
        let is_stage = t.key_span("stage").is_some();
        for ct in t.tables(d, "confirm", "[[rule.confirm]]", CONDITION_KEYS) {
            if let Some(c) = self.condition(d, &ct, caps.as_ref(), &mut aliases, &[]) {
                if is_stage && !c.refutes {
                    // A stage rule's conditions are evidence, never a
                    // refutation: the key would say nothing.
                    let span = ct.key_span("refutes").unwrap_or_else(|| ct.span.clone());
                    d.error(
                        span,
                        "`refutes = false` has no meaning in a stage rule",
                        Some("a stage rule is never confirmed and its conditions never rule a cause out (they are evidence); remove it".into()),
                    );
                }
                confirm.push(c);
            }
        }

        let (stage, causes, priors) = self.stage_and_priors(d, t, caps.as_ref(), &aliases);

        // Texts of the rule.
        let names = Names {
            captures_all: all,
            captures_any: any,
            captures_known: caps.is_some(),
            aliases: aliases.iter().collect(),
        };
        for (key, s) in [("summary", &summary), ("explanation", &explanation)] {
            if let Some(s) = s {
                check_text(d, self.mode, s, key, &names);
            }
        }

        let fixes = self.fixes(d, t, caps.as_ref(), &aliases);

        let (examples, example_spans) = self.examples(d, t);

        let (id, cause, summary, explanation, patterns) =
            match (id, cause, summary, explanation, patterns) {
                (Some(a), Some(b), Some(c), Some(e), Some(p)) => (a, b, c, e, p),
                _ => return None,
            };

        if self.mode.project {
            require_both_kinds(d, &id, stage.is_some(), &examples);
        }
        if self.mode.lint {
            lint_examples(d, &patterns, &except, &examples, &example_spans);
        }

        if d.errors.len() > before {
            return None;
        }
        let rule = Rule {
            id: id.text.to_string(),
            cause,
            summary: summary.text.to_string(),
            patterns: match deferred {
                Some(texts) => Patterns::deferred(texts),
                None => Patterns::compiled(patterns.into_iter().map(|(r, _)| r).collect()),
            },
            except,
            confirm,
            explanation: explanation.text.to_string(),
            fixes,
            examples,
            yields_to: yields_to.iter().map(|(s, _)| s.clone()).collect(),
            stage,
            causes,
            priors,
            origin: self.origin(d, &t.span),
        };
        let meta = RuleMeta {
            id_span: id.span,
            yields_to,
        };
        Some((rule, meta))
    }

    /// A rule's `id`: the shape of an id, and unique in this file.
    fn rule_id<'a>(&mut self, d: &mut Diags<'_>, t: &Table<'a, '_>) -> Option<Str<'a>> {
        let id = t.required_string(d, "id");
        if let Some(id) = &id {
            if !is_rule_id(id.text) {
                d.error(
                    id.span.clone(),
                    format!("`{}` is not a valid rule id", id.text),
                    Some(ID_HELP.into()),
                );
            } else if let Some(first) = self.ids.get(id.text) {
                d.error(
                    id.span.clone(),
                    format!("duplicate rule id `{}`", id.text),
                    Some(format!(
                        "it is first defined on line {first} of this file; ids are unique within a source (to replace a rule, define it again in a later source: see rules/README.md)"
                    )),
                );
            } else {
                self.ids.insert(id.text.to_string(), d.line(id.span.start));
            }
        }
        id
    }
}

/// `yields_to`: the ids of other rules that explain the same failure more
/// precisely.
fn yields_to(
    d: &mut Diags<'_>,
    t: &Table<'_, '_>,
    id: Option<&str>,
) -> Vec<(String, Range<usize>)> {
    t
            .strings(d, "yields_to")
            .map(|(list, _)| {
                list.into_iter()
                    .filter(|s| {
                        if !is_rule_id(s.text) {
                            d.error(
                                s.span.clone(),
                                format!("`{}` in `yields_to` is not a rule id", s.text),
                                Some(ID_HELP.into()),
                            );
                            false
                        } else if id == Some(s.text) {
                            d.error(
                                s.span.clone(),
                                "a rule cannot yield to itself",
                                Some("`yields_to` names other rules that explain the same failure more precisely".into()),
                            );
                            false
                        } else {
                            true
                        }
                    })
                    .map(|s| (s.text.to_string(), s.span))
                    .collect()
            })
            .unwrap_or_default()
}
