//! Every fact key a rule may ask for, with what it means and which probe
//! answers it: the table `docs/snapshot.md` shows (a test,
//! tests/it/probe/catalogue.rs, generates the table from this list and
//! keeps the document in step).

/// How a probe gets its value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Reads the host (files under the root).
    Host,
    /// Runs something: a namespace experiment, `bwrap --version`.
    Experiment,
    /// Computed from other facts or from the call's arguments; works on a
    /// snapshot too.
    Derived,
}

/// Which probe answers a key: what [`super::Probe::parse`] turns the key
/// into.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    /// `sysctl.NAME`, from /proc/sys.
    Sysctl,
    /// The kernel, the OS release, the LSMs, `SELinux`.
    System,
    /// `AppArmor`'s state and profiles on the host.
    AppArmor,
    /// The bwrap that ran, as a file (and `bwrap --version`).
    Bwrap,
    /// The caller's credentials and filters.
    Caller,
    /// What the caller runs inside: a container, an outer sandbox, a chroot.
    Container,
    /// A namespace experiment in a forked child.
    Experiment,
    /// Mounts over /proc.
    ProcMounts,
    /// `path.exists:PATH`.
    PathExists,
    /// `path.first_symlink:PATH`.
    PathFirstSymlink,
    /// `path.fstype:PATH`.
    PathFstype,
    /// `path.mount:PATH`.
    PathMount,
    /// `file.interpreter:PATH`.
    FileInterpreter,
    /// `file.format:PATH`.
    FileFormat,
    /// `file.seen_foreign:PATH`.
    SeenForeign,
    /// `bwrap.path`: the bwrap that ran, from the call's context.
    BwrapPath,
    /// `args.*`: the failing call's own arguments.
    Args,
    /// `args.unsupported_namespaces`.
    UnsupportedNamespaces,
    /// `args.covers_interpreter:PROGRAM`.
    CoversInterpreter,
    /// `bwrap.knows_option:OPTION`.
    KnowsOption,
    /// `fix.apparmor_profile_file`.
    AppArmorProfileFile,
    /// `fix.apparmor_profile`.
    AppArmorProfile,
    /// `AppArmor` facts computed from other `AppArmor` facts.
    AppArmorDerived,
}

/// One entry of the catalogue: a key (or key prefix, for probes that take
/// an argument), what it means, and its value.
#[derive(Debug, Clone, Copy)]
pub struct Entry {
    /// The key, or for a family the prefix up to and including `.`/`:`.
    pub key: &'static str,
    /// Takes an argument after the key (`sysctl.NAME`, `path.exists:PATH`).
    pub takes_arg: bool,
    pub kind: Kind,
    /// Which probe answers it.
    pub family: Family,
    /// Recorded by `bwrap-doctor snapshot`.
    pub in_snapshot: bool,
    pub value: &'static str,
    pub meaning: &'static str,
}

