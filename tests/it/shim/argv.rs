//! "argv reaches bwrap byte for byte (including --help, --version, --args
//! FD, empty strings, non-UTF-8 bytes); the environment and the working
//! directory are unchanged." — and stdin/stdout are not touched.

use super::{assert_same, both, report};
use crate::support::{self, As, Via};
use crate::{Body, Test};
use std::ffi::OsString;
use std::os::unix::ffi::OsStringExt;
use std::os::unix::process::CommandExt;

pub fn tests() -> Vec<Test> {
    tests![
        Each argv_reaches_bwrap_byte_for_byte,
        Each help_and_version_print_bwraps_own_output_byte_for_byte,
        Once exec_subcommand_runs_bwrap_through_the_shim,
        Each environment_and_working_directory_are_unchanged,
        Each stdin_and_stdout_are_not_touched,
    ]
}

fn argv_reaches_bwrap_byte_for_byte(who: &As) {
    let mut args: Vec<OsString> = support::probe_args(&[], &[])
        .into_iter()
        .map(OsString::from)
        .collect();
    for weird in [
        b"".to_vec(),
        b"\xff\xfe not utf-8 \x80".to_vec(),
        b"with space and 'quotes' \"x\"".to_vec(),
        b"--".to_vec(),
        b"--help".to_vec(),
        "héllo ✓".as_bytes().to_vec(),
    ] {
        args.push(OsString::from_vec(weird));
    }
    let run = |via| {
        let mut c = support::bwrap(via, *who, &args);
        support::run(&mut c)
    };
    let (direct, shim) = (run(Via::Direct), run(Via::Shim));
    assert_same(&direct, &shim);
    let argv = report(&shim)["argv"].clone();
    assert_eq!(argv.as_array().unwrap().len(), 3 + 6, "probe argv: {argv}");
    assert_eq!(argv[3], "", "the empty argument arrived empty");
    assert_eq!(argv[4], support::helper::hex(b"\xff\xfe not utf-8 \x80"));
}

fn help_and_version_print_bwraps_own_output_byte_for_byte(who: &As) {
    for arg in ["--help", "--version"] {
        let (direct, shim) = both(*who, &[arg.to_string()], |_| {});
        assert_same(&direct, &shim);
        assert!(
            !direct.stdout.is_empty() || !direct.stderr.is_empty(),
            "bwrap {arg} printed nothing"
        );
    }
    // Also with nothing at all: bwrap prints its usage and fails.
    let (direct, shim) = both(*who, &[], |_| {});
    assert_same(&direct, &shim);
}

fn exec_subcommand_runs_bwrap_through_the_shim() {
    let inst = support::install();
    let real = support::real_bwrap();
    let args = support::probe_args(&[], &["--exit", "3"]);
    let mut direct = std::process::Command::new(real);
    direct
        .arg0("bwrap")
        .args(&args)
        .env("PATH", inst.path_var());
    let mut exec = std::process::Command::new(&inst.doctor);
    exec.arg("exec")
        .arg("--")
        .args(&args)
        .env("PATH", inst.path_var());
    let (d, e) = (support::run(&mut direct), support::run(&mut exec));
    assert_eq!(e.status.code(), Some(3), "stderr: {}", e.stderr_text());
    assert_eq!(report(&d)["argv"], report(&e)["argv"]);
    // clap never sees bwrap's own options.
    let mut v = std::process::Command::new(&inst.doctor);
    v.args(["exec", "--version"]);
    let out = support::run(&mut v);
    assert!(
        out.stdout_text().starts_with("bubblewrap "),
        "{}",
        out.stdout_text()
    );
}

fn environment_and_working_directory_are_unchanged(who: &As) {
    let dir = support::install().scratch();
    let args = support::probe_args(&[], &[]);
    let (direct, shim) = both(*who, &args, |c| {
        c.current_dir(&dir)
            .env("BWD_TEST_VAR", "value with = and spaces")
            .env(
                OsString::from("BWD_BYTES"),
                OsString::from_vec(b"\xff\x01".to_vec()),
            )
            .env("EMPTY", "");
    });
    assert_same(&direct, &shim);
    let r = report(&shim);
    assert_eq!(r["cwd"], dir.display().to_string());
    let env = r["env"].as_array().unwrap();
    assert!(env.contains(&serde_json::json!(support::helper::hex(
        b"BWD_BYTES=\xff\x01"
    ))));
    assert!(
        !env.iter()
            .map(|e| support::helper::unhex(e.as_str().unwrap()))
            // (BWRAP_DOCTOR_REPORT is the caller's own, set by support::bwrap)
            .any(|e| e.starts_with(b"BWRAP_DOCTOR") && !e.starts_with(b"BWRAP_DOCTOR_REPORT=")),
        "the shim added a variable: {env:?}"
    );
}

fn stdin_and_stdout_are_not_touched(who: &As) {
    let input: Vec<u8> = (0..200_000u32).map(|i| (i * 7 + i / 251) as u8).collect();
    let args = support::probe_args(&[], &["--stdin"]);
    let run = |via| {
        let mut c = support::bwrap(via, *who, &args);
        support::run_with_input(&mut c, Some(&input), std::time::Duration::from_secs(60))
    };
    let (direct, shim) = (run(Via::Direct), run(Via::Shim));
    assert_same(&direct, &shim);
    assert_eq!(
        report(&shim)["stdin"],
        support::helper::hex(&input),
        "the sandbox did not read every stdin byte"
    );
}
