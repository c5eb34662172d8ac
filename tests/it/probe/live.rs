//! Probes on the live host: this machine's kernel, the real bwrap, the
//! caller as root and as the unprivileged user, paths, outer sandboxes and
//! a chroot.

use super::{assert_obs, assert_unavailable, helper_cmd, host_facts, run_facts, seen, wrapped};
use crate::support::{self, As};
use crate::{Body, Test};
use bwrap_doctor_engine::facts::Obs;
use bwrap_doctor_engine::probe::Host;
use serde_json::{Value, json};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

pub fn tests() -> Vec<Test> {
    tests![
        Once live_system_facts_match_this_kernel,
        Each live_caller_credentials_and_caps,
        Each live_caller_under_a_seccomp_filter,
        Once live_path_walks_symlinks_and_fstype,
        Once live_real_bwrap_file_facts_and_version,
        Once live_bwrap_version_times_out_and_is_killed,
        Once live_bwrap_version_of_something_else_is_unavailable,
        Each live_execute_only_bwrap_is_unreadable_to_the_user,
        Once live_container_evidence_lists_every_check,
        Each live_outer_bwrap_is_seen_from_inside_a_sandbox,
        Once live_outer_bwrap_skips_the_bwrap_doctor_shim,
        Once live_chroot_is_detected_and_refuses_user_namespaces,
    ]
}

fn live_system_facts_match_this_kernel() {
    let f = host_facts(Host::live(), None, None);
    // SAFETY: uname fills the struct we pass.
    let mut u: libc::utsname = unsafe { std::mem::zeroed() };
    // SAFETY: as above.
    assert_eq!(unsafe { libc::uname(&mut u) }, 0);
    // SAFETY: uname NUL-terminates release.
    let release = unsafe { std::ffi::CStr::from_ptr(u.release.as_ptr()) };
    assert_obs(&f, "kernel.release", Obs::seen(release.to_str().unwrap()));
    let mut kinds: Vec<String> = std::fs::read_dir("/proc/self/ns")
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|k| !k.ends_with("_for_children"))
        .collect();
    kinds.sort();
    assert!(kinds.contains(&"user".to_string()), "{kinds:?}");
    assert_obs(&f, "kernel.namespaces", Obs::seen(kinds));
    let version = seen(&f, "kernel.version");
    assert!(version.as_str().unwrap().starts_with("Linux version "));
    let os = std::fs::read_to_string("/etc/os-release")
        .or_else(|_| std::fs::read_to_string("/usr/lib/os-release"))
        .unwrap_or_default();
    let id_line = os.lines().find_map(|l| l.strip_prefix("ID="));
    match id_line {
        Some(id) => assert_obs(&f, "os.id", Obs::seen(id.trim_matches('"'))),
        None => assert_obs(&f, "os.id", Obs::Absent),
    }
    for k in ["os.id_like", "os.version_id", "os.pretty_name"] {
        assert!(!matches!(f.get(k), Obs::Unavailable(_)), "{k}");
    }
    match std::fs::read_to_string("/sys/kernel/security/lsm") {
        Ok(s) => assert_eq!(
            seen(&f, "lsm.list").as_array().unwrap().len(),
            s.trim().split(',').count()
        ),
        Err(_) => assert!(!matches!(f.get("lsm.list"), Obs::Seen(_))),
    }
    let selinux = Path::new("/sys/fs/selinux/enforce").exists();
    if !selinux {
        assert_obs(&f, "selinux.mode", Obs::seen("disabled"));
        assert_obs(&f, "selinux.context", Obs::Absent);
    }
    if !Path::new("/sys/module/apparmor").exists() {
        assert_obs(&f, "apparmor.enabled", Obs::Absent);
        assert_obs(&f, "apparmor.label", Obs::Absent);
        assert_obs(&f, "apparmor.userns_mediation", Obs::seen(false));
        assert_obs(&f, "apparmor.profiles_loaded", Obs::Absent);
    }
    // This machine's /etc/apparmor.d is parsed, whatever it holds.
    match f.get("apparmor.profile_files") {
        Obs::Seen(Value::Array(_)) => assert!(Path::new("/etc/apparmor.d").is_dir()),
        other => assert_eq!(other, Obs::Absent),
    }
    assert_obs(
        &f,
        "sysctl.kernel.osrelease",
        Obs::seen(release.to_str().unwrap()),
    );
}

