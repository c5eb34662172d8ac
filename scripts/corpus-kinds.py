#!/usr/bin/env python3
"""Write tests/fixtures/kinds/<kind>.json: complete fixture hosts, one per
host kind the corpus needs (tests/fixtures/kinds/README.md says where each
value comes from). Every value is a distribution's or a runtime's default,
never a case's. Run from the repository root; the output is committed."""
import copy
import json
import pathlib

OUT = pathlib.Path("tests/fixtures/kinds")
ABSENT = {"absent": True}

CAPS = ("chown dac_override dac_read_search fowner fsetid kill setgid setuid setpcap "
        "linux_immutable net_bind_service net_broadcast net_admin net_raw ipc_lock "
        "ipc_owner sys_module sys_rawio sys_chroot sys_ptrace sys_pacct sys_admin sys_boot "
        "sys_nice sys_resource sys_time sys_tty_config mknod lease audit_write audit_control "
        "setfcap mac_override mac_admin syslog wake_alarm block_suspend audit_read perfmon "
        "bpf checkpoint_restore").split()
ALL_CAPS = ["cap_" + c for c in CAPS]
# Docker's and containerd's default capability set (moby oci/caps/defaults.go);
# Podman's (containers.conf default_capabilities) is the same minus
# audit_write, mknod, net_raw and sys_chroot.
DOCKER_CAPS = ["cap_" + c for c in (
    "chown dac_override fowner fsetid kill setgid setuid setpcap net_bind_service "
    "net_raw sys_chroot mknod audit_write setfcap").split()]
PODMAN_CAPS = [c for c in DOCKER_CAPS
               if c not in ("cap_audit_write", "cap_mknod", "cap_net_raw", "cap_sys_chroot")]
# Docker's masked paths (moby oci/defaults.go; containerd's are the same).
DOCKER_MASKED = ["/proc/acpi", "/proc/asound", "/proc/interrupts", "/proc/kcore", "/proc/keys",
                 "/proc/latency_stats", "/proc/sched_debug", "/proc/scsi", "/proc/timer_list",
                 "/proc/timer_stats"]
DOCKER_RO = ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"]
NS = ["cgroup", "ipc", "mnt", "net", "pid", "time", "user", "uts"]

OK = {"ok": True, "step": "", "errno": "", "message": ""}
MSG = {"EPERM": "Operation not permitted", "EINVAL": "Invalid argument",
       "ENOSPC": "No space left on device"}


def fail(step, errno):
    return {"ok": False, "step": step, "errno": errno, "message": MSG[errno]}


def userns_fail(at, errno):
    """The three experiments of a non-root caller whose user namespace fails."""
    if at == "uid_map":
        s = "write /proc/self/uid_map"
        return {"experiment.userns": fail(s, errno), "experiment.netns": fail(s, errno),
                "experiment.proc_mount": fail(s, errno)}
    return {"experiment.userns": fail("unshare(CLONE_NEWUSER)", errno),
            "experiment.netns": fail("unshare(CLONE_NEWUSER|CLONE_NEWNET)", errno),
            "experiment.proc_mount": fail("unshare(CLONE_NEWUSER|CLONE_NEWNS|CLONE_NEWPID)", errno)}


def evidence(**seen):
    marks = {"/proc/version": "neither WSL nor gVisor", "/.flatpak-info": "absent",
             "/.dockerenv": "absent", "/run/.containerenv": "absent",
             "/run/systemd/container": "absent",
             "/var/run/secrets/kubernetes.io/serviceaccount": "absent",
             "KUBERNETES_SERVICE_HOST": "not set", "/proc/1/cgroup": "no container markers",
             "outer bwrap": "no ancestor is bwrap", "chroot": "/ is pid 1's root"}
    marks.update({k.replace("_", "/") if k.startswith("_") else k: v for k, v in seen.items()})
    return [f"{k}: {v}" for k, v in marks.items()]


