//! Probes: typed, side-effect-free observations of the host, each named by a
//! fact key (see [`CATALOGUE`]). All host reads go through one injectable
//! root ([`Host`]), so a probe runs the same against `/` or a fixture tree.
//! Live experiments (creating namespaces) run in a forked child with a time
//! bound and leave nothing behind.

pub mod apparmor;
mod args;
mod bwrap;
pub mod marker;
pub use bwrap::run_bounded;
pub(crate) use bwrap::run_bounded_with_input;
mod caller;
mod container;
mod experiment;
mod mounts;
mod paths;
mod program;
mod sysctl;
mod system;
pub use system::parse_os_release;

use crate::facts::{Facts, Obs};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Where host facts are read from.
#[derive(Debug, Clone)]
pub struct Host {
    /// `/` on a live host; a fixture tree in tests.
    pub root: PathBuf,
    /// Whether experiments (namespaces, mounts, running bwrap --version)
    /// may run. Only on the live host.
    pub experiments: bool,
    /// Time bound for one probe that waits on anything (a child, a path
    /// that may hang).
    pub limit: Duration,
}

impl Host {
    pub fn live() -> Host {
        Host {
            root: PathBuf::from("/"),
            experiments: true,
            limit: Duration::from_millis(500),
        }
    }

    /// A fixture tree: files only, no experiments.
    pub fn fixture(root: impl Into<PathBuf>) -> Host {
        Host {
            root: root.into(),
            experiments: false,
            limit: Duration::from_millis(500),
        }
    }

    /// The host path `abs` (absolute, as on the live host) under the root.
    pub fn path(&self, abs: impl AsRef<Path>) -> PathBuf {
        let abs = abs.as_ref();
        let rel = abs.strip_prefix("/").unwrap_or(abs);
        self.root.join(rel)
    }

    pub fn read_to_string(&self, abs: impl AsRef<Path>) -> std::io::Result<String> {
        std::fs::read_to_string(self.path(abs))
    }

    pub fn is_live(&self) -> bool {
        self.root == Path::new("/")
    }

    /// The text of the host file `abs`: `Err(Absent)` when it does not
    /// exist, `Err(Unavailable)` when it cannot be read.
    pub fn read_fact(&self, abs: &str) -> Result<String, Obs> {
        self.read_to_string(abs).map_err(|e| io_obs(abs, &e))
    }

    /// Whether the host path `abs` exists (without following a final
    /// symlink): `Err(Unavailable)` when that cannot be told.
    pub fn exists(&self, abs: &str) -> Result<bool, Obs> {
        match std::fs::symlink_metadata(self.path(abs)) {
            Ok(_) => Ok(true),
            Err(e) if is_missing(&e) => Ok(false),
            Err(e) => Err(Obs::unavailable(format!("cannot look at {abs}: {e}"))),
        }
    }
}

/// A missing path: ENOENT, or ENOTDIR (a component is not a directory).
pub(crate) fn is_missing(e: &std::io::Error) -> bool {
    e.kind() == std::io::ErrorKind::NotFound || e.raw_os_error() == Some(libc::ENOTDIR)
}

/// An I/O error as an observation: absent when the thing is missing,
/// unavailable otherwise.
pub(crate) fn io_obs(what: &str, e: &std::io::Error) -> Obs {
    if is_missing(e) {
        Obs::Absent
    } else {
        Obs::unavailable(format!("cannot read {what}: {e}"))
    }
}

/// Turn `Result<Obs, Obs>` (early-return style) into the observation.
pub(crate) fn flat(r: Result<Obs, Obs>) -> Obs {
    r.unwrap_or_else(|o| o)
}

/// What is known about the failing call itself.
#[derive(Debug, Clone, Default)]
pub struct Context {
    /// The real bwrap that ran (or that `check`/`explain --bwrap` names).
    pub bwrap: Option<PathBuf>,
    /// The failing call's arguments, as bwrap parses them.
    pub args: Option<crate::bwrap_args::Parsed>,
}

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

/// One entry of the catalogue: a key (or key prefix, for probes that take
/// an argument), what it means, and its value.
#[derive(Debug, Clone, Copy)]
pub struct Probe {
    /// The key, or for a family the prefix up to and including `.`/`:`.
    pub key: &'static str,
    /// Takes an argument after the key (`sysctl.NAME`, `path.exists:PATH`).
    pub takes_arg: bool,
    pub kind: Kind,
    /// Recorded by `bwrap-doctor snapshot`.
    pub in_snapshot: bool,
    pub value: &'static str,
    pub meaning: &'static str,
}