fn live_caller_credentials_and_caps(who: &As) {
    let h = run_facts(
        helper_cmd(who),
        &[
            "caller.uid",
            "caller.euid",
            "caller.caps_effective",
            "caller.caps_permitted",
            "caller.caps_ambient",
            "caller.caps_bounding",
            "caller.seccomp",
            "caller.seccomp_filters",
            "caller.no_new_privs",
            "caller.uid_map",
            "caller.in_initial_userns",
        ],
    );
    assert_eq!(h.obs("caller.uid"), Obs::seen(who.uid()));
    assert_eq!(h.obs("caller.euid"), Obs::seen(who.uid()));
    let eff = h.facts["caller.caps_effective"]
        .as_array()
        .cloned()
        .unwrap();
    match who {
        As::Root => assert!(eff.contains(&json!("cap_sys_admin")), "{eff:?}"),
        As::User => assert!(eff.is_empty(), "{eff:?}"),
    }
    assert_eq!(h.obs("caller.caps_ambient"), Obs::seen(json!([])));
    assert!(h.facts["caller.caps_bounding"].as_array().unwrap().len() >= 38);
    assert_eq!(h.obs("caller.seccomp"), Obs::seen(0));
    assert_eq!(h.obs("caller.no_new_privs"), Obs::seen(0));
    let initial = std::fs::read_link("/proc/self/ns/user").unwrap();
    assert_eq!(
        h.obs("caller.in_initial_userns"),
        Obs::seen(initial.as_os_str() == "user:[4026531837]")
    );
    let map = std::fs::read_to_string("/proc/self/uid_map").unwrap();
    let map = map.split_whitespace().collect::<Vec<_>>().join(" ");
    assert_eq!(h.obs("caller.uid_map"), Obs::seen(map));

    // Inside a user namespace: not the initial one, and a one-line map.
    let h = run_facts(
        wrapped(who, "unshare", &["-Ur"], "exec \"$0\" \"$@\""),
        &["caller.in_initial_userns", "caller.uid_map", "caller.uid"],
    );
    assert_eq!(h.obs("caller.in_initial_userns"), Obs::seen(false));
    assert_eq!(
        h.obs("caller.uid_map"),
        Obs::seen(format!("0 {} 1", who.uid()))
    );
    assert_eq!(h.obs("caller.uid"), Obs::seen(0));
}

fn live_caller_under_a_seccomp_filter(who: &As) {
    use crate::support::seccomp::{ArgTest, Deny, apply};
    let mut cmd = helper_cmd(who);
    apply(
        &mut cmd,
        &[Deny::syscall(libc::SYS_unshare, libc::EPERM)
            .when(0, ArgTest::AnyBits(libc::CLONE_NEWUSER as u32))],
    );
    let h = run_facts(
        cmd,
        &[
            "caller.seccomp",
            "caller.seccomp_filters",
            "caller.no_new_privs",
        ],
    );
    assert_eq!(h.obs("caller.seccomp"), Obs::seen(2));
    assert_eq!(h.obs("caller.seccomp_filters"), Obs::seen(1));
    assert_eq!(h.obs("caller.no_new_privs"), Obs::seen(1));
}

