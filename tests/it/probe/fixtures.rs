//! Probes against fixture hosts: the same probes as on `/`, reading the
//! fixture's files through `Host::fixture`.

use super::{assert_obs, assert_unavailable, fixture, fixture_facts, host_facts, seen};
use crate::support;
use crate::{Body, Test};
use bwrap_doctor_engine::facts::{Obs, SNAPSHOT_SCHEMA, SNAPSHOT_VERSION, Snapshot};
use bwrap_doctor_engine::probe::Facts;
use bwrap_doctor_engine::probe::{self, Host};
use serde_json::{Value, json};
use std::os::unix::fs::{MetadataExt, PermissionsExt};

pub fn tests() -> Vec<Test> {
    tests![
        Once namespace_kinds_the_kernel_lacks_are_named_from_proc_self_ns,
        Once ubuntu_2404_system_and_os_release,
        Once ubuntu_2404_apparmor_restriction_is_seen,
        Once ubuntu_2404_profile_files_parse_the_real_profiles,
        Once fixture_kinds_carry_bwrap_userns_restrict_as_the_probe_reads_it,
        Once ubuntu_2404_bwrap_userns_restrict_covers_usr_bin_bwrap,
        Once ubuntu_2404_covering_profile_matches_through_the_real_path,
        Once ubuntu_2404_confining_profile_is_the_one_that_attaches_and_confines,
        Once ubuntu_2404_vendored_bwrap_is_not_covered_but_exceptions_exist,
        Once ubuntu_2404_unconfined_userns_profiles_cover_their_paths,
        Once ubuntu_2404_caller_and_container,
        Once ubuntu_2404_bind_paths_walk_the_fixture,
        Once ubuntu_2404_bwrap_file_facts,
        Once ubuntu_2404_experiments_are_unavailable_off_the_live_host,
        Once debian_12_userns_clone_disabled_without_mediation,
        Once docker_container_is_detected_with_its_confinement,
        Once wsl1_is_detected_and_has_no_lsm,
        Once rhel7_max_user_namespaces_zero_and_selinux,
        Once fixture_bwrap_mode_setuid_readable_and_file_caps,
        Once args_facts_come_from_the_call,
        Once snapshot_of_a_fixture_replays_with_the_same_derived_facts,
        Once the_generated_apparmor_profile_names_the_bwrap_that_ran,
        Once conflicting_attachments_are_found_in_files_and_the_kernels_list,
        Once own_profiles_say_whether_their_path_still_exists,
        Once docker_masks_parts_of_proc_and_makes_proc_sys_read_only,
        Once a_programs_interpreter_is_read_from_the_host,
        Once a_programs_format_is_read_from_the_file_the_call_binds_there,
        Once args_cover_what_the_call_puts_in_the_sandbox,
        Once bwrap_knows_an_option_by_its_version,
    ]
}

fn ubuntu() -> Facts<'static> {
    fixture_facts("ubuntu-24.04", Some("/usr/bin/bwrap"))
}

fn ubuntu_2404_system_and_os_release() {
    let f = ubuntu();
    assert_obs(&f, "kernel.release", Obs::seen("6.8.0-31-generic"));
    assert!(
        seen(&f, "kernel.version")
            .as_str()
            .unwrap()
            .starts_with("Linux version 6.8.0-31-generic (buildd@")
    );
    assert_obs(&f, "os.id", Obs::seen("ubuntu"));
    assert_obs(&f, "os.id_like", Obs::seen("debian"));
    assert_obs(&f, "os.version_id", Obs::seen("24.04"));
    assert_obs(&f, "os.pretty_name", Obs::seen("Ubuntu 24.04.1 LTS"));
    assert_obs(
        &f,
        "lsm.list",
        Obs::seen(json!([
            "lockdown",
            "capability",
            "landlock",
            "yama",
            "apparmor",
            "ima",
            "evm"
        ])),
    );
    assert_obs(&f, "selinux.mode", Obs::seen("disabled"));
    assert_obs(&f, "selinux.context", Obs::Absent);
    assert_obs(
        &f,
        "sysctl.kernel.apparmor_restrict_unprivileged_userns",
        Obs::seen(1),
    );
    assert_obs(&f, "sysctl.kernel.unprivileged_userns_clone", Obs::seen(1));
    assert_obs(
        &f,
        "sysctl.kernel.apparmor_restrict_unprivileged_userns_force",
        Obs::Absent,
    );
}

fn ubuntu_2404_apparmor_restriction_is_seen() {
    let f = ubuntu();
    assert_obs(&f, "apparmor.enabled", Obs::seen(true));
    assert_obs(&f, "apparmor.userns_mediation", Obs::seen(true));
    assert_obs(&f, "apparmor.label", Obs::seen("unconfined"));
    let loaded = seen(&f, "apparmor.profiles_loaded");
    let loaded = loaded.as_array().unwrap();
    assert_eq!(loaded.len(), 7);
    assert!(loaded.contains(&json!({"name": "bwrap", "mode": "enforce"})));
    assert!(loaded.contains(&json!({"name": "/opt/google/chrome/chrome", "mode": "unconfined"})));
}

fn profile<'a>(files: &'a [Value], file: &str, name: &str) -> &'a Value {
    files
        .iter()
        .find(|p| p["file"] == file && p["name"] == name)
        .unwrap_or_else(|| panic!("no profile {name} in {file}: {files:#?}"))
}

