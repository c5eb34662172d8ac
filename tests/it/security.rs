//! The shim opens no door (docs/security.md): started with privileges it
//! was not meant to have, it runs root's bwrap in place and reads nothing
//! the caller names; the command line refuses to run elevated; no command
//! from a rule file is ever run; the probes leave no process, mount or file
//! behind.

use crate::support::{self, As, seccomp};
use crate::{Body, Test};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

pub fn tests() -> Vec<Test> {
    let mut v = tests![
        Once an_elevated_shim_runs_roots_bwrap_in_place_and_reads_nothing_the_caller_names,
        Once an_elevated_command_line_refuses_to_run,
        Each no_command_from_a_rule_file_is_ever_run,
        Each the_probes_leave_no_process_mount_or_file_behind,
    ];
    for t in &mut v {
        t.name = format!("security::{}", t.name);
    }
    v
}

/// A copy of the built program in a directory only root may write, made
/// elevated by `how` (chmod or setcap). Removed by the caller.
fn elevated_copy(name: &str, how: &str) -> PathBuf {
    if !support::is_root() {
        support::skip("needs root to make a setuid, setgid or file-capability copy");
    }
    let dir = support::install()
        .scratch()
        .join(format!("elevated-{}", how.replace([' ', '+', ','], "-")));
    std::fs::create_dir(&dir).unwrap();
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    let copy = dir.join(name);
    std::fs::copy(&support::install().doctor, &copy).unwrap();
    std::fs::set_permissions(&copy, std::fs::Permissions::from_mode(0o755)).unwrap();
    let out = match how {
        "setuid" => support::run(Command::new("chmod").arg("4755").arg(&copy)),
        "setgid" => support::run(Command::new("chmod").arg("2755").arg(&copy)),
        caps => support::run(Command::new("setcap").arg(caps).arg(&copy)),
    };
    assert!(out.status.success(), "{how}: {}", out.stderr_text());
    copy
}