/// Every fact a rule may ask for.
pub const CATALOGUE: &[Entry] = &[
    // system
    Entry {
        key: "kernel.release",
        takes_arg: false,
        kind: Kind::Host,
        family: Family::System,
        in_snapshot: true,
        value: "string",
        meaning: "uname -r (/proc/sys/kernel/osrelease)",
    },
    Entry {
        key: "kernel.version",
        takes_arg: false,
        kind: Kind::Host,
        family: Family::System,
        in_snapshot: true,
        value: "string",
        meaning: "/proc/version; WSL1 and gVisor show themselves here",
    },
    Entry {
        key: "kernel.machine",
        takes_arg: false,
        kind: Kind::Host,
        family: Family::System,
        in_snapshot: true,
        value: "string (x86_64, aarch64, armv7l, ppc64le, riscv64…)",
        meaning: "uname -m, the machine this kernel runs (/proc/sys/kernel/arch; uname(2) where that file is missing): what file.format compares a program's ELF machine with",
    },
    Entry {
        key: "kernel.namespaces",
        takes_arg: false,
        kind: Kind::Host,
        family: Family::System,
        in_snapshot: true,
        value: "list of strings",
        meaning: "the namespace kinds this kernel has: the entries of /proc/self/ns (cgroup, ipc, net, pid, user, uts…)",
    },
    Entry {
        key: "os.id",
        takes_arg: false,
        kind: Kind::Host,
        family: Family::System,
        in_snapshot: true,
        value: "string",
        meaning: "ID from /etc/os-release (ubuntu, debian, fedora…)",
    },
    Entry {
        key: "os.id_like",
        takes_arg: false,
        kind: Kind::Host,
        family: Family::System,
        in_snapshot: true,
        value: "string",
        meaning: "ID_LIKE from /etc/os-release",
    },
    Entry {
        key: "os.version_id",
        takes_arg: false,
        kind: Kind::Host,
        family: Family::System,
        in_snapshot: true,
        value: "string",
        meaning: "VERSION_ID from /etc/os-release (24.04, 12…)",
    },
    Entry {
        key: "os.pretty_name",
        takes_arg: false,
        kind: Kind::Host,
        family: Family::System,
        in_snapshot: true,
        value: "string",
        meaning: "PRETTY_NAME from /etc/os-release",
    },
    Entry {
        key: "lsm.list",
        takes_arg: false,
        kind: Kind::Host,
        family: Family::System,
        in_snapshot: true,
        value: "list of strings; absent without securityfs",
        meaning: "active LSMs (/sys/kernel/security/lsm)",
    },
    Entry {
        key: "sysctl.",
        takes_arg: true,
        kind: Kind::Host,
        family: Family::Sysctl,
        in_snapshot: false,
        value: "integer or string; absent if this kernel has no such sysctl",
        meaning: "a sysctl, by its dotted name: sysctl.kernel.unprivileged_userns_clone",
    },
    // AppArmor
    Entry {
        key: "apparmor.enabled",
        takes_arg: false,
        kind: Kind::Host,
        family: Family::AppArmor,
        in_snapshot: true,
        value: "bool; absent without AppArmor in the kernel",
        meaning: "/sys/module/apparmor/parameters/enabled",
    },
    Entry {
        key: "apparmor.userns_mediation",
        takes_arg: false,
        kind: Kind::Host,
        family: Family::AppArmor,
        in_snapshot: true,
        value: "bool",
        meaning: "AppArmor can mediate user namespace creation (features/namespaces/userns_create)",
    },
    Entry {
        key: "apparmor.label",
        takes_arg: false,
        kind: Kind::Host,
        family: Family::AppArmor,
        in_snapshot: true,
        value: "string",
        meaning: "the caller's AppArmor confinement, e.g. \"unconfined\", \"docker-default (enforce)\"",
    },
    Entry {
        key: "apparmor.profiles_loaded",
        takes_arg: false,
        kind: Kind::Host,
        family: Family::AppArmor,
        in_snapshot: true,
        value: "list of {name, mode}; unavailable without permission",
        meaning: "loaded profiles (/sys/kernel/security/apparmor/profiles)",
    },
    Entry {
        key: "apparmor.profile_files",
        takes_arg: false,
        kind: Kind::Host,
        family: Family::AppArmor,
        in_snapshot: true,
        value: "list of {file, name, attach, flags, userns, capabilities, mount_all, unconfined, disabled}; absent without /etc/apparmor.d",
        meaning: "profiles in /etc/apparmor.d and the executable paths they attach to (attach: variables expanded, null when none)",
    },
    Entry {
        key: "apparmor.loaded_attachments",
        takes_arg: false,
        kind: Kind::Host,
        family: Family::AppArmor,
        in_snapshot: false,
        value: "list of {name, attach, mode}; unavailable without permission",
        meaning: "loaded profiles and what each attaches to (/sys/kernel/security/apparmor/policy/profiles/*/{name,attach,mode})",
    },
    Entry {
        key: "apparmor.own_profiles",
        takes_arg: false,
        kind: Kind::Host,
        family: Family::AppArmor,
        in_snapshot: false,
        value: "list of {file, name, attach, exists}; exists is null for a pattern",
        meaning: "profiles bwrap-doctor wrote (files in /etc/apparmor.d starting with its marker line) and whether the path each attaches to still exists",
    },
    Entry {
        key: "apparmor.covering_profile",
        takes_arg: false,
        kind: Kind::Derived,
        family: Family::AppArmorDerived,
        in_snapshot: false,
        value: "{file, name, attach}; absent if none",
        meaning: "the profile file that attaches to the bwrap that ran (bwrap.path or bwrap.realpath), allows userns, is not disabled, and is loaded when the loaded list is known",
    },
    Entry {
        key: "apparmor.confining_profile",
        takes_arg: false,
        kind: Kind::Derived,
        family: Family::AppArmorDerived,
        in_snapshot: false,
        value: "{file, name, attach, flags, capabilities, mount_all}; absent if none",
        meaning: "a profile that confines the bwrap that ran: attached to bwrap.path or bwrap.realpath, not disabled, not unconfined, and loaded in enforce mode when the loaded list is known",
    },
    Entry {
        key: "apparmor.attachment_conflicts",
        takes_arg: false,
        kind: Kind::Derived,
        family: Family::AppArmorDerived,
        in_snapshot: false,
        value: "list of {path, profiles: [{name, attach, file, loaded}]}",
        meaning: "profiles tied for a bwrap path (the bwrap that ran, or a plain path a bwrap profile attaches to): AppArmor attaches none of them (\"conflicting profile attachments\")",
    },
    Entry {
        key: "apparmor.conflict_for_bwrap",
        takes_arg: false,
        kind: Kind::Derived,
        family: Family::AppArmorDerived,
        in_snapshot: false,
        value: "{path, profiles: [{name, attach, file, loaded}]}; absent if none",
        meaning: "profiles tied for the path or real path of the bwrap that ran: AppArmor attaches none of them, so none exempts it",
    },
    Entry {
        key: "apparmor.bwrap_exceptions",
        takes_arg: false,
        kind: Kind::Derived,
        family: Family::AppArmorDerived,
        in_snapshot: false,
        value: "list of {file, name, attach}",
        meaning: "profiles (not disabled) that allow userns, or are unconfined, for an executable whose path or profile name mentions bwrap (e.g. Ubuntu's bwrap-userns-restrict)",
    },
    // SELinux
    Entry {
        key: "selinux.mode",
        takes_arg: false,
        kind: Kind::Host,
        family: Family::System,
        in_snapshot: true,
        value: "enforcing | permissive | disabled",
        meaning: "SELinux mode (/sys/fs/selinux/enforce)",
    },
    Entry {
        key: "selinux.context",
        takes_arg: false,
        kind: Kind::Host,
        family: Family::System,
        in_snapshot: true,
        value: "string",
        meaning: "the caller's SELinux context; absent when SELinux is not active",
    },
    // the bwrap that ran
    Entry {
        key: "bwrap.path",
        takes_arg: false,
        kind: Kind::Derived,
        family: Family::BwrapPath,
        in_snapshot: true,
        value: "string",
        meaning: "the real bwrap that ran",
    },
    Entry {
        key: "bwrap.realpath",
        takes_arg: false,
        kind: Kind::Host,
        family: Family::Bwrap,
        in_snapshot: true,
        value: "string",
        meaning: "bwrap.path with symlinks resolved",
    },
    Entry {
        key: "bwrap.setuid",
        takes_arg: false,
        kind: Kind::Host,
        family: Family::Bwrap,
        in_snapshot: true,
        value: "bool",
        meaning: "setuid root",
    },
    Entry {
        key: "bwrap.mode",
        takes_arg: false,
        kind: Kind::Host,
        family: Family::Bwrap,
        in_snapshot: true,
        value: "string (octal, e.g. \"0755\")",
        meaning: "permission bits",
    },
    Entry {
        key: "bwrap.owner_uid",
        takes_arg: false,
        kind: Kind::Host,
        family: Family::Bwrap,
        in_snapshot: true,
        value: "integer",
        meaning: "file owner",
    },
    Entry {
        key: "bwrap.readable",
        takes_arg: false,
        kind: Kind::Host,
        family: Family::Bwrap,
        in_snapshot: true,
        value: "bool",
        meaning: "the caller can read the file (an execute-only bwrap is not dumpable); on a fixture, from the mode bits and caller.euid",
    },
    Entry {
        key: "bwrap.file_caps",
        takes_arg: false,
        kind: Kind::Host,
        family: Family::Bwrap,
        in_snapshot: true,
        value: "list of capability names; absent if none",
        meaning: "file capabilities (security.capability)",
    },
    Entry {
        key: "bwrap.format",
        takes_arg: false,
        kind: Kind::Host,
        family: Family::Bwrap,
        in_snapshot: true,
        value: "{format, machine, class, endian, native, host_path, binfmt, emulation}: as file.format's, for the bwrap file; emulation \"seen\" (a foreign ELF), \"ruled-out\" (an ELF of kernel.machine read from /proc/sys/kernel/arch, which qemu-user does not answer), \"unknown\" (the machine from uname(2), which an emulator answers; a script; a compatibility program)",
        meaning: "the format of the bwrap that ran, read as file.format reads a program (at most 64 bytes, in a time-bounded child): an ELF of another machine than kernel.machine (native false) ran under an emulator, binfmt_misc's handler for it (qemu-user), not on the kernel itself",
    },
    Entry {
        key: "bwrap.version",
        takes_arg: false,
        kind: Kind::Experiment,
        family: Family::Bwrap,
        in_snapshot: true,
        value: "string, e.g. \"0.8.0\"",
        meaning: "from `bwrap --version`",
    },
    // the caller (the shim runs with the caller's credentials and filters)
    Entry {
        key: "caller.uid",
        takes_arg: false,
        kind: Kind::Host,
        family: Family::Caller,
        in_snapshot: true,
        value: "integer",
        meaning: "real uid",
    },
    Entry {
        key: "caller.euid",
        takes_arg: false,
        kind: Kind::Host,
        family: Family::Caller,
        in_snapshot: true,
        value: "integer",
        meaning: "effective uid",
    },
    Entry {
        key: "caller.caps_effective",
        takes_arg: false,
        kind: Kind::Host,
        family: Family::Caller,
        in_snapshot: true,
        value: "list of capability names",
        meaning: "effective capabilities",
    },
    Entry {
        key: "caller.caps_permitted",
        takes_arg: false,
        kind: Kind::Host,
        family: Family::Caller,
        in_snapshot: true,
        value: "list of capability names",
        meaning: "permitted capabilities",
    },
    Entry {
        key: "caller.caps_ambient",
        takes_arg: false,
        kind: Kind::Host,
        family: Family::Caller,
        in_snapshot: true,
        value: "list of capability names",
        meaning: "ambient capabilities",
    },
    Entry {
        key: "caller.caps_bounding",
        takes_arg: false,
        kind: Kind::Host,
        family: Family::Caller,
        in_snapshot: true,
        value: "list of capability names",
        meaning: "bounding set",
    },
    Entry {
        key: "caller.seccomp",
        takes_arg: false,
        kind: Kind::Host,
        family: Family::Caller,
        in_snapshot: true,
        value: "integer 0|1|2",
        meaning: "seccomp mode (2 = filter)",
    },
    Entry {
        key: "caller.seccomp_filters",
        takes_arg: false,
        kind: Kind::Host,
        family: Family::Caller,
        in_snapshot: true,
        value: "integer",
        meaning: "number of seccomp filters",
    },
    Entry {
        key: "caller.no_new_privs",
        takes_arg: false,
        kind: Kind::Host,
        family: Family::Caller,
        in_snapshot: true,
        value: "integer 0|1",
        meaning: "no_new_privs",
    },
    Entry {
        key: "caller.in_initial_userns",
        takes_arg: false,
        kind: Kind::Host,
        family: Family::Caller,
        in_snapshot: true,
        value: "bool",
        meaning: "the caller is in the initial user namespace (/proc/self/ns/user is user:[4026531837]; without that link, uid_map \"0 0 4294967295\")",
    },
    Entry {
        key: "caller.uid_map",
        takes_arg: false,
        kind: Kind::Host,
        family: Family::Caller,
        in_snapshot: true,
        value: "string",
        meaning: "/proc/self/uid_map",
    },
    // containers and outer sandboxes
    Entry {
        key: "container.kind",
        takes_arg: false,
        kind: Kind::Host,
        family: Family::Container,
        in_snapshot: true,
        value: "docker | podman | lxc | kubernetes | systemd-nspawn | wsl1 | wsl2 | gvisor | flatpak | bwrap | chroot | other | none",
        meaning: "what the caller runs inside: the strongest sign, in order WSL, gVisor, Flatpak, Docker, Podman, systemd's container type, Kubernetes, /proc/1/cgroup, an outer bwrap, a chroot (other: a container type systemd names that is none of these)",
    },
    Entry {
        key: "container.evidence",
        takes_arg: false,
        kind: Kind::Host,
        family: Family::Container,
        in_snapshot: true,
        value: "list of strings",
        meaning: "what the detection saw",
    },
    Entry {
        key: "sandbox.outer_bwrap",
        takes_arg: false,
        kind: Kind::Host,
        family: Family::Container,
        in_snapshot: true,
        value: "bool",
        meaning: "an ancestor process (or pid 1) is bwrap (bwrap-doctor shims skipped)",
    },
    Entry {
        key: "chroot",
        takes_arg: false,
        kind: Kind::Host,
        family: Family::Container,
        in_snapshot: true,
        value: "bool; live host only",
        meaning: "the caller's root is not pid 1's root",
    },
    // experiments (forked child, time-bounded)
    Entry {
        key: "experiment.userns",
        takes_arg: false,
        kind: Kind::Experiment,
        family: Family::Experiment,
        in_snapshot: true,
        value: "{ok, step, errno, message}",
        meaning: "create a user namespace and write its maps, as bwrap does (also for root); steps: unshare(CLONE_NEWUSER), write /proc/self/uid_map, write /proc/self/setgroups, write /proc/self/gid_map",
    },
    Entry {
        key: "experiment.netns",
        takes_arg: false,
        kind: Kind::Experiment,
        family: Family::Experiment,
        in_snapshot: true,
        value: "{ok, step, errno, message}",
        meaning: "add a network namespace (with a user namespace unless root and the call asks for none) and bring up loopback; steps: unshare(CLONE_NEWUSER|CLONE_NEWNET) or unshare(CLONE_NEWNET), the map writes, loopback socket(AF_NETLINK), loopback RTM_NEWADDR, loopback RTM_NEWLINK; errno is the kernel's own",
    },
    Entry {
        key: "experiment.proc_mount",
        takes_arg: false,
        kind: Kind::Experiment,
        family: Family::Experiment,
        in_snapshot: true,
        value: "{ok, step, errno, message}",
        meaning: "mount a new procfs as pid 1 of new mount and pid namespaces (and a user namespace unless root and the call asks for none); steps: unshare(CLONE_NEWUSER|CLONE_NEWNS|CLONE_NEWPID) or unshare(CLONE_NEWNS|CLONE_NEWPID), the map writes, fork (pid 1 of the new pid namespace), mount --make-rprivate /, mount proc",
    },
    // paths (argument: an absolute host path)
    Entry {
        key: "path.exists:",
        takes_arg: true,
        kind: Kind::Host,
        family: Family::PathExists,
        in_snapshot: false,
        value: "bool",
        meaning: "the path exists (without following a final symlink)",
    },
    Entry {
        key: "path.first_symlink:",
        takes_arg: true,
        kind: Kind::Host,
        family: Family::PathFirstSymlink,
        in_snapshot: false,
        value: "{link, target, absolute, resolved}; absent if none",
        meaning: "the first symlink on the way to the path, and the path with that link replaced by its target",
    },
    Entry {
        key: "path.fstype:",
        takes_arg: true,
        kind: Kind::Host,
        family: Family::PathFstype,
        in_snapshot: false,
        value: "string (nfs, fuse, autofs, tmpfs, …); absent if missing",
        meaning: "file system type (statfs, following symlinks; live host only)",
    },
    // the failing call's arguments
    Entry {
        key: "args.namespaces",
        takes_arg: false,
        kind: Kind::Derived,
        family: Family::Args,
        in_snapshot: false,
        value: "list of strings",
        meaning: "namespaces the call asks for (user, net, pid, ipc, uts, cgroup)",
    },
    Entry {
        key: "args.unsupported_namespaces",
        takes_arg: false,
        kind: Kind::Derived,
        family: Family::UnsupportedNamespaces,
        in_snapshot: false,
        value: "list of strings",
        meaning: "namespaces the call asks for that this kernel lacks (args.namespaces missing from kernel.namespaces)",
    },
    Entry {
        key: "args.has:",
        takes_arg: true,
        kind: Kind::Derived,
        family: Family::Args,
        in_snapshot: false,
        value: "bool",
        meaning: "the call passes this option, e.g. args.has:--unshare-net",
    },
    Entry {
        key: "args.unknown_options",
        takes_arg: false,
        kind: Kind::Derived,
        family: Family::Args,
        in_snapshot: false,
        value: "list of strings",
        meaning: "options this grammar does not know",
    },
    Entry {
        key: "args.bind_to:",
        takes_arg: true,
        kind: Kind::Derived,
        family: Family::Args,
        in_snapshot: false,
        value: "{option, src, dest}; absent if none",
        meaning: "the bind (or other operation) whose destination is this path",
    },
    Entry {
        key: "args.bind_from:",
        takes_arg: true,
        kind: Kind::Derived,
        family: Family::Args,
        in_snapshot: false,
        value: "{option, src, dest}; absent if none",
        meaning: "the bind whose source is this path",
    },
    Entry {
        key: "args.option_since:",
        takes_arg: true,
        kind: Kind::Derived,
        family: Family::Args,
        in_snapshot: false,
        value: "string (bubblewrap version)",
        meaning: "the first release that has this option",
    },
    // mounts
    Entry {
        key: "proc.masked",
        takes_arg: false,
        kind: Kind::Host,
        family: Family::ProcMounts,
        in_snapshot: true,
        value: "list of mount points",
        meaning: "mounts covering parts of /proc (/proc/kcore, /proc/acpi…), as containers make; the kernel then refuses a new procfs in a user namespace",
    },
    Entry {
        key: "proc.read_only",
        takes_arg: false,
        kind: Kind::Host,
        family: Family::ProcMounts,
        in_snapshot: true,
        value: "list of mount points",
        meaning: "/proc and mounts under it that are read-only (/proc/sys in Docker)",
    },
    Entry {
        key: "path.mount:",
        takes_arg: true,
        kind: Kind::Host,
        family: Family::PathMount,
        in_snapshot: false,
        value: "{point, fstype, read_only, deleted}",
        meaning: "the mount that holds the path, from /proc/self/mountinfo (works where statfs is refused, e.g. another user's FUSE mount); deleted: the path is itself a mount of a file or directory removed or replaced on its file system since (a bind of a host file renamed over, `//deleted`)",
    },
    // programs
    Entry {
        key: "file.interpreter:",
        takes_arg: true,
        kind: Kind::Host,
        family: Family::FileInterpreter,
        in_snapshot: false,
        value: "string (path); absent if the program needs none",
        meaning: "the ELF interpreter (PT_INTERP) or #! interpreter a host program needs",
    },
    Entry {
        key: "file.format:",
        takes_arg: true,
        kind: Kind::Host,
        family: Family::FileFormat,
        in_snapshot: false,
        value: "{format, machine, class, endian, native, host_path, binfmt}: format elf | script | other | directory | missing; machine (elf only) x86_64, aarch64, i386, arm… (em-N for a machine without a name here); native true (elf of kernel.machine, or a script), false (elf of another machine, or other), null (a 32-bit program of the host's compatibility machine, a directory or device, or the host machine unknown); binfmt, for a file the kernel does not run itself: \"none\" (no enabled binfmt_misc handler claims it), \"unknown\" (binfmt_misc not mounted or not readable here), or the handler {name, interpreter, flags}",
        meaning: "the format of the program bwrap runs at this sandbox path, read from the host file the call puts there (the source of the bind at the path or at a directory above it; the host's own path when the call's arguments are not known): its first 64 bytes only, a regular file only (and /proc/sys/fs/binfmt_misc for a file the kernel does not run itself); missing when no such host file exists or the call puts nothing there; unavailable when the call puts something other than a host file there (a tmpfs, a symlink, an overlay) or an absolute symlink (which resolves elsewhere inside the sandbox), or a path under /proc or /dev/fd (this process's own files)",
    },
    Entry {
        key: "file.seen_foreign:",
        takes_arg: true,
        kind: Kind::Derived,
        family: Family::SeenForeign,
        in_snapshot: false,
        value: "bool; false when file.format is not known",
        meaning: "file.format was observed and says the program is of a format this kernel cannot run (native false); false, not unavailable, when it was not observed (pasted text, a snapshot): nothing was seen there",
    },
    // what the sandbox will contain, from the call's arguments
    Entry {
        key: "args.covers:",
        takes_arg: true,
        kind: Kind::Derived,
        family: Family::Args,
        in_snapshot: false,
        value: "bool",
        meaning: "the call puts something at this path in the sandbox (a bind, symlink, dir, tmpfs… at it or at an ancestor)",
    },
    Entry {
        key: "args.shows:",
        takes_arg: true,
        kind: Kind::Derived,
        family: Family::Args,
        in_snapshot: false,
        value: "bool; false when the call's arguments are not known",
        meaning: "the call's arguments are known and put something at this path in the sandbox (args.covers, but seen false, not unavailable, when nothing of the call is known: they show nothing there)",
    },
    Entry {
        key: "args.covers_interpreter:",
        takes_arg: true,
        kind: Kind::Derived,
        family: Family::CoversInterpreter,
        in_snapshot: false,
        value: "bool; unavailable when the program's interpreter is not known",
        meaning: "the call puts the program's interpreter (file.interpreter) in the sandbox",
    },
    Entry {
        key: "bwrap.knows_option:",
        takes_arg: true,
        kind: Kind::Derived,
        family: Family::KnowsOption,
        in_snapshot: false,
        value: "bool",
        meaning: "the bwrap that ran is recent enough for this option (by bwrap.version and the release that introduced it)",
    },
    // generated fixes (texts for rules to show)
    Entry {
        key: "fix.apparmor_profile_file",
        takes_arg: false,
        kind: Kind::Derived,
        family: Family::AppArmorProfileFile,
        in_snapshot: false,
        value: "string (path)",
        meaning: "where the AppArmor profile for the bwrap that ran goes",
    },
    Entry {
        key: "fix.apparmor_profile",
        takes_arg: false,
        kind: Kind::Derived,
        family: Family::AppArmorProfile,
        in_snapshot: false,
        value: "string (profile text)",
        meaning: "an AppArmor profile letting the bwrap that ran create user namespaces",
    },
];

/// The catalogue entry for a key, if any.
#[must_use]
pub fn lookup(key: &str) -> Option<&'static Entry> {
    CATALOGUE.iter().find(|p| {
        if p.takes_arg {
            key.starts_with(p.key) && key.len() > p.key.len()
        } else {
            key == p.key
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalogue_keys_are_unique_and_parse_to_their_entry() {
        let mut seen = std::collections::BTreeSet::new();
        for p in CATALOGUE {
            assert!(seen.insert(p.key), "duplicate key {}", p.key);
            let key = if p.takes_arg {
                format!("{}x", p.key)
            } else {
                p.key.to_string()
            };
            assert_eq!(lookup(&key).map(|q| q.key), Some(p.key));
            let (_, entry) = super::super::Probe::parse(&key).unwrap();
            assert_eq!(entry.key, p.key);
        }
    }
}
