//! Match → confirm → diagnosis.
//!
//! bwrap's messages are matched against every active rule's patterns; each
//! rule that matches is a candidate; its conditions are tested in order
//! against the facts (each probe runs at most once, and a refuting
//! condition stops the rule's remaining probes). A candidate is
//! *confirmed* when every condition holds, *refuted* when one does not,
//! *unconfirmed* when facts are missing or a condition that says
//! `refutes = false` does not hold. Nothing is called confirmed that
//! the probes did not confirm.

mod evaluate;
pub mod selftest;
pub(crate) mod template;
mod word_forms;

use crate::messages;
pub use crate::messages::{Message, bwrap_messages};

use crate::cause::Cause;
use crate::facts::{Obs, Observation};
use crate::probe::Facts;
use crate::rules::{Condition, Fix, Rule, RuleSet};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::time::Instant;
use template::Scope;

/// What the probes said of a candidate: every condition holds
/// (`confirmed`), one does not (`refuted`), facts were missing or a
/// condition that does not rule the cause out failed (`unconfirmed`: see
/// [`Check::refutes`]).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum Verdict {
    Confirmed,
    Unconfirmed,
    Refuted,
}

impl Verdict {
    /// The verdict's word in the reports and the JSON (`confirmed`,
    /// `unconfirmed`, `refuted`).
    pub fn label(self) -> &'static str {
        match self {
            Verdict::Confirmed => "confirmed",
            Verdict::Unconfirmed => "unconfirmed",
            Verdict::Refuted => "refuted",
        }
    }
}

/// One condition as checked.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[schemars(rename = "ConditionCheck")]
#[non_exhaustive]
pub struct Check {
    /// The fact key with captures filled in.
    pub fact: String,
    /// The field of the fact's value the condition reads, if any.
    pub field: Option<String>,
    /// What the condition asks, for people.
    pub wants: String,
    /// What the probe saw.
    pub observed: Obs,
    /// `None`: could not be decided (the fact is unavailable).
    pub holds: Option<bool>,
    /// The rule's words for what was seen, when it gives them.
    pub describe: Option<String>,
    /// Whether the condition's failing rules the cause out. `false` (the
    /// rule's `refutes = false`): needed to confirm, but failing it leaves
    /// the candidate unconfirmed, since another mechanism of the same
    /// message may hold as well. Absent from the JSON when `true`.
    #[serde(default = "yes", skip_serializing_if = "is_yes")]
    pub refutes: bool,
}

fn yes() -> bool {
    true
}

fn is_yes(b: &bool) -> bool {
    *b
}

/// A fix the rule gives, with the captures filled in.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[non_exhaustive]
pub struct RenderedFix {
    /// One line: what the fix does.
    pub title: String,
    /// How far it reaches: this call, this user, or the whole host.
    #[schemars(extend("enum" = ["narrow", "local", "host-wide"]))]
    pub scope: String,
    /// The commands to run, one a line, when there are any.
    pub commands: Option<String>,
    /// What the fix costs, when it costs something (host-wide fixes).
    pub tradeoff: Option<String>,
}

/// A rule whose pattern matched, and what the probes said about it.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[non_exhaustive]
pub struct Candidate {
    /// The rule's id.
    pub rule: String,
    /// What the rule says the failure is.
    pub cause: Cause,
    pub verdict: Verdict,
    /// Set when a more precise confirmed rule (listed in this rule's
    /// `yields_to`) says the same thing better.
    pub superseded_by: Option<String>,
    /// The bwrap message that matched.
    pub message: Message,
    /// The pattern's named captures.
    pub captures: BTreeMap<String, String>,
    /// One line, captures filled in.
    pub summary: String,
    /// Why, in a few sentences.
    pub explanation: String,
    /// The rule's conditions, in order, as checked.
    pub checks: Vec<Check>,
    /// What to do, narrowest first.
    pub fixes: Vec<RenderedFix>,
    /// A stage rule's step: the candidate names the step that failed, not
    /// a cause (it is never confirmed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stage: Option<String>,
    /// For a stage rule: the causes that can make the step fail so, with
    /// what the specific rules said of each here.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub causes: Vec<StageCause>,
    /// The rule's prior in this context (per cent), when it gives one: how
    /// unconfirmed candidates are ordered. It never confirms.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prior: Option<u8>,
    /// Where the rule is written: `file:line` (the file as shown to
    /// people: `rules/userns.toml` for a built-in rule, else its path).
    pub origin: String,
}

/// One cause a stage rule lists, and what became of it here.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[non_exhaustive]
pub struct StageCause {
    /// The cause the stage rule lists.
    pub cause: Cause,
    /// The verdict of the specific rule for this cause that matched the
    /// same message, if one did (refuted, when the stage rule is heard).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verdict: Option<Verdict>,
    /// That specific rule's id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule: Option<String>,
}

/// The whole answer for one failure.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[non_exhaustive]
pub struct Diagnosis {
    /// bwrap's messages found in stderr.
    pub messages: Vec<Message>,
    /// Every candidate: confirmed first, then unconfirmed, then refuted.
    pub candidates: Vec<Candidate>,
    /// Every probe that ran, with what it saw.
    pub observations: Vec<Observation>,
    /// Facts came from this host, now (not a snapshot).
    pub live: bool,
    /// Matched only ignoring case and a final period (or a word's ending):
    /// pasted words that differ from bwrap's own (see [`diagnose_pasted`]).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub retyped: bool,
    /// How long the diagnosis took, in milliseconds.
    pub duration_ms: f64,
}

impl Diagnosis {
    /// The confirmed candidates that no more precise confirmed rule
    /// supersedes, most useful first: the causes to act on.
    pub fn confirmed(&self) -> impl Iterator<Item = &Candidate> {
        self.candidates
            .iter()
            .filter(|c| c.verdict == Verdict::Confirmed && c.superseded_by.is_none())
    }

    /// At least one cause is confirmed ([`Diagnosis::confirmed`] is not
    /// empty).
    pub fn has_confirmed(&self) -> bool {
        self.confirmed().next().is_some()
    }
}

/// What the condition asks, in words.
fn wants(c: &Condition) -> String {
    use crate::rules::Test::*;
    let v = |x: &serde_json::Value| template::value_text(x);
    let list = |xs: &[serde_json::Value]| xs.iter().map(v).collect::<Vec<_>>().join(" or ");
    match &c.test {
        Equals(x) => format!("= {}", v(x)),
        NotEquals(x) => format!("≠ {}", v(x)),
        In(xs) => format!("one of {}", list(xs)),
        NotIn(xs) => format!("none of {}", list(xs)),
        Matches(re) => format!("matches /{}/", re.as_str()),
        Exists(true) => "present".into(),
        Exists(false) => "absent".into(),
        Contains(x) => format!("contains {}", v(x)),
        NotContains(x) => format!("does not contain {}", v(x)),
        NotContainsAll(xs) => format!(
            "lacks at least one of {}",
            xs.iter().map(v).collect::<Vec<_>>().join(", ")
        ),
        Empty(true) => "empty".into(),
        Empty(false) => "not empty".into(),
        GreaterThan(n) => format!("> {n}"),
        LessThan(n) => format!("< {n}"),
    }
}

