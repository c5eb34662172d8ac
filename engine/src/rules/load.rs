//! Sources in load order — built-in, system, user, `BWRAP_DOCTOR_RULES` —
//! and what a later source does to an earlier one's rules: replace by id,
//! disable by id. A file with any error is skipped whole and reported; it
//! never stops the other files.

use super::model::{Loaded, Origin, RuleSet, SourceKind, Status};
use super::schema::{Diags, closest};
use super::validate::{self, Checked, Mode, RuleMeta};
use super::{Locations, Problem, RuleError};
use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::io::ErrorKind;
use std::path::{Path, PathBuf};

/// One thing to load: a file's text, or why it could not be used.
pub(super) struct Input {
    pub source: SourceKind,
    /// As shown to people.
    pub file: PathBuf,
    /// What could be read (for a file that is not UTF-8, with the bad
    /// bytes replaced, so the error can show its line).
    pub text: Cow<'static, str>,
    /// Why the file cannot be used at all.
    pub error: Option<RuleError>,
    /// The error is not worth a line in a diagnosis ([`Problem::quiet`]).
    pub quiet: bool,
}

impl Input {
    fn read(source: SourceKind, file: PathBuf, strict: bool) -> Input {
        let (text, error) = match read_file(&file, source, strict) {
            Ok(text) => (text, None),
            Err((text, e)) => (text, Some(e)),
        };
        Input {
            source,
            file,
            text,
            error,
            quiet: false,
        }
    }
}

fn io_problem(message: String, help: &str) -> RuleError {
    RuleError {
        line: 0,
        col: 0,
        span: 0..0,
        message,
        help: Some(help.to_string()),
    }
}

/// Every input of `loc`, in load order.
pub(super) fn inputs(
    loc: &Locations,
    builtin: &'static [(&'static str, &'static str)],
) -> Vec<Input> {
    let mut v = Vec::new();
    if loc.builtin {
        v.extend(builtin.iter().map(|(name, text)| Input {
            source: SourceKind::Builtin,
            file: PathBuf::from(name),
            text: Cow::Borrowed(*text),
            error: None,
            quiet: false,
        }));
    }
    for (source, dir) in [
        (SourceKind::System, &loc.system_dir),
        (SourceKind::User, &loc.user_dir),
    ] {
        if let Some(dir) = dir {
            v.extend(dir_inputs(source, dir, loc.strict_modes));
        }
    }
    for f in &loc.env_files {
        v.push(Input::read(SourceKind::Env, f.clone(), loc.strict_modes));
    }
    v
}

/// The largest rule file read. The built-in rules are about 100 KiB; a
/// bigger file is most likely not a rule file (and would make every
/// failure slow to diagnose).
pub const MAX_FILE_BYTES: u64 = 8 << 20;

/// Who may own and write a rule source, as ssh's `StrictModes` has it: the
/// system directory and its files belong to root and only root writes
/// them; the user's belong to the user and nobody else writes them; files
/// named by `BWRAP_DOCTOR_RULES` belong to the user or root and nobody else
/// writes them. None when `meta` passes.
#[must_use]
pub fn untrusted(source: SourceKind, meta: &std::fs::Metadata, me: u32) -> Option<String> {
    use std::os::unix::fs::MetadataExt;
    let (owner, mode) = (meta.uid(), meta.mode());
    match source {
        SourceKind::Builtin => None,
        SourceKind::System if owner != 0 => Some(format!("it is owned by uid {owner}, not root")),
        SourceKind::System if mode & 0o022 != 0 => Some(format!(
            "it is writable by others than root (mode {:04o})",
            mode & 0o7777
        )),
        SourceKind::User if owner != me => Some(format!(
            "it is owned by uid {owner}, not by this user (uid {me})"
        )),
        SourceKind::Env if owner != me && owner != 0 => Some(format!(
            "it is owned by uid {owner}, neither this user (uid {me}) nor root"
        )),
        SourceKind::User | SourceKind::Env if mode & 0o002 != 0 => {
            Some(format!("anybody may write it (mode {:04o})", mode & 0o7777))
        }
        _ => None,
    }
}