fn ubuntu_2404_profile_files_parse_the_real_profiles() {
    let f = ubuntu();
    let v = seen(&f, "apparmor.profile_files");
    let files = v.as_array().unwrap();
    let d = "/etc/apparmor.d/";
    assert_eq!(
        profile(files, &format!("{d}bwrap-userns-restrict"), "bwrap"),
        &json!({"file": "/etc/apparmor.d/bwrap-userns-restrict", "name": "bwrap",
                "attach": "/usr/bin/bwrap", "flags": ["attach_disconnected", "mediate_deleted"],
                "userns": true, "capabilities": ["all"], "mount_all": true,
                "unconfined": false, "disabled": false})
    );
    assert_eq!(
        profile(files, &format!("{d}bwrap-userns-restrict"), "unpriv_bwrap"),
        &json!({"file": "/etc/apparmor.d/bwrap-userns-restrict", "name": "unpriv_bwrap",
                "attach": null, "flags": ["attach_disconnected", "mediate_deleted"],
                "userns": true, "capabilities": [], "mount_all": true,
                "unconfined": false, "disabled": false})
    );
    assert_eq!(
        profile(
            files,
            &format!("{d}home.u.bin.rootlesskit"),
            "/home/u/bin/rootlesskit"
        ),
        &json!({"file": "/etc/apparmor.d/home.u.bin.rootlesskit", "name": "/home/u/bin/rootlesskit",
                "attach": "/home/u/bin/rootlesskit", "flags": ["unconfined"],
                "userns": true, "capabilities": [], "mount_all": false,
                "unconfined": true, "disabled": false})
    );
    let un = profile(
        files,
        &format!("{d}unprivileged_userns"),
        "unprivileged_userns",
    );
    assert_eq!(un["attach"], Value::Null);
    assert_eq!(un["userns"], true);
    let vendor = profile(files, &format!("{d}bwrap"), "bwrap");
    assert_eq!(vendor["disabled"], true, "disable/bwrap disables it");
    assert_eq!(vendor["unconfined"], true);
    let man = profile(files, &format!("{d}usr.bin.man"), "/usr/bin/man");
    assert_eq!(man["userns"], false);
    assert_eq!(man["flags"], json!(["attach_disconnected"]));
    // @{HOME} from tunables/home
    let tool = profile(files, &format!("{d}home.bin.tool"), "tool");
    assert_eq!(tool["attach"], "{/home/*/,/root/}/bin/tool");
    // Only regular files directly in /etc/apparmor.d, and no backups.
    for p in files {
        let file = p["file"].as_str().unwrap();
        assert!(
            !file[d.len()..].contains('/'),
            "{file} is in a subdirectory"
        );
        assert!(!file.ends_with(".dpkg-old"), "{file} is a backup");
    }
    assert_eq!(files.len(), 8, "{files:#?}");
}

fn ubuntu_2404_bwrap_userns_restrict_covers_usr_bin_bwrap() {
    let f = ubuntu();
    assert_obs(
        &f,
        "apparmor.covering_profile",
        Obs::seen(
            json!({"file": "/etc/apparmor.d/bwrap-userns-restrict", "name": "bwrap",
                         "attach": "/usr/bin/bwrap"}),
        ),
    );
    assert_obs(
        &f,
        "apparmor.bwrap_exceptions",
        Obs::seen(
            json!([{"file": "/etc/apparmor.d/bwrap-userns-restrict", "name": "bwrap",
                          "attach": "/usr/bin/bwrap"}]),
        ),
    );
}

fn ubuntu_2404_covering_profile_matches_through_the_real_path() {
    // /bin is a symlink to usr/bin (merged /usr): /bin/bwrap is covered.
    let f = fixture_facts("ubuntu-24.04", Some("/bin/bwrap"));
    assert_obs(&f, "bwrap.path", Obs::seen("/bin/bwrap"));
    assert_obs(&f, "bwrap.realpath", Obs::seen("/usr/bin/bwrap"));
    assert_eq!(
        seen(&f, "apparmor.covering_profile")["file"],
        "/etc/apparmor.d/bwrap-userns-restrict"
    );
}

fn ubuntu_2404_confining_profile_is_the_one_that_attaches_and_confines() {
    // Ubuntu's bwrap profile confines /usr/bin/bwrap (it is not
    // unconfined): every capability, every mount, attach_disconnected.
    let f = fixture_facts("ubuntu-24.04", Some("/usr/bin/bwrap"));
    assert_eq!(
        seen(&f, "apparmor.confining_profile"),
        json!({"file": "/etc/apparmor.d/bwrap-userns-restrict", "name": "bwrap",
               "attach": "/usr/bin/bwrap", "flags": ["attach_disconnected", "mediate_deleted"],
               "capabilities": ["all"], "mount_all": true})
    );
    // An unconfined profile (rootlesskit's) does not confine; nor does
    // anything confine a vendored bwrap no profile attaches to.
    let f = fixture_facts("ubuntu-24.04", Some("/home/u/bin/rootlesskit"));
    assert_obs(&f, "apparmor.confining_profile", Obs::Absent);
    let f = fixture_facts("ubuntu-24.04", Some("/opt/vendor/bwrap"));
    assert_obs(&f, "apparmor.confining_profile", Obs::Absent);
}

fn ubuntu_2404_vendored_bwrap_is_not_covered_but_exceptions_exist() {
    let f = fixture_facts("ubuntu-24.04", Some("/opt/vendor/bwrap"));
    assert_obs(&f, "apparmor.covering_profile", Obs::Absent);
    let ex = seen(&f, "apparmor.bwrap_exceptions");
    assert_eq!(ex.as_array().unwrap().len(), 1);
    assert_eq!(ex[0]["attach"], "/usr/bin/bwrap");
}

fn ubuntu_2404_unconfined_userns_profiles_cover_their_paths() {
    let f = fixture_facts("ubuntu-24.04", Some("/home/u/bin/rootlesskit"));
    assert_eq!(
        seen(&f, "apparmor.covering_profile"),
        json!({"file": "/etc/apparmor.d/home.u.bin.rootlesskit",
               "name": "/home/u/bin/rootlesskit", "attach": "/home/u/bin/rootlesskit"})
    );
    // A glob with a variable from the host's tunables.
    let f = fixture_facts("ubuntu-24.04", Some("/home/u/bin/tool"));
    assert_eq!(seen(&f, "apparmor.covering_profile")["name"], "tool");
    // The disabled vendor profile never covers, whichever bwrap ran.
    let f = fixture_facts("ubuntu-24.04", Some("/usr/bin/bwrap"));
    assert_ne!(
        seen(&f, "apparmor.covering_profile")["file"],
        "/etc/apparmor.d/bwrap"
    );
}

