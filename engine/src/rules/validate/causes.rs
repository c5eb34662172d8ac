//! A rule's cause, and for a stage rule its `stage`, `causes` and
//! `[[rule.prior]]` weights.

use super::{Alias, Captures, FileCx, compile};
use crate::cause::Cause;
use crate::rules::{
    model::{Prior, STAGES},
    schema::{CONDITION_KEYS, Diags, PRIOR_KEYS, Str, Table, closest},
};

impl FileCx<'_> {
    /// `stage`, `causes` and `[[rule.prior]]`.
    pub(super) fn stage_and_priors(
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
                t.get("weight").map_or(0..0, toml::Spanned::span),
                format!("`weight` {n} is not a percentage"),
                Some("how often (per cent, 0 to 100) this rule's cause is behind its message in the context `when` describes".into()),
            );
            None
        }
    }
}

pub(super) fn cause(d: &mut Diags<'_>, s: &Str<'_>) -> Option<Cause> {
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
