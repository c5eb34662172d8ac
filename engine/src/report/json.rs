//! The diagnosis as versioned JSON (`explain --json`, and the shim's
//! `BWRAP_DOCTOR_JSON` output) for tools that show it in their own UI.

use crate::diagnose::Diagnosis;
use schemars::JsonSchema;
use serde::Serialize;

pub const SCHEMA: &str = "bwrap-doctor/diagnosis";
pub const SCHEMA_VERSION: u32 = 1;

/// How bwrap ended (the shim's document only).
#[derive(Debug, Serialize, JsonSchema)]
pub struct Exit {
    /// Its exit status, when it exited.
    pub code: Option<i32>,
    /// The signal that killed it, when one did.
    pub signal: Option<i32>,
}

/// The diagnosis of one bwrap failure (`explain --json`, `BWRAP_DOCTOR_JSON`).
#[derive(Debug, Serialize, JsonSchema)]
#[schemars(title = "bwrap-doctor diagnosis (explain --json, BWRAP_DOCTOR_JSON)")]
pub struct Document<'a> {
    /// The document's kind: always `bwrap-doctor/diagnosis`.
    #[schemars(extend("const" = SCHEMA))]
    pub schema: &'static str,
    /// The document's version: additive changes keep it, anything else
    /// bumps it.
    #[schemars(extend("const" = SCHEMA_VERSION))]
    pub schema_version: u32,
    /// The bwrap-doctor release that wrote it.
    pub tool_version: &'static str,
    /// The real bwrap that ran, when known.
    pub bwrap: Option<String>,
    /// How bwrap ended: in the shim's document; null from `explain`.
    pub exit: Option<Exit>,
    /// Ids of the confirmed rules, most useful first.
    pub confirmed: Vec<&'a str>,
    #[serde(flatten)]
    pub diagnosis: &'a Diagnosis,
}

#[must_use]
pub fn document(d: &Diagnosis, bwrap: Option<String>, exit: Option<Exit>) -> Document<'_> {
    Document {
        schema: SCHEMA,
        schema_version: SCHEMA_VERSION,
        tool_version: env!("CARGO_PKG_VERSION"),
        bwrap,
        exit,
        confirmed: d.confirmed().map(|c| c.rule.as_str()).collect(),
        diagnosis: d,
    }
}

#[must_use]
pub fn to_string(doc: &Document) -> String {
    serde_json::to_string_pretty(doc).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
}