fn ubuntu_2404_caller_and_container() {
    let f = ubuntu();
    assert_obs(&f, "caller.uid", Obs::seen(1000));
    assert_obs(&f, "caller.euid", Obs::seen(1000));
    assert_obs(&f, "caller.caps_effective", Obs::seen(json!([])));
    assert_obs(&f, "caller.caps_permitted", Obs::seen(json!([])));
    assert_obs(&f, "caller.caps_ambient", Obs::seen(json!([])));
    let bnd = seen(&f, "caller.caps_bounding");
    assert_eq!(bnd.as_array().unwrap().len(), 41);
    assert_eq!(bnd[21], "cap_sys_admin");
    assert_obs(&f, "caller.seccomp", Obs::seen(0));
    assert_obs(&f, "caller.seccomp_filters", Obs::seen(0));
    assert_obs(&f, "caller.no_new_privs", Obs::seen(0));
    assert_obs(&f, "caller.uid_map", Obs::seen("0 0 4294967295"));
    assert_obs(&f, "caller.in_initial_userns", Obs::seen(true));
    assert_obs(&f, "container.kind", Obs::seen("none"));
    let ev = seen(&f, "container.evidence");
    let ev = super::strs(&ev);
    for line in [
        "/.dockerenv: absent",
        "/.flatpak-info: absent",
        "/run/.containerenv: absent",
        "/run/systemd/container: absent",
        "/proc/1/cgroup: no container markers",
        "outer bwrap: no ancestor is bwrap",
    ] {
        assert!(ev.contains(&line), "{line} not in {ev:#?}");
    }
    assert!(
        ev.iter().any(|l| l.starts_with("chroot: unavailable")),
        "{ev:#?}"
    );
    assert_obs(&f, "sandbox.outer_bwrap", Obs::seen(false));
    assert!(assert_unavailable(&f, "chroot").contains("live host"));
}

fn ubuntu_2404_bind_paths_walk_the_fixture() {
    let f = ubuntu();
    assert_obs(&f, "path.exists:/usr/bin/bwrap", Obs::seen(true));
    assert_obs(&f, "path.exists:/var/run", Obs::seen(true));
    assert_obs(&f, "path.exists:/nope/x", Obs::seen(false));
    assert_obs(&f, "path.exists:/usr/bin/bwrap/x", Obs::seen(false));
    // /var/run -> /run: absolute, and re-rooted in the fixture.
    assert_obs(
        &f,
        "path.first_symlink:/var/run/user/1000/bus",
        Obs::seen(
            json!({"link": "/var/run", "target": "/run", "absolute": true,
                         "resolved": "/run/user/1000/bus"}),
        ),
    );
    assert_obs(
        &f,
        "path.first_symlink:/home/u/proj/.codex/config.json",
        Obs::seen(
            json!({"link": "/home/u/proj/.codex", "target": "/home/u/.codex",
                         "absolute": true, "resolved": "/home/u/.codex/config.json"}),
        ),
    );
    assert_obs(
        &f,
        "path.first_symlink:/bin/bwrap",
        Obs::seen(
            json!({"link": "/bin", "target": "usr/bin", "absolute": false,
                         "resolved": "/usr/bin/bwrap"}),
        ),
    );
    assert_obs(&f, "path.first_symlink:/usr/bin/bwrap", Obs::Absent);
    assert_obs(
        &f,
        "path.first_symlink:/usr/../var/run",
        Obs::seen(
            json!({"link": "/var/run", "target": "/run", "absolute": true,
                         "resolved": "/run"}),
        ),
    );
    assert_obs(&f, "path.first_symlink:/nope/x", Obs::Absent);
    assert!(assert_unavailable(&f, "path.first_symlink:relative/x").contains("absolute"));
    assert_obs(&f, "path.fstype:/nope", Obs::Absent);
    assert!(assert_unavailable(&f, "path.fstype:/usr").contains("live host"));
}

fn ubuntu_2404_bwrap_file_facts() {
    let f = ubuntu();
    let meta = std::fs::metadata(fixture("ubuntu-24.04").join("usr/bin/bwrap")).unwrap();
    assert_obs(&f, "bwrap.path", Obs::seen("/usr/bin/bwrap"));
    assert_obs(&f, "bwrap.realpath", Obs::seen("/usr/bin/bwrap"));
    assert_obs(&f, "bwrap.setuid", Obs::seen(false));
    assert_obs(&f, "bwrap.owner_uid", Obs::seen(meta.uid()));
    assert_obs(
        &f,
        "bwrap.mode",
        Obs::seen(format!("{:04o}", meta.mode() & 0o7777)),
    );
    assert_obs(&f, "bwrap.readable", Obs::seen(meta.mode() & 0o004 != 0));
    assert_obs(&f, "bwrap.file_caps", Obs::Absent);
    let none = fixture_facts("ubuntu-24.04", None);
    assert!(assert_unavailable(&none, "bwrap.setuid").contains("not known"));
    assert!(assert_unavailable(&none, "apparmor.covering_profile").contains("bwrap.path"));
    let missing = fixture_facts("ubuntu-24.04", Some("/usr/local/bin/bwrap"));
    assert_obs(&missing, "bwrap.realpath", Obs::Absent);
    assert_obs(&missing, "bwrap.mode", Obs::Absent);
}

fn ubuntu_2404_experiments_are_unavailable_off_the_live_host() {
    let f = ubuntu();
    for k in [
        "experiment.userns",
        "experiment.netns",
        "experiment.proc_mount",
        "bwrap.version",
    ] {
        assert!(assert_unavailable(&f, k).contains("live host"), "{k}");
    }
}

fn debian_12_userns_clone_disabled_without_mediation() {
    let f = fixture_facts("debian-12", Some("/usr/bin/bwrap"));
    assert_obs(&f, "os.id", Obs::seen("debian"));
    assert_obs(&f, "os.version_id", Obs::seen("12"));
    assert_obs(&f, "os.id_like", Obs::Absent);
    assert_obs(&f, "kernel.release", Obs::seen("6.1.0-26-amd64"));
    assert_obs(&f, "sysctl.kernel.unprivileged_userns_clone", Obs::seen(0));
    assert_obs(
        &f,
        "sysctl.kernel.apparmor_restrict_unprivileged_userns",
        Obs::Absent,
    );
    assert_obs(&f, "apparmor.enabled", Obs::seen(true));
    assert_obs(&f, "apparmor.userns_mediation", Obs::seen(false));
    assert_obs(&f, "apparmor.label", Obs::seen("unconfined"));
    assert!(assert_unavailable(&f, "apparmor.profiles_loaded").contains("securityfs"));
    let files = seen(&f, "apparmor.profile_files");
    let names: Vec<&str> = files
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["nvidia_modprobe", "/usr/bin/man"]);
    assert_obs(&f, "apparmor.covering_profile", Obs::Absent);
    assert_obs(&f, "apparmor.bwrap_exceptions", Obs::seen(json!([])));
    assert_obs(&f, "container.kind", Obs::seen("none"));
}

