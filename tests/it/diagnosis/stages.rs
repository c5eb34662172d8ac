//! Messages no specific rule knows, made for real with this machine's
//! bubblewrap 0.8.0 and trixie's 0.12.0: the shim keeps bwrap's words first
//! and unchanged, then falls back to the stage rule of the step that failed
//! (rules/stages.toml) — the step, what its errno means there, the causes —
//! instead of "no rule explains this message".

use super::bwrap012::{bwrap012, twice_with};
use crate::support::{self, As};
use crate::{Body, Test};

pub fn tests() -> Vec<Test> {
    tests![
        Each a_symlink_over_an_existing_file_is_explained_by_its_step_in_0_8_and_0_12,
        Each chmod_of_a_missing_path_is_explained_by_its_step_in_0_8_and_0_12,
        Each remount_ro_of_a_missing_path_is_explained_by_its_step_in_0_8_and_0_12,
    ]
}

const FILES: &str = "the step of creating the directories, files and symlinks";
const BINDS: &str = "the step of bind mounts and their remounts";

/// Run `args` with 0.8 and 0.12, directly and through the shim: bwrap's
/// line is `want` (per release), first and unchanged through the shim,
/// and the diagnosis names the step and the errno's meaning there.
fn falls_back(who: As, args: &[&str], cases: [(&str, &str, &str); 2]) {
    for (n, (want, step, says)) in cases.into_iter().enumerate() {
        let real = if n == 0 {
            support::real_bwrap().to_path_buf()
        } else {
            bwrap012()
        };
        let (direct, shim) = twice_with(&real, who, &[], args, &|_| {});
        let (d, s) = (direct.stderr_text(), shim.stderr_text());
        assert_eq!(d, format!("bwrap: {want}\n"), "{}", real.display());
        assert_eq!(direct.status.code(), Some(1));
        assert_eq!(shim.status.code(), Some(1), "exit status differs");
        assert!(s.starts_with(&d), "bwrap's words first:\n{s}");
        let diagnosis = &s[d.len()..];
        assert!(
            diagnosis.contains("no cause could be confirmed")
                && diagnosis.contains(step)
                && diagnosis.contains(says),
            "{}: expected the step rule ({step}; {says}), got:\n{diagnosis}",
            real.display()
        );
        assert!(!diagnosis.contains("no rule explains"), "{diagnosis}");
    }
}

fn a_symlink_over_an_existing_file_is_explained_by_its_step_in_0_8_and_0_12(who: &As) {
    falls_back(
        *who,
        &[
            "--ro-bind",
            "/",
            "/",
            "--symlink",
            "foo",
            "/etc/passwd",
            "true",
        ],
        [
            (
                "Can't make symlink at /etc/passwd: File exists",
                FILES,
                "with EEXIST (File exists): something else already exists at the path",
            ),
            (
                "Can't make symlink at /etc/passwd: destination exists and is not a symlink",
                FILES,
                "it states the reason itself",
            ),
        ],
    );
}

fn chmod_of_a_missing_path_is_explained_by_its_step_in_0_8_and_0_12(who: &As) {
    let missing = "/bwrap-doctor-test-missing";
    assert!(!std::path::Path::new(missing).exists());
    falls_back(
        *who,
        &["--ro-bind", "/", "/", "--chmod", "0700", missing, "true"],
        [
            (
                "Can't chmod 0700 /bwrap-doctor-test-missing: No such file or directory",
                FILES,
                "with ENOENT (No such file or directory)",
            ),
            (
                "Can't open /bwrap-doctor-test-missing: No such file or directory",
                FILES,
                "with ENOENT (No such file or directory)",
            ),
        ],
    );
}

fn remount_ro_of_a_missing_path_is_explained_by_its_step_in_0_8_and_0_12(who: &As) {
    let missing = "/bwrap-doctor-test-missing";
    assert!(!std::path::Path::new(missing).exists());
    falls_back(
        *who,
        &["--ro-bind", "/", "/", "--remount-ro", missing, "true"],
        [
            (
                "Can't remount readonly on /newroot/bwrap-doctor-test-missing: realpath(destination): No such file or directory",
                BINDS,
                "with ENOENT (No such file or directory): a path of the bind does not exist",
            ),
            (
                "Can't create file /bwrap-doctor-test-missing: No such file or directory",
                FILES,
                "with ENOENT (No such file or directory)",
            ),
        ],
    );
}
