//! Probes against fixture hosts and the live host.
//!
//! Fixture hosts (tests/fixtures/hosts/NAME) are plain file trees for hosts
//! this machine cannot be (Ubuntu with the AppArmor restriction, Debian with
//! unprivileged_userns_clone=0, a Docker container, WSL1, RHEL 7). Live
//! tests reproduce the real refusals of this machine (hostlab.md) and run
//! the probes in a separate process, the test binary's `facts` helper, so
//! that its namespaces, filters and credentials are the recipe's.

mod catalogue;
mod experiments;
mod fixtures;
mod live;

use crate::Test;
use crate::support::{self, As};
use bwrap_doctor_engine::facts::Obs;
use bwrap_doctor_engine::probe::Facts;
use bwrap_doctor_engine::probe::{Context, Host};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

pub fn tests() -> Vec<Test> {
    let mut v = Vec::new();
    v.extend(fixtures::tests());
    v.extend(live::tests());
    v.extend(experiments::tests());
    v.extend(catalogue::tests());
    // `cargo test --test it probe` selects them all.
    for t in &mut v {
        t.name = format!("probe::{}", t.name);
    }
    v
}

/// tests/fixtures/hosts/NAME.
pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/hosts")
        .join(name)
}

/// Facts of a fixture host, for a bwrap at `bwrap` (a host path).
pub fn fixture_facts(name: &str, bwrap: Option<&str>) -> Facts<'static> {
    host_facts(Host::fixture(fixture(name)), bwrap, None)
}

pub fn host_facts(host: Host, bwrap: Option<&str>, args: Option<&[&str]>) -> Facts<'static> {
    let host: &'static Host = Box::leak(Box::new(host));
    Facts::live(host, context(bwrap, args))
}

pub fn context(bwrap: Option<&str>, args: Option<&[&str]>) -> Context {
    Context {
        bwrap: bwrap.map(PathBuf::from),
        args: args.map(|a| bwrap_doctor_engine::bwrap_args::parse(a, &|_| None)),
    }
}

/// A JSON array of strings as `&str`s (fail on anything else).
pub fn strs(v: &Value) -> Vec<&str> {
    v.as_array()
        .unwrap_or_else(|| panic!("not an array: {v}"))
        .iter()
        .map(|x| x.as_str().unwrap_or_else(|| panic!("not a string: {x}")))
        .collect()
}

/// The value of a fact, or fail saying what was seen instead.
pub fn seen(f: &Facts, key: &str) -> Value {
    match f.get(key) {
        Obs::Seen(v) => v,
        other => panic!("{key}: expected a value, got {other:?}"),
    }
}

pub fn assert_obs(f: &Facts, key: &str, want: Obs) {
    assert_eq!(f.get(key), want, "{key}");
}

pub fn assert_unavailable(f: &Facts, key: &str) -> String {
    match f.get(key) {
        Obs::Unavailable(why) => why,
        other => panic!("{key}: expected unavailable, got {other:?}"),
    }
}

/// What the `facts` helper printed.
pub struct HelperFacts {
    pub facts: serde_json::Map<String, Value>,
    pub took_ms: serde_json::Map<String, Value>,
    pub leftovers: Value,
}

impl HelperFacts {
    pub fn obs(&self, key: &str) -> Obs {
        Obs::from_value(self.facts.get(key).cloned().unwrap_or(Value::Null))
    }
}

/// Run the `facts` helper (this test binary, installed world-readable) as
/// `cmd` prepared by the caller: `cmd` is a wrapper (unshare, setpriv…) or
/// the helper itself; `helper_args` go after `--helper facts`.
pub fn run_facts(mut cmd: Command, helper_args: &[&str]) -> HelperFacts {
    cmd.args(helper_args);
    cmd.env("PATH", "/usr/sbin:/usr/bin:/sbin:/bin")
        .current_dir("/");
    let out = support::run(&mut cmd);
    let text = out.stdout_text();
    let line = text.lines().last().unwrap_or("");
    let v: Value = serde_json::from_str(line).unwrap_or_else(|e| {
        panic!(
            "facts helper printed no JSON ({e}); status {:?}\nstdout: {text}\nstderr: {}",
            out.status,
            out.stderr_text()
        )
    });
    HelperFacts {
        facts: v["facts"].as_object().cloned().unwrap_or_default(),
        took_ms: v["took_ms"].as_object().cloned().unwrap_or_default(),
        leftovers: v["leftovers"].clone(),
    }
}

