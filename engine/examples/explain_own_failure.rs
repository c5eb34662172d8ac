//! A tool that runs bubblewrap itself and, when bwrap fails, explains the
//! failure in-process with the `bwrap_doctor_engine` library (its public API only).
//!
//! It asks bwrap to bind a source path that does not exist, so bwrap fails
//! with `Can't find source path …`; the diagnosis names the cause
//! (`bind-source-missing`) after checking on this host that the path is
//! indeed missing.
//!
//! ```text
//! cargo run -p bwrap-doctor-engine --example explain_own_failure [-- /path/to/bwrap]
//! ```
//!
//! Exit status: 0 a cause was confirmed; 1 none was; 2 the example could not
//! run (no bwrap, or bwrap did not fail).

use bwrap_doctor_engine::{Request, Verdict};
use std::path::PathBuf;
use std::process::{Command, ExitCode, Stdio};

fn main() -> ExitCode {
    // The real bwrap: the first argument, or Debian's.
    let bwrap = std::env::args_os()
        .nth(1)
        .map_or_else(|| PathBuf::from("/usr/bin/bwrap"), PathBuf::from);
    let missing = format!("/nonexistent-explain-own-failure-{}", std::process::id());
    let argv = [
        "--ro-bind",
        "/",
        "/",
        "--ro-bind",
        &missing,
        "/mnt",
        "--",
        "true",
    ];

    let run = match Command::new(&bwrap)
        .args(argv)
        .stdin(Stdio::null())
        .output()
    {
        Ok(run) => run,
        Err(e) => {
            eprintln!("explain_own_failure: cannot run {}: {e}", bwrap.display());
            return ExitCode::from(2);
        }
    };
    if run.status.success() {
        eprintln!(
            "explain_own_failure: {} did not fail; nothing to explain",
            bwrap.display()
        );
        return ExitCode::from(2);
    }
    println!("bwrap failed ({}):", run.status);
    print!("{}", String::from_utf8_lossy(&run.stderr));

    // Load the rules once (here only the built-in ones) and explain.
    let rules = match bwrap_doctor_engine::load_rules(&[]) {
        Ok(rules) => rules,
        Err(e) => {
            eprintln!("explain_own_failure: {e}");
            return ExitCode::from(2);
        }
    };
    let request = Request::new(run.stderr).argv(argv).bwrap(&bwrap);
    let diagnosis = match bwrap_doctor_engine::explain(&rules, &request) {
        Ok(d) => d,
        Err(e) => {
            eprintln!("explain_own_failure: {e}");
            return ExitCode::from(2);
        }
    };

    if diagnosis.messages.is_empty() {
        println!("no bwrap message: the failure was the sandboxed program's own");
    }
    for c in diagnosis
        .candidates
        .iter()
        .filter(|c| c.verdict != Verdict::Refuted)
    {
        println!("\n{} cause: {}", c.verdict.label(), c.cause.id());
        println!("  {}", c.summary);
        for check in &c.checks {
            println!("  checked {}: {}", check.fact, check.observed.describe());
        }
        for fix in &c.fixes {
            println!("  fix: {}", fix.title);
        }
    }
    if diagnosis.has_confirmed() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}
