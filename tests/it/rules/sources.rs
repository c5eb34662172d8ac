//! Sources in order, through the environment a real caller sets: a child
//! process (the test binary's `rules-load` helper) reads XDG_CONFIG_HOME,
//! HOME and BWRAP_DOCTOR_RULES itself.

use crate::support::{self, As};
use crate::{Body, Test};
use bwrap_doctor_engine::rules::{self, Locations};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

pub fn tests() -> Vec<Test> {
    tests![
        Once a_broken_user_file_leaves_the_builtin_rules_and_other_files_loaded,
        Once later_sources_override_and_disable_by_id,
        Once an_unreadable_rule_directory_is_a_problem_not_a_crash,
        Once rule_sources_others_may_write_are_skipped_as_ssh_strict_modes_would,
        Once a_fifty_megabyte_rule_file_is_refused_by_its_size,
        Once rules_list_lint_and_explain_refuse_a_fifo_rule_file_without_waiting,
        Once rules_list_skips_a_rule_file_over_the_compile_budget_in_bounded_time,
    ]
}

fn fixture(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(rel)
}

/// `XDG_CONFIG_HOME` under `scratch` with its rules.d, made and returned.
fn user_rules_dir(scratch: &Path) -> (PathBuf, PathBuf) {
    let config = scratch.join("config");
    let dir = config.join("bwrap-doctor/rules.d");
    std::fs::create_dir_all(&dir).unwrap();
    for d in [&config, &config.join("bwrap-doctor"), &dir] {
        std::fs::set_permissions(d, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    (config, dir)
}

/// Run the `rules-load` helper with this environment, as `who`; its lines.
fn rules_load(who: Option<As>, env: &[(&str, &Path)]) -> Vec<String> {
    let mut cmd = Command::new(&support::install().helper);
    cmd.args(["--helper", "rules-load"])
        .env_clear()
        .env("PATH", "/usr/bin:/bin")
        .env("HOME", "/nonexistent")
        .current_dir("/");
    for (k, v) in env {
        cmd.env(k, v);
    }
    if let Some(who) = who {
        who.apply(&mut cmd);
    }
    let out = support::run(&mut cmd);
    assert!(
        out.status.success(),
        "rules-load failed: {:?}\n{}",
        out.status,
        out.stderr_text()
    );
    out.stdout_text().lines().map(str::to_string).collect()
}

fn a_broken_user_file_leaves_the_builtin_rules_and_other_files_loaded() {
    let scratch = support::install().scratch();
    let (config, dir) = user_rules_dir(&scratch);
    std::fs::copy(
        fixture("rules/user/20-local.toml"),
        dir.join("10-good.toml"),
    )
    .unwrap();
    std::fs::copy(
        fixture("bad-rules/many-errors.toml"),
        dir.join("20-broken.toml"),
    )
    .unwrap();
    let env_file = scratch.join("env.toml");
    std::fs::copy(fixture("rules/system/10-userns.toml"), &env_file).unwrap();

    let lines = rules_load(
        None,
        &[
            ("XDG_CONFIG_HOME", &config),
            ("BWRAP_DOCTOR_RULES", &env_file),
        ],
    );
    // Only ours: the machine's own /etc/bwrap-doctor/rules.d is read too.
    let problems = problems(&lines, &scratch);
    assert_eq!(problems.len(), 1, "{lines:#?}");
    let broken = dir.join("20-broken.toml");
    assert_eq!(
        problems[0].as_str(),
        format!(
            "problem skipped rules from {}: 9 errors (first at 4:9: unknown cause `seccomp`); run 'bwrap-doctor rules lint' for details",
            broken.display()
        )
    );
    // The other user file and the BWRAP_DOCTOR_RULES file are loaded.
    assert!(active(&lines, "local.execvp"), "{lines:#?}");
    assert!(
        active(&lines, "userns-sysctl-disabled.no-permission"),
        "{lines:#?}"
    );
    // Every built-in rule is loaded as it is without the broken file.
    for r in rules::load(&Locations::builtin_only()).active() {
        assert!(
            lines
                .iter()
                .any(|l| l.starts_with(&format!("rule {} ", r.id))),
            "built-in {} missing: {lines:#?}",
            r.id
        );
    }
    // The shim's one warning is one line, however the errors read.
    let set = rules::load(&Locations {
        user_dir: Some(dir.clone()),
        ..Locations::default()
    });
    assert_eq!(set.problems.len(), 1);
    let one = set.problems[0].one_line();
    assert!(!one.contains('\n'), "{one}");
    assert!(set.problems[0].rendered.contains("20-broken.toml:4:9"));
}

fn later_sources_override_and_disable_by_id() {
    let scratch = support::install().scratch();
    let (config, dir) = user_rules_dir(&scratch);
    std::fs::copy(
        fixture("rules/system/10-userns.toml"),
        dir.join("10-userns.toml"),
    )
    .unwrap();
    let override_file = fixture("rules/user/20-local.toml");
    let disable_file = fixture("rules/env/disable.toml");
    let env_list = PathBuf::from(format!(
        "{}:{}",
        override_file.display(),
        disable_file.display()
    ));
    let lines = rules_load(
        None,
        &[
            ("XDG_CONFIG_HOME", &config),
            ("BWRAP_DOCTOR_RULES", &env_list),
        ],
    );
    let mine: Vec<&str> = lines
        .iter()
        .map(String::as_str)
        .filter(|l| {
            (l.starts_with("problem ") && !l.contains("/etc/bwrap-doctor/"))
                || (["userns-", "local."]
                    .iter()
                    .any(|p| l.starts_with(&format!("rule {p}")))
                    && !l.contains(" rules/"))
        })
        .collect();
    let user = dir.join("10-userns.toml");
    assert_eq!(
        mine,
        [
            format!(
                "rule userns-sysctl-disabled.no-permission disabled-by {}:2",
                disable_file.display()
            ),
            format!(
                "rule userns-max-zero.enospc overridden-by {}:2",
                override_file.display()
            ),
            format!(
                "rule userns-max-zero.enospc active {}:2",
                override_file.display()
            ),
            format!("rule local.execvp active {}:17", override_file.display()),
        ],
        "user file {}",
        user.display()
    );
}

fn an_unreadable_rule_directory_is_a_problem_not_a_crash() {
    // Root reads any directory, so the denial is tried as the unprivileged
    // test user (created by the harness) when the suite runs as root.
    let who = if support::is_root() {
        support::test_user();
        Some(As::User)
    } else {
        None
    };
    let scratch = support::install().scratch();
    let (config, dir) = user_rules_dir(&scratch);
    std::fs::copy(
        fixture("rules/user/20-local.toml"),
        dir.join("10-good.toml"),
    )
    .unwrap();
    // The user's own directory (StrictModes wants it so), just unreadable.
    if let Some(As::User) = who {
        let (uid, gid) = support::test_user();
        std::os::unix::fs::chown(&dir, Some(uid), Some(gid)).unwrap();
    }
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o000)).unwrap();
    let env_file = scratch.join("env.toml");
    std::fs::copy(fixture("rules/system/10-userns.toml"), &env_file).unwrap();
    std::fs::set_permissions(&env_file, std::fs::Permissions::from_mode(0o644)).unwrap();

    let lines = rules_load(
        who,
        &[
            ("XDG_CONFIG_HOME", &config),
            ("BWRAP_DOCTOR_RULES", &env_file),
        ],
    );
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    assert_eq!(
        problems(&lines, &scratch),
        [format!(
            "problem skipped rules from {d}: 1 error (cannot read the rules directory {d}: Permission denied (os error 13)); run 'bwrap-doctor rules lint' for details",
            d = dir.display()
        )],
        "{lines:#?}"
    );
    assert!(
        active(&lines, "userns-max-zero.enospc"),
        "the other sources still load: {lines:#?}"
    );
}

