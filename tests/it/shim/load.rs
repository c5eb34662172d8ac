//! Load and faults: many runs in a row and at once lose nothing; a shim
//! killed with SIGKILL leaves bwrap as the death of its caller would; a
//! hidden /sys or /proc/sys makes probes report "unavailable" and nothing
//! else.

use crate::support::{self, As, Via};
use crate::{Body, Test};
use std::process::Command;
use std::time::Duration;

pub fn tests() -> Vec<Test> {
    tests![
        Once a_thousand_sequential_and_64_concurrent_runs_lose_nothing,
        Once a_hundred_megabytes_of_garbage_without_newline_arrives_exactly_on_failure,
        Each a_shim_killed_with_sigkill_leaves_bwrap_as_its_callers_death_would,
        Once hidden_sys_and_proc_sys_make_probes_unavailable_and_nothing_else,
    ]
}

/// One run of the mix: what it does and what must come out.
fn expected(i: usize) -> (i32, String, String) {
    match i % 3 {
        // success: the sandboxed program writes to both streams
        0 => (0, format!("out {i}\n"), format!("err {i}\n")),
        // the sandboxed program fails: nothing may be added
        1 => (3, format!("out {i}\n"), format!("err {i}\n")),
        // bwrap fails: its line, then the diagnosis
        _ => (
            1,
            String::new(),
            format!(
                "bwrap: Can't find source path /nonexistent-load-{i}: No such file or directory\n"
            ),
        ),
    }
}

fn a_thousand_sequential_and_64_concurrent_runs_lose_nothing() {
    // All runs happen inside a pid namespace of their own (as root; as a
    // user in a user namespace too), whose pid 1 is the shell that runs
    // them: afterwards it must be alone there (no zombie, no straggler).
    support::real_bwrap();
    let inst = support::install();
    let dir = inst.scratch();
    let script = r#"
        run() {
            i=$1
            case $((i % 3)) in
            0) "$SHIM" --ro-bind / / --dev /dev sh -c "echo out $i; echo err $i >&2" ;;
            1) "$SHIM" --ro-bind / / --dev /dev sh -c "echo out $i; echo err $i >&2; exit 3" ;;
            2) "$SHIM" --ro-bind / / --ro-bind /nonexistent-load-$i /mnt true ;;
            esac > "$DIR/out.$i" 2> "$DIR/err.$i"
            echo $? > "$DIR/rc.$i"
        }
        i=0
        while [ $i -lt 1000 ]; do run $i; i=$((i+1)); done
        while [ $i -lt 1064 ]; do run $i & i=$((i+1)); done
        wait
        set -- /proc/[0-9]*
        echo "processes $*"
    "#;
    let mut c = Command::new("unshare");
    let who = if support::is_root() {
        As::Root
    } else {
        As::User
    };
    let pidns: &[&str] = if who == As::Root {
        &["-pf", "--mount-proc"]
    } else {
        &["-Urpf", "--mount-proc"]
    };
    c.args(pidns)
        .args(["sh", "-c", script])
        .env_clear()
        .env("PATH", inst.path_var())
        .env("HOME", "/")
        .env("NO_COLOR", "1")
        .env("BWRAP_DOCTOR_REPORT", "long")
        .env("SHIM", &inst.shim)
        .env("DIR", &dir)
        .current_dir("/");
    let start = std::time::Instant::now();
    let out = support::run_with_input(&mut c, None, Duration::from_secs(600));
    let took = start.elapsed();
    assert!(out.status.success(), "{}", out.stderr_text());
    assert_eq!(
        out.stdout_text(),
        "processes /proc/1\n",
        "processes left behind"
    );
    let mut diagnosed = 0;
    for i in 0..1064 {
        let read = |f: &str| std::fs::read_to_string(dir.join(format!("{f}.{i}"))).unwrap();
        let (code, stdout, stderr) = expected(i);
        assert_eq!(read("rc").trim(), code.to_string(), "run {i}: exit status");
        assert_eq!(read("out"), stdout, "run {i}: stdout");
        let err = read("err");
        if code == 1 {
            assert!(err.starts_with(&stderr), "run {i}: {err}");
            assert!(
                err.contains("rule: bind-source-missing ("),
                "run {i}: {err}"
            );
            diagnosed += 1;
        } else {
            assert_eq!(err, stderr, "run {i}: stderr");
        }
    }
    eprintln!(
        "    load: 1000 sequential + 64 concurrent runs in {:.1} s; {diagnosed} bwrap failures diagnosed; every byte and status as expected",
        took.as_secs_f64()
    );
}

fn a_hundred_megabytes_of_garbage_without_newline_arrives_exactly_on_failure() {
    support::real_bwrap();
    let dir = support::install().scratch();
    let file = dir.join("garbage");
    // Deterministic binary garbage, no newline at all, 100 MiB.
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let block: Vec<u8> = (0..1 << 20)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            match (x >> 24) as u8 {
                b'\n' => 0,
                b => b,
            }
        })
        .collect();
    {
        use std::io::Write;
        let mut f = std::io::BufWriter::new(std::fs::File::create(&file).unwrap());
        for _ in 0..100 {
            f.write_all(&block).unwrap();
        }
    }
    std::fs::set_permissions(&file, std::os::unix::fs::PermissionsExt::from_mode(0o644)).unwrap();
    let args = support::strings(&[
        "--ro-bind",
        "/",
        "/",
        "/bin/sh",
        "-c",
        &format!("cat {} >&2; exit 1", file.display()),
    ]);
    let who = if support::is_root() {
        As::Root
    } else {
        As::User
    };
    let out = support::run_with_input(
        &mut support::bwrap(Via::Shim, who, &args),
        None,
        Duration::from_secs(300),
    );
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(out.stderr.len(), 100 << 20, "every byte, nothing added");
    for (n, chunk) in out.stderr.chunks(1 << 20).enumerate() {
        assert!(chunk == block.as_slice(), "chunk {n} differs");
    }
}

