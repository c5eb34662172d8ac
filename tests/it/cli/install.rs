//! `bwrap-doctor install` / `uninstall`.

use super::check::doctor;
use crate::support::{self, As, PlainEnv};
use crate::{Body, Test};
use std::os::unix::fs::MetadataExt;
use std::process::Command;

pub fn tests() -> Vec<Test> {
    tests![
        Each install_links_the_shim_as_bwrap_and_checks_path_order,
        Once install_refuses_to_overwrite_a_real_bwrap_or_to_take_usr_bin,
        Once install_into_usr_local_bin_works_for_every_user,
        Once uninstall_removes_the_shim_and_nothing_else,
    ]
}

fn install_links_the_shim_as_bwrap_and_checks_path_order(who: &As) {
    let inst = support::install();
    let dir = inst.scratch().join("bin");
    let d = dir.display().to_string();
    let out = support::run(&mut doctor(*who, &["install", "--dir", &d]));
    assert_eq!(out.status.code(), Some(0), "{}", out.stderr_text());
    let text = out.stdout_text();
    let shim = dir.join("bwrap");
    // A hard link where the kernel allows it: root may link anything; a
    // user only a file of their own (protected_hardlinks), else a copy.
    let linked =
        std::fs::metadata(&shim).unwrap().ino() == std::fs::metadata(&inst.doctor).unwrap().ino();
    let owner = std::fs::metadata(&inst.doctor).unwrap().uid();
    assert_eq!(linked, who.uid() == 0 || who.uid() == owner, "{text}");
    if linked {
        assert!(text.contains("(hard link of "), "{text}");
    } else {
        assert!(text.contains("(copy of "), "{text}");
        assert_eq!(
            std::fs::read(&shim).unwrap(),
            std::fs::read(&inst.doctor).unwrap()
        );
    }
    assert!(text.contains("is not on PATH"), "{text}");
    assert!(
        text.contains(&format!("export PATH=\"{d}:$PATH\"")),
        "{text}"
    );
    assert!(
        text.contains(&format!("export FLATPAK_BWRAP={d}/bwrap")),
        "{text}"
    );
    assert!(
        text.contains(&format!("export PRESSURE_VESSEL_BWRAP={d}/bwrap")),
        "{text}"
    );
    // With the directory first on PATH: ok. After /usr/bin: not ok.
    let mut first = doctor(*who, &["install", "--dir", &d]);
    first.env("PATH", format!("{d}:/usr/bin:/bin"));
    assert!(
        support::run(&mut first)
            .stdout_text()
            .contains("PATH order: ok")
    );
    let mut last = doctor(*who, &["install", "--dir", &d]);
    last.env("PATH", format!("/usr/bin:/bin:{d}"));
    let t = support::run(&mut last).stdout_text();
    assert!(
        t.contains("PATH order: NOT ok, /usr/bin/bwrap comes first"),
        "{t}"
    );
    // The installed shim works.
    let mut v = std::process::Command::new(&shim);
    v.arg("--version").env("PATH", format!("{d}:/usr/bin:/bin"));
    assert!(
        support::run(&mut v)
            .stdout_text()
            .starts_with("bubblewrap ")
    );
}

fn install_refuses_to_overwrite_a_real_bwrap_or_to_take_usr_bin() {
    let inst = support::install();
    let dir = inst.scratch();
    std::fs::copy(support::real_bwrap(), dir.join("bwrap")).unwrap();
    let before = std::fs::read(dir.join("bwrap")).unwrap();
    let out = support::run(&mut doctor(
        As::User,
        &["install", "--dir", dir.to_str().unwrap()],
    ));
    assert_eq!(out.status.code(), Some(2));
    assert!(
        out.stderr_text().starts_with("bwrap-doctor: "),
        "{}",
        out.stderr_text()
    );
    assert!(
        out.stderr_text().contains("refusing to overwrite"),
        "{}",
        out.stderr_text()
    );
    assert_eq!(std::fs::read(dir.join("bwrap")).unwrap(), before);
    let out = support::run(&mut doctor(As::User, &["install", "--dir", "/usr/bin"]));
    assert_eq!(out.status.code(), Some(2));
    assert!(
        out.stderr_text().contains("AppArmor"),
        "{}",
        out.stderr_text()
    );
}

fn uninstall_removes_the_shim_and_nothing_else() {
    let inst = support::install();
    let dir = inst.scratch();
    let d = dir.to_str().unwrap();
    assert!(
        support::run(&mut doctor(As::User, &["install", "--dir", d]))
            .status
            .success()
    );
    let out = support::run(&mut doctor(As::User, &["uninstall", "--dir", d]));
    assert_eq!(out.status.code(), Some(0), "{}", out.stderr_text());
    assert!(!dir.join("bwrap").exists());
    std::fs::copy(support::real_bwrap(), dir.join("bwrap")).unwrap();
    let out = support::run(&mut doctor(As::User, &["uninstall", "--dir", d]));
    assert_eq!(out.status.code(), Some(2));
    assert!(dir.join("bwrap").exists(), "uninstall removed a real bwrap");
}

/// The README's system-wide install: `/usr/local/bin` is neither bwrap's
/// package path nor where a loaded AppArmor exception attaches here. Run in
/// a private mount namespace with a tmpfs over /usr/local/bin, so the host
/// keeps its own.
fn install_into_usr_local_bin_works_for_every_user() {
    if !support::is_root() {
        support::skip("needs root to mount a tmpfs over /usr/local/bin in a mount namespace");
    }
    let inst = support::install();
    let script = format!(
        "mount -t tmpfs tmpfs /usr/local/bin && {} install --dir /usr/local/bin && /usr/local/bin/bwrap --ro-bind / / true && echo ran",
        inst.doctor.display()
    );
    let mut c = Command::new("unshare");
    c.args(["-m", "sh", "-c", &script]).plain_env();
    let out = support::run(&mut c);
    assert_eq!(out.status.code(), Some(0), "{}", out.stderr_text());
    assert!(
        out.stdout_text().ends_with("ran\n"),
        "{}",
        out.stdout_text()
    );
}