# A desktop user (uid 1000) on an upstream kernel with user namespaces on and
# no LSM confining anything: bubblewrap's own assumptions.
BASE = {
    "apparmor.enabled": ABSENT, "apparmor.label": ABSENT, "apparmor.profile_files": ABSENT,
    "apparmor.profiles_loaded": ABSENT, "apparmor.userns_mediation": False,
    "bwrap.file_caps": ABSENT, "bwrap.mode": "0755", "bwrap.owner_uid": 0,
    "bwrap.path": "/usr/bin/bwrap", "bwrap.readable": True, "bwrap.realpath": "/usr/bin/bwrap",
    "bwrap.setuid": False, "bwrap.version": "0.8.0",
    "caller.caps_ambient": [], "caller.caps_bounding": ALL_CAPS, "caller.caps_effective": [],
    "caller.caps_permitted": [], "caller.euid": 1000, "caller.in_initial_userns": True,
    "caller.no_new_privs": 0, "caller.seccomp": 0, "caller.seccomp_filters": 0,
    "caller.uid": 1000, "caller.uid_map": "0 0 4294967295", "chroot": False,
    "container.evidence": evidence(), "container.kind": "none",
    "experiment.netns": OK, "experiment.proc_mount": OK, "experiment.userns": OK,
    "kernel.machine": "x86_64",
    "kernel.namespaces": NS, "kernel.release": "6.6.0", "kernel.version": "Linux version 6.6.0",
    "lsm.list": ["lockdown", "capability", "landlock", "yama", "bpf"],
    "os.id": ABSENT, "os.id_like": ABSENT, "os.pretty_name": ABSENT, "os.version_id": ABSENT,
    "proc.masked": [], "proc.read_only": [], "sandbox.outer_bwrap": False,
    "selinux.context": ABSENT, "selinux.mode": "disabled",
    "sysctl.fs.mount-max": 100000,
    "sysctl.kernel.apparmor_restrict_unprivileged_unconfined": ABSENT,
    "sysctl.kernel.apparmor_restrict_unprivileged_userns": ABSENT,
    "sysctl.kernel.apparmor_restrict_unprivileged_userns_complain": ABSENT,
    "sysctl.kernel.apparmor_restrict_unprivileged_userns_force": ABSENT,
    "sysctl.kernel.overflowuid": 65534,
    "sysctl.kernel.unprivileged_userns_apparmor_policy": ABSENT,
    "sysctl.kernel.unprivileged_userns_clone": ABSENT,
    "sysctl.kernel.yama.ptrace_scope": 1,
    "sysctl.user.max_mnt_namespaces": 63379, "sysctl.user.max_net_namespaces": 63379,
    "sysctl.user.max_pid_namespaces": 63379, "sysctl.user.max_user_namespaces": 63379,
    "sysctl.user.max_ipc_namespaces": 63379, "sysctl.user.max_uts_namespaces": 63379,
    "sysctl.user.max_cgroup_namespaces": 63379,
}


def os_release(id_, version, pretty, like=ABSENT):
    return {"os.id": id_, "os.version_id": version, "os.pretty_name": pretty, "os.id_like": like}


def kernel(release, version=None):
    return {"kernel.release": release,
            "kernel.version": version or f"Linux version {release}"}


# /proc/PID/status has a Seccomp_filters line from Linux 5.9 (proc(5)); the
# kinds whose upstream kernel is older have none (a vendor kernel's
# backports are not assumed either way: rhel-8, gvisor and wsl1 keep BASE's).
PRE_5_9 = {"caller.seccomp_filters": ABSENT}


APPARMOR_ON = {"apparmor.enabled": True, "apparmor.label": "unconfined",
               "apparmor.profile_files": [], "apparmor.profiles_loaded": [],
               "lsm.list": ["lockdown", "capability", "landlock", "yama", "apparmor"]}
# The profiles Ubuntu 24.04 loads for applications that need user namespaces
# (apparmor 4.0: /etc/apparmor.d/chrome, …): none attaches to bwrap.
UBUNTU_APP_PROFILES = [
    {"file": "/etc/apparmor.d/chrome", "name": "chrome", "attach": "/opt/google/chrome/chrome",
     "flags": ["unconfined"], "userns": True, "capabilities": [], "mount_all": False,
     "unconfined": True, "disabled": False},
    {"file": "/etc/apparmor.d/unprivileged_userns", "name": "unprivileged_userns",
     "attach": None, "flags": [], "userns": True, "capabilities": [], "mount_all": False,
     "unconfined": False, "disabled": False},
]
BWRAP_USERNS_RESTRICT = [
    # As the probe reads the packaged file (`allow capability,` is every
    # capability, `allow mount,` every mount; unpriv_bwrap's `audit deny
    # capability,` leaves none): tests/it/probe/fixtures.rs,
    # fixture_kinds_carry_bwrap_userns_restrict_as_the_probe_reads_it.
    {"file": "/etc/apparmor.d/bwrap-userns-restrict", "name": "bwrap", "attach": "/usr/bin/bwrap",
     "flags": ["attach_disconnected", "mediate_deleted"], "userns": True, "capabilities": ["all"],
     "mount_all": True, "unconfined": False, "disabled": False},
    {"file": "/etc/apparmor.d/bwrap-userns-restrict", "name": "unpriv_bwrap", "attach": None,
     "flags": ["attach_disconnected", "mediate_deleted"], "userns": True, "capabilities": [],
     "mount_all": True, "unconfined": False, "disabled": False},
]


def loaded(profiles):
    return [{"name": p["name"], "mode": "unconfined" if p["unconfined"] else "enforce"}
            for p in profiles]


UBUNTU_RESTRICT = {"sysctl.kernel.apparmor_restrict_unprivileged_userns": 1,
                   "sysctl.kernel.apparmor_restrict_unprivileged_userns_complain": 0,
                   "sysctl.kernel.apparmor_restrict_unprivileged_unconfined": 0,
                   "sysctl.kernel.unprivileged_userns_apparmor_policy": 1,
                   "apparmor.userns_mediation": True}

KINDS = {}


def kind(name, note, *layers):
    facts = copy.deepcopy(BASE)
    for layer in layers:
        facts.update(copy.deepcopy(layer))
    # bwrap.format: the bwrap file's format, as the probe reads it; a
    # native ELF of kernel.machine at the kind's bwrap.path unless a layer
    # says otherwise.
    if not any("bwrap.format" in layer for layer in layers):
        facts["bwrap.format"] = elf(facts["kernel.machine"], facts["bwrap.path"], True)
    KINDS[name] = (note, facts)


