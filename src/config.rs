//! Settings without an environment: `/etc/bwrap-doctor/config.toml`, then
//! `$XDG_CONFIG_HOME/bwrap-doctor/config.toml` (`~/.config/…`), set what the
//! environment variables set; a variable that reaches the process wins over
//! both. Some callers start bwrap with an empty environment (Flatpak's icon
//! validator): there only the files speak, and the user's directories come
//! from the password database.
//!
//! | key | variable | |
//! | --- | --- | --- |
//! | `real_bwrap` | `BWRAP_DOCTOR_REAL_BWRAP` | absolute path of the real bwrap |
//! | `off` | `BWRAP_DOCTOR_OFF` | run the real bwrap in place |
//! | `json` | `BWRAP_DOCTOR_JSON` | where the shim writes the JSON diagnosis |
//! | `rules` | `BWRAP_DOCTOR_RULES` | more rule files |
//! | `no_color` | `NO_COLOR` | no color |
//! | `report` | `BWRAP_DOCTOR_REPORT` | `compact` (default) or `long` |
//!
//! The shim's success path needs only `off` and `real_bwrap`, and reads the
//! files only when their variables are absent ([`switches`]); everything
//! else is read after bwrap has failed ([`current`]). An elevated process
//! (setuid, setgid, file capabilities) reads none of it, and a file others
//! may write is refused, as the rule files are (ssh's `StrictModes`).

use bwrap_doctor_engine::rules::config_file::{self, FileValues};
use bwrap_doctor_engine::rules::{ENV_VAR, Locations, Problem, SYSTEM_DIR, SourceKind};
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

pub const SYSTEM_FILE: &str = "/etc/bwrap-doctor/config.toml";
/// `compact` (the default) or `long`: the shim's text after bwrap's error.
pub const REPORT_VAR: &str = "BWRAP_DOCTOR_REPORT";
/// Absolute path of the real bwrap; wins over PATH (see `shim::locate`).
pub const OVERRIDE_VAR: &str = "BWRAP_DOCTOR_REAL_BWRAP";
/// Set to anything but "" or "0": run the real bwrap in place, no
/// supervision (or `off = true` in the configuration file).
pub const OFF_VAR: &str = "BWRAP_DOCTOR_OFF";
/// Names where the shim writes the diagnosis as JSON: a file path, or
/// `fd:N` for an fd the caller passed.
pub const JSON_VAR: &str = "BWRAP_DOCTOR_JSON";
const RULES_VAR: &str = bwrap_doctor_engine::rules::ENV_VAR;

/// How much the shim says after bwrap's error.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Form {
    /// A few lines ending with the cause and the next step.
    #[default]
    Compact,
    /// The whole diagnosis.
    Long,
}

impl Form {
    fn parse(s: &str) -> Option<Form> {
        match s {
            "compact" | "short" => Some(Form::Compact),
            "long" | "full" => Some(Form::Long),
            _ => None,
        }
    }
}

/// This user's directories (XDG base directories).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Dirs {
    pub home: Option<PathBuf>,
    /// `$XDG_CONFIG_HOME` or `~/.config`.
    pub config: Option<PathBuf>,
    /// `$XDG_STATE_HOME` or `~/.local/state`.
    pub state: Option<PathBuf>,
}

/// The directories from the variables, with `home_from_passwd` for a
/// missing `HOME`. Relative values are ignored (XDG base directory spec).
pub fn dirs_from(
    var: impl Fn(&str) -> Option<OsString>,
    home_from_passwd: impl FnOnce() -> Option<PathBuf>,
) -> Dirs {
    let absolute = |k: &str| var(k).map(PathBuf::from).filter(|p| p.is_absolute());
    let home = absolute("HOME").or_else(home_from_passwd);
    Dirs {
        config: absolute("XDG_CONFIG_HOME").or_else(|| home.as_ref().map(|h| h.join(".config"))),
        state: absolute("XDG_STATE_HOME")
            .or_else(|| home.as_ref().map(|h| h.join(".local").join("state"))),
        home,
    }
}

/// This process's user's home from the password database (getpwuid), if
/// this user owns it (in a user namespace, uid 0 is not the /root of the
/// password database).
#[must_use]
pub fn passwd_home() -> Option<PathBuf> {
    use std::os::unix::fs::MetadataExt;
    let user = nix::unistd::User::from_uid(nix::unistd::getuid()).ok()??;
    let owner = std::fs::metadata(&user.dir).ok()?.uid();
    (user.dir.is_absolute() && owner == bwrap_doctor_engine::privilege::euid()).then_some(user.dir)
}

/// [`dirs_from`] for this process (none when elevated).
pub fn user_dirs() -> Dirs {
    if bwrap_doctor_engine::privilege::elevated() {
        return Dirs::default();
    }
    dirs_from(|k| std::env::var_os(k), passwd_home)
}

