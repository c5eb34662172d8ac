//! Gemini CLI's way: `sh -c 'exec bwrap --args 8 "$@" 8< ARGS 9< BPF'` with
//! `--seccomp 9`: the arguments arrive through fd 8 (NUL-separated) and a
//! seccomp program through fd 9. The shim passes both through untouched,
//! and its diagnosis still knows the arguments that came through fd 8.

use crate::support::{self, As, PlainEnv};
use crate::{Body, Test};
use std::path::Path;
use std::process::Command;

pub fn tests() -> Vec<Test> {
    tests![
        Each arguments_and_seccomp_through_fds_run_unchanged_through_the_shim,
        Each a_failure_is_diagnosed_with_the_arguments_read_from_the_args_fd,
    ]
}

/// The argument file and an allow-everything seccomp program.
fn files(args: &[&str]) -> (std::path::PathBuf, std::path::PathBuf) {
    let dir = support::install().scratch();
    let a = dir.join("args");
    let mut bytes = Vec::new();
    for x in args {
        bytes.extend(x.as_bytes());
        bytes.push(0);
    }
    std::fs::write(&a, bytes).unwrap();
    // One instruction: BPF_RET|BPF_K, SECCOMP_RET_ALLOW.
    let b = dir.join("bpf");
    let mut prog = Vec::new();
    prog.extend(0x06u16.to_ne_bytes());
    prog.extend([0u8, 0u8]);
    prog.extend(0x7fff_0000u32.to_ne_bytes());
    std::fs::write(&b, prog).unwrap();
    (a, b)
}

/// `[wrapper…] sh -c 'exec BWRAP --args 8 --seccomp 9 CMD… 8<ARGS 9<BPF'`.
fn gemini(
    who: As,
    wrapper: &[&str],
    bwrap: &Path,
    args: &Path,
    bpf: &Path,
    cmd: &[&str],
) -> support::Output {
    let mut argv: Vec<String> = wrapper.iter().map(|s| s.to_string()).collect();
    argv.extend([
        "sh".into(),
        "-c".into(),
        r#"b=$1 a=$2 f=$3; shift 3; exec "$b" --args 8 --seccomp 9 "$@" 8< "$a" 9< "$f""#.into(),
        "sh".into(),
        bwrap.display().to_string(),
        args.display().to_string(),
        bpf.display().to_string(),
    ]);
    argv.extend(cmd.iter().map(|s| s.to_string()));
    let mut c = Command::new(&argv[0]);
    c.args(&argv[1..]).plain_env();
    who.apply(&mut c);
    support::run(&mut c)
}

fn arguments_and_seccomp_through_fds_run_unchanged_through_the_shim(who: &As) {
    let real = support::real_bwrap();
    let (a, b) = files(&[
        "--unshare-net",
        "--ro-bind",
        "/",
        "/",
        "--proc",
        "/proc",
        "--dev",
        "/dev",
    ]);
    let cmd = [
        "sh",
        "-c",
        "echo sandboxed; grep '^Seccomp:' /proc/self/status",
    ];
    let direct = gemini(*who, &[], real, &a, &b, &cmd);
    let shim = gemini(*who, &[], &support::install().shim, &a, &b, &cmd);
    assert_eq!(direct.status.code(), Some(0), "{}", direct.stderr_text());
    // The program from fd 9 is in force: seccomp mode 2 (filter).
    assert_eq!(direct.stdout_text(), "sandboxed\nSeccomp:\t2\n");
    assert_eq!(
        (shim.status.code(), shim.stdout_text(), shim.stderr_text()),
        (
            direct.status.code(),
            direct.stdout_text(),
            direct.stderr_text()
        )
    );
}

fn a_failure_is_diagnosed_with_the_arguments_read_from_the_args_fd(who: &As) {
    // hostlab 1c: no network namespace may be made, and --unshare-net is
    // only in the argument file.
    let real = support::real_bwrap();
    let (a, b) = files(&["--unshare-net", "--ro-bind", "/", "/"]);
    let wrapper = support::ZERO_NET_NAMESPACES;
    let direct = gemini(*who, wrapper, real, &a, &b, &["true"]);
    let shim = gemini(*who, wrapper, &support::install().shim, &a, &b, &["true"]);
    let d = direct.stderr_text();
    assert!(d.starts_with("bwrap: Creating new namespace failed"), "{d}");
    let s = shim.stderr_text();
    assert_eq!(shim.status.code(), direct.status.code());
    assert!(s.starts_with(&d), "{s}");
    assert!(s.contains("rule: userns-max-zero.net ("), "{s}");
    assert!(
        s.contains("ok the call asks for a network namespace: net"),
        "{s}"
    );
}