fn strict_modes_help(source: SourceKind) -> &'static str {
    match source {
        SourceKind::System => {
            "rules there run for every user: make it root's and writable by root only (sudo chown root: PATH && sudo chmod go-w PATH); it was skipped"
        }
        _ => {
            "make it yours and writable by you only (chmod go-w PATH), or move the rules elsewhere; it was skipped"
        }
    }
}

use crate::privilege::euid as me;

/// The `*.toml` files of a directory, sorted by name. A missing directory
/// (or a path through something that is not one: `HOME=/dev/null`) has
/// none; one that cannot be listed, or that others may write, is a
/// problem. The user's directory when it belongs to another user, or
/// cannot be looked into, is a quiet one ([`Problem::quiet`]).
fn dir_inputs(source: SourceKind, dir: &Path, strict: bool) -> Vec<Input> {
    let user = source == SourceKind::User;
    match std::fs::metadata(dir) {
        Ok(meta) => {
            if let Some(why) = untrusted(source, &meta, me()).filter(|_| strict) {
                use std::os::unix::fs::MetadataExt;
                return vec![Input {
                    source,
                    file: dir.to_path_buf(),
                    text: Cow::Borrowed(""),
                    error: Some(io_problem(
                        format!("not using the rules directory {}: {why}", dir.display()),
                        strict_modes_help(source),
                    )),
                    quiet: user && meta.uid() != me(),
                }];
            }
        }
        Err(e) if e.kind() == ErrorKind::NotFound || e.raw_os_error() == Some(libc::ENOTDIR) => {
            return Vec::new();
        }
        Err(_) => {} // said below, when listing it
    }
    let problem = |e: std::io::Error| Input {
        source,
        file: dir.to_path_buf(),
        text: Cow::Borrowed(""),
        quiet: user && e.kind() == ErrorKind::PermissionDenied,
        error: Some(io_problem(
            format!("cannot read the rules directory {}: {e}", dir.display()),
            if e.kind() == ErrorKind::PermissionDenied {
                "make it readable by this user (chmod a+rx), or move the rules elsewhere; the other sources were loaded"
            } else {
                "check the path; the other sources were loaded"
            },
        )),
    };
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == ErrorKind::NotFound => return Vec::new(),
        Err(e) => return vec![problem(e)],
    };
    let mut names = Vec::new();
    for entry in entries {
        match entry {
            Ok(entry) => {
                let name = entry.file_name();
                let s = name.to_string_lossy();
                if s.ends_with(".toml") && !s.starts_with('.') {
                    names.push(name);
                }
            }
            Err(e) => return vec![problem(e)],
        }
    }
    names.sort();
    names
        .into_iter()
        .map(|n| Input::read(source, dir.join(n), strict))
        .collect()
}

enum ReadError {
    Io(std::io::Error),
    /// Too big, or others may write it.
    Refused(RuleError),
}

/// What a file that is not a regular file is, for people; None for a
/// regular file.
#[must_use]
pub fn not_regular(ft: std::fs::FileType) -> Option<&'static str> {
    use std::os::unix::fs::FileTypeExt;
    if ft.is_file() {
        None
    } else if ft.is_fifo() {
        Some("a FIFO (named pipe)")
    } else if ft.is_char_device() || ft.is_block_device() {
        Some("a device")
    } else if ft.is_socket() {
        Some("a socket")
    } else if ft.is_dir() {
        Some("a directory")
    } else {
        Some("not a regular file")
    }
}

/// A rule file that is a FIFO, a device or a socket: refused before it is
/// opened (opening a FIFO waits for a writer, a device may act on open).
fn refuse_special(path: &Path, what: &str, source: SourceKind) -> ReadError {
    ReadError::Refused(io_problem(
        format!(
            "not using rules file {}: it is {what}, not a regular file",
            path.display()
        ),
        if source == SourceKind::Env {
            "rule files are regular files: take it out of BWRAP_DOCTOR_RULES, or replace it with a regular file; it was skipped"
        } else {
            "rule files are regular files: remove it or replace it with a regular file; it was skipped"
        },
    ))
}

