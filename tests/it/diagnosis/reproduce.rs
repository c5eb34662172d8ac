//! Real failures (hostlab.md recipes), each run twice — directly and
//! through the shim — as a new user would meet them: bwrap's own line must
//! come first and unchanged, then a diagnosis that names the right cause.

use crate::support::{self, As, Output, PlainEnv, seccomp};
use crate::{Body, Test};
use bwrap_doctor_engine::keywords::{self, Words};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;

pub fn tests() -> Vec<Test> {
    tests![
        Each userns_refused_by_a_seccomp_filter_is_diagnosed_as_seccomp_not_the_sysctl,
        Once root_without_cap_sys_admin_is_diagnosed_as_missing_privileges,
        Once root_without_cap_setfcap_is_told_to_give_the_container_setfcap,
        Each max_user_namespaces_zero_is_diagnosed,
        Once max_net_namespaces_zero_is_diagnosed_when_a_network_namespace_is_asked_for,
        Once nesting_depth_is_diagnosed_as_a_nested_limit,
        Once an_execute_only_bwrap_is_diagnosed_as_unreadable,
        Each loopback_refused_by_a_seccomp_filter_is_diagnosed,
        Once loopback_without_cap_net_admin_is_diagnosed_as_missing_privileges,
        Each symlinked_destinations_are_diagnosed_with_the_symlink,
        Each a_missing_bind_source_is_diagnosed,
        Once a_bind_of_a_file_replaced_under_an_outer_sandbox_is_diagnosed,
        Each a_directory_shifted_into_the_commands_place_is_the_callers_arguments,
        Each a_program_for_another_architecture_is_diagnosed_as_its_format,
        Each a_foreign_program_in_a_root_without_sh_is_not_confirmed_missing,
        Each a_data_descriptor_that_is_not_open_is_diagnosed_as_the_callers_arguments,
        Each a_malformed_seccomp_program_is_the_callers_filter_not_a_missing_kernel_feature,
        Each a_read_only_proc_sys_is_diagnosed_for_disable_userns,
        Once a_chroot_is_diagnosed_as_the_chroot_not_the_sysctl,
        Once root_in_a_chroot_of_a_plain_directory_is_diagnosed_as_the_chroot,
        Once a_fuse_mount_without_allow_other_is_diagnosed,
        Once a_source_in_another_users_private_directory_is_diagnosed,
        Once setuid_bwrap_refusals_are_diagnosed_as_setuid_mode,
        Once file_capabilities_on_bwrap_are_diagnosed,
        Each bwrap_under_qemu_user_is_diagnosed_as_the_emulator,
    ]
}

/// `bwrap ARGS` run by the test user with `real` as the real bwrap,
/// directly and through the shim, each inside `wrapper` (run as root, which
/// drops to the test user with setpriv after its own set-up).
fn as_user_in(wrapper: &str, real: &Path, args: &[&str]) -> (Output, Output) {
    if !support::is_root() {
        support::skip("needs root to set the host up as the recipe says (hostlab)");
    }
    let (uid, gid) = support::test_user();
    let inst = support::install();
    let run = |bwrap: &Path| {
        let mut c = Command::new("sh");
        c.arg("-c")
            .arg(format!(
                "{wrapper}\nexec setpriv --reuid={uid} --regid={gid} --clear-groups \"$@\""
            ))
            .arg("sh")
            .arg(bwrap)
            .args(args)
            .plain_env()
            .env("BWRAP_DOCTOR_REAL_BWRAP", real);
        support::run(&mut c)
    };
    (run(real), run(&inst.shim))
}

/// A copy of the real bwrap in a fresh directory anybody can enter.
fn bwrap_copy(name: &str) -> std::path::PathBuf {
    let dir = support::install().scratch().join(name);
    std::fs::create_dir(&dir).unwrap();
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    let copy = dir.join("bwrap");
    std::fs::copy(support::real_bwrap(), &copy).unwrap();
    copy
}

fn root_in_a_chroot_of_a_plain_directory_is_diagnosed_as_the_chroot() {
    // Root in a chroot into a plain directory (not a mount point, as
    // debootstrap leaves one): bwrap gets its namespaces, but its first
    // mount, making "/" a slave, fails with EINVAL. The host's directories
    // are bound under the new root one by one, so that the root itself
    // stays a plain directory; private mount and pid namespaces keep the
    // host untouched, and pid 1 of the new pid namespace stays outside the
    // chroot (as the host's init does), so the probe can tell.
    if !support::is_root() {
        support::skip("needs root to chroot (hostlab)");
    }
    let wrapper = |name: &str| {
        let root = support::install().scratch().join(name);
        std::fs::create_dir(&root).unwrap();
        format!(
            "for d in /*; do case $d in /proc|/sys|/dev) continue;; esac; \
             if [ -L \"$d\" ]; then cp -P \"$d\" {r}$d; elif [ -d \"$d\" ]; then mkdir {r}$d && mount --rbind \"$d\" {r}$d; fi; done; \
             mkdir {r}/proc {r}/dev {r}/sys && mount -t proc proc {r}/proc && mount --rbind /dev {r}/dev && mount --rbind /sys {r}/sys && \
             chroot {r} \"$@\"",
            r = root.display(),
        )
    };
    let inst = support::install();
    let run = |bwrap: &Path, name: &str| {
        let mut c = Command::new("unshare");
        c.args(["-m", "-p", "-f", "--propagation", "private", "sh", "-c"])
            .arg(wrapper(name))
            .arg("sh")
            .arg(bwrap)
            .args(["--ro-bind", "/", "/", "true"])
            .plain_env()
            .env("BWRAP_DOCTOR_REAL_BWRAP", support::real_bwrap());
        support::run(&mut c)
    };
    let (d, s) = (
        run(support::real_bwrap(), "plain-chroot-direct"),
        run(&inst.shim, "plain-chroot-shim"),
    );
    assert_eq!(
        d.stderr_text(),
        "bwrap: Failed to make / slave: Invalid argument\n",
        "{}",
        d.stderr_text()
    );
    assert_diagnosed(&d, &s, Some("chroot.make-slave"));
}