/// The configuration files, system first: (file, source kind).
#[must_use]
pub fn files(dirs: &Dirs) -> Vec<(PathBuf, SourceKind)> {
    let mut v = vec![(PathBuf::from(SYSTEM_FILE), SourceKind::System)];
    if let Some(c) = &dirs.config {
        v.push((c.join("bwrap-doctor").join("config.toml"), SourceKind::User));
    }
    v
}

/// What the files say, merged (a later file wins key by key), and the
/// files that could not be used.
#[derive(Debug, Default)]
pub struct FromFiles {
    pub values: FileValues,
    /// Files read, in order.
    pub read: Vec<PathBuf>,
    pub problems: Vec<Problem>,
}

/// The largest configuration file read.
const MAX_FILE_BYTES: u64 = 64 << 10;

/// Read `files`; a missing file is silently nothing.
#[must_use]
pub fn read_files(files: &[(PathBuf, SourceKind)]) -> FromFiles {
    let mut out = FromFiles::default();
    if bwrap_doctor_engine::privilege::elevated() {
        return out;
    }
    for (file, source) in files {
        match read_one(file, *source) {
            Ok(None) => {}
            Ok(Some(v)) => {
                out.read.push(file.clone());
                merge(&mut out.values, v);
            }
            Err(p) => out.problems.push(p),
        }
    }
    out
}

fn merge(into: &mut FileValues, v: FileValues) {
    macro_rules! take {
        ($($f:ident),*) => { $(if v.$f.is_some() { into.$f = v.$f; })* };
    }
    take!(real_bwrap, off, json, rules, no_color, report);
}

fn problem(
    file: &Path,
    source: SourceKind,
    text: &str,
    errors: Vec<bwrap_doctor_engine::rules::RuleError>,
) -> Problem {
    Problem {
        file: file.to_path_buf(),
        source,
        rendered: bwrap_doctor_engine::rules::render_errors(file, text, &errors, false),
        errors,
        quiet: false,
    }
}

fn read_one(file: &Path, source: SourceKind) -> Result<Option<FileValues>, Problem> {
    use std::io::Read;
    let whole = |message: String, help: &str| {
        vec![bwrap_doctor_engine::rules::RuleError {
            line: 0,
            col: 0,
            span: 0..0,
            message,
            help: Some(help.to_string()),
        }]
    };
    let f = match std::fs::File::open(file) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) if e.raw_os_error() == Some(libc::ENOTDIR) => return Ok(None),
        Err(e) => {
            let mut p = problem(
                file,
                source,
                "",
                whole(
                    format!("cannot read the configuration file {}: {e}", file.display()),
                    "make it readable by this user, or remove it; the defaults and the environment were used",
                ),
            );
            // Another user's home (HOME=/root under setpriv, runuser,
            // docker --user): skipped silently, as ssh's StrictModes would.
            p.quiet =
                source == SourceKind::User && e.kind() == std::io::ErrorKind::PermissionDenied;
            return Err(p);
        }
    };
    let meta = f.metadata().map_err(|e| {
        problem(
            file,
            source,
            "",
            whole(
                format!("cannot read {}: {e}", file.display()),
                "check the file",
            ),
        )
    })?;
    if let Some(why) =
        bwrap_doctor_engine::rules::untrusted(source, &meta, bwrap_doctor_engine::privilege::euid())
    {
        let help = match source {
            SourceKind::System => {
                "it sets the shim up for every user: make it root's and writable by root only (sudo chown root: FILE && sudo chmod go-w FILE); it was not used"
            }
            _ => "make it yours and writable by you only (chmod go-w FILE); it was not used",
        };
        let mut p = problem(
            file,
            source,
            "",
            whole(
                format!("not using the configuration file {}: {why}", file.display()),
                help,
            ),
        );
        p.quiet = source == SourceKind::User
            && std::os::unix::fs::MetadataExt::uid(&meta) != bwrap_doctor_engine::privilege::euid();
        return Err(p);
    }
    if !meta.is_file() || meta.len() > MAX_FILE_BYTES {
        return Err(problem(
            file,
            source,
            "",
            whole(
                format!(
                    "not using the configuration file {}: not a regular file of at most {} KiB",
                    file.display(),
                    MAX_FILE_BYTES >> 10
                ),
                "a configuration file holds a few `key = value` lines (see `bwrap-doctor --help`)",
            ),
        ));
    }
    let mut bytes = Vec::new();
    let _ = f.take(MAX_FILE_BYTES).read_to_end(&mut bytes);
    let text = String::from_utf8_lossy(&bytes).into_owned();
    config_file::parse(&text)
        .map(Some)
        .map_err(|errors| problem(file, source, &text, errors))
}

