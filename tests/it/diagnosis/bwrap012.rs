//! bubblewrap 0.12's new messages, reproduced for real with Debian trixie's
//! bubblewrap 0.12.0 (scripts/trixie.sh makes it runnable here) and, where
//! the failure is the same, with this machine's 0.8.0 side by side: the shim
//! runs each, bwrap's words come first and unchanged, and the rule that
//! explains them is confirmed. Recipes: /work/research/bwrap/messages-0.12.md
//! (cases A2, B1, D2, I6, F3, H1).

use super::reproduce::assert_diagnosed;
use crate::support::{self, As, PlainEnv, seccomp};
use crate::{Body, Test};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

pub fn tests() -> Vec<Test> {
    tests![
        Each a_symlink_destination_is_refused_by_0_12_and_diagnosed,
        Each a_file_bound_onto_a_directory_is_diagnosed_in_0_8_and_0_12,
        Each a_destination_to_create_under_a_read_only_bind_is_diagnosed_in_0_8_and_0_12,
        Each openat2_refused_by_a_seccomp_filter_is_diagnosed_for_0_12,
        Once a_masked_proc_is_diagnosed_in_0_8_and_0_12,
        Once a_setuid_0_12_is_refused_and_diagnosed,
    ]
}

/// bubblewrap 0.12.0 from Debian trixie, or skip.
pub(super) fn bwrap012() -> PathBuf {
    support::fetched(
        "trixie.sh",
        &["bwrap"],
        "bubblewrap 0.12 from Debian trixie",
    )
}

/// `[wrapper…] BWRAP ARGS…` run directly and through the shim (told to run
/// `real` by BWRAP_DOCTOR_REAL_BWRAP), with the same environment.
pub(super) fn twice_with(
    real: &Path,
    who: As,
    wrapper: &[&str],
    args: &[&str],
    setup: &dyn Fn(&mut Command),
) -> (support::Output, support::Output) {
    let inst = support::install();
    let run = |bwrap: &Path| {
        let mut argv: Vec<String> = wrapper.iter().map(|s| s.to_string()).collect();
        argv.push(bwrap.display().to_string());
        argv.extend(args.iter().map(|s| s.to_string()));
        let mut c = Command::new(&argv[0]);
        c.args(&argv[1..])
            .plain_env()
            .env("BWRAP_DOCTOR_REAL_BWRAP", real);
        setup(&mut c);
        who.apply(&mut c);
        support::run(&mut c)
    };
    (run(real), run(&inst.shim))
}

fn a_symlink_destination_is_refused_by_0_12_and_diagnosed(who: &As) {
    let b12 = bwrap012();
    let dir = support::install().scratch();
    std::fs::create_dir(dir.join("target")).unwrap();
    let link = dir.join("link");
    std::os::unix::fs::symlink(dir.join("target"), &link).unwrap();
    let l = link.display().to_string();
    let (direct, shim) = twice_with(
        &b12,
        *who,
        &[],
        &["--ro-bind", "/", "/", "--bind", "/tmp", &l, "true"],
        &|_| {},
    );
    assert_eq!(
        direct.stderr_text(),
        format!("bwrap: Can't mount on symlink destination {l}\n")
    );
    assert_diagnosed(&direct, &shim, Some("bind-dest-symlink.refused"));
}

fn a_file_bound_onto_a_directory_is_diagnosed_in_0_8_and_0_12(who: &As) {
    let dir = support::install().scratch();
    let d = dir.join("adir");
    std::fs::create_dir(&d).unwrap();
    let d = d.display().to_string();
    let args = [
        "--ro-bind",
        "/",
        "/",
        "--ro-bind",
        "/etc/hostname",
        &d,
        "true",
    ];
    for (real, want) in [
        (
            support::real_bwrap().to_path_buf(),
            format!("bwrap: Can't create file at {d}: Is a directory\n"),
        ),
        (
            bwrap012(),
            format!("bwrap: Destination is not a file {d}\n"),
        ),
    ] {
        let (direct, shim) = twice_with(&real, *who, &[], &args, &|_| {});
        assert_eq!(direct.stderr_text(), want, "{}", real.display());
        assert_diagnosed(&direct, &shim, Some("bad-arguments.dest-type"));
    }
}

