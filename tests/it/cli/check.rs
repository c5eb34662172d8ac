//! `bwrap-doctor check`: the verdict and the fix, on a working host, with
//! bwrap missing, and broken in the hostlab ways this machine can be broken
//! for real (a seccomp filter on user namespaces or on loopback, a zero
//! namespace limit, an unreadable bwrap), and for the shim's own install
//! (after the real bwrap on PATH, a symlink, a setuid real bwrap behind it,
//! the shim over /usr/bin/bwrap by a diversion). The JSON report is checked
//! against its published schema (docs/check.schema.json, see `schemas`).

use crate::support::{self, As, PlainEnv, schema, seccomp};
use crate::{Body, Test};
use serde_json::Value;
use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;
use std::process::Command;

pub fn tests() -> Vec<Test> {
    tests![
        Each a_working_host_passes_and_the_json_matches_the_documented_schema,
        Once no_bwrap_anywhere_fails_with_the_install_command,
        Once a_named_bwrap_that_does_not_exist_fails,
        Each user_namespaces_refused_by_seccomp_fail_with_bwraps_words_and_the_diagnosis,
        Each a_zero_user_namespace_limit_fails_and_the_printed_sysctl_makes_check_pass,
        Each an_unreadable_bwrap_fails_for_unprivileged_users_and_the_printed_chmod_fixes_it,
        Each loopback_refused_by_seccomp_fails_only_the_network_checks,
        Once the_shim_after_the_real_bwrap_on_path_is_a_warning,
        Once a_symlinked_shim_is_a_warning,
        Once a_shim_under_home_is_missed_by_codex_started_there_and_check_says_so,
        Once a_real_bwrap_whose_help_lacks_perms_is_missed_by_codex_and_check_says_so,
        Once a_broken_configuration_file_is_a_warning_pointing_at_the_error,
        Once a_setuid_real_bwrap_behind_the_shim_is_a_warning,
        Once the_shim_diverted_over_usr_bin_bwrap_fails_with_the_undo_commands,
        Once a_broken_rule_file_and_a_missing_hook_target_are_warnings,
    ]
}

pub fn doctor(who: As, args: &[&str]) -> Command {
    let inst = support::install();
    let mut c = Command::new(&inst.doctor);
    c.args(args).plain_env();
    who.apply(&mut c);
    c
}

/// `wrapper… bwrap-doctor check --json`, with the same environment.
fn check_in(who: As, wrapper: &[&str], setup: &dyn Fn(&mut Command)) -> (Option<i32>, Value) {
    let inst = support::install();
    let mut argv: Vec<String> = wrapper.iter().map(|s| s.to_string()).collect();
    argv.push(inst.doctor.display().to_string());
    argv.extend(["check".to_string(), "--json".to_string()]);
    let mut c = Command::new(&argv[0]);
    c.args(&argv[1..]).plain_env();
    setup(&mut c);
    who.apply(&mut c);
    let out = support::run(&mut c);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "check --json printed no JSON ({e}):\n{}\n{}",
            out.stdout_text(),
            out.stderr_text()
        )
    });
    schema::assert_valid(&v);
    (out.status.code(), v)
}

fn check_json(who: As, setup: &dyn Fn(&mut Command)) -> (Option<i32>, Value) {
    check_in(who, &[], setup)
}

/// The check with this id.
fn by_id<'v>(v: &'v Value, id: &str) -> &'v Value {
    let checks = v["checks"].as_array().unwrap();
    checks.iter().find(|c| c["id"] == id).unwrap_or_else(|| {
        let ids: Vec<&str> = checks.iter().filter_map(|c| c["id"].as_str()).collect();
        panic!("no check {id} among {ids:?}")
    })
}

fn status<'v>(v: &'v Value, id: &str) -> &'v str {
    by_id(v, id)["status"].as_str().unwrap()
}

fn text_of(c: &Value) -> String {
    serde_json::to_string_pretty(c).unwrap()
}

/// The check `id`, which must have failed and say each of `words`.
fn failed_saying<'v>(v: &'v Value, id: &str, words: &[&str]) -> &'v Value {
    let c = by_id(v, id);
    let t = text_of(c);
    assert_eq!(c["status"], "fail", "{t}");
    for w in words {
        assert!(t.contains(w), "{id} does not say {w:?}: {t}");
    }
    c
}

