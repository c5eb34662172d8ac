//! Hosts this machine cannot be — Ubuntu 24.04 with the AppArmor
//! restriction (with and without the exception for /usr/bin/bwrap, and a
//! vendored bwrap), Docker's default seccomp, WSL1, Debian with user
//! namespaces off, RHEL 7 — replayed from snapshots with `explain
//! --snapshot`. The whole human output is compared with tests/snapshots/.

use crate::cli_doctor as doctor;
use crate::support::{self, As};
use crate::{Body, Test};

pub fn tests() -> Vec<Test> {
    tests![
        Once vendored_bwrap_on_ubuntu_with_the_exception_is_a_path_mismatch,
        Once steams_srt_bwrap_wrapped_by_pressure_vessel_is_a_path_mismatch,
        Once usr_bin_bwrap_on_ubuntu_without_an_exception_is_the_restriction,
        Once docker_default_seccomp_is_blamed_not_the_sysctl_bwrap_names,
        Once wsl1_is_recognised,
        Once debian_with_user_namespaces_off_is_the_sysctl,
        Once rhel7_max_user_namespaces_zero_is_recognised,
        Once explain_json_has_the_versioned_schema_and_the_confirmed_rule,
        Once a_snapshot_of_the_wrong_schema_version_or_syntax_is_refused_in_one_line,
        Once profiles_confining_copied_bwraps_are_named_on_a_debian_kernel,
        Once a_snaps_profile_is_named_at_every_step_it_refuses_not_a_container_or_the_restriction,
    ]
}

/// `explain --snapshot tests/fixtures/snapshots/SNAP.json [--bwrap B]` on `stderr`.
fn explain(snap: &str, bwrap: Option<&str>, stderr: &str, extra: &[&str]) -> support::Output {
    let path = format!("tests/fixtures/snapshots/{snap}.json");
    let mut args = vec!["explain", "--snapshot", &path];
    if let Some(b) = bwrap {
        args.extend(["--bwrap", b]);
    }
    args.extend(extra);
    let mut c = doctor(As::User, &args);
    c.current_dir(env!("CARGO_MANIFEST_DIR"));
    support::run_with_input(
        &mut c,
        Some(stderr.as_bytes()),
        std::time::Duration::from_secs(60),
    )
}

fn check(name: &str, out: &support::Output, rule: &str) {
    let text = out.stdout_text();
    assert_eq!(
        out.status.code(),
        Some(0),
        "no cause confirmed:\n{text}{}",
        out.stderr_text()
    );
    assert!(text.contains(&format!("rule: {rule} (")), "{text}");
    // The rule's place is exact (its `[[rule]]` line), and redacted in the
    // snapshot so that editing another rule does not churn the snapshots.
    let at = regex::Regex::new(r"rule: (\S+) \(rules/([a-z-]+\.toml):(\d+)\)").unwrap();
    for c in at.captures_iter(&text) {
        let file =
            std::fs::read_to_string(format!("{}/rules/{}", env!("CARGO_MANIFEST_DIR"), &c[2]))
                .unwrap();
        let line: usize = c[3].parse().unwrap();
        let lines: Vec<&str> = file.lines().skip(line - 1).take(2).collect();
        assert_eq!(
            lines,
            ["[[rule]]".to_string(), format!("id = \"{}\"", &c[1])],
            "rules/{}:{line}",
            &c[2]
        );
    }
    let redacted = at.replace_all(&text, "rule: $1 (rules/$2:LINE)");
    support::snapshot::assert_matches(&format!("explain/{name}.txt"), &redacted);
}

fn vendored_bwrap_on_ubuntu_with_the_exception_is_a_path_mismatch() {
    let out = explain(
        "ubuntu-24.04",
        Some("/home/u/.npm/lib/node_modules/@openai/codex/codex-resources/bwrap"),
        "bwrap: setting up uid map: Permission denied\n",
        &[],
    );
    check(
        "ubuntu-vendored-uid-map",
        &out,
        "apparmor-profile-path-mismatch",
    );
}

fn steams_srt_bwrap_wrapped_by_pressure_vessel_is_a_path_mismatch() {
    let out = explain(
        "ubuntu-24.04",
        Some(
            "/home/u/.steam/steam/ubuntu12_64/steam-runtime-sniper/pressure-vessel/libexec/steam-runtime-tools-0/srt-bwrap",
        ),
        "pressure-vessel-wrap[4242]: E: Child process exited with code 1: bwrap: loopback: Failed RTM_NEWADDR: Operation not permitted\n",
        &[],
    );
    check(
        "ubuntu-srt-bwrap-loopback",
        &out,
        "apparmor-profile-path-mismatch",
    );
}

fn usr_bin_bwrap_on_ubuntu_without_an_exception_is_the_restriction() {
    let out = explain(
        "ubuntu-24.04-no-exception",
        Some("/usr/bin/bwrap"),
        "bwrap: loopback: Failed RTM_NEWADDR: Operation not permitted\n",
        &[],
    );
    check(
        "ubuntu-no-exception-loopback",
        &out,
        "apparmor-userns-restrict",
    );
    assert!(
        out.stdout_text()
            .contains("extra-profiles/bwrap-userns-restrict")
    );
}

