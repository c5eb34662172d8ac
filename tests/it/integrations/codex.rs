//! Codex CLI (`@openai/codex` 0.171.0, installed by scripts/callers.sh) for
//! real: `codex exec --json` against a tiny OpenAI-compatible Responses
//! server on 127.0.0.1 that asks it to run one command, with and without the
//! shim first on PATH. What Codex's user sees is the `command_execution`
//! item (and what its model sees, the tool output the server receives).
//!
//! Codex hides a failed command whose output contains one of its
//! SANDBOX_DENIED_KEYWORDS; bwrap's line for a seccomp filter that refuses
//! user namespaces contains none, so the diagnosis must not add one.

use crate::support::{self, As, seccomp};
use crate::{Body, Test};
use bwrap_doctor_engine::keywords;
use serde_json::{Value, json};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub fn tests() -> Vec<Test> {
    tests![
        Each codex_runs_a_command_through_the_shim_unchanged,
        Once codex_shows_bwraps_line_and_the_diagnosis_when_user_namespaces_are_exhausted,
        Each codex_shows_a_seccomp_refusal_with_the_shim_as_it_does_without,
        Once codex_hides_a_failed_command_once_one_of_its_words_follows_bwraps_line,
    ]
}

pub const CALLERS: &str = "/var/cache/bwrap-doctor-callers";

/// The shim, for Codex: not under /tmp. Codex 0.171.0 does not use a
/// bwrap on PATH inside its sandbox's writable roots (the working
/// directory, /tmp, $TMPDIR), where the suite's own shim lives.
pub fn shim_dir() -> PathBuf {
    static DIR: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    DIR.get_or_init(|| {
        let d = PathBuf::from(CALLERS).join(format!("shim-{}", std::process::id()));
        std::fs::create_dir_all(&d).unwrap();
        std::fs::set_permissions(&d, std::fs::Permissions::from_mode(0o755)).unwrap();
        let doctor = d.join("bwrap-doctor");
        std::fs::copy(&support::install().doctor, &doctor).unwrap();
        std::fs::set_permissions(&doctor, std::fs::Permissions::from_mode(0o755)).unwrap();
        let _ = std::fs::remove_file(d.join("bwrap"));
        std::fs::hard_link(&doctor, d.join("bwrap")).unwrap();
        d
    })
    .clone()
}