/// Test a rule's conditions in order; stop at the first that refutes.
fn evaluate(
    rule: &Rule,
    captures: &BTreeMap<String, String>,
    facts: &Facts,
) -> (Verdict, Vec<Check>, BTreeMap<String, Obs>) {
    let mut checks = Vec::new();
    let mut aliases = BTreeMap::new();
    let mut unknown = false;
    for c in &rule.confirm {
        let key = Scope::captures_only(captures, &c.fact);
        let observed = facts.get(&key);
        let holds = evaluate::holds(&c.test, &observed, c.field.as_deref());
        if let Some(a) = &c.alias {
            aliases.insert(a.clone(), observed.clone());
        }
        checks.push(Check {
            fact: key,
            field: c.field.clone(),
            wants: wants(c),
            observed,
            holds,
            describe: c.describe.clone(),
            refutes: c.refutes,
        });
        match holds {
            // A stage rule's conditions are evidence: every one is shown.
            Some(false) if rule.stage.is_none() && c.refutes => {
                return (Verdict::Refuted, checks, aliases);
            }
            // `refutes = false`: needed to confirm, but another mechanism
            // of the same message may hold too, so the cause stays open.
            Some(false) if rule.stage.is_none() => unknown = true,
            Some(false) => {}
            None => unknown = true,
            Some(true) => {}
        }
    }
    let verdict = if unknown {
        Verdict::Unconfirmed
    } else {
        Verdict::Confirmed
    };
    (verdict, checks, aliases)
}

/// Whether a fix is offered here, and the aliases of its `when`
/// conditions (usable in that fix's texts). A fix whose condition cannot
/// be decided is still offered.
fn fix_applies(
    fix: &Fix,
    captures: &BTreeMap<String, String>,
    facts: &Facts,
) -> Option<BTreeMap<String, Obs>> {
    let mut aliases = BTreeMap::new();
    for c in &fix.when {
        let key = Scope::captures_only(captures, &c.fact);
        let observed = facts.get(&key);
        if evaluate::holds(&c.test, &observed, c.field.as_deref()) == Some(false) {
            return None;
        }
        if let Some(a) = &c.alias {
            aliases.insert(a.clone(), observed);
        }
    }
    Some(aliases)
}

/// The first pattern of `rule` that matches `text`, with its named groups.
pub fn match_rule(rule: &Rule, text: &str) -> Option<BTreeMap<String, String>> {
    if rule.except.iter().any(|re| re.is_match(text)) {
        return None;
    }
    rule.patterns.iter().find_map(|re| {
        let caps = re.captures(text)?;
        Some(
            re.capture_names()
                .flatten()
                .filter_map(|n| Some((n.to_string(), caps.name(n)?.as_str().to_string())))
                .collect(),
        )
    })
}

/// The latest of `messages` that `rule` matches (the one it explains),
/// with its captures.
pub fn latest_match(
    rule: &Rule,
    messages: &[Message],
) -> Option<(Message, BTreeMap<String, String>)> {
    messages
        .iter()
        .rev()
        .find_map(|m| match_rule(rule, &m.text).map(|c| (m.clone(), c)))
}

/// Diagnose bwrap's stderr with `rules` against `facts`.
pub fn diagnose(rules: &RuleSet, facts: &Facts, stderr: &[u8]) -> Diagnosis {
    diagnose_messages(rules, facts, bwrap_messages(stderr))
}

/// Diagnose text a person pasted (`explain`): also bwrap's words without
/// the `bwrap: ` prefix (see `messages::pasted_messages`). When no rule
/// matches the text as written, four repairs are tried in turn: a message
/// wrapped onto the following lines is joined back
/// (`messages::unwrapped_messages`), a message and its errno that a
/// launcher logged as two lines behind its prefix are joined back
/// (`messages::rejoined_writes`), then the rules are matched ignoring
/// case and a final period, with the colon before an errno's text put back
/// where it went missing, for words retyped by hand (the diagnosis then
/// says `retyped`), and last with each word allowed its other endings
/// (`Create` for `Creating`; see `word_forms`).
pub fn diagnose_pasted(rules: &RuleSet, facts: &Facts, stderr: &[u8]) -> Diagnosis {
    let as_written = messages::pasted_messages(stderr);
    // An errno bwrap cannot have printed so (other letter case, a period
    // after it) is read as bwrap prints it first: a broad rule that matches
    // the words as written without looking at the errno (gVisor's) must
    // not keep the rules of that errno from them.
    let canonical: Vec<Message> = as_written
        .iter()
        .map(messages::with_canonical_errno)
        .collect();
    if canonical != as_written && any_match(rules, &canonical) {
        let mut d = diagnose_messages(rules, facts, canonical);
        d.retyped = true;
        return d;
    }
    let joined = messages::unwrapped_messages(stderr);
    let rejoined = messages::rejoined_writes(stderr);
    let written = matching(rules, &as_written);
    if !written.is_empty() {
        // The same holds for a message wrapped onto the next line or split
        // from its errno: the words as written (`setting up uid map:
        // Permission`) may match a rule that does not look at the errno.
        // A repaired reading that every rule matching the words as written
        // also matches, and more rules besides, is the better reading.
        for reading in [joined, rejoined] {
            let more = matching(rules, &reading);
            if more.len() > written.len() && written.is_subset(&more) {
                return diagnose_messages(rules, facts, reading);
            }
        }
        return diagnose_messages(rules, facts, as_written);
    }
    if any_match(rules, &joined) {
        return diagnose_messages(rules, facts, joined);
    }
    if any_match(rules, &rejoined) {
        return diagnose_messages(rules, facts, rejoined);
    }
    let loose = ignoring_case(rules, false);
    let retyped: Vec<Message> = as_written
        .iter()
        .map(messages::without_final_period)
        .map(|m| messages::with_canonical_errno(&m))
        .map(|m| messages::with_errno_separator(&m))
        .collect();
    if any_match(&loose, &retyped) {
        let mut d = or_step_rules(&loose, || ignoring_case(rules, true), facts, retyped);
        d.retyped = true;
        return d;
    }
    // Last, the words in another form (`Create new namespace failed` for
    // `Creating …`): see `word_forms`. Words that are only like bwrap's may
    // be another program's (`execvpe …`), and a rule's conditions may hold
    // by default where nothing is known of the call: what matches only so
    // is named, never confirmed.
    let forms = in_word_forms(rules, false);
    if any_match(&forms, &retyped) {
        let mut d = or_step_rules(&forms, || in_word_forms(rules, true), facts, retyped);
        // Only a confirmed rule yields to another: with none confirmed,
        // none yields.
        for c in &mut d.candidates {
            if c.verdict == Verdict::Confirmed {
                c.verdict = Verdict::Unconfirmed;
            }
            c.superseded_by = None;
        }
        d.candidates.sort_by_key(rank);
        d.retyped = true;
        return d;
    }
    diagnose_messages(rules, facts, as_written)
}

/// `loose`'s diagnosis of `messages`; where it rules out every candidate,
/// the diagnosis with the stage rules read as loosely too (`with_stages`),
/// so that the step's rule is heard, never silence. Only then: compiling
/// every step's formats loosely costs more than all the rest.
fn or_step_rules(
    loose: &RuleSet,
    with_stages: impl FnOnce() -> RuleSet,
    facts: &Facts,
    messages: Vec<Message>,
) -> Diagnosis {
    let d = diagnose_messages(loose, facts, messages.clone());
    if d.candidates.iter().all(|c| c.verdict == Verdict::Refuted) {
        return diagnose_messages(&with_stages(), facts, messages);
    }
    d
}

/// The ids of the specific rules (not stage rules) that match one of
/// `messages`.
fn matching<'r>(rules: &'r RuleSet, messages: &[Message]) -> std::collections::BTreeSet<&'r str> {
    rules
        .active()
        .filter(|r| r.stage.is_none())
        .filter(|r| messages.iter().any(|m| match_rule(r, &m.text).is_some()))
        .map(|r| r.id.as_str())
        .collect()
}