fn docker_default_seccomp_is_blamed_not_the_sysctl_bwrap_names() {
    let out = explain(
        "docker",
        None,
        "bwrap: No permissions to create a new namespace, likely because the kernel does not allow non-privileged user namespaces. On e.g. debian this can be enabled with 'sysctl kernel.unprivileged_userns_clone=1'.\n",
        &[],
    );
    check("docker-no-permissions", &out, "seccomp-filter.userns");
    assert!(!out.stdout_text().contains("[userns-sysctl-disabled]"));
}

fn wsl1_is_recognised() {
    let out = explain(
        "wsl1",
        None,
        "bwrap: Creating new namespace failed, likely because the kernel does not support user namespaces.  bwrap must be installed setuid on such systems.\n",
        &[],
    );
    check("wsl1-einval", &out, "wsl1.namespaces");
}

fn debian_with_user_namespaces_off_is_the_sysctl() {
    let out = explain(
        "debian-12-userns-off",
        None,
        "bwrap: No permissions to create new namespace, likely because the kernel does not allow non-privileged user namespaces. See <https://deb.li/bubblewrap> or <file:///usr/share/doc/bubblewrap/README.Debian.gz>.\n",
        &[],
    );
    check("debian-userns-clone-0", &out, "userns-sysctl-disabled");
}

fn rhel7_max_user_namespaces_zero_is_recognised() {
    let out = explain(
        "rhel7",
        None,
        "bwrap: Creating new namespace failed: No space left on device\n",
        &[],
    );
    check("rhel7-enospc", &out, "userns-max-zero.user");
}

fn explain_json_has_the_versioned_schema_and_the_confirmed_rule() {
    let out = explain(
        "ubuntu-24.04",
        Some("/opt/vendor/bwrap"),
        "bwrap: setting up uid map: Permission denied\n",
        &["--json"],
    );
    assert_eq!(out.status.code(), Some(0));
    let v = support::schema::parse_valid(&out.stdout_text());
    assert_eq!(v["schema"], "bwrap-doctor/diagnosis");
    assert_eq!(v["schema_version"], 1);
    assert_eq!(v["bwrap"], "/opt/vendor/bwrap");
    assert_eq!(
        v["confirmed"],
        serde_json::json!(["apparmor-profile-path-mismatch"])
    );
    assert_eq!(v["live"], false);
    let c = &v["candidates"][0];
    assert_eq!(c["cause"], "apparmor-profile-path-mismatch");
    assert_eq!(c["verdict"], "confirmed");
    assert!(
        c["checks"]
            .as_array()
            .unwrap()
            .iter()
            .all(|ch| ch["holds"] == true)
    );
    assert!(
        c["fixes"][1]["commands"]
            .as_str()
            .unwrap()
            .contains("profile bwrap-doctor.opt.vendor.bwrap /opt/vendor/bwrap")
    );
    assert!(v["messages"][0]["text"] == "setting up uid map: Permission denied");
}

fn a_snapshot_of_the_wrong_schema_version_or_syntax_is_refused_in_one_line() {
    let dir = support::install().scratch();
    let snap = std::fs::read_to_string("tests/fixtures/snapshots/wsl1.json")
        .or_else(|_| {
            std::fs::read_to_string(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/tests/fixtures/snapshots/wsl1.json"
            ))
        })
        .unwrap();
    let mut v: serde_json::Value = serde_json::from_str(&snap).unwrap();
    let cases = {
        let mut other = v.clone();
        other["schema"] = "bwrap-doctor/check".into();
        v["schema_version"] = 2.into();
        [
            (
                "other-schema.json",
                other.to_string(),
                "is not a bwrap-doctor snapshot (schema \"bwrap-doctor/check\", expected \"bwrap-doctor/snapshot\"); make one with `bwrap-doctor snapshot`",
            ),
            (
                "newer.json",
                v.to_string(),
                "is snapshot version 2; this bwrap-doctor reads version 1: take the snapshot again with this version, or use the bwrap-doctor that made it",
            ),
            (
                "broken.json",
                "{\n  \"schema\": \n".to_string(),
                "not a JSON snapshot: EOF while parsing a value at line 3 column 0; make one with `bwrap-doctor snapshot`",
            ),
        ]
    };
    for (name, text, want) in cases {
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        let p = path.display().to_string();
        let out = support::run_with_input(
            &mut doctor(As::User, &["explain", "--snapshot", &p]),
            Some(b"bwrap: Creating new namespace failed: Invalid argument\n"),
            std::time::Duration::from_secs(30),
        );
        assert_eq!(out.status.code(), Some(2), "{name}");
        assert_eq!(out.stdout_text(), "", "{name}");
        let err = out.stderr_text();
        assert_eq!(err.lines().count(), 1, "{name}: {err}");
        assert!(
            err.starts_with(&format!("bwrap-doctor: {p}")),
            "{name}: {err}"
        );
        assert!(err.trim_end().ends_with(want), "{name}: {err}");
    }
}