/// Check what the path is (a FIFO, a device, a socket is refused without
/// being opened), open it without blocking, check the open file (type,
/// owner, mode, size: no race with a rename), then read it.
fn read_checked(path: &Path, source: SourceKind, strict: bool) -> Result<Vec<u8>, ReadError> {
    use std::io::Read;
    use std::os::unix::fs::OpenOptionsExt;
    let special = |ft: std::fs::FileType| not_regular(ft).filter(|_| !ft.is_dir());
    let before = std::fs::metadata(path).map_err(ReadError::Io)?;
    if let Some(what) = special(before.file_type()) {
        return Err(refuse_special(path, what, source));
    }
    if before.is_dir() {
        return Err(ReadError::Io(std::io::Error::from_raw_os_error(
            libc::EISDIR,
        )));
    }
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY | libc::O_CLOEXEC)
        .open(path)
        .map_err(ReadError::Io)?;
    let meta = file.metadata().map_err(ReadError::Io)?;
    if let Some(what) = not_regular(meta.file_type()) {
        return Err(refuse_special(path, what, source));
    }
    if let Some(why) = untrusted(source, &meta, me()).filter(|_| strict) {
        return Err(ReadError::Refused(io_problem(
            format!("not using rules file {}: {why}", path.display()),
            strict_modes_help(source),
        )));
    }
    if meta.len() > MAX_FILE_BYTES {
        return Err(ReadError::Refused(io_problem(
            format!(
                "not using rules file {}: it is {:.1} MiB, and rule files may be at most {} MiB",
                path.display(),
                meta.len() as f64 / (1u64 << 20) as f64,
                MAX_FILE_BYTES >> 20
            ),
            "is it a rule file? Split a big set of rules into several files in the rules directory",
        )));
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    file.take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(ReadError::Io)?;
    Ok(bytes)
}

/// A file's text; on failure, what could be read and the error.
fn read_file(
    path: &Path,
    source: SourceKind,
    strict: bool,
) -> Result<Cow<'static, str>, (Cow<'static, str>, RuleError)> {
    let bytes = read_checked(path, source, strict).map_err(|e| {
        let e = match e {
            ReadError::Refused(refused) => return (Cow::Borrowed(""), refused),
            ReadError::Io(e) => e,
        };
        let help = match e.kind() {
            ErrorKind::PermissionDenied => {
                "make it readable by this user (chmod a+r); the other files were loaded"
            }
            ErrorKind::NotFound if source == SourceKind::Env => {
                "BWRAP_DOCTOR_RULES names it: fix the path or take it out of the variable"
            }
            ErrorKind::IsADirectory if source == SourceKind::Env => {
                "BWRAP_DOCTOR_RULES lists rule files, not directories (separate several with `:`)"
            }
            _ => "check the path; the other files were loaded",
        };
        let e = io_problem(
            format!("cannot read rules file {}: {e}", path.display()),
            help,
        );
        (Cow::Borrowed(""), e)
    })?;
    match String::from_utf8(bytes) {
        Ok(text) => Ok(Cow::Owned(text)),
        Err(e) => {
            // The text up to the bad byte is as written; point at it.
            let at = e.utf8_error().valid_up_to();
            let byte = e.as_bytes()[at];
            let text = String::from_utf8_lossy(e.as_bytes()).into_owned();
            let err = Diags::new(&text).make(
                at..at + '\u{fffd}'.len_utf8(),
                format!("rules file is not UTF-8: byte 0x{byte:02x} at offset {at}"),
                Some("save the file as UTF-8".into()),
            );
            Err((Cow::Owned(text), err))
        }
    }
}

/// What happened to one input.
pub(super) struct FileResult {
    pub source: SourceKind,
    pub quiet: bool,
    pub file: PathBuf,
    pub text: Cow<'static, str>,
    pub rules: usize,
    pub errors: Vec<RuleError>,
    pub warnings: Vec<RuleError>,
}

