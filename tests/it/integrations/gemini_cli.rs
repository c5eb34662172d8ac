//! Gemini CLI (`@google/gemini-cli` 0.61.0, installed by scripts/callers.sh)
//! for real: `gemini -p … --yolo` with tool sandboxing on
//! (`security.toolSandboxing`), against a tiny Gemini API server on
//! 127.0.0.1 (`GOOGLE_GEMINI_BASE_URL`) whose model asks for one
//! `run_shell_command`. Gemini runs it as `sh -c 'exec bwrap --args 8 …'`,
//! bwrap found on PATH. In this non-interactive form the shell tool's
//! output goes to the model (the `functionResponse` the server receives);
//! the interactive box shows the same text's last lines.

use super::codex::{CALLERS, loopback, shim_dir};
use crate::support::{self, As};
use crate::{Body, Test};
use bwrap_doctor_engine::keywords;
use serde_json::json;
use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub fn tests() -> Vec<Test> {
    tests![
        Once gemini_cli_runs_its_shell_tool_through_the_shim_unchanged,
        Once gemini_cli_shell_output_ends_with_the_cause_and_the_next_step,
    ]
}

fn gemini() -> PathBuf {
    support::needs_root("to run Gemini CLI from the callers' cache (root's /var/cache)");
    let p = PathBuf::from(CALLERS).join("_google_gemini-cli_0.61.0/node_modules/.bin/gemini");
    if !p.exists() {
        support::skip(format!(
            "{} is missing: scripts/callers.sh installs @google/gemini-cli@0.61.0 from the npm registry",
            p.display()
        ));
    }
    p
}

/// The shell tool's output as the model got it, for `echo hello-gemini`,
/// behind `wrapper`, with the shim first on PATH or not.
fn shell_output(via_shim: bool, wrapper: &[&str]) -> String {
    let gemini = gemini();
    let seen = Arc::new(Mutex::new(Vec::<String>::new()));
    let record = seen.clone();
    let port = loopback(move |path, req| {
        if path.contains("countTokens") {
            return ("application/json", json!({"totalTokens": 1}).to_string());
        }
        let answered: Vec<String> = req["contents"]
            .as_array()
            .into_iter()
            .flatten()
            .flat_map(|c| c["parts"].as_array().cloned().unwrap_or_default())
            .filter_map(|p| {
                p["functionResponse"]["response"]["output"]
                    .as_str()
                    .map(str::to_string)
            })
            .collect();
        let part = if answered.is_empty() && path.contains("streamGenerateContent") {
            json!({"functionCall": {"name": "run_shell_command",
                   "args": {"command": "echo hello-gemini", "description": "say hello"}}})
        } else {
            record.lock().unwrap().extend(answered);
            json!({"text": "done"})
        };
        let resp = json!({"candidates": [{"content": {"role": "model", "parts": [part]},
                          "finishReason": "STOP", "index": 0}],
                          "usageMetadata": {"promptTokenCount": 1, "candidatesTokenCount": 1, "totalTokenCount": 2}});
        if path.contains("streamGenerateContent") {
            ("text/event-stream", format!("data: {resp}\r\n\r\n"))
        } else {
            ("application/json", resp.to_string())
        }
    });
    let home = PathBuf::from(CALLERS).join(format!("gemini-{}-{port}", std::process::id()));
    let proj = home.join("proj");
    std::fs::create_dir_all(home.join(".gemini")).unwrap();
    std::fs::create_dir_all(&proj).unwrap();
    std::fs::set_permissions(&home, std::fs::Permissions::from_mode(0o700)).unwrap();
    std::fs::write(
        home.join(".gemini/settings.json"),
        json!({"security": {"toolSandboxing": true, "auth": {"selectedType": "gemini-api-key"},
               "folderTrust": {"enabled": false}}})
        .to_string(),
    )
    .unwrap();
    // The shim outside /tmp, as for Codex (Gemini's sandbox binds /tmp).
    let first = if via_shim {
        shim_dir()
    } else {
        PathBuf::from("/usr/bin")
    };
    let mut argv: Vec<String> = wrapper.iter().map(|s| s.to_string()).collect();
    argv.extend(
        [
            gemini.to_str().unwrap(),
            "-m",
            "gemini-2.5-flash",
            "-p",
            "run the command",
            "--yolo",
        ]
        .map(String::from),
    );
    let mut c = Command::new(&argv[0]);
    c.args(&argv[1..])
        .env_clear()
        .env("PATH", format!("{}:/usr/bin:/bin", first.display()))
        .env("HOME", &home)
        .env("LANG", "C")
        .env("GEMINI_API_KEY", "not-a-key")
        .env("GEMINI_CLI_TRUST_WORKSPACE", "true")
        .env("GOOGLE_GEMINI_BASE_URL", format!("http://127.0.0.1:{port}"))
        .current_dir(&proj);
    As::Root.apply(&mut c);
    let out = support::run_with_input(&mut c, Some(b""), Duration::from_secs(120));
    let _ = std::fs::remove_dir_all(&home);
    let got = seen.lock().unwrap().clone();
    if std::env::var_os("BWD_SHOW_CALLERS").is_some() {
        eprintln!("[gemini, shim={via_shim}] model got {got:?}");
    }
    assert_eq!(
        got.len(),
        1,
        "Gemini did not run the shell tool once:\n{}{}",
        out.stdout_text(),
        out.stderr_text()
    );
    got[0].clone()
}