/// The sandbox ids expected for this caller: also as an unprivileged user
/// when root.
fn sandbox_ids(who: As) -> Vec<String> {
    let mut ids = Vec::new();
    let suffixes: &[&str] = if who == As::Root {
        &["", ".unprivileged"]
    } else {
        &[""]
    };
    for s in suffixes {
        for b in ["sandbox.plain", "sandbox.user-net", "sandbox.agent"] {
            ids.push(format!("{b}{s}"));
        }
    }
    ids
}

fn a_working_host_passes_and_the_json_matches_the_documented_schema(who: &As) {
    support::real_bwrap();
    let (code, v) = check_json(*who, &|_| {});
    assert_eq!(code, Some(0), "{v:#}");
    assert_ne!(v["overall"], "fail");
    let ids: Vec<&str> = v["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|c| c["id"].as_str())
        .filter(|id| id.starts_with("sandbox."))
        .collect();
    assert_eq!(ids, sandbox_ids(*who), "{v:#}");
    for id in ids {
        assert_eq!(status(&v, id), "ok", "{}", text_of(by_id(&v, id)));
    }
    for id in [
        "kernel.userns",
        "kernel.netns",
        "kernel.proc",
        "shim.path",
        "shim.rules",
    ] {
        assert_eq!(status(&v, id), "ok", "{}", text_of(by_id(&v, id)));
    }
    let human = support::run(&mut doctor(*who, &["check"]));
    assert_eq!(human.status.code(), Some(0));
    let text = human.stdout_text();
    for section in [
        "bwrap binary",
        "kernel",
        "security policy",
        "bwrap-doctor shim",
        "sandboxes",
    ] {
        assert!(
            text.contains(&format!("\n{section}\n")),
            "section {section}: {text}"
        );
    }
    assert!(text.contains("bwrap sandboxes work on this host"), "{text}");
    assert!(!text.contains('\x1b'), "color with NO_COLOR set: {text:?}");
}

fn no_bwrap_anywhere_fails_with_the_install_command() {
    // The override names a missing file: the shim's own lookup fails the way
    // it does with bubblewrap not installed.
    let (code, v) = check_json(As::User, &|c| {
        c.env("BWRAP_DOCTOR_REAL_BWRAP", "/nonexistent/bwrap");
    });
    assert_eq!(code, Some(1), "{v:#}");
    failed_saying(&v, "bwrap.found", &["/nonexistent/bwrap"]);
    assert!(
        !v["checks"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["id"].as_str().unwrap().starts_with("sandbox.")),
        "no sandbox can run without a bwrap: {v:#}"
    );
    // With nothing named and nothing on PATH or at the system paths (hidden
    // in a sandbox), the fix is the distribution's install command.
    let hide = support::hiding_system_bwraps();
    let hide: Vec<&str> = hide.iter().map(String::as_str).collect();
    let (code, v) = check_in(As::User, &hide, &|_| {});
    assert_eq!(code, Some(1), "{v:#}");
    failed_saying(&v, "bwrap.found", &["install bubblewrap ("]);
    let out = support::run(
        Command::new(&support::install().shim)
            .env_clear()
            .env("BWRAP_DOCTOR_REAL_BWRAP", "/nonexistent/bwrap")
            .arg("--version"),
    );
    assert_eq!(out.status.code(), Some(127));
    assert!(
        out.stderr_text()
            .contains("BWRAP_DOCTOR_REAL_BWRAP=/nonexistent/bwrap")
    );
}

fn a_named_bwrap_that_does_not_exist_fails() {
    let out = support::run(&mut doctor(
        As::User,
        &["check", "--bwrap", "/nonexistent/bwrap"],
    ));
    assert_eq!(out.status.code(), Some(1));
    let text = out.stdout_text();
    assert!(
        text.contains("FAIL /nonexistent/bwrap cannot be run: it does not exist"),
        "{text}"
    );
    assert!(
        text.contains("fix: pass the path of a bubblewrap executable"),
        "{text}"
    );
}

fn user_namespaces_refused_by_seccomp_fail_with_bwraps_words_and_the_diagnosis(who: &As) {
    support::real_bwrap();
    let deny = seccomp::deny_userns();
    let (code, v) = check_json(*who, &|c| seccomp::apply(c, &deny));
    assert_eq!(code, Some(1), "{v:#}");
    assert_eq!(v["overall"], "fail");
    assert_eq!(status(&v, "kernel.userns"), "fail", "{v:#}");
    assert_eq!(status(&v, "policy.seccomp"), "warning", "{v:#}");
    let net = failed_saying(
        &v,
        "sandbox.user-net",
        &[
            "bwrap: No permissions to creat",
            "rule seccomp-filter.userns, confirmed",
        ],
    );
    assert!(!net["fix"].as_array().unwrap().is_empty(), "{net}");
    // The human report says the same, once.
    let mut c = doctor(*who, &["check"]);
    seccomp::apply(&mut c, &deny);
    let out = support::run(&mut c);
    let text = out.stdout_text();
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("bwrap sandboxes fail on this host"), "{text}");
}

