//! The shim's default text for callers that keep only the end of the
//! output, the whole diagnosis kept for `bwrap-doctor explain --last`, and a
//! failure repeated at once (Codex's preflight, then its real call) answered
//! from what was kept.

use crate::support::{self, As, Output};
use crate::{Body, Test};
use bwrap_doctor_engine::keywords;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::Command;

pub fn tests() -> Vec<Test> {
    tests![
        Each the_default_text_ends_with_the_cause_and_explain_last_has_the_rest,
        Each a_state_directory_that_cannot_be_written_changes_nothing_on_stderr,
        Each the_same_failure_at_once_is_answered_from_the_kept_diagnosis,
    ]
}

const BWRAP_SAYS: &str = "bwrap: Creating new namespace failed: nesting depth or /proc/sys/user/max_*_namespaces exceeded (ENOSPC)\n";

/// A home directory `who` owns, mode 0700.
fn home(who: As) -> PathBuf {
    support::needs_root("to give each user a home of its own (chown)");
    let h = support::install().scratch().join("home");
    std::fs::create_dir_all(&h).unwrap();
    std::os::unix::fs::chown(&h, Some(who.uid()), None).unwrap();
    std::fs::set_permissions(&h, std::fs::Permissions::from_mode(0o700)).unwrap();
    h
}

/// `bwrap --unshare-net …` through the shim where no network namespace
/// may be created (hostlab 1c), with HOME=`home` and no setting.
fn failing(who: As, home: &Path, extra_env: &[(&str, &str)], command: &str) -> Output {
    let inst = support::install();
    let mut c = Command::new(support::ZERO_NET_NAMESPACES[0]);
    c.args(&support::ZERO_NET_NAMESPACES[1..])
        .arg(&inst.shim)
        .args(["--unshare-net", "--ro-bind", "/", "/", command])
        .env_clear()
        .env("PATH", inst.path_var())
        .env("HOME", home)
        .current_dir("/");
    for (k, v) in extra_env {
        c.env(k, v);
    }
    who.apply(&mut c);
    support::run(&mut c)
}

fn diagnosis(out: &Output) -> String {
    let text = out.stderr_text();
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.starts_with(BWRAP_SAYS), "bwrap's words first:\n{text}");
    text[BWRAP_SAYS.len()..].to_string()
}

fn explain_last(who: As, home: &Path) -> Output {
    let mut c = Command::new(&support::install().shim);
    c.arg0("bwrap-doctor")
        .args(["explain", "--last"])
        .env_clear()
        .env("HOME", home)
        .env("NO_COLOR", "1")
        .current_dir("/");
    who.apply(&mut c);
    support::run(&mut c)
}

use std::os::unix::process::CommandExt;

fn the_default_text_ends_with_the_cause_and_explain_last_has_the_rest(who: &As) {
    let home = home(*who);
    let d = diagnosis(&failing(*who, &home, &[], "true"));
    let lines: Vec<&str> = d.lines().collect();
    assert!(lines.len() <= 6, "short:\n{d}");
    let n = lines.len();
    assert!(
        lines[n - 2].starts_with(
            "bwrap-doctor: cause [userns-max-zero]: No network namespace may be created here"
        ),
        "the cause, with its id, second to last:\n{d}"
    );
    assert!(
        lines[n - 1].starts_with("bwrap-doctor: next step (narrow): Drop --unshare-net"),
        "the narrowest next step last:\n{d}"
    );
    assert!(d.contains("bwrap-doctor explain --last"), "{d}");
    assert_eq!(keywords::first_keyword(&d), None, "{d}");

    let state = home.join(".local/state/bwrap-doctor");
    let file = state.join("last.json");
    let meta = std::fs::metadata(&file).expect("the diagnosis is kept");
    assert_eq!(meta.mode() & 0o777, 0o600);
    assert_eq!(meta.uid(), who.uid());
    assert_eq!(std::fs::metadata(&state).unwrap().mode() & 0o777, 0o700);
    assert!(meta.len() <= 256 << 10);

    let last = explain_last(*who, &home);
    let text = last.stdout_text();
    assert_eq!(last.status.code(), Some(0), "{}", last.stderr_text());
    assert!(text.contains("--unshare-net --ro-bind / / true"), "{text}");
    assert!(text.contains(BWRAP_SAYS.trim_end()), "{text}");
    for part in [
        "evidence:",
        "why:",
        "fix 2: Raise the limit",
        "rule: userns-max-zero.net (",
    ] {
        assert!(text.contains(part), "{part} missing:\n{text}");
    }
    // Another user's (or no) kept diagnosis: said once, exit 1.
    let empty = home.join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    std::os::unix::fs::chown(&empty, Some(who.uid()), None).unwrap();
    let none = explain_last(*who, &empty);
    assert_eq!(none.status.code(), Some(1));
    assert!(
        none.stderr_text()
            .starts_with("bwrap-doctor: the shim has made no diagnosis for this user yet"),
        "{}",
        none.stderr_text()
    );
}