macro_rules! probe {
    ($key:expr, $arg:expr, $kind:ident, $snap:expr, $value:expr, $meaning:expr) => {
        Probe {
            key: $key,
            takes_arg: $arg,
            kind: Kind::$kind,
            in_snapshot: $snap,
            value: $value,
            meaning: $meaning,
        }
    };
}

/// Every fact a rule may ask for. The key table of `docs/snapshot.md` is
/// generated from this list ([`catalogue_table`]; a test (tests/it/probe/catalogue.rs) keeps it in
/// step).
pub const CATALOGUE: &[Probe] = &[
    // system
    probe!(
        "kernel.release",
        false,
        Host,
        true,
        "string",
        "uname -r (/proc/sys/kernel/osrelease)"
    ),
    probe!(
        "kernel.version",
        false,
        Host,
        true,
        "string",
        "/proc/version; WSL1 and gVisor show themselves here"
    ),
    probe!(
        "kernel.namespaces",
        false,
        Host,
        true,
        "list of strings",
        "the namespace kinds this kernel has: the entries of /proc/self/ns (cgroup, ipc, net, pid, user, uts…)"
    ),
    probe!(
        "os.id",
        false,
        Host,
        true,
        "string",
        "ID from /etc/os-release (ubuntu, debian, fedora…)"
    ),
    probe!(
        "os.id_like",
        false,
        Host,
        true,
        "string",
        "ID_LIKE from /etc/os-release"
    ),
    probe!(
        "os.version_id",
        false,
        Host,
        true,
        "string",
        "VERSION_ID from /etc/os-release (24.04, 12…)"
    ),
    probe!(
        "os.pretty_name",
        false,
        Host,
        true,
        "string",
        "PRETTY_NAME from /etc/os-release"
    ),
    probe!(
        "lsm.list",
        false,
        Host,
        true,
        "list of strings; absent without securityfs",
        "active LSMs (/sys/kernel/security/lsm)"
    ),
    probe!(
        "sysctl.",
        true,
        Host,
        false,
        "integer or string; absent if this kernel has no such sysctl",
        "a sysctl, by its dotted name: sysctl.kernel.unprivileged_userns_clone"
    ),
    // AppArmor
    probe!(
        "apparmor.enabled",
        false,
        Host,
        true,
        "bool; absent without AppArmor in the kernel",
        "/sys/module/apparmor/parameters/enabled"
    ),
    probe!(
        "apparmor.userns_mediation",
        false,
        Host,
        true,
        "bool",
        "AppArmor can mediate user namespace creation (features/namespaces/userns_create)"
    ),
    probe!(
        "apparmor.label",
        false,
        Host,
        true,
        "string",
        "the caller's AppArmor confinement, e.g. \"unconfined\", \"docker-default (enforce)\""
    ),
    probe!(
        "apparmor.profiles_loaded",
        false,
        Host,
        true,
        "list of {name, mode}; unavailable without permission",
        "loaded profiles (/sys/kernel/security/apparmor/profiles)"
    ),
    probe!(
        "apparmor.profile_files",
        false,
        Host,
        true,
        "list of {file, name, attach, flags, userns, capabilities, mount_all, unconfined, disabled}; absent without /etc/apparmor.d",
        "profiles in /etc/apparmor.d and the executable paths they attach to (attach: variables expanded, null when none)"
    ),
    probe!(
        "apparmor.loaded_attachments",
        false,
        Host,
        false,
        "list of {name, attach, mode}; unavailable without permission",
        "loaded profiles and what each attaches to (/sys/kernel/security/apparmor/policy/profiles/*/{name,attach,mode})"
    ),
    probe!(
        "apparmor.own_profiles",
        false,
        Host,
        false,
        "list of {file, name, attach, exists}; exists is null for a pattern",
        "profiles bwrap-doctor wrote (files in /etc/apparmor.d starting with its marker line) and whether the path each attaches to still exists"
    ),
    probe!(
        "apparmor.covering_profile",
        false,
        Derived,
        false,
        "{file, name, attach}; absent if none",
        "the profile file that attaches to the bwrap that ran (bwrap.path or bwrap.realpath), allows userns, is not disabled, and is loaded when the loaded list is known"
    ),
    probe!(
        "apparmor.confining_profile",
        false,
        Derived,
        false,
        "{file, name, attach, flags, capabilities, mount_all}; absent if none",
        "a profile that confines the bwrap that ran: attached to bwrap.path or bwrap.realpath, not disabled, not unconfined, and loaded in enforce mode when the loaded list is known"
    ),
    probe!(
        "apparmor.attachment_conflicts",
        false,
        Derived,
        false,
        "list of {path, profiles: [{name, attach, file, loaded}]}",
        "profiles tied for a bwrap path (the bwrap that ran, or a plain path a bwrap profile attaches to): AppArmor attaches none of them (\"conflicting profile attachments\")"
    ),
    probe!(
        "apparmor.conflict_for_bwrap",
        false,
        Derived,
        false,
        "{path, profiles: [{name, attach, file, loaded}]}; absent if none",
        "profiles tied for the path or real path of the bwrap that ran: AppArmor attaches none of them, so none exempts it"
    ),
    probe!(
        "apparmor.bwrap_exceptions",
        false,
        Derived,
        false,
        "list of {file, name, attach}",
        "profiles (not disabled) that allow userns, or are unconfined, for an executable whose path or profile name mentions bwrap (e.g. Ubuntu's bwrap-userns-restrict)"
    ),
    // SELinux
    probe!(
        "selinux.mode",
        false,
        Host,
        true,
        "enforcing | permissive | disabled",
        "SELinux mode (/sys/fs/selinux/enforce)"
    ),
    probe!(
        "selinux.context",
        false,
        Host,
        true,
        "string",
        "the caller's SELinux context; absent when SELinux is not active"
    ),
    // the bwrap that ran
    probe!(
        "bwrap.path",
        false,
        Derived,
        true,
        "string",
        "the real bwrap that ran"
    ),
    probe!(
        "bwrap.realpath",
        false,
        Host,
        true,
        "string",
        "bwrap.path with symlinks resolved"
    ),
    probe!("bwrap.setuid", false, Host, true, "bool", "setuid root"),
    probe!(
        "bwrap.mode",
        false,
        Host,
        true,
        "string (octal, e.g. \"0755\")",
        "permission bits"
    ),
    probe!(
        "bwrap.owner_uid",
        false,
        Host,
        true,
        "integer",
        "file owner"
    ),
    probe!(
        "bwrap.readable",
        false,
        Host,
        true,
        "bool",
        "the caller can read the file (an execute-only bwrap is not dumpable); on a fixture, from the mode bits and caller.euid"
    ),
    probe!(
        "bwrap.file_caps",
        false,
        Host,
        true,
        "list of capability names; absent if none",
        "file capabilities (security.capability)"
    ),
    probe!(
        "bwrap.version",
        false,
        Experiment,
        true,
        "string, e.g. \"0.8.0\"",
        "from `bwrap --version`"
    ),
    // the caller (the shim runs with the caller's credentials and filters)
    probe!("caller.uid", false, Host, true, "integer", "real uid"),
    probe!("caller.euid", false, Host, true, "integer", "effective uid"),
    probe!(
        "caller.caps_effective",
        false,
        Host,
        true,
        "list of capability names",
        "effective capabilities"
    ),
    probe!(
        "caller.caps_permitted",
        false,
        Host,
        true,
        "list of capability names",
        "permitted capabilities"
    ),
    probe!(
        "caller.caps_ambient",
        false,
        Host,
        true,
        "list of capability names",
        "ambient capabilities"
    ),
    probe!(
        "caller.caps_bounding",
        false,
        Host,
        true,
        "list of capability names",
        "bounding set"
    ),
    probe!(
        "caller.seccomp",
        false,
        Host,
        true,
        "integer 0|1|2",
        "seccomp mode (2 = filter)"
    ),
    probe!(
        "caller.seccomp_filters",
        false,
        Host,
        true,
        "integer",
        "number of seccomp filters"
    ),
    probe!(
        "caller.no_new_privs",
        false,
        Host,
        true,
        "integer 0|1",
        "no_new_privs"
    ),
    probe!(
        "caller.in_initial_userns",
        false,
        Host,
        true,
        "bool",
        "the caller is in the initial user namespace (/proc/self/ns/user is user:[4026531837]; without that link, uid_map \"0 0 4294967295\")"
    ),
    probe!(
        "caller.uid_map",
        false,
        Host,
        true,
        "string",
        "/proc/self/uid_map"
    ),
    // containers and outer sandboxes
    probe!(
        "container.kind",
        false,
        Host,
        true,
        "docker | podman | lxc | kubernetes | systemd-nspawn | wsl1 | wsl2 | gvisor | flatpak | bwrap | chroot | other | none",
        "what the caller runs inside: the strongest sign, in order WSL, gVisor, Flatpak, Docker, Podman, systemd's container type, Kubernetes, /proc/1/cgroup, an outer bwrap, a chroot (other: a container type systemd names that is none of these)"
    ),
    probe!(
        "container.evidence",
        false,
        Host,
        true,
        "list of strings",
        "what the detection saw"
    ),
    probe!(
        "sandbox.outer_bwrap",
        false,
        Host,
        true,
        "bool",
        "an ancestor process (or pid 1) is bwrap (bwrap-doctor shims skipped)"
    ),
    probe!(
        "chroot",
        false,
        Host,
        true,
        "bool; live host only",
        "the caller's root is not pid 1's root"
    ),
    // experiments (forked child, time-bounded)
    probe!(
        "experiment.userns",
        false,
        Experiment,
        true,
        "{ok, step, errno, message}",
        "create a user namespace and write its maps, as bwrap does (also for root); steps: unshare(CLONE_NEWUSER), write /proc/self/uid_map, write /proc/self/setgroups, write /proc/self/gid_map"
    ),
    probe!(
        "experiment.netns",
        false,
        Experiment,
        true,
        "{ok, step, errno, message}",
        "add a network namespace (with a user namespace unless root and the call asks for none) and bring up loopback; steps: unshare(CLONE_NEWUSER|CLONE_NEWNET) or unshare(CLONE_NEWNET), the map writes, loopback socket(AF_NETLINK), loopback RTM_NEWADDR, loopback RTM_NEWLINK; errno is the kernel's own"
    ),
    probe!(
        "experiment.proc_mount",
        false,
        Experiment,
        true,
        "{ok, step, errno, message}",
        "mount a new procfs as pid 1 of new mount and pid namespaces (and a user namespace unless root and the call asks for none); steps: unshare(CLONE_NEWUSER|CLONE_NEWNS|CLONE_NEWPID) or unshare(CLONE_NEWNS|CLONE_NEWPID), the map writes, fork (pid 1 of the new pid namespace), mount --make-rprivate /, mount proc"
    ),
    // paths (argument: an absolute host path)
    probe!(
        "path.exists:",
        true,
        Host,
        false,
        "bool",
        "the path exists (without following a final symlink)"
    ),
    probe!(
        "path.first_symlink:",
        true,
        Host,
        false,
        "{link, target, absolute, resolved}; absent if none",
        "the first symlink on the way to the path, and the path with that link replaced by its target"
    ),
    probe!(
        "path.fstype:",
        true,
        Host,
        false,
        "string (nfs, fuse, autofs, tmpfs, …); absent if missing",
        "file system type (statfs, following symlinks; live host only)"
    ),
    // the failing call's arguments
    probe!(
        "args.namespaces",
        false,
        Derived,
        false,
        "list of strings",
        "namespaces the call asks for (user, net, pid, ipc, uts, cgroup)"
    ),
    probe!(
        "args.unsupported_namespaces",
        false,
        Derived,
        false,
        "list of strings",
        "namespaces the call asks for that this kernel lacks (args.namespaces missing from kernel.namespaces)"
    ),
    probe!(
        "args.has:",
        true,
        Derived,
        false,
        "bool",
        "the call passes this option, e.g. args.has:--unshare-net"
    ),
    probe!(
        "args.unknown_options",
        false,
        Derived,
        false,
        "list of strings",
        "options this grammar does not know"
    ),
    probe!(
        "args.bind_to:",
        true,
        Derived,
        false,
        "{option, src, dest}; absent if none",
        "the bind (or other operation) whose destination is this path"
    ),
    probe!(
        "args.bind_from:",
        true,
        Derived,
        false,
        "{option, src, dest}; absent if none",
        "the bind whose source is this path"
    ),
    probe!(
        "args.option_since:",
        true,
        Derived,
        false,
        "string (bubblewrap version)",
        "the first release that has this option"
    ),
    // mounts
    probe!(
        "proc.masked",
        false,
        Host,
        true,
        "list of mount points",
        "mounts covering parts of /proc (/proc/kcore, /proc/acpi…), as containers make; the kernel then refuses a new procfs in a user namespace"
    ),
    probe!(
        "proc.read_only",
        false,
        Host,
        true,
        "list of mount points",
        "/proc and mounts under it that are read-only (/proc/sys in Docker)"
    ),
    probe!(
        "path.mount:",
        true,
        Host,
        false,
        "{point, fstype, read_only}",
        "the mount that holds the path, from /proc/self/mountinfo (works where statfs is refused, e.g. another user's FUSE mount)"
    ),
    // programs
    probe!(
        "file.interpreter:",
        true,
        Host,
        false,
        "string (path); absent if the program needs none",
        "the ELF interpreter (PT_INTERP) or #! interpreter a host program needs"
    ),
    // what the sandbox will contain, from the call's arguments
    probe!(
        "args.covers:",
        true,
        Derived,
        false,
        "bool",
        "the call puts something at this path in the sandbox (a bind, symlink, dir, tmpfs… at it or at an ancestor)"
    ),
    probe!(
        "args.covers_interpreter:",
        true,
        Derived,
        false,
        "bool; unavailable when the program's interpreter is not known",
        "the call puts the program's interpreter (file.interpreter) in the sandbox"
    ),
    probe!(
        "bwrap.knows_option:",
        true,
        Derived,
        false,
        "bool",
        "the bwrap that ran is recent enough for this option (by bwrap.version and the release that introduced it)"
    ),
    // generated fixes (texts for rules to show)
    probe!(
        "fix.apparmor_profile_file",
        false,
        Derived,
        false,
        "string (path)",
        "where the AppArmor profile for the bwrap that ran goes"
    ),
    probe!(
        "fix.apparmor_profile",
        false,
        Derived,
        false,
        "string (profile text)",
        "an AppArmor profile letting the bwrap that ran create user namespaces"
    ),
];