/// One line for a configuration file that was not used (the shim's single
/// warning); `bwrap-doctor check` shows each error with its caret.
#[must_use]
pub fn one_line(p: &Problem) -> String {
    let flat = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
    match p.errors.first() {
        Some(e) if e.line == 0 => format!("{}; `bwrap-doctor check` says more", flat(&e.message)),
        first => format!(
            "not using the configuration file {}: {} error{}{}; `bwrap-doctor check` shows where",
            p.file.display(),
            p.errors.len(),
            if p.errors.len() == 1 { "" } else { "s" },
            first.map_or(String::new(), |e| format!(
                " (first at {}:{}: {})",
                e.line,
                e.col,
                flat(&e.message)
            )),
        ),
    }
}

/// Everything the settings say, environment first.
#[derive(Debug, Default)]
pub struct Settings {
    pub real_bwrap: Option<OsString>,
    pub off: bool,
    pub json: Option<OsString>,
    pub rules: Vec<PathBuf>,
    pub no_color: bool,
    pub form: Form,
    /// Where each came from, for `check`: the files read.
    pub files_read: Vec<PathBuf>,
    pub problems: Vec<Problem>,
}

fn flag(v: &OsString) -> bool {
    !v.is_empty() && v != "0"
}

/// Resolve: a variable that is present wins; then the files; then the
/// defaults.
pub fn resolve(var: impl Fn(&str) -> Option<OsString>, files: FromFiles) -> Settings {
    let f = files.values;
    Settings {
        real_bwrap: var(OVERRIDE_VAR).or_else(|| f.real_bwrap.map(Into::into)),
        off: var(OFF_VAR).map_or(f.off.unwrap_or(false), |v| flag(&v)),
        json: var(JSON_VAR).or_else(|| f.json.map(Into::into)),
        rules: var(RULES_VAR).map_or_else(
            || f.rules.unwrap_or_default(),
            |v| {
                std::env::split_paths(&v)
                    .filter(|p| !p.as_os_str().is_empty())
                    .collect()
            },
        ),
        no_color: var("NO_COLOR").map_or(f.no_color.unwrap_or(false), |v| !v.is_empty()),
        form: var(REPORT_VAR)
            .and_then(|v| Form::parse(&v.to_string_lossy()))
            .or_else(|| f.report.as_deref().and_then(Form::parse))
            .unwrap_or_default(),
        files_read: files.read,
        problems: files.problems,
    }
}

/// The settings of this process, read once (the failure path and the CLI).
pub fn current() -> &'static Settings {
    static S: OnceLock<Settings> = OnceLock::new();
    S.get_or_init(|| {
        if bwrap_doctor_engine::privilege::elevated() {
            return Settings::default();
        }
        resolve(|k| std::env::var_os(k), read_files(&files(&user_dirs())))
    })
}

/// What the shim needs before bwrap runs: the off switch and the real
/// bwrap's path. The files are read only when a variable is absent, and
/// then once; a broken file counts as absent here (the failure path warns);
/// the user's file only when HOME (or `XDG_CONFIG_HOME`) says where it is.
#[derive(Debug, Clone, Default)]
pub struct Switches {
    pub off: bool,
    pub real_bwrap: Option<OsString>,
}

pub fn switches() -> &'static Switches {
    static S: OnceLock<Switches> = OnceLock::new();
    S.get_or_init(|| {
        let (off, real) = (std::env::var_os(OFF_VAR), std::env::var_os(OVERRIDE_VAR));
        if let (Some(off), Some(real)) = (&off, &real) {
            return Switches {
                off: flag(off),
                real_bwrap: Some(real.clone()),
            };
        }
        if bwrap_doctor_engine::privilege::elevated() {
            return Switches::default();
        }
        // Without HOME the user's file is left to the failure path: no
        // password database lookup before bwrap runs.
        let dirs = dirs_from(|k| std::env::var_os(k), || None);
        let s = resolve(|k| std::env::var_os(k), read_files(&files(&dirs)));
        Switches {
            off: s.off,
            real_bwrap: s.real_bwrap,
        }
    })
}

// Where the rules come from: the engine is given these paths; the
// environment and the configuration file are read here.

/// The built-in rules, then /etc/bwrap-doctor/rules.d, then
/// $XDG_CONFIG_HOME/bwrap-doctor/rules.d (~/.config/…), then the files
/// in `BWRAP_DOCTOR_RULES`.
/// Without the variable, the configuration file's `rules` stand for
/// it; without HOME, the user's directory comes from the password
/// database.
#[must_use]
pub fn rule_locations() -> Locations {
    let mut l = rule_locations_from_env(|k| std::env::var_os(k));
    if std::env::var_os(ENV_VAR).is_none() {
        l.env_files = current().rules.clone();
    }
    if l.user_dir.is_none() {
        l.user_dir = user_dirs()
            .config
            .map(|c| c.join("bwrap-doctor").join("rules.d"));
    }
    l
}