def elf(machine, path, native, binfmt=None):
    """bwrap.format for a 64-bit little-endian ELF of `machine` at `path`."""
    return {"format": "elf", "machine": machine, "class": 64, "endian": "little",
            "native": native, "host_path": path, "binfmt": binfmt}


kind("generic-desktop",
     "A desktop user on an upstream kernel: user namespaces on, no LSM confining bwrap, "
     "the distribution's bwrap 0.8.0 at /usr/bin/bwrap (not setuid).",
     os_release("linux", ABSENT, "Linux"))
kind("debian-12", "Debian 12 (bookworm) desktop: AppArmor on, unprivileged_userns_clone=1 "
     "(default since bullseye), bubblewrap 0.8.0.",
     os_release("debian", "12", "Debian GNU/Linux 12 (bookworm)"), kernel("6.1.0-26-amd64"),
     APPARMOR_ON, {"sysctl.kernel.unprivileged_userns_clone": 1, "sysctl.kernel.yama.ptrace_scope": 0})
kind("debian-13", "Debian 13 (trixie) desktop: as Debian 12, bubblewrap 0.11.0, kernel 6.12.",
     os_release("debian", "13", "Debian GNU/Linux 13 (trixie)"), kernel("6.12.38+deb13-amd64"),
     APPARMOR_ON, {"sysctl.kernel.unprivileged_userns_clone": 1, "bwrap.version": "0.11.0",
                   "sysctl.kernel.yama.ptrace_scope": 0})
kind("debian-11", "Debian 11 (bullseye) desktop: unprivileged_userns_clone=1 (the default "
     "from bullseye on), bubblewrap 0.4.1.",
     os_release("debian", "11", "Debian GNU/Linux 11 (bullseye)"), kernel("5.10.0-32-amd64"),
     APPARMOR_ON, {"sysctl.kernel.unprivileged_userns_clone": 1, "bwrap.version": "0.4.1",
                   "sysctl.kernel.yama.ptrace_scope": 0})
kind("debian-10", "Debian 10 (buster) and older: Debian's kernel patch defaults "
     "kernel.unprivileged_userns_clone to 0, so unprivileged users get no user namespace; "
     "bubblewrap 0.3.1 (setuid only when the admin chose so).",
     os_release("debian", "10", "Debian GNU/Linux 10 (buster)"), kernel("4.19.0-27-amd64"), PRE_5_9,
     APPARMOR_ON, {"sysctl.kernel.unprivileged_userns_clone": 0, "bwrap.version": "0.3.1",
                   "sysctl.kernel.yama.ptrace_scope": 0}, userns_fail("unshare", "EPERM"))
kind("ubuntu-20.04", "Ubuntu 20.04 desktop: AppArmor on, no userns restriction, "
     "bubblewrap 0.4.0.",
     os_release("ubuntu", "20.04", "Ubuntu 20.04.6 LTS", "debian"), kernel("5.15.0-91-generic"),
     APPARMOR_ON, {"sysctl.kernel.unprivileged_userns_clone": 1, "bwrap.version": "0.4.0"})
kind("ubuntu-22.04", "Ubuntu 22.04 desktop: AppArmor on, no userns restriction, "
     "bubblewrap 0.6.1.",
     os_release("ubuntu", "22.04", "Ubuntu 22.04.5 LTS", "debian"), kernel("6.8.0-40-generic"),
     APPARMOR_ON, {"sysctl.kernel.unprivileged_userns_clone": 1, "bwrap.version": "0.6.1"})
kind("ubuntu-24.04-desktop",
     "Ubuntu 24.04 desktop: apparmor_restrict_unprivileged_userns=1, the application "
     "profiles apparmor 4.0 ships, none for bwrap (bwrap-userns-restrict ships unloaded in "
     "apparmor-profiles' extra-profiles), bubblewrap 0.9.0; a program started from the "
     "user's shell is unconfined, so its own user namespace loses its capabilities.",
     os_release("ubuntu", "24.04", "Ubuntu 24.04.1 LTS", "debian"), kernel("6.8.0-31-generic"),
     APPARMOR_ON, UBUNTU_RESTRICT,
     {"sysctl.kernel.unprivileged_userns_clone": 1, "bwrap.version": "0.9.0",
      "apparmor.profile_files": UBUNTU_APP_PROFILES,
      "apparmor.profiles_loaded": loaded(UBUNTU_APP_PROFILES)},
     userns_fail("uid_map", "EPERM"))
kind("ubuntu-24.04-with-exception",
     "Ubuntu 24.04 desktop where the admin loaded bwrap-userns-restrict (the exception for "
     "/usr/bin/bwrap); the caller itself is still unconfined, so the experiments (run by "
     "bwrap-doctor, not bwrap) fail as on ubuntu-24.04-desktop.",
     os_release("ubuntu", "24.04", "Ubuntu 24.04.1 LTS", "debian"), kernel("6.8.0-31-generic"),
     APPARMOR_ON, UBUNTU_RESTRICT,
     {"sysctl.kernel.unprivileged_userns_clone": 1, "bwrap.version": "0.9.0",
      "apparmor.profile_files": UBUNTU_APP_PROFILES + BWRAP_USERNS_RESTRICT,
      "apparmor.profiles_loaded": loaded(UBUNTU_APP_PROFILES + BWRAP_USERNS_RESTRICT)},
     userns_fail("uid_map", "EPERM"))
