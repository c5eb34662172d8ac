//! The shim writes the diagnosis as versioned JSON where BWRAP_DOCTOR_JSON
//! says: a file (never through a symlink someone planted) or `fd:N`.

use crate::support::{self, As, Via};
use crate::{Body, Test};
use std::io::Read;
use std::os::fd::AsRawFd;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;

pub fn tests() -> Vec<Test> {
    tests![
        Each the_shim_writes_the_diagnosis_as_json_to_a_file,
        Once the_shim_writes_the_diagnosis_as_json_to_an_fd,
        Once the_shim_does_not_follow_a_symlink_planted_at_the_json_path,
        Each an_unwritable_json_path_costs_one_warning_and_nothing_else,
        Each a_json_fd_the_caller_did_not_pass_is_refused_not_created_as_a_file,
    ]
}

fn failing() -> Vec<String> {
    support::strings(support::MISSING_SOURCE)
}

fn check_doc(text: &str) {
    let v = support::schema::parse_valid(text);
    assert_eq!(v["schema"], "bwrap-doctor/diagnosis");
    assert_eq!(v["schema_version"], 1);
    assert_eq!(v["exit"]["code"], 1);
    assert_eq!(v["confirmed"], serde_json::json!(["bind-source-missing"]));
    assert_eq!(v["live"], true);
    assert_eq!(v["bwrap"], support::real_bwrap().display().to_string());
}

fn the_shim_writes_the_diagnosis_as_json_to_a_file(who: &As) {
    let out = support::install().scratch().join("diagnosis.json");
    let mut c = support::bwrap(Via::Shim, *who, failing());
    c.env("BWRAP_DOCTOR_JSON", &out);
    let o = support::run(&mut c);
    assert_eq!(o.status.code(), Some(1));
    check_doc(&std::fs::read_to_string(&out).unwrap());
}

fn the_shim_writes_the_diagnosis_as_json_to_an_fd() {
    let (r, w) = std::io::pipe().unwrap();
    let wfd = w.as_raw_fd();
    let mut c = support::bwrap(Via::Shim, As::User, failing());
    c.env("BWRAP_DOCTOR_JSON", "fd:7");
    // SAFETY: dup2 between fork and exec.
    unsafe {
        c.pre_exec(move || {
            if libc::dup2(wfd, 7) < 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let reader = std::thread::spawn(move || {
        let mut s = String::new();
        let mut r = r;
        r.read_to_string(&mut s).unwrap();
        s
    });
    let o = support::run(&mut c);
    drop(w);
    drop(c);
    assert_eq!(o.status.code(), Some(1));
    check_doc(&reader.join().unwrap());
}

fn the_shim_does_not_follow_a_symlink_planted_at_the_json_path() {
    let dir = support::install().scratch();
    let victim = dir.join("victim");
    std::fs::write(&victim, "precious").unwrap();
    let link = dir.join("diagnosis.json");
    std::os::unix::fs::symlink(&victim, &link).unwrap();
    let mut c = support::bwrap(Via::Shim, As::User, failing());
    c.env("BWRAP_DOCTOR_JSON", &link).env("NO_COLOR", "1");
    let o = support::run(&mut c);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious");
    let err = o.stderr_text();
    assert!(
        err.contains("bwrap-doctor: warning: cannot write the diagnosis to BWRAP_DOCTOR_JSON="),
        "{err}"
    );
    assert!(err.contains("rule: bind-source-missing"), "{err}");
}

fn an_unwritable_json_path_costs_one_warning_and_nothing_else(who: &As) {
    let direct = support::run(&mut support::bwrap(Via::Direct, *who, failing()));
    for (path, why) in [
        (
            "/nonexistent-dir/diagnosis.json",
            "No such file or directory (os error 2)",
        ),
        ("/proc/version", ""),
    ] {
        let mut c = support::bwrap(Via::Shim, *who, failing());
        c.env("BWRAP_DOCTOR_JSON", path).env("NO_COLOR", "1");
        let o = support::run(&mut c);
        assert_eq!(o.status.code(), direct.status.code());
        let err = o.stderr_text();
        assert!(err.starts_with(&direct.stderr_text()), "{err}");
        let warning = format!(
            "bwrap-doctor: warning: cannot write the diagnosis to BWRAP_DOCTOR_JSON={path}: {why}"
        );
        assert_eq!(
            err.lines()
                .filter(|l| l.starts_with("bwrap-doctor: warning: "))
                .count(),
            1,
            "{err}"
        );
        assert!(err.contains(&warning), "{err}");
        assert!(
            err.contains("rule: bind-source-missing"),
            "the diagnosis is still printed: {err}"
        );
    }
}

fn a_json_fd_the_caller_did_not_pass_is_refused_not_created_as_a_file(who: &As) {
    let cwd = support::install()
        .scratch()
        .join(format!("json-fd-{}", who.uid()));
    std::fs::create_dir(&cwd).unwrap();
    std::fs::set_permissions(&cwd, std::fs::Permissions::from_mode(0o777)).unwrap();
    for value in ["fd:2", "fd:x"] {
        let mut c = support::bwrap(Via::Shim, *who, failing());
        c.env("BWRAP_DOCTOR_JSON", value)
            .env("NO_COLOR", "1")
            .current_dir(&cwd);
        let o = support::run(&mut c);
        assert_eq!(o.status.code(), Some(1));
        let err = o.stderr_text();
        let warnings: Vec<&str> = err
            .lines()
            .filter(|l| l.starts_with("bwrap-doctor: warning: "))
            .collect();
        assert_eq!(
            warnings,
            [format!(
                "bwrap-doctor: warning: BWRAP_DOCTOR_JSON={value} names no descriptor the caller passed: use fd:N with N of 3 or more, or a file path"
            )],
            "{err}"
        );
        assert!(err.contains("rule: bind-source-missing"), "{err}");
    }
    let left: Vec<_> = std::fs::read_dir(&cwd)
        .unwrap()
        .flatten()
        .map(|e| e.file_name())
        .collect();
    assert!(left.is_empty(), "files were created: {left:?}");
}
