//! Rendering rule texts: `{name}` is a capture from bwrap's message, an
//! alias bound by a condition, or a fact key (`{bwrap.path}`);
//! `{alias.field}` reads a field of an object value; `{{` and `}}` are
//! literal braces (the scanner is `rules::template`'s, shared with
//! validation). Rule files are validated at load time, so an unknown name
//! here is left as written rather than failing.

use crate::facts::Obs;
use crate::probe::Facts;
use serde_json::Value;
use std::collections::BTreeMap;

/// Everything a text may refer to.
pub struct Scope<'a, 'f> {
    pub captures: &'a BTreeMap<String, String>,
    pub aliases: &'a BTreeMap<String, Obs>,
    pub facts: &'a Facts<'f>,
}

/// A value as people read it: strings bare, lists comma-separated,
/// objects as `key=value` pairs.
pub fn value_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Array(items) if items.iter().any(Value::is_object) => {
            items.iter().map(value_text).collect::<Vec<_>>().join("; ")
        }
        Value::Array(items) => items.iter().map(value_text).collect::<Vec<_>>().join(", "),
        Value::Object(m) => m
            .iter()
            .filter(|(_, v)| !v.is_null())
            .map(|(k, v)| format!("{k}={}", value_text(v)))
            .collect::<Vec<_>>()
            .join(", "),
        other => other.to_string(),
    }
}

impl Scope<'_, '_> {
    /// The value of `name`, or `None` when it has none to show: not a
    /// name at all, a capture the matching pattern lacks, or a fact (or an
    /// alias's fact, or its field) that was not seen. "absent" and
    /// "unavailable (why)" are states of a fact, never words of a sentence.
    fn lookup(&self, name: &str) -> Option<String> {
        if let Some(c) = self.captures.get(name) {
            return Some(c.clone());
        }
        if let Some(o) = self.aliases.get(name) {
            return seen_text(o);
        }
        // alias.field
        if let Some((head, field)) = name.split_once('.')
            && let Some(o) = self.aliases.get(head)
        {
            let Obs::Seen(v) = o else { return None };
            // A list of objects: the field of each, joined.
            if let Value::Array(items) = v {
                let parts: Vec<String> = items
                    .iter()
                    .filter_map(|i| i.get(field).filter(|x| !x.is_null()).map(value_text))
                    .collect();
                return (!parts.is_empty()).then(|| parts.join(", "));
            }
            return v.get(field).filter(|x| !x.is_null()).map(value_text);
        }
        if crate::probe::lookup(name).is_some_and(|p| !p.takes_arg) {
            return seen_text(&self.facts.get(name));
        }
        None
    }

    /// Substitute captures only (for fact keys such as `path.exists:{src}`).
    pub fn captures_only(captures: &BTreeMap<String, String>, text: &str) -> String {
        render_with(text, &|name| captures.get(name).cloned())
    }

    /// Render `text` only if every placeholder has a value; otherwise the
    /// names that have none, first seen first, each once.
    pub fn render_whole(&self, text: &str) -> Result<String, Vec<String>> {
        let missing = std::cell::RefCell::new(Vec::<String>::new());
        let out = render_with(text, &|name| {
            let v = self.lookup(name);
            if v.is_none() && !missing.borrow().iter().any(|m| m == name) {
                missing.borrow_mut().push(name.to_string());
            }
            v
        });
        let missing = missing.into_inner();
        if missing.is_empty() {
            Ok(out)
        } else {
            Err(missing)
        }
    }
}

/// The text of a value that was seen; nothing for "absent" or
/// "unavailable".
fn seen_text(o: &Obs) -> Option<String> {
    match o {
        Obs::Seen(v) => Some(value_text(v)),
        _ => None,
    }
}

fn render_with(text: &str, lookup: &dyn Fn(&str) -> Option<String>) -> String {
    crate::rules::template::expand(text, lookup)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::probe::Context;

    #[test]
    fn captures_aliases_fields_facts_and_escapes_are_rendered() {
        let mut facts_map = BTreeMap::new();
        facts_map.insert("bwrap.path".to_string(), Obs::seen("/opt/x/bwrap"));
        let facts = Facts::recorded(facts_map, Context::default());
        let captures = BTreeMap::from([("dest".to_string(), "/home/me/.codex".to_string())]);
        let aliases = BTreeMap::from([(
            "link".to_string(),
            Obs::seen(serde_json::json!({"link": "/home/me/.codex", "target": "/data/codex"})),
        )]);
        let scope = Scope {
            captures: &captures,
            aliases: &aliases,
            facts: &facts,
        };
        assert_eq!(
            scope.render_whole("{dest} -> {link.target} via {bwrap.path}; {{literal}}"),
            Ok("/home/me/.codex -> /data/codex via /opt/x/bwrap; {literal}".to_string())
        );
        assert_eq!(
            scope.render_whole("{unknown} {link.nofield} {os.id} {unknown}"),
            Err(vec![
                "unknown".to_string(),
                "link.nofield".into(),
                "os.id".into()
            ])
        );
        assert_eq!(
            Scope::captures_only(&captures, "path.first_symlink:{dest}"),
            "path.first_symlink:/home/me/.codex"
        );
    }
}
