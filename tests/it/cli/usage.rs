//! What users expect of a command line: `--help` with examples for every
//! command, completions and manual pages generated from the same
//! definitions, usage errors printed once with the `bwrap-doctor:` prefix,
//! `--version`, and color only where it belongs (a terminal, never with
//! NO_COLOR or TERM=dumb, always with `--color always`).

use crate::support::{self, As, pty::Pty};
use crate::{Body, Test};
use std::process::Command;
use std::time::Duration;

pub fn tests() -> Vec<Test> {
    tests![
        Once every_command_has_help_with_examples,
        Once completions_are_valid_shell_and_know_the_commands,
        Once manual_pages_render_cleanly_for_every_command,
        Once a_usage_error_is_one_prefixed_message_and_exit_2,
        Once version_names_the_program_and_its_version,
        Once color_follows_the_terminal_no_color_term_dumb_and_the_flag,
        Once explain_reads_a_hundred_megabyte_log_by_its_end,
    ]
}

fn doctor(args: &[&str]) -> support::Output {
    support::run(&mut crate::cli_doctor(As::User, args))
}

/// Every command, as the words after `bwrap-doctor` (from the manual pages,
/// which clap generates one per command).
fn commands() -> Vec<Vec<String>> {
    let dir = support::install().scratch().join("man");
    let out = doctor(&["man", "--dir", &dir.display().to_string()]);
    assert!(out.status.success(), "{}", out.stderr_text());
    let mut cmds: Vec<Vec<String>> = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter_map(|n| n.strip_suffix(".1").map(str::to_string))
        .map(|n| {
            n.strip_prefix("bwrap-doctor")
                .unwrap()
                .split('-')
                .filter(|w| !w.is_empty())
                .map(str::to_string)
                .collect()
        })
        .collect();
    cmds.sort();
    cmds
}

fn every_command_has_help_with_examples() {
    let cmds = commands();
    assert!(cmds.len() >= 15, "{cmds:?}");
    for cmd in cmds {
        // `help CMD` rather than `CMD --help`: `exec` passes --help to bwrap.
        let mut args = vec!["help"];
        args.extend(cmd.iter().map(String::as_str));
        let out = doctor(&args);
        let text = out.stdout_text();
        assert_eq!(
            out.status.code(),
            Some(0),
            "{args:?}: {}",
            out.stderr_text()
        );
        assert!(text.contains("Usage: bwrap-doctor"), "{args:?}: {text}");
        let has_subcommands = text.contains("\nCommands:\n");
        assert!(
            text.contains("Example") || has_subcommands,
            "bwrap-doctor {}: no examples in --help:\n{text}",
            cmd.join(" ")
        );
    }
}

fn completions_are_valid_shell_and_know_the_commands() {
    let bash = doctor(&["completions", "bash"]);
    assert!(bash.status.success());
    let script = bash.stdout_text();
    for word in [
        "check",
        "explain",
        "snapshot",
        "fix",
        "apparmor",
        "--bwrap",
        "--snapshot",
    ] {
        assert!(script.contains(word), "bash completion lacks {word}");
    }
    let dir = support::install().scratch();
    let file = dir.join("bwrap-doctor.bash");
    std::fs::write(&file, &script).unwrap();
    let syntax = support::run(Command::new("bash").arg("-n").arg(&file));
    assert!(syntax.status.success(), "bash -n: {}", syntax.stderr_text());
    // Sourced, the function it registers for bwrap-doctor completes the
    // first word (bash calls it with the command, the word, the word before).
    let complete = support::run(Command::new("bash").arg("-c").arg(format!(
        "source {}; f=$(complete -p bwrap-doctor | sed 's/.*-F \\([^ ]*\\).*/\\1/'); COMP_WORDS=(bwrap-doctor ex); COMP_CWORD=1; \"$f\" bwrap-doctor ex bwrap-doctor; printf '%s\\n' \"${{COMPREPLY[@]}}\"",
        file.display()
    )));
    let words = complete.stdout_text();
    assert!(
        words.lines().any(|w| w == "explain"),
        "{words}{}",
        complete.stderr_text()
    );
    assert!(words.lines().any(|w| w == "exec"), "{words}");
    for shell in ["zsh", "fish", "elvish", "powershell"] {
        let out = doctor(&["completions", shell]);
        assert!(out.status.success(), "{shell}");
        assert!(out.stdout_text().contains("explain"), "{shell}");
    }
    let bad = doctor(&["completions", "tcsh"]);
    assert_eq!(bad.status.code(), Some(2));
}

fn manual_pages_render_cleanly_for_every_command() {
    if support::run(Command::new("sh").args(["-c", "command -v groff"]))
        .status
        .code()
        != Some(0)
    {
        support::skip("groff is not installed (apt-get install groff-base) to render the pages");
    }
    let dir = support::install().scratch().join("pages");
    let out = doctor(&["man", "--dir", &dir.display().to_string()]);
    assert!(out.status.success());
    // groff's overstrike for bold, removed before reading the text.
    let overstrike = regex::Regex::new(".\x08").unwrap();
    let mut n = 0;
    for e in std::fs::read_dir(&dir).unwrap().flatten() {
        n += 1;
        let r = support::run(
            Command::new("groff")
                .args(["-k", "-man", "-Tutf8", "-ww"])
                .arg(e.path()),
        );
        assert!(r.status.success(), "{}", e.path().display());
        assert_eq!(
            r.stderr_text(),
            "",
            "groff warns about {}",
            e.path().display()
        );
        let text = overstrike.replace_all(&r.stdout_text(), "").into_owned();
        assert!(text.contains("NAME") && text.contains("SYNOPSIS"), "{text}");
    }
    assert!(n >= 15);
    // Printed to stdout, the main page lists the commands.
    let page = doctor(&["man"]).stdout_text();
    assert!(page.starts_with(".ie \\n(.g .ds Aq"), "{page}");
    for c in [
        "check",
        "explain",
        "snapshot",
        "rules",
        "install",
        "fix",
        "completions",
    ] {
        assert!(page.contains(&format!("bwrap\\-doctor\\-{c}(1)")), "{c}");
    }
}