kind("ubuntu-25.04",
     "Ubuntu 25.04 desktop: the restriction on and bwrap-userns-restrict loaded by default "
     "(apparmor 4.1), bubblewrap 0.11.0.",
     os_release("ubuntu", "25.04", "Ubuntu 25.04", "debian"), kernel("6.14.0-15-generic"),
     APPARMOR_ON, UBUNTU_RESTRICT,
     {"sysctl.kernel.unprivileged_userns_clone": 1, "bwrap.version": "0.11.0",
      "apparmor.profile_files": UBUNTU_APP_PROFILES + BWRAP_USERNS_RESTRICT,
      "apparmor.profiles_loaded": loaded(UBUNTU_APP_PROFILES + BWRAP_USERNS_RESTRICT)},
     userns_fail("uid_map", "EPERM"))
# A program of a strictly confined snap (Steam's) on Ubuntu 24.04: snap-confine
# runs it under the profile snapd generated for it (snap.steam.steam, enforce)
# and loads snapd's seccomp filters, three since the .bin2 profiles (the
# snap's deny and allow filters, then the global one: snap-confine's
# seccomp-support.c) with CAP_SYS_ADMIN, so without no_new_privs; the snap's
# mount namespace is rooted in its base snap (pivot_root), so pid 1's root cannot be compared (another mount namespace,
# /proc/1/root closed to the user). The host's /etc, /proc and sysctls show
# through. Pressure-vessel runs the Steam Runtime's own bwrap; the restriction
# does not move a confined process to unprivileged_userns (the snap's profile
# grants userns through steam-support), so the experiments pass.
SNAP_STEAM_BWRAP = ("/home/user/snap/steam/common/.local/share/Steam/steamapps/common/"
                    "SteamLinuxRuntime_sniper/pressure-vessel/libexec/steam-runtime-tools-0/srt-bwrap")
kind("snap-steam",
     "A program of the Steam snap (strict confinement) on Ubuntu 24.04: the caller is "
     "confined by the snap's AppArmor profile snap.steam.steam (enforce) and snapd's seccomp "
     "filters (no no_new_privs), the restriction sysctl on, pressure-vessel's bundled bwrap "
     "(0.10.0) under the snap's home; the snap's mount namespace hides whether / is pid 1's root.",
     os_release("ubuntu", "24.04", "Ubuntu 24.04.1 LTS", "debian"), kernel("6.8.0-31-generic"),
     APPARMOR_ON, UBUNTU_RESTRICT,
     {"sysctl.kernel.unprivileged_userns_clone": 1, "bwrap.version": "0.10.0",
      "bwrap.path": SNAP_STEAM_BWRAP, "bwrap.realpath": SNAP_STEAM_BWRAP, "bwrap.owner_uid": 1000,
      "apparmor.label": "snap.steam.steam (enforce)",
      "apparmor.profile_files": UBUNTU_APP_PROFILES,
      "apparmor.profiles_loaded": loaded(UBUNTU_APP_PROFILES),
      "caller.seccomp": 2, "caller.seccomp_filters": 3,
      "chroot": {"unavailable": "cannot look at /proc/1/root: Permission denied (os error 13); "
                                "/ is a mount point, and pid 1 is in another mount namespace"},
      "container.evidence": evidence(chroot="unavailable (cannot look at /proc/1/root: Permission "
                                     "denied (os error 13); / is a mount point, and pid 1 is in "
                                     "another mount namespace)")})
kind("fedora", "Fedora Workstation (also its atomic desktops): SELinux enforcing, the user "
     "in unconfined_t, user namespaces on, bubblewrap 0.11.0.",
     os_release("fedora", "42", "Fedora Linux 42 (Workstation Edition)"),
     kernel("6.14.0-63.fc42.x86_64"),
     {"selinux.mode": "enforcing",
      "selinux.context": "unconfined_u:unconfined_r:unconfined_t:s0-s0:c0.c1023",
      "bwrap.version": "0.11.0",
      "lsm.list": ["lockdown", "capability", "yama", "selinux", "bpf", "landlock"]})
kind("rhel-8", "RHEL 8 and its rebuilds (Alibaba Cloud Linux 3, Rocky, Alma 8): user "
     "namespaces on (user.max_user_namespaces > 0 since 8.0), SELinux enforcing, "
     "bubblewrap 0.4.0.",
     os_release("rhel", "8.10", "Red Hat Enterprise Linux 8.10 (Ootpa)", "fedora"),
     kernel("4.18.0-553.el8_10.x86_64"),
     {"selinux.mode": "enforcing",
      "selinux.context": "unconfined_u:unconfined_r:unconfined_t:s0-s0:c0.c1023",
      "bwrap.version": "0.4.0", "kernel.namespaces": [n for n in NS if n != "time"],
      "lsm.list": ["capability", "yama", "selinux"]})
kind("rhel-7", "CentOS/RHEL 7: user.max_user_namespaces=0 by default, SELinux enforcing, "
     "bubblewrap 0.4.1 (EPEL 0.1.8 before).",
     os_release("rhel", "7.9", "Red Hat Enterprise Linux Server 7.9 (Maipo)", "fedora"),
     kernel("3.10.0-1160.el7.x86_64"), PRE_5_9,
     {"selinux.mode": "enforcing",
      "selinux.context": "unconfined_u:unconfined_r:unconfined_t:s0-s0:c0.c1023",
      "bwrap.version": "0.4.1", "sysctl.user.max_user_namespaces": 0,
      "kernel.namespaces": ["ipc", "mnt", "net", "pid", "user", "uts"],
      "lsm.list": {"unavailable": "/sys/kernel/security/lsm is missing (a kernel before 4.15)"}},
     userns_fail("unshare", "ENOSPC"))
