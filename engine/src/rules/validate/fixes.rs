//! `[[rule.fix]]`: a fix's title, scope, texts and conditions.

use super::{Alias, Captures, FileCx, Names, check_text};
use crate::rules::{
    model::{Fix, Scope},
    schema::{CONDITION_KEYS, Diags, FIX_KEYS, Table, closest},
};
use std::collections::BTreeSet;
use std::ops::Range;

impl FileCx<'_> {
    /// A rule's `[[rule.fix]]`s; with `rules lint`, a warning when they are
    /// not narrowest first.
    pub(super) fn fixes(
        &self,
        d: &mut Diags<'_>,
        t: &Table<'_, '_>,
        caps: Option<&Captures>,
        aliases: &[Alias],
    ) -> Vec<Fix> {
        let mut fixes = Vec::new();
        let mut scope_spans = Vec::new();
        for ft in t.tables(d, "fix", "[[rule.fix]]", FIX_KEYS) {
            if let Some((f, span)) = self.fix(d, &ft, caps, aliases) {
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
        fixes
    }

    pub(super) fn fix(
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
}