fn a_shim_killed_with_sigkill_leaves_bwrap_as_its_callers_death_would(who: &As) {
    // Killing the shim is killing bwrap's parent: with --die-with-parent
    // bwrap and its sandbox die; without, the sandbox goes on (its stderr
    // writes then fail: the relay is gone). The same as killing the caller
    // of a bwrap run directly.
    support::real_bwrap();
    let dir = support::install().scratch();
    for (die, name) in [(true, "with"), (false, "without")] {
        let marker = dir.join(format!("survived-{name}"));
        let mut args = vec!["--ro-bind", "/", "/", "--bind"];
        let d = dir.display().to_string();
        args.extend([d.as_str(), d.as_str()]);
        if die {
            args.push("--die-with-parent");
        }
        let started = dir.join(format!("started-{name}"));
        let script = format!(
            "touch {}; sleep 1; touch {}",
            started.display(),
            marker.display()
        );
        args.extend(["sh", "-c", &script]);
        let mut c = support::bwrap(Via::Shim, *who, &args);
        c.stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null());
        let mut child = c.spawn().unwrap();
        let shim = child.id();
        let bwrap = support::running_bwrap(Via::Shim, shim);
        // bwrap set up --die-with-parent before it started the sandbox.
        support::eventually("the sandbox starts", Duration::from_secs(10), || {
            started.exists().then_some(())
        });
        // SAFETY: killing our own child.
        unsafe { libc::kill(shim as i32, libc::SIGKILL) };
        let _ = child.wait();
        std::thread::sleep(Duration::from_millis(2000));
        let bwrap_alive = std::path::Path::new(&format!("/proc/{bwrap}")).exists()
            && support::proc_state(bwrap).is_some_and(|s| s != 'Z');
        if die {
            assert!(
                !marker.exists(),
                "--die-with-parent: the sandbox outlived the shim"
            );
            assert!(!bwrap_alive, "--die-with-parent: bwrap outlived the shim");
        } else {
            assert!(
                marker.exists(),
                "without --die-with-parent the sandbox goes on"
            );
        }
    }
}

fn hidden_sys_and_proc_sys_make_probes_unavailable_and_nothing_else() {
    if !support::is_root() {
        support::skip("needs root to hide /sys and /proc/sys in a private mount namespace");
    }
    support::real_bwrap();
    let inst = support::install();
    let (uid, gid) = support::test_user();
    // /sys hidden: a failure is still diagnosed, and snapshot says what
    // it could not see.
    let script = format!(
        "mount -t tmpfs none /sys && exec setpriv --reuid={uid} --regid={gid} --clear-groups sh -c '\"$0\" --ro-bind / / --ro-bind /nonexistent-bwd /mnt true; echo rc=$?; \"$1\" snapshot' \"$@\""
    );
    let out = support::run(
        Command::new("unshare")
            .args(["-m", "--propagation", "private", "sh", "-c", &script, "sh"])
            .arg(&inst.shim)
            .arg(&inst.doctor)
            .env_clear()
            .env("PATH", inst.path_var())
            .env("HOME", "/")
            .env("NO_COLOR", "1")
            .env("BWRAP_DOCTOR_REPORT", "long"),
    );
    let err = out.stderr_text();
    assert!(err.contains("rule: bind-source-missing ("), "{err}");
    let text = out.stdout_text();
    assert!(text.starts_with("rc=1\n"), "{text}");
    let snap = support::schema::parse_valid(&text["rc=1\n".len()..]);
    assert_eq!(
        snap["facts"]["apparmor.enabled"],
        serde_json::json!({"absent": true}),
        "{snap:#}"
    );
    // /proc/sys hidden: bwrap cannot even start; the cause is confirmed
    // from what can still be seen.
    let script = format!(
        "mount -t tmpfs none /proc/sys && exec setpriv --reuid={uid} --regid={gid} --clear-groups \"$@\""
    );
    let out = support::run(
        Command::new("unshare")
            .args(["-m", "--propagation", "private", "sh", "-c", &script, "sh"])
            .arg(&inst.shim)
            .args(["--ro-bind", "/", "/", "true"])
            .env_clear()
            .env("PATH", inst.path_var())
            .env("HOME", "/")
            .env("NO_COLOR", "1")
            .env("BWRAP_DOCTOR_REPORT", "long"),
    );
    let err = out.stderr_text();
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.starts_with("bwrap: Can't read /proc/sys/kernel/overflowuid"),
        "{err}"
    );
    assert!(
        err.contains("rule: container-no-privileges.proc-sys-hidden ("),
        "{err}"
    );
}