fn a_zero_user_namespace_limit_fails_and_the_printed_sysctl_makes_check_pass(who: &As) {
    // hostlab 1a: the limit is 0 in a child user namespace; check runs there,
    // then the sysctl command it printed is run there and check runs again.
    support::real_bwrap();
    let dir = support::install().scratch();
    let (before, fix, after) = (
        dir.join("before.json"),
        dir.join("fix"),
        dir.join("after.json"),
    );
    let script = r#"
        echo 0 > /proc/sys/user/max_user_namespaces
        "$0" check --json > "$1"
        fix=$(grep -o 'sysctl -w user[.]max_user_namespaces=[0-9]*' "$1" | head -n 1)
        printf '%s' "$fix" > "$2"
        [ -n "$fix" ] || exit 3
        $fix > /dev/null
        "$0" check --json > "$3"
    "#;
    let inst = support::install();
    let mut c = Command::new("unshare");
    c.args(["-Ur", "sh", "-c", script])
        .arg(&inst.doctor)
        .args([&before, &fix, &after])
        .env_clear()
        .env("PATH", inst.path_var())
        .env("HOME", "/")
        .current_dir("/");
    who.apply(&mut c);
    let out = support::run(&mut c);
    let read = |p: &std::path::Path| -> Value {
        serde_json::from_slice(&std::fs::read(p).unwrap_or_default()).unwrap_or(Value::Null)
    };
    let (b, a) = (read(&before), read(&after));
    schema::assert_valid(&b);
    assert_eq!(b["overall"], "fail", "{b:#}");
    assert_eq!(status(&b, "kernel.userns"), "fail");
    assert!(text_of(by_id(&b, "kernel.userns")).contains("user.max_user_namespaces = 0"));
    let net = text_of(by_id(&b, "sandbox.user-net"));
    assert!(
        net.contains("rule userns-max-zero.user, confirmed"),
        "{net}"
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "the fix ({:?}) or the second check failed: {}",
        std::fs::read_to_string(&fix),
        out.stderr_text()
    );
    schema::assert_valid(&a);
    assert_eq!(status(&a, "kernel.userns"), "ok", "{a:#}");
    for id in ["sandbox.plain", "sandbox.user-net", "sandbox.agent"] {
        assert_eq!(status(&a, id), "ok", "{}", text_of(by_id(&a, id)));
    }
}

fn an_unreadable_bwrap_fails_for_unprivileged_users_and_the_printed_chmod_fixes_it(who: &As) {
    // hostlab 3a: exec of an unreadable bwrap makes it non-dumpable, so its
    // own uid_map belongs to root and cannot be written. Root reads any
    // file, so as root only the unprivileged sandboxes fail.
    let real = support::real_bwrap();
    let dir = support::install().scratch();
    let copy = dir.join("bwrap-x");
    std::fs::copy(real, &copy).unwrap();
    std::fs::set_permissions(&copy, std::fs::Permissions::from_mode(0o111)).unwrap();
    let copy_s = copy.display().to_string();
    let (code, v) = check_in(*who, &[], &|c| {
        c.env("BWRAP_DOCTOR_REAL_BWRAP", &copy_s);
    });
    assert_eq!(code, Some(1), "{v:#}");
    let unpriv = if *who == As::Root {
        ".unprivileged"
    } else {
        ""
    };
    let failing = failed_saying(
        &v,
        &format!("sandbox.plain{unpriv}"),
        &[
            "bwrap: setting up uid map: Permission denied",
            "rule bwrap-binary-unreadable, confirmed",
        ],
    );
    if *who == As::Root {
        assert_eq!(status(&v, "sandbox.plain"), "ok", "root reads any file");
        assert_eq!(status(&v, "bwrap.readable"), "warning", "{v:#}");
    } else {
        assert_eq!(status(&v, "bwrap.readable"), "fail", "{v:#}");
    }
    // The fix it printed, run as printed (without sudo: the test owns the
    // copy or is root).
    let fixes = failing["fix"].as_array().unwrap();
    let cmd = fixes
        .iter()
        .filter_map(Value::as_str)
        .flat_map(str::lines)
        .find_map(|l| l.trim().strip_prefix("sudo chmod a+r "))
        .unwrap_or_else(|| panic!("no chmod fix: {failing}"));
    assert_eq!(cmd, copy_s);
    let out = support::run(Command::new("chmod").args(["a+r", cmd]));
    assert!(out.status.success());
    let (code, v) = check_in(*who, &[], &|c| {
        c.env("BWRAP_DOCTOR_REAL_BWRAP", &copy_s);
    });
    assert_eq!(code, Some(0), "{v:#}");
    assert_eq!(status(&v, "bwrap.readable"), "ok");
}