/// The catalogue entry for a key, if any.
pub fn lookup(key: &str) -> Option<&'static Probe> {
    CATALOGUE.iter().find(|p| {
        if p.takes_arg {
            key.starts_with(p.key) && key.len() > p.key.len()
        } else {
            key == p.key
        }
    })
}

/// Observe `key` on a live host or fixture.
pub fn observe(host: &Host, facts: &Facts, key: &str) -> Obs {
    if let Some(o) = derive(facts, key) {
        return o;
    }
    let Some(p) = lookup(key) else {
        return Obs::unavailable(format!("no probe named {key}"));
    };
    if p.kind == Kind::Experiment && !host.experiments {
        return Obs::unavailable("experiments run only on the live host");
    }
    let arg = if p.takes_arg { &key[p.key.len()..] } else { "" };
    match p.key {
        "sysctl." => sysctl::read(host, arg),
        k if k.starts_with("kernel.") || k.starts_with("os.") || k == "lsm.list" => {
            system::observe(host, facts, k)
        }
        k if k.starts_with("selinux.") => system::observe(host, facts, k),
        k if k.starts_with("apparmor.") => apparmor::observe(host, facts, k),
        k if k.starts_with("bwrap.") => bwrap::observe(host, facts, k),
        k if k.starts_with("caller.") => caller::observe(host, k),
        k if k.starts_with("container.") || k == "sandbox.outer_bwrap" || k == "chroot" => {
            container::observe(host, facts, k)
        }
        k if k.starts_with("experiment.") => experiment::observe(host, facts, k),
        "path.mount:" => mounts::observe(host, p.key, arg),
        k if k.starts_with("path.") => paths::observe(host, k, arg),
        k if k.starts_with("proc.") => mounts::observe(host, k, ""),
        "file.interpreter:" => program::observe(host, p.key, arg),
        _ => Obs::unavailable(format!("no probe named {key}")),
    }
}

