//! bwrap-doctor's integration tests: one binary, a small harness.
//!
//! Every test runs the real programs: the built `bwrap-doctor` installed as
//! `bwrap`, and the real bubblewrap. Tests that depend on the identity of the
//! caller run twice when the suite runs as root: `::root` and `::user` (an
//! unprivileged user the harness creates). A test that cannot run says why,
//! and the summary counts it as skipped, never as passed.
//!
//! The same binary also serves as the helper programs the tests need (a
//! probe that reports what the sandboxed process sees, a fake bwrap, a tiny
//! job-control shell): see `support::helper`.

/// Register tests: `tests![Once path::to::test, Each path::to::other]`.
macro_rules! tests {
    ($($kind:ident $path:path),* $(,)?) => {
        vec![$(Test { name: stringify!($path).replace(' ', ""), body: Body::$kind($path) }),*]
    };
}

mod architecture;
mod cli;
pub use cli::check::doctor as cli_doctor;
mod diagnosis;
mod fuzzing;
mod integrations;
mod library;
mod probe;
mod rules;
mod security;
mod shim;
mod support;

use std::io::Write;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;
use support::{As, Skip};

/// A test: a name and a body. `Each` bodies run once per caller identity.
pub enum Body {
    Once(fn()),
    Each(fn(&As)),
}

pub struct Test {
    pub name: String,
    pub body: Body,
}

fn all_tests() -> Vec<Test> {
    let mut v = Vec::new();
    v.extend(shim::tests());
    v.extend(cli::tests());
    v.extend(probe::tests());
    v.extend(rules::tests());
    v.extend(diagnosis::tests());
    v.extend(integrations::tests());
    v.extend(library::tests());
    v.extend(fuzzing::tests());
    v.extend(security::tests());
    v.extend(architecture::tests());
    v
}

enum Result_ {
    Pass,
    Fail(String),
    Skip(String),
}

fn main() {
    let args: Vec<String> = std::env::args_os()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    if args.get(1).map(String::as_str) == Some("--helper") {
        support::helper::main(&args[2..]);
    }
    let mut filters = Vec::new();
    let mut skips: Vec<String> = Vec::new();
    let mut list = false;
    // libtest's flags, as cargo-nextest drives a test binary: `--exact`
    // (filters are whole names), `--ignored` (only ignored tests: none here,
    // every test runs or skips saying why), `--include-ignored` (all),
    // `--format terse` (with `--list`: the names only).
    let mut exact = false;
    let mut ignored_only = false;
    let mut terse = false;
    let mut threads = std::thread::available_parallelism()
        .map_or(2, |n| n.get())
        .max(2);
    let mut it = args.iter().skip(1);
    while let Some(a) = it.next() {
        match a.as_str() {
            "--list" => list = true,
            "--exact" => exact = true,
            "--ignored" => ignored_only = true,
            "--format" => terse = it.next().is_some_and(|f| f == "terse"),
            s if s.starts_with("--format=") => terse = s == "--format=terse",
            "--test-threads" => threads = it.next().and_then(|n| n.parse().ok()).unwrap_or(threads),
            s if s.starts_with("--test-threads=") => {
                threads = s["--test-threads=".len()..].parse().unwrap_or(threads)
            }
            "--skip" => skips.extend(it.next().cloned()),
            s if s.starts_with("--skip=") => skips.push(s["--skip=".len()..].to_string()),
            // libtest options with a value this harness does not need: the
            // value is not a filter.
            "--color" | "--logfile" | "-Z" | "--report-time" | "--shuffle-seed" => {
                it.next();
            }
            // libtest flags cargo may pass; this harness does not need them.
            s if s.starts_with('-') => {}
            s => filters.push(s.to_string()),
        }
    }

    // Expand per-identity tests.
    let mut trials: Vec<(String, Box<dyn Fn() + Send + Sync>)> = Vec::new();
    for t in all_tests() {
        match t.body {
            Body::Once(f) => trials.push((t.name, Box::new(f))),
            Body::Each(f) => {
                for who in [As::Root, As::User] {
                    let name = format!("{}::{}", t.name, who.label());
                    trials.push((name, Box::new(move || f(&who))));
                }
            }
        }
    }
    let matches = |n: &str, f: &str| if exact { n == f } else { n.contains(f) };
    trials.retain(|(n, _)| {
        !ignored_only
            && (filters.is_empty() || filters.iter().any(|f| matches(n, f)))
            && !skips.iter().any(|s| matches(n, s))
    });
    if list {
        for (n, _) in &trials {
            println!("{n}: test");
        }
        if !terse {
            println!("\n{} tests, 0 benchmarks", trials.len());
        }
        return;
    }

    support::quiet_skip_panics();
    println!("\nrunning {} tests ({} threads)", trials.len(), threads);
    let trials = Arc::new(trials);
    let next = Arc::new(AtomicUsize::new(0));
    let results: Arc<Mutex<Vec<(String, Result_, f64)>>> = Arc::default();
    let start = Instant::now();
    let handles: Vec<_> = (0..threads)
        .map(|i| {
            let (trials, next, results) = (trials.clone(), next.clone(), results.clone());
            std::thread::Builder::new()
                .name(format!("it-{i}"))
                .spawn(move || {
                    loop {
                        let k = next.fetch_add(1, Ordering::SeqCst);
                        let Some((name, f)) = trials.get(k) else {
                            break;
                        };
                        support::set_current_test(name);
                        let t0 = Instant::now();
                        let r = match catch_unwind(AssertUnwindSafe(f)) {
                            Ok(()) => Result_::Pass,
                            Err(p) => match p.downcast::<Skip>() {
                                Ok(s) => Result_::Skip(s.0),
                                Err(p) => Result_::Fail(support::panic_text(&p)),
                            },
                        };
                        let secs = t0.elapsed().as_secs_f64();
                        let line = match &r {
                            Result_::Pass => format!("test {name} ... ok ({secs:.2}s)"),
                            Result_::Fail(_) => format!("test {name} ... FAILED ({secs:.2}s)"),
                            Result_::Skip(why) => format!("test {name} ... SKIPPED: {why}"),
                        };
                        println!("{line}");
                        let _ = std::io::stdout().flush();
                        results.lock().unwrap().push((name.clone(), r, secs));
                    }
                })
                .unwrap()
        })
        .collect();
    for h in handles {
        let _ = h.join();
    }
    support::cleanup();

    let results = results.lock().unwrap();
    let failed: Vec<_> = results
        .iter()
        .filter_map(|(n, r, _)| match r {
            Result_::Fail(m) => Some((n, m)),
            _ => None,
        })
        .collect();
    let skipped: Vec<_> = results
        .iter()
        .filter_map(|(n, r, _)| match r {
            Result_::Skip(m) => Some((n, m)),
            _ => None,
        })
        .collect();
    let passed = results.len() - failed.len() - skipped.len();
    if !skipped.is_empty() {
        println!("\nskipped ({}):", skipped.len());
        for (n, why) in &skipped {
            println!("    {n}: {why}");
        }
    }
    if !failed.is_empty() {
        println!("\nfailures:");
        for (n, m) in &failed {
            println!("\n---- {n} ----\n{m}");
        }
    }
    println!(
        "\ntest result: {}. {passed} passed; {} failed; {} skipped; finished in {:.2}s\n",
        if failed.is_empty() { "ok" } else { "FAILED" },
        failed.len(),
        skipped.len(),
        start.elapsed().as_secs_f64()
    );
    std::process::exit(if failed.is_empty() { 0 } else { 101 });
}