fn loopback_refused_by_seccomp_fails_only_the_network_checks(who: &As) {
    // hostlab 4a: sendto with a sockaddr_nl (addrlen 12) fails with EPERM.
    support::real_bwrap();
    let deny = [seccomp::deny_loopback()];
    let (code, v) = check_json(*who, &|c| seccomp::apply(c, &deny));
    assert_eq!(code, Some(1), "{v:#}");
    assert_eq!(status(&v, "kernel.userns"), "ok");
    assert_eq!(status(&v, "kernel.netns"), "fail", "{v:#}");
    assert_eq!(status(&v, "sandbox.plain"), "ok");
    let net = text_of(by_id(&v, "sandbox.user-net"));
    assert!(net.contains("bwrap: loopback: Failed RTM_NEWADDR"), "{net}");
    assert!(
        net.contains("rule seccomp-filter.loopback, confirmed"),
        "{net}"
    );
    assert!(
        text_of(by_id(&v, "sandbox.agent")).contains("the same cause as above"),
        "one cause, one fix"
    );
}

/// A check run with this PATH and extra environment.
fn check_with_env(vars: &[(&str, &str)]) -> (Option<i32>, Value) {
    check_json(As::User, &|c| {
        for (k, val) in vars {
            c.env(k, val);
        }
    })
}

fn the_shim_after_the_real_bwrap_on_path_is_a_warning() {
    let real = support::real_bwrap();
    let inst = support::install();
    let path = format!(
        "{}:{}",
        real.parent().unwrap().display(),
        inst.bin.display()
    );
    let (_, v) = check_with_env(&[("PATH", &path)]);
    let c = by_id(&v, "shim.path");
    assert_eq!(c["status"], "warning", "{}", text_of(c));
    assert!(
        c["summary"]
            .as_str()
            .unwrap()
            .contains("comes after the real bwrap")
    );
    assert!(
        c["fix"][0]
            .as_str()
            .unwrap()
            .starts_with(&format!("put {} before", inst.bin.display()))
    );
}