fn rule_sources_others_may_write_are_skipped_as_ssh_strict_modes_would() {
    // Run as the test user when root, so that "owned by another user" can
    // be made; otherwise as ourselves.
    let who = support::is_root().then_some(As::User);
    let me = match who {
        Some(w) => w.uid(),
        // SAFETY: geteuid has no side effects.
        None => unsafe { libc::geteuid() },
    };
    let scratch = support::install().scratch();
    let (config, dir) = user_rules_dir(&scratch);
    std::fs::copy(
        fixture("rules/user/20-local.toml"),
        dir.join("10-good.toml"),
    )
    .unwrap();
    let env_file = scratch.join("env.toml");
    std::fs::copy(fixture("rules/system/10-userns.toml"), &env_file).unwrap();
    if let Some(w) = who {
        let (uid, gid) = (w.uid(), support::test_user().1);
        for p in [&dir, &dir.join("10-good.toml"), &env_file] {
            std::os::unix::fs::chown(p, Some(uid), Some(gid)).unwrap();
        }
    }
    let problems = |lines: &[String]| problems(lines, &scratch);
    let load = || {
        rules_load(
            who,
            &[
                ("XDG_CONFIG_HOME", &config),
                ("BWRAP_DOCTOR_RULES", &env_file),
            ],
        )
    };
    // As they should be: both load.
    let lines = load();
    assert_eq!(problems(&lines), Vec::<String>::new(), "{lines:#?}");

    // A world-writable user directory and env file: both skipped.
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o777)).unwrap();
    std::fs::set_permissions(&env_file, std::fs::Permissions::from_mode(0o666)).unwrap();
    let lines = load();
    let p = problems(&lines);
    assert_eq!(p.len(), 2, "{lines:#?}");
    assert!(
        p[0].contains(&format!(
            "not using the rules directory {}: anybody may write it (mode 0777)",
            dir.display()
        )),
        "{p:#?}"
    );
    assert!(
        p[1].contains(&format!(
            "not using rules file {}: anybody may write it (mode 0666)",
            env_file.display()
        )),
        "{p:#?}"
    );
    assert!(
        active(&lines, "apparmor-userns-restrict"),
        "the built-in rules still load"
    );
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::set_permissions(&env_file, std::fs::Permissions::from_mode(0o644)).unwrap();

    // A user directory that belongs to somebody else (HOME kept by sudo).
    if who.is_some() {
        std::os::unix::fs::chown(&dir, Some(0), Some(0)).unwrap();
        let p = problems(&load());
        assert_eq!(
            p,
            [format!(
                "problem skipped rules from {d}: 1 error (not using the rules directory {d}: it is owned by uid 0, not by this user (uid {me})); run 'bwrap-doctor rules lint' for details",
                d = dir.display()
            )]
        );
    }
}

