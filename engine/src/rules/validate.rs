//! From a parsed rule file to the engine's types ([`super::model`]), with
//! every check the format promises: keys, types, regexes, causes, fact keys,
//! placeholders, tests, fixes and examples. All errors of a file are
//! collected; a rule with any error is left out.

use super::RuleError;
use super::model::*;
use super::schema::{
    self, CONDITION_KEYS, DISABLE_KEYS, Diags, EXAMPLE_KEYS, FIX_KEYS, PRIOR_KEYS, RULE_KEYS, Str,
    TEST_KEYS, TOP_KEYS, Table, Val, closest, inner_span,
};
use super::template::{self, Piece};
use crate::cause::Cause;
use crate::facts::Obs;
use crate::probe::{self, Probe};
use regex::Regex;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::ops::Range;
use std::path::Path;
use toml::de::{DeTable, DeValue};

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
    // The parser recovers and goes on; its errors are not in file order.
    // Report the first in the file: later ones may only be its echoes.
    let (doc, syntax) = DeTable::parse_recoverable(text);
    if let Some(e) = syntax
        .iter()
        .min_by_key(|e| e.span().map_or(0, |s| s.start))
    {
        d.error(
            e.span().unwrap_or(0..0),
            format!("invalid TOML: {}", one_line(e.message())),
            Some("fix the syntax; nothing else in this file was read".into()),
        );
        return Checked {
            errors: d.errors,
            ..Checked::default()
        };
    }
    let root = Val::new(doc.span(), DeValue::Table(doc.into_inner()));
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

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
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

/// The fields of an object-valued fact, from the catalogue's description
/// of its value (`{ok, step, errno, message}`); `None` when the value is
/// not an object.
pub(super) fn object_fields(p: &Probe) -> Option<Vec<&'static str>> {
    // An object, or a list of objects (a field of a list is each item's
    // field, joined, when rendered).
    let v = p.value.strip_prefix("list of ").unwrap_or(p.value);
    let v = v.strip_prefix('{')?;
    let inner = &v[..v.find('}')?];
    Some(inner.split(',').map(str::trim).collect())
}

/// A name a condition gives its observed value (`as = "…"`).
#[derive(Debug, Clone)]
struct Alias {
    name: String,
    fact: String,
    probe: Option<&'static Probe>,
}

/// The names a text may use.
struct Names<'r> {
    captures_all: &'r BTreeSet<String>,
    captures_any: &'r BTreeSet<String>,
    /// False when the patterns are in error: the captures are not known,
    /// so names that could be captures are not reported again.
    captures_known: bool,
    aliases: Vec<&'r Alias>,
}