fn an_elevated_shim_runs_roots_bwrap_in_place_and_reads_nothing_the_caller_names() {
    if support::run(Command::new("sh").args(["-c", "command -v strace && command -v setcap"]))
        .status
        .code()
        != Some(0)
    {
        support::skip("strace and setcap are needed (apt-get install strace libcap2-bin)");
    }
    let strace = ["/usr/bin/strace", "/bin/strace"]
        .into_iter()
        .find(|p| Path::new(p).exists())
        .unwrap();
    let real = support::real_bwrap();
    if real != Path::new("/usr/bin/bwrap") && real != Path::new("/bin/bwrap") {
        support::skip(
            "the real bwrap is not at /usr/bin/bwrap or /bin/bwrap, the only paths an elevated shim runs",
        );
    }
    support::test_user();
    let scratch = support::install().scratch();
    // What a caller could plant: another "bwrap" first on PATH, the
    // override variable, a rule file, a JSON path.
    let evil = scratch.join("evil");
    std::fs::create_dir(&evil).unwrap();
    let marker = scratch.join("evil-ran");
    std::fs::write(
        evil.join("bwrap"),
        format!("#!/bin/sh\ntouch {}\n", marker.display()),
    )
    .unwrap();
    std::fs::set_permissions(evil.join("bwrap"), std::fs::Permissions::from_mode(0o755)).unwrap();
    let rules = scratch.join("rules.toml");
    std::fs::write(&rules, "").unwrap();
    let json = scratch.join("diagnosis.json");
    let args = ["--ro-bind", "/nonexistent-bwd", "/mnt", "true"];
    let direct = {
        let mut c = Command::new(real);
        c.args(args).env_clear();
        As::User.apply(&mut c);
        support::run(&mut c)
    };
    for how in ["setuid", "setgid", "cap_net_raw+ep"] {
        let copy = elevated_copy("bwrap", how);
        let trace = scratch.join(format!("trace-{}", how.replace('+', "-")));
        let out = support::run(
            Command::new(strace)
                .args([
                    "-f",
                    "-qq",
                    "-e",
                    "trace=openat,open,execve,stat,newfstatat,statx,readlink",
                ])
                .arg("-o")
                .arg(&trace)
                .args(["-u", support::TEST_USER])
                .arg(&copy)
                .args(args)
                .env_clear()
                .env("PATH", &evil)
                .env("BWRAP_DOCTOR_REAL_BWRAP", evil.join("bwrap"))
                .env("BWRAP_DOCTOR_RULES", &rules)
                .env("BWRAP_DOCTOR_JSON", &json)
                .env("XDG_CONFIG_HOME", &scratch)
                .env("NO_COLOR", "1"),
        );
        let _ = std::fs::remove_file(&copy);
        let t = std::fs::read_to_string(&trace).unwrap();
        assert_eq!(out.status.code(), direct.status.code(), "{how}");
        // bwrap's words only: no diagnosis, no warning. (bwrap itself runs
        // with what the shim was given: setgid, it is not dumpable and
        // cannot write its uid map, as a setgid bwrap cannot.)
        let err = out.stderr_text();
        assert!(
            err.starts_with("bwrap: ") && err.lines().count() == 1 && !err.contains("bwrap-doctor"),
            "{how}: {err}"
        );
        if how == "setuid" {
            assert_eq!(err, direct.stderr_text());
        }
        assert!(
            t.lines()
                .any(|l| l.contains(&format!("execve(\"{}\"", real.display()))),
            "{how}: root's bwrap was not run in place:\n{t}"
        );
        for planted in [&evil, &rules, &json, &scratch.join("bwrap-doctor")] {
            let p = planted.display().to_string();
            let touched: Vec<&str> = t
                .lines()
                .filter(|l| {
                    l.contains(&format!("\"{p}")) && !l.contains("execve(\"/usr/bin/strace")
                })
                .collect();
            assert!(
                touched.is_empty(),
                "{how}: the elevated shim looked at {p}:\n{touched:#?}"
            );
        }
        assert!(!marker.exists(), "{how}: the planted bwrap ran");
        assert!(!json.exists(), "{how}: a JSON diagnosis was written");
    }
}