/// Whether a specific rule (not a stage rule, which owns every message of
/// its step) matches one of `messages`: the repairs of pasted text are
/// tried until one does.
fn any_match(rules: &RuleSet, messages: &[Message]) -> bool {
    rules
        .active()
        .filter(|r| r.stage.is_none())
        .any(|r| messages.iter().any(|m| match_rule(r, &m.text).is_some()))
}

/// The same rules with every specific pattern (and, with `stages`, every
/// stage rule's) ignoring case. A pattern that does not compile so (none
/// should: it compiled as written) is left as it is. Priors keep their
/// messages as written (read so, a prior for one wording moved a retyped
/// EINVAL of development case 082 to WSL 1's prior).
fn ignoring_case(rules: &RuleSet, stages: bool) -> RuleSet {
    // Stage rules keep their patterns unless asked: the loose set is used
    // only when a specific rule matches loosely, and recompiling every
    // step's formats would cost more than all the rest.
    loosened(rules, stages, false, &|re| {
        crate::rules::pattern(re.as_str(), true).ok()
    })
}

/// The same rules ignoring case, with their words' endings and spaces
/// loosened (`word_forms`); with `stages`, the stage rules' too. A prior
/// given for a message is given for it retyped.
fn in_word_forms(rules: &RuleSet, stages: bool) -> RuleSet {
    loosened(rules, stages, true, &|re| {
        // A loosened pattern over the size limit (a stage rule's
        // alternation of its step's messages may be) is read ignoring
        // case only.
        word_forms::loosened(re.as_str())
            .and_then(|t| crate::rules::pattern(&t, true).ok())
            .or_else(|| crate::rules::pattern(re.as_str(), true).ok())
    })
}

/// A copy of `rules` whose patterns and exceptions (a message a more
/// specific rule owns, retyped, is still that rule's) — of the stage rules
/// too with `stages`, and the priors' messages with `priors` — are read
/// through `loosen`; a pattern it returns nothing for stays as written.
fn loosened(
    rules: &RuleSet,
    stages: bool,
    priors: bool,
    loosen: &dyn Fn(&regex::Regex) -> Option<regex::Regex>,
) -> RuleSet {
    let each = |res: &mut [regex::Regex]| {
        for re in res.iter_mut() {
            if let Some(r) = loosen(re) {
                *re = r;
            }
        }
    };
    let mut loose = RuleSet {
        all: rules.all.clone(),
        problems: Vec::new(),
    };
    for l in loose
        .all
        .iter_mut()
        .filter(|l| stages || l.rule.stage.is_none())
    {
        each(&mut l.rule.patterns);
        each(&mut l.rule.except);
        if priors {
            for m in l.rule.priors.iter_mut().filter_map(|p| p.message.as_mut()) {
                each(std::slice::from_mut(m));
            }
        }
    }
    loose
}

fn diagnose_messages(rules: &RuleSet, facts: &Facts, messages: Vec<Message>) -> Diagnosis {
    let start = Instant::now();
    let mut candidates = Vec::new();
    for rule in rules.active().filter(|r| r.stage.is_none()) {
        let Some((message, captures)) = latest_match(rule, &messages) else {
            continue;
        };
        candidates.push(candidate(rule, message, captures, facts));
    }
    fall_back_to_stages(rules, facts, &mut candidates, &messages);
    // A confirmed rule yields to a confirmed, more precise one.
    let confirmed: Vec<String> = candidates
        .iter()
        .filter(|c| c.verdict == Verdict::Confirmed)
        .map(|c| c.rule.clone())
        .collect();
    for c in &mut candidates {
        if c.verdict != Verdict::Confirmed {
            continue;
        }
        if let Some(rule) = rules.get(&c.rule) {
            c.superseded_by = rule
                .yields_to
                .iter()
                .find(|y| confirmed.contains(y))
                .cloned();
        }
    }
    // Confirmed first, and among them in the order bwrap meets them; among
    // the unconfirmed, by prior, then by the conditions seen to hold.
    candidates.sort_by_key(rank);
    Diagnosis {
        messages,
        candidates,
        observations: facts.observations(),
        live: facts.is_live(),
        retyped: false,
        duration_ms: start.elapsed().as_secs_f64() * 1000.0,
    }
}

/// The prior of a rule that gives none for this message and context: no
/// evidence either way (rules/README.md, Stage rules and priors).
pub const DEFAULT_PRIOR: u8 = 10;

/// Where a candidate stands: confirmed first; a candidate that yields to
/// a confirmed one after those; stage rules after every specific rule.
/// Among the unconfirmed, the higher prior first (a rule without one counts
/// as [`DEFAULT_PRIOR`]), then the one with more of its conditions seen to
/// hold, then the order bwrap meets the causes.
///
/// Conditions seen to hold are counted, not taken as a share: a condition
/// that could not be observed is no evidence either way, so a rule with few
/// conditions must not go ahead of one with more evidence seen for it only
/// because fewer of its conditions were left undecided (rules/README.md,
/// Stage rules and priors).
fn rank(
    c: &Candidate,
) -> (
    Verdict,
    bool,
    bool,
    std::cmp::Reverse<u8>,
    std::cmp::Reverse<usize>,
    u8,
) {
    let unconfirmed = c.verdict == Verdict::Unconfirmed;
    let held = if unconfirmed {
        c.checks.iter().filter(|k| k.holds == Some(true)).count()
    } else {
        0
    };
    (
        c.verdict,
        c.superseded_by.is_some(),
        c.stage.is_some(),
        std::cmp::Reverse(if unconfirmed {
            c.prior.unwrap_or(DEFAULT_PRIOR)
        } else {
            0
        }),
        std::cmp::Reverse(held),
        c.cause.stage(),
    )
}

/// Causes that exist only inside what `container.kind` names (a
/// container's profile, an outer sandbox's limit, WSL 1, gVisor, a chroot):
/// impossible where `container.kind` is seen to be `none`.
const INSIDE_ONLY: &[Cause] = &[
    Cause::ContainerLsmProfile,
    Cause::NestedUsernsLimit,
    Cause::Wsl1,
    Cause::Gvisor,
    Cause::Chroot,
];

/// Stage rules are heard only when no specific rule stands: when every
/// specific candidate is refuted, or none matched. Then the stage rules of
/// the failing message (the last one a stage rule matches, not a warning)
/// are evaluated (their probes run only then), each with what became of its
/// causes.
fn fall_back_to_stages(
    rules: &RuleSet,
    facts: &Facts,
    candidates: &mut Vec<Candidate>,
    messages: &[Message],
) {
    if candidates.iter().any(|c| c.verdict != Verdict::Refuted) {
        return;
    }
    let stages: Vec<&Rule> = rules.active().filter(|r| r.stage.is_some()).collect();
    // The last message of a step, not a warning; a setuid bwrap's "partner
    // gone" line only when no other message names a step.
    let failing_of = |partner_gone_too: bool| {
        messages.iter().rev().find(|m| {
            !messages::is_warning(&m.text)
                && (partner_gone_too || !messages::is_partner_gone(&m.text))
                && stages.iter().any(|r| match_rule(r, &m.text).is_some())
        })
    };
    let Some(failing) = failing_of(false).or_else(|| failing_of(true)) else {
        return;
    };
    let mut heard = Vec::new();
    for rule in stages {
        let Some(captures) = match_rule(rule, &failing.text) else {
            continue;
        };
        let mut c = candidate(rule, failing.clone(), captures, facts);
        for sc in &mut c.causes {
            if let Some(s) = candidates
                .iter()
                .find(|s| s.cause == sc.cause && s.message == *failing)
            {
                sc.verdict = Some(s.verdict);
                sc.rule = Some(s.rule.clone());
            }
        }
        // The step's causes most likely first, as listed, except that a
        // cause its specific rule ruled out here goes after every cause
        // still possible, and a cause that needs a container or another
        // sandbox goes after the others on a host seen to run in none: the
        // first is the one the step names.
        //
        // And the reverse of a container cause on a host without one: where
        // the caller is seen confined by an AppArmor profile in enforce (or
        // kill) mode outside any container (a snap's, an application's),
        // which bwrap, not seen to have a profile of its own, inherits, that
        // profile's refusal (apparmor-profile-denial) goes before the step's
        // other causes.
        // Ordering only: nothing says the profile is what answered.
        let no_container = facts.get("container.kind") == Obs::seen("none");
        let confined = no_container
            && matches!(facts.get("apparmor.label"),
                Obs::Seen(serde_json::Value::String(l))
                    if l.ends_with("(enforce)") || l.ends_with("(kill)"))
            && !matches!(facts.get("apparmor.confining_profile"), Obs::Seen(_));
        c.causes.sort_by_key(|sc| {
            (
                sc.verdict == Some(Verdict::Refuted),
                !(confined && sc.cause == Cause::AppArmorProfileDenial),
                no_container && INSIDE_ONLY.contains(&sc.cause),
            )
        });
        heard.push(c);
    }
    candidates.extend(heard);
}