fn a_chroot_is_diagnosed_as_the_chroot_not_the_sysctl() {
    // The kernel refuses user namespaces to a chrooted process; bwrap blames
    // the sysctl. A private mount and pid namespace keep the host untouched;
    // the chroot is a recursive bind of / (as a build chroot often is). The
    // chroot runs as a child: pid 1 of the new pid namespace stays outside
    // it, as the host's init does.
    let root = support::install().scratch().join("chroot");
    std::fs::create_dir(&root).unwrap();
    let wrapper = format!(
        "exec unshare -m -p -f --mount-proc --propagation private sh -c 'mount --rbind / {r} && chroot {r} \"$@\"' sh setpriv --reuid={u} --regid={g} --clear-groups \"$@\"",
        r = root.display(),
        u = support::test_user().0,
        g = support::test_user().1,
    );
    let (d, s) = as_user_in(
        &wrapper,
        support::real_bwrap(),
        &["--ro-bind", "/", "/", "true"],
    );
    assert!(
        d.stderr_text()
            .starts_with("bwrap: No permissions to creat"),
        "{}",
        d.stderr_text()
    );
    assert_diagnosed(&d, &s, Some("chroot.userns"));
}

fn a_fuse_mount_without_allow_other_is_diagnosed() {
    // hostlab 7d: root's FUSE mount without allow_other, bound by another user.
    if support::run(Command::new("sh").args(["-c", "command -v bindfs && command -v fusermount3"]))
        .status
        .code()
        != Some(0)
    {
        support::skip("bindfs and fuse3 are not installed (apt-get install bindfs fuse3)");
    }
    let dir = support::install().scratch();
    let (src, mnt) = (dir.join("src"), dir.join("fmnt"));
    std::fs::create_dir(&src).unwrap();
    std::fs::create_dir(&mnt).unwrap();
    let m = mnt.display().to_string();
    let wrapper = format!(
        "exec unshare -m --propagation private sh -c 'bindfs --no-allow-other {} {m} || exit 99; \"$@\"; rc=$?; fusermount3 -u {m}; exit $rc' sh setpriv --reuid={u} --regid={g} --clear-groups \"$@\"",
        src.display(),
        u = support::test_user().0,
        g = support::test_user().1,
    );
    let (d, s) = as_user_in(
        &wrapper,
        support::real_bwrap(),
        &["--ro-bind", "/", "/", "--ro-bind", &m, "/mnt", "true"],
    );
    assert_eq!(
        d.stderr_text(),
        format!("bwrap: Can't get type of source {m}: Permission denied\n")
    );
    let text = assert_diagnosed(&d, &s, Some("mount-permission-denied.fuse"));
    assert!(text.contains("allow_other"), "{text}");
}

fn a_source_in_another_users_private_directory_is_diagnosed() {
    // hostlab 7e: the source sits in a directory the caller cannot search.
    let dir = support::install().scratch().join("priv");
    std::fs::create_dir_all(dir.join("inner")).unwrap();
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700)).unwrap();
    let inner = dir.join("inner").display().to_string();
    let (d, s) = as_user_in(
        ":",
        support::real_bwrap(),
        &["--ro-bind", "/", "/", "--ro-bind", &inner, "/mnt", "true"],
    );
    assert_eq!(
        d.stderr_text(),
        format!("bwrap: Can't find source path {inner}: Permission denied\n")
    );
    assert_diagnosed(&d, &s, Some("bad-arguments.source-unsearchable"));
}

fn setuid_bwrap_refusals_are_diagnosed_as_setuid_mode() {
    // hostlab 9b and 9f: a setuid-root copy of 0.8.0; the copy is removed
    // as soon as the runs are done.
    if !support::is_root() {
        support::skip("needs root to make a setuid-root copy of bwrap");
    }
    let copy = bwrap_copy("suid");
    std::fs::set_permissions(&copy, std::fs::Permissions::from_mode(0o4755)).unwrap();
    let size = as_user_in(
        ":",
        &copy,
        &[
            "--ro-bind",
            "/",
            "/",
            "--size",
            "1000",
            "--tmpfs",
            "/tmp",
            "true",
        ],
    );
    let disable = as_user_in(
        ":",
        &copy,
        &[
            "--ro-bind",
            "/",
            "/",
            "--unshare-user",
            "--disable-userns",
            "true",
        ],
    );
    let _ = std::fs::remove_file(&copy);
    assert_eq!(
        size.0.stderr_text(),
        "bwrap: The --size option is not permitted in setuid mode\n"
    );
    assert_diagnosed(&size.0, &size.1, Some("setuid-mode-restriction.option"));
    assert_eq!(
        disable.0.stderr_text(),
        "bwrap: cannot open /proc/sys/user/max_user_namespaces: Permission denied\n"
    );
    assert_diagnosed(
        &disable.0,
        &disable.1,
        Some("setuid-mode-restriction.disable-userns"),
    );
}

fn file_capabilities_on_bwrap_are_diagnosed() {
    // hostlab 9g.
    if support::run(Command::new("sh").args(["-c", "command -v setcap"]))
        .status
        .code()
        != Some(0)
    {
        support::skip("setcap is not installed (apt-get install libcap2-bin)");
    }
    if !support::is_root() {
        support::skip("needs root to give a copy of bwrap file capabilities");
    }
    let copy = bwrap_copy("fcap");
    let set = support::run(Command::new("setcap").arg("cap_sys_admin+ep").arg(&copy));
    assert!(set.status.success(), "{}", set.stderr_text());
    let (d, s) = as_user_in(":", &copy, &["--ro-bind", "/", "/", "true"]);
    let _ = std::fs::remove_file(&copy);
    assert_eq!(
        d.stderr_text(),
        "bwrap: Unexpected capabilities but not setuid, old file caps config?\n"
    );
    assert_diagnosed(&d, &s, Some("unexpected-capabilities.file-caps"));
}