fn a_fifty_megabyte_rule_file_is_refused_by_its_size() {
    let scratch = support::install().scratch();
    let big = scratch.join("big.toml");
    let f = std::fs::File::create(&big).unwrap();
    f.set_len(50 << 20).unwrap(); // sparse: nothing is written
    drop(f);
    let lines = rules_load(None, &[("BWRAP_DOCTOR_RULES", &big)]);
    let p = problems(&lines, &scratch);
    assert_eq!(p.len(), 1, "{lines:#?}");
    assert!(
        p[0].contains(&format!(
            "not using rules file {}: it is 50.0 MiB, and rule files may be at most 8 MiB",
            big.display()
        )),
        "{p:#?}"
    );
    assert!(active(&lines, "bind-source-missing"));
}

/// The `problem` lines of `rules list` about files under `under` (the
/// test's own; the machine's /etc/bwrap-doctor/rules.d is read too).
fn problems(lines: &[String], under: &Path) -> Vec<String> {
    let under = under.display().to_string();
    lines
        .iter()
        .filter(|l| l.starts_with("problem ") && l.contains(&under))
        .cloned()
        .collect()
}

/// Whether `rules list` shows rule `id` active.
fn active(lines: &[String], id: &str) -> bool {
    let prefix = format!("rule {id} active");
    lines.iter().any(|l| l.starts_with(&prefix))
}

fn rules_list_lint_and_explain_refuse_a_fifo_rule_file_without_waiting() {
    let scratch = support::install().scratch();
    let fifo = scratch.join("x.toml");
    let c = std::ffi::CString::new(fifo.as_os_str().as_encoded_bytes()).unwrap();
    // SAFETY: mkfifo on a NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o644) }, 0);
    for args in [
        &["rules", "list"][..],
        &["rules", "lint"],
        &["explain", "-"],
    ] {
        let mut cmd = Command::new(&support::install().doctor);
        cmd.args(args)
            .env_clear()
            .env("PATH", "/usr/bin:/bin")
            .env("HOME", "/nonexistent")
            .env("NO_COLOR", "1")
            .env("BWRAP_DOCTOR_RULES", &fifo);
        // It used to wait forever for a writer: a hang fails here.
        let out = support::run_with_input(
            &mut cmd,
            Some(b"bwrap: Can't mount proc on /newroot/proc: Operation not permitted\n"),
            std::time::Duration::from_secs(20),
        );
        let text = format!("{}{}", out.stdout_text(), out.stderr_text());
        assert!(
            text.contains(&format!(
                "not using rules file {}: it is a FIFO (named pipe), not a regular file",
                fifo.display()
            )),
            "{args:?}: {text}"
        );
    }
}

fn rules_list_skips_a_rule_file_over_the_compile_budget_in_bounded_time() {
    let scratch = support::install().scratch();
    let costly = scratch.join("costly.toml");
    std::fs::write(&costly, crate::shim::costly_rule_file(20_000)).unwrap();
    // Many cheap patterns: over the count, whatever the machine's speed.
    let many = scratch.join("many.toml");
    let pats: Vec<String> = (0..1001).map(|i| format!("'^thing {i}$'")).collect();
    std::fs::write(
        &many,
        format!(
            "[[rule]]\nid = \"many.one\"\ncause = \"other\"\nsummary = \"many\"\npatterns = [{}]\nexplanation = \"x\"\n",
            pats.join(", ")
        ),
    )
    .unwrap();
    let start = std::time::Instant::now();
    let lines = rules_load(
        None,
        &[(
            "BWRAP_DOCTOR_RULES",
            Path::new(&format!("{}:{}", costly.display(), many.display())),
        )],
    );
    let took = start.elapsed();
    let p = problems(&lines, &scratch);
    assert_eq!(p.len(), 2, "{lines:#?}");
    assert!(
        p[0].contains(&format!("skipped rules from {}", costly.display()))
            && p[0].contains("compile budget exceeded"),
        "{p:#?}"
    );
    assert!(
        p[1].contains(&format!("skipped rules from {}", many.display()))
            && p[1].contains("compile budget exceeded: the file has more than 1000 patterns, the limit per rule file"),
        "{p:#?}"
    );
    assert!(active(&lines, "bind-source-missing"));
    // `rules list` took 2 minutes on a file like `costly`.
    assert!(took < std::time::Duration::from_secs(10), "{took:?}");
}