fn docker_container_is_detected_with_its_confinement() {
    let f = fixture_facts("docker", Some("/usr/bin/bwrap"));
    assert_obs(&f, "container.kind", Obs::seen("docker"));
    let ev = seen(&f, "container.evidence");
    let ev = super::strs(&ev);
    assert!(ev.contains(&"/.dockerenv: present (docker)"), "{ev:#?}");
    assert!(
        ev.iter()
            .any(|l| l.starts_with("/proc/1/cgroup: 12:pids:/docker/") && l.ends_with("(docker)")),
        "{ev:#?}"
    );
    assert_obs(&f, "apparmor.label", Obs::seen("docker-default (enforce)"));
    assert_obs(&f, "apparmor.enabled", Obs::seen(true));
    assert!(assert_unavailable(&f, "lsm.list").contains("securityfs not mounted"));
    assert!(assert_unavailable(&f, "apparmor.userns_mediation").contains("securityfs"));
    assert_unavailable(&f, "apparmor.profiles_loaded");
    assert_obs(&f, "apparmor.profile_files", Obs::Absent);
    assert_obs(&f, "apparmor.covering_profile", Obs::Absent);
    assert_obs(&f, "caller.uid", Obs::seen(0));
    assert_obs(&f, "caller.seccomp", Obs::seen(2));
    assert_obs(&f, "caller.seccomp_filters", Obs::seen(1));
    let eff = seen(&f, "caller.caps_effective");
    assert_eq!(eff.as_array().unwrap().len(), 14);
    assert!(!eff.as_array().unwrap().contains(&json!("cap_sys_admin")));
    assert!(eff.as_array().unwrap().contains(&json!("cap_setpcap")));
    assert_obs(&f, "bwrap.readable", Obs::seen(true)); // euid 0
    assert_obs(&f, "sandbox.outer_bwrap", Obs::seen(false));
}

fn wsl1_is_detected_and_has_no_lsm() {
    let f = fixture_facts("wsl1", Some("/usr/bin/bwrap"));
    assert_obs(&f, "container.kind", Obs::seen("wsl1"));
    assert_obs(&f, "kernel.release", Obs::seen("4.4.0-19041-Microsoft"));
    assert_obs(&f, "os.version_id", Obs::seen("20.04"));
    assert_obs(&f, "lsm.list", Obs::Absent);
    assert_obs(&f, "apparmor.enabled", Obs::Absent);
    assert_obs(&f, "apparmor.label", Obs::Absent);
    assert_obs(&f, "apparmor.userns_mediation", Obs::seen(false));
    assert_obs(&f, "apparmor.profiles_loaded", Obs::Absent);
    assert_obs(&f, "selinux.mode", Obs::seen("disabled"));
    assert_obs(&f, "sysctl.user.max_user_namespaces", Obs::Absent);
    assert_obs(&f, "caller.seccomp_filters", Obs::Absent);
    assert_obs(&f, "caller.no_new_privs", Obs::Absent);
    assert_obs(&f, "caller.uid_map", Obs::Absent);
    assert_obs(&f, "caller.in_initial_userns", Obs::seen(true));
}

fn rhel7_max_user_namespaces_zero_and_selinux() {
    let f = fixture_facts("rhel7", Some("/usr/bin/bwrap"));
    // Only /usr/lib/os-release: the fallback.
    assert_obs(&f, "os.id", Obs::seen("rhel"));
    assert_obs(&f, "os.id_like", Obs::seen("fedora"));
    assert_obs(&f, "os.version_id", Obs::seen("7.9"));
    assert_obs(
        &f,
        "os.pretty_name",
        Obs::seen("Red Hat Enterprise Linux Server 7.9 (Maipo)"),
    );
    assert_obs(&f, "sysctl.user.max_user_namespaces", Obs::seen(0));
    assert_obs(&f, "selinux.mode", Obs::seen("enforcing"));
    assert_obs(
        &f,
        "selinux.context",
        Obs::seen("unconfined_u:unconfined_r:unconfined_t:s0-s0:c0.c1023"),
    );
    assert_unavailable(&f, "lsm.list");
    assert_obs(&f, "caller.caps_ambient", Obs::Absent);
    assert_obs(&f, "caller.seccomp_filters", Obs::Absent);
    assert_obs(&f, "caller.seccomp", Obs::seen(0));
    assert_obs(&f, "apparmor.enabled", Obs::Absent);
    assert_obs(&f, "apparmor.label", Obs::Absent);
    assert_obs(&f, "apparmor.profile_files", Obs::Absent);
    assert_obs(&f, "apparmor.covering_profile", Obs::Absent);
    assert_obs(&f, "apparmor.bwrap_exceptions", Obs::seen(json!([])));
    assert_obs(&f, "container.kind", Obs::seen("none"));
}