/// Everything a run gives: the rule set, each input's result, and for
/// each loaded rule (parallel to `set.all`) its file and spans.
pub(super) struct Run {
    pub set: RuleSet,
    pub files: Vec<FileResult>,
    pub metas: Vec<(usize, RuleMeta)>,
}

/// Load `inputs` in order.
pub(super) fn run(inputs: Vec<Input>, mode: Mode) -> Run {
    let mut set = RuleSet::default();
    let mut files: Vec<FileResult> = Vec::new();
    let mut metas: Vec<(usize, RuleMeta)> = Vec::new();
    // The active rule of each id (index in set.all), and every id loaded.
    let mut active: HashMap<String, usize> = HashMap::new();
    let mut ever: HashSet<String> = HashSet::new();
    // Ids defined by the current source, and where.
    let mut in_source: HashMap<String, Origin> = HashMap::new();
    let mut current = None;

    for input in inputs {
        if current != Some(input.source) {
            current = Some(input.source);
            in_source.clear();
        }
        let text = input.text;
        if let Some(e) = input.error {
            files.push(FileResult {
                source: input.source,
                quiet: input.quiet,
                file: input.file,
                text,
                rules: 0,
                errors: vec![e],
                warnings: Vec::new(),
            });
            continue;
        }
        let Checked {
            rules,
            meta,
            disables,
            mut errors,
            warnings,
        } = validate::check(input.source, &input.file, &text, mode);

        if errors.is_empty() {
            let mut d: Option<Diags<'_>> = None;
            for (rule, m) in rules.iter().zip(&meta) {
                if let Some(first) = in_source.get(&rule.id) {
                    let d = d.get_or_insert_with(|| Diags::new(&text));
                    errors.push(d.make(
                        m.id_span.clone(),
                        format!("rule id `{}` is already defined by {first}", rule.id),
                        Some(format!(
                            "ids are unique within one source ({}); to replace a rule, define it again in a later source (system, then user, then BWRAP_DOCTOR_RULES)",
                            input.source.label()
                        )),
                    ));
                }
            }
            for dis in &disables {
                if !ever.contains(&dis.id) {
                    let d = d.get_or_insert_with(|| Diags::new(&text));
                    let mut help = "[[disable]] turns off a rule loaded before this file (built-in, then system, then user, then BWRAP_DOCTOR_RULES); `bwrap-doctor rules list` shows their ids".to_string();
                    if let Some(best) = closest(&dis.id, ever.iter().map(String::as_str)) {
                        help = format!("did you mean `{best}`? {help}");
                    }
                    errors.push(d.make(
                        dis.span.clone(),
                        format!("[[disable]] names `{}`, but no rule loaded before this file has that id", dis.id),
                        Some(help),
                    ));
                }
            }
            errors.sort_by_key(|e| e.span.start);
        }

        let file_idx = files.len();
        let count = rules.len();
        if errors.is_empty() {
            for dis in disables {
                if let Some(i) = active.remove(&dis.id) {
                    set.all[i].status = Status::Disabled { by: dis.origin };
                }
            }
            for (rule, m) in rules.into_iter().zip(meta) {
                if let Some(i) = active.get(&rule.id) {
                    set.all[*i].status = Status::Overridden {
                        by: rule.origin.clone(),
                    };
                }
                in_source.insert(rule.id.clone(), rule.origin.clone());
                ever.insert(rule.id.clone());
                active.insert(rule.id.clone(), set.all.len());
                set.all.push(Loaded {
                    rule,
                    status: Status::Active,
                });
                metas.push((file_idx, m));
            }
        }
        files.push(FileResult {
            source: input.source,
            quiet: false,
            file: input.file,
            text,
            rules: if errors.is_empty() { count } else { 0 },
            errors,
            warnings,
        });
    }

    for f in &files {
        if !f.errors.is_empty() {
            set.problems.push(Problem {
                file: f.file.clone(),
                source: f.source,
                errors: f.errors.clone(),
                rendered: super::render::render(&f.file, &f.text, &f.errors, &[], false),
                quiet: f.quiet,
            });
        }
    }
    Run { set, files, metas }
}