/// Run `wrapper… BWRAP args…` with BWRAP the real bwrap, then the shim.
pub fn twice(
    who: As,
    wrapper: &[&str],
    args: &[&str],
    setup: &dyn Fn(&mut Command),
) -> (Output, Output) {
    let inst = support::install();
    let real = support::real_bwrap().display().to_string();
    let shim = inst.shim.display().to_string();
    let run = |bwrap: &str| {
        let mut argv: Vec<String> = wrapper.iter().map(|s| s.to_string()).collect();
        argv.push(bwrap.to_string());
        argv.extend(args.iter().map(|s| s.to_string()));
        let mut c = Command::new(&argv[0]);
        c.args(&argv[1..]).plain_env();
        setup(&mut c);
        who.apply(&mut c);
        support::run(&mut c)
    };
    (run(&real), run(&shim))
}

/// bwrap's own words first and unchanged; then the diagnosis.
pub fn assert_diagnosed(direct: &Output, shim: &Output, rule: Option<&str>) -> String {
    assert_eq!(
        direct.status.code(),
        Some(1),
        "the recipe did not fail: {}",
        direct.stderr_text()
    );
    assert_eq!(
        shim.status.code(),
        direct.status.code(),
        "exit status differs"
    );
    let (d, s) = (direct.stderr_text(), shim.stderr_text());
    assert!(d.starts_with("bwrap: "), "direct: {d}");
    assert!(
        s.starts_with(&d),
        "bwrap's message is not first and unchanged through the shim:\n--- direct\n{d}--- shim\n{s}"
    );
    let diagnosis = s[d.len()..].to_string();
    // Callers decide the same: no word they react to unless bwrap said one.
    let words = Words::for_bwrap_lines(d.lines());
    if words == Words::CallerNeutral {
        assert_eq!(
            keywords::first_keyword(&diagnosis),
            None,
            "bwrap's lines hold no caller keyword, the diagnosis does:\n{diagnosis}"
        );
    }
    match rule {
        Some(id) => {
            assert!(
                diagnosis.contains(&format!("rule: {} (", words.id(id))),
                "expected rule {id} to be confirmed; got:\n{diagnosis}"
            );
            assert!(
                !diagnosis.contains("no cause could be confirmed"),
                "{diagnosis}"
            );
        }
        None => assert!(
            diagnosis.contains("no cause could be confirmed"),
            "expected no confirmed cause; got:\n{diagnosis}"
        ),
    }
    diagnosis
}

fn userns_refused_by_a_seccomp_filter_is_diagnosed_as_seccomp_not_the_sysctl(who: &As) {
    // hostlab 2a (user), 2c (root with --unshare-all).
    let deny = seccomp::deny_userns();
    let (direct, shim) = twice(
        *who,
        &[],
        &["--unshare-all", "--ro-bind", "/", "/", "true"],
        &|c| seccomp::apply(c, &deny),
    );
    let d = assert_diagnosed(&direct, &shim, Some("seccomp-filter.userns"));
    // bwrap's line names no filter, so neither may the shim (Codex would
    // hide the output): the cause's id and meaning in other words.
    assert!(d.contains("[sec-comp-filter]"), "{d}");
    assert!(d.contains("A system-call filter on this process"), "{d}");
    assert!(d.contains("bwrap-doctor explain --last` shows them"), "{d}");
}

fn root_without_cap_sys_admin_is_diagnosed_as_missing_privileges() {
    // hostlab 2d
    let (direct, shim) = twice(
        As::Root,
        &[
            "setpriv",
            "--bounding-set=-sys_admin",
            "--inh-caps=-sys_admin",
        ],
        &["--unshare-pid", "--ro-bind", "/", "/", "true"],
        &|_| {},
    );
    assert_diagnosed(
        &direct,
        &shim,
        Some("container-no-privileges.root-namespaces"),
    );
}

fn root_without_cap_setfcap_is_told_to_give_the_container_setfcap() {
    // A container started with --cap-drop ALL (or SETFCAP): since Linux
    // 5.12 root needs CAP_SETFCAP to map uid 0 into a user namespace.
    let (direct, shim) = twice(
        As::Root,
        &[
            "setpriv",
            "--bounding-set=-setfcap",
            "--inh-caps=-setfcap",
            "--",
        ],
        &["--unshare-user", "--ro-bind", "/", "/", "true"],
        &|_| {},
    );
    if direct.status.success() {
        support::skip("this kernel lets root map uid 0 without CAP_SETFCAP (Linux before 5.12)");
    }
    assert_eq!(
        direct.stderr_text(),
        "bwrap: setting up uid map: Operation not permitted\n"
    );
    let d = assert_diagnosed(&direct, &shim, Some("container-no-privileges.setfcap"));
    assert!(d.contains("docker run --cap-add SETFCAP"), "{d}");
    assert!(d.contains("podman run --cap-add SETFCAP"), "{d}");
}

fn max_user_namespaces_zero_is_diagnosed(who: &As) {
    // hostlab 1a/1b: the limit is 0 only inside a child user namespace.
    let (direct, shim) = twice(
        *who,
        support::ZERO_USER_NAMESPACES,
        &["--unshare-user", "--ro-bind", "/", "/", "true"],
        &|_| {},
    );
    assert_diagnosed(&direct, &shim, Some("userns-max-zero.user"));
}

fn max_net_namespaces_zero_is_diagnosed_when_a_network_namespace_is_asked_for() {
    // hostlab 1c
    let (direct, shim) = twice(
        As::User,
        support::ZERO_NET_NAMESPACES,
        &["--unshare-net", "--ro-bind", "/", "/", "true"],
        &|_| {},
    );
    assert_diagnosed(&direct, &shim, Some("userns-max-zero.net"));
}