/// The output without Gemini's frame (`<untrusted_context>`, the process
/// group line) and with its temporary directory's random name fixed.
fn text(output: &str) -> String {
    let tmp = regex::Regex::new(r"/tmp/gemini-shell-[A-Za-z0-9]+").unwrap();
    output
        .lines()
        .filter(|l| !l.starts_with("Process Group PGID:") && !l.contains("untrusted_context"))
        .map(|l| tmp.replace_all(l, "/tmp/gemini-shell-X").into_owned())
        .collect::<Vec<_>>()
        .join("\n")
}

fn gemini_cli_runs_its_shell_tool_through_the_shim_unchanged() {
    let direct = shell_output(false, &[]);
    let shim = shell_output(true, &[]);
    assert!(direct.contains("Output: hello-gemini"), "{direct}");
    assert_eq!(text(&shim), text(&direct));
}

fn gemini_cli_shell_output_ends_with_the_cause_and_the_next_step() {
    // As root in a user namespace, Gemini's bwrap asks for a PID namespace
    // (not a user or network one): none may be made.
    let wrapper = &[
        "unshare",
        "-Ur",
        "sh",
        "-c",
        "echo 0 > /proc/sys/user/max_pid_namespaces && exec \"$@\"",
        "sh",
    ];
    let direct = text(&shell_output(false, wrapper));
    let shim = text(&shell_output(true, wrapper));
    let says = "Output: bwrap: Creating new namespace failed: nesting depth or /proc/sys/user/max_*_namespaces exceeded (ENOSPC)";
    assert!(direct.starts_with(says), "{direct}");
    assert!(shim.starts_with(says), "{shim}");
    // Gemini's box keeps the last lines: the last of ours are the cause and
    // the next step (then Gemini's exit code line).
    let lines: Vec<&str> = shim.lines().collect();
    let n = lines.len();
    assert_eq!(lines[n - 1], "Exit Code: 1", "{shim}");
    assert!(
        lines[n - 3].starts_with(
            "bwrap-doctor: cause [userns-max-zero]: No PID namespace may be created here"
        ),
        "{shim}"
    );
    assert!(
        lines[n - 2].starts_with("bwrap-doctor: next step (narrow): "),
        "{shim}"
    );
    assert_eq!(keywords::first_keyword(&shim[says.len()..]), None, "{shim}");
}