kind("arch", "Arch Linux (and Artix, Manjaro): the linux package keeps "
     "kernel.unprivileged_userns_clone=1, no LSM confining bwrap, bubblewrap 0.11.0.",
     os_release("arch", ABSENT, "Arch Linux"), kernel("6.16.1-arch1-1"),
     {"sysctl.kernel.unprivileged_userns_clone": 1, "bwrap.version": "0.11.0"})
kind("arch-hardened", "Arch Linux with the linux-hardened kernel package: its configuration leaves "
     "CONFIG_USER_NS_UNPRIVILEGED off, so kernel.unprivileged_userns_clone defaults to 0 and an "
     "unprivileged user gets no user namespace; no LSM confining bwrap, bubblewrap 0.11.0 (not setuid).",
     os_release("arch", ABSENT, "Arch Linux"), kernel("6.16.1-hardened1-1-hardened"),
     {"sysctl.kernel.unprivileged_userns_clone": 0, "bwrap.version": "0.11.0"},
     userns_fail("unshare", "EPERM"))
kind("no-userns-kernel", "A distribution kernel built without CONFIG_USER_NS (Arch's linux "
     "until late 2017; Slackware 14.x; self-configured kernels): no "
     "user namespace at all (unshare gives EINVAL), no /proc/self/ns/user.",
     os_release("arch", ABSENT, "Arch Linux"), kernel("4.8.13-1-ARCH"), PRE_5_9,
     {"kernel.namespaces": ["cgroup", "ipc", "mnt", "net", "pid", "uts"], "bwrap.version": "0.1.8",
      "sysctl.user.max_user_namespaces": ABSENT,
      "lsm.list": ["capability"]},
     userns_fail("unshare", "EINVAL"))
kind("nixos", "NixOS: user namespaces on (security.allowUserNamespaces defaults to true), "
     "no LSM confining bwrap, bubblewrap from the Nix store (not setuid).",
     os_release("nixos", "25.05", "NixOS 25.05 (Warbler)"), kernel("6.12.41"),
     {"bwrap.path": "/nix/store/00000000000000000000000000000000-bubblewrap-0.11.0/bin/bwrap",
      "bwrap.realpath": "/nix/store/00000000000000000000000000000000-bubblewrap-0.11.0/bin/bwrap",
      "bwrap.mode": "0555", "bwrap.version": "0.11.0"})
kind("wsl1", "Windows Subsystem for Linux 1 (Ubuntu 20.04 image): no user namespaces "
     "(unshare gives EINVAL), no LSM, bubblewrap 0.4.0.",
     os_release("ubuntu", "20.04", "Ubuntu 20.04.6 LTS", "debian"),
     kernel("4.4.0-19041-Microsoft", "Linux version 4.4.0-19041-Microsoft (Microsoft@Microsoft.com) "
            "(gcc version 5.4.0 (GCC) ) #1237-Microsoft Sat Sep 11 14:32:00 PST 2021"),
     {"container.kind": "wsl1", "bwrap.version": "0.4.0", "lsm.list": ABSENT,
      "caller.uid_map": ABSENT, "container.evidence": evidence(**{"/proc/version": "Microsoft (WSL1)"}),
      "sysctl.user.max_user_namespaces": ABSENT, "sysctl.user.max_mnt_namespaces": ABSENT,
      "sysctl.user.max_net_namespaces": ABSENT, "sysctl.user.max_pid_namespaces": ABSENT,
      "sysctl.user.max_ipc_namespaces": ABSENT, "sysctl.user.max_uts_namespaces": ABSENT,
      "sysctl.user.max_cgroup_namespaces": ABSENT,
      "sysctl.fs.mount-max": ABSENT, "sysctl.kernel.yama.ptrace_scope": ABSENT},
     userns_fail("unshare", "EINVAL"))
kind("wsl2", "Windows Subsystem for Linux 2 (Ubuntu 22.04 image on Microsoft's kernel): "
     "user namespaces on, no AppArmor in Microsoft's kernel config, bubblewrap 0.6.1.",
     os_release("ubuntu", "22.04", "Ubuntu 22.04.5 LTS", "debian"),
     kernel("5.15.167.4-microsoft-standard-WSL2"),
     {"container.kind": "wsl2", "bwrap.version": "0.6.1",
      "container.evidence": evidence(**{"/proc/version": "microsoft-standard-WSL2 (WSL2)"})})