/// Facts computed without reading the host: from the call's arguments, or
/// from other facts. `None` when `key` is not such a fact.
pub fn derive(facts: &Facts, key: &str) -> Option<Obs> {
    let p = lookup(key)?;
    if p.kind != Kind::Derived {
        return None;
    }
    let arg = if p.takes_arg { &key[p.key.len()..] } else { "" };
    Some(match p.key {
        "bwrap.path" => match &facts.ctx.bwrap {
            Some(b) => Obs::seen(b.display().to_string()),
            None => Obs::unavailable("the bwrap that ran is not known"),
        },
        "args.covers_interpreter:" => args::covers_interpreter(facts, arg),
        "args.unsupported_namespaces" => args::unsupported_namespaces(facts),
        k if k.starts_with("args.") => args::derive(&facts.ctx, k, arg),
        "bwrap.knows_option:" => args::knows_option(facts, arg),
        k if k.starts_with("fix.") => match &facts.ctx.bwrap {
            Some(b) if k == "fix.apparmor_profile_file" => {
                Obs::seen(crate::fix::apparmor::profile_file(b))
            }
            Some(b) => Obs::seen(crate::fix::apparmor::profile(b)),
            None => Obs::unavailable("the bwrap that ran is not known"),
        },
        k if k.starts_with("apparmor.") => apparmor::derive(facts, k),
        _ => return None,
    })
}