/// A fixture made on the spot, for what git cannot store: modes, owners,
/// extended attributes.
fn fixture_bwrap_mode_setuid_readable_and_file_caps() {
    let root = support::install().scratch();
    std::fs::create_dir_all(root.join("proc/self")).unwrap();
    std::fs::create_dir_all(root.join("opt")).unwrap();
    std::fs::write(
        root.join("proc/self/status"),
        "Uid:\t1000\t1000\t1000\t1000\nGid:\t1000\t1000\t1000\t1000\nGroups:\t1000\n",
    )
    .unwrap();
    let bwrap = root.join("opt/bwrap");
    std::fs::write(&bwrap, "placeholder").unwrap();
    let facts = || host_facts(Host::fixture(&root), Some("/opt/bwrap"), None);

    std::fs::set_permissions(&bwrap, std::fs::Permissions::from_mode(0o711)).unwrap();
    let f = facts();
    assert_obs(&f, "bwrap.mode", Obs::seen("0711"));
    assert_obs(&f, "bwrap.readable", Obs::seen(false));
    assert_obs(&f, "bwrap.setuid", Obs::seen(false));

    std::fs::set_permissions(&bwrap, std::fs::Permissions::from_mode(0o4755)).unwrap();
    let f = facts();
    let owner = std::fs::metadata(&bwrap).unwrap().uid();
    assert_obs(&f, "bwrap.mode", Obs::seen("4755"));
    assert_obs(&f, "bwrap.owner_uid", Obs::seen(owner));
    assert_obs(&f, "bwrap.setuid", Obs::seen(owner == 0));
    assert_obs(&f, "bwrap.readable", Obs::seen(true));

    if !support::is_root() {
        support::skip("setting security.capability needs root");
    }
    // setcap cap_sys_admin+ep: VFS caps revision 2, effective.
    let mut caps = Vec::new();
    for w in [0x0200_0001u32, 1 << 21, 0, 0, 0] {
        caps.extend(w.to_le_bytes());
    }
    let path = std::ffi::CString::new(bwrap.to_str().unwrap()).unwrap();
    std::fs::set_permissions(&bwrap, std::fs::Permissions::from_mode(0o755)).unwrap();
    // SAFETY: setxattr with valid NUL-terminated names and a valid buffer.
    let r = unsafe {
        libc::setxattr(
            path.as_ptr(),
            c"security.capability".as_ptr(),
            caps.as_ptr().cast(),
            caps.len(),
            0,
        )
    };
    if r != 0 {
        support::skip(format!(
            "this file system refuses security.capability: {}",
            std::io::Error::last_os_error()
        ));
    }
    assert_obs(
        &facts(),
        "bwrap.file_caps",
        Obs::seen(json!(["cap_sys_admin"])),
    );
}

fn args_facts_come_from_the_call() {
    let call = [
        "--unshare-user",
        "--unshare-net",
        "--ro-bind",
        "/",
        "/",
        "--bind",
        "/home/u/proj",
        "/home/u/proj",
        "--frobnicate",
        "true",
    ];
    let f = host_facts(
        Host::fixture(fixture("ubuntu-24.04")),
        Some("/usr/bin/bwrap"),
        Some(&call),
    );
    assert_obs(&f, "args.namespaces", Obs::seen(json!(["user", "net"])));
    assert_obs(&f, "args.has:--unshare-net", Obs::seen(true));
    assert_obs(&f, "args.has:--unshare-pid", Obs::seen(false));
    assert_obs(
        &f,
        "args.unknown_options",
        Obs::seen(json!(["--frobnicate"])),
    );
    assert_obs(
        &f,
        "args.bind_to:/home/u/proj",
        Obs::seen(json!({"option": "--bind", "src": "/home/u/proj", "dest": "/home/u/proj"})),
    );
    assert_obs(
        &f,
        "args.bind_from:/home/u/proj",
        Obs::seen(json!({"option": "--bind", "src": "/home/u/proj", "dest": "/home/u/proj"})),
    );
    assert_obs(&f, "args.bind_to:/elsewhere", Obs::Absent);
    assert_obs(&f, "args.option_since:--bind-fd", Obs::seen("0.10.0"));
}

fn snapshot_of_a_fixture_replays_with_the_same_derived_facts() {
    let host = Host::fixture(fixture("ubuntu-24.04"));
    let snap = probe::collect_snapshot(&host, super::context(Some("/bin/bwrap"), None));
    assert_eq!(snap.schema, SNAPSHOT_SCHEMA);
    assert_eq!(snap.schema_version, SNAPSHOT_VERSION);
    assert_eq!(snap.taken_at.len(), "2026-11-22T10:04:05Z".len());
    for key in probe::snapshot_keys() {
        assert!(snap.facts.contains_key(key), "{key} not recorded");
    }
    for s in probe::SNAPSHOT_SYSCTLS {
        assert!(
            snap.facts.contains_key(&format!("sysctl.{s}")),
            "sysctl.{s}"
        );
    }
    assert_eq!(
        snap.facts["sysctl.kernel.apparmor_restrict_unprivileged_userns"],
        Obs::seen(1)
    );
    assert_eq!(snap.facts["sysctl.fs.mount-max"], Obs::Absent);
    // Through JSON and back, then replayed without the host.
    let text = serde_json::to_string_pretty(&snap).unwrap();
    assert!(
        text.contains("{\n      \"absent\": true\n    }"),
        "absent is recorded as such"
    );
    support::schema::parse_valid(&text);
    let back: Snapshot = serde_json::from_str(&text).unwrap();
    assert_eq!(back.facts, snap.facts);
    let replay = Facts::recorded(back.facts, super::context(Some("/bin/bwrap"), None));
    let live = fixture_facts("ubuntu-24.04", Some("/bin/bwrap"));
    for key in [
        "apparmor.covering_profile",
        "apparmor.bwrap_exceptions",
        "bwrap.realpath",
        "container.kind",
        "caller.caps_bounding",
    ] {
        assert_eq!(replay.get(key), live.get(key), "{key}");
    }
    assert_eq!(
        replay.get("path.exists:/usr"),
        Obs::unavailable("not recorded in the snapshot")
    );
}

fn the_generated_apparmor_profile_names_the_bwrap_that_ran() {
    let f = fixture_facts("ubuntu-24.04", Some("/opt/vendor/bwrap"));
    assert_obs(
        &f,
        "fix.apparmor_profile_file",
        Obs::seen("/etc/apparmor.d/bwrap-doctor.opt.vendor.bwrap"),
    );
    let Obs::Seen(Value::String(text)) = f.get("fix.apparmor_profile") else {
        panic!("no profile text");
    };
    assert!(
        text.contains(
            "profile bwrap-doctor.opt.vendor.bwrap /opt/vendor/bwrap flags=(unconfined) {"
        ),
        "{text}"
    );
    assert!(text.contains("  userns,"), "{text}");
    let none = fixture_facts("ubuntu-24.04", None);
    assert!(matches!(
        none.get("fix.apparmor_profile"),
        Obs::Unavailable(_)
    ));
}