fn a_usage_error_is_one_prefixed_message_and_exit_2() {
    let out = doctor(&["chek"]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(out.stdout_text(), "");
    let err = out.stderr_text();
    assert!(
        err.starts_with("bwrap-doctor: unrecognized subcommand 'chek'\n"),
        "{err}"
    );
    assert!(
        err.contains("a similar subcommand exists: 'check'"),
        "{err}"
    );
    assert_eq!(err.matches("bwrap-doctor:").count(), 1, "{err}");
    assert!(!err.contains("error:"), "{err}");
    // An error of the program's own: the same shape.
    let out = doctor(&[
        "explain",
        "--snapshot",
        "/nonexistent/snap.json",
        "/dev/null",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        out.stderr_text(),
        "bwrap-doctor: cannot read snapshot /nonexistent/snap.json: No such file or directory (os error 2)\n"
    );
}

fn version_names_the_program_and_its_version() {
    let out = doctor(&["--version"]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        out.stdout_text(),
        format!("bwrap-doctor {}\n", env!("CARGO_PKG_VERSION"))
    );
}

/// `bwrap-doctor ARGS` on a terminal with extra environment; its output.
fn on_terminal(args: &[&str], env: &[(&str, &str)]) -> String {
    let inst = support::install();
    let mut pty = Pty::open(24, 100);
    let mut c = Command::new(&inst.doctor);
    c.args(args)
        .env_clear()
        .env("PATH", inst.path_var())
        .env("HOME", "/")
        .env("TERM", "xterm")
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdin(pty.stdio())
        .stdout(pty.stdio())
        .stderr(pty.stdio());
    for (k, v) in env {
        c.env(k, v);
    }
    let mut child = c.spawn().unwrap();
    drop(c);
    pty.close_slave();
    support::wait_with_limit(&mut child, Duration::from_secs(30));
    String::from_utf8_lossy(&pty.finish()).into_owned()
}

fn color_follows_the_terminal_no_color_term_dumb_and_the_flag() {
    let dir = support::install().scratch();
    let err = dir.join("err.txt");
    std::fs::write(
        &err,
        "bwrap: Creating new namespace failed: Invalid argument\n",
    )
    .unwrap();
    let e = err.display().to_string();
    let args = [
        "explain",
        &e,
        "--snapshot",
        "tests/fixtures/snapshots/wsl1.json",
    ];
    let esc = |s: &str| s.contains('\x1b');
    let plain = on_terminal(&args, &[]);
    assert!(plain.contains("Windows Subsystem for Linux 1"), "{plain}");
    assert!(esc(&plain), "no color on a terminal: {plain:?}");
    assert!(
        !esc(&on_terminal(&args, &[("NO_COLOR", "1")])),
        "color with NO_COLOR"
    );
    assert!(
        !esc(&on_terminal(&args, &[("TERM", "dumb")])),
        "color with TERM=dumb"
    );
    let mut never = args.to_vec();
    never.extend(["--color", "never"]);
    assert!(!esc(&on_terminal(&never, &[])), "color with --color never");
    let mut always = args.to_vec();
    always.extend(["--color", "always"]);
    let piped =
        support::run(crate::cli_doctor(As::User, &always).current_dir(env!("CARGO_MANIFEST_DIR")));
    assert!(esc(&piped.stdout_text()), "--color always on a pipe");
    let piped =
        support::run(crate::cli_doctor(As::User, &args).current_dir(env!("CARGO_MANIFEST_DIR")));
    assert!(!esc(&piped.stdout_text()), "color on a pipe");
}

fn explain_reads_a_hundred_megabyte_log_by_its_end() {
    // A build log of 100 MiB of binary noise without a newline, then
    // bwrap's line: explain reads the end (its last MiB), from a file and
    // from a pipe, and finds the cause; with no bwrap line at all it says so.
    let dir = support::install().scratch();
    let noise: Vec<u8> = (0..1u32 << 20)
        .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8 | 0x80)
        .collect();
    let log = dir.join("build.log");
    {
        use std::io::Write;
        let mut f = std::io::BufWriter::new(std::fs::File::create(&log).unwrap());
        for _ in 0..100 {
            f.write_all(&noise).unwrap();
        }
        f.write_all(
            b"\nbwrap: Can't find source path /nonexistent-bwd: No such file or directory\n",
        )
        .unwrap();
    }
    std::fs::set_permissions(&log, std::os::unix::fs::PermissionsExt::from_mode(0o644)).unwrap();
    let l = log.display().to_string();
    let out = doctor(&["explain", &l]);
    assert_eq!(out.status.code(), Some(0), "{}", out.stderr_text());
    assert!(
        out.stdout_text().contains("[bind-source-missing]"),
        "{}",
        out.stdout_text()
    );
    let bytes = std::fs::read(&log).unwrap();
    let piped = support::run_with_input(
        &mut crate::cli_doctor(As::User, &["explain"]),
        Some(&bytes),
        Duration::from_secs(120),
    );
    assert_eq!(piped.status.code(), Some(0), "{}", piped.stderr_text());
    assert_eq!(piped.stdout, out.stdout);
    std::fs::write(&log, &noise).unwrap();
    let out = doctor(&["explain", &l]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        out.stdout_text()
            .starts_with("bwrap-doctor: no bwrap message in the input"),
        "{}",
        out.stdout_text()
    );
}
