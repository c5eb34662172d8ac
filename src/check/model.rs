//! What `check` reports: checks in sections, each with a status, evidence
//! and a fix. Rendered for people (`render`) and as versioned JSON.

use serde::Serialize;
use std::time::Duration;

pub const SCHEMA: &str = "bwrap-doctor/check";
pub const SCHEMA_VERSION: u32 = 1;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Ok,
    Skip,
    Warning,
    Fail,
}

impl Status {
    pub fn label(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::Skip => "skip",
            Status::Warning => "warning",
            Status::Fail => "fail",
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Check {
    /// Stable id, e.g. `sandbox.userns-netns-proc`.
    pub id: String,
    /// The section it is shown under.
    pub section: String,
    pub status: Status,
    /// One sentence.
    pub summary: String,
    /// What was observed, one fact per line.
    pub evidence: Vec<String>,
    /// What to do, narrowest first; empty when nothing needs doing.
    pub fix: Vec<String>,
    pub duration_ms: f64,
}

impl Check {
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

    pub fn evidence(mut self, line: impl Into<String>) -> Check {
        self.evidence.push(line.into());
        self
    }

    pub fn fix(mut self, line: impl Into<String>) -> Check {
        self.fix.push(line.into());
        self
    }

    pub fn took(mut self, d: Duration) -> Check {
        self.duration_ms = (d.as_secs_f64() * 1000.0 * 100.0).round() / 100.0;
        self
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub schema: &'static str,
    pub schema_version: u32,
    pub tool_version: &'static str,
    pub overall: Status,
    pub duration_ms: f64,
    pub checks: Vec<Check>,
}

impl Report {
    pub fn new(checks: Vec<Check>, took: Duration) -> Report {
        let overall = checks
            .iter()
            .map(|c| c.status)
            .filter(|s| *s != Status::Skip)
            .max()
            .unwrap_or(Status::Ok);
        Report {
            schema: SCHEMA,
            schema_version: SCHEMA_VERSION,
            tool_version: env!("CARGO_PKG_VERSION"),
            overall,
            duration_ms: (took.as_secs_f64() * 1000.0 * 100.0).round() / 100.0,
            checks,
        }
    }

    /// The documented exit status: 0 nothing failed, 1 a check failed.
    pub fn exit_code(&self) -> i32 {
        if self.overall == Status::Fail { 1 } else { 0 }
    }
}
