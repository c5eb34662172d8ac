//! Rules as the engine uses them: validated, with compiled patterns, and
//! each item pointing back at the file and line it came from.

use crate::cause::Cause;
use crate::facts::Obs;
use regex::Regex;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::PathBuf;

/// Where rules come from, in load order: later sources add rules, replace
/// a rule by id, or disable one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum SourceKind {
    /// `rules/*.toml`, compiled into the binary.
    Builtin,
    /// `/etc/bwrap-doctor/rules.d/*.toml`.
    System,
    /// `$XDG_CONFIG_HOME/bwrap-doctor/rules.d/*.toml`.
    User,
    /// Files named by `BWRAP_DOCTOR_RULES` (colon-separated).
    Env,
}

impl SourceKind {
    #[must_use]
    pub fn label(self) -> &'static str {
        match self {
            SourceKind::Builtin => "built-in",
            SourceKind::System => "system",
            SourceKind::User => "user",
            SourceKind::Env => "BWRAP_DOCTOR_RULES",
        }
    }
}

/// A place in a rule file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    pub source: SourceKind,
    /// The file as shown to people: `rules/userns.toml` for built-in rules,
    /// the full path otherwise.
    pub file: PathBuf,
    /// 1-based.
    pub line: usize,
}

impl std::fmt::Display for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.file.display(), self.line)
    }
}

/// A test on one fact.
#[derive(Debug, Clone)]
pub enum Test {
    Equals(Value),
    NotEquals(Value),
    /// The value is one of these.
    In(Vec<Value>),
    NotIn(Vec<Value>),
    /// A string value matches this regex.
    Matches(Regex),
    /// `true`: the fact is there (seen); `false`: it is absent.
    Exists(bool),
    /// A list contains this value, or a string contains this text.
    Contains(Value),
    /// The opposite of `Contains`; holds for an absent fact.
    NotContains(Value),
    /// A list lacks at least one of these values (the opposite of containing
    /// them all); holds for an absent fact.
    NotContainsAll(Vec<Value>),
    /// A list is empty (`true`) or not (`false`).
    Empty(bool),
    /// Integer comparisons.
    GreaterThan(i64),
    LessThan(i64),
}

/// One condition of a rule: a fact and a test on it.
#[derive(Debug, Clone)]
pub struct Condition {
    /// The fact key, possibly with `{capture}` placeholders
    /// (`path.first_symlink:{dest}`).
    pub fact: String,
    /// An object-valued fact's field to test, e.g. `step` of an experiment.
    pub field: Option<String>,
    pub test: Test,
    /// Name under which the observed value is available to texts.
    pub alias: Option<String>,
    /// What the condition means, for the evidence list (optional).
    pub describe: Option<String>,
    /// Whether failing rules the cause out (`refutes = true`, the default).
    /// `refutes = false` (only in `[[rule.confirm]]`): the condition is
    /// needed to confirm, but its failing leaves the rule unconfirmed: the
    /// fact separates this mechanism from another that prints the same
    /// message without ruling this one out.
    pub refutes: bool,
    pub origin: Origin,
}

/// How wide a fix's effect is: narrow fixes are offered first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Scope {
    /// This bwrap, this program, this call.
    Narrow,
    /// This user or this container.
    Local,
    /// The whole host (a sysctl…): said with its trade-off.
    HostWide,
}

impl Scope {
    pub const ALL: [Scope; 3] = [Scope::Narrow, Scope::Local, Scope::HostWide];
    /// As rule files and reports write it.
    #[must_use]
    pub fn label(self) -> &'static str {
        match self {
            Scope::Narrow => "narrow",
            Scope::Local => "local",
            Scope::HostWide => "host-wide",
        }
    }
}

#[derive(Debug, Clone)]
pub struct Fix {
    pub title: String,
    /// Commands or file content to run/write, templated.
    pub commands: Option<String>,
    pub scope: Scope,
    /// Required for host-wide fixes: what it costs.
    pub tradeoff: Option<String>,
    /// Offer only when these hold (e.g. the distribution).
    pub when: Vec<Condition>,
    pub origin: Origin,
}

/// What a rule's own example expects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expect {
    Confirmed,
    Refuted,
    Unconfirmed,
    /// The rule's patterns do not match the example's stderr.
    NoMatch,
}

impl Expect {
    #[must_use]
    pub fn is_positive(self) -> bool {
        self == Expect::Confirmed
    }
    #[must_use]
    pub fn label(self) -> &'static str {
        match self {
            Expect::Confirmed => "confirmed",
            Expect::Refuted => "refuted",
            Expect::Unconfirmed => "unconfirmed",
            Expect::NoMatch => "no-match",
        }
    }
}

#[derive(Debug, Clone)]
pub struct Example {
    pub name: String,
    pub stderr: String,
    /// bwrap's arguments (after `argv[0]`), when the rule asks about them.
    pub argv: Option<Vec<String>>,
    pub facts: BTreeMap<String, Obs>,
    pub expect: Expect,
    pub origin: Origin,
}

/// A rule's regexes, compiled when its file loads or, for the built-in
/// rules outside `rules lint` (which checks them all), when first used: a
/// failure's diagnosis then compiles only the rules it tries (the stage
/// rules only when no specific rule stands), not all of them.
#[derive(Debug, Clone)]
pub struct Patterns {
    texts: Vec<String>,
    compiled: std::sync::OnceLock<Vec<Regex>>,
}