fn live_path_walks_symlinks_and_fstype() {
    let d = support::install().scratch();
    std::fs::create_dir_all(d.join("real/sub")).unwrap();
    std::fs::write(d.join("real/sub/file"), "x").unwrap();
    std::os::unix::fs::symlink(d.join("real"), d.join("abs")).unwrap();
    std::os::unix::fs::symlink("real", d.join("rel")).unwrap();
    std::os::unix::fs::symlink("missing", d.join("dangling")).unwrap();
    let f = host_facts(Host::live(), None, None);
    let p = |s: &str| format!("{}/{s}", d.display());
    assert_obs(
        &f,
        &format!("path.exists:{}", p("real/sub/file")),
        Obs::seen(true),
    );
    assert_obs(
        &f,
        &format!("path.exists:{}", p("dangling")),
        Obs::seen(true),
    );
    assert_obs(
        &f,
        &format!("path.exists:{}", p("dangling/x")),
        Obs::seen(false),
    );
    assert_obs(&f, &format!("path.exists:{}", p("nope")), Obs::seen(false));
    assert_obs(
        &f,
        &format!("path.first_symlink:{}", p("abs/sub/file")),
        Obs::seen(
            json!({"link": p("abs"), "target": p("real"), "absolute": true,
                         "resolved": p("real/sub/file")}),
        ),
    );
    assert_obs(
        &f,
        &format!("path.first_symlink:{}", p("rel/sub")),
        Obs::seen(
            json!({"link": p("rel"), "target": "real", "absolute": false,
                         "resolved": p("real/sub")}),
        ),
    );
    assert_obs(
        &f,
        &format!("path.first_symlink:{}", p("dangling")),
        Obs::seen(
            json!({"link": p("dangling"), "target": "missing", "absolute": false,
                         "resolved": p("missing")}),
        ),
    );
    assert_obs(
        &f,
        &format!("path.first_symlink:{}", p("real/sub/file")),
        Obs::Absent,
    );
    assert_obs(
        &f,
        &format!("path.first_symlink:{}", p("nope/x")),
        Obs::Absent,
    );
    assert_obs(&f, "path.fstype:/proc/self", Obs::seen("proc"));
    assert_obs(&f, "path.fstype:/sys", Obs::seen("sysfs"));
    assert_obs(&f, &format!("path.fstype:{}", p("nope")), Obs::Absent);
    // Following the symlink, as bwrap does for a source.
    assert_eq!(
        f.get(&format!("path.fstype:{}", p("abs"))),
        f.get(&format!("path.fstype:{}", p("real")))
    );
    if Path::new("/dev/shm").is_dir() {
        assert_obs(&f, "path.fstype:/dev/shm", Obs::seen("tmpfs"));
    }
}

fn live_real_bwrap_file_facts_and_version() {
    let real = support::real_bwrap();
    let f = host_facts(Host::live(), Some(real.to_str().unwrap()), None);
    let v = seen(&f, "bwrap.version");
    let re = regex::Regex::new(r"^\d+\.\d+\.\d+").unwrap();
    assert!(re.is_match(v.as_str().unwrap()), "{v}");
    let out = Command::new(real).arg("--version").output().unwrap();
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        format!("bubblewrap {}", v.as_str().unwrap())
    );
    let canon = std::fs::canonicalize(real).unwrap();
    assert_obs(&f, "bwrap.realpath", Obs::seen(canon.display().to_string()));
    let meta = std::fs::metadata(real).unwrap();
    use std::os::unix::fs::MetadataExt;
    assert_obs(
        &f,
        "bwrap.mode",
        Obs::seen(format!("{:04o}", meta.mode() & 0o7777)),
    );
    assert_obs(&f, "bwrap.owner_uid", Obs::seen(meta.uid()));
    assert_obs(
        &f,
        "bwrap.setuid",
        Obs::seen(meta.mode() & 0o4000 != 0 && meta.uid() == 0),
    );
    assert_obs(&f, "bwrap.readable", Obs::seen(true));
    assert_obs(&f, "bwrap.file_caps", Obs::Absent);
    assert!(matches!(
        f.get("apparmor.covering_profile"),
        Obs::Absent | Obs::Seen(_)
    ));
}

fn script(dir: &Path, name: &str, body: &str) -> String {
    let p = dir.join(name);
    std::fs::write(&p, format!("#!/bin/sh\n{body}\n")).unwrap();
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
    p.display().to_string()
}

