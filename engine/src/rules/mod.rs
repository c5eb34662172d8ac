//! Rule files: the TOML schema, loading from the built-in set and the
//! system/user/environment sources (add, override by id, disable), strict
//! validation with every error pointing at file:line:col, and lint.
//!
//! The format is documented in rules/README.md.

pub mod config_file;
mod lint;
mod load;
pub(crate) mod model;
mod render;
mod schema;
pub(crate) mod template;
mod validate;
pub use load::untrusted;
pub(crate) use validate::pattern;

pub use lint::{FileLint, LintReport, lint};
pub use load::not_regular;
pub use model::*;
pub use template::placeholders;

use std::ops::Range;
use std::path::{Path, PathBuf};

/// One error in a rule file, located on the offending value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleError {
    /// 1-based line and column of the start of `span`.
    pub line: usize,
    pub col: usize,
    /// Byte range in the file's text.
    pub span: Range<usize>,
    pub message: String,
    /// What to do about it.
    pub help: Option<String>,
}

/// A rule file that could not be used (or used only in part).
#[derive(Debug, Clone)]
pub struct Problem {
    pub file: PathBuf,
    pub source: SourceKind,
    pub errors: Vec<RuleError>,
    /// The errors rendered for people: <file:line:col>, the line, a caret.
    pub rendered: String,
    /// Not worth a line in a diagnosis (`rules list` and `lint` still show
    /// it): the user's rules directory belongs to another user or cannot
    /// be looked into, as with `HOME=/root` for another user, or HOME kept
    /// by sudo. ssh's `StrictModes` skips such a directory without a word to
    /// the client.
    pub quiet: bool,
}

impl Problem {
    /// One line for the shim's single warning.
    #[must_use]
    pub fn one_line(&self) -> String {
        let first = self.errors.first();
        let flat = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
        format!(
            "skipped rules from {}: {} error{}{}; run 'bwrap-doctor rules lint' for details",
            self.file.display(),
            self.errors.len(),
            if self.errors.len() == 1 { "" } else { "s" },
            first.map_or(String::new(), |e| if e.line == 0 {
                format!(" ({})", flat(&e.message))
            } else {
                format!(" (first at {}:{}: {})", e.line, e.col, flat(&e.message))
            }),
        )
    }
}

/// What one file yields.
#[derive(Debug, Default)]
pub struct FileRules {
    pub rules: Vec<Rule>,
    /// `[[disable]]` entries: the id and where it was said.
    pub disables: Vec<(String, Origin)>,
}

/// Where to load rules from.
#[derive(Debug, Clone, Default)]
pub struct Locations {
    pub builtin: bool,
    pub system_dir: Option<PathBuf>,
    pub user_dir: Option<PathBuf>,
    pub env_files: Vec<PathBuf>,
    /// Hold the directories and files to ssh's `StrictModes` (who owns them,
    /// who may write them): true for the standard locations a run reads,
    /// false for locations a program or test names itself.
    pub strict_modes: bool,
}

pub const SYSTEM_DIR: &str = "/etc/bwrap-doctor/rules.d";
pub const ENV_VAR: &str = "BWRAP_DOCTOR_RULES";

impl Locations {
    #[must_use]
    pub fn builtin_only() -> Locations {
        Locations {
            builtin: true,
            ..Locations::default()
        }
    }
}

/// The built-in rule files: (path shown to people, content). Every
/// `rules/*.toml` of the source tree, listed by build.rs at build time.
#[must_use]
pub fn builtin_files() -> &'static [(&'static str, &'static str)] {
    include!(concat!(env!("OUT_DIR"), "/builtin_rules.rs"))
}

/// Parse and validate one file. `file` is the path as shown to people.
/// Built-in files are held to the project's standard (every rule has a
/// positive and a negative example). `[[disable]]` ids are checked by
/// `load`, which knows what was loaded before.
pub fn parse(source: SourceKind, file: &Path, text: &str) -> Result<FileRules, Vec<RuleError>> {
    let c = validate::check(source, file, text, validate::Mode::default());
    if !c.errors.is_empty() {
        return Err(c.errors);
    }
    Ok(FileRules {
        rules: c.rules,
        disables: c.disables.into_iter().map(|d| (d.id, d.origin)).collect(),
    })
}

/// Load every source in order; a broken file is skipped and reported in
/// `RuleSet::problems`, never fatal.
#[must_use]
pub fn load(loc: &Locations) -> RuleSet {
    load_from(loc, builtin_files())
}

/// [`load`] with another set of built-in files.
pub(crate) fn load_from(
    loc: &Locations,
    builtin: &'static [(&'static str, &'static str)],
) -> RuleSet {
    load::run(load::inputs(loc, builtin), validate::Mode::default()).set
}

/// Render errors with <file:line:col> and a caret under the value.
#[must_use]
pub fn render_errors(file: &Path, text: &str, errors: &[RuleError], color: bool) -> String {
    render::render(file, text, errors, &[], color)
}

/// A rule file with one rule that has only the required keys.
#[cfg(test)]
pub(crate) fn minimal_rule(id: &str, patterns: &str) -> String {
    format!(
        "[[rule]]\nid = \"{id}\"\ncause = \"other\"\nsummary = \"s\"\npatterns = {patterns}\nexplanation = \"e\"\n"
    )
}
