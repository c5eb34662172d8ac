//! `bwrap-doctor fix`: the AppArmor profile is one the AppArmor 4 parser
//! accepts and names the real path; `--apply` refuses what it cannot do and
//! writes nothing; the sysctl drop-in, applied where a namespace limit is 0,
//! makes the check pass.

use crate::support::{self, As, seccomp};
use crate::{Body, Test};
use std::path::Path;
use std::process::Command;

pub fn tests() -> Vec<Test> {
    tests![
        Once the_apparmor_profile_is_accepted_by_the_apparmor_4_parser,
        Once the_apparmor_profile_names_the_real_path_of_a_symlinked_bwrap,
        Once pattern_profiles_for_versioned_bwraps_are_accepted_by_the_apparmor_4_parser,
        Once a_versioned_bwrap_gets_a_pattern_profile_and_the_reason,
        Each apparmor_apply_refuses_without_apparmor_or_root_and_writes_nothing,
        Each apparmor_apply_refuses_a_profile_that_conflicts_and_names_the_other,
        Each check_flags_an_own_profile_whose_bwrap_is_gone_until_it_is_removed,
        Each sysctl_apply_where_the_user_namespace_limit_is_zero_makes_check_pass,
        Once sysctl_on_a_healthy_host_has_nothing_to_change,
        Each fix_alone_lists_the_fixes_of_what_fails,
    ]
}

/// The text between `<<'EOF'` and `EOF` in the printed instructions.
fn heredoc(text: &str) -> String {
    let start = text.find("<<'EOF'\n").expect("a heredoc") + "<<'EOF'\n".len();
    let end = start + text[start..].find("\nEOF\n").expect("its end");
    text[start..end].to_string() + "\n"
}