/// The weight of the first of `rule`'s priors whose conditions all hold
/// here (a condition that cannot be decided does not hold).
fn prior(
    rule: &Rule,
    message: &str,
    captures: &BTreeMap<String, String>,
    facts: &Facts,
) -> Option<u8> {
    rule.priors
        .iter()
        .filter(|p| p.message.as_ref().is_none_or(|re| re.is_match(message)))
        .find(|p| {
            p.when.iter().all(|c| {
                let observed = facts.get(&Scope::captures_only(captures, &c.fact));
                evaluate::holds(&c.test, &observed, c.field.as_deref()) == Some(true)
            })
        })
        .map(|p| p.weight)
}

/// The summary of `rule` when the values `missing` names were not seen:
/// the cause's meaning, and what could not be read (a condition's own
/// words where the name is its alias, else the fact's key).
fn unread_summary(rule: &Rule, missing: &[String], captures: &BTreeMap<String, String>) -> String {
    let mut what: Vec<String> = Vec::new();
    for name in missing {
        let head = name.split_once('.').map_or(name.as_str(), |(h, _)| h);
        let text = match rule
            .confirm
            .iter()
            .find(|c| c.alias.as_deref() == Some(head))
        {
            Some(c) => c
                .describe
                .clone()
                .unwrap_or_else(|| Scope::captures_only(captures, &c.fact)),
            None => name.clone(),
        };
        if !what.contains(&text) {
            what.push(text);
        }
    }
    let meaning = crate::cause::neutral_meaning(rule.cause);
    format!(
        "{} (could not read: {}).",
        meaning.trim_end_matches('.'),
        what.join("; ")
    )
}

/// Evaluate one matched rule and render its texts.
pub fn candidate(
    rule: &Rule,
    message: Message,
    captures: BTreeMap<String, String>,
    facts: &Facts,
) -> Candidate {
    let (mut verdict, checks, aliases) = evaluate(rule, &captures, facts);
    if rule.stage.is_some() {
        // A stage rule names the step, not a cause: never confirmed, and
        // its conditions are evidence to show (the live experiments that
        // bear on the step), not a verdict.
        verdict = Verdict::Unconfirmed;
    }
    let prior = prior(rule, &message.text, &captures, facts);
    let scope = Scope {
        captures: &captures,
        aliases: &aliases,
        facts,
    };
    let fixes = if verdict == Verdict::Refuted {
        Vec::new()
    } else {
        let mut fixes: Vec<(&Fix, BTreeMap<String, Obs>)> = rule
            .fixes
            .iter()
            .filter_map(|f| fix_applies(f, &captures, facts).map(|a| (f, a)))
            .collect();
        fixes.sort_by_key(|(f, _)| f.scope);
        // A fix whose title needs a value that was not seen is left out;
        // its commands or trade-off, likewise, without the fix.
        fixes
            .into_iter()
            .filter_map(|(f, own)| {
                let mut all = aliases.clone();
                all.extend(own);
                let scope = Scope {
                    captures: &captures,
                    aliases: &all,
                    facts,
                };
                Some(RenderedFix {
                    title: scope.render_whole(&f.title).ok()?,
                    scope: f.scope.label().to_string(),
                    commands: f
                        .commands
                        .as_deref()
                        .and_then(|t| scope.render_whole(t).ok()),
                    tradeoff: f
                        .tradeoff
                        .as_deref()
                        .and_then(|t| scope.render_whole(t).ok()),
                })
            })
            .collect()
    };
    // A sentence never carries a placeholder or a fact's state ("absent",
    // "unavailable (…)"): where the summary needs a value that was not
    // seen, the cause's meaning and, once, what could not be read; an
    // explanation that needs one is left out.
    let summary = scope
        .render_whole(&rule.summary)
        .unwrap_or_else(|missing| unread_summary(rule, &missing, &captures));
    let explanation = scope.render_whole(&rule.explanation).unwrap_or_default();
    Candidate {
        rule: rule.id.clone(),
        cause: rule.cause,
        verdict,
        superseded_by: None,
        summary,
        explanation,
        checks,
        fixes,
        message,
        captures,
        stage: rule.stage.clone(),
        causes: rule
            .causes
            .iter()
            .map(|&cause| StageCause {
                cause,
                verdict: None,
                rule: None,
            })
            .collect(),
        prior,
        origin: rule.origin.to_string(),
    }
}

/// Rules for the tests here and in the reports.
#[cfg(test)]
pub(crate) mod fixtures {
    use super::Diagnosis;
    use crate::facts::Obs;
    use crate::probe::{Context, Facts};
    use crate::rules::{RuleSet, SourceKind, parse};

    /// A rule whose `refutes = false` condition (`caller.seccomp` ≠ 2)
    /// comes before an ordinary one (`os.id` = x).
    const SOFT_CONDITION: &str = r#"
[[rule]]
id = "t.soft"
cause = "wsl1"
summary = "s"
patterns = ['^boom: ']
explanation = "e"
[[rule.confirm]]
fact = "caller.seccomp"
not_equals = 2
refutes = false
[[rule.confirm]]
fact = "os.id"
equals = "x"
"#;

    /// Recorded facts: each key with a value seen, the others not recorded.
    pub(crate) fn seen_facts(pairs: &[(&str, Option<&str>)]) -> Facts<'static> {
        Facts::recorded(
            pairs
                .iter()
                .filter_map(|(k, v)| v.map(|v| ((*k).to_string(), Obs::seen(v))))
                .collect(),
            Context::default(),
        )
    }

    /// The rules of a test's TOML text, all active.
    pub(crate) fn rule_set(toml: &str) -> RuleSet {
        RuleSet::all_active(
            parse(SourceKind::User, std::path::Path::new("t.toml"), toml)
                .unwrap()
                .rules,
        )
    }

    /// [`SOFT_CONDITION`] on `bwrap: boom: x`, with `caller.seccomp` and
    /// `os.id` seen as given.
    pub(crate) fn diagnose_soft_condition(seccomp: i64, os: &str) -> Diagnosis {
        let rules = rule_set(SOFT_CONDITION);
        let facts = Facts::recorded(
            [
                ("caller.seccomp".to_string(), Obs::Seen(seccomp.into())),
                ("os.id".to_string(), Obs::seen(os)),
            ]
            .into(),
            Context::default(),
        );
        super::diagnose(&rules, &facts, b"bwrap: boom: x\n")
    }
}