kind("docker-default", "A Debian 12 image run by Docker on an Ubuntu 24.04 host (AppArmor, "
     "the host's sysctls show through /proc/sys) with its defaults (no --privileged, "
     "the default seccomp profile, docker-default AppArmor label on an AppArmor host, masked "
     "and read-only /proc paths, the default capability set) as root, Docker's default user; "
     "the default seccomp profile refuses unshare/clone of namespaces without CAP_SYS_ADMIN.",
     os_release("debian", "12", "Debian GNU/Linux 12 (bookworm)"), kernel("6.8.0-45-generic"),
     {"container.kind": "docker", "apparmor.enabled": True,
      "apparmor.label": "docker-default (enforce)", "apparmor.profile_files": ABSENT,
      "apparmor.profiles_loaded": {"unavailable": "securityfs is not mounted in the container"},
      "lsm.list": {"unavailable": "securityfs is not mounted in the container"},
      "caller.uid": 0, "caller.euid": 0, "caller.caps_effective": DOCKER_CAPS,
      "caller.caps_permitted": DOCKER_CAPS, "caller.caps_bounding": DOCKER_CAPS,
      "caller.seccomp": 2, "caller.seccomp_filters": 1, "proc.masked": DOCKER_MASKED,
      "proc.read_only": DOCKER_RO, "apparmor.userns_mediation": {"unavailable": "securityfs is not mounted in the container"},
      "container.evidence": evidence(**{"/.dockerenv": "present (docker)"}),
      "sysctl.kernel.apparmor_restrict_unprivileged_userns": 1,
      "sysctl.kernel.apparmor_restrict_unprivileged_userns_complain": 0,
      "sysctl.kernel.apparmor_restrict_unprivileged_unconfined": 0,
      "sysctl.kernel.unprivileged_userns_apparmor_policy": 1,
      "sysctl.kernel.unprivileged_userns_clone": 1,
      "experiment.userns": fail("unshare(CLONE_NEWUSER)", "EPERM"),
      "experiment.netns": fail("unshare(CLONE_NEWNET)", "EPERM"),
      "experiment.proc_mount": fail("unshare(CLONE_NEWNS|CLONE_NEWPID)", "EPERM")})
kind("podman-rootless", "A Fedora image run by rootless Podman with its defaults: root in "
     "the container is the user's uid in a user namespace, Podman's default capabilities "
     "and seccomp profile (containers/common), container_t SELinux label, Docker's masked "
     "/proc paths. Nested user namespaces are allowed (assumed: containers/common's profile "
     "allows unshare).",
     os_release("fedora", "42", "Fedora Linux 42 (Container Image)"),
     kernel("6.14.0-63.fc42.x86_64"),
     {"container.kind": "podman", "selinux.mode": "enforcing",
      "selinux.context": "system_u:system_r:container_t:s0:c1,c2",
      "lsm.list": {"unavailable": "securityfs is not mounted in the container"},
      "caller.uid": 0, "caller.euid": 0, "caller.caps_effective": PODMAN_CAPS,
      "caller.caps_permitted": PODMAN_CAPS, "caller.caps_bounding": PODMAN_CAPS,
      "caller.seccomp": 2, "caller.seccomp_filters": 1, "caller.in_initial_userns": False,
      "caller.uid_map": "0 1000 1\n1 100000 65536", "proc.masked": DOCKER_MASKED,
      "proc.read_only": DOCKER_RO, "bwrap.version": "0.11.0",
      "container.evidence": evidence(**{"/run/.containerenv": "present (podman)"}),
      "experiment.userns": OK,
      "experiment.netns": fail("unshare(CLONE_NEWNET)", "EPERM"),
      "experiment.proc_mount": fail("unshare(CLONE_NEWNS|CLONE_NEWPID)", "EPERM")})
kind("kubernetes", "A pod with the container runtime's defaults (containerd): root, the "
     "default capability set, masked and read-only /proc paths, seccomp Unconfined "
     "(Kubernetes' default unless SeccompDefault is set), Debian 12 image, on a node whose "
     "kernel has AppArmor on (Debian's default), where containerd's CRI gives a pod that "
     "names no profile its runtime default, cri-containerd.apparmor.d, which denies mount "
     "(containerd generateApparmorSpecOpts, after kubernetes#51746).",
     os_release("debian", "12", "Debian GNU/Linux 12 (bookworm)"), kernel("6.1.0-26-cloud-amd64"),
     {"container.kind": "kubernetes", "lsm.list": {"unavailable": "securityfs is not mounted in the container"},
      "apparmor.enabled": True, "apparmor.label": "cri-containerd.apparmor.d (enforce)",
      "caller.uid": 0, "caller.euid": 0, "caller.caps_effective": DOCKER_CAPS,
      "caller.caps_permitted": DOCKER_CAPS, "caller.caps_bounding": DOCKER_CAPS,
      "proc.masked": DOCKER_MASKED, "proc.read_only": DOCKER_RO,
      "container.evidence": evidence(**{"KUBERNETES_SERVICE_HOST": "set",
                                        "/var/run/secrets/kubernetes.io/serviceaccount": "present"}),
      "experiment.userns": OK,
      "experiment.netns": fail("unshare(CLONE_NEWNET)", "EPERM"),
      "experiment.proc_mount": fail("unshare(CLONE_NEWNS|CLONE_NEWPID)", "EPERM")})