fn a_destination_to_create_under_a_read_only_bind_is_diagnosed_in_0_8_and_0_12(who: &As) {
    // What agent tools do to hide a path that does not exist: bind /dev/null
    // over it inside --ro-bind / /.
    let missing = "/etc/bwrap-doctor-test-missing";
    assert!(!Path::new(missing).exists());
    let args = [
        "--ro-bind",
        "/",
        "/",
        "--ro-bind",
        "/dev/null",
        missing,
        "true",
    ];
    for (real, want) in [
        (
            support::real_bwrap().to_path_buf(),
            format!("bwrap: Can't create file at {missing}: Read-only file system\n"),
        ),
        (
            bwrap012(),
            format!("bwrap: Can't create file {missing}: Read-only file system\n"),
        ),
    ] {
        let (direct, shim) = twice_with(&real, *who, &[], &args, &|_| {});
        assert_eq!(direct.stderr_text(), want, "{}", real.display());
        assert_diagnosed(&direct, &shim, Some("bad-arguments.dest-read-only"));
    }
}

fn openat2_refused_by_a_seccomp_filter_is_diagnosed_for_0_12(who: &As) {
    // A profile from before Linux 5.6 (or systemd's RestrictSUIDSGID=yes):
    // openat2 refused. Debian's 0.12 has no fallback and says ENOSYS.
    let b12 = bwrap012();
    let deny = [seccomp::Deny::syscall(437, libc::EPERM)];
    let (direct, shim) = twice_with(&b12, *who, &[], &["--ro-bind", "/", "/", "true"], &|c| {
        seccomp::apply(c, &deny)
    });
    assert_eq!(
        direct.stderr_text(),
        "bwrap: Can't open source /: Function not implemented\n"
    );
    assert_diagnosed(
        &direct,
        &shim,
        Some("kernel-feature-missing.openat2-filtered"),
    );
}

fn a_masked_proc_is_diagnosed_in_0_8_and_0_12() {
    // Docker's masked /proc, made for real: root covers /proc/keys in a
    // private mount namespace (as a container runtime does, from outside
    // the user's namespaces), and the unprivileged user's bwrap is then
    // refused a fresh procfs ("mount too revealing").
    if !support::is_root() {
        support::skip(
            "needs root to mask /proc in a private mount namespace, as a container runtime does",
        );
    }
    let (uid, gid) = support::test_user();
    let wrapper_owned = [
        "unshare".to_string(),
        "-m".into(),
        "--propagation".into(),
        "private".into(),
        "sh".into(),
        "-c".into(),
        "u=$0 g=$1; shift; mount --bind /dev/null /proc/keys && exec setpriv --reuid=\"$u\" --regid=\"$g\" --clear-groups \"$@\"".into(),
        uid.to_string(),
        gid.to_string(),
    ];
    let wrapper: Vec<&str> = wrapper_owned.iter().map(String::as_str).collect();
    let args = [
        "--unshare-pid",
        "--ro-bind",
        "/",
        "/",
        "--proc",
        "/proc",
        "true",
    ];
    for (real, want) in [
        (
            support::real_bwrap().to_path_buf(),
            "bwrap: Can't mount proc on /newroot/proc: Operation not permitted\n",
        ),
        (
            bwrap012(),
            "bwrap: Can't mount proc on /proc: Operation not permitted\n",
        ),
    ] {
        let (direct, shim) = twice_with(&real, As::Root, &wrapper, &args, &|_| {});
        assert_eq!(direct.stderr_text(), want, "{}", real.display());
        let diagnosis = assert_diagnosed(&direct, &shim, Some("proc-mount-denied.masked"));
        assert!(diagnosis.contains("/proc/keys"), "{diagnosis}");
    }
}

fn a_setuid_0_12_is_refused_and_diagnosed() {
    if !support::is_root() {
        support::skip("needs root to make a setuid-root copy of bubblewrap 0.12");
    }
    let b12 = bwrap012();
    let dir = support::install().scratch();
    let copy = dir.join("bwrap-0.12-setuid");
    std::fs::copy(&b12, &copy).unwrap();
    std::fs::set_permissions(&copy, std::fs::Permissions::from_mode(0o4755)).unwrap();
    let (direct, shim) = twice_with(
        &copy,
        As::User,
        &[],
        &["--ro-bind", "/", "/", "true"],
        &|_| {},
    );
    // 0.12 refuses at once; nothing of setuid mode is left to exploit, but
    // the copy goes away right here anyway.
    let _ = std::fs::remove_file(&copy);
    assert_eq!(
        direct.stderr_text(),
        "bwrap: setuid use of bubblewrap is not supported\n"
    );
    assert_diagnosed(&direct, &shim, Some("setuid-mode-restriction.unsupported"));
}