#[cfg(test)]
mod tests {
    use super::fixtures::{rule_set, seen_facts};
    use super::*;
    use crate::probe::Context;
    use crate::rules::{SourceKind, parse};
    use std::path::Path;

    const RULE: &str = r#"
[[rule]]
id = "t.when"
cause = "other"
summary = "s"
patterns = ['^boom: (?P<dest>/.+)$']
explanation = "e"

[[rule.fix]]
title = "on {distro}: fix {dest}"
scope = "narrow"
[[rule.fix.when]]
fact = "os.id"
in = ["debian", "ubuntu"]
as = "distro"

[[rule.fix]]
title = "only on Fedora"
scope = "local"
[[rule.fix.when]]
fact = "os.id"
equals = "fedora"
"#;

    #[test]
    fn a_fix_is_offered_only_where_its_conditions_hold_and_its_aliases_are_filled() {
        let rules = parse(SourceKind::User, Path::new("t.toml"), RULE).unwrap();
        let rule = &rules.rules[0];
        let facts = Facts::recorded(
            [("os.id".to_string(), Obs::seen("debian"))].into(),
            Context::default(),
        );
        let captures = match_rule(rule, "boom: /x").unwrap();
        let msg = Message {
            line: "bwrap: boom: /x".into(),
            text: "boom: /x".into(),
        };
        let c = candidate(rule, msg.clone(), captures.clone(), &facts);
        let titles: Vec<&str> = c.fixes.iter().map(|f| f.title.as_str()).collect();
        assert_eq!(titles, ["on debian: fix /x"]);
        // Not recorded: the fix is still offered (it cannot be ruled out),
        // unless its title needs the value not seen ({distro}).
        let unknown = Facts::recorded(BTreeMap::new(), Context::default());
        let c = candidate(rule, msg, captures, &unknown);
        let titles: Vec<&str> = c.fixes.iter().map(|f| f.title.as_str()).collect();
        assert_eq!(titles, ["only on Fedora"]);
    }

    const EXEC: &str = r#"
[[rule]]
id = "t.exec"
cause = "command-not-found-in-sandbox"
summary = "s"
patterns = ['^execvp (?P<prog>.+): No such file or directory$']
explanation = "e"

[[rule]]
id = "t.ns"
cause = "kernel-feature-missing"
summary = "s"
patterns = ['^Creating new namespace failed: Invalid argument$']
explanation = "e"

[[rule]]
id = "t.broad"
cause = "gvisor"
summary = "s"
patterns = ['^setting up uid map']
explanation = "e"

[[rule]]
id = "t.map"
cause = "apparmor-userns-restrict"
summary = "s"
patterns = ['^setting up uid map: Permission denied$']
explanation = "e"
"#;

    fn pasted(text: &str) -> Diagnosis {
        let rules = rule_set(EXEC);
        let facts = Facts::recorded(BTreeMap::new(), Context::default());
        diagnose_pasted(&rules, &facts, text.as_bytes())
    }

    fn named(d: &Diagnosis) -> Vec<(&str, Option<&str>)> {
        d.candidates
            .iter()
            .map(|c| (c.rule.as_str(), c.message.text.split(' ').nth(1)))
            .collect()
    }

    #[test]
    fn a_pasted_message_wrapped_mid_word_or_at_a_space_is_joined_back() {
        // openai/codex#20906: the path was cut at its width, mid-word.
        let d = pasted(
            "  bwrap: execvp /opt/codex/codex-\n  linux-x64/bin/codex: No such file or directory\n",
        );
        assert_eq!(
            named(&d),
            [("t.exec", Some("/opt/codex/codex-linux-x64/bin/codex:"))]
        );
        assert!(!d.retyped);
        let d = pasted("bwrap: execvp /opt/my\napp: No such file or directory\n");
        assert_eq!(named(&d)[0].0, "t.exec");
        assert_eq!(d.candidates[0].captures["prog"], "/opt/myapp");
        // At a space: the reading with the space matches where only it can.
        let d = pasted("bwrap: execvp /opt/x:\nNo such file or directory\n");
        assert_eq!(named(&d)[0].0, "t.exec");
    }

    #[test]
    fn a_message_that_matches_as_written_is_not_joined_with_the_next_line() {
        let d = pasted("bwrap: execvp /bin/x: No such file or directory\nerror: ldconfig failed\n");
        assert_eq!(d.candidates.len(), 1);
        assert_eq!(
            d.candidates[0].message.text,
            "execvp /bin/x: No such file or directory"
        );
    }

    #[test]
    fn retyped_words_match_ignoring_case_and_a_final_period_and_say_so() {
        // containers/bubblewrap#644, as the thread typed it.
        let d = pasted("bwrap: creating new namespace failed: invalid argument.\n");
        assert_eq!(named(&d)[0].0, "t.ns");
        assert!(d.retyped);
        let d = pasted("bwrap: Creating new namespace failed: Invalid argument\n");
        assert!(!d.retyped, "bwrap's own words are matched as written");
        assert!(
            pasted("bwrap: something else entirely.\n")
                .candidates
                .is_empty()
        );
    }

    #[test]
    fn retyped_words_whose_specific_rules_are_all_ruled_out_fall_back_to_their_step() {
        // containers/bubblewrap#644 on a host that rules out the specific
        // rule: the step's rule is heard (issue 13 point 2), not silence,
        // although its pattern is written in bwrap's letter case.
        const RULES: &str = r#"
[[rule]]
id = "t.ns"
cause = "kernel-feature-missing"
summary = "s"
patterns = ['^Creating new namespace failed: Invalid argument$']
explanation = "e"
[[rule.confirm]]
fact = "kernel.version"
equals = "v"

[[rule]]
id = "t.step"
cause = "other"
stage = "userns"
causes = ["kernel-feature-missing", "wsl1"]
summary = "s"
patterns = ['^Creating new namespace failed: (?P<error>Invalid argument)$']
explanation = "e"
"#;
        let rules = rule_set(RULES);
        let facts = Facts::recorded(
            [("kernel.version".to_string(), Obs::seen("w"))].into(),
            Context::default(),
        );
        let d = diagnose_pasted(
            &rules,
            &facts,
            b"bwrap: creating new namespace failed: invalid argument.\n",
        );
        assert!(d.retyped);
        let order: Vec<(&str, Verdict)> = d
            .candidates
            .iter()
            .map(|c| (c.rule.as_str(), c.verdict))
            .collect();
        assert_eq!(
            order,
            [("t.step", Verdict::Unconfirmed), ("t.ns", Verdict::Refuted)]
        );
        // Where the specific rule stands, the step's rule is not heard.
        let facts = Facts::recorded(
            [("kernel.version".to_string(), Obs::seen("v"))].into(),
            Context::default(),
        );
        let d = diagnose_pasted(
            &rules,
            &facts,
            b"bwrap: creating new namespace failed: invalid argument.\n",
        );
        let order: Vec<&str> = d.candidates.iter().map(|c| c.rule.as_str()).collect();
        assert_eq!(order, ["t.ns"]);
    }