impl Patterns {
    /// Regexes already compiled (and checked) by the loader.
    #[must_use]
    pub fn compiled(regexes: Vec<Regex>) -> Patterns {
        let texts = regexes.iter().map(|r| r.as_str().to_string()).collect();
        Patterns {
            texts,
            compiled: std::sync::OnceLock::from(regexes),
        }
    }

    /// Built-in patterns, compiled on first use. They are checked by
    /// `rules lint` in the project's tests; one that does not compile is
    /// left out rather than failing a diagnosis.
    #[must_use]
    pub fn deferred(texts: Vec<String>) -> Patterns {
        Patterns {
            texts,
            compiled: std::sync::OnceLock::new(),
        }
    }

    fn get(&self) -> &Vec<Regex> {
        self.compiled.get_or_init(|| {
            self.texts
                .iter()
                .filter_map(|t| super::validate::pattern(t, false).ok())
                .collect()
        })
    }
}

impl std::ops::Deref for Patterns {
    type Target = [Regex];
    fn deref(&self) -> &[Regex] {
        self.get()
    }
}

impl std::ops::DerefMut for Patterns {
    fn deref_mut(&mut self) -> &mut [Regex] {
        self.get();
        self.compiled
            .get_mut()
            .map_or(&mut [], |v| v.as_mut_slice())
    }
}

#[derive(Debug, Clone)]
pub struct Rule {
    pub id: String,
    pub cause: Cause,
    /// The cause in one sentence (templated).
    pub summary: String,
    /// Regexes on bwrap's message (the text after `bwrap: `); named groups
    /// become captures usable in facts and texts.
    pub patterns: Patterns,
    /// A message any of these match is not this rule's, even when a pattern
    /// matches it (a more specific rule covers it).
    pub except: Patterns,
    /// All must hold for the rule to be confirmed.
    pub confirm: Vec<Condition>,
    /// Why it happens (templated).
    pub explanation: String,
    /// Narrowest first.
    pub fixes: Vec<Fix>,
    pub examples: Vec<Example>,
    /// Rules that name the same cause more precisely: when one of these is
    /// confirmed, this one is not reported as confirmed too.
    pub yields_to: Vec<String>,
    /// A stage rule: the setup step it speaks for (one of [`STAGES`]). It
    /// names the step and what its errno means there, never a confirmed
    /// cause, and is heard only when no specific rule stands (see
    /// `diagnose`).
    pub stage: Option<String>,
    /// For a stage rule: the causes that can make this step fail so, most
    /// likely first.
    pub causes: Vec<Cause>,
    /// How likely this rule's cause is when its message is seen, by
    /// context: the first whose conditions all hold gives the weight. Orders
    /// unconfirmed candidates; never confirms.
    pub priors: Vec<Prior>,
    pub origin: Origin,
}

/// The setup steps of bwrap a stage rule may speak for (as in
/// rules/catalogue/steps.toml).
pub const STAGES: &[&str] = &[
    "args-parsing",
    "caps-setuid",
    "userns",
    "uid-gid-map",
    "second-userns",
    "netns-loopback",
    "proc-mount",
    "fs-mounts",
    "bind-remount",
    "exec",
    "files-dirs-symlinks",
    "pivot-root",
    "seccomp",
    "other",
];

/// One `[[rule.prior]]`: in the context its `when` describes, how often
/// (per cent) this rule's cause is the one behind its message.
#[derive(Debug, Clone)]
pub struct Prior {
    pub weight: u8,
    /// Only for bwrap messages this matches (all of the rule's, if unset).
    pub message: Option<Regex>,
    pub when: Vec<Condition>,
    /// Where the number comes from.
    pub source: String,
}

/// A rule as loaded, with what happened to it.
#[derive(Debug, Clone)]
pub enum Status {
    Active,
    /// Replaced by a rule with the same id from a later source.
    Overridden {
        by: Origin,
    },
    /// Disabled by a later source.
    Disabled {
        by: Origin,
    },
}

#[derive(Debug, Clone)]
pub struct Loaded {
    pub rule: Rule,
    pub status: Status,
}

/// Everything loaded, and every problem met while loading.
#[derive(Debug, Default)]
pub struct RuleSet {
    /// In load order, including overridden and disabled ones.
    pub all: Vec<Loaded>,
    /// Files that could not be used, with the rendered diagnostics.
    pub problems: Vec<super::Problem>,
}

impl RuleSet {
    /// These rules, all in force (one file's rules, for tests and fuzzing).
    #[must_use]
    pub fn all_active(rules: Vec<Rule>) -> RuleSet {
        RuleSet {
            all: rules
                .into_iter()
                .map(|rule| Loaded {
                    rule,
                    status: Status::Active,
                })
                .collect(),
            problems: Vec::new(),
        }
    }

    /// The rules in force.
    pub fn active(&self) -> impl Iterator<Item = &Rule> {
        self.all
            .iter()
            .filter(|l| matches!(l.status, Status::Active))
            .map(|l| &l.rule)
    }

    #[must_use]
    pub fn get(&self, id: &str) -> Option<&Rule> {
        self.active().find(|r| r.id == id)
    }
}