/// The keys `bwrap-doctor snapshot` records.
pub fn snapshot_keys() -> impl Iterator<Item = &'static str> {
    CATALOGUE.iter().filter(|p| p.in_snapshot).map(|p| p.key)
}

/// Record this host: every catalogue key marked for snapshots, and the
/// sysctls of [`SNAPSHOT_SYSCTLS`]. Schema: docs/snapshot.md.
pub fn collect_snapshot(host: &Host, ctx: Context) -> crate::facts::Snapshot {
    let facts = Facts::live(host, ctx);
    let mut out = std::collections::BTreeMap::new();
    for key in snapshot_keys() {
        out.insert(key.to_string(), facts.get(key));
    }
    for name in SNAPSHOT_SYSCTLS {
        let key = format!("sysctl.{name}");
        let obs = facts.get(&key);
        out.insert(key, obs);
    }
    crate::facts::Snapshot {
        schema: crate::facts::SNAPSHOT_SCHEMA.to_string(),
        schema_version: crate::facts::SNAPSHOT_VERSION,
        tool_version: env!("CARGO_PKG_VERSION").to_string(),
        taken_at: rfc3339_utc(std::time::SystemTime::now()),
        note: String::new(),
        facts: out,
    }
}

/// "2026-11-22T10:04:05Z" (whole seconds, UTC).
pub fn rfc3339_utc(t: std::time::SystemTime) -> String {
    let secs = t
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// The key table of docs/snapshot.md, generated from [`CATALOGUE`].
pub fn catalogue_table() -> String {
    let mut t = String::from(
        "| key | how | in snapshot | value | meaning |\n| --- | --- | --- | --- | --- |\n",
    );
    let cell = |s: &str| s.replace('|', "\\|");
    for p in CATALOGUE {
        let key = if p.takes_arg {
            format!("`{}…`", p.key)
        } else {
            format!("`{}`", p.key)
        };
        let how = match p.kind {
            Kind::Host => "host",
            Kind::Experiment => "experiment",
            Kind::Derived => "derived",
        };
        t.push_str(&format!(
            "| {key} | {how} | {} | {} | {} |\n",
            if p.in_snapshot { "yes" } else { "no" },
            cell(p.value),
            cell(p.meaning)
        ));
    }
    t
}

/// The sysctls a snapshot records (a family needs its names spelled out).
pub const SNAPSHOT_SYSCTLS: &[&str] = &[
    "kernel.unprivileged_userns_clone",
    "user.max_user_namespaces",
    "user.max_net_namespaces",
    "user.max_mnt_namespaces",
    "user.max_pid_namespaces",
    "kernel.apparmor_restrict_unprivileged_userns",
    "kernel.apparmor_restrict_unprivileged_userns_complain",
    "kernel.apparmor_restrict_unprivileged_userns_force",
    "kernel.apparmor_restrict_unprivileged_unconfined",
    "kernel.unprivileged_userns_apparmor_policy",
    "kernel.overflowuid",
    "kernel.yama.ptrace_scope",
    "fs.mount-max",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snapshot_time_is_rfc3339_utc() {
        use std::time::{Duration, UNIX_EPOCH};
        assert_eq!(rfc3339_utc(UNIX_EPOCH), "1970-01-01T00:00:00Z");
        assert_eq!(
            rfc3339_utc(UNIX_EPOCH + Duration::from_secs(951_782_400)),
            "2000-02-29T00:00:00Z"
        );
        assert_eq!(
            rfc3339_utc(UNIX_EPOCH + Duration::from_secs(1_798_761_599)),
            "2026-12-31T23:59:59Z"
        );
    }

    #[test]
    fn catalogue_keys_are_unique_and_dispatch_to_a_probe() {
        let mut seen = std::collections::BTreeSet::new();
        for p in CATALOGUE {
            assert!(seen.insert(p.key), "duplicate key {}", p.key);
            let key = if p.takes_arg {
                format!("{}x", p.key)
            } else {
                p.key.to_string()
            };
            assert_eq!(lookup(&key).map(|q| q.key), Some(p.key));
        }
    }
}