#[cfg(test)]
mod tests {

    #[test]
    fn strict_modes_trust_root_for_the_system_and_the_owner_for_the_user() {
        use std::os::unix::fs::PermissionsExt;
        let dir = std::env::temp_dir().join(format!("bwd-strict-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let f = dir.join("r.toml");
        std::fs::write(&f, "").unwrap();
        let me = me();
        let check = |source, mode: u32| {
            std::fs::set_permissions(&f, std::fs::Permissions::from_mode(mode)).unwrap();
            untrusted(source, &std::fs::metadata(&f).unwrap(), me)
        };
        assert_eq!(check(SourceKind::User, 0o644), None);
        assert_eq!(check(SourceKind::User, 0o664), None);
        assert_eq!(
            check(SourceKind::User, 0o646).as_deref(),
            Some("anybody may write it (mode 0646)")
        );
        assert_eq!(check(SourceKind::Env, 0o600), None);
        assert_eq!(check(SourceKind::Builtin, 0o666), None);
        if me == 0 {
            assert_eq!(check(SourceKind::System, 0o644), None);
            assert_eq!(
                check(SourceKind::System, 0o664).as_deref(),
                Some("it is writable by others than root (mode 0664)")
            );
        } else {
            assert_eq!(
                check(SourceKind::System, 0o644),
                Some(format!("it is owned by uid {me}, not root"))
            );
        }
        let _ = std::fs::remove_dir_all(&dir);
    }

    use super::*;
    use crate::rules::load_from;

    const A: &str = r#"
[[rule]]
id = "a.one"
cause = "other"
summary = "A one"
patterns = ['^one$']
explanation = "x"
[[rule.example]]
stderr = "bwrap: one\n"
expect = "confirmed"
[[rule.example]]
stderr = "bwrap: two\n"
expect = "no-match"

[[rule]]
id = "a.two"
cause = "other"
summary = "A two"
patterns = ['^two$']
explanation = "x"
[[rule.example]]
stderr = "bwrap: two\n"
expect = "confirmed"
[[rule.example]]
stderr = "bwrap: one\n"
expect = "no-match"
"#;

    /// A scratch directory under the temporary directory, removed when the
    /// test ends (passed or failed).
    struct Scratch(PathBuf);

    impl std::ops::Deref for Scratch {
        type Target = PathBuf;
        fn deref(&self) -> &PathBuf {
            &self.0
        }
    }

    impl Drop for Scratch {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    fn tmp(name: &str) -> Scratch {
        let d = std::env::temp_dir().join(format!("bwd-load-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        Scratch(d)
    }

    fn status(set: &RuleSet, id: &str) -> Vec<String> {
        set.all
            .iter()
            .filter(|l| l.rule.id == id)
            .map(|l| match &l.status {
                Status::Active => format!("active {}", l.rule.origin),
                Status::Overridden { by } => format!("overridden by {by}"),
                Status::Disabled { by } => format!("disabled by {by}"),
            })
            .collect()
    }

    const BUILTIN: &[(&str, &str)] = &[("rules/a.toml", A)];

    #[test]
    fn later_source_replaces_a_rule_by_id_and_disables_by_id() {
        let sys = tmp("override-sys");
        let user = tmp("override-user");
        std::fs::write(
            sys.join("10-x.toml"),
            "[[rule]]\nid = \"a.one\"\ncause = \"other\"\nsummary = \"sys one\"\npatterns = ['^one$']\nexplanation = \"x\"\n",
        )
        .unwrap();
        std::fs::write(
            user.join("off.toml"),
            "[[disable]]\nid = \"a.two\"\nreason = \"noisy\"\n",
        )
        .unwrap();
        let loc = Locations {
            builtin: true,
            system_dir: Some(sys.clone()),
            user_dir: Some(user.clone()),
            env_files: vec![],
            strict_modes: false,
        };
        let set = load_from(&loc, BUILTIN);
        assert!(set.problems.is_empty(), "{:?}", set.problems);
        let sys_file = sys.join("10-x.toml");
        assert_eq!(
            status(&set, "a.one"),
            [
                format!("overridden by {}:1", sys_file.display()),
                format!("active {}:1", sys_file.display()),
            ]
        );
        assert_eq!(
            status(&set, "a.two"),
            [format!("disabled by {}:1", user.join("off.toml").display())]
        );
        assert_eq!(set.get("a.one").unwrap().summary, "sys one");
        assert!(set.get("a.two").is_none());
    }

    #[test]
    fn disabling_an_unknown_id_is_a_problem_pointing_at_the_id() {
        let dir = tmp("unknown-disable");
        let f = dir.join("x.toml");
        std::fs::write(&f, "[[disable]]\nid = \"a.tow\"\n").unwrap();
        let loc = Locations {
            builtin: true,
            env_files: vec![f.clone()],
            ..Locations::default()
        };
        let set = load_from(&loc, BUILTIN);
        assert_eq!(set.problems.len(), 1);
        let e = &set.problems[0].errors[0];
        assert_eq!((e.line, e.col), (2, 6));
        assert!(e.message.contains("`a.tow`"), "{}", e.message);
        assert!(e.help.as_deref().unwrap().contains("did you mean `a.two`?"));
        assert!(
            set.get("a.two").is_some(),
            "the broken file disabled nothing"
        );
    }

    #[test]
    fn a_duplicate_id_across_files_of_one_source_is_a_problem() {
        let dir = tmp("dup-source");
        let rule = crate::rules::minimal_rule("u.x", "['x']");
        std::fs::write(dir.join("a.toml"), &rule).unwrap();
        std::fs::write(dir.join("b.toml"), &rule).unwrap();
        let loc = Locations {
            user_dir: Some(dir.clone()),
            ..Locations::default()
        };
        let set = load_from(&loc, &[]);
        assert_eq!(set.problems.len(), 1);
        assert_eq!(set.problems[0].file, dir.join("b.toml"));
        assert!(set.problems[0].errors[0].message.contains(&format!(
            "already defined by {}:1",
            dir.join("a.toml").display()
        )));
        assert_eq!(set.active().count(), 1);
    }

    #[test]
    fn missing_directories_load_nothing_and_say_nothing() {
        let loc = Locations {
            system_dir: Some(PathBuf::from("/nonexistent/bwrap-doctor/rules.d")),
            user_dir: Some(PathBuf::from("/nonexistent/user/rules.d")),
            ..Locations::default()
        };
        let set = load_from(&loc, &[]);
        assert!(set.all.is_empty() && set.problems.is_empty());
    }

    #[test]
    fn a_rules_directory_that_is_a_file_is_a_problem_not_a_crash() {
        let dir = tmp("notdir");
        let f = dir.join("rules.d");
        std::fs::write(&f, "").unwrap();
        let loc = Locations {
            system_dir: Some(f.clone()),
            ..Locations::default()
        };
        let set = load_from(&loc, &[]);
        assert_eq!(set.problems.len(), 1, "{:?}", set.problems);
        assert!(
            set.problems[0]
                .one_line()
                .contains("cannot read the rules directory")
        );
        assert!(!set.problems[0].one_line().contains('\n'));
    }

    #[test]
    fn only_toml_files_are_read_in_name_order() {
        let dir = tmp("order");
        let rule = |id: &str| crate::rules::minimal_rule(id, "['x']");
        std::fs::write(dir.join("20-b.toml"), rule("b")).unwrap();
        std::fs::write(dir.join("10-a.toml"), rule("a")).unwrap();
        std::fs::write(dir.join("notes.txt"), "not toml").unwrap();
        std::fs::write(dir.join(".swap.toml"), "garbage [").unwrap();
        let loc = Locations {
            system_dir: Some(dir.to_path_buf()),
            ..Locations::default()
        };
        let set = load_from(&loc, &[]);
        assert!(set.problems.is_empty(), "{:?}", set.problems);
        let ids: Vec<_> = set.all.iter().map(|l| l.rule.id.as_str()).collect();
        assert_eq!(ids, ["a", "b"]);
    }
}
