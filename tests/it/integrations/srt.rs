//! Claude Code's sandbox runtime (`@anthropic-ai/sandbox-runtime` 0.0.83,
//! installed by scripts/callers.sh) for real: its `srt` command runs `bwrap`
//! from PATH through a shell. Its user sees bwrap's stderr as srt prints it.

use super::codex::CALLERS;
use crate::support::{self, As, seccomp};
use crate::{Body, Test};
use bwrap_doctor_engine::keywords;
use std::path::PathBuf;
use std::process::Command;

pub fn tests() -> Vec<Test> {
    tests![
        Each srt_runs_a_command_through_the_shim_unchanged,
        Each srt_shows_bwraps_line_then_the_diagnosis_when_user_namespaces_are_exhausted,
        Each srt_shows_a_seccomp_refusal_then_the_diagnosis_in_neutral_words,
    ]
}

fn srt() -> PathBuf {
    let p =
        PathBuf::from(CALLERS).join("_anthropic-ai_sandbox-runtime_0.0.83/node_modules/.bin/srt");
    if !p.exists() {
        support::skip(format!(
            "{} is missing: scripts/callers.sh installs @anthropic-ai/sandbox-runtime@0.0.83 from the npm registry",
            p.display()
        ));
    }
    for tool in ["rg", "socat"] {
        if !["/usr/bin", "/bin"]
            .iter()
            .any(|d| std::path::Path::new(d).join(tool).exists())
        {
            support::skip(format!(
                "srt needs {tool}: apt-get install ripgrep socat (scripts/test.sh does)"
            ));
        }
    }
    p
}

/// `[wrapper…] srt echo hello` as `who`, with the shim first on PATH or not.
fn run(who: As, via_shim: bool, wrapper: &[&str], setup: &dyn Fn(&mut Command)) -> support::Output {
    let srt = srt();
    let inst = support::install();
    let home = inst.scratch();
    let path = if via_shim {
        format!("{}:/usr/bin:/bin", inst.bin.display())
    } else {
        "/usr/bin:/bin".to_string()
    };
    let mut argv: Vec<String> = wrapper.iter().map(|s| s.to_string()).collect();
    argv.extend([srt.display().to_string(), "echo".into(), "hello".into()]);
    let mut c = Command::new(&argv[0]);
    c.args(&argv[1..])
        .env_clear()
        .env("PATH", path)
        .env("HOME", &home)
        .env("LANG", "C")
        .current_dir(&home);
    setup(&mut c);
    who.apply(&mut c);
    let out = support::run(&mut c);
    if std::env::var_os("BWD_SHOW_CALLERS").is_some() {
        eprintln!(
            "[srt, shim={via_shim}] exit {:?}\n{}{}",
            out.status.code(),
            out.stdout_text(),
            out.stderr_text()
        );
    }
    out
}

fn srt_runs_a_command_through_the_shim_unchanged(who: &As) {
    let none: &dyn Fn(&mut Command) = &|_| {};
    let direct = run(*who, false, &[], none);
    let shim = run(*who, true, &[], none);
    assert_eq!(direct.stdout_text(), "hello\n", "{}", direct.stderr_text());
    assert_eq!(direct.status.code(), Some(0));
    assert_eq!(shim.status.code(), direct.status.code());
    assert_eq!(shim.stdout_text(), direct.stdout_text());
    assert_eq!(shim.stderr_text(), direct.stderr_text());
}

/// What srt prints after bwrap's own words: the diagnosis, and nothing
/// else than without the shim.
fn added(direct: &support::Output, shim: &support::Output) -> String {
    assert_eq!(shim.status.code(), direct.status.code());
    assert_ne!(direct.status.code(), Some(0), "the recipe did not fail");
    let (d, s) = (direct.stderr_text(), shim.stderr_text());
    assert!(d.contains("bwrap: "), "{d}");
    assert!(
        s.starts_with(&d),
        "bwrap's words first, unchanged:\n--- direct\n{d}--- shim\n{s}"
    );
    s[d.len()..].to_string()
}

fn srt_shows_bwraps_line_then_the_diagnosis_when_user_namespaces_are_exhausted(who: &As) {
    let none: &dyn Fn(&mut Command) = &|_| {};
    let wrapper = support::ZERO_USER_NAMESPACES;
    let direct = run(*who, false, wrapper, none);
    let shim = run(*who, true, wrapper, none);
    let a = added(&direct, &shim);
    assert!(
        a.contains("bwrap-doctor: cause [userns-max-zero]: No user namespace may be created here"),
        "{a}"
    );
    assert!(a.lines().count() <= 4, "{a}");
}

fn srt_shows_a_seccomp_refusal_then_the_diagnosis_in_neutral_words(who: &As) {
    let deny = seccomp::deny_userns();
    let filter: &dyn Fn(&mut Command) = &|c| seccomp::apply(c, &deny);
    let direct = run(*who, false, &[], filter);
    let shim = run(*who, true, &[], filter);
    let a = added(&direct, &shim);
    assert!(a.contains("cause [sec-comp-filter]"), "{a}");
    if keywords::first_keyword(&direct.stderr_text()).is_none() {
        assert_eq!(keywords::first_keyword(&a), None, "{a}");
    }
}
