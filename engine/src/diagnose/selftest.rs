//! `bwrap-doctor rules test`: run every rule's own examples. An example is
//! validated when the rule reaches the expected verdict; a negative example
//! the rule confirms is a false positive ("noisy"); a positive example it
//! does not confirm is a false negative ("missing").

use super::{Verdict, bwrap_messages, candidate, latest_match};
use crate::bwrap_args;
use crate::probe::Context;
use crate::probe::Facts;
use crate::rules::{Example, Expect, Origin, Rule, RuleSet};
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    Validated,
    FalsePositive,
    FalseNegative,
    /// Neither: e.g. expected refuted, got unconfirmed.
    Mismatch,
}

impl Outcome {
    pub fn label(self) -> &'static str {
        match self {
            Outcome::Validated => "validated",
            Outcome::FalsePositive => "false positive",
            Outcome::FalseNegative => "false negative",
            Outcome::Mismatch => "mismatch",
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct ExampleResult {
    pub rule: String,
    pub example: String,
    #[serde(skip)]
    pub origin: Origin,
    pub expected: &'static str,
    pub got: &'static str,
    pub outcome: Outcome,
    /// The first condition that did not hold or could not be decided.
    pub detail: Option<String>,
}

/// The context an example describes: the bwrap path from its facts, its
/// argv parsed with bwrap's grammar.
pub fn example_context(ex: &Example) -> Context {
    let bwrap = crate::facts::recorded_bwrap(&ex.facts);
    let args = ex.argv.as_ref().map(|a| bwrap_args::parse(a, &|_| None));
    Context { bwrap, args }
}

pub fn run_example(rule: &Rule, ex: &Example) -> ExampleResult {
    let messages = bwrap_messages(ex.stderr.as_bytes());
    let matched = latest_match(rule, &messages);
    let (got, detail) = match matched {
        None => (Expect::NoMatch, None),
        Some((message, captures)) => {
            let facts = Facts::recorded(ex.facts.clone(), example_context(ex));
            let c = candidate(rule, message, captures, &facts);
            let detail = c.checks.iter().find(|ch| ch.holds != Some(true)).map(|ch| {
                format!(
                    "{} = {} (needs {})",
                    ch.fact,
                    ch.observed.describe(),
                    ch.wants
                )
            });
            let got = match c.verdict {
                Verdict::Confirmed => Expect::Confirmed,
                Verdict::Refuted => Expect::Refuted,
                Verdict::Unconfirmed => Expect::Unconfirmed,
            };
            (got, detail)
        }
    };
    let outcome = if got == ex.expect {
        Outcome::Validated
    } else if got == Expect::Confirmed {
        Outcome::FalsePositive
    } else if ex.expect == Expect::Confirmed {
        Outcome::FalseNegative
    } else {
        Outcome::Mismatch
    };
    ExampleResult {
        rule: rule.id.clone(),
        example: ex.name.clone(),
        origin: ex.origin.clone(),
        expected: ex.expect.label(),
        got: got.label(),
        outcome,
        detail,
    }
}

/// Every example of every active rule (or of the rules whose id contains
/// `filter`).
pub fn run(rules: &RuleSet, filter: Option<&str>) -> Vec<ExampleResult> {
    rules
        .active()
        .filter(|r| {
            // Also the id as the shim spells it (`sec-comp-filter`).
            filter.is_none_or(|f| r.id.contains(f) || r.id.contains(&crate::keywords::unspell(f)))
        })
        .flat_map(|r| r.examples.iter().map(move |ex| run_example(r, ex)))
        .collect()
}