fn nesting_depth_is_diagnosed_as_a_nested_limit() {
    // hostlab 1d: 33 nested user namespaces.
    let inst = support::install();
    let script = inst.scratch().join("nest.sh");
    std::fs::write(
        &script,
        "#!/bin/sh\nn=$1; shift\nif [ \"$n\" -gt 0 ]; then exec unshare -Ur \"$0\" $((n-1)) \"$@\"; fi\nexec \"$@\"\n",
    )
    .unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    let s = script.display().to_string();
    let (direct, shim) = twice(
        As::User,
        &[&s, "33"],
        &["--unshare-user", "--ro-bind", "/", "/", "true"],
        &|_| {},
    );
    assert_diagnosed(&direct, &shim, Some("nested-userns-limit.depth"));
}

fn an_execute_only_bwrap_is_diagnosed_as_unreadable() {
    // hostlab 3a: a root-owned 0711 copy, run by the unprivileged user.
    let inst = support::install();
    let dir = inst.scratch().join("xonly");
    std::fs::create_dir(&dir).unwrap();
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    let copy = dir.join("bwrap");
    std::fs::copy(support::real_bwrap(), &copy).unwrap();
    std::fs::set_permissions(&copy, std::fs::Permissions::from_mode(0o711)).unwrap();
    if !support::is_root() {
        support::skip("needs root to make a root-owned execute-only copy of bwrap");
    }
    let c = copy.display().to_string();
    let mut direct = Command::new(&copy);
    direct
        .args(["--ro-bind", "/", "/", "true"])
        .env_clear()
        .env("NO_COLOR", "1");
    As::User.apply(&mut direct);
    let mut shim = Command::new(&inst.shim);
    shim.args(["--ro-bind", "/", "/", "true"])
        .env_clear()
        .env("NO_COLOR", "1")
        .env("BWRAP_DOCTOR_REPORT", "long")
        .env("PATH", inst.path_var())
        .env("BWRAP_DOCTOR_REAL_BWRAP", &c);
    As::User.apply(&mut shim);
    let (d, s) = (support::run(&mut direct), support::run(&mut shim));
    let text = assert_diagnosed(&d, &s, Some("bwrap-binary-unreadable"));
    assert!(text.contains(&format!("sudo chmod a+r {c}")), "{text}");
}

fn loopback_refused_by_a_seccomp_filter_is_diagnosed(who: &As) {
    // hostlab 4a: sendto with a sockaddr_nl (addrlen 12) fails with EPERM.
    let deny = [seccomp::deny_loopback()];
    let (direct, shim) = twice(
        *who,
        &[],
        &["--ro-bind", "/", "/", "--unshare-net", "true"],
        &|c| seccomp::apply(c, &deny),
    );
    assert!(
        direct
            .stderr_text()
            .starts_with("bwrap: loopback: Failed RTM_NEWADDR")
    );
    assert_diagnosed(&direct, &shim, Some("seccomp-filter.loopback"));
}

fn loopback_without_cap_net_admin_is_diagnosed_as_missing_privileges() {
    // hostlab 4c
    let (direct, shim) = twice(
        As::Root,
        &[
            "setpriv",
            "--bounding-set=-net_admin",
            "--inh-caps=-net_admin",
        ],
        &["--ro-bind", "/", "/", "--unshare-net", "true"],
        &|_| {},
    );
    assert_diagnosed(&direct, &shim, Some("container-no-privileges.loopback"));
}

fn symlink_fixture(dir: &Path, uid: u32) {
    for d in ["proj/sub", "target_dir", "src_dir", "src_self/.self"] {
        std::fs::create_dir_all(dir.join(d)).unwrap();
    }
    std::fs::write(dir.join("target_file"), "t").unwrap();
    std::fs::write(dir.join("src_file"), "s").unwrap();
    let link = |target: &str, name: &str| {
        std::os::unix::fs::symlink(target, dir.join("proj").join(name)).unwrap()
    };
    link(&dir.join("target_dir").display().to_string(), ".abs_dir");
    link(&dir.join("target_file").display().to_string(), ".abs_file");
    link(".", ".self");
    let _ = Command::new("chown")
        .arg("-R")
        .arg(uid.to_string())
        .arg(dir)
        .status();
}

fn symlinked_destinations_are_diagnosed_with_the_symlink(who: &As) {
    // hostlab §6: s01, s02, s20, s25, s26.
    let dir = support::install().scratch().join("sym");
    symlink_fixture(&dir, who.uid());
    let p = |s: &str| dir.join(s).display().to_string();
    let cases: Vec<Vec<String>> = vec![
        vec!["--ro-bind".into(), p("src_dir"), p("proj/.abs_dir")],
        vec!["--ro-bind".into(), p("src_file"), p("proj/.abs_file")],
        vec!["--tmpfs".into(), p("proj/.abs_dir")],
        vec!["--ro-bind".into(), p("src_self"), p("proj/.self")],
        vec!["--ro-bind".into(), p("src_dir"), p("proj/.self")],
    ];
    for extra in cases {
        let mut args = vec!["--ro-bind", "/", "/"];
        args.extend(extra.iter().map(String::as_str));
        args.push("true");
        let (direct, shim) = twice(*who, &[], &args, &|_| {});
        let d = assert_diagnosed(&direct, &shim, Some("bind-dest-symlink"));
        assert!(d.contains(&p("proj/")), "the diagnosis names the link: {d}");
    }
}

fn a_missing_bind_source_is_diagnosed(who: &As) {
    let missing = support::install()
        .scratch()
        .join("does-not-exist")
        .display()
        .to_string();
    let (direct, shim) = twice(
        *who,
        &[],
        &["--ro-bind", "/", "/", "--ro-bind", &missing, "/mnt", "true"],
        &|_| {},
    );
    let d = assert_diagnosed(&direct, &shim, Some("bind-source-missing"));
    assert!(d.contains(&missing), "{d}");
}

