//! Facts about a host as data: what a probe saw ([`Obs`]), one probe's
//! run for the evidence list ([`Observation`]), and a whole host recorded
//! for replay ([`Snapshot`]). Nothing here reads the host.
//!
//! A fact key names a probe and, after a `:`, its argument:
//! `kernel.release`, `sysctl.kernel.unprivileged_userns_clone` (sysctls put
//! their name after `sysctl.`), `path.first_symlink:/home/me/proj/.codex`.
//! `probe::CATALOGUE` lists every key with its meaning.
//!
//! The facts of one diagnosis, each observed at most once, are
//! `probe::Facts`: they come from the live host (through one injectable
//! root, `probe::Host`), from a recorded snapshot, or from a rule's own
//! example.

use schemars::JsonSchema;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::Path;

/// What a probe saw.
#[derive(Debug, Clone, PartialEq)]
pub enum Obs {
    /// An observed value.
    Seen(Value),
    /// Definitely not there: the file, sysctl, symlink or profile does not
    /// exist. A fact in itself (e.g. "this kernel has no such sysctl").
    Absent,
    /// Could not be observed; the reason says why (no permission, timed
    /// out, not recorded in the snapshot…). Never evidence either way.
    Unavailable(String),
}

impl Obs {
    /// The fact was observed, with this value.
    pub fn seen(v: impl Into<Value>) -> Obs {
        Obs::Seen(v.into())
    }
    /// The fact could not be observed, for this reason.
    pub fn unavailable(why: impl Into<String>) -> Obs {
        Obs::Unavailable(why.into())
    }
    /// The observed value; `None` when the fact was unavailable.
    #[must_use]
    pub fn value(&self) -> Option<&Value> {
        match self {
            Obs::Seen(v) => Some(v),
            _ => None,
        }
    }
    /// A short human rendering: the value, "absent", or "unavailable (why)".
    #[must_use]
    pub fn describe(&self) -> String {
        match self {
            Obs::Seen(Value::String(s)) => s.clone(),
            Obs::Seen(v) => v.to_string(),
            Obs::Absent => "absent".into(),
            Obs::Unavailable(why) => format!("unavailable ({why})"),
        }
    }
}

/// In JSON and TOML: the plain value, or `{"absent": true}`, or
/// `{"unavailable": "why"}`.
impl Serialize for Obs {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Obs::Seen(v) => v.serialize(s),
            Obs::Absent => serde_json::json!({ "absent": true }).serialize(s),
            Obs::Unavailable(why) => serde_json::json!({ "unavailable": why }).serialize(s),
        }
    }
}

/// Written by hand: the JSON form is built in [`Obs`]'s `Serialize`.
impl JsonSchema for Obs {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Observed".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "description": "What a probe saw: the observed value (any JSON value), or `{\"absent\": true}` (definitely not there: a fact in itself), or `{\"unavailable\": \"why\"}` (could not be observed: never evidence either way).",
            "anyOf": [
                {
                    "title": "absent",
                    "type": "object",
                    "properties": { "absent": { "const": true } },
                    "required": ["absent"],
                    "additionalProperties": false
                },
                {
                    "title": "unavailable",
                    "type": "object",
                    "properties": { "unavailable": { "type": "string" } },
                    "required": ["unavailable"],
                    "additionalProperties": false
                },
                { "title": "seen", "description": "An observed value." }
            ]
        })
    }
}

impl<'de> Deserialize<'de> for Obs {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Obs, D::Error> {
        Ok(Obs::from_value(Value::deserialize(d)?))
    }
}

impl Obs {
    /// Read the JSON/TOML form (see the `Serialize` impl).
    #[must_use]
    pub fn from_value(v: Value) -> Obs {
        if let Value::Object(m) = &v
            && m.len() == 1
        {
            if m.get("absent") == Some(&Value::Bool(true)) {
                return Obs::Absent;
            }
            if let Some(Value::String(why)) = m.get("unavailable") {
                return Obs::Unavailable(why.clone());
            }
        }
        Obs::Seen(v)
    }
}

/// One probe that ran during a diagnosis, for the evidence list.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[non_exhaustive]
pub struct Observation {
    /// The fact key (`probe::CATALOGUE` lists them).
    pub key: String,
    /// What the probe saw.
    pub obs: Obs,
    /// How long the probe took, in milliseconds.
    pub took_ms: f64,
}

/// The bwrap path a snapshot (or a rule example) recorded, if any.
#[must_use]
pub fn recorded_bwrap(facts: &BTreeMap<String, Obs>) -> Option<std::path::PathBuf> {
    match facts.get("bwrap.path") {
        Some(Obs::Seen(Value::String(p))) => Some(p.into()),
        _ => None,
    }
}

/// A whole host recorded for replay (`bwrap-doctor snapshot`,
/// `explain --snapshot`). Schema: docs/snapshot.md.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[schemars(title = "bwrap-doctor host snapshot (bwrap-doctor snapshot)")]
pub struct Snapshot {
    /// The document's kind: always `bwrap-doctor/snapshot`.
    #[schemars(extend("const" = SNAPSHOT_SCHEMA))]
    pub schema: String,
    /// The document's version: additive changes keep it, anything else
    /// bumps it.
    #[schemars(extend("const" = SNAPSHOT_VERSION))]
    pub schema_version: u32,
    /// The bwrap-doctor release that took it.
    #[serde(default)]
    pub tool_version: String,
    /// When it was taken, UTC (`2026-11-22T15:45:06Z`).
    #[serde(default)]
    pub taken_at: String,
    /// Free text about the host, written by whoever shares the snapshot.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub note: String,
    /// Every fact recorded, by key (`probe::CATALOGUE` lists them).
    pub facts: BTreeMap<String, Obs>,
}

pub const SNAPSHOT_SCHEMA: &str = "bwrap-doctor/snapshot";
pub const SNAPSHOT_VERSION: u32 = 1;

/// Read and check a snapshot file: the right schema and a version this
/// program understands.
pub fn read_snapshot(path: &Path) -> Result<Snapshot, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read snapshot {}: {e}", path.display()))?;
    parse_snapshot(&text, path)
}

/// [`read_snapshot`] on text already read; `path` is only named in the
/// errors. (Also the snapshot fuzz target's entry, see `fuzz.rs`.)
pub fn parse_snapshot(text: &str, path: &Path) -> Result<Snapshot, String> {
    let v: serde_json::Value = serde_json::from_str(text).map_err(|e| {
        format!(
            "{}:{}:{}: not a JSON snapshot: {e}; make one with `bwrap-doctor snapshot`",
            path.display(),
            e.line(),
            e.column()
        )
    })?;
    let schema = v.get("schema").and_then(|s| s.as_str()).unwrap_or("");
    if schema != SNAPSHOT_SCHEMA {
        return Err(format!(
            "{} is not a bwrap-doctor snapshot (schema {schema:?}, expected {SNAPSHOT_SCHEMA:?}); make one with `bwrap-doctor snapshot`",
            path.display()
        ));
    }
    let version = v
        .get("schema_version")
        .and_then(serde_json::Value::as_u64)
        .unwrap_or(0);
    if version != u64::from(SNAPSHOT_VERSION) {
        return Err(format!(
            "{} is snapshot version {version}; this bwrap-doctor reads version {SNAPSHOT_VERSION}: take the snapshot again with this version, or use the bwrap-doctor that made it",
            path.display()
        ));
    }
    serde_json::from_value(v).map_err(|e| format!("{}: malformed snapshot: {e}", path.display()))
}