    #[test]
    fn words_retyped_in_another_form_match_last_and_are_named_never_confirmed() {
        // ansible/awx#11016, as the thread typed it: `Create` for bwrap's
        // `Creating`, `Space` for `space`.
        const RULES: &str = r#"
[[rule]]
id = "t.max"
cause = "userns-max-zero"
summary = "s"
patterns = ['^Creating new namespace failed: (?P<error>No space left on device)$']
explanation = "e"
[[rule.confirm]]
fact = "kernel.version"
equals = "v"
[[rule.prior]]
weight = 50
message = '^Creating new namespace failed: No space'
source = "s"

[[rule]]
id = "t.words"
cause = "wsl1"
summary = "s"
patterns = ['^Creating new namespace failed: Invalid argument$']
explanation = "e"
"#;
        let rules = rule_set(RULES);
        let seen = |v: &str| {
            Facts::recorded(
                [("kernel.version".to_string(), Obs::seen(v))].into(),
                Context::default(),
            )
        };
        let verdicts = |d: &Diagnosis| -> Vec<(String, Verdict)> {
            d.candidates
                .iter()
                .map(|c| (c.rule.clone(), c.verdict))
                .collect()
        };
        let text = b"bwrap: Create new namespace failed: No Space left on device\n";
        let d = diagnose_pasted(&rules, &seen("v"), text);
        assert!(d.retyped);
        // Its condition holds, but words only like bwrap's name the rule:
        // they do not confirm it.
        assert_eq!(verdicts(&d), [("t.max".to_string(), Verdict::Unconfirmed)]);
        let d = diagnose_pasted(&rules, &seen("w"), text);
        assert_eq!(verdicts(&d), [("t.max".to_string(), Verdict::Refuted)]);
        // The prior given for bwrap's words is given for them retyped.
        let d = diagnose_pasted(
            &rules,
            &Facts::recorded(BTreeMap::new(), Context::default()),
            text,
        );
        assert_eq!(d.candidates[0].verdict, Verdict::Unconfirmed);
        assert_eq!(d.candidates[0].prior, Some(50));
        // Nor is a rule its words alone confirm; bwrap's own words still
        // confirm it.
        let d = diagnose_pasted(
            &rules,
            &seen("v"),
            b"bwrap: Create new namespace failed: Invalid argument\n",
        );
        assert_eq!(
            verdicts(&d),
            [("t.words".to_string(), Verdict::Unconfirmed)]
        );
        let d = diagnose_pasted(
            &rules,
            &seen("v"),
            b"bwrap: Creating new namespace failed: Invalid argument\n",
        );
        assert!(!d.retyped);
        assert_eq!(verdicts(&d), [("t.words".to_string(), Verdict::Confirmed)]);
        // Other words are another message, in any form.
        assert!(
            diagnose_pasted(
                &rules,
                &seen("v"),
                b"bwrap: Create a namespace failed: Invalid argument\n"
            )
            .candidates
            .is_empty()
        );
    }

    #[test]
    fn an_errno_retyped_or_with_a_period_is_read_as_bwrap_prints_it_before_a_broad_rule() {
        // agentty#21 typed the errno in lower case; pressure-vessel quotes
        // bwrap's line with a period after it (Heroic#4102). A rule matching
        // the words before the errno as written must not hide the rules of
        // that errno.
        for text in [
            "bwrap: setting up uid map: permission denied\n",
            "pressure-vessel-wrap[1]: E: Child process exited with code 1: bwrap: setting up uid map: Permission denied.\n",
        ] {
            let d = pasted(text);
            let rules: Vec<&str> = named(&d).iter().map(|(r, _)| *r).collect();
            assert!(rules.contains(&"t.map"), "{text}: {rules:?}");
            assert!(d.retyped, "{text}");
        }
        let d = pasted("bwrap: setting up uid map: Permission denied\n");
        assert!(!d.retyped, "bwrap's own words are read as written");
    }

    #[test]
    fn a_callers_suffix_after_the_errno_does_not_hide_the_rules_of_that_errno() {
        // A launcher appends its own words to bwrap's line; the broad rule
        // (t.broad) matches it as written, the errno's rule (t.map) only
        // once the suffix is read off.
        for suffix in [
            " (exit status 1)",
            " (os error 13)",
            ", exit code: 1",
            "; exiting",
            " [1]",
        ] {
            let text = format!("bwrap: setting up uid map: Permission denied{suffix}\n");
            let d = pasted(&text);
            let rules: Vec<&str> = named(&d).iter().map(|(r, _)| *r).collect();
            assert!(rules.contains(&"t.map"), "{text}: {rules:?}");
            assert_eq!(
                d.candidates[0].message.text,
                "setting up uid map: Permission denied"
            );
            assert!(d.retyped, "{text}");
        }
    }

    #[test]
    fn a_wrapped_message_is_joined_back_when_a_broad_rule_matches_its_first_line() {
        // `^setting up uid map` (t.broad) matches the first line as written;
        // joined, the errno's rule matches too, and t.broad still does.
        let d = pasted("bwrap: setting up uid map: Permission\ndenied\n");
        let rules: Vec<&str> = named(&d).iter().map(|(r, _)| *r).collect();
        assert!(rules.contains(&"t.map"), "{rules:?}");
        // A line after a whole message is not joined on when that explains
        // nothing more.
        let d = pasted("bwrap: setting up uid map: Permission denied\nlauncher exited\n");
        assert_eq!(
            d.candidates[0].message.text,
            "setting up uid map: Permission denied"
        );
    }

    const PRIORS: &str = r#"
[[rule]]
id = "t.rare"
cause = "gvisor"
summary = "s"
patterns = ['^boom: (?P<e>.+)$']
explanation = "e"
[[rule.confirm]]
fact = "os.id"
equals = "x"
[[rule.confirm]]
fact = "kernel.release"
exists = true

[[rule]]
id = "t.common"
cause = "wsl1"
summary = "s"
patterns = ['^boom: (?P<e>.+)$']
explanation = "e"
[[rule.confirm]]
fact = "kernel.version"
equals = "v"
[[rule.prior]]
weight = 90
message = 'Invalid'
source = "test"
[[rule.prior.when]]
fact = "os.id"
equals = "ubuntu"
[[rule.prior]]
weight = 60
message = 'Invalid'
source = "test"

[[rule]]
id = "t.step"
cause = "other"
stage = "userns"
causes = ["wsl1", "gvisor"]
summary = "s"
patterns = ['^boom: ']
explanation = "e"
"#;

    fn ranked(facts: &[(&str, serde_json::Value)], stderr: &str) -> Diagnosis {
        let rules = rule_set(PRIORS);
        let facts = Facts::recorded(
            facts
                .iter()
                .map(|(k, v)| (k.to_string(), Obs::Seen(v.clone())))
                .collect(),
            Context::default(),
        );
        diagnose(&rules, &facts, stderr.as_bytes())
    }

    #[test]
    fn a_prior_orders_unconfirmed_candidates_and_never_confirms() {
        // t.rare has more of its conditions seen to hold; t.common's prior
        // puts it first all the same, and it stays unconfirmed.
        let d = ranked(&[("os.id", "x".into())], "bwrap: boom: Invalid argument\n");
        let order: Vec<(&str, Verdict, Option<u8>)> = d
            .candidates
            .iter()
            .map(|c| (c.rule.as_str(), c.verdict, c.prior))
            .collect();
        assert_eq!(
            order,
            [
                ("t.common", Verdict::Unconfirmed, Some(60)),
                ("t.rare", Verdict::Unconfirmed, None)
            ]
        );
        // The first prior whose conditions hold gives the weight.
        let d = ranked(
            &[("os.id", "ubuntu".into())],
            "bwrap: boom: Invalid argument\n",
        );
        assert_eq!(d.candidates[0].prior, Some(90));
        // A prior for another message does not apply: support decides.
        let d = ranked(&[("os.id", "x".into())], "bwrap: boom: No such device\n");
        assert_eq!(d.candidates[0].rule, "t.rare");
        assert_eq!(d.candidates[1].prior, None);
    }