/// tests/fixtures/hosts/ubuntu-24.04-conflict: Ubuntu's bwrap profile and
/// bwrap-doctor's both attach to /usr/bin/bwrap; a vendor's file and a
/// profile only the kernel has both attach to /opt/vendor/bwrap.
fn conflicting_attachments_are_found_in_files_and_the_kernels_list() {
    let f = fixture_facts("ubuntu-24.04-conflict", Some("/usr/bin/bwrap"));
    let loaded = seen(&f, "apparmor.loaded_attachments");
    let loaded = loaded.as_array().unwrap();
    assert_eq!(loaded.len(), 6);
    assert!(
        loaded.contains(
            &json!({"name": "vendor-bwrap", "attach": "/opt/vendor/bwrap", "mode": "unconfined"})
        ),
        "{loaded:?}"
    );
    let c = seen(&f, "apparmor.attachment_conflicts");
    assert_eq!(
        c,
        json!([
            {"path": "/usr/bin/bwrap", "profiles": [
                {"name": "bwrap-doctor.usr.bin.bwrap", "attach": "/usr/bin/bwrap",
                 "file": "/etc/apparmor.d/bwrap-doctor.usr.bin.bwrap", "loaded": true},
                {"name": "bwrap", "attach": "/usr/bin/bwrap",
                 "file": "/etc/apparmor.d/bwrap-userns-restrict", "loaded": true}]},
            {"path": "/opt/vendor/bwrap", "profiles": [
                {"name": "vendor", "attach": "/opt/vendor/bwrap",
                 "file": "/etc/apparmor.d/opt.vendor.bwrap", "loaded": false},
                {"name": "vendor-bwrap", "attach": "/opt/vendor/bwrap",
                 "file": null, "loaded": true}]}
        ])
    );
    // Tied profiles attach to nothing: nothing covers /usr/bin/bwrap there.
    assert_obs(&f, "apparmor.covering_profile", Obs::Absent);
    assert_eq!(
        seen(&f, "apparmor.conflict_for_bwrap"),
        c[0],
        "the conflict over the bwrap that ran"
    );
    let tool = fixture_facts(
        "ubuntu-24.04-conflict",
        Some("/home/u/.local/share/tool/bwrap"),
    );
    assert_eq!(
        seen(&tool, "apparmor.covering_profile")["file"],
        "/etc/apparmor.d/bwrap-doctor.home.u..local.share.tool.bwrap"
    );
    assert_obs(&tool, "apparmor.conflict_for_bwrap", Obs::Absent);
    // Ubuntu's host: two files define the one profile "bwrap" (one of them
    // disabled): no rival. The loaded attachments come from securityfs's
    // policy directory, which that fixture lacks.
    let u = fixture_facts("ubuntu-24.04", Some("/usr/bin/bwrap"));
    assert_obs(&u, "apparmor.attachment_conflicts", Obs::seen(json!([])));
    assert_obs(&u, "apparmor.loaded_attachments", Obs::Absent);
    // Without AppArmor there is nothing loaded.
    let w = fixture_facts("wsl1", None);
    assert_obs(&w, "apparmor.loaded_attachments", Obs::Absent);
}

fn own_profiles_say_whether_their_path_still_exists() {
    let f = fixture_facts("ubuntu-24.04-conflict", None);
    let own = seen(&f, "apparmor.own_profiles");
    let d = "/etc/apparmor.d/";
    assert_eq!(
        own,
        json!([
            {"file": format!("{d}bwrap-doctor.home.u..local.share.tool.bwrap"),
             "name": "bwrap-doctor.home.u..local.share.tool.bwrap",
             "attach": "/home/u/.local/share/tool/bwrap", "exists": true},
            {"file": format!("{d}bwrap-doctor.home.u..npm._npx.0a1b2c3d4e5f6071.node_modules._anthropic-ai.sandbox-runtime.vendor.bwrap"),
             "name": "bwrap-doctor.home.u..npm._npx.0a1b2c3d4e5f6071.node_modules._anthropic-ai.sandbox-runtime.vendor.bwrap",
             "attach": "/home/u/.npm/_npx/0a1b2c3d4e5f6071/node_modules/@anthropic-ai/sandbox-runtime/vendor/bwrap",
             "exists": false},
            {"file": format!("{d}bwrap-doctor.usr.bin.bwrap"), "name": "bwrap-doctor.usr.bin.bwrap",
             "attach": "/usr/bin/bwrap", "exists": true}
        ])
    );
    assert_obs(
        &fixture_facts("ubuntu-24.04", None),
        "apparmor.own_profiles",
        Obs::seen(json!([])),
    );
    assert_obs(
        &fixture_facts("rhel7", None),
        "apparmor.own_profiles",
        Obs::Absent,
    );
}

fn docker_masks_parts_of_proc_and_makes_proc_sys_read_only() {
    let f = fixture_facts("docker", None);
    assert_obs(
        &f,
        "proc.masked",
        Obs::seen(json!([
            "/proc/acpi",
            "/proc/bus",
            "/proc/fs",
            "/proc/irq",
            "/proc/kcore",
            "/proc/keys",
            "/proc/sys",
            "/proc/sysrq-trigger",
            "/proc/timer_list"
        ])),
    );
    assert_obs(
        &f,
        "proc.read_only",
        Obs::seen(json!([
            "/proc/acpi",
            "/proc/bus",
            "/proc/fs",
            "/proc/irq",
            "/proc/sys",
            "/proc/sysrq-trigger"
        ])),
    );
    assert_obs(
        &f,
        "path.mount:/etc/resolv.conf",
        Obs::seen(
            json!({"point": "/etc/resolv.conf", "fstype": "ext4", "read_only": false, "deleted": false}),
        ),
    );
    assert_obs(
        &f,
        "path.mount:/proc/sys/kernel/overflowuid",
        Obs::seen(
            json!({"point": "/proc/sys", "fstype": "proc", "read_only": true, "deleted": false}),
        ),
    );
    let u = ubuntu();
    assert!(
        matches!(u.get("proc.masked"), Obs::Unavailable(_)),
        "no mountinfo in that fixture"
    );
}

