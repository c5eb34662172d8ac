//! The diagnosis as versioned JSON (`explain --json`, and the shim's
//! BWRAP_DOCTOR_JSON output) for tools that show it in their own UI.

use crate::diagnose::Diagnosis;
use serde::Serialize;

pub const SCHEMA: &str = "bwrap-doctor/diagnosis";
pub const SCHEMA_VERSION: u32 = 1;

#[derive(Debug, Serialize)]
pub struct Exit {
    pub code: Option<i32>,
    pub signal: Option<i32>,
}

#[derive(Debug, Serialize)]
pub struct Document<'a> {
    pub schema: &'static str,
    pub schema_version: u32,
    pub tool_version: &'static str,
    /// The real bwrap that ran, when known.
    pub bwrap: Option<String>,
    pub exit: Option<Exit>,
    /// Ids of the confirmed rules, most useful first.
    pub confirmed: Vec<&'a str>,
    #[serde(flatten)]
    pub diagnosis: &'a Diagnosis,
}

pub fn document<'a>(d: &'a Diagnosis, bwrap: Option<String>, exit: Option<Exit>) -> Document<'a> {
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

pub fn to_string(doc: &Document) -> String {
    serde_json::to_string_pretty(doc).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
}