kind("lxc-unprivileged", "An unprivileged LXC/Incus/LXD container (also Crostini's penguin): "
     "root mapped to a host range, LXC's default AppArmor profile, lxcfs files mounted over "
     "/proc (so the kernel refuses a new procfs in a user namespace), Debian 12 image.",
     os_release("debian", "12", "Debian GNU/Linux 12 (bookworm)"), kernel("6.8.0-45-generic"),
     {"container.kind": "lxc", "apparmor.enabled": True,
      "apparmor.label": "lxc-container-default-cgns (enforce)",
      "apparmor.profile_files": [], "apparmor.profiles_loaded": {"unavailable": "securityfs is not mounted in the container"},
      "lsm.list": {"unavailable": "securityfs is not mounted in the container"},
      "caller.uid": 0, "caller.euid": 0, "caller.caps_effective": ALL_CAPS,
      "caller.caps_permitted": ALL_CAPS, "caller.seccomp": 2, "caller.seccomp_filters": 1,
      "caller.in_initial_userns": False, "caller.uid_map": "0 1000000 1000000000",
      "proc.masked": ["/proc/cpuinfo", "/proc/diskstats", "/proc/loadavg", "/proc/meminfo",
                      "/proc/stat", "/proc/swaps", "/proc/uptime", "/proc/slabinfo"],
      "proc.read_only": ["/proc/sys", "/proc/sysrq-trigger"],
      "container.evidence": evidence(**{"/run/systemd/container": "lxc"}),
      "sysctl.kernel.unprivileged_userns_clone": 1,
      "experiment.proc_mount": fail("mount proc", "EPERM")})
kind("systemd-nspawn", "A systemd-nspawn container with its defaults: root with nspawn's "
     "capability set (which keeps CAP_SYS_ADMIN), its seccomp filter, /proc/sys read-only "
     "and /proc/kallsyms, kcore, keys, sysrq-trigger, timer_list made inaccessible.",
     os_release("debian", "12", "Debian GNU/Linux 12 (bookworm)"), kernel("6.1.0-26-amd64"),
     {"container.kind": "systemd-nspawn", "caller.uid": 0, "caller.euid": 0,
      "caller.caps_effective": [c for c in ALL_CAPS if c not in ("cap_sys_module", "cap_sys_rawio", "cap_sys_time", "cap_sys_pacct", "cap_syslog", "cap_mac_admin", "cap_mac_override", "cap_wake_alarm", "cap_block_suspend", "cap_bpf", "cap_perfmon", "cap_checkpoint_restore")],
      "caller.seccomp": 2, "caller.seccomp_filters": 1,
      "proc.masked": ["/proc/kallsyms", "/proc/kcore", "/proc/keys", "/proc/sysrq-trigger", "/proc/timer_list"],
      "proc.read_only": ["/proc/sys"],
      "container.evidence": evidence(**{"/run/systemd/container": "systemd-nspawn"}),
      "sysctl.kernel.unprivileged_userns_clone": 1})
KINDS["systemd-nspawn"][1]["caller.caps_permitted"] = KINDS["systemd-nspawn"][1]["caller.caps_effective"]
KINDS["systemd-nspawn"][1]["caller.caps_bounding"] = KINDS["systemd-nspawn"][1]["caller.caps_effective"]
kind("gvisor", "gVisor (runsc) with Docker: the sentry's own kernel says 4.4.0 in "
     "/proc/version, user namespaces are emulated, root in the container with Docker's "
     "capability set; Docker's seccomp profile is not applied inside the sandbox "
     "(runsc applies it only with --oci-seccomp).",
     os_release("debian", "12", "Debian GNU/Linux 12 (bookworm)"),
     kernel("4.4.0", "Linux version 4.4.0 #1 SMP Sun Jan 10 15:06:54 PST 2016"),
     {"container.kind": "gvisor", "caller.uid": 0, "caller.euid": 0,
      "caller.caps_effective": DOCKER_CAPS, "caller.caps_permitted": DOCKER_CAPS,
      "caller.caps_bounding": DOCKER_CAPS, "lsm.list": ABSENT,
      "sysctl.kernel.overflowuid": {"unavailable": "gVisor's /proc/sys is its own; not documented"},
      "sysctl.kernel.yama.ptrace_scope": ABSENT, "sysctl.fs.mount-max": ABSENT,
      "container.evidence": evidence(**{"/proc/version": "gVisor"}),
      "experiment.netns": fail("unshare(CLONE_NEWNET)", "EPERM"),
      "experiment.proc_mount": fail("unshare(CLONE_NEWNS|CLONE_NEWPID)", "EPERM")})
kind("qemu-user", "An arm64 image run with --platform linux/arm64 and --privileged by Docker "
     "(or Podman) on an x86_64 host whose binfmt_misc has qemu-user-static's qemu-aarch64 "
     "handler with the F flag (Debian's qemu-user-static, tonistiigi/binfmt, Docker Desktop, "
     "Podman machine): every program of the image, bwrap and the shim too, runs under "
     "qemu-user. --privileged: root, every capability, no seccomp filter, unconfined. "
     "bwrap is an aarch64 ELF on an x86_64 kernel (6.1+, so kernel.machine comes from "
     "/proc/sys/kernel/arch, which qemu-user does not translate); binfmt_misc is not mounted "
     "in the container. qemu-user refuses the namespace flags of clone() (EINVAL) and the "
     "kernel refuses unshare(CLONE_NEWUSER) to its multithreaded process (EINVAL), so the "
     "shim's user namespace experiment fails so; unshare of the other namespaces passes.",
     os_release("debian", "12", "Debian GNU/Linux 12 (bookworm)"), kernel("6.8.0-45-generic"),
     {"container.kind": "docker", "apparmor.enabled": True, "apparmor.label": "unconfined",
      "apparmor.profile_files": ABSENT,
      "apparmor.profiles_loaded": {"unavailable": "securityfs is not mounted in the container"},
      "lsm.list": {"unavailable": "securityfs is not mounted in the container"},
      "apparmor.userns_mediation": {"unavailable": "securityfs is not mounted in the container"},
      "caller.uid": 0, "caller.euid": 0, "caller.caps_effective": ALL_CAPS,
      "caller.caps_permitted": ALL_CAPS, "caller.caps_bounding": ALL_CAPS,
      "container.evidence": evidence(**{"/.dockerenv": "present (docker)"}),
      "sysctl.kernel.unprivileged_userns_clone": 1,
      "bwrap.format": elf("aarch64", "/usr/bin/bwrap", False, "unknown"),
      "experiment.userns": fail("unshare(CLONE_NEWUSER)", "EINVAL")})