/// A directory (outside /tmp) with `bwrap`: a script that runs the real
/// bwrap and, when it fails, adds `line` to stderr.
fn adding_wrapper(name: &str, line: &str) -> PathBuf {
    support::needs_root("to write into the callers' cache (root's /var/cache)");
    let d = PathBuf::from(CALLERS).join(format!("wrap-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    std::fs::set_permissions(&d, std::fs::Permissions::from_mode(0o755)).unwrap();
    let script = format!(
        "#!/bin/sh\n{} \"$@\"; rc=$?\nif [ $rc != 0 ]; then echo '{line}' >&2; fi\nexit $rc\n",
        support::real_bwrap().display()
    );
    std::fs::write(d.join("bwrap"), script).unwrap();
    std::fs::set_permissions(d.join("bwrap"), std::fs::Permissions::from_mode(0o755)).unwrap();
    d
}

fn codex() -> PathBuf {
    support::needs_root("to run Codex from the callers' cache (root's /var/cache)");
    let p = PathBuf::from(CALLERS).join("_openai_codex_0.171.0/node_modules/.bin/codex");
    if !p.exists() {
        support::skip(format!(
            "{} is missing: scripts/callers.sh installs @openai/codex@0.171.0 from the npm registry",
            p.display()
        ));
    }
    p
}

/// A Responses API server on 127.0.0.1 for one `codex exec`: the first
/// request gets a call of `exec_command` with `cmd`, the next a message.
struct Server {
    port: u16,
    /// The tool outputs Codex sent back (what its model saw).
    outputs: Arc<Mutex<Vec<String>>>,
}

fn server(cmd: &str) -> Server {
    let outputs = Arc::new(Mutex::new(Vec::new()));
    let seen = outputs.clone();
    let cmd = cmd.to_string();
    let port = loopback(move |_path, req| {
        let answered: Vec<String> = req["input"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|i| i["type"] == "function_call_output")
            .filter_map(|i| i["output"].as_str().map(str::to_string))
            .collect();
        let item = if answered.is_empty() {
            json!({"type": "function_call", "name": "exec_command",
                   "arguments": json!({"cmd": cmd}).to_string(), "call_id": "call_1"})
        } else {
            seen.lock().unwrap().extend(answered);
            json!({"type": "message", "role": "assistant", "id": "msg_1",
                   "content": [{"type": "output_text", "text": "done"}]})
        };
        let events = [
            json!({"type": "response.created", "response": {"id": "resp_1"}}),
            json!({"type": "response.output_item.done", "output_index": 0, "item": item}),
            json!({"type": "response.completed", "response": {"id": "resp_1", "usage": {
                "input_tokens": 0, "input_tokens_details": null, "output_tokens": 0,
                "output_tokens_details": null, "total_tokens": 0}}}),
        ];
        let mut sse = String::new();
        for e in &events {
            sse.push_str(&format!(
                "event: {}\ndata: {e}\n\n",
                e["type"].as_str().unwrap()
            ));
        }
        ("text/event-stream", sse)
    });
    Server { port, outputs }
}

/// A model server on 127.0.0.1 (a free port, returned): each POST's JSON
/// body goes to `answer` with the request path, which gives the content
/// type and the body to send back. It serves at most 16 requests and stops
/// by itself after 90 s.
pub fn loopback(answer: impl Fn(&str, &Value) -> (&'static str, String) + Send + 'static) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    listener.set_nonblocking(true).unwrap();
    std::thread::spawn(move || {
        let deadline = Instant::now() + Duration::from_secs(90);
        let mut served = 0;
        while served < 16 && Instant::now() < deadline {
            let Ok((stream, _)) = listener.accept() else {
                std::thread::sleep(Duration::from_millis(20));
                continue;
            };
            served += 1;
            let _ = stream.set_nonblocking(false);
            let _ = stream.set_read_timeout(Some(Duration::from_secs(20)));
            let mut r = BufReader::new(stream);
            let mut len = 0usize;
            let mut line = String::new();
            let mut path = String::new();
            loop {
                line.clear();
                if r.read_line(&mut line).unwrap_or(0) == 0 {
                    break;
                }
                let l = line.trim_end();
                if l.is_empty() {
                    break;
                }
                if path.is_empty() {
                    path = l.split_whitespace().nth(1).unwrap_or("").to_string();
                }
                if let Some(v) = l.to_ascii_lowercase().strip_prefix("content-length:") {
                    len = v.trim().parse().unwrap_or(0);
                }
            }
            let mut body = vec![0u8; len.min(16 << 20)];
            if r.read_exact(&mut body).is_err() {
                continue;
            }
            let req: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
            let (kind, text) = answer(&path, &req);
            let mut stream = r.into_inner();
            let _ = write!(
                stream,
                "HTTP/1.1 200 OK\r\ncontent-type: {kind}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{text}",
                text.len()
            );
        }
    });
    port
}

/// What Codex's user and model saw of the one command.
#[derive(Debug)]
struct Seen {
    /// The `command_execution` item of `codex exec --json`, if any.
    item: Option<Value>,
    /// The tool output the model got.
    model: Vec<String>,
    stdout: String,
}

/// `codex exec --json` asking for `cmd`, as `who`, behind `wrapper`, with
/// the shim first on PATH or not.
fn codex_exec(
    who: As,
    via_shim: bool,
    wrapper: &[&str],
    cmd: &str,
    setup: &dyn Fn(&mut Command),
) -> Seen {
    let first = if via_shim {
        shim_dir()
    } else {
        PathBuf::from("/usr/bin")
    };
    codex_exec_with(who, &first, wrapper, cmd, setup)
}

/// The same with `first` first on PATH.
fn codex_exec_with(
    who: As,
    first: &std::path::Path,
    wrapper: &[&str],
    cmd: &str,
    setup: &dyn Fn(&mut Command),
) -> Seen {
    let codex = codex();
    let srv = server(cmd);
    // Codex refuses its helper links under /tmp: a home in the cache.
    let home = PathBuf::from(CALLERS).join(format!("run-{}-{}", std::process::id(), srv.port));
    let proj = home.join("proj");
    let tmp = home.join("tmp");
    std::fs::create_dir_all(&proj).unwrap();
    std::fs::create_dir_all(&tmp).unwrap();
    for d in [&home, &proj, &tmp] {
        std::os::unix::fs::chown(d, Some(who.uid()), None).unwrap();
        // Codex wants its home (where its app-server socket lives) 0700.
        std::fs::set_permissions(d, std::fs::Permissions::from_mode(0o700)).unwrap();
    }
    let path = format!("{}:/usr/bin:/bin", first.display());
    let provider = format!(
        "model_providers.local={{name=\"local\",base_url=\"http://127.0.0.1:{}/v1\",wire_api=\"responses\"}}",
        srv.port
    );
    let mut argv: Vec<String> = wrapper.iter().map(|s| s.to_string()).collect();
    argv.extend(
        [
            codex.to_str().unwrap(),
            "exec",
            "--skip-git-repo-check",
            "--json",
            "-s",
            "workspace-write",
            "-c",
            "model_provider=local",
            "-c",
            &provider,
            "-m",
            "test-model",
            "run the command",
        ]
        .map(String::from),
    );
    let mut c = Command::new(&argv[0]);
    c.args(&argv[1..])
        .env_clear()
        .env("PATH", path)
        .env("HOME", &home)
        .env("CODEX_HOME", &home)
        // Its own temporary directory: in a user namespace the test user is
        // uid 0, whose directories under /tmp are root's.
        .env("TMPDIR", &tmp)
        .env("LANG", "C")
        .current_dir(&proj);
    setup(&mut c);
    who.apply(&mut c);
    let out = support::run_with_input(&mut c, Some(b""), Duration::from_secs(120));
    let _ = std::fs::remove_dir_all(&home);
    let stdout = out.stdout_text();
    let item = stdout
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|v| v["type"] == "item.completed" && v["item"]["type"] == "command_execution")
        .map(|v| v["item"].clone())
        .next();
    let model = srv.outputs.lock().unwrap().clone();
    Seen {
        item,
        model,
        stdout,
    }
}

fn output(s: &Seen) -> &str {
    if std::env::var_os("BWD_SHOW_CALLERS").is_some() {
        eprintln!(
            "[codex sees] {}",
            s.item
                .as_ref()
                .map_or(String::from("(no item)"), |i| i.to_string())
        );
        eprintln!("[model sees] {:?}", s.model);
    }
    s.item
        .as_ref()
        .and_then(|i| i["aggregated_output"].as_str())
        .unwrap_or_else(|| {
            panic!(
                "no command_execution item (Codex hid the command):\n{}",
                s.stdout
            )
        })
}

fn codex_runs_a_command_through_the_shim_unchanged(who: &As) {
    let none: &dyn Fn(&mut Command) = &|_| {};
    let direct = codex_exec(*who, false, &[], "echo hello-from-the-sandbox", none);
    let shim = codex_exec(*who, true, &[], "echo hello-from-the-sandbox", none);
    assert_eq!(
        output(&direct),
        "hello-from-the-sandbox\n",
        "{}",
        direct.stdout
    );
    assert_eq!(output(&shim), output(&direct));
    assert_eq!(shim.item.as_ref().unwrap()["exit_code"], 0);
}

const ENOSPC: &str = "bwrap: Creating new namespace failed: nesting depth or /proc/sys/user/max_*_namespaces exceeded (ENOSPC)\n";

/// As root only: run by an unprivileged user inside `unshare -Ur`, Codex
/// 0.171.0 refuses to build its bwrap command ("app-server socket directory
/// must be a user-owned directory with mode 0700") before bwrap runs; the
/// seccomp test below drives it as that user.
fn codex_shows_bwraps_line_and_the_diagnosis_when_user_namespaces_are_exhausted() {
    let none: &dyn Fn(&mut Command) = &|_| {};
    let wrapper = support::ZERO_USER_NAMESPACES;
    let direct = codex_exec(As::Root, false, wrapper, "echo hello", none);
    let shim = codex_exec(As::Root, true, wrapper, "echo hello", none);
    assert_eq!(output(&direct), ENOSPC, "{}", direct.stdout);
    let with = output(&shim);
    assert!(with.starts_with(ENOSPC), "{with}");
    let added = &with[ENOSPC.len()..];
    assert!(
        added.contains(
            "bwrap-doctor: cause [userns-max-zero]: No user namespace may be created here"
        ),
        "{with}"
    );
    assert_eq!(keywords::first_keyword(added), None, "{added}");
    // The model sees it too.
    assert!(
        shim.model
            .iter()
            .any(|m| m.contains("cause [userns-max-zero]")),
        "{:?}",
        shim.model
    );
    assert_eq!(shim.item.as_ref().unwrap()["exit_code"], 1);
}

fn codex_shows_a_seccomp_refusal_with_the_shim_as_it_does_without(who: &As) {
    let deny = seccomp::deny_userns();
    let filter: &dyn Fn(&mut Command) = &|c| seccomp::apply(c, &deny);
    let direct = codex_exec(*who, false, &[], "echo hello", filter);
    let shim = codex_exec(*who, true, &[], "echo hello", filter);
    let bwrap_says = output(&direct).to_string();
    assert!(
        bwrap_says.starts_with("bwrap: No permissions to create")
            && keywords::first_keyword(&bwrap_says).is_none(),
        "{bwrap_says}"
    );
    // Shown, as without the shim (Codex did not take it for a denial).
    let with = output(&shim);
    assert!(with.starts_with(&bwrap_says), "{with}");
    let added = &with[bwrap_says.len()..];
    assert!(added.contains("[sec-comp-filter]"), "{added}");
    assert!(
        added.contains("A system-call filter on this process"),
        "{added}"
    );
    assert_eq!(keywords::first_keyword(added), None, "{added}");
    assert_eq!(
        shim.item.as_ref().unwrap()["status"],
        direct.item.as_ref().unwrap()["status"]
    );
}

/// The hazard the shim's words avoid, shown with Codex itself: the same
/// failure with one line after bwrap's, which holds one of Codex's denial
/// words or none. With the word, Codex shows its user no command at all.
fn codex_hides_a_failed_command_once_one_of_its_words_follows_bwraps_line() {
    let none: &dyn Fn(&mut Command) = &|_| {};
    let wrapper = support::ZERO_USER_NAMESPACES;
    let plain = adding_wrapper("plain", "note: a plain line");
    let worded = adding_wrapper("worded", "note: a seccomp line");
    let shown = codex_exec_with(As::Root, &plain, wrapper, "echo hello", none);
    let hidden = codex_exec_with(As::Root, &worded, wrapper, "echo hello", none);
    for d in [&plain, &worded] {
        let _ = std::fs::remove_dir_all(d);
    }
    assert!(
        output(&shown).ends_with("note: a plain line\n"),
        "{}",
        shown.stdout
    );
    assert!(hidden.item.is_none(), "Codex showed it:\n{}", hidden.stdout);
    assert!(
        hidden.stdout.contains("\"agent_message\""),
        "{}",
        hidden.stdout
    );
}
