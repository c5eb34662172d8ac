//! Finding the real bwrap (issue: "an override variable; then PATH in order,
//! skipping every entry that is the shim itself — same file, a hard link, a
//! symlink to it, or a byte-identical copy; then the standard system paths.
//! A loop guard against chains of shims. Nothing found → exit 127 and one
//! line").

use crate::support::{self, As};
use crate::{Body, Test};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::Command;

pub fn tests() -> Vec<Test> {
    tests![
        Once finds_the_real_bwrap_skipping_itself_its_links_and_copies,
        Once override_variable_names_the_real_bwrap_and_bad_values_are_refused,
        Once missing_bwrap_exits_127_with_one_line_naming_the_search,
        Once a_loop_of_wrapper_scripts_is_stopped,
        Once a_loop_of_wrapper_scripts_that_do_not_exec_is_stopped,
        Each a_wrapper_script_that_execs_the_real_bwrap_leaves_the_sandbox_environment_as_direct,
    ]
}

fn version_via(shim: &Path, path_var: &str) -> support::Output {
    let mut c = Command::new(shim);
    c.env_clear().env("PATH", path_var).arg("--version");
    support::run(&mut c)
}

fn finds_the_real_bwrap_skipping_itself_its_links_and_copies() {
    let inst = support::install();
    let real = support::real_bwrap();
    let direct = support::run(Command::new(real).arg("--version"));
    let dir = inst.scratch();
    let (hard, sym, copy, noexec) = (
        dir.join("hard"),
        dir.join("sym"),
        dir.join("copy"),
        dir.join("noexec"),
    );
    for d in [&hard, &sym, &copy, &noexec] {
        std::fs::create_dir(d).unwrap();
    }
    std::fs::hard_link(&inst.doctor, hard.join("bwrap")).unwrap();
    std::os::unix::fs::symlink(&inst.shim, sym.join("bwrap")).unwrap();
    std::fs::copy(&inst.doctor, copy.join("bwrap")).unwrap();
    std::fs::write(noexec.join("bwrap"), b"not a program").unwrap();
    std::fs::set_permissions(noexec.join("bwrap"), std::fs::Permissions::from_mode(0o644)).unwrap();
    let path_var = format!(
        "{}:{}:{}:{}:{}",
        hard.display(),
        sym.display(),
        noexec.display(),
        copy.display(),
        real.parent().unwrap().display()
    );
    // Whichever of them is run, each skips the others and finds bubblewrap.
    for entry in [&hard, &sym, &copy] {
        let out = version_via(&entry.join("bwrap"), &path_var);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}: {}",
            entry.display(),
            out.stderr_text()
        );
        assert_eq!(out.stdout, direct.stdout, "via {}", entry.display());
        assert!(out.stderr.is_empty());
    }
}

fn override_variable_names_the_real_bwrap_and_bad_values_are_refused() {
    let inst = support::install();
    let log = inst.scratch().join("log");
    let mut c = super::exit::fake(&log, &["exit", "0"]);
    assert!(support::run(&mut c).status.success());
    assert!(std::fs::read_to_string(&log).unwrap().starts_with("ready "));
    for (value, words) in [
        ("relative/bwrap", "is not an absolute path"),
        ("/nonexistent/bwrap", "does not exist"),
        (inst.shim.to_str().unwrap(), "is bwrap-doctor itself"),
    ] {
        let mut c = Command::new(&inst.shim);
        c.env_clear()
            .env("PATH", inst.path_var())
            .env("BWRAP_DOCTOR_REAL_BWRAP", value)
            .arg("--version");
        let out = support::run(&mut c);
        assert_eq!(out.status.code(), Some(127), "{value}");
        let err = out.stderr_text();
        assert_eq!(err.lines().count(), 1, "one line: {err}");
        assert!(
            err.starts_with("bwrap-doctor: BWRAP_DOCTOR_REAL_BWRAP="),
            "{err}"
        );
        assert!(err.contains(words), "{err}");
    }
}