kind("chroot", "A Debian 12 chroot on a Debian 12 host, used by an ordinary user (schroot "
     "runs the user's own uid; 'chroot' then 'su -l user'): the caller's root is not its "
     "mount namespace's root, and the kernel refuses such a process a user namespace "
     "(clone(2): EPERM).",
     os_release("debian", "12", "Debian GNU/Linux 12 (bookworm)"), kernel("6.1.0-26-amd64"),
     {"container.kind": "chroot", "chroot": True, "sysctl.kernel.unprivileged_userns_clone": 1,
      "container.evidence": evidence(chroot="/ is not pid 1's root")},
     userns_fail("unshare", "EPERM"))
kind("nested-flatpak", "Inside a Flatpak app (not --devel): bwrap is pid 1's ancestor, the "
     "app runs in a user namespace with no capabilities, no_new_privs, and Flatpak's seccomp "
     "filter refuses unshare and clone(CLONE_NEWUSER) with EPERM.",
     os_release("org.freedesktop.platform", "24.08", "Freedesktop SDK 24.08 (Flatpak runtime)"),
     kernel("6.14.0-63.fc42.x86_64"),
     {"container.kind": "flatpak", "sandbox.outer_bwrap": True, "caller.no_new_privs": 1,
      "caller.seccomp": 2, "caller.seccomp_filters": 1, "caller.in_initial_userns": False,
      "caller.uid_map": "1000 1000 1", "caller.caps_bounding": [], "bwrap.version": "0.10.0",
      "lsm.list": {"unavailable": "securityfs is not mounted in the sandbox"},
      "container.evidence": evidence(**{"/.flatpak-info": "present (flatpak)",
                                        "outer bwrap": "an ancestor is bwrap"}),
      "sysctl.user.max_user_namespaces": 1},
     userns_fail("unshare", "EPERM"))
kind("nested-bwrap", "Inside another bwrap sandbox (a Steam pressure-vessel container, an "
     "FHS environment): a user namespace with no capabilities, no seccomp filter.",
     os_release("steamrt", "3", "Steam Runtime 3 (sniper)", "debian"), kernel("6.8.0-45-generic"),
     {"container.kind": "bwrap", "sandbox.outer_bwrap": True, "caller.in_initial_userns": False,
      "caller.uid_map": "1000 1000 1", "caller.caps_bounding": [],
      "container.evidence": evidence(**{"outer bwrap": "an ancestor is bwrap"})})
kind("firejail", "Inside a firejail sandbox started by a desktop user without a profile "
     "(firejail --noprofile): new mount and pid namespaces, no user namespace, no seccomp "
     "filter, no capability dropped; firejail's fs_proc_sys_dev_boot() (src/firejail/fs.c, "
     "run for every sandbox) remounts /proc/sys read-only and covers /proc/bus, /proc/irq, "
     "/proc/kallsyms, /proc/kcore, /proc/sysrq-trigger, /proc/timer_list and /proc/sys files "
     "(binfmt_misc, core_pattern, modprobe, panic_on_oom) with empty ones, so a new procfs is "
     "refused in a user namespace. No marker the container probe reads: pid 1 is firejail's "
     "own process, whose environment (container=firejail) a user cannot read.",
     os_release("linux", ABSENT, "Linux"),
     {"proc.masked": ["/proc/bus", "/proc/irq", "/proc/kallsyms", "/proc/kcore",
                      "/proc/sys/fs/binfmt_misc", "/proc/sys/kernel/core_pattern",
                      "/proc/sys/kernel/modprobe", "/proc/sys/vm/panic_on_oom",
                      "/proc/sysrq-trigger", "/proc/timer_list"],
      "proc.read_only": ["/proc/sys"],
      "experiment.proc_mount": fail("mount proc", "EPERM")})

OUT.mkdir(parents=True, exist_ok=True)
for old in OUT.glob("*.json"):
    old.unlink()
for name, (note, facts) in KINDS.items():
    snap = {"schema": "bwrap-doctor/snapshot", "schema_version": 1,
            "tool_version": "0.1.0", "taken_at": "2026-12-04T00:00:00Z",
            "note": f"fixture host kind {name}: {note}",
            "facts": dict(sorted(facts.items()))}
    (OUT / f"{name}.json").write_text(json.dumps(snap, indent=2) + "\n")
print(len(KINDS), "kinds")