/// The captures of a rule's patterns.
struct Captures {
    /// Named groups present in every pattern.
    all: BTreeSet<String>,
    /// Named groups present in at least one.
    any: BTreeSet<String>,
    /// Per pattern, for messages.
    each: Vec<BTreeSet<String>>,
}

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
        let cause = t.required_string(d, "cause").and_then(|c| cause(d, &c));
        let summary = t.required_string(d, "summary");
        let explanation = t.required_string(d, "explanation");

        // Patterns and their captures. The built-in rules, which `rules
        // lint` checks in full, compile theirs when first used.
        let defer = self.source == SourceKind::Builtin && !self.mode.lint;
        let mut deferred: Option<Vec<String>> = None;
        let patterns = match t.strings(d, "patterns") {
            None if t.get("patterns").is_none() => {
                t.missing(d, "patterns");
                None
            }
            None => None,
            Some((list, span)) if list.is_empty() => {
                d.error(
                    span,
                    "`patterns` is empty",
                    Some("give at least one regex on bwrap's message (the text after \"bwrap: \"), e.g. patterns = ['^setting up uid map: (?P<error>.+)$']".into()),
                );
                None
            }
            Some((list, _)) if defer => {
                deferred = Some(list.iter().map(|s| s.text.to_string()).collect());
                Some(Vec::new())
            }
            Some((list, _)) => {
                let compiled: Vec<_> = list
                    .iter()
                    .map(|s| compile(d, s, "pattern").map(|r| (r, s.clone())))
                    .collect();
                compiled.into_iter().collect::<Option<Vec<_>>>()
            }
        };
        // Messages the patterns match that this rule is not about.
        let except = match t.strings(d, "except") {
            Some((list, _)) if defer => {
                Patterns::deferred(list.iter().map(|s| s.text.to_string()).collect())
            }
            Some((list, _)) => Patterns::compiled(
                list.iter()
                    .filter_map(|s| compile(d, s, "pattern"))
                    .collect(),
            ),
            None => Patterns::compiled(Vec::new()),
        };
        // Deferred patterns are not compiled here, so their captures are
        // not known: the checks that need them are `rules lint`'s.
        let caps = patterns
            .as_ref()
            .filter(|_| deferred.is_none())
            .map(|ps| captures(ps.iter().map(|(r, _)| r)));
        if let (Some(ps), Some(_)) = (&patterns, &caps) {
            for (r, s) in ps {
                for name in r.capture_names().flatten() {
                    if probe::lookup(name).is_some_and(|p| !p.takes_arg) {
                        d.error(
                            s.span.clone(),
                            format!("capture `{name}` has the name of a fact key"),
                            Some(format!(
                                "rename the group: in texts, {{{name}}} would be ambiguous"
                            )),
                        );
                    }
                }
            }
        }

        let yields_to: Vec<(String, Range<usize>)> = t
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
                        } else if id.as_ref().is_some_and(|id| id.text == s.text) {
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
            .unwrap_or_default();

        // Conditions, with the aliases they define.
        let empty = BTreeSet::new();
        let (all, any) = caps.as_ref().map_or((&empty, &empty), |c| (&c.all, &c.any));
        let mut aliases: Vec<Alias> = Vec::new();
        let mut confirm = Vec::new();
        for ct in t.tables(d, "confirm", "[[rule.confirm]]", CONDITION_KEYS) {
            if let Some(c) = self.condition(d, &ct, caps.as_ref(), &mut aliases, &[]) {
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

        // Fixes.
        let mut fixes = Vec::new();
        let mut scope_spans = Vec::new();
        for ft in t.tables(d, "fix", "[[rule.fix]]", FIX_KEYS) {
            if let Some((f, span)) = self.fix(d, &ft, caps.as_ref(), &aliases) {
                fixes.push(f);
                scope_spans.push(span);
            }
        }
        if self.mode.lint {
            for (i, pair) in fixes.windows(2).enumerate() {
                if pair[1].scope < pair[0].scope {
                    d.warn(
                        scope_spans[i + 1].clone(),
                        format!(
                            "fix \"{}\" is narrower than the fix before it",
                            pair[1].title
                        ),
                        Some(
                            "list fixes narrowest first: narrow, then local, then host-wide".into(),
                        ),
                    );
                }
            }
        }

        // Examples.
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

        let (id, cause, summary, explanation, patterns) =
            match (id, cause, summary, explanation, patterns) {
                (Some(a), Some(b), Some(c), Some(e), Some(p)) => (a, b, c, e, p),
                _ => return None,
            };

        if self.mode.project {
            // A stage rule never confirms: its positive examples are
            // unconfirmed matches.
            let positive = examples.iter().any(|e| {
                e.expect.is_positive() || (stage.is_some() && e.expect == Expect::Unconfirmed)
            });
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

    /// `stage`, `causes` and `[[rule.prior]]`.
    fn stage_and_priors(
        &self,
        d: &mut Diags<'_>,
        t: &Table<'_, '_>,
        caps: Option<&Captures>,
        aliases: &[Alias],
    ) -> (Option<String>, Vec<Cause>, Vec<Prior>) {
        let stage = t.string(d, "stage").and_then(|s| {
            if STAGES.contains(&s.text) {
                return Some(s.text.to_string());
            }
            let mut help = format!("the steps are: {}", STAGES.join(", "));
            if let Some(best) = closest(s.text, STAGES.iter().copied()) {
                help = format!("did you mean `{best}`? {help}");
            }
            d.error(
                s.span.clone(),
                format!("unknown stage `{}`", s.text),
                Some(help),
            );
            None
        });
        let causes: Vec<Cause> = t
            .strings(d, "causes")
            .map(|(list, _)| list.iter().filter_map(|c| cause(d, c)).collect())
            .unwrap_or_default();
        if let (None, Some(span)) = (&stage, t.key_span("causes")) {
            d.error(
                span,
                "`causes` belongs to stage rules",
                Some("a rule with `stage = \"…\"` lists the causes that can make that step fail; a specific rule names one `cause`".into()),
            );
        }
        let mut priors = Vec::new();
        for pt in t.tables(d, "prior", "[[rule.prior]]", PRIOR_KEYS) {
            let before = d.errors.len();
            let weight = match t_weight(d, &pt) {
                Some(w) => w,
                None => continue,
            };
            let source = pt.required_string(d, "source");
            let message = pt
                .string(d, "message")
                .and_then(|m| compile(d, &m, "pattern"));
            let mut own = Vec::new();
            let mut when = Vec::new();
            for wt in pt.tables(d, "when", "[[rule.prior.when]]", CONDITION_KEYS) {
                if let Some(c) = self.condition(d, &wt, caps, &mut own, aliases) {
                    when.push(c);
                }
            }
            if let (Some(source), true) = (source, d.errors.len() == before) {
                priors.push(Prior {
                    weight,
                    message,
                    when,
                    source: source.text.to_string(),
                });
            }
        }
        (stage, causes, priors)
    }

    /// One condition (`[[rule.confirm]]` or `[[rule.fix.when]]`). A new
    /// alias is added to `aliases`; `outer` are aliases it must not clash
    /// with besides those.
    fn condition(
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

        if d.errors.len() > before {
            return None;
        }
        Some(Condition {
            fact: fact?.text.to_string(),
            field: field.map(|f| f.text.to_string()),
            test: test?,
            alias: alias.map(|a| a.text.to_string()),
            describe: describe.map(|s| s.text.to_string()),
            origin: self.origin(d, &t.span),
        })
    }

    fn fix(
        &self,
        d: &mut Diags<'_>,
        t: &Table<'_, '_>,
        caps: Option<&Captures>,
        rule_aliases: &[Alias],
    ) -> Option<(Fix, Range<usize>)> {
        let before = d.errors.len();
        let title = t.required_string(d, "title");
        let scope = t.required_string(d, "scope").and_then(|s| {
            let scope = Scope::ALL.into_iter().find(|sc| sc.label() == s.text);
            if scope.is_none() {
                let all = Scope::ALL.map(Scope::label);
                let mut help = "one of: narrow (this bwrap, this call), local (this user or container), host-wide (the whole host)".to_string();
                if let Some(best) = closest(s.text, all) {
                    help = format!("did you mean `{best}`? {help}");
                }
                d.error(
                    s.span.clone(),
                    format!("unknown scope `{}`", s.text),
                    Some(help),
                );
            }
            scope.map(|sc| (sc, s))
        });
        let commands = t.string(d, "commands");
        let tradeoff = t.string(d, "tradeoff");
        if let Some((Scope::HostWide, s)) = &scope
            && tradeoff.is_none()
            && t.get("tradeoff").is_none()
        {
            d.error(
                s.span.clone(),
                "a host-wide fix needs a `tradeoff`",
                Some("add `tradeoff = \"…\"`: what the whole host gives up (e.g. \"every program may create user namespaces again, which widens the kernel's attack surface\")".into()),
            );
        }
        let mut fix_aliases = Vec::new();
        let mut when = Vec::new();
        for wt in t.tables(d, "when", "[[rule.fix.when]]", CONDITION_KEYS) {
            if let Some(c) = self.condition(d, &wt, caps, &mut fix_aliases, rule_aliases) {
                when.push(c);
            }
        }
        let empty = BTreeSet::new();
        let names = Names {
            captures_all: caps.map_or(&empty, |c| &c.all),
            captures_any: caps.map_or(&empty, |c| &c.any),
            captures_known: caps.is_some(),
            aliases: rule_aliases.iter().chain(&fix_aliases).collect(),
        };
        for (key, s) in [
            ("title", &title),
            ("commands", &commands),
            ("tradeoff", &tradeoff),
        ] {
            if let Some(s) = s {
                check_text(d, self.mode, s, key, &names);
            }
        }
        if d.errors.len() > before {
            return None;
        }
        let (scope, scope_str) = scope?;
        let fix = Fix {
            title: title?.text.to_string(),
            commands: commands.map(|s| s.text.to_string()),
            scope,
            tradeoff: tradeoff.map(|s| s.text.to_string()),
            when,
            origin: self.origin(d, &t.span),
        };
        Some((fix, scope_str.span))
    }

    /// One example, and the span of its stderr (for lint).
    fn example(
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
                    for (k, v) in map.iter() {
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

/// A prior's `weight`: per cent, 0 to 100.
fn t_weight(d: &mut Diags<'_>, t: &Table<'_, '_>) -> Option<u8> {
    let Some(n) = t.integer(d, "weight") else {
        if t.get("weight").is_none() {
            t.missing(d, "weight");
        }
        return None;
    };
    match u8::try_from(n) {
        Ok(w) if w <= 100 => Some(w),
        _ => {
            d.error(
                t.get("weight").map_or(0..0, |v| v.span()),
                format!("`weight` {n} is not a percentage"),
                Some("how often (per cent, 0 to 100) this rule's cause is behind its message in the context `when` describes".into()),
            );
            None
        }
    }
}

fn cause(d: &mut Diags<'_>, s: &Str<'_>) -> Option<Cause> {
    if let Some(c) = Cause::from_id(s.text) {
        return Some(c);
    }
    let ids: Vec<&str> = Cause::ALL.iter().map(|c| c.id()).collect();
    let mut help = format!("the causes are: {}", ids.join(", "));
    if let Some(best) = closest(s.text, ids.iter().copied()) {
        help = format!("did you mean `{best}`? {help}");
    }
    d.error(
        s.span.clone(),
        format!("unknown cause `{}`", s.text),
        Some(help),
    );
    None
}

/// Compile a regex, pointing at the offending characters when it fails.
/// A rule's pattern compiled, as when its file loads (`ignore_case` for
/// pasted text a person retyped). The size limit is far above any real
/// rule's needs (they compile to a few KiB), far below the regex crate's
/// 10 MiB default: a pattern that would compile to megabytes is refused in
/// milliseconds, not seconds.
pub(crate) fn pattern(text: &str, ignore_case: bool) -> Result<Regex, regex::Error> {
    regex::RegexBuilder::new(text)
        .size_limit(256 << 10)
        .case_insensitive(ignore_case)
        .build()
}

/// The compile budget of one rule file that is not built in: at most this
/// many regexes (`patterns`, `except`, `matches`)…
pub const MAX_PATTERNS_PER_FILE: usize = 1000;
/// …compiled in at most this much CPU time. The built-in rules have about 200
/// patterns in all and compile in a few milliseconds; a file past either
/// limit is skipped whole (one warning), so that no file makes every
/// diagnosis, or `rules list`, cost seconds.
pub const COMPILE_TIME_PER_FILE: std::time::Duration = std::time::Duration::from_millis(250);

/// The budget of the file being checked, on this thread: set by [`check`]
/// for the time of one file (not for the built-in rules), spent by
/// [`compile`].
struct Budget {
    /// This thread's CPU time when the file's budget started: CPU time,
    /// not wall time, so that a busy machine does not make a file that
    /// fits skip.
    started: std::time::Duration,
    compiled: usize,
    /// The file is over budget (said once; later patterns are not compiled).
    over: bool,
}

thread_local! {
    static BUDGET: std::cell::RefCell<Option<Budget>> = const { std::cell::RefCell::new(None) };
}

/// Dropping it ends the file's budget.
struct BudgetGuard;

impl Budget {
    fn start() -> BudgetGuard {
        BUDGET.with(|b| {
            *b.borrow_mut() = Some(Budget {
                started: thread_cpu_time(),
                compiled: 0,
                over: false,
            })
        });
        BudgetGuard
    }
}

impl Drop for BudgetGuard {
    fn drop(&mut self) {
        BUDGET.with(|b| *b.borrow_mut() = None);
    }
}

/// The CPU time this thread has used.
fn thread_cpu_time() -> std::time::Duration {
    use nix::time::{ClockId, clock_gettime};
    clock_gettime(ClockId::CLOCK_THREAD_CPUTIME_ID).map_or(std::time::Duration::ZERO, Into::into)
}

/// The file being checked went over its budget.
fn over_budget() -> bool {
    BUDGET.with(|b| b.borrow().as_ref().is_some_and(|b| b.over))
}

/// Take one regex from the budget. `Err(Some(why))`: the file just went
/// over; `Err(None)`: it was already over.
fn spend() -> Result<(), Option<String>> {
    BUDGET.with(|b| {
        let mut b = b.borrow_mut();
        let Some(b) = b.as_mut() else {
            return Ok(());
        };
        if b.over {
            return Err(None);
        }
        let why = if b.compiled >= MAX_PATTERNS_PER_FILE {
            format!("the file has more than {MAX_PATTERNS_PER_FILE} patterns, the limit per rule file")
        } else if thread_cpu_time().saturating_sub(b.started) > COMPILE_TIME_PER_FILE {
            format!(
                "compiling the file's patterns took more than {} ms of CPU time, the limit per rule file (this is pattern {})",
                COMPILE_TIME_PER_FILE.as_millis(),
                b.compiled + 1
            )
        } else {
            b.compiled += 1;
            return Ok(());
        };
        b.over = true;
        Err(Some(why))
    })
}

fn compile(d: &mut Diags<'_>, s: &Str<'_>, what: &str) -> Option<Regex> {
    match spend() {
        Ok(()) => {}
        Err(None) => return None,
        Err(Some(why)) => {
            d.error(
                s.span.clone(),
                format!("compile budget exceeded: {why}"),
                Some("split the rules into several files, or use fewer and simpler patterns (`\\w`, `\\d` and `.` are Unicode-wide and compile large; `(?-u:\\w)` does not); the file was skipped".into()),
            );
            return None;
        }
    }
    let err = match pattern(s.text, false) {
        Ok(r) => return Some(r),
        Err(e) => e,
    };
    let located = match regex_syntax::parse(s.text) {
        Err(regex_syntax::Error::Parse(e)) => Some((e.kind().to_string(), *e.span())),
        Err(regex_syntax::Error::Translate(e)) => Some((e.kind().to_string(), *e.span())),
        _ => None,
    };
    let (message, span) = match located {
        Some((kind, sp)) => (
            kind,
            inner_span(
                d.text,
                s,
                sp.start.offset..sp.end.offset.max(sp.start.offset + 1).min(s.text.len()),
            ),
        ),
        None => {
            // The regex crate's own words (e.g. a size limit), on one line.
            let text = err.to_string();
            let last = text.lines().last().unwrap_or(&text);
            (
                last.trim_start_matches("error: ").to_string(),
                s.span.clone(),
            )
        }
    };
    d.error(
        span,
        format!("invalid regex in {what}: {message}"),
        Some("patterns use the syntax of the regex crate: https://docs.rs/regex/latest/regex/#syntax (TOML literal strings, '…', need no escaping)".into()),
    );
    None
}

fn captures<'r>(patterns: impl Iterator<Item = &'r Regex>) -> Captures {
    let each: Vec<BTreeSet<String>> = patterns
        .map(|r| r.capture_names().flatten().map(str::to_string).collect())
        .collect();
    let any: BTreeSet<String> = each.iter().flatten().cloned().collect();
    let all = any
        .iter()
        .filter(|n| each.iter().all(|s| s.contains(*n)))
        .cloned()
        .collect();
    Captures { all, any, each }
}

/// Suggestions for an unknown fact key.
fn unknown_fact_help(key: &str) -> String {
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
) -> Option<&'static Probe> {
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
    if p.key.starts_with("path.") && !arg.starts_with('/') && !arg.starts_with('{') {
        d.error(
            s.span.clone(),
            format!("`{}` takes an absolute path, not `{arg}`", p.key),
            Some(format!("e.g. {}/var/run or {}{{dest}}", p.key, p.key)),
        );
        return None;
    }
    if mode.lint && !arg.contains('{') {
        if p.key == "sysctl." && !probe::SNAPSHOT_SYSCTLS.contains(&arg) {
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
        "in" | "not_in" => {
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
            Some(if key == "in" {
                Test::In(vals)
            } else {
                Test::NotIn(vals)
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
fn json(d: &mut Diags<'_>, v: &Val<'_>, what: &str) -> Option<Value> {
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
            match n.and_then(serde_json::Number::from_f64) {
                Some(n) => Value::Number(n),
                None => {
                    d.error(
                        v.span(),
                        format!("`{what}`: {} is not a finite number", f.as_str()),
                        None,
                    );
                    return None;
                }
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
            for (k, x) in map.iter() {
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

/// Check the placeholders of a text.
fn check_text(d: &mut Diags<'_>, mode: Mode, s: &Str<'_>, key: &str, names: &Names<'_>) {
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

/// bwrap's messages in a stderr, found as the diagnosis finds them.
pub(super) fn bwrap_messages(stderr: &str) -> Vec<String> {
    crate::diagnose::bwrap_messages(stderr.as_bytes())
        .into_iter()
        .map(|m| m.text)
        .collect()
}

/// Lint: each pattern should be exercised by an example, and each example's
/// verdict must be reachable given the patterns alone.
fn lint_examples(
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::{RuleError, parse, render_errors};
    use std::path::Path;

    const F: &str = "test.toml";

    /// A complete valid rule to vary.
    const GOOD: &str = r#"
[[rule]]
id = "bind-dest-symlink.var-run"
cause = "bind-dest-symlink"
summary = "{dest} crosses the symlink {link.link}"
patterns = [
  '^Can.t create file at (?P<dest>/\S+): (?P<error>.+)$',
  '^Can.t mkdir (?P<dest>/\S+): (?P<error>.+)$',
]
explanation = """
bwrap {bwrap.path} on {os.pretty_name}: {link.link} points to {link.target} ({error}); literal {{braces}}.
"""
yields_to = ["other.rule"]

[[rule.confirm]]
fact = "path.first_symlink:{dest}"
exists = true
as = "link"
describe = "a symlink on the way"

[[rule.confirm]]
fact = "experiment.userns"
field = "step"
in = ["uid_map", "gid_map"]

[[rule.fix]]
title = "Bind {link.target} instead of {dest} on {distro}"
scope = "narrow"
commands = "bwrap --bind {link.target} {link.target} …"
[[rule.fix.when]]
fact = "os.id"
not_in = ["nixos"]
as = "distro"

[[rule.fix]]
title = "Change the layout"
scope = "host-wide"
tradeoff = "other programs may rely on {dest}"

[[rule.example]]
stderr = "bwrap: Can't create file at /var/run/x: No such file or directory\n"
argv = ["--bind", "/run/x", "/var/run/x", "true"]
expect = "confirmed"
[rule.example.facts]
"path.first_symlink:/var/run/x" = { link = "/var/run", target = "../run", absolute = "/run" }
"experiment.userns" = { ok = false, step = "uid_map", errno = 13, message = "x" }
"os.pretty_name" = { unavailable = "not recorded" }

[[rule.example]]
name = "not a symlink"
stderr = "bwrap: Can't mkdir /opt/x: Permission denied\n"
expect = "refuted"
[rule.example.facts]
"path.first_symlink:/opt/x" = { absent = true }
"#;

    fn errors(text: &str) -> Vec<RuleError> {
        match parse(SourceKind::User, Path::new(F), text) {
            Ok(_) => Vec::new(),
            Err(e) => e,
        }
    }

    fn messages(text: &str) -> Vec<String> {
        errors(text).into_iter().map(|e| e.message).collect()
    }

    fn lint_of(text: &str, project: bool) -> Checked {
        check(
            SourceKind::User,
            Path::new(F),
            text,
            Mode {
                project,
                lint: true,
            },
        )
    }

    /// `GOOD` with `from` replaced by `to` (which must occur).
    fn good_with(from: &str, to: &str) -> String {
        assert!(GOOD.contains(from), "{from}");
        GOOD.replacen(from, to, 1)
    }

    #[test]
    fn stage_causes_and_priors_are_checked() {
        let prior = "yields_to = [\"other.rule\"]\n[[rule.prior]]\nweight = 40\nmessage = 'mkdir'\nsource = \"corpus: 2 of 5\"\n[[rule.prior.when]]\nfact = \"os.id\"\nequals = \"ubuntu\"\n";
        let fr = parse(
            SourceKind::User,
            Path::new(F),
            &good_with("yields_to = [\"other.rule\"]\n", prior),
        )
        .unwrap();
        let p = &fr.rules[0].priors[0];
        assert_eq!(
            (p.weight, p.when.len(), p.source.as_str()),
            (40, 1, "corpus: 2 of 5")
        );
        assert!(
            p.message
                .as_ref()
                .is_some_and(|m| m.is_match("Can't mkdir /x"))
        );
        let stage = "yields_to = [\"other.rule\"]\nstage = \"bind-remount\"\ncauses = [\"bind-dest-symlink\", \"bad-arguments\"]\n";
        let fr = parse(
            SourceKind::User,
            Path::new(F),
            &good_with("yields_to = [\"other.rule\"]\n", stage),
        )
        .unwrap();
        assert_eq!(fr.rules[0].stage.as_deref(), Some("bind-remount"));
        assert_eq!(
            fr.rules[0].causes,
            [Cause::BindDestSymlink, Cause::BadArguments]
        );
        for (text, want) in [
            (
                "stage = \"bind-remounts\"\n",
                "unknown stage `bind-remounts`",
            ),
            (
                "causes = [\"bad-arguments\"]\n",
                "`causes` belongs to stage rules",
            ),
            (
                "[[rule.prior]]\nweight = 140\nsource = \"x\"\n",
                "`weight` 140 is not a percentage",
            ),
            ("[[rule.prior]]\nweight = 40\n", "has no `source`"),
        ] {
            let got = messages(&good_with(
                "yields_to = [\"other.rule\"]\n",
                &format!("yields_to = [\"other.rule\"]\n{text}"),
            ));
            assert!(got.iter().any(|m| m.contains(want)), "{text}: {got:?}");
        }
    }

    #[test]
    fn a_valid_rule_becomes_the_model() {
        let fr = parse(SourceKind::User, Path::new(F), GOOD).unwrap_or_else(|e| {
            panic!("{}", render_errors(Path::new(F), GOOD, &e, false));
        });
        let r = &fr.rules[0];
        assert_eq!(r.id, "bind-dest-symlink.var-run");
        assert_eq!(r.cause, Cause::BindDestSymlink);
        assert_eq!(r.patterns.len(), 2);
        assert_eq!(r.origin.line, 2);
        assert_eq!(r.origin.to_string(), "test.toml:2");
        assert_eq!(r.yields_to, ["other.rule"]);
        assert_eq!(r.confirm.len(), 2);
        assert_eq!(r.confirm[0].alias.as_deref(), Some("link"));
        assert!(matches!(r.confirm[0].test, Test::Exists(true)));
        assert_eq!(r.confirm[1].field.as_deref(), Some("step"));
        assert!(matches!(&r.confirm[1].test, Test::In(v) if v.len() == 2));
        assert_eq!(r.fixes.len(), 2);
        assert_eq!(r.fixes[0].scope, Scope::Narrow);
        assert_eq!(r.fixes[0].when[0].alias.as_deref(), Some("distro"));
        assert_eq!(r.fixes[1].scope, Scope::HostWide);
        assert_eq!(r.examples[0].name, "example 1");
        assert_eq!(r.examples[1].name, "not a symlink");
        assert_eq!(r.examples[0].argv.as_ref().unwrap().len(), 4);
        let f = &r.examples[0].facts;
        assert_eq!(
            f["experiment.userns"].value().unwrap()["errno"],
            serde_json::json!(13)
        );
        assert_eq!(f["os.pretty_name"], Obs::unavailable("not recorded"));
        assert_eq!(
            r.examples[1].facts["path.first_symlink:/opt/x"],
            Obs::Absent
        );
        assert_eq!(r.examples[1].expect, Expect::Refuted);
    }

    #[test]
    fn every_test_operator_reads_into_its_test() {
        type Check = fn(&Test) -> bool;
        let cases: &[(&str, Check)] = &[
            ("equals = 1", |t| matches!(t, Test::Equals(v) if v == 1)),
            (
                "not_equals = \"x\"",
                |t| matches!(t, Test::NotEquals(v) if v == "x"),
            ),
            ("in = [1, 2]", |t| matches!(t, Test::In(v) if v.len() == 2)),
            (
                "not_in = [\"a\"]",
                |t| matches!(t, Test::NotIn(v) if v.len() == 1),
            ),
            (
                "matches = '^5\\.'",
                |t| matches!(t, Test::Matches(r) if r.is_match("5.15")),
            ),
            ("exists = false", |t| matches!(t, Test::Exists(false))),
            (
                "contains = \"CAP_SYS_ADMIN\"",
                |t| matches!(t, Test::Contains(v) if v == "CAP_SYS_ADMIN"),
            ),
            ("empty = true", |t| matches!(t, Test::Empty(true))),
            ("greater_than = 0x10", |t| {
                matches!(t, Test::GreaterThan(16))
            }),
            ("less_than = -1", |t| matches!(t, Test::LessThan(-1))),
        ];
        for (line, ok) in cases {
            let text = format!(
                "{}[[rule.confirm]]\nfact = \"kernel.release\"\n{line}\n",
                crate::rules::minimal_rule("t", "['x']")
            );
            let fr = parse(SourceKind::User, Path::new(F), &text)
                .unwrap_or_else(|e| panic!("{line}: {:?}", e));
            assert!(ok(&fr.rules[0].confirm[0].test), "{line}");
        }
    }

    #[test]
    fn all_errors_of_a_file_are_collected_in_order() {
        let text = r#"
[[rule]]
id = "One"
cause = "nope"
summary = 3
patterns = ['(']
explanation = "{no.thing}"
colour = "red"

[[rule]]
id = "two"
cause = "other"
summary = "s"
patterns = []
explanation = "e"
[[rule.fix]]
title = "t"
scope = "host-wide"
"#;
        let errs = errors(text);
        let got: Vec<(usize, &str)> = errs.iter().map(|e| (e.line, e.message.as_str())).collect();
        assert_eq!(
            got,
            [
                (3, "`One` is not a valid rule id"),
                (4, "unknown cause `nope`"),
                (
                    5,
                    "`summary` in [[rule]] must be a string, found an integer"
                ),
                (6, "invalid regex in pattern: unclosed group"),
                (7, "unknown placeholder `{no.thing}`"),
                (8, "unknown key `colour` in [[rule]]"),
                (14, "`patterns` is empty"),
                (18, "a host-wide fix needs a `tradeoff`"),
            ]
        );
    }

    #[test]
    fn a_capture_in_a_fact_key_must_be_in_every_pattern() {
        let text = good_with(
            "'^Can.t mkdir (?P<dest>/\\S+)",
            "'^Can.t mkdir (?P<path>/\\S+)",
        );
        let errs = errors(&text);
        let e = errs
            .iter()
            .find(|e| e.message == "capture `dest` is not in every pattern")
            .unwrap_or_else(|| panic!("{errs:?}"));
        assert_eq!(&text[e.span.clone()], "{dest}");
        assert!(
            e.help
                .as_deref()
                .unwrap()
                .starts_with("pattern 2 has no group")
        );
    }

    #[test]
    fn a_fact_key_placeholder_must_be_a_capture() {
        let text = good_with(
            "path.first_symlink:{dest}",
            "path.first_symlink:{bwrap.path}",
        );
        assert!(messages(&text).contains(
            &"`{bwrap.path}` in a fact key is not a capture of the patterns".to_string()
        ));
    }

    #[test]
    fn unknown_placeholders_point_at_themselves_with_a_suggestion() {
        let text = good_with("({error})", "({eror})");
        let errs = errors(&text);
        assert_eq!(errs.len(), 1, "{errs:?}");
        assert_eq!(&text[errs[0].span.clone()], "{eror}");
        assert!(
            errs[0]
                .help
                .as_deref()
                .unwrap()
                .starts_with("did you mean {error}?")
        );
    }

    #[test]
    fn alias_fields_are_checked_against_the_catalogue() {
        let text = good_with("{link.target} ({error})", "{link.targte} ({error})");
        let errs = errors(&text);
        assert_eq!(
            errs[0].message,
            "`link` (the value of path.first_symlink:{dest}) has no field `targte`"
        );
        assert!(
            errs[0]
                .help
                .as_deref()
                .unwrap()
                .starts_with("did you mean `link.target`?")
        );
        let text = good_with("field = \"step\"", "field = \"stop\"");
        assert_eq!(messages(&text), ["`experiment.userns` has no field `stop`"]);
        let text = good_with(
            "fact = \"experiment.userns\"\nfield",
            "fact = \"kernel.release\"\nfield",
        );
        assert_eq!(
            messages(&text),
            ["`kernel.release` is not an object (its value: string), so it has no fields"]
        );
    }

    #[test]
    fn fix_when_aliases_are_usable_in_their_fix_only() {
        let text = good_with("Change the layout", "Change the layout on {distro}");
        assert_eq!(messages(&text), ["unknown placeholder `{distro}`"]);
        let text = good_with("{link.target} ({error})", "{link.target} ({distro})");
        assert_eq!(messages(&text), ["unknown placeholder `{distro}`"]);
    }

    #[test]
    fn aliases_may_not_clash() {
        let text = good_with("as = \"distro\"", "as = \"link\"");
        assert_eq!(
            messages(&text),
            [
                "unknown placeholder `{distro}`",
                "alias `link` is already defined in this rule"
            ]
        );
        let text = good_with("as = \"distro\"", "as = \"dest\"");
        assert!(messages(&text).contains(&"alias `dest` is already defined in this rule".into()));
        let text = good_with("as = \"distro\"", "as = \"chroot\"");
        assert!(messages(&text).contains(&"alias `chroot` has the name of a fact key".into()));
    }

    #[test]
    fn facts_with_an_argument_or_a_field_need_an_alias_in_texts() {
        let text = good_with("Change the layout", "{sysctl.kernel.x}");
        assert_eq!(
            messages(&text),
            ["fact `sysctl.kernel.x` takes an argument, so it cannot be a placeholder"]
        );
        let text = good_with("Change the layout", "{apparmor.covering_profile.file}");
        let e = &errors(&text)[0];
        assert!(
            e.help.as_deref().unwrap().contains("write {x.file}"),
            "{e:?}"
        );
    }

    #[test]
    fn regex_errors_point_inside_the_pattern_string() {
        let text = &crate::rules::minimal_rule("r", "['^ok$', \"^a\\\\d+(?P<x>[b-a])\"]");
        let errs = errors(text);
        assert_eq!(errs.len(), 1, "{errs:?}");
        assert_eq!(
            errs[0].message,
            "invalid regex in pattern: invalid character class range, the start must be <= the end"
        );
        assert_eq!(&text[errs[0].span.clone()], "b-a");
    }

    #[test]
    fn unknown_fact_keys_get_the_closest_key() {
        let text = good_with("fact = \"os.id\"", "fact = \"os.idd\"");
        let e = &errors(&text)[0];
        assert_eq!(e.message, "unknown fact `os.idd`");
        assert!(
            e.help
                .as_deref()
                .unwrap()
                .starts_with("did you mean `os.id`?")
        );
        let text = good_with("path.first_symlink:{dest}", "path.first_symlnk:{dest}");
        let e = &errors(&text)[0];
        assert!(
            e.help
                .as_deref()
                .unwrap()
                .starts_with("did you mean `path.first_symlink:{dest}`?"),
            "{e:?}"
        );
        let text = good_with("path.first_symlink:{dest}", "path.first_symlink:");
        let e = &errors(&text)[0];
        assert!(
            e.help
                .as_deref()
                .unwrap()
                .starts_with("`path.first_symlink:` takes an argument"),
            "{e:?}"
        );
        let text = good_with("path.first_symlink:{dest}", "path.first_symlink:var/run");
        assert_eq!(
            messages(&text),
            ["`path.first_symlink:` takes an absolute path, not `var/run`"]
        );
    }

    #[test]
    fn no_input_makes_the_checker_or_the_renderer_panic() {
        // Every 5th prefix of a valid file, and the same with multibyte
        // characters in places an error may point at.
        let wide = GOOD.replace("dest", "dé\u{1F600}t").replace('[', "[é");
        for text in [GOOD, wide.as_str()] {
            let mut cut = 0;
            while cut <= text.len() {
                if text.is_char_boundary(cut) {
                    let part = &text[..cut];
                    let c = lint_of(part, true);
                    render_errors(Path::new(F), part, &c.errors, true);
                    crate::rules::render::render(Path::new(F), part, &c.errors, &c.warnings, false);
                }
                cut += 5;
            }
        }
    }

    #[test]
    fn a_placeholder_cannot_stand_in_a_facts_name() {
        let text = good_with("fact = \"os.id\"", "fact = \"bwrap.file{dest}caps\"");
        assert_eq!(
            messages(&text),
            ["`bwrap.file{dest}caps`: a placeholder can only stand in a fact's argument"]
        );
    }

    #[test]
    fn a_condition_makes_exactly_one_test() {
        let text = good_with("exists = true\n", "");
        let e = &errors(&text)[0];
        assert_eq!(e.message, "[[rule.confirm]] has no test");
        assert_eq!(&text[e.span.clone()], "[[rule.confirm]]");
        let text = good_with(
            "exists = true\n",
            "exists = true\nequals = 1\nmatches = 'x'\n",
        );
        assert_eq!(
            messages(&text),
            [
                "[[rule.confirm]] has several tests: `equals` and `exists`",
                "[[rule.confirm]] has several tests: `equals` and `matches`",
            ]
        );
    }

    #[test]
    fn example_facts_are_catalogue_keys_with_well_formed_values() {
        let text = good_with("\"os.pretty_name\" = ", "\"os.prety_name\" = ");
        let e = &errors(&text)[0];
        assert_eq!(e.message, "unknown fact `os.prety_name` in example facts");
        assert_eq!(&text[e.span.clone()], "\"os.prety_name\"");
        let text = good_with("{ absent = true }", "{ absent = false }");
        assert_eq!(
            messages(&text),
            ["an absent fact is written exactly `{ absent = true }`"]
        );
        let text = good_with(
            "= { unavailable = \"not recorded\" }",
            "= { unavailable = 1 }",
        );
        assert_eq!(
            messages(&text),
            ["an unavailable fact is written exactly `{ unavailable = \"why\" }`"]
        );
    }

    #[test]
    fn disable_is_not_for_built_in_files() {
        let text = "[[disable]]\nid = \"x\"\n";
        assert!(parse(SourceKind::System, Path::new(F), text).is_ok());
        let e = parse(SourceKind::Builtin, Path::new("rules/x.toml"), text).unwrap_err();
        assert_eq!(e[0].message, "[[disable]] in a built-in rule file");
        let fr = parse(
            SourceKind::Env,
            Path::new(F),
            "[[disable]]\nid = \"x\"\nreason = \"r\"\n",
        )
        .unwrap();
        assert_eq!(fr.disables[0].0, "x");
        assert_eq!(fr.disables[0].1.line, 1);
    }

    #[test]
    fn a_duplicate_id_in_one_file_points_at_the_second() {
        let text = format!("{GOOD}\n{GOOD}");
        let errs = errors(&text);
        assert_eq!(errs.len(), 1, "{errs:?}");
        assert_eq!(
            errs[0].message,
            "duplicate rule id `bind-dest-symlink.var-run`"
        );
        assert!(errs[0].span.start > GOOD.len());
    }

    #[test]
    fn built_in_and_project_rules_need_a_positive_and_a_negative_example() {
        let text = good_with("expect = \"refuted\"", "expect = \"unconfirmed\"");
        assert!(parse(SourceKind::User, Path::new(F), &text).is_ok());
        let e = parse(SourceKind::Builtin, Path::new(F), &text).unwrap_err();
        assert_eq!(
            e[0].message,
            "rule `bind-dest-symlink.var-run` has no negative example (expect = \"refuted\" or \"no-match\")"
        );
        assert_eq!(&text[e[0].span.clone()], "\"bind-dest-symlink.var-run\"");
        let c = lint_of(&text, true);
        assert_eq!(c.errors.len(), 1);
        assert!(lint_of(GOOD, true).errors.is_empty());
    }

    #[test]
    fn lint_warns_about_a_pattern_no_example_exercises() {
        let text = good_with(
            "stderr = \"bwrap: Can't mkdir /opt/x: Permission denied\\n\"",
            "stderr = \"bwrap: Can't create file at /opt/x: Permission denied\\n\"",
        );
        let c = lint_of(&text, false);
        assert!(c.errors.is_empty(), "{:?}", c.errors);
        let w: Vec<_> = c.warnings.iter().map(|w| &text[w.span.clone()]).collect();
        assert_eq!(w, ["'^Can.t mkdir (?P<dest>/\\S+): (?P<error>.+)$'"]);
        assert!(
            lint_of(GOOD, false).warnings.is_empty(),
            "{:?}",
            lint_of(GOOD, false).warnings
        );
    }

    #[test]
    fn lint_rejects_an_example_its_patterns_cannot_reach() {
        let text = good_with("Can't mkdir /opt/x", "Can't rmdir /opt/x");
        let c = lint_of(&text, false);
        assert_eq!(
            c.errors[0].message,
            "not a symlink expects refuted, but its stderr matches none of the rule's patterns"
        );
        let text = good_with("expect = \"refuted\"", "expect = \"no-match\"");
        let c = lint_of(&text, false);
        assert!(
            c.errors[0]
                .message
                .starts_with("not a symlink expects no-match, but pattern 2 matches")
        );
    }

    #[test]
    fn lint_warns_when_fixes_are_not_narrowest_first() {
        let text = good_with("scope = \"narrow\"", "scope = \"local\"").replacen(
            "title = \"Change the layout\"\nscope = \"host-wide\"",
            "title = \"Change the layout\"\nscope = \"narrow\"",
            1,
        );
        let c = lint_of(&text, false);
        assert!(c.errors.is_empty(), "{:?}", c.errors);
        assert_eq!(
            c.warnings
                .iter()
                .map(|w| w.message.as_str())
                .collect::<Vec<_>>(),
            ["fix \"Change the layout\" is narrower than the fix before it"]
        );
    }

    #[test]
    fn a_toml_syntax_error_stops_the_file_with_its_place() {
        let text = "[[rule]]\nid = \"x\nx\"\n";
        let errs = errors(text);
        assert_eq!(errs.len(), 1);
        assert!(errs[0].message.starts_with("invalid TOML: "), "{errs:?}");
        assert_eq!(errs[0].line, 2);
    }
}
