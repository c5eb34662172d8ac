//! `bwrap-doctor rules lint`: everything loading checks, plus what only a
//! review of the whole set can say — warnings (a pattern no example
//! exercises, a `yields_to` id nobody defines…) and, for the project's own
//! rules, that every rule carries a positive and a negative example.

use super::load::{self, FileResult};
use super::model::{SourceKind, Status};
use super::validate::Mode;
use super::{Locations, RuleError, builtin_files};
use std::borrow::Cow;
use std::path::PathBuf;

/// The lint of one input (a rule file, or a directory that could not be
/// read).
#[derive(Debug)]
pub struct FileLint {
    pub file: PathBuf,
    pub source: SourceKind,
    /// Rules the file defines (0 when it has errors: it would be skipped).
    pub rules: usize,
    pub errors: Vec<RuleError>,
    pub warnings: Vec<RuleError>,
    /// Errors, then warnings, rendered without color.
    pub rendered: String,
    text: Cow<'static, str>,
}

impl FileLint {
    /// The diagnostics again, with color if asked.
    #[must_use]
    pub fn render(&self, color: bool) -> String {
        super::render::render(&self.file, &self.text, &self.errors, &self.warnings, color)
    }
}

/// Every input's lint, in load order.
#[derive(Debug, Default)]
pub struct LintReport {
    pub files: Vec<FileLint>,
}

impl LintReport {
    #[must_use]
    pub fn error_count(&self) -> usize {
        self.files.iter().map(|f| f.errors.len()).sum()
    }

    #[must_use]
    pub fn warning_count(&self) -> usize {
        self.files.iter().map(|f| f.warnings.len()).sum()
    }

    /// No errors (warnings allowed).
    #[must_use]
    pub fn is_clean(&self) -> bool {
        self.error_count() == 0
    }

    /// Every file's diagnostics, then one summary line.
    #[must_use]
    pub fn render(&self, color: bool) -> String {
        let mut out = String::new();
        for f in &self.files {
            let r = f.render(color);
            if !r.is_empty() {
                out.push_str(&r);
                out.push('\n');
            }
        }
        let plural = |n: usize, w: &str| format!("{n} {w}{}", if n == 1 { "" } else { "s" });
        out.push_str(&format!(
            "{}, {}, {} in {}\n",
            plural(self.files.iter().map(|f| f.rules).sum(), "rule"),
            plural(self.error_count(), "error"),
            plural(self.warning_count(), "warning"),
            plural(self.files.len(), "file"),
        ));
        out
    }
}

/// Lint every source of `loc`. `project`: hold every file to the project's
/// standard (each rule has a positive and a negative example); the
/// built-in files always are.
#[must_use]
pub fn lint(loc: &Locations, project: bool) -> LintReport {
    lint_from(loc, builtin_files(), project)
}

pub(super) fn lint_from(
    loc: &Locations,
    builtin: &'static [(&'static str, &'static str)],
    project: bool,
) -> LintReport {
    let mode = Mode {
        project,
        lint: true,
    };
    let load::Run {
        set,
        mut files,
        metas,
    } = load::run(load::inputs(loc, builtin), mode);

    // `yields_to` must name rules in force by the end.
    for (loaded, (file_idx, meta)) in set.all.iter().zip(&metas) {
        if !matches!(loaded.status, Status::Active) {
            continue;
        }
        for (target, span) in &meta.yields_to {
            if set.get(target).is_some() {
                continue;
            }
            let disabled = set.all.iter().any(|l| &l.rule.id == target);
            let f: &mut FileResult = &mut files[*file_idx];
            let d = super::schema::Diags::new(&f.text);
            f.warnings.push(d.make(
                span.clone(),
                if disabled {
                    format!("`yields_to` names `{target}`, which is disabled")
                } else {
                    format!("`yields_to` names `{target}`, but no loaded rule has that id")
                },
                Some("this rule is reported as confirmed even when it should yield; check the id (`bwrap-doctor rules list`)".into()),
            ));
            f.warnings.sort_by_key(|w| w.span.start);
        }
    }

    LintReport {
        files: files
            .into_iter()
            .map(|f| FileLint {
                rendered: super::render::render(&f.file, &f.text, &f.errors, &f.warnings, false),
                file: f.file,
                source: f.source,
                rules: f.rules,
                errors: f.errors,
                warnings: f.warnings,
                text: f.text,
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_built_in_rules_lint_clean_in_project_mode() {
        let report = lint(&Locations::builtin_only(), true);
        assert!(report.is_clean(), "{}", report.render(false));
        assert_eq!(report.files.len(), builtin_files().len());
    }

    #[test]
    fn the_built_in_rules_are_the_files_under_rules() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("rules");
        let mut on_disk: Vec<String> = std::fs::read_dir(&dir)
            .unwrap()
            .filter_map(|e| {
                let name = e.ok()?.file_name().into_string().ok()?;
                (name.ends_with(".toml") && !name.starts_with('.')).then(|| format!("rules/{name}"))
            })
            .collect();
        on_disk.sort();
        let built: Vec<&str> = builtin_files().iter().map(|(n, _)| *n).collect();
        assert_eq!(built, on_disk);
        for (name, text) in builtin_files() {
            let disk = std::fs::read_to_string(dir.join(&name["rules/".len()..])).unwrap();
            assert_eq!(*text, disk, "{name} is compiled in as it is on disk");
        }
    }
}