fn an_elevated_command_line_refuses_to_run() {
    let copy = elevated_copy("bwrap-doctor", "setuid");
    let mut c = Command::new(&copy);
    c.args(["explain", "/etc/shadow"]).env_clear();
    As::User.apply(&mut c);
    let out = support::run(&mut c);
    let _ = std::fs::remove_file(&copy);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(out.stdout_text(), "");
    let err = out.stderr_text();
    assert!(
        err.starts_with("bwrap-doctor: refusing to run with elevated privileges"),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");
}

fn no_command_from_a_rule_file_is_ever_run(who: &As) {
    // A rule whose fix holds a command: the diagnosis prints it; nothing
    // runs it (not the shim, not explain, not check).
    let scratch = support::install().scratch();
    let marker = scratch.join("ran");
    let rules = scratch.join("rules.toml");
    std::fs::write(
        &rules,
        format!(
            r#"[[rule]]
id = "local.runs-nothing"
cause = "bind-source-missing"
summary = "local rule for {{src}}"
patterns = ['^Can.t find source path (?P<src>/.+): No such file or directory$']
explanation = "e"

[[rule.fix]]
title = "t"
scope = "narrow"
commands = "touch {m} && $(touch {m}) `touch {m}`"
"#,
            m = marker.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&rules, std::fs::Permissions::from_mode(0o644)).unwrap();
    let fail = support::MISSING_SOURCE;
    let mut shim = support::bwrap(support::Via::Shim, *who, fail);
    shim.env("BWRAP_DOCTOR_RULES", &rules).env("NO_COLOR", "1");
    let out = support::run(&mut shim);
    assert!(
        out.stderr_text()
            .contains(&format!("touch {}", marker.display())),
        "{}",
        out.stderr_text()
    );
    let err = scratch.join("err.txt");
    std::fs::write(
        &err,
        "bwrap: Can't find source path /nonexistent-bwd: No such file or directory\n",
    )
    .unwrap();
    std::fs::set_permissions(&err, std::fs::Permissions::from_mode(0o644)).unwrap();
    let mut explain = crate::cli_doctor(*who, &["explain", &err.display().to_string(), "--json"]);
    explain.env("BWRAP_DOCTOR_RULES", &rules);
    let out = support::run(&mut explain);
    assert!(out.stdout_text().contains("touch"), "{}", out.stdout_text());
    support::schema::parse_valid(&out.stdout_text());
    let mut check = crate::cli_doctor(*who, &["check", "--json"]);
    check.env("BWRAP_DOCTOR_RULES", &rules);
    let out = support::run(&mut check);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("check --json: {e}: {}", out.stderr_text()));
    support::schema::assert_valid(&v);
    let loaded = v["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "shim.rules")
        .expect("check reports the rule files");
    assert_eq!(
        loaded["status"], "ok",
        "check loaded the rule file: {loaded}"
    );
    assert!(!marker.exists(), "a command from a rule file was run");
}

fn the_probes_leave_no_process_mount_or_file_behind(who: &As) {
    // Failures whose diagnosis runs the live experiments (a user and a
    // network namespace, a procfs mount in forked children) and the path
    // probes, ten times, in a pid namespace of their own: afterwards only
    // the shell that ran them is left in it, its mount table is as before,
    // and /tmp has nothing new.
    support::real_bwrap();
    let inst = support::install();
    let script = r#"
        mounts_before=$(wc -l < /proc/self/mountinfo)
        ls -a /tmp | grep -v '^bwd-it-' | sort > "$1/tmp-before"
        i=0
        while [ $i -lt 10 ]; do
            "$2" --ro-bind / / --unshare-net --ro-bind /nonexistent-bwd /mnt true 2>/dev/null
            "$2" --ro-bind / / --unshare-net true 2>/dev/null
            i=$((i+1))
        done
        sleep 0.2
        ls -a /tmp | grep -v '^bwd-it-' | sort > "$1/tmp-after"
        echo "mounts $mounts_before $(wc -l < /proc/self/mountinfo)"
        # A glob, not a command: the shell forks nothing to list them.
        set -- /proc/[0-9]*
        echo "processes $*"
    "#;
    let dir = inst.scratch();
    // The loopback of the second call is refused by a seccomp filter, so
    // that its diagnosis runs the network experiment.
    let deny = [seccomp::deny_loopback()];
    let mut c = Command::new("unshare");
    c.args(["-Urpf", "--mount-proc", "sh", "-c", script, "sh"])
        .arg(&dir)
        .arg(&inst.shim)
        .env_clear()
        .env("PATH", inst.path_var())
        .env("HOME", "/")
        .current_dir("/");
    seccomp::apply(&mut c, &deny);
    who.apply(&mut c);
    let out = support::run(&mut c);
    let text = out.stdout_text();
    assert!(out.status.success(), "{text}{}", out.stderr_text());
    let mounts: Vec<&str> = text
        .lines()
        .find(|l| l.starts_with("mounts "))
        .unwrap()
        .split(' ')
        .collect();
    assert_eq!(mounts[1], mounts[2], "mounts left behind: {text}");
    // Only the shell (pid 1 of the namespace) is left.
    assert_eq!(
        text.lines().find(|l| l.starts_with("processes ")),
        Some("processes /proc/1"),
        "{text}"
    );
    let before = std::fs::read_to_string(dir.join("tmp-before")).unwrap();
    let after = std::fs::read_to_string(dir.join("tmp-after")).unwrap();
    // What appeared, not what went: other programs on the machine (a
    // compiler's temporary files) may remove their own meanwhile.
    let before: std::collections::BTreeSet<&str> = before.lines().collect();
    let new: Vec<&str> = after.lines().filter(|l| !before.contains(l)).collect();
    assert!(new.is_empty(), "files left in /tmp: {new:?}");
}