/// A directory for this test outside /tmp (Codex does not use a bwrap
/// under /tmp), mode 0755, emptied first.
fn outside_tmp(name: &str) -> PathBuf {
    let d = PathBuf::from(format!("/var/tmp/bwd-it-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    std::fs::set_permissions(&d, std::fs::Permissions::from_mode(0o755)).unwrap();
    d
}

/// Codex skips PATH entries inside the directory it runs in (a shim in
/// ~/.local/bin is missed by Codex started in ~) and bwraps under /tmp or
/// $TMPDIR, which its sandbox may write. `check` says so, and what to do.
fn a_shim_under_home_is_missed_by_codex_started_there_and_check_says_so() {
    let inst = support::install();
    let home = outside_tmp("home");
    let bin = home.join(".local/bin");
    std::fs::create_dir_all(&bin).unwrap();
    std::fs::copy(&inst.doctor, bin.join("bwrap")).unwrap();
    let home_var = home.to_str().unwrap();
    let path = format!("{}:/usr/bin:/bin", bin.display());
    let (_, v) = check_with_env(&[("PATH", &path), ("HOME", home_var)]);
    let c = by_id(&v, "shim.codex");
    assert_eq!(c["status"], "warning", "{}", text_of(c));
    let summary = c["summary"].as_str().unwrap();
    assert!(
        summary.contains("Codex skips PATH entries inside the directory it runs in")
            && summary.contains(&format!("Codex started in {} or", bin.display())),
        "{summary}"
    );
    assert!(
        text_of(c).contains("sudo bwrap-doctor install --dir /usr/local/bin"),
        "{}",
        text_of(c)
    );
    // The suite's own shim is under /tmp.
    let (_, v) = check_with_env(&[("HOME", home_var)]);
    let c = by_id(&v, "shim.codex");
    assert_eq!(c["status"], "warning", "{}", text_of(c));
    assert!(
        text_of(c).contains("is under /tmp, which Codex's sandbox may write"),
        "{}",
        text_of(c)
    );
    // Outside /tmp and the home directory: Codex reaches it.
    let elsewhere = outside_tmp("elsewhere");
    std::fs::copy(&inst.doctor, elsewhere.join("bwrap")).unwrap();
    let path = format!("{}:/usr/bin:/bin", elsewhere.display());
    let (_, v) = check_with_env(&[("PATH", &path), ("HOME", home_var)]);
    for d in [&home, &elsewhere] {
        let _ = std::fs::remove_dir_all(d);
    }
    let c = by_id(&v, "shim.codex");
    assert_eq!(c["status"], "ok", "{}", text_of(c));
}

/// Codex uses a bwrap only if `bwrap --help` lists --perms; the shim passes
/// --help through, so what counts is the real bwrap's text.
fn a_real_bwrap_whose_help_lacks_perms_is_missed_by_codex_and_check_says_so() {
    let inst = support::install();
    let dir = inst.scratch();
    let old = dir.join("old-bwrap");
    std::fs::write(
        &old,
        "#!/bin/sh\necho 'usage: bwrap [OPTIONS...] [--] COMMAND [ARGS...]'\necho '    --bind SRC DEST              Bind mount the host path SRC on DEST'\nexit 1\n",
    )
    .unwrap();
    std::fs::set_permissions(&old, std::fs::Permissions::from_mode(0o755)).unwrap();
    let (_, v) = check_with_env(&[("BWRAP_DOCTOR_REAL_BWRAP", old.to_str().unwrap())]);
    let c = by_id(&v, "shim.codex");
    assert_eq!(c["status"], "warning", "{}", text_of(c));
    assert!(
        text_of(c).contains("--help does not list --perms"),
        "{}",
        text_of(c)
    );
    let (_, v) = check_with_env(&[]);
    assert!(
        text_of(by_id(&v, "shim.codex")).contains("--help lists --perms, as Codex requires"),
        "{}",
        text_of(by_id(&v, "shim.codex"))
    );
}

/// A configuration file that does not parse is not used, and `check`
/// points at the error.
fn a_broken_configuration_file_is_a_warning_pointing_at_the_error() {
    let inst = support::install();
    let home = inst.scratch();
    let conf = home.join(".config/bwrap-doctor");
    std::fs::create_dir_all(&conf).unwrap();
    std::fs::write(conf.join("config.toml"), "off = false\nreprot = \"long\"\n").unwrap();
    for d in [home.join(".config"), conf.clone(), conf.join("config.toml")] {
        std::os::unix::fs::chown(&d, Some(As::User.uid()), None).unwrap();
    }
    let (_, v) = check_with_env(&[("HOME", home.to_str().unwrap())]);
    let c = by_id(&v, "shim.config");
    assert_eq!(c["status"], "warning", "{}", text_of(c));
    let text = text_of(c);
    assert!(
        text.contains(&format!("--> {}:2:1", conf.join("config.toml").display())),
        "{text}"
    );
    assert!(text.contains("did you mean `report`?"), "{text}");
}

fn a_symlinked_shim_is_a_warning() {
    let inst = support::install();
    let dir = inst.scratch();
    std::os::unix::fs::symlink(&inst.doctor, dir.join("bwrap")).unwrap();
    let path = format!("{}:/usr/bin:/bin", dir.display());
    let (_, v) = check_with_env(&[("PATH", &path)]);
    let c = by_id(&v, "shim.path");
    assert_eq!(c["status"], "warning", "{}", text_of(c));
    assert!(c["summary"].as_str().unwrap().contains("is a symlink"));
    assert!(
        c["fix"][0]
            .as_str()
            .unwrap()
            .starts_with("bwrap-doctor install --dir")
    );
    // Codex resolves the symlink and falls back to its bundled bwrap.
    let c = by_id(&v, "shim.codex");
    assert_eq!(c["status"], "warning", "{}", text_of(c));
    assert!(
        text_of(c).contains("runs the bwrap bundled with Codex"),
        "{}",
        text_of(c)
    );
}

fn a_setuid_real_bwrap_behind_the_shim_is_a_warning() {
    let real = support::real_bwrap();
    let dir = support::install().scratch();
    let copy = dir.join("bwrap-setuid");
    std::fs::copy(real, &copy).unwrap();
    if support::is_root() {
        // Setuid to the test user, not to root: the bit is what matters.
        let (uid, gid) = support::test_user();
        std::os::unix::fs::chown(&copy, Some(uid), Some(gid)).unwrap();
    }
    std::fs::set_permissions(&copy, std::fs::Permissions::from_mode(0o4755)).unwrap();
    let (_, v) = check_with_env(&[("BWRAP_DOCTOR_REAL_BWRAP", &copy.display().to_string())]);
    let c = by_id(&v, "shim.path");
    assert_eq!(c["status"], "warning", "{}", text_of(c));
    assert!(
        c["summary"]
            .as_str()
            .unwrap()
            .contains("hides a setuid real bwrap"),
        "{}",
        text_of(c)
    );
    assert!(text_of(c).contains(&format!("sudo chmod u-s {}", copy.display())));
}

fn the_shim_diverted_over_usr_bin_bwrap_fails_with_the_undo_commands() {
    // A private mount namespace stands in for `dpkg-divert --rename
    // /usr/bin/bwrap` plus the shim copied there: the host is not touched.
    if !support::is_root() {
        support::skip("needs root to bind-mount over /usr/bin/bwrap in a private mount namespace");
    }
    let real = support::real_bwrap();
    if real != std::path::Path::new("/usr/bin/bwrap") {
        support::skip("the real bwrap is not /usr/bin/bwrap");
    }
    let inst = support::install();
    let dir = inst.scratch();
    let moved = dir.join("bwrap.distrib");
    std::fs::copy(real, &moved).unwrap();
    let diversions = dir.join("diversions");
    std::fs::write(
        &diversions,
        format!("/usr/bin/bwrap\n{}\n:\n", moved.display()),
    )
    .unwrap();
    let script = r#"
        set -e
        mount --bind "$1" /usr/bin/bwrap
        touch /var/lib/dpkg/diversions 2>/dev/null || true
        mount --bind "$2" /var/lib/dpkg/diversions
        shift 2
        exec "$@"
    "#;
    let shim = inst.shim.display().to_string();
    let div = diversions.display().to_string();
    let (code, v) = check_in(
        As::Root,
        &[
            "unshare",
            "-m",
            "--propagation",
            "private",
            "sh",
            "-c",
            script,
            "sh",
            &shim,
            &div,
        ],
        &|c| {
            c.env("BWRAP_DOCTOR_REAL_BWRAP", &moved);
        },
    );
    assert_eq!(code, Some(1), "{v:#}");
    let c = by_id(&v, "shim.apparmor-path");
    assert_eq!(c["status"], "fail", "{}", text_of(c));
    let t = text_of(c);
    assert!(t.contains("the shim is installed as /usr/bin/bwrap"), "{t}");
    assert!(
        t.contains(&format!(
            "dpkg diversion: /usr/bin/bwrap -> {} (by :)",
            moved.display()
        )),
        "{t}"
    );
    assert!(
        t.contains("sudo dpkg-divert --local --rename --remove /usr/bin/bwrap"),
        "{t}"
    );
}

fn a_broken_rule_file_and_a_missing_hook_target_are_warnings() {
    let dir = support::install().scratch();
    let rules = dir.join("broken.toml");
    std::fs::write(&rules, "[[rule]]\nid = \"x\"\nmatch = \"(\"\n").unwrap();
    let (code, v) = check_with_env(&[
        ("BWRAP_DOCTOR_RULES", &rules.display().to_string()),
        ("FLATPAK_BWRAP", "/nonexistent/flatpak-bwrap"),
        (
            "PRESSURE_VESSEL_BWRAP",
            &support::install().shim.display().to_string(),
        ),
    ]);
    assert_eq!(code, Some(0), "warnings do not fail the check: {v:#}");
    let r = by_id(&v, "shim.rules");
    assert_eq!(r["status"], "warning", "{}", text_of(r));
    assert!(text_of(r).contains("broken.toml"), "{}", text_of(r));
    let h = by_id(&v, "shim.env-hooks");
    assert_eq!(h["status"], "warning", "{}", text_of(h));
    let t = text_of(h);
    assert!(
        t.contains("FLATPAK_BWRAP=/nonexistent/flatpak-bwrap: which does not exist"),
        "{t}"
    );
    assert!(
        t.contains("PRESSURE_VESSEL_BWRAP=") && t.contains("the bwrap-doctor shim"),
        "{t}"
    );
}