fn parse_with_apparmor_4(profile: &Path) -> std::process::Output {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/trixie.sh");
    let out = Command::new(script)
        .arg("apparmor_parser")
        .arg(profile)
        .output()
        .unwrap();
    if out.status.code() == Some(77) {
        support::skip(format!(
            "Debian trixie's AppArmor 4 parser is not here (scripts/test.sh fetches it with scripts/trixie.sh fetch): {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    out
}

fn the_apparmor_profile_is_accepted_by_the_apparmor_4_parser() {
    let real = support::real_bwrap();
    let out = support::run(&mut crate::cli_doctor(
        As::User,
        &["fix", "apparmor", "--bwrap", &real.display().to_string()],
    ));
    assert_eq!(out.status.code(), Some(0), "{}", out.stderr_text());
    let text = out.stdout_text();
    let profile = heredoc(&text);
    assert!(
        profile.starts_with("# Written by bwrap-doctor"),
        "{profile}"
    );
    assert!(
        profile.contains(&format!(
            " {} flags=(unconfined) {{\n  userns,\n",
            real.display()
        )),
        "{profile}"
    );
    assert!(
        text.contains("sudo apparmor_parser -r /etc/apparmor.d/bwrap-doctor."),
        "{text}"
    );
    let dir = support::install().scratch();
    let file = dir.join("profile");
    std::fs::write(&file, &profile).unwrap();
    let parsed = parse_with_apparmor_4(&file);
    assert!(
        parsed.status.success(),
        "AppArmor 4 rejects the profile:\n{profile}\n{}",
        String::from_utf8_lossy(&parsed.stderr)
    );
    // The parser is a real judge: the same profile with a broken rule fails.
    let broken = dir.join("broken");
    std::fs::write(&broken, profile.replace("userns,", "userns,,")).unwrap();
    assert!(!parse_with_apparmor_4(&broken).status.success());
}

fn the_apparmor_profile_names_the_real_path_of_a_symlinked_bwrap() {
    let real = support::real_bwrap();
    let dir = support::install().scratch();
    let link = dir.join("bwrap");
    std::os::unix::fs::symlink(real, &link).unwrap();
    let out = support::run(&mut crate::cli_doctor(
        As::User,
        &["fix", "apparmor", "--bwrap", &link.display().to_string()],
    ));
    let text = out.stdout_text();
    assert!(
        text.starts_with(&format!(
            "# {} resolves to {}",
            link.display(),
            real.display()
        )),
        "{text}"
    );
    assert!(
        heredoc(&text).contains(&format!(" {} flags=(unconfined)", real.display())),
        "{text}"
    );
}

fn apparmor_apply_refuses_without_apparmor_or_root_and_writes_nothing(who: &As) {
    let real = support::real_bwrap();
    if Path::new("/sys/module/apparmor/parameters/enabled").exists() {
        support::skip("AppArmor is active here; --apply would really load a profile");
    }
    let file = Path::new("/etc/apparmor.d/bwrap-doctor.usr.bin.bwrap");
    let existed = file.exists();
    let out = support::run(&mut crate::cli_doctor(
        *who,
        &[
            "fix",
            "apparmor",
            "--bwrap",
            &real.display().to_string(),
            "--apply",
        ],
    ));
    assert_eq!(out.status.code(), Some(2));
    let err = out.stderr_text();
    let want = if *who == As::Root {
        "bwrap-doctor: --apply: AppArmor is not active on this host, so there is nothing to load the profile into; nothing was written\n"
    } else {
        "bwrap-doctor: --apply writes /etc/apparmor.d and loads the profile: run it as root (sudo bwrap-doctor fix apparmor --apply)\n"
    };
    assert_eq!(err, want);
    assert_eq!(file.exists(), existed, "--apply wrote {}", file.display());
}

/// A vendored bwrap of each shape whose path changes at upgrades: the
/// profile `fix apparmor` writes for it attaches to a pattern, and the
/// AppArmor 4 parser accepts every one.
fn pattern_profiles_for_versioned_bwraps_are_accepted_by_the_apparmor_4_parser() {
    use bwrap_doctor_engine::written::apparmor;
    let dir = support::install().scratch();
    let paths = [
        "/home/me/.npm/_npx/a1b2c3d4e5f60718/node_modules/@anthropic-ai/sandbox-runtime/vendor/bwrap",
        "/nix/store/9x8lkc2hzl0yscjq7wqz1c4m3kf1qz0a-bubblewrap-0.11.0/bin/bwrap",
        "/home/me/.steam/debian-installation/ubuntu12_64/steam-runtime-sniper/pressure-vessel/libexec/steam-runtime-tools-0/srt-bwrap",
        "/tmp/.mount_Cursor3xYz/usr/bin/bwrap",
        "/home/me/.vscode-server/bin/0123456789abcdef0123456789abcdef01234567/bwrap",
        "/opt/we[ird]-2.0/bwrap",
    ];
    for (i, p) in paths.iter().enumerate() {
        let path = Path::new(p);
        let v = apparmor::classify(path).unwrap_or_else(|| panic!("{p} not recognised"));
        let profile = apparmor::profile(path) + "\n";
        assert!(
            profile.contains(&format!(" {} flags=(unconfined) {{", v.glob)),
            "{profile}"
        );
        let file = dir.join(format!("p{i}"));
        std::fs::write(&file, &profile).unwrap();
        let parsed = parse_with_apparmor_4(&file);
        assert!(
            parsed.status.success(),
            "AppArmor 4 rejects the pattern profile for {p}:\n{profile}\n{}",
            String::from_utf8_lossy(&parsed.stderr)
        );
    }
    // The parser judges the attachment: an unbalanced brace is refused.
    let broken = dir.join("broken");
    let text = apparmor::profile(Path::new(paths[1])).replace("-*/bin/bwrap", "-{*/bin/bwrap");
    std::fs::write(&broken, text + "\n").unwrap();
    assert!(!parse_with_apparmor_4(&broken).status.success());
}

/// `fix apparmor` for a bwrap in a versioned directory prints what
/// changes at upgrades, the pattern and why, and a profile attached to it.
fn a_versioned_bwrap_gets_a_pattern_profile_and_the_reason() {
    let real = support::real_bwrap();
    let dir = support::install().scratch().join("tool-1.4.2");
    std::fs::create_dir_all(&dir).unwrap();
    let copy = dir.join("bwrap");
    std::fs::copy(real, &copy).unwrap();
    let out = support::run(&mut crate::cli_doctor(
        As::User,
        &["fix", "apparmor", "--bwrap", &copy.display().to_string()],
    ));
    assert_eq!(out.status.code(), Some(0), "{}", out.stderr_text());
    let text = out.stdout_text();
    let pattern = format!("{}/tool-*/bwrap", dir.parent().unwrap().display());
    assert!(
        text.contains(&format!(
            "# {} is a bwrap in a versioned directory: a directory in its path carries a version or a hash, which the next upgrade changes.\n# A profile for this exact path would stop matching at the next upgrade, silently.\n# Recommended: the profile below, which attaches to the pattern {pattern} because",
            copy.display()
        )),
        "{text}"
    );
    assert!(
        heredoc(&text).contains(&format!(" {pattern} flags=(unconfined) {{\n  userns,\n")),
        "{text}"
    );
}

/// A shell in a user and mount namespace where /etc/apparmor.d is a
/// private tmpfs: `fix apparmor --apply` and `check` run as that
/// namespace's root against profiles the test puts there.
fn in_private_apparmor_d(who: &As, script: &str, dir: &Path) -> support::Output {
    if !Path::new("/etc/apparmor.d").is_dir() {
        support::skip("/etc/apparmor.d does not exist here to mount a private tmpfs over");
    }
    let inst = support::install();
    let mut c = Command::new("unshare");
    c.args(["-Urm", "sh", "-c", script])
        .arg(&inst.doctor)
        .arg(dir)
        .env_clear()
        .env("PATH", inst.path_var())
        .env("HOME", "/")
        .env("NO_COLOR", "1")
        .current_dir("/");
    who.apply(&mut c);
    support::run(&mut c)
}

fn apparmor_apply_refuses_a_profile_that_conflicts_and_names_the_other(who: &As) {
    let real = support::real_bwrap();
    if Path::new("/sys/module/apparmor/parameters/enabled").exists() {
        support::skip("AppArmor is active here; --apply would really load a profile");
    }
    let dir = support::install().scratch();
    // Ubuntu's exception for the same path, as Ubuntu 25.04 ships it.
    std::fs::write(
        dir.join("theirs"),
        format!(
            "abi <abi/4.0>,\ninclude <tunables/global>\n\nprofile bwrap {} flags=(attach_disconnected,mediate_deleted) {{\n  allow userns,\n}}\n",
            real.display()
        ),
    )
    .unwrap();
    let script = r#"
        set -e
        mount -t tmpfs none /etc/apparmor.d
        cp "$1/theirs" /etc/apparmor.d/bwrap-userns-restrict
        "$0" fix apparmor --bwrap "$2" > "$1/printed" 2> "$1/printed-err" || true
        rc=0; "$0" fix apparmor --bwrap "$2" --apply > "$1/applied" 2> "$1/err" || rc=$?
        echo $rc > "$1/rc"
        ls /etc/apparmor.d > "$1/after"
        rm /etc/apparmor.d/bwrap-userns-restrict
        rc=0; "$0" fix apparmor --bwrap "$2" --apply > /dev/null 2> "$1/err-alone" || rc=$?
        echo $rc > "$1/rc-alone"
    "#;
    let script = script.replace("\"$2\"", &format!("'{}'", real.display()));
    let out = in_private_apparmor_d(who, &script, &dir);
    let read = |f: &str| std::fs::read_to_string(dir.join(f)).unwrap_or_default();
    assert!(out.status.success(), "{}", out.stderr_text());
    let file = format!(
        "/etc/apparmor.d/bwrap-doctor.{}",
        real.display()
            .to_string()
            .trim_start_matches('/')
            .replace('/', ".")
    );
    assert!(
        read("printed").contains(&format!(
            "# CONFLICT: \"bwrap\" (/etc/apparmor.d/bwrap-userns-restrict) already attaches to {} as specifically as this profile would.",
            real.display()
        )),
        "{}",
        read("printed")
    );
    assert_eq!(read("rc").trim(), "2", "{}", read("applied"));
    assert_eq!(
        read("err"),
        format!(
            "bwrap-doctor: --apply: {file} would conflict with \"bwrap\" (/etc/apparmor.d/bwrap-userns-restrict), which attaches to {} as specifically: AppArmor would attach neither; nothing was written (use that profile, or remove it first: sudo apparmor_parser -R FILE && sudo rm FILE)\n",
            real.display()
        )
    );
    assert_eq!(
        read("after"),
        "bwrap-userns-restrict\n",
        "--apply wrote a file"
    );
    // Without the rival, --apply goes on to the next gate (no AppArmor here).
    assert_eq!(read("rc-alone").trim(), "2");
    assert!(
        read("err-alone").contains("AppArmor is not active on this host"),
        "{}",
        read("err-alone")
    );
}

/// bwrap-doctor's profile for a vendored bwrap that was upgraded away:
/// `check` warns naming the file and the command; once the command's file
/// removal is done, the check passes (the unload half needs AppArmor).
fn check_flags_an_own_profile_whose_bwrap_is_gone_until_it_is_removed(who: &As) {
    support::real_bwrap();
    let dir = support::install().scratch();
    let gone = dir.join("tool-1.0.0/bwrap");
    let profile = bwrap_doctor_engine::written::apparmor::profile(&dir.join("nothing-here/bwrap"))
        .replace(
            &dir.join("nothing-here/bwrap").display().to_string(),
            &gone.display().to_string(),
        );
    std::fs::write(dir.join("ours"), profile + "\n").unwrap();
    let script = r#"
        set -e
        mount -t tmpfs none /etc/apparmor.d
        cp "$1/ours" /etc/apparmor.d/bwrap-doctor.old
        "$0" check --json > "$1/before" || true
        rm /etc/apparmor.d/bwrap-doctor.old
        "$0" check --json > "$1/after" || true
    "#;
    let out = in_private_apparmor_d(who, script, &dir);
    assert!(out.status.success(), "{}", out.stderr_text());
    let check = |f: &str| {
        let text = std::fs::read_to_string(dir.join(f)).unwrap();
        let v = support::schema::parse_valid(&text);
        v["checks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["id"] == "policy.apparmor-own-profiles")
            .cloned()
            .unwrap_or_else(|| panic!("no policy.apparmor-own-profiles in {text}"))
    };
    let before = check("before");
    assert_eq!(before["status"], "warning", "{before}");
    assert_eq!(
        before["evidence"][0],
        format!(
            "/etc/apparmor.d/bwrap-doctor.old: attaches to {}, which no longer exists",
            gone.display()
        )
    );
    let fix = before["fix"][0].as_str().unwrap();
    assert!(
        fix.ends_with("\nsudo apparmor_parser -R /etc/apparmor.d/bwrap-doctor.old && sudo rm /etc/apparmor.d/bwrap-doctor.old"),
        "{fix}"
    );
    let after = check("after");
    assert_eq!(after["status"], "ok", "{after}");
}

fn sysctl_apply_where_the_user_namespace_limit_is_zero_makes_check_pass(who: &As) {
    // A user namespace with its own mount namespace: the limit is 0 there,
    // /etc/sysctl.d is a private tmpfs, and `fix sysctl --apply` runs as that
    // namespace's root.
    support::real_bwrap();
    let inst = support::install();
    let dir = inst.scratch();
    let script = r#"
        set -e
        mount -t tmpfs none /etc/sysctl.d
        echo 0 > /proc/sys/user/max_user_namespaces
        "$0" fix sysctl > "$1/printed" || true
        "$0" fix sysctl --apply > "$1/applied"; echo $? > "$1/rc"
        cp /etc/sysctl.d/60-bwrap-userns.conf "$1/drop-in"
        cat /proc/sys/user/max_user_namespaces > "$1/now"
    "#;
    let mut c = Command::new("unshare");
    c.args(["-Urm", "sh", "-c", script])
        .arg(&inst.doctor)
        .arg(&dir)
        .env_clear()
        .env("PATH", inst.path_var())
        .env("HOME", "/")
        .env("NO_COLOR", "1")
        .current_dir("/");
    who.apply(&mut c);
    let out = support::run(&mut c);
    let read = |f: &str| std::fs::read_to_string(dir.join(f)).unwrap_or_default();
    assert!(
        out.status.success(),
        "{}\n{}",
        out.stderr_text(),
        read("applied")
    );
    let printed = read("printed");
    assert!(
        printed.contains("#   user.max_user_namespaces = 0: no user namespace may be created"),
        "{printed}"
    );
    assert!(
        printed.contains("sudo tee /etc/sysctl.d/60-bwrap-userns.conf"),
        "{printed}"
    );
    assert_eq!(
        heredoc(&printed),
        read("drop-in"),
        "the file written is the file printed"
    );
    assert!(read("drop-in").starts_with("# Written by bwrap-doctor"));
    assert!(read("drop-in").contains("\nuser.max_user_namespaces = 28633\n"));
    assert_eq!(read("now").trim(), "28633");
    assert_eq!(
        read("rc").trim(),
        "0",
        "the check after --apply fails:\n{}",
        read("applied")
    );
    assert!(
        read("applied").contains("bwrap sandboxes work on this host"),
        "{}",
        read("applied")
    );
}

fn sysctl_on_a_healthy_host_has_nothing_to_change() {
    let out = support::run(&mut crate::cli_doctor(As::User, &["fix", "sysctl"]));
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        out.stdout_text(),
        "bwrap-doctor: no namespace sysctl is switched off here; nothing to change\n"
    );
}

fn fix_alone_lists_the_fixes_of_what_fails(who: &As) {
    support::real_bwrap();
    let deny = [seccomp::deny_loopback()];
    let mut c = crate::cli_doctor(*who, &["fix"]);
    seccomp::apply(&mut c, &deny);
    let out = support::run(&mut c);
    let text = out.stdout_text();
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.starts_with("kernel.netns (fail): "), "{text}");
    assert!(text.contains("\nsandbox.user-net (fail): "), "{text}");
    assert!(
        text.ends_with("(from `bwrap-doctor check`; narrowest fix first)\n"),
        "{text}"
    );
    let healthy = support::run(&mut crate::cli_doctor(*who, &["fix"]));
    assert_eq!(healthy.status.code(), Some(0), "{}", healthy.stdout_text());
}
