//! Parsing `config.toml` (read by the `bwrap-doctor` binary) with the rule files'
//! strictness: every unknown key, wrong type or bad value is an error at
//! <file:line:col>, rendered like the rule loader's errors.

use super::RuleError;
use super::schema::{Diags, Table};
use std::path::PathBuf;

/// The keys of a configuration file.
pub const KEYS: &[&str] = &["real_bwrap", "off", "json", "rules", "no_color", "report"];

/// What one file sets (None: not set there).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FileValues {
    pub real_bwrap: Option<PathBuf>,
    pub off: Option<bool>,
    pub json: Option<String>,
    pub rules: Option<Vec<PathBuf>>,
    pub no_color: Option<bool>,
    /// `compact` or `long`.
    pub report: Option<String>,
}

/// Parse one file's text; all errors, or the values.
pub fn parse(text: &str) -> Result<FileValues, Vec<RuleError>> {
    let mut d = Diags::new(text);
    let Some(root) = d.parse("fix the syntax; nothing in this file was used") else {
        return Err(d.errors);
    };
    let mut v = FileValues::default();
    if let Some(t) = Table::open(&mut d, &root, "the configuration file", KEYS) {
        if let Some(s) = t.string(&mut d, "real_bwrap") {
            let p = PathBuf::from(s.text);
            if p.is_absolute() {
                v.real_bwrap = Some(p);
            } else {
                d.error(
                    s.span,
                    format!("`real_bwrap` must be an absolute path, found {:?}", s.text),
                    Some("write the full path of the real bubblewrap, e.g. real_bwrap = \"/usr/bin/bwrap\"".into()),
                );
            }
        }
        v.off = t.boolean(&mut d, "off");
        if let Some(s) = t.string(&mut d, "json") {
            if s.text.is_empty() || s.text.starts_with("fd:") {
                d.error(
                    s.span,
                    format!("`json` must be a file path, found {:?}", s.text),
                    Some("e.g. json = \"/run/user/1000/bwrap-doctor.json\"; a descriptor (fd:N) is named by the caller, in BWRAP_DOCTOR_JSON".into()),
                );
            } else {
                v.json = Some(s.text.to_string());
            }
        }
        if let Some((items, _)) = t.strings(&mut d, "rules") {
            v.rules = Some(items.iter().map(|s| PathBuf::from(s.text)).collect());
        }
        v.no_color = t.boolean(&mut d, "no_color");
        if let Some(s) = t.string(&mut d, "report") {
            match s.text {
                "compact" | "long" => v.report = Some(s.text.to_string()),
                other => d.error(
                    s.span,
                    format!("`report` must be \"compact\" or \"long\", found {other:?}"),
                    Some("\"compact\": a few lines after bwrap's error (the default); \"long\": the whole diagnosis".into()),
                ),
            }
        }
    }
    if d.errors.is_empty() {
        Ok(v)
    } else {
        d.errors.sort_by_key(|e| e.span.start);
        Err(d.errors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_is_read() {
        let v = parse(
            "real_bwrap = \"/usr/bin/bwrap\"\noff = true\njson = \"/tmp/d.json\"\nrules = [\"/a.toml\"]\nno_color = true\nreport = \"long\"\n",
        )
        .unwrap();
        assert_eq!(
            v.real_bwrap.as_deref(),
            Some(std::path::Path::new("/usr/bin/bwrap"))
        );
        assert_eq!(v.off, Some(true));
        assert_eq!(v.json.as_deref(), Some("/tmp/d.json"));
        assert_eq!(v.rules, Some(vec![PathBuf::from("/a.toml")]));
        assert_eq!(v.no_color, Some(true));
        assert_eq!(v.report.as_deref(), Some("long"));
        assert_eq!(parse("").unwrap(), FileValues::default());
    }

    #[test]
    fn errors_point_at_line_and_column() {
        let e = parse("off = true\nreprot = \"long\"\n").unwrap_err();
        assert_eq!((e[0].line, e[0].col), (2, 1));
        assert!(
            e[0].message.contains("unknown key `reprot`"),
            "{}",
            e[0].message
        );
        assert!(
            e[0].help
                .as_deref()
                .unwrap()
                .contains("did you mean `report`?")
        );
        let e = parse("off = \"yes\"\nreal_bwrap = \"bwrap\"\nreport = \"short\"\n").unwrap_err();
        let at: Vec<_> = e.iter().map(|e| (e.line, e.col)).collect();
        assert_eq!(at, [(1, 7), (2, 14), (3, 10)]);
        let e = parse("off = \n").unwrap_err();
        assert!(e[0].message.starts_with("invalid TOML"), "{}", e[0].message);
    }
}