/// `helper --helper facts` as `who`.
pub fn helper_cmd(who: &As) -> Command {
    let mut c = Command::new(&support::install().helper);
    c.args(["--helper", "facts"]);
    who.apply(&mut c);
    c
}

/// A wrapper command (`unshare …`, `setpriv …`) that ends by running the
/// helper: `sh -c SCRIPT` gets the helper and its arguments as "$0" "$@".
pub fn wrapped(who: &As, program: &str, pre: &[&str], script: &str) -> Command {
    let mut c = Command::new(program);
    c.args(pre)
        .args(["sh", "-c", script])
        .arg(&support::install().helper)
        .args(["--helper", "facts"]);
    who.apply(&mut c);
    c
}

/// `--helper facts [--bwrap PATH] [--args A… --] [--leftovers] KEY…`:
/// observe KEYs on the live host, as this process, and print one JSON line
/// `{"facts": {KEY: obs}, "took_ms": {KEY: ms}, "leftovers": {…}}`. With
/// `--leftovers`, also say what the probes left behind: this process's
/// children (it is a child subreaper, so orphans come back to it) and its
/// mount table and namespaces, before and after. With `--snapshot`, print
/// a whole snapshot of the host instead (how docs/snapshot-example.json is
/// made).
pub fn helper_main(args: &[String]) -> ! {
    let mut bwrap = None;
    let mut call: Option<Vec<String>> = None;
    let mut leftovers = false;
    let mut snapshot = false;
    let mut keys = Vec::new();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--bwrap" => bwrap = it.next().cloned(),
            "--leftovers" => leftovers = true,
            "--snapshot" => snapshot = true,
            "--args" => {
                let mut v = Vec::new();
                for x in it.by_ref() {
                    if x == "--" {
                        break;
                    }
                    v.push(x.clone());
                }
                call = Some(v);
            }
            k => keys.push(k.to_string()),
        }
    }
    if leftovers {
        // SAFETY: prctl on this process only.
        unsafe { libc::prctl(libc::PR_SET_CHILD_SUBREAPER, 1) };
    }
    let before = leftovers.then(process_state);
    let host = Host::live();
    let ctx = Context {
        bwrap: bwrap.map(PathBuf::from),
        args: call.map(|v| bwrap_doctor_engine::bwrap_args::parse(&v, &|_| None)),
    };
    if snapshot {
        let snap = bwrap_doctor_engine::probe::collect_snapshot(&host, ctx);
        println!(
            "{}",
            serde_json::to_string_pretty(&snap).unwrap_or_default()
        );
        std::process::exit(0)
    }
    let facts = Facts::live(&host, ctx);
    let mut out = serde_json::Map::new();
    let mut took = serde_json::Map::new();
    for k in &keys {
        let t = Instant::now();
        let o = facts.get(k);
        took.insert(k.clone(), Value::from(t.elapsed().as_secs_f64() * 1000.0));
        out.insert(k.clone(), serde_json::to_value(&o).unwrap_or(Value::Null));
    }
    let left = match before {
        Some(b) => serde_json::json!({ "before": b, "after": process_state() }),
        None => Value::Null,
    };
    println!(
        "{}",
        serde_json::json!({ "facts": out, "took_ms": took, "leftovers": left })
    );
    std::process::exit(0)
}

/// This process's children, mount table and namespaces.
fn process_state() -> Value {
    let pid = std::process::id();
    let ns: Vec<String> = ["user", "mnt", "net", "pid", "pid_for_children"]
        .iter()
        .map(|n| {
            std::fs::read_link(format!("/proc/self/ns/{n}"))
                .map(|p| p.display().to_string())
                .unwrap_or_default()
        })
        .collect();
    serde_json::json!({
        "children": support::children_of(pid),
        "mountinfo": std::fs::read_to_string("/proc/self/mountinfo").unwrap_or_default(),
        "ns": ns,
    })
}
