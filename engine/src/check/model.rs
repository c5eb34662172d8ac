//! What `check` reports: checks in sections, each with a status, evidence
//! and a fix. Rendered for people (`render`) and as versioned JSON.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::time::Duration;

pub const SCHEMA: &str = "bwrap-doctor/check";
pub const SCHEMA_VERSION: u32 = 1;

/// A check's outcome; `skip` when it could not run here (never counted).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum Status {
    Ok,
    Skip,
    Warning,
    Fail,
}

impl Status {
    /// The status as `check` prints it and its JSON holds it: `ok`,
    /// `skip`, `warning` or `fail`.
    #[must_use]
    pub fn label(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::Skip => "skip",
            Status::Warning => "warning",
            Status::Fail => "fail",
        }
    }
}

/// One check: what was tried, how it went, what was seen, what to do.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[non_exhaustive]
pub struct Check {
    /// Stable id, e.g. `sandbox.userns-netns-proc`.
    #[schemars(regex(pattern = r"^[a-z]+(\.[a-z0-9-]+)+$"))]
    pub id: String,
    /// The section it is shown under.
    #[schemars(extend("enum" = ["bwrap binary", "kernel", "security policy", "bwrap-doctor shim", "sandboxes"]))]
    pub section: String,
    pub status: Status,
    /// One sentence.
    #[schemars(length(min = 1))]
    pub summary: String,
    /// What was observed, one fact per line.
    pub evidence: Vec<String>,
    /// What to do, narrowest first; empty when nothing needs doing.
    #[schemars(inner(length(min = 1)))]
    pub fix: Vec<String>,
    /// How long the check took, in milliseconds.
    #[schemars(range(min = 0))]
    pub duration_ms: f64,
}

// The constructors are for the `bwrap-doctor` binary's own checks: a
// library caller reads a `Check`, it does not build one (see the crate's
// stability section), so they are outside the documented API.
impl Check {
    #[doc(hidden)]
    pub fn new(id: &str, section: &str, status: Status, summary: impl Into<String>) -> Check {
        Check {
            id: id.into(),
            section: section.into(),
            status,
            summary: summary.into(),
            evidence: Vec::new(),
            fix: Vec::new(),
            duration_ms: 0.0,
        }
    }

    #[doc(hidden)]
    pub fn evidence(mut self, line: impl Into<String>) -> Check {
        self.evidence.push(line.into());
        self
    }

    #[doc(hidden)]
    pub fn fix(mut self, line: impl Into<String>) -> Check {
        self.fix.push(line.into());
        self
    }

    #[doc(hidden)]
    #[must_use]
    pub fn took(mut self, d: Duration) -> Check {
        self.duration_ms = (d.as_secs_f64() * 1000.0 * 100.0).round() / 100.0;
        self
    }
}

/// The report of `bwrap-doctor check --json`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[schemars(title = "bwrap-doctor check report (bwrap-doctor check --json)")]
#[non_exhaustive]
pub struct Report {
    /// The document's kind: always `bwrap-doctor/check`.
    #[schemars(extend("const" = SCHEMA))]
    pub schema: String,
    /// The document's version: additive changes keep it, anything else
    /// bumps it.
    #[schemars(extend("const" = SCHEMA_VERSION))]
    pub schema_version: u32,
    /// The bwrap-doctor release that wrote it.
    #[schemars(length(min = 1))]
    pub tool_version: String,
    /// The worst status among the checks that ran (a skip never counts).
    #[schemars(extend("enum" = ["ok", "warning", "fail"]))]
    pub overall: Status,
    /// How long the whole check took, in milliseconds.
    #[schemars(range(min = 0))]
    pub duration_ms: f64,
    /// Every check, in the order `check` shows them.
    pub checks: Vec<Check>,
}

impl Report {
    #[doc(hidden)]
    #[must_use]
    pub fn new(checks: Vec<Check>, took: Duration) -> Report {
        let overall = checks
            .iter()
            .map(|c| c.status)
            .filter(|s| *s != Status::Skip)
            .max()
            .unwrap_or(Status::Ok);
        Report {
            schema: SCHEMA.to_string(),
            schema_version: SCHEMA_VERSION,
            tool_version: env!("CARGO_PKG_VERSION").to_string(),
            overall,
            duration_ms: (took.as_secs_f64() * 1000.0 * 100.0).round() / 100.0,
            checks,
        }
    }

    /// The documented exit status: 0 nothing failed, 1 a check failed.
    #[must_use]
    pub fn exit_code(&self) -> i32 {
        i32::from(self.overall == Status::Fail)
    }
}