fn a_directory_shifted_into_the_commands_place_is_the_callers_arguments(who: &As) {
    // bubblewrap#415: `--bind-try SRC` without its destination takes
    // `--chdir` as the destination (the missing source is skipped, as
    // --bind-try allows), so the directory meant for --chdir is run as the
    // program: execvp's EACCES, which a missing x bit gives too.
    let dir = support::install().scratch().join("home");
    std::fs::create_dir(&dir).unwrap();
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    let home = dir.display().to_string();
    let (direct, shim) = twice(
        *who,
        &[],
        &[
            "--ro-bind",
            "/",
            "/",
            "--bind-try",
            "/run/does-not-exist.sock",
            "--chdir",
            &home,
            "true",
        ],
        &|_| {},
    );
    assert_eq!(
        direct.stderr_text(),
        format!("bwrap: execvp {home}: Permission denied\n")
    );
    let d = assert_diagnosed(&direct, &shim, Some("bad-arguments.program-is-directory"));
    assert!(!d.contains("rule: command-not-found-in-sandbox"), "{d}");
}

fn a_bind_of_a_file_replaced_under_an_outer_sandbox_is_diagnosed() {
    // nixpkgs#247065: Steam's FHS bwrap bound the host's /etc/group when it
    // started; NixOS's activation then replaced the file by a rename, so the
    // outer sandbox holds the deleted inode (`//deleted` in mountinfo) and the
    // nested bwrap's bind of it fails with ENOENT. Root runs the outer bwrap
    // (a private mount namespace keeps the host untouched), waits until it
    // has bound the file, renames a new file over it on the host, and only
    // then lets the nested bwrap (the real one, then the shim) run.
    if !support::is_root() {
        support::skip("needs root for the outer sandbox's capabilities");
    }
    let dir = support::install().scratch().join("replaced");
    std::fs::create_dir(&dir).unwrap();
    let d = dir.display();
    let outer = support::real_bwrap().display().to_string();
    let script = format!(
        "rm -f {d}/bound {d}/ready; echo old > {d}/group\n\
         {outer} --dev-bind / / --tmpfs /mnt --ro-bind {d}/group /mnt/group --cap-add ALL \\\n\
           sh -c 'touch {d}/bound; while [ ! -e {d}/ready ]; do sleep 0.05; done; exec \"$@\"' sh \"$@\" &\n\
         while [ ! -e {d}/bound ]; do sleep 0.05; done\n\
         echo new > {d}/group.new && mv {d}/group.new {d}/group && touch {d}/ready\n\
         wait $!"
    );
    let (direct, shim) = twice(
        As::Root,
        &["sh", "-c", &script, "sh"],
        &[
            "--ro-bind",
            "/",
            "/",
            "--ro-bind",
            "/mnt/group",
            "/mnt/group",
            "true",
        ],
        &|_| {},
    );
    assert!(
        direct
            .stderr_text()
            .contains("Unable to mount source on destination: No such file or directory"),
        "{}",
        direct.stderr_text()
    );
    let diagnosis = assert_diagnosed(&direct, &shim, Some("bind-source-missing.replaced"));
    assert!(diagnosis.contains("/mnt/group"), "{diagnosis}");
}

/// An executable of another architecture than this host's: an ELF header
/// for AArch64 (e_machine 183), in a scratch directory `name` every user can
/// read. Its path.
fn foreign_program(name: &str) -> String {
    let dir = support::install().scratch().join(name);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    let prog = dir.join("tool");
    let mut elf = b"\x7fELF\x02\x01\x01\0\0\0\0\0\0\0\0\0".to_vec();
    for (v, n) in [
        (2u64, 2),
        (183, 2),
        (1, 4),
        (0x40_0000, 8),
        (64, 8),
        (0, 8),
        (0, 4),
    ] {
        elf.extend_from_slice(&v.to_le_bytes()[..n]);
    }
    for v in [64u16, 56, 0, 64, 0, 0] {
        elf.extend_from_slice(&v.to_le_bytes());
    }
    std::fs::write(&prog, &elf).unwrap();
    std::fs::set_permissions(&prog, std::fs::Permissions::from_mode(0o755)).unwrap();
    prog.display().to_string()
}

fn a_program_for_another_architecture_is_diagnosed_as_its_format(who: &As) {
    // A runtime built for another architecture (a Flatpak of the wrong
    // arch): an ELF header for AArch64 (e_machine 183) on this x86-64 host,
    // as the program and as the sandbox's /bin/sh (dash, which /bin/sh
    // names), so that glibc's execvp, which hands a file of unknown format
    // to /bin/sh, meets ENOEXEC there too, as in a wrong-arch runtime.
    if std::env::consts::ARCH == "aarch64" {
        support::skip("this host is AArch64: the foreign program must be of another architecture");
    }
    let p = foreign_program("foreign-arch");
    // binfmt_misc as this host shows it ("unknown" where it is not mounted
    // or readable, checked against its status file); skipped where a
    // handler claims the program (the kernel would run it through it).
    binfmt_for(&p);
    let sh = std::fs::canonicalize("/bin/sh")
        .unwrap()
        .display()
        .to_string();
    let (direct, shim) = twice(
        *who,
        &[],
        &["--ro-bind", "/", "/", "--ro-bind", &p, &sh, &p],
        &|_| {},
    );
    assert_eq!(
        direct.stderr_text(),
        format!("bwrap: execvp {p}: Exec format error\n")
    );
    let d = assert_diagnosed(&direct, &shim, Some("exec-format-unsupported.execvp"));
    assert!(d.contains("architecture"), "{d}");
    // What the live shim saw of the program (file.format, read from the
    // bound file): AArch64, not this machine's; a missing program, its
    // missing interpreter or a foreign ENOENT are not what it says.
    let json = support::install().scratch().join("foreign-arch.json");
    let (_, shim) = twice(
        *who,
        &[],
        &["--ro-bind", "/", "/", "--ro-bind", &p, &sh, &p],
        &|c| {
            c.env("BWRAP_DOCTOR_JSON", &json);
        },
    );
    assert_eq!(shim.status.code(), Some(1));
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert_eq!(
        v["confirmed"],
        serde_json::json!(["exec-format-unsupported.execvp"]),
        "{v:#}"
    );
    // The probe on this host, the call not known: the host's own file.
    let host = bwrap_doctor_engine::probe::Host::live();
    let facts = bwrap_doctor_engine::probe::Facts::live(
        &host,
        bwrap_doctor_engine::probe::Context::default(),
    );
    let format = facts.get(&format!("file.format:{p}"));
    let f = format.value().cloned().unwrap_or_default();
    assert_eq!(f["format"], "elf", "{format:?}");
    assert_eq!(f["machine"], "aarch64", "{format:?}");
    assert_eq!(f["class"], 64, "{format:?}");
    assert_eq!(f["native"], false, "{format:?}");
}

