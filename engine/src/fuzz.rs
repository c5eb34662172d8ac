//! Entry points for fuzzing: one per target, each taking arbitrary bytes and
//! returning nothing. They must never panic, whatever the input; a panic is
//! a bug in the code they drive.
//!
//! The cargo-fuzz targets (`fuzz/fuzz_targets/*.rs`, run by
//! `scripts/fuzz.sh`) call them, and so do the regression tests
//! (`tests/it/fuzzing.rs`), which replay every seed (`fuzz/seeds/<target>/`)
//! and every crash reproducer (`fuzz/regressions/<target>/`) on the stable
//! toolchain.
//!
//! Everything here is offline: facts are always *recorded* (an empty map,
//! a rule's example, a snapshot), never live, so no input can make a probe
//! read this host or run an experiment. The one host effect is
//! [`rules_file`]'s temporary file for the lint path (written, linted,
//! removed).
//!
//! Not a stable API: hidden from the documentation.

use crate::bwrap_args::{self, ArgKind, Parsed};
use crate::diagnose::{self, Diagnosis};
use crate::messages;
use crate::probe::Facts;
use crate::probe::{self, Context};
use crate::report;
use crate::rules::{self, Locations, Problem, RuleSet, SourceKind};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// At most this many examples of a fuzzed rule file are diagnosed against
/// the whole file's rules (each is matched against every rule: rules ×
/// examples would otherwise grow with the square of the input).
const MAX_EXAMPLES_DIAGNOSED: usize = 8;

/// At most this many paths taken from the input are asked about in
/// [`bwrap_args`] (each query walks every operation: queries × operations
/// would otherwise grow with the square of the input).
const MAX_QUERIED_PATHS: usize = 8;

/// A rule file: the TOML text (bytes not UTF-8 replaced, as the loader
/// does) through [`rules::parse`], its errors rendered (the caret rendering
/// slices the text by the errors' spans), the raw bytes through
/// [`rules::lint`] (which also reads a file that is not UTF-8), and, when
/// the file is valid, its rules run on their own examples (`rules test`)
/// and through the whole engine with their templates rendered.
pub fn rules_file(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let file = Path::new("fuzz.toml");
    match rules::parse(SourceKind::User, file, &text) {
        Err(errors) => {
            let rendered = rules::render_errors(file, &text, &errors, false);
            let _ = rules::render_errors(file, &text, &errors, true);
            let problem = Problem {
                file: file.to_path_buf(),
                source: SourceKind::User,
                errors,
                rendered,
                quiet: false,
            };
            let _ = problem.one_line();
        }
        Ok(parsed) => {
            for (id, origin) in &parsed.disables {
                let _ = (id.len(), origin.to_string());
            }
            let set = RuleSet::all_active(parsed.rules);
            for r in diagnose::selftest::run(&set, None) {
                let _ = (r.outcome.label(), r.detail);
            }
            let examples = set.active().flat_map(|r| &r.examples);
            for ex in examples.take(MAX_EXAMPLES_DIAGNOSED) {
                let facts =
                    Facts::recorded(ex.facts.clone(), diagnose::selftest::example_context(ex));
                let d = diagnose::diagnose(&set, &facts, ex.stderr.as_bytes());
                render(&d);
            }
        }
    }
    lint(data);
}

/// [`rules::lint`] reads files: the input is written to a temporary file of
/// this process and thread, linted as a `BWRAP_DOCTOR_RULES` file (the
/// built-in rules are not loaded), and removed. Project mode (every rule
/// needs a positive and a negative example) is on for inputs of even
/// length, so both modes are exercised and each input always gets the same.
fn lint(data: &[u8]) {
    static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    thread_local! {
        static PATH: PathBuf = std::env::temp_dir().join(format!(
            "bwrap-doctor-fuzz-{}-{}.toml",
            std::process::id(),
            NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
        ));
    }
    PATH.with(|path| {
        // Owned by this user and writable by nobody else, or the loader's
        // StrictModes check would refuse it whatever the umask.
        use std::io::Write;
        use std::os::unix::fs::OpenOptionsExt;
        let _ = std::fs::remove_file(path);
        let written = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(path)
            .and_then(|mut f| f.write_all(data));
        if written.is_err() {
            let _ = std::fs::remove_file(path);
            return;
        }
        let loc = Locations {
            builtin: false,
            env_files: vec![path.clone()],
            ..Locations::default()
        };
        let report = rules::lint(&loc, data.len().is_multiple_of(2));
        let _ = std::fs::remove_file(path);
        for f in &report.files {
            let _ = (f.rendered.len(), f.render(true));
        }
        let _ = (report.is_clean(), report.render(false));
    });
}