fn live_bwrap_version_times_out_and_is_killed() {
    // A "bwrap" that hangs, and starts another process that hangs too.
    let d = support::install().scratch();
    let snooze = d.join("snooze");
    std::fs::copy("/bin/sleep", &snooze).unwrap();
    let s = snooze.display();
    let slow = script(&d, "bwrap", &format!("{s} 30 &\nexec {s} 31"));
    let f = host_facts(Host::live(), Some(&slow), None);
    let start = Instant::now();
    let why = assert_unavailable(&f, "bwrap.version");
    assert!(why.contains("did not finish within 500 ms"), "{why}");
    assert!(
        start.elapsed() < Duration::from_secs(3),
        "{:?}",
        start.elapsed()
    );
    // Killed, both of them, not left sleeping.
    let s = s.to_string();
    support::eventually(
        "the hung processes to be gone",
        Duration::from_secs(3),
        || running_with_arg0(&s).is_empty().then_some(()),
    );
}

/// Live processes whose argv[0] is `arg0` (zombies have an empty cmdline).
fn running_with_arg0(arg0: &str) -> Vec<String> {
    let Ok(rd) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    rd.flatten()
        .filter(|e| {
            e.file_name()
                .to_string_lossy()
                .bytes()
                .all(|b| b.is_ascii_digit())
        })
        .filter(|e| {
            std::fs::read(e.path().join("cmdline"))
                .is_ok_and(|c| c.split(|&b| b == 0).next() == Some(arg0.as_bytes()))
        })
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect()
}

fn live_bwrap_version_of_something_else_is_unavailable() {
    let d = support::install().scratch();
    let other = script(&d, "bwrap", "echo 'not bubblewrap'; exit 3");
    let f = host_facts(Host::live(), Some(&other), None);
    let why = assert_unavailable(&f, "bwrap.version");
    assert!(
        why.contains("exited with 3") && why.contains("not bubblewrap"),
        "{why}"
    );
}

fn live_execute_only_bwrap_is_unreadable_to_the_user(who: &As) {
    let d = support::install().scratch();
    let copy = d.join("bwrap");
    std::fs::copy(support::real_bwrap(), &copy).unwrap();
    // Execute-only even for its owner (the copy is the user's own when
    // the suite runs unprivileged).
    std::fs::set_permissions(&copy, std::fs::Permissions::from_mode(0o111)).unwrap();
    let h = run_facts(
        helper_cmd(who),
        &[
            "--bwrap",
            copy.to_str().unwrap(),
            "bwrap.readable",
            "bwrap.mode",
        ],
    );
    assert_eq!(h.obs("bwrap.mode"), Obs::seen("0111"));
    assert_eq!(h.obs("bwrap.readable"), Obs::seen(*who == As::Root));
}

fn live_container_evidence_lists_every_check() {
    let f = host_facts(Host::live(), None, None);
    let kind = seen(&f, "container.kind");
    let kinds = [
        "docker",
        "podman",
        "lxc",
        "kubernetes",
        "systemd-nspawn",
        "wsl1",
        "wsl2",
        "gvisor",
        "flatpak",
        "bwrap",
        "chroot",
        "other",
        "none",
    ];
    assert!(kinds.contains(&kind.as_str().unwrap()), "{kind}");
    let ev = seen(&f, "container.evidence");
    let ev = super::strs(&ev);
    for prefix in [
        "/proc/version: ",
        "/.flatpak-info: ",
        "/.dockerenv: ",
        "/run/.containerenv: ",
        "/run/systemd/container: ",
        "/var/run/secrets/kubernetes.io/serviceaccount: ",
        "KUBERNETES_SERVICE_HOST",
        "/proc/1/cgroup: ",
        "outer bwrap: ",
        "chroot: ",
    ] {
        assert!(
            ev.iter().any(|l| l.starts_with(prefix)),
            "no {prefix} in {ev:#?}"
        );
    }
    let dockerenv = Path::new("/.dockerenv").exists();
    assert_eq!(ev.contains(&"/.dockerenv: present (docker)"), dockerenv);
    if dockerenv && !Path::new("/.flatpak-info").exists() {
        let version = seen(&f, "kernel.version");
        if !version
            .as_str()
            .unwrap()
            .to_lowercase()
            .contains("microsoft")
        {
            assert_eq!(kind, "docker", "{ev:#?}");
        }
    }
    // Not in a chroot (unavailable when pid 1's root cannot be looked at).
    assert_ne!(f.get("chroot"), Obs::seen(true));
}