/// What binfmt_misc does with the foreign program `p` on this host, as the
/// probe reads it (`file.format`'s `binfmt`): `"none"` where binfmt_misc is
/// read and no enabled handler claims it, `"unknown"` where it is not
/// mounted or not readable (this machine, CI, most containers: a handler of
/// the host may still run it, so the format is not confirmed). Checked
/// against /proc/sys/fs/binfmt_misc/status itself. Skips where a handler
/// claims it: the kernel then runs it through the handler, not as the
/// recipe needs (the suite registers nothing host-wide).
fn binfmt_for(p: &str) -> String {
    let host = bwrap_doctor_engine::probe::Host::live();
    let facts = bwrap_doctor_engine::probe::Facts::live(
        &host,
        bwrap_doctor_engine::probe::Context::default(),
    );
    let format = facts.get(&format!("file.format:{p}"));
    let binfmt = format.value().cloned().unwrap_or_default()["binfmt"].clone();
    match std::fs::read_to_string("/proc/sys/fs/binfmt_misc/status") {
        Err(_) => assert_eq!(
            binfmt, "unknown",
            "binfmt_misc/status cannot be read here: {format:?}"
        ),
        Ok(s) if s.trim() == "disabled" => {
            assert_eq!(binfmt, "none", "binfmt_misc is disabled: {format:?}");
        }
        Ok(_) => {}
    }
    match binfmt.as_str() {
        Some(b @ ("none" | "unknown")) => b.to_string(),
        _ => support::skip(format!(
            "a binfmt_misc handler claims the foreign program here ({binfmt}): the kernel runs it through the handler"
        )),
    }
}

/// The diagnosis of a foreign program's ENOENT in a root without /bin/sh
/// by `rule` (an exec-format rule), for what the host shows of binfmt_misc
/// (`binfmt_for`): confirmed where binfmt_misc was read and no handler
/// claims the program; where it could not be read, its cause named first,
/// not confirmed (the host's handler may run the program, and the ENOENT
/// may then be a missing loader's or the handler's interpreter's).
fn assert_format_diagnosed(direct: &Output, shim: &Output, binfmt: &str, rule: &str) -> String {
    if binfmt == "none" {
        return assert_diagnosed(direct, shim, Some(rule));
    }
    let d = assert_diagnosed(direct, shim, None);
    let words = Words::for_bwrap_lines(direct.stderr_text().lines());
    let cause = rule.split('.').next().unwrap_or(rule);
    let first = d.lines().find(|l| l.trim_start().starts_with("possible:"));
    assert!(
        first.is_some_and(|l| l.contains(&format!("[{}]", words.id(cause)))),
        "binfmt_misc unread: {cause} should be named first, unconfirmed:\n{d}"
    );
    assert!(
        d.contains("binfmt_misc was read"),
        "the condition left unmet (binfmt_misc unread) should be shown:\n{d}"
    );
    d
}