/// `file.format` reads the header of the host file the call binds at the
/// program's path (not the host's own path), and compares its ELF machine
/// with `kernel.machine`; `file.seen_foreign` says so only where it was
/// seen. A fixture tree of an AArch64 host, holding an x86-64 program.
fn a_programs_format_is_read_from_the_file_the_call_binds_there() {
    let root = support::install().scratch().join("format-host");
    std::fs::create_dir_all(root.join("proc/sys/kernel")).unwrap();
    std::fs::create_dir_all(root.join("srv/x86")).unwrap();
    std::fs::write(root.join("proc/sys/kernel/arch"), "aarch64\n").unwrap();
    let mut elf = b"\x7fELF\x02\x01\x01\0\0\0\0\0\0\0\0\0\x02\0".to_vec();
    elf.extend_from_slice(&62u16.to_le_bytes());
    std::fs::write(root.join("srv/x86/tool"), &elf).unwrap();
    std::fs::write(root.join("srv/x86/run.sh"), "#!/bin/sh\n").unwrap();
    let on = |args: &[&str]| host_facts(Host::fixture(&root), None, Some(args));

    let f = on(&["--ro-bind", "/srv/x86", "/opt/tool", "/opt/tool/tool"]);
    assert_obs(&f, "kernel.machine", Obs::seen("aarch64"));
    assert_obs(
        &f,
        "file.format:/opt/tool/tool",
        Obs::seen(json!({
            "format": "elf", "machine": "x86_64", "class": 64, "endian": "little",
            "native": false, "host_path": "/srv/x86/tool", "binfmt": "unknown",
        })),
    );
    assert_obs(&f, "file.seen_foreign:/opt/tool/tool", Obs::seen(true));
    // A qemu-user handler for x86-64 registered on this AArch64 host
    // claims it (binfmt_misc read under the same root).
    let binfmt = root.join("proc/sys/fs/binfmt_misc");
    std::fs::create_dir_all(&binfmt).unwrap();
    std::fs::write(binfmt.join("status"), "enabled\n").unwrap();
    std::fs::write(
        binfmt.join("qemu-x86_64"),
        "enabled\ninterpreter /usr/bin/qemu-x86_64-static\nflags: F\noffset 0\n\
         magic 7f454c4602010100000000000000000002003e00\n\
         mask fffffffffffefe00fffffffffffffffffeffffff\n",
    )
    .unwrap();
    let f = on(&["--ro-bind", "/srv/x86", "/opt/tool", "/opt/tool/tool"]);
    let claimed = seen(&f, "file.format:/opt/tool/tool");
    assert_eq!(claimed["binfmt"]["name"], "qemu-x86_64");
    assert_eq!(claimed["binfmt"]["flags"], "F");
    // The bwrap that ran, read the same way (`bwrap.format`): an x86-64
    // bwrap on this AArch64 kernel runs under the emulator that claims it.
    let b = host_facts(Host::fixture(&root), Some("/srv/x86/tool"), None);
    let bwrap = seen(&b, "bwrap.format");
    assert_eq!(bwrap["machine"], "x86_64");
    assert_eq!(bwrap["native"], false);
    assert_eq!(bwrap["host_path"], "/srv/x86/tool");
    assert_eq!(bwrap["binfmt"]["name"], "qemu-x86_64");
    // A bwrap of the kernel's own machine: native, no handler asked.
    let mut arm = b"\x7fELF\x02\x01\x01\0\0\0\0\0\0\0\0\0\x02\0".to_vec();
    arm.extend_from_slice(&183u16.to_le_bytes());
    std::fs::write(root.join("srv/bwrap"), &arm).unwrap();
    let b = host_facts(Host::fixture(&root), Some("/srv/bwrap"), None);
    let bwrap = seen(&b, "bwrap.format");
    assert_eq!(bwrap["machine"], "aarch64");
    assert_eq!(bwrap["native"], true);
    assert_eq!(bwrap["binfmt"], Value::Null);
    let script = seen(&f, "file.format:/opt/tool/run.sh");
    assert_eq!(script["format"], "script");
    assert_eq!(script["native"], true);
    assert_obs(&f, "file.seen_foreign:/opt/tool/run.sh", Obs::seen(false));
    // The bound directory has no such file: missing, not foreign.
    let gone = seen(&f, "file.format:/opt/tool/nothing");
    assert_eq!(gone["format"], "missing");
    assert_eq!(gone["host_path"], "/srv/x86/nothing");
    assert_obs(&f, "file.seen_foreign:/opt/tool/nothing", Obs::seen(false));
    // The call puts nothing at the path: missing, and no host path.
    let f = on(&["--ro-bind", "/srv", "/srv", "/opt/tool/tool"]);
    let none = seen(&f, "file.format:/opt/tool/tool");
    assert_eq!(none["format"], "missing");
    assert_eq!(none["host_path"], Value::Null);
    // A tmpfs over the bind: no host file is what the sandbox shows there.
    let f = on(&[
        "--ro-bind",
        "/srv/x86",
        "/opt/tool",
        "--tmpfs",
        "/opt",
        "/opt/tool/tool",
    ]);
    assert!(matches!(
        f.get("file.format:/opt/tool/tool"),
        Obs::Unavailable(_)
    ));
    assert_obs(&f, "file.seen_foreign:/opt/tool/tool", Obs::seen(false));
    // A bind from /proc or /dev/fd names the shim's own files: not read.
    for src in ["/proc/self/exe", "/dev/fd/3"] {
        let f = on(&["--ro-bind", src, "/opt/tool/tool", "/opt/tool/tool"]);
        assert!(
            matches!(f.get("file.format:/opt/tool/tool"), Obs::Unavailable(_)),
            "{src}"
        );
    }
    // Recorded facts (pasted text): nothing seen, nothing foreign.
    let pasted = Facts::recorded(Default::default(), super::context(None, None));
    assert!(matches!(
        pasted.get("file.format:/opt/tool/tool"),
        Obs::Unavailable(_)
    ));
    assert_obs(
        &pasted,
        "file.seen_foreign:/opt/tool/tool",
        Obs::seen(false),
    );
    // The live host's machine is uname's.
    let uname = std::process::Command::new("uname")
        .arg("-m")
        .output()
        .unwrap();
    let live = host_facts(Host::live(), None, None);
    assert_obs(
        &live,
        "kernel.machine",
        Obs::seen(String::from_utf8_lossy(&uname.stdout).trim()),
    );
}

