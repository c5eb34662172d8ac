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
        Each apparmor_apply_refuses_without_apparmor_or_root_and_writes_nothing,
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