fn a_foreign_program_in_a_root_without_sh_is_not_confirmed_missing(who: &As) {
    // Review of branch rulesc: glibc's execvp hands a file the kernel
    // refuses with ENOEXEC to /bin/sh and returns that exec's errno. In a
    // root without /bin/sh (bwrap's empty tmpfs, only the program bound) the
    // program of another architecture is there and bound, yet bwrap prints
    // ENOENT: command-not-found-in-sandbox may be a candidate, never
    // confirmed from the words (its fix, binding what the program needs,
    // cannot make the program run).
    if std::env::consts::ARCH == "aarch64" {
        support::skip("this host is AArch64: the foreign program must be of another architecture");
    }
    let p = foreign_program("foreign-arch-no-sh");
    let binfmt = binfmt_for(&p);
    let (direct, shim) = twice(*who, &[], &["--ro-bind", &p, &p, &p], &|_| {});
    assert_eq!(
        direct.stderr_text(),
        format!("bwrap: execvp {p}: No such file or directory\n"),
        "glibc's execvp should report the missing /bin/sh's ENOENT"
    );
    assert_eq!(
        shim.status.code(),
        direct.status.code(),
        "exit status differs"
    );
    let d = shim.stderr_text()[direct.stderr_text().len()..].to_string();
    assert!(
        !d.contains("rule: command-not-found-in-sand"),
        "the program is bound and there: command-not-found-in-sandbox confirmed from ENOENT alone:\n{d}"
    );
    // The live shim reads the bound file's header (file.format): an
    // AArch64 program on this machine, so the format is confirmed where
    // binfmt_misc shows no handler for it (named first where it cannot be
    // read), and it names the program's machine and this one's.
    let d = assert_format_diagnosed(
        &direct,
        &shim,
        &binfmt,
        "exec-format-unsupported.foreign-elf",
    );
    assert!(d.contains("aarch64"), "{d}");
    assert!(d.contains(std::env::consts::ARCH), "{d}");

    // The same program bound from another host path (the bind's source is
    // what is read), with the JSON document: one cause confirmed.
    let json = support::install().scratch().join("foreign-no-sh.json");
    let elsewhere = "/opt/elsewhere/tool";
    let (direct, shim) = twice(*who, &[], &["--ro-bind", &p, elsewhere, elsewhere], &|c| {
        c.env("BWRAP_DOCTOR_JSON", &json);
    });
    assert_eq!(
        direct.stderr_text(),
        format!("bwrap: execvp {elsewhere}: No such file or directory\n")
    );
    assert_format_diagnosed(
        &direct,
        &shim,
        &binfmt,
        "exec-format-unsupported.foreign-elf",
    );
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    if binfmt == "none" {
        assert_eq!(
            v["confirmed"],
            serde_json::json!(["exec-format-unsupported.foreign-elf"]),
            "{v:#}"
        );
    } else {
        assert_eq!(v["confirmed"], serde_json::json!([]), "{v:#}");
        let first = v["candidates"].as_array().and_then(|c| {
            c.iter()
                .find(|c| c["verdict"] == "unconfirmed" && c["superseded_by"].is_null())
        });
        assert_eq!(
            first.map(|c| c["rule"].clone()),
            Some(serde_json::json!("exec-format-unsupported.foreign-elf")),
            "{v:#}"
        );
    }
    let seen = v["observations"]
        .as_array()
        .and_then(|o| {
            o.iter()
                .find(|o| o["key"] == format!("file.format:{elsewhere}"))
        })
        .map(|o| o["obs"].clone())
        .unwrap_or_default();
    assert_eq!(
        seen["host_path"],
        p.as_str(),
        "the bind's source is read: {v:#}"
    );
    assert_eq!(seen["machine"], "aarch64", "{v:#}");
    assert_eq!(seen["native"], false, "{v:#}");
    assert_eq!(seen["binfmt"], binfmt.as_str(), "{v:#}");

    // A native program that is truly absent: the call binds the directory
    // the path is under, the host has no such file there. The shim reads
    // the bind's source and confirms the program missing, not its format.
    let dir = std::path::Path::new(&p)
        .parent()
        .unwrap()
        .display()
        .to_string();
    let absent = format!("{dir}/no-such-tool");
    let (direct, shim) = twice(*who, &[], &["--ro-bind", &dir, &dir, &absent], &|_| {});
    assert_eq!(
        direct.stderr_text(),
        format!("bwrap: execvp {absent}: No such file or directory\n")
    );
    let d = assert_diagnosed(
        &direct,
        &shim,
        Some("command-not-found-in-sandbox.missing-source"),
    );
    assert!(
        !d.contains("rule: exec-format"),
        "a missing program confirmed as its format:\n{d}"
    );
}

fn a_data_descriptor_that_is_not_open_is_diagnosed_as_the_callers_arguments(who: &As) {
    // afshinm/zerobox#48: --file with a descriptor bwrap does not have
    // (nothing is open at 9 in the test's children).
    let (direct, shim) = twice(
        *who,
        &[],
        &[
            "--ro-bind",
            "/",
            "/",
            "--tmpfs",
            "/tmp",
            "--file",
            "9",
            "/tmp/x",
            "true",
        ],
        &|_| {},
    );
    let d = assert_diagnosed(&direct, &shim, Some("bad-arguments.data-fd"));
    assert!(d.contains("/tmp/x"), "{d}");
}