fn a_programs_interpreter_is_read_from_the_host() {
    let f = host_facts(Host::live(), None, None);
    let Obs::Seen(Value::String(i)) = f.get("file.interpreter:/bin/sh") else {
        panic!("no interpreter for /bin/sh");
    };
    assert!(i.contains("ld-linux"), "{i}");
    let dir = support::install().scratch();
    std::fs::write(dir.join("script"), "#!/usr/bin/env python3\n").unwrap();
    std::fs::write(dir.join("text"), "hello\n").unwrap();
    let p = |n: &str| dir.join(n).display().to_string();
    assert_obs(
        &f,
        &format!("file.interpreter:{}", p("script")),
        Obs::seen("/usr/bin/env"),
    );
    assert_obs(&f, &format!("file.interpreter:{}", p("text")), Obs::Absent);
    assert!(matches!(
        f.get(&format!("file.interpreter:{}", p("none"))),
        Obs::Unavailable(_)
    ));
    // Whether the call gives the sandbox that interpreter.
    let with_usr_only = ["--ro-bind", "/usr", "/usr", "/bin/sh"];
    let f = host_facts(Host::live(), None, Some(&with_usr_only));
    assert_obs(
        &f,
        "args.covers_interpreter:/bin/sh",
        Obs::seen(i.starts_with("/usr/")),
    );
    let f = host_facts(
        Host::live(),
        None,
        Some(&["--ro-bind", "/", "/", "/bin/sh"]),
    );
    assert_obs(&f, "args.covers_interpreter:/bin/sh", Obs::seen(true));
}

fn args_cover_what_the_call_puts_in_the_sandbox() {
    let call = [
        "--ro-bind",
        "/usr",
        "/usr",
        "--symlink",
        "usr/lib",
        "/lib",
        "--tmpfs",
        "/tmp",
        "sh",
    ];
    let f = host_facts(Host::fixture(fixture("ubuntu-24.04")), None, Some(&call));
    assert_obs(&f, "args.covers:/usr/bin/python3", Obs::seen(true));
    assert_obs(
        &f,
        "args.covers:/lib/x86_64-linux-gnu/libc.so.6",
        Obs::seen(true),
    );
    assert_obs(
        &f,
        "args.covers:/lib64/ld-linux-x86-64.so.2",
        Obs::seen(false),
    );
    assert_obs(&f, "args.covers:/usrx", Obs::seen(false));
    let all = host_facts(
        Host::fixture(fixture("ubuntu-24.04")),
        None,
        Some(&["--ro-bind", "/", "/", "x"]),
    );
    assert_obs(&all, "args.covers:/anything/at/all", Obs::seen(true));
    // args.shows is args.covers where the call is known, and seen false
    // (nothing shown there), not unavailable, where it is not.
    assert_obs(&f, "args.shows:/usr/bin/python3", Obs::seen(true));
    assert_obs(&f, "args.shows:/opt/tool", Obs::seen(false));
    let unknown = host_facts(Host::fixture(fixture("ubuntu-24.04")), None, None);
    assert!(matches!(
        unknown.get("args.covers:/usr/bin/python3"),
        Obs::Unavailable(_)
    ));
    assert_obs(&unknown, "args.shows:/usr/bin/python3", Obs::seen(false));
}

fn bwrap_knows_an_option_by_its_version() {
    use std::collections::BTreeMap;
    let facts = |v: &str| {
        let m = BTreeMap::from([("bwrap.version".to_string(), Obs::seen(v))]);
        Facts::recorded(m, super::context(None, None))
    };
    for (version, option, knows) in [
        ("0.8.0", "--argv0", false),
        ("0.9.0", "--argv0", true),
        ("0.4.0", "--perms", false),
        ("0.11.1", "--level-prefix", true),
        ("0.11.1", "--no-such-option", false),
    ] {
        assert_obs(
            &facts(version),
            &format!("bwrap.knows_option:{option}"),
            Obs::seen(knows),
        );
    }
    assert!(matches!(
        facts("0.8.0").get("bwrap.knows_option:--bind-fd"),
        Obs::Unavailable(_)
    ));
}

/// An Android-like kernel without IPC and network namespaces: /proc/self/ns
/// lists what it has, and the call's missing kinds are named.
fn namespace_kinds_the_kernel_lacks_are_named_from_proc_self_ns() {
    let root = support::install().scratch().join("no-ipc-ns");
    let ns = root.join("proc/self/ns");
    std::fs::create_dir_all(&ns).unwrap();
    for kind in ["cgroup", "mnt", "pid", "pid_for_children", "user", "uts"] {
        std::fs::write(ns.join(kind), "").unwrap();
    }
    let call = [
        "--unshare-ipc",
        "--unshare-net",
        "--unshare-pid",
        "--bind",
        "/",
        "/",
        "true",
    ];
    let f = host_facts(Host::fixture(&root), None, Some(&call));
    assert_obs(
        &f,
        "kernel.namespaces",
        Obs::seen(json!(["cgroup", "mnt", "pid", "user", "uts"])),
    );
    assert_obs(
        &f,
        "args.unsupported_namespaces",
        Obs::seen(json!(["ipc", "net"])),
    );
    // Without /proc/self/ns nothing can be said.
    let f = host_facts(Host::fixture(root.join("nothing")), None, Some(&call));
    assert_obs(&f, "kernel.namespaces", Obs::Absent);
    assert_unavailable(&f, "args.unsupported_namespaces");
}

/// The fixture host kinds (tests/fixtures/kinds/*.json, which the corpus
/// replays on) are written by hand; every one that lists Ubuntu's
/// `bwrap-userns-restrict` must list its profiles as the probe reads the
/// real file (the ubuntu-24.04 fixture tree holds the apparmor package's
/// copy): `allow capability,` is every capability and `allow mount,` every
/// mount. A kind that said `capabilities: []` there confirmed
/// apparmor-profile-denial for a loopback EPERM on Ubuntu 25.04+ (set D
/// 022), which a live host's probe refutes.
fn fixture_kinds_carry_bwrap_userns_restrict_as_the_probe_reads_it() {
    let file = "/etc/apparmor.d/bwrap-userns-restrict";
    let real = seen(&ubuntu(), "apparmor.profile_files");
    let real: Vec<&Value> = real
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["file"] == file)
        .collect();
    assert_eq!(real.len(), 2, "bwrap and unpriv_bwrap: {real:#?}");
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/kinds");
    let mut checked = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "json") {
            continue;
        }
        let v: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        let Some(files) = v["facts"]["apparmor.profile_files"].as_array() else {
            continue;
        };
        let listed: Vec<&Value> = files.iter().filter(|p| p["file"] == file).collect();
        if listed.is_empty() {
            continue;
        }
        assert_eq!(
            listed,
            real,
            "{}: {file} differs from what the probe reads",
            path.display()
        );
        checked += 1;
    }
    assert!(checked >= 2, "{checked} kinds list {file}");
}