fn a_state_directory_that_cannot_be_written_changes_nothing_on_stderr(who: &As) {
    support::needs_root("to make homes the test user cannot write");
    let writable = home(*who);
    let expected = diagnosis(&failing(*who, &writable, &[], "true"));
    // A home the user cannot write, and one where the state directory is
    // a file: the same text, no warning.
    let read_only = home(*who);
    std::fs::set_permissions(&read_only, std::fs::Permissions::from_mode(0o500)).unwrap();
    let blocked = home(*who);
    std::fs::create_dir_all(blocked.join(".local")).unwrap();
    std::fs::write(blocked.join(".local/state"), "not a directory").unwrap();
    std::os::unix::fs::chown(blocked.join(".local"), Some(who.uid()), None).unwrap();
    // (Root writes a mode 0500 home all the same: only the file is in its way.)
    let homes = if *who == As::Root {
        vec![&blocked]
    } else {
        vec![&read_only, &blocked]
    };
    for h in homes {
        // Another argv, so that nothing kept elsewhere is reused.
        let got = diagnosis(&failing(*who, h, &[], "/bin/true"));
        assert_eq!(got, expected, "HOME={}", h.display());
        assert!(!h.join(".local/state/bwrap-doctor").exists());
    }
}

fn the_same_failure_at_once_is_answered_from_the_kept_diagnosis(who: &As) {
    let home = home(*who);
    let json = |n: &str| {
        let p = home.join(format!("{n}.json"));
        let _ = std::fs::remove_file(&p);
        p
    };
    let run = |n: &str, command: &str| {
        let p = json(n);
        let out = failing(
            *who,
            &home,
            &[("BWRAP_DOCTOR_JSON", p.to_str().unwrap())],
            command,
        );
        (diagnosis(&out), std::fs::read_to_string(&p).unwrap())
    };
    // Codex's preflight runs `true` where its real call runs the command:
    // the same bwrap, message and options.
    let (first, first_json) = run("a", "true");
    let (again, again_json) = run("b", "/bin/echo");
    assert_eq!(again, first);
    support::schema::parse_valid(&first_json);
    // The JSON carries each probe's time: equal only if nothing was probed
    // again.
    assert_eq!(again_json, first_json);
    // Another option (--dev): diagnosed anew.
    let mut c = Command::new(support::ZERO_NET_NAMESPACES[0]);
    let inst = support::install();
    c.args(&support::ZERO_NET_NAMESPACES[1..])
        .arg(&inst.shim)
        .args([
            "--unshare-net",
            "--dev",
            "/dev",
            "--ro-bind",
            "/",
            "/",
            "true",
        ])
        .env_clear()
        .env("PATH", inst.path_var())
        .env("HOME", &home)
        .env("BWRAP_DOCTOR_JSON", home.join("d.json"))
        .current_dir("/");
    who.apply(&mut c);
    let fresh = support::run(&mut c);
    assert_eq!(fresh.status.code(), Some(1));
    let fresh_json = std::fs::read_to_string(home.join("d.json")).unwrap();
    support::schema::parse_valid(&fresh_json);
    assert_ne!(fresh_json, first_json);
}