fn a_malformed_seccomp_program_is_the_callers_filter_not_a_missing_kernel_feature(who: &As) {
    // valoq/bwscripts#1: the descriptor of --seccomp holds something that is
    // not a compiled filter. Here one 8-byte instruction of 0xff bytes (a
    // length bwrap accepts, an opcode seccomp refuses): the kernel, which
    // has filters, answers EINVAL, and bwrap 0.5+ prints its hint about
    // CONFIG_SECCOMP_FILTER all the same. The missing feature must not be
    // confirmed; the caller's program is, where /proc/self/status shows the
    // kernel's filters (Linux 5.9+). The live diagnosis is asked of
    // `explain` with the call: through the shim, whose stderr is a pipe
    // here, the shim would run bwrap again to read its message, and it does
    // not replay a call with a --seccomp filter of its own (replay.rs).
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    if !status.contains("\nSeccomp_filters:") {
        support::skip(
            "this kernel shows no Seccomp_filters line (before Linux 5.9, or no CONFIG_SECCOMP_FILTER)",
        );
    }
    // A single-digit descriptor: dash, Debian's sh, reads `10<f` as the
    // word "10" and a redirection of stdin, so bwrap would read whatever
    // the test inherited at 10 (nothing, in CI: EBADF).
    let call = ["--ro-bind", "/", "/", "--seccomp", "8", "true"];
    let (direct, shim) = twice(
        *who,
        &[
            "sh",
            "-c",
            "f=$(mktemp) && printf '\\377\\377\\377\\377\\377\\377\\377\\377' >\"$f\" \\
             && { \"$@\" 8<\"$f\"; rc=$?; rm -f \"$f\"; exit $rc; }",
            "sh",
        ],
        &call,
        &|_| {},
    );
    let said = direct.stderr_text();
    assert_eq!(direct.status.code(), Some(1), "{said}");
    assert!(said.contains("PR_SET_SECCOMP"), "{said}");
    // The shim changes nothing of bwrap's run: same status, bwrap's words first.
    assert_eq!(shim.status.code(), direct.status.code());
    assert!(
        shim.stderr_text().starts_with(&said),
        "{}",
        shim.stderr_text()
    );
    let mut argv = vec!["explain", "--"];
    argv.extend(call);
    let mut c = crate::cli_doctor(*who, &argv);
    let out = support::run_with_input(
        &mut c,
        Some(said.as_bytes()),
        std::time::Duration::from_secs(60),
    );
    let d = out.stdout_text() + &out.stderr_text();
    assert!(
        d.contains("rule: bad-arguments.seccomp-program ("),
        "expected the caller's program confirmed; got:\n{d}"
    );
    assert!(!d.contains("no cause could be confirmed"), "{d}");
    assert!(!d.contains("rule: kernel-feature-missing"), "{d}");
}

fn a_read_only_proc_sys_is_diagnosed_for_disable_userns(who: &As) {
    // bubblewrap#707 (systemd-nspawn mounts /proc/sys read-only): the same
    // read-only /proc/sys, made in a private mount namespace (inside a user
    // namespace, so that an unprivileged user can make it too).
    let (direct, shim) = twice(
        *who,
        &[
            "unshare",
            "-Urm",
            "sh",
            "-c",
            "mount --bind -o ro /proc/sys /proc/sys && mount -o remount,bind,ro /proc/sys && exec \"$@\"",
            "sh",
        ],
        &[
            "--unshare-user",
            "--disable-userns",
            "--ro-bind",
            "/",
            "/",
            "true",
        ],
        &|_| {},
    );
    assert_eq!(
        direct.stderr_text(),
        "bwrap: cannot open /proc/sys/user/max_user_namespaces: Read-only file system\n"
    );
    assert_diagnosed(
        &direct,
        &shim,
        Some("container-no-privileges.read-only-proc-sys"),
    );
}

/// A path `scripts/arm64.sh` prints (`root SUITE`: Debian's arm64 tree of
/// bookworm, bubblewrap 0.8.0, or trixie, 0.12.0; `qemu`: qemu-user-static's
/// qemu-aarch64-static), or skip: scripts/test.sh fetches them; this test
/// installs nothing.
fn arm64(args: &[&str]) -> std::path::PathBuf {
    support::fetched(
        "arm64.sh",
        args,
        "Debian's arm64 bubblewrap and qemu-aarch64-static",
    )
}

fn bwrap_under_qemu_user_is_diagnosed_as_the_emulator(who: &As) {
    // bwrap for another machine run under qemu-user, as in `docker run
    // --platform linux/arm64` on x86_64 (dev 099, set E 112): Debian's arm64
    // bubblewrap 0.8.0 (bookworm) and 0.12.0 (trixie) under
    // qemu-aarch64-static on this x86_64 kernel. qemu-user refuses the
    // namespace flags of clone() with EINVAL whatever the kernel allows. The
    // shim cannot sit in front of it here: that needs a binfmt_misc handler,
    // a host-wide setting this suite does not make, so the diagnosis is
    // `explain` told which bwrap ran.
    if std::env::consts::ARCH != "x86_64" {
        support::skip("only x86_64 is set up: the emulated bwrap is Debian's arm64 one");
    }
    let qemu = arm64(&["qemu"]);
    let args = ["--ro-bind", "/", "/", "true"];
    // Each command in a plain environment, as `who`.
    let run = |c: &mut Command| {
        c.plain_env();
        who.apply(c);
        support::run(c)
    };
    // The kernel itself gives namespaces to the same call.
    let native = run(Command::new(support::real_bwrap()).args(args));
    assert_eq!(
        native.status.code(),
        Some(0),
        "the native bwrap fails here too, so this host cannot show the emulator's failure: {}",
        native.stderr_text()
    );
    // As root bwrap asks for no user namespace and prints the errno; with
    // one (a user) it reads EINVAL as a kernel without user namespaces, and
    // before 0.12 advises a setuid install.
    let user_words = "bwrap: Creating new namespace failed, likely because the kernel does not support user namespaces.";
    for (suite, after) in [
        (
            "bookworm",
            "  bwrap must be installed setuid on such systems.\n",
        ),
        ("trixie", "\n"),
    ] {
        let root = arm64(&["root", suite]);
        let bwrap = root.join("usr/bin/bwrap");
        let direct = run(Command::new(&qemu)
            .arg("-L")
            .arg(&root)
            .arg(&bwrap)
            .args(args));
        assert_eq!(
            direct.status.code(),
            Some(1),
            "{suite}: {}",
            direct.stderr_text()
        );
        let expected = match who {
            As::Root => "bwrap: Creating new namespace failed: Invalid argument\n".to_string(),
            As::User => format!("{user_words}{after}"),
        };
        assert_eq!(direct.stderr_text(), expected, "{suite}");
        let err = support::install()
            .scratch()
            .join(format!("qemu-user-{suite}-{}.err", who.label()));
        std::fs::write(&err, direct.stderr_text()).unwrap();
        std::fs::set_permissions(&err, std::fs::Permissions::from_mode(0o644)).unwrap();
        let explain = |bwrap: &Path| {
            let out = run(Command::new(&support::install().doctor)
                .arg("explain")
                .arg("--json")
                .arg(&err)
                .arg("--bwrap")
                .arg(bwrap)
                .arg("--")
                .args(args));
            let v: serde_json::Value = serde_json::from_str(&out.stdout_text())
                .unwrap_or_else(|e| panic!("{e}: {}", out.stderr_text()));
            (out.status.code(), v)
        };
        // Told the bwrap that ran: an aarch64 program on an x86_64 kernel.
        let (code, v) = explain(&bwrap);
        assert_eq!(code, Some(0), "{suite}: {v:#}");
        assert_eq!(
            v["confirmed"],
            serde_json::json!(["kernel-feature-missing.qemu-user"]),
            "{suite}: {v:#}"
        );
        // The same words from this machine's own bwrap: nothing shows an
        // emulator, so it is not confirmed.
        let (_, v) = explain(support::real_bwrap());
        assert!(
            !v["confirmed"]
                .as_array()
                .is_some_and(|a| a.contains(&serde_json::json!("kernel-feature-missing.qemu-user"))),
            "{suite}: {v:#}"
        );
    }
}