    #[test]
    fn without_priors_more_conditions_seen_to_hold_go_first_not_a_larger_share() {
        // t.few: 1 of its 2 conditions seen to hold (50%); t.more: 2 of 5
        // (40%). Undecided conditions are no evidence against t.more.
        const RULES: &str = r#"
[[rule]]
id = "t.few"
cause = "wsl1"
summary = "s"
patterns = ['^boom: ']
explanation = "e"
[[rule.confirm]]
fact = "os.id"
equals = "x"
[[rule.confirm]]
fact = "kernel.release"
exists = true

[[rule]]
id = "t.more"
cause = "gvisor"
summary = "s"
patterns = ['^boom: ']
explanation = "e"
[[rule.confirm]]
fact = "os.id"
equals = "x"
[[rule.confirm]]
fact = "caller.euid"
equals = 5
[[rule.confirm]]
fact = "kernel.version"
equals = "v"
[[rule.confirm]]
fact = "chroot"
equals = false
[[rule.confirm]]
fact = "os.version_id"
equals = "1"
"#;
        let rules = rule_set(RULES);
        let facts = Facts::recorded(
            [
                ("os.id".to_string(), Obs::seen("x")),
                ("caller.euid".to_string(), Obs::Seen(5.into())),
            ]
            .into(),
            Context::default(),
        );
        let d = diagnose(&rules, &facts, b"bwrap: boom: x\n");
        let order: Vec<&str> = d.candidates.iter().map(|c| c.rule.as_str()).collect();
        assert_eq!(order, ["t.more", "t.few"]);
    }

    #[test]
    fn a_condition_that_does_not_refute_leaves_its_rule_unconfirmed_when_it_fails() {
        // `refutes = false`: needed to confirm; failing, it rules nothing
        // out (another mechanism of the message may hold as well), while a
        // later ordinary condition still refutes.
        let verdict = |seccomp: i64, os: &str| {
            let d = fixtures::diagnose_soft_condition(seccomp, os);
            let c = d.candidates.iter().find(|c| c.rule == "t.soft").unwrap();
            c.verdict
        };
        assert_eq!(verdict(0, "x"), Verdict::Confirmed);
        assert_eq!(verdict(2, "x"), Verdict::Unconfirmed);
        assert_eq!(verdict(2, "y"), Verdict::Refuted);
        assert_eq!(verdict(0, "y"), Verdict::Refuted);
    }

    #[test]
    fn a_stage_rule_is_heard_only_when_every_specific_rule_is_refuted() {
        // Both specific rules refuted: the step's rule stays, never
        // confirmed though it has no condition, with its causes' verdicts.
        let d = ranked(
            &[("os.id", "y".into()), ("kernel.version", "w".into())],
            "bwrap: boom: x\n",
        );
        assert!(!d.has_confirmed());
        let step = &d.candidates[0];
        assert_eq!(
            (step.rule.as_str(), step.verdict),
            ("t.step", Verdict::Unconfirmed)
        );
        let causes: Vec<(&str, Option<Verdict>)> = step
            .causes
            .iter()
            .map(|c| (c.cause.id(), c.verdict))
            .collect();
        assert_eq!(
            causes,
            [
                ("wsl1", Some(Verdict::Refuted)),
                ("gvisor", Some(Verdict::Refuted))
            ]
        );
        // One specific rule unconfirmed: the stage rule is not heard.
        let d = ranked(&[("os.id", "x".into())], "bwrap: boom: x\n");
        assert!(d.candidates.iter().all(|c| c.stage.is_none()));
    }

    #[test]
    fn a_stage_rule_names_first_a_cause_no_specific_rule_ruled_out() {
        // The step lists wsl1 first, but its specific rule is refuted here;
        // gvisor, which no specific rule could rule out, is named first.
        const STEP: &str = r#"
[[rule]]
id = "t.wsl1"
cause = "wsl1"
summary = "s"
patterns = ['^boom: ']
explanation = "e"
[[rule.confirm]]
fact = "kernel.version"
equals = "v"

[[rule]]
id = "t.step"
cause = "other"
stage = "userns"
causes = ["wsl1", "gvisor", "chroot"]
summary = "s"
patterns = ['^boom: ']
explanation = "e"
"#;
        let rules = rule_set(STEP);
        let facts = Facts::recorded(
            [("kernel.version".to_string(), Obs::seen("w"))].into(),
            Context::default(),
        );
        let d = diagnose(&rules, &facts, b"bwrap: boom: x\n");
        let step = d.candidates.iter().find(|c| c.stage.is_some()).unwrap();
        let causes: Vec<(&str, Option<Verdict>)> = step
            .causes
            .iter()
            .map(|c| (c.cause.id(), c.verdict))
            .collect();
        assert_eq!(
            causes,
            [
                ("gvisor", None),
                ("chroot", None),
                ("wsl1", Some(Verdict::Refuted))
            ]
        );
    }

    #[test]
    fn on_a_host_without_a_container_a_step_names_a_container_cause_last() {
        const STEP: &str = r#"
[[rule]]
id = "t.step"
cause = "other"
stage = "bind-remount"
causes = ["container-lsm-profile", "mount-permission-denied", "chroot"]
summary = "s"
patterns = ['^boom: ']
explanation = "e"
"#;
        let rules = rule_set(STEP);
        let first = |kind: Option<&str>| {
            let facts = seen_facts(&[("container.kind", kind)]);
            let d = diagnose(&rules, &facts, b"bwrap: boom: x\n");
            d.candidates[0]
                .causes
                .iter()
                .map(|c| c.cause.id())
                .collect::<Vec<_>>()
        };
        assert_eq!(
            first(Some("none")),
            ["mount-permission-denied", "container-lsm-profile", "chroot"]
        );
        // In a container, or where nothing is known, the listed order.
        for kind in [Some("docker"), None] {
            assert_eq!(
                first(kind),
                ["container-lsm-profile", "mount-permission-denied", "chroot"]
            );
        }
    }

    #[test]
    fn a_caller_seen_confined_by_apparmor_outside_a_container_names_its_profile_first() {
        const STEP: &str = r#"
[[rule]]
id = "t.step"
cause = "other"
stage = "files-dirs-symlinks"
causes = ["bad-arguments", "selinux-denial", "apparmor-profile-denial"]
summary = "s"
patterns = ['^boom: ']
explanation = "e"
"#;
        let rules = rule_set(STEP);
        let first = |label: Option<&str>, kind: Option<&str>| {
            let facts = seen_facts(&[("apparmor.label", label), ("container.kind", kind)]);
            let d = diagnose(&rules, &facts, b"bwrap: boom: x\n");
            d.candidates[0].causes[0].cause.id()
        };
        // A snap's profile on the host: the profile first.
        assert_eq!(
            first(Some("snap.heroic.heroic (enforce)"), Some("none")),
            "apparmor-profile-denial"
        );
        // Unconfined, in complain mode, a container's profile, or nothing
        // known: the listed order.
        for (label, kind) in [
            (Some("unconfined"), Some("none")),
            (Some("snap.heroic.heroic (complain)"), Some("none")),
            (Some("docker-default (enforce)"), Some("docker")),
            (Some("snap.heroic.heroic (enforce)"), None),
            (None, None),
        ] {
            assert_eq!(first(label, kind), "bad-arguments", "{label:?} {kind:?}");
        }
    }

    #[test]
    fn a_warning_is_never_explained_by_a_stage_rule() {
        const STEP: &str = r#"
[[rule]]
id = "t.any"
cause = "other"
stage = "other"
summary = "s"
patterns = ['.']
explanation = "e"
"#;
        let rules = rule_set(STEP);
        let facts = Facts::recorded(BTreeMap::new(), Context::default());
        // bwrap warned and went on; the program failed on its own.
        let d = diagnose(
            &rules,
            &facts,
            b"bwrap: Only the last --chdir option will take effect\n",
        );
        assert!(d.candidates.is_empty());
        // The failure after a warning is the one explained.
        let d = diagnose(
            &rules,
            &facts,
            b"bwrap: Only the last --chdir option will take effect\nbwrap: execvp x: No such file or directory\n",
        );
        assert_eq!(d.candidates.len(), 1);
        assert_eq!(
            d.candidates[0].message.text,
            "execvp x: No such file or directory"
        );
    }

