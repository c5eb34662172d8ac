//! `bwrap-doctor check`: the verdict on a working host, with bwrap missing,
//! and with a sandbox that really fails.

use crate::support::{self, As, seccomp};
use crate::{Body, Test};
use std::process::Command;

pub fn tests() -> Vec<Test> {
    tests![
        Each check_passes_on_a_working_host_and_says_so_in_json,
        Once check_fails_when_the_named_bwrap_does_not_exist,
        Each check_fails_with_bwraps_own_error_when_user_namespaces_are_refused,
    ]
}

pub fn doctor(who: As, args: &[&str]) -> Command {
    let inst = support::install();
    let mut c = Command::new(&inst.doctor);
    c.args(args)
        .env_clear()
        .env("PATH", inst.path_var())
        .env("HOME", "/")
        .env("NO_COLOR", "1")
        .current_dir("/");
    who.apply(&mut c);
    c
}

fn check_passes_on_a_working_host_and_says_so_in_json(who: &As) {
    support::real_bwrap();
    let out = support::run(&mut doctor(*who, &["check", "--json"]));
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}\n{}",
        out.stdout_text(),
        out.stderr_text()
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["schema"], "bwrap-doctor/check");
    assert_eq!(v["schema_version"], 1);
    let checks = v["checks"].as_array().unwrap();
    let sandbox: Vec<_> = checks
        .iter()
        .filter(|c| c["id"].as_str().unwrap().starts_with("sandbox.agent"))
        .collect();
    assert_eq!(
        sandbox.len(),
        if *who == As::Root { 2 } else { 1 },
        "{checks:?}"
    );
    for c in &sandbox {
        assert_eq!(c["status"], "ok", "{c}");
    }
    for c in checks {
        for key in ["id", "status", "summary", "evidence", "fix", "duration_ms"] {
            assert!(c.get(key).is_some(), "check without {key}: {c}");
        }
    }
    let human = support::run(&mut doctor(*who, &["check"]));
    assert_eq!(human.status.code(), Some(0));
    let text = human.stdout_text();
    assert!(
        text.contains("user + network namespaces with /proc work"),
        "{text}"
    );
    assert!(!text.contains('\x1b'), "color with NO_COLOR set: {text:?}");
}

fn check_fails_when_the_named_bwrap_does_not_exist() {
    let out = support::run(&mut doctor(
        As::User,
        &["check", "--bwrap", "/nonexistent/bwrap"],
    ));
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout_text().contains("FAIL"), "{}", out.stdout_text());
}

fn check_fails_with_bwraps_own_error_when_user_namespaces_are_refused(who: &As) {
    support::real_bwrap();
    // A seccomp filter like a container's: creating a user namespace fails.
    let deny = [
        seccomp::Deny::syscall(libc::SYS_clone, libc::EPERM)
            .when(0, seccomp::ArgTest::AnyBits(libc::CLONE_NEWUSER as u32)),
        seccomp::Deny::syscall(libc::SYS_unshare, libc::EPERM)
            .when(0, seccomp::ArgTest::AnyBits(libc::CLONE_NEWUSER as u32)),
        seccomp::Deny::syscall(libc::SYS_clone3, libc::ENOSYS),
    ];
    let mut c = doctor(*who, &["check"]);
    seccomp::apply(&mut c, &deny);
    let out = support::run(&mut c);
    let text = out.stdout_text();
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("FAIL"), "{text}");
    assert!(
        text.contains("bwrap: No permissions to creat"),
        "bwrap's own words: {text}"
    );
}