/// [`rule_locations`], reading the environment through `var`.
/// Per the XDG base directory spec, a relative `XDG_CONFIG_HOME` is
/// ignored; without `HOME` either there is no user directory.
pub fn rule_locations_from_env(var: impl Fn(&str) -> Option<OsString>) -> Locations {
    let absolute = |k: &str| var(k).map(PathBuf::from).filter(|p| p.is_absolute());
    let config =
        absolute("XDG_CONFIG_HOME").or_else(|| absolute("HOME").map(|h| h.join(".config")));
    let env_files = var(ENV_VAR)
        .map(|v| {
            std::env::split_paths(&v)
                .filter(|p| !p.as_os_str().is_empty())
                .collect()
        })
        .unwrap_or_default();
    Locations {
        builtin: true,
        system_dir: Some(PathBuf::from(SYSTEM_DIR)),
        user_dir: config.map(|c| c.join("bwrap-doctor").join("rules.d")),
        env_files,
        strict_modes: true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<OsString> {
        move |k| {
            pairs
                .iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| OsString::from(v))
        }
    }

    #[test]
    fn without_home_the_directories_come_from_the_password_database() {
        let d = dirs_from(env(&[]), || Some(PathBuf::from("/home/pw")));
        assert_eq!(d.config.as_deref(), Some(Path::new("/home/pw/.config")));
        assert_eq!(d.state.as_deref(), Some(Path::new("/home/pw/.local/state")));
        let d = dirs_from(
            env(&[
                ("HOME", "/h"),
                ("XDG_STATE_HOME", "/s"),
                ("XDG_CONFIG_HOME", "rel"),
            ]),
            || None,
        );
        assert_eq!(d.config.as_deref(), Some(Path::new("/h/.config")));
        assert_eq!(d.state.as_deref(), Some(Path::new("/s")));
    }

    #[test]
    fn variables_win_over_the_files_key_by_key() {
        let files = || FromFiles {
            values: FileValues {
                real_bwrap: Some("/opt/bwrap".into()),
                off: Some(true),
                json: Some("/tmp/d.json".into()),
                rules: Some(vec!["/r.toml".into()]),
                no_color: Some(true),
                report: Some("long".into()),
            },
            ..FromFiles::default()
        };
        let s = resolve(env(&[]), files());
        assert_eq!(
            s.real_bwrap.as_deref(),
            Some(std::ffi::OsStr::new("/opt/bwrap"))
        );
        assert!(s.off && s.no_color);
        assert_eq!(s.form, Form::Long);
        assert_eq!(s.rules, [PathBuf::from("/r.toml")]);
        let s = resolve(
            env(&[
                ("BWRAP_DOCTOR_OFF", "0"),
                ("BWRAP_DOCTOR_REPORT", "compact"),
                ("BWRAP_DOCTOR_RULES", "/a:/b"),
            ]),
            files(),
        );
        assert!(!s.off);
        assert_eq!(s.form, Form::Compact);
        assert_eq!(s.rules, [PathBuf::from("/a"), PathBuf::from("/b")]);
        let s = resolve(env(&[]), FromFiles::default());
        assert!(!s.off && s.real_bwrap.is_none() && s.form == Form::Compact);
    }

    #[test]
    fn standard_locations_follow_xdg_and_the_env_var() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |k: &str| {
                pairs
                    .iter()
                    .find(|(n, _)| *n == k)
                    .map(|(_, v)| OsString::from(v))
            }
        };
        let l = rule_locations_from_env(env(&[
            ("HOME", "/home/me"),
            ("BWRAP_DOCTOR_RULES", "/a.toml::rel/b.toml"),
        ]));
        assert!(l.builtin);
        assert_eq!(l.system_dir.as_deref(), Some(Path::new(SYSTEM_DIR)));
        assert_eq!(
            l.user_dir.as_deref(),
            Some(Path::new("/home/me/.config/bwrap-doctor/rules.d"))
        );
        assert_eq!(
            l.env_files,
            [PathBuf::from("/a.toml"), PathBuf::from("rel/b.toml")]
        );
        let l = rule_locations_from_env(env(&[("HOME", "/home/me"), ("XDG_CONFIG_HOME", "/cfg")]));
        assert_eq!(
            l.user_dir.as_deref(),
            Some(Path::new("/cfg/bwrap-doctor/rules.d"))
        );
        // A relative XDG_CONFIG_HOME is ignored (XDG base directory spec).
        let l = rule_locations_from_env(env(&[("HOME", "/home/me"), ("XDG_CONFIG_HOME", "cfg")]));
        assert_eq!(
            l.user_dir.as_deref(),
            Some(Path::new("/home/me/.config/bwrap-doctor/rules.d"))
        );
        assert_eq!(rule_locations_from_env(env(&[])).user_dir, None);
    }
}