/// bwrap's command line: the input up to the first 0xff byte (which UTF-8
/// never contains) split on NUL into argv; the bytes after it, when there
/// is one, are the content of every `--args` fd (without it, an `--args`
/// fd reads as a pipe that cannot be read back). Then every query of
/// [`Parsed`] on paths and option names from the input, and every
/// argument-derived fact (`args.*`, `bwrap.knows_option:`).
pub fn bwrap_args(data: &[u8]) {
    let (argv_bytes, args_file) = match data.iter().position(|&b| b == 0xff) {
        Some(i) => (&data[..i], Some(&data[i + 1..])),
        None => (data, None),
    };
    let argv: Vec<&[u8]> = if argv_bytes.is_empty() {
        Vec::new()
    } else {
        argv_bytes.split(|&b| b == 0).collect()
    };
    let parsed = bwrap_args::parse(&argv, &|_fd| args_file.map(<[u8]>::to_vec));

    // Paths and names to ask about: some from the input, some fixed.
    let mut words: Vec<String> = ["/", "", "//", "/usr", "/tmp/", "--bind", "--unshare-net"]
        .iter()
        .map(std::string::ToString::to_string)
        .collect();
    let from_input = argv
        .iter()
        .map(|a| String::from_utf8_lossy(a).into_owned())
        .chain(parsed.ops.iter().flat_map(|o| o.args.iter().cloned()));
    words.extend(from_input.take(MAX_QUERIED_PATHS));

    query(&parsed, &words);

    let facts = Facts::recorded(
        BTreeMap::new(),
        Context {
            bwrap: Some(PathBuf::from("/usr/bin/bwrap")),
            args: Some(parsed),
        },
    );
    let _ = (
        facts.get("args.namespaces"),
        facts.get("args.unknown_options"),
    );
    for w in &words {
        for key in [
            "args.has:",
            "args.covers:",
            "args.shows:",
            "args.bind_to:",
            "args.bind_from:",
            "args.option_since:",
            "args.covers_interpreter:",
            "bwrap.knows_option:",
        ] {
            let _ = facts.get(&format!("{key}{w}")).describe();
        }
    }
}

fn query(p: &Parsed, words: &[String]) {
    let _ = (p.namespaces(), p.command.len(), p.truncated.as_deref());
    for o in &p.ops {
        for kind in [
            ArgKind::Src,
            ArgKind::Dest,
            ArgKind::Target,
            ArgKind::FdRead,
        ] {
            let _ = o.arg(kind);
        }
    }
    for (i, w) in words.iter().enumerate() {
        let _ = (p.has(w), p.covers(w), p.op_to(w), p.op_from(w));
        let _ = bwrap_args::spec(w);
        let next = &words[(i + 1) % words.len()];
        let _ = bwrap_args::version_lt(w, next);
    }
}

/// The built-in rules, loaded once per process.
fn builtin() -> &'static RuleSet {
    static RULES: OnceLock<RuleSet> = OnceLock::new();
    RULES.get_or_init(|| rules::load(&Locations::builtin_only()))
}

/// Every rendering of a diagnosis: for people (with and without color) and
/// as JSON.
fn render(d: &Diagnosis) {
    let _ = report::human::render(d, false);
    let _ = report::human::render(d, true);
    let doc = report::json::document(
        d,
        Some("/usr/bin/bwrap".into()),
        Some(report::json::Exit {
            code: Some(1),
            signal: None,
        }),
    );
    let _ = report::json::to_string(&doc);
}

/// bwrap's stderr (or text a person pasted to `explain`): the message
/// finders, then the built-in rules on it with no facts recorded, rendered
/// as `explain` and the shim would.
pub fn stderr(data: &[u8]) {
    let _ = messages::bwrap_messages(data);
    let _ = messages::pasted_messages(data);
    let failed = messages::setup_failed(data);
    let rules = builtin();

    let facts = Facts::recorded(BTreeMap::new(), Context::default());
    let d = diagnose::diagnose(rules, &facts, data);
    render(&d);

    let facts = Facts::recorded(BTreeMap::new(), Context::default());
    let d = diagnose::diagnose_pasted(rules, &facts, data);
    render(&d);
    if d.candidates.is_empty() && failed.is_some() {
        let _ = report::human::unclassified(false);
    }
}

/// The stderr [`snapshot`] explains: one that most rules about user
/// namespaces match, so their conditions read the snapshot's facts.
const SNAPSHOT_STDERR: &[u8] = b"bwrap: setting up uid map: Permission denied\n";

/// A second call, with arguments, whose conditions read path and
/// argument facts.
const SNAPSHOT_ARGS_STDERR: &[u8] = b"bwrap: execvp /bin/bash: No such file or directory\n";
const SNAPSHOT_ARGV: &[&str] = &[
    "--unshare-all",
    "--ro-bind",
    "/usr",
    "/usr",
    "--symlink",
    "usr/bin",
    "/bin",
    "--bind",
    "/home/me/p",
    "/home/me/p",
    "--proc",
    "/proc",
    "--",
    "/bin/bash",
];

/// A snapshot as `explain --snapshot FILE` reads it (not UTF-8: rejected,
/// as reading the file would be), then the built-in rules on a fixed stderr
/// against its facts, rendered.
pub fn snapshot(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let snap = match crate::facts::parse_snapshot(text, Path::new("fuzz.json")) {
        Ok(s) => s,
        Err(e) => {
            let _ = e.len();
            return;
        }
    };
    let bwrap = crate::facts::recorded_bwrap(&snap.facts);
    let rules = builtin();

    // `explain --snapshot FILE` (no argv).
    let facts = Facts::recorded(
        snap.facts.clone(),
        Context {
            bwrap: bwrap.clone(),
            args: None,
        },
    );
    let d = diagnose::diagnose_pasted(rules, &facts, SNAPSHOT_STDERR);
    render(&d);

    // The same with the failing call's arguments.
    let facts = Facts::recorded(
        snap.facts,
        Context {
            bwrap,
            args: Some(bwrap_args::parse(SNAPSHOT_ARGV, &|_| None)),
        },
    );
    let d = diagnose::diagnose(rules, &facts, SNAPSHOT_ARGS_STDERR);
    render(&d);
    // Every derived fact, on the snapshot's facts.
    for p in probe::CATALOGUE {
        if p.kind == probe::Kind::Derived {
            let key = if p.takes_arg {
                format!("{}/bin/bash", p.key)
            } else {
                p.key.to_string()
            };
            let _ = facts.get(&key).describe();
        }
    }
}