    #[test]
    fn a_setuid_bwraps_partner_gone_line_is_not_the_failing_step() {
        // The privileged process died of the bind it printed; the other one
        // only found the socket closed (bubblewrap#104, 0.1's setuid bwrap).
        const STEPS: &str = r#"
[[rule]]
id = "t.bind"
cause = "other"
stage = "bind-remount"
causes = ["bad-arguments"]
summary = "s"
patterns = ['^Can.t bind mount ']
explanation = "e"

[[rule]]
id = "t.setuid"
cause = "other"
stage = "caps-setuid"
causes = ["apparmor-profile-denial"]
summary = "s"
patterns = ['privileged_op_socket$']
explanation = "e"
"#;
        let rules = rule_set(STEPS);
        let facts = Facts::recorded(BTreeMap::new(), Context::default());
        let d = diagnose(
            &rules,
            &facts,
            b"bwrap: Can't bind mount /oldroot/x on /newroot/: Invalid argument\nbwrap: Can't read from privileged_op_socket\n",
        );
        let rules_heard: Vec<&str> = d.candidates.iter().map(|c| c.rule.as_str()).collect();
        assert_eq!(rules_heard, ["t.bind"]);
        // Alone, the line is still the step's.
        let d = diagnose(
            &rules,
            &facts,
            b"bwrap: Can't read from privileged_op_socket\n",
        );
        let rules_heard: Vec<&str> = d.candidates.iter().map(|c| c.rule.as_str()).collect();
        assert_eq!(rules_heard, ["t.setuid"]);
    }

    #[test]
    fn pasted_text_a_stage_rule_owns_as_written_is_still_repaired_for_a_specific_rule() {
        let text = format!(
            "{EXEC}\n[[rule]]\nid = \"t.step\"\ncause = \"other\"\nstage = \"exec\"\nsummary = \"s\"\npatterns = ['^execvp ']\nexplanation = \"e\"\n"
        );
        let rules = rule_set(&text);
        let facts = Facts::recorded(BTreeMap::new(), Context::default());
        // As written, only the stage rule knows the first line; joined
        // back, the specific rule knows the message.
        let d = diagnose_pasted(
            &rules,
            &facts,
            b"bwrap: execvp /opt/my\napp: No such file or directory\n",
        );
        assert_eq!(d.candidates[0].rule, "t.exec");
        assert_eq!(d.candidates[0].captures["prog"], "/opt/myapp");
        // Nothing specific anywhere: the stage rule, as written.
        let d = diagnose_pasted(&rules, &facts, b"bwrap: execvp /opt/x: Exec format error\n");
        assert_eq!(d.candidates.len(), 1);
        assert_eq!(d.candidates[0].rule, "t.step");
    }

    const UNREAD: &str = r#"
[[rule]]
id = "t.symlink"
cause = "bind-dest-symlink"
summary = "The destination {dest} goes through the symlink {link.link} → {link.target}."
patterns = ['^Can.t mkdir (?P<dest>/.+): No such file or directory$']
explanation = "An absolute symlink such as {link.link} resolves to nothing."

[[rule.confirm]]
fact = "path.first_symlink:{dest}"
exists = true
as = "link"
describe = "a symlink on the destination path"

[[rule.fix]]
title = "Give bwrap {link.resolved} instead"
scope = "narrow"
commands = "{link.resolved}"

[[rule.fix]]
title = "Or make the symlink relative"
scope = "local"
commands = "ln -sfn --relative {link.target} {link.link}"

[[rule]]
id = "t.unreadable"
cause = "bwrap-binary-unreadable"
summary = "{bwrap.path} cannot be read by its caller (mode {bwrap.mode})."
patterns = ['^setting up uid map: Permission denied$']
explanation = "e"

[[rule.confirm]]
fact = "bwrap.readable"
equals = false
"#;

    fn unread_candidate(text: &str, facts: &Facts) -> Candidate {
        let rules = parse(SourceKind::User, Path::new("t.toml"), UNREAD).unwrap();
        let rule = rules
            .rules
            .iter()
            .find(|r| match_rule(r, text).is_some())
            .unwrap();
        let captures = match_rule(rule, text).unwrap();
        let msg = Message {
            line: format!("bwrap: {text}"),
            text: text.into(),
        };
        candidate(rule, msg, captures, facts)
    }

    #[test]
    fn an_alias_not_read_leaves_no_placeholder_in_summary_explanation_or_fixes() {
        let none = Facts::recorded(BTreeMap::new(), Context::default());
        let c = unread_candidate("Can't mkdir /etc/x/y: No such file or directory", &none);
        assert_eq!(
            c.summary,
            "A bind destination goes through a symlink bwrap cannot follow (could not read: a symlink on the destination path)."
        );
        assert_eq!(c.explanation, "");
        // The fix whose title needs the link is left out; the other keeps
        // its title without the command it cannot fill in.
        assert_eq!(c.fixes.len(), 1);
        assert_eq!(c.fixes[0].title, "Or make the symlink relative");
        assert_eq!(c.fixes[0].commands, None);
        // Seen: every placeholder is filled in.
        let seen = Facts::recorded(
            [(
                "path.first_symlink:/etc/x/y".to_string(),
                Obs::seen(serde_json::json!({"link": "/etc/x", "target": "/run/x", "absolute": true, "resolved": "/run/x/y"})),
            )]
            .into(),
            Context::default(),
        );
        let c = unread_candidate("Can't mkdir /etc/x/y: No such file or directory", &seen);
        assert_eq!(
            c.summary,
            "The destination /etc/x/y goes through the symlink /etc/x → /run/x."
        );
        assert_eq!(c.fixes[0].title, "Give bwrap /run/x/y instead");
        assert_eq!(
            c.fixes[1].commands.as_deref(),
            Some("ln -sfn --relative /run/x /etc/x")
        );
    }

    #[test]
    fn a_summary_needing_a_fact_not_read_says_so_once_without_unavailable() {
        let facts = Facts::recorded(
            [(
                "bwrap.path".to_string(),
                Obs::Unavailable("the bwrap that ran is not known".into()),
            )]
            .into(),
            Context::default(),
        );
        let c = unread_candidate("setting up uid map: Permission denied", &facts);
        assert!(!c.summary.contains("unavailable"), "{}", c.summary);
        assert_eq!(
            c.summary,
            "The bwrap executable is not readable by its caller, so bwrap cannot write its own uid map (could not read: bwrap.path; bwrap.mode)."
        );
    }

    #[test]
    fn with_no_cause_confirmed_the_quote_is_the_line_the_rule_matched_not_the_last() {
        let rules = rule_set(UNREAD);
        let facts = Facts::recorded(BTreeMap::new(), Context::default());
        let d = diagnose_pasted(
            &rules,
            &facts,
            b"setting up uid map: Permission denied\nconfigure: error: You need at least version 0.1.5 of bubblewrap\n",
        );
        assert_eq!(
            d.candidates[0].message.text,
            "setting up uid map: Permission denied"
        );
        let text = crate::report::human::render(&d, false);
        assert!(
            text.starts_with(
                "bwrap-doctor: no cause could be confirmed for \"setting up uid map: Permission denied\"\n"
            ),
            "{text}"
        );
    }
}
