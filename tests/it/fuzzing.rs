//! The fuzz targets' seeds and crash reproducers, replayed on the stable
//! toolchain: every file of `fuzz/seeds/<target>/` and
//! `fuzz/regressions/<target>/` goes through the target's entry point
//! (`bwrap_doctor_engine::fuzz`, engine/src/fuzz.rs) and must not panic. A reproducer
//! that `scripts/fuzz.sh` saved stays here as a regression test once the
//! bug is fixed. Each input's time is measured and the slowest printed
//! (not asserted: the machine and the build profile decide it).

use crate::{Body, Test};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

pub fn tests() -> Vec<Test> {
    tests![
        Once fuzz_seeds_and_regressions_of_the_rule_loader_do_not_panic,
        Once fuzz_seeds_and_regressions_of_the_bwrap_argument_parser_do_not_panic,
        Once fuzz_seeds_and_regressions_of_the_stderr_matcher_and_explain_do_not_panic,
        Once fuzz_seeds_and_regressions_of_the_snapshot_loader_do_not_panic,
    ]
}

/// Reproducers of bugs not fixed yet (a panic, or seconds for one input):
/// (target, file name, why). Each is skipped loudly; take its entry out
/// with the fix.
// Both found while fuzzing were fixed: a regex size limit of 256 KiB for
// rule patterns (engine/src/rules/validate.rs), one alternation regex per AppArmor
// glob, cached (engine/src/probe/apparmor/glob.rs). Their reproducers now run.
const KNOWN_UNFIXED: &[(&str, &str, &str)] = &[];

fn fuzz_seeds_and_regressions_of_the_rule_loader_do_not_panic() {
    replay("rules_file", bwrap_doctor_engine::fuzz::rules_file);
}

fn fuzz_seeds_and_regressions_of_the_bwrap_argument_parser_do_not_panic() {
    replay("bwrap_args", bwrap_doctor_engine::fuzz::bwrap_args);
}

fn fuzz_seeds_and_regressions_of_the_stderr_matcher_and_explain_do_not_panic() {
    replay("stderr", bwrap_doctor_engine::fuzz::stderr);
}

fn fuzz_seeds_and_regressions_of_the_snapshot_loader_do_not_panic() {
    replay("snapshot", bwrap_doctor_engine::fuzz::snapshot);
}

/// The files of `fuzz/<kind>/<target>/`, sorted (none when it does not
/// exist: a target may have no reproducer).
fn inputs(kind: &str, target: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz")
        .join(kind)
        .join(target);
    let mut v: Vec<PathBuf> = match std::fs::read_dir(&dir) {
        Ok(rd) => rd
            .map(|e| e.unwrap().path())
            .filter(|p| p.is_file())
            .collect(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
        Err(e) => panic!("cannot read {}: {e}", dir.display()),
    };
    v.sort();
    v
}

fn replay(target: &str, entry: fn(&[u8])) {
    let seeds = inputs("seeds", target);
    assert!(
        !seeds.is_empty(),
        "fuzz/seeds/{target}/ has no seeds: the target would start from nothing"
    );
    let all: Vec<PathBuf> = seeds
        .into_iter()
        .chain(inputs("regressions", target))
        .collect();
    let mut failures = Vec::new();
    let mut ran = 0;
    let mut slowest: Option<(Duration, &Path)> = None;
    let mut total = Duration::ZERO;
    for path in &all {
        let name = path.file_name().unwrap().to_string_lossy();
        if let Some((_, _, why)) = KNOWN_UNFIXED
            .iter()
            .find(|(t, f, _)| *t == target && *f == name)
        {
            eprintln!("SKIPPED REPRODUCER {}: {why}", path.display());
            continue;
        }
        let data = std::fs::read(path).unwrap();
        let start = Instant::now();
        let r = catch_unwind(AssertUnwindSafe(|| entry(&data)));
        let took = start.elapsed();
        total += took;
        ran += 1;
        if slowest.is_none_or(|(t, _)| took > t) {
            slowest = Some((took, path));
        }
        if let Err(p) = r {
            failures.push(format!(
                "{}: {}",
                path.display(),
                crate::support::panic_text(&p)
            ));
        }
    }
    if ran == 0 {
        crate::support::skip(format!(
            "every input of {target} is a known unfixed reproducer"
        ));
    }
    if let Some((t, p)) = slowest {
        println!(
            "    [figure] fuzz {target}: {ran} inputs in {:.0} ms, slowest {:.1} ms ({}) ({} build)",
            total.as_secs_f64() * 1000.0,
            t.as_secs_f64() * 1000.0,
            p.strip_prefix(env!("CARGO_MANIFEST_DIR"))
                .unwrap_or(p)
                .display(),
            if cfg!(debug_assertions) {
                "debug"
            } else {
                "release"
            }
        );
    }
    assert!(
        failures.is_empty(),
        "{} of {ran} inputs panicked:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