fn live_outer_bwrap_is_seen_from_inside_a_sandbox(who: &As) {
    let helper = support::install().helper.display().to_string();
    for extra in [&[][..], &["--unshare-pid", "--proc", "/proc"][..]] {
        let mut cmd = Command::new(support::real_bwrap());
        cmd.args(["--ro-bind", "/", "/", "--dev", "/dev"])
            .args(extra)
            .args([
                &helper,
                "--helper",
                "facts",
                "sandbox.outer_bwrap",
                "container.evidence",
            ]);
        who.apply(&mut cmd);
        let h = run_facts(cmd, &[]);
        assert_eq!(h.obs("sandbox.outer_bwrap"), Obs::seen(true), "{extra:?}");
        // bwrap makes itself non-dumpable: the user cannot open its
        // executable, and a process named bwrap counts.
        let ev = h.facts["container.evidence"].to_string();
        assert!(
            ev.contains("is bwrap")
                || ev.contains("is named bwrap (its executable cannot be opened"),
            "{ev}"
        );
    }
}

fn live_outer_bwrap_skips_the_bwrap_doctor_shim() {
    // The shim (named bwrap) runs a stand-in "real bwrap" that is the
    // helper: the helper's parent is the shim, which must not count.
    let inst = support::install();
    let d = inst.scratch();
    let stand_in = script(
        &d,
        "real-bwrap",
        &format!(
            "exec {} --helper facts sandbox.outer_bwrap container.evidence",
            inst.helper.display()
        ),
    );
    let mut cmd = Command::new(&inst.shim);
    cmd.arg0("bwrap").env("BWRAP_DOCTOR_REAL_BWRAP", &stand_in);
    let h = run_facts(cmd, &[]);
    assert_eq!(h.obs("sandbox.outer_bwrap"), Obs::seen(false));
    let ev = h.facts["container.evidence"].to_string();
    assert!(ev.contains("is a bwrap-doctor shim (skipped)"), "{ev}");
}

/// A minimal root: the helper, its libraries, and a /proc.
fn live_chroot_is_detected_and_refuses_user_namespaces() {
    if !support::is_root() {
        support::skip("making a chroot needs root");
    }
    let inst = support::install();
    let root = inst.scratch();
    let ldd = match Command::new("ldd").arg(&inst.helper).output() {
        Ok(o) if o.status.success() => String::from_utf8_lossy(&o.stdout).into_owned(),
        _ => support::skip("ldd is not available to copy the helper's libraries"),
    };
    let mut files: Vec<String> = ldd
        .split_whitespace()
        .filter(|w| w.starts_with('/'))
        .map(str::to_string)
        .collect();
    files.push(inst.helper.display().to_string());
    for f in &files {
        let dest = root.join(f.trim_start_matches('/'));
        std::fs::create_dir_all(dest.parent().unwrap()).unwrap();
        std::fs::copy(f, &dest).unwrap();
    }
    std::fs::create_dir_all(root.join("proc")).unwrap();
    let script = format!(
        "mount -t proc proc {r}/proc && exec chroot {r} \"$0\" \"$@\"",
        r = root.display()
    );
    let h = run_facts(
        wrapped(
            &As::Root,
            "unshare",
            &["-m", "--propagation", "private"],
            &script,
        ),
        &["chroot", "container.kind", "experiment.userns"],
    );
    assert_eq!(h.obs("chroot"), Obs::seen(true));
    assert_eq!(h.obs("container.kind"), Obs::seen("chroot"));
    assert_eq!(
        h.obs("experiment.userns"),
        Obs::seen(
            json!({"ok": false, "step": "unshare(CLONE_NEWUSER)", "errno": "EPERM",
                         "message": "Operation not permitted"})
        )
    );
}