fn profiles_confining_copied_bwraps_are_named_on_a_debian_kernel() {
    // The snapshot the AppArmor lab's guest took (lab/apparmor-vm: Debian's
    // 6.1 kernel under qemu, AppArmor on, no Ubuntu restriction, profiles
    // confining copies of bwrap), replayed with the messages the lab saw.
    for (bwrap, stderr, rule) in [
        (
            "/opt/vendored-nocaps/bwrap",
            "bwrap: loopback: Failed RTM_NEWADDR: Operation not permitted\n",
            "apparmor-profile-denial.loopback",
        ),
        (
            "/opt/vendored-nodisconnected/bwrap",
            "bwrap: setting up uid map: Permission denied\n",
            "apparmor-profile-denial.uid-map",
        ),
        (
            "/opt/vendored-denymount/bwrap",
            "bwrap: Can't bind mount /oldroot/tmp/srcdir on /newroot/mnt: Unable to mount source on destination: Permission denied\n",
            "apparmor-profile-denial.mount",
        ),
    ] {
        let out = explain("debian-12-apparmor-lab", Some(bwrap), stderr, &[]);
        let name = rule.replace('.', "-");
        check(&format!("debian-lab-{name}"), &out, rule);
        assert!(
            out.stdout_text()
                .contains("sudo apparmor_parser -r /etc/apparmor.d/lab-bwrap-")
        );
    }
    // The bwrap no profile confines: none of these rules.
    let out = explain(
        "debian-12-apparmor-lab",
        Some("/opt/vendored-ok/bwrap"),
        "bwrap: loopback: Failed RTM_NEWADDR: Operation not permitted\n",
        &[],
    );
    assert!(
        !out.stdout_text().contains("[apparmor-profile-denial]"),
        "{}",
        out.stdout_text()
    );
}

/// `explain --json --snapshot` of a fixture host kind (tests/fixtures/kinds) on `stderr`.
fn explain_kind(kind: &str, stderr: &str) -> serde_json::Value {
    let path = format!("tests/fixtures/kinds/{kind}.json");
    let mut c = doctor(As::User, &["explain", "--snapshot", &path, "--json"]);
    c.current_dir(env!("CARGO_MANIFEST_DIR"));
    let out = support::run_with_input(
        &mut c,
        Some(stderr.as_bytes()),
        std::time::Duration::from_secs(60),
    );
    support::schema::parse_valid(&out.stdout_text())
}

fn a_snaps_profile_is_named_at_every_step_it_refuses_not_a_container_or_the_restriction() {
    // A program of the Steam snap (kind snap-steam: snap.steam.steam in
    // enforce mode, Ubuntu 24.04's restriction on): every step the snap's
    // AppArmor profile mediates is confirmed as that profile's denial, and
    // neither the restriction (which moves only unconfined processes to
    // unprivileged_userns) nor a container's profile is confirmed.
    for msg in [
        "Can't read /proc/sys/kernel/overflowuid: Permission denied",
        "Creating new namespace failed: Permission denied",
        "setting up uid map: Operation not permitted",
        "setting up gid map: Permission denied",
        "loopback: Failed RTM_NEWADDR: No child processes",
        "Failed to make / slave: Permission denied",
        "Can't mount tmpfs on /newroot/tmp: Permission denied",
        "Can't mount proc on /newroot/proc: Permission denied",
        "Can't bind mount /oldroot/media/u/Steam Library/steamapps/common/SteamLinuxRuntime_sniper/var/tmp-1/usr on /newroot/usr: Unable to mount source on destination: Permission denied",
        "mounting proc: Permission denied",
        "pivot_root: Permission denied",
    ] {
        let v = explain_kind("snap-steam", &format!("bwrap: {msg}\n"));
        assert_eq!(
            v["confirmed"],
            serde_json::json!(["apparmor-profile-denial.snap"]),
            "{msg}: {v:#}"
        );
        let fixes = v["candidates"][0]["fixes"].to_string();
        assert!(
            fixes.contains("snap connect steam:steam-support"),
            "{msg}: {fixes}"
        );
    }
    // EPERM at the unshare is snapd's seccomp filter as much as anything:
    // not confirmed as the profile.
    let v = explain_kind(
        "snap-steam",
        "bwrap: Creating new namespace failed: Operation not permitted\n",
    );
    assert_eq!(v["confirmed"], serde_json::json!([]), "{v:#}");
    // The same messages from an unconfined program on Ubuntu 24.04 are the
    // restriction's, and in Docker the container's profile: not the snap's.
    let v = explain_kind(
        "ubuntu-24.04-desktop",
        "bwrap: setting up uid map: Operation not permitted\n",
    );
    assert_eq!(
        v["confirmed"],
        serde_json::json!(["apparmor-userns-restrict"]),
        "{v:#}"
    );
    let v = explain_kind(
        "docker-default",
        "bwrap: Failed to make / slave: Permission denied\n",
    );
    assert_eq!(
        v["confirmed"],
        serde_json::json!(["container-lsm-profile.apparmor"]),
        "{v:#}"
    );
}