fn missing_bwrap_exits_127_with_one_line_naming_the_search() {
    // Hide every system copy of bwrap by running the shim in a sandbox
    // where they are not regular files.
    let inst = support::install();
    let mut argv = support::hiding_system_bwraps();
    argv.push(inst.shim.display().to_string());
    argv.push("--version".into());
    let mut c = Command::new(&argv[0]);
    c.env_clear()
        .env("PATH", format!("{}:/usr/bin:/bin", inst.bin.display()))
        .args(&argv[1..]);
    As::User.apply(&mut c);
    let out = support::run(&mut c);
    assert_eq!(out.status.code(), Some(127), "{}", out.stderr_text());
    let err = out.stderr_text();
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.starts_with("bwrap-doctor: cannot find the real bwrap: searched PATH ("),
        "{err}"
    );
    assert!(
        err.contains(&format!("{} [this shim]", inst.bin.display())),
        "{err}"
    );
    assert!(err.contains("/usr/bin/bwrap"), "{err}");
    assert!(err.contains("install bubblewrap ("), "{err}");
}

fn a_loop_of_wrapper_scripts_is_stopped() {
    loop_of_wrappers_is_stopped("#!/bin/sh\nexec bwrap \"$@\"\n");
}

fn a_loop_of_wrapper_scripts_that_do_not_exec_is_stopped() {
    // Each round adds a shell and a shim to the ancestry.
    loop_of_wrappers_is_stopped("#!/bin/sh\nbwrap \"$@\"\n");
}

/// A wrapper `bwrap` after the shim on PATH that runs `bwrap` from PATH
/// again: the shim ends the loop with one line and 127.
fn loop_of_wrappers_is_stopped(script: &str) {
    let inst = support::install();
    let dir = inst.scratch();
    let wrapper = dir.join("bwrap");
    std::fs::write(&wrapper, script).unwrap();
    std::fs::set_permissions(&wrapper, std::fs::Permissions::from_mode(0o755)).unwrap();
    let mut c = Command::new(&inst.shim);
    c.env_clear()
        .env(
            "PATH",
            format!("{}:{}:/usr/bin:/bin", inst.bin.display(), dir.display()),
        )
        .arg("--version");
    let out = support::run(&mut c);
    assert_eq!(out.status.code(), Some(127));
    let err = out.stderr_text();
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("call each other in a loop"), "{err}");
}

fn a_wrapper_script_that_execs_the_real_bwrap_leaves_the_sandbox_environment_as_direct(who: &As) {
    // The loop guard used to put BWRAP_DOCTOR_DEPTH=1 into the environment
    // of a wrapper script, which passed it on to the sandbox.
    let inst = support::install();
    let dir = inst.scratch();
    let wrapper = dir.join("bwrap");
    std::fs::write(
        &wrapper,
        format!(
            "#!/bin/sh\nexec {} \"$@\"\n",
            support::real_bwrap().display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&wrapper, std::fs::Permissions::from_mode(0o755)).unwrap();
    let path = format!("{}:{}:/usr/bin:/bin", inst.bin.display(), dir.display());
    let args = support::probe_args(&[], &[]);
    // Without the shim the caller's `bwrap` is the wrapper script itself.
    let mut direct = Command::new(&wrapper);
    direct
        .arg0("bwrap")
        .env_clear()
        .env("PATH", &path)
        .env("LANG", "C")
        .env("HOME", "/")
        .env("SOME_VAR", "kept")
        .current_dir("/")
        .args(&args);
    who.apply(&mut direct);
    let mut shim = support::bwrap(support::Via::Shim, *who, &args);
    shim.env("PATH", &path)
        .env("SOME_VAR", "kept")
        .env_remove("BWRAP_DOCTOR_REPORT");
    let (direct, shim) = (support::run(&mut direct), support::run(&mut shim));
    assert_eq!(direct.status.code(), Some(0), "{}", direct.stderr_text());
    let (d, s) = (super::report(&direct), super::report(&shim));
    let hex = |t: &str| support::helper::hex(t.as_bytes());
    assert!(
        d["env"].to_string().contains(&hex("SOME_VAR=kept")),
        "{}",
        d["env"]
    );
    assert!(
        !s["env"].to_string().contains(&hex("BWRAP_DOCTOR")),
        "{}",
        s["env"]
    );
    assert_eq!(
        s["env"], d["env"],
        "the sandbox's environment through the wrapper script"
    );
    super::assert_same(&direct, &shim);
}
