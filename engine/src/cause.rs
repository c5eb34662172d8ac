//! The cause taxonomy (DESIGN.md §5): what a rule may say a failure is.

use serde::{Deserialize, Serialize};

macro_rules! causes {
    ($($variant:ident = $id:expr => $meaning:expr),* $(,)?) => {
        /// A cause of a bwrap failure.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, schemars::JsonSchema)]
        #[non_exhaustive]
        pub enum Cause {
            $(#[doc = $meaning] #[serde(rename = $id)] $variant),*
        }

        impl Cause {
            pub const ALL: &'static [Cause] = &[$(Cause::$variant),*];

            /// The id used in rule files and JSON.
            pub fn id(self) -> &'static str {
                match self { $(Cause::$variant => $id),* }
            }

            /// One line: what the cause means.
            pub fn meaning(self) -> &'static str {
                match self { $(Cause::$variant => $meaning),* }
            }

            /// The cause with this id (as [`Cause::id`] gives it and the
            /// JSON documents hold it); `None` for an id this release does
            /// not know.
            pub fn from_id(id: &str) -> Option<Cause> {
                match id { $($id => Some(Cause::$variant),)* _ => None }
            }
        }
    };
}

causes! {
    AppArmorUsernsRestrict = "apparmor-userns-restrict" => "kernel.apparmor_restrict_unprivileged_userns=1 and no AppArmor exception covers this bwrap",
    AppArmorProfilePathMismatch = "apparmor-profile-path-mismatch" => "an AppArmor exception exists, but for another bwrap path than the one that ran",
    UsernsSysctlDisabled = "userns-sysctl-disabled" => "kernel.unprivileged_userns_clone=0",
    UsernsMaxZero = "userns-max-zero" => "user.max_user_namespaces=0 (or another max_*_namespaces limit reached)",
    UsernsUnsupportedKernel = "userns-unsupported-kernel" => "the kernel has no user namespaces; only a setuid bwrap works",
    Wsl1 = "wsl1" => "Windows Subsystem for Linux 1 has no namespaces",
    Gvisor = "gvisor" => "running under gVisor",
    NestedUsernsLimit = "nested-userns-limit" => "inside a sandbox that forbids or exhausts nested user namespaces",
    Chroot = "chroot" => "the caller is in a chroot; the kernel refuses user namespaces there",
    SeccompFilter = "seccomp-filter" => "a seccomp filter refuses namespace syscalls (container profile, systemd unit, outer sandbox)",
    ContainerLsmProfile = "container-lsm-profile" => "a container's AppArmor/SELinux profile refuses mounts",
    AppArmorProfileDenial = "apparmor-profile-denial" => "an AppArmor profile confining bwrap, or the program that runs it, denies a capability, mount or path bwrap needs",
    ContainerNoPrivileges = "container-no-privileges" => "a container without the privileges bwrap needs",
    ProcMountDenied = "proc-mount-denied" => "a new procfs cannot be mounted: /proc is masked or partly read-only",
    SelinuxDenial = "selinux-denial" => "SELinux policy denies a bwrap operation",
    SetuidModeRestriction = "setuid-mode-restriction" => "bwrap is setuid and the option or path is not allowed in setuid mode",
    UnexpectedCapabilities = "unexpected-capabilities" => "a non-setuid bwrap started with capabilities",
    BindSourceMissing = "bind-source-missing" => "a bind source does not exist on the host",
    BindDestSymlink = "bind-dest-symlink" => "a bind destination crosses a symlink",
    MountPermissionDenied = "mount-permission-denied" => "the source exists but cannot be bound (FUSE, NFS, autofs)",
    CommandNotFoundInSandbox = "command-not-found-in-sandbox" => "the program, its interpreter or its libraries are not in the sandbox",
    ExecFormatUnsupported = "exec-format-unsupported" => "the program is in the sandbox, but the kernel cannot run its format (another architecture, a script without a #! line)",
    BwrapTooOld = "bwrap-too-old" => "the caller uses an option this bwrap release does not know",
    KernelFeatureMissing = "kernel-feature-missing" => "a syscall bwrap needs is missing or filtered (ENOSYS)",
    BadArguments = "bad-arguments" => "the caller's bwrap arguments are wrong in themselves",
    BwrapBinaryUnreadable = "bwrap-binary-unreadable" => "the bwrap executable is not readable by the caller, so it is not dumpable",
    Other = "other" => "a bwrap failure none of the above explains",
}

impl Cause {
    /// Where in bwrap's run this cause bites, earliest first: parsing the
    /// arguments, its own start-up checks, what the kernel lacks, a seccomp
    /// filter (at syscall entry), the kernel's permission checks, an LSM
    /// hook, the uid map, the mounts, the exec. When causes stack (a
    /// container on a restricted host), the earlier one blocks first.
    #[must_use]
    pub fn stage(self) -> u8 {
        use Cause::{
            AppArmorProfileDenial, AppArmorProfilePathMismatch, AppArmorUsernsRestrict,
            BadArguments, BindDestSymlink, BindSourceMissing, BwrapBinaryUnreadable, BwrapTooOld,
            Chroot, CommandNotFoundInSandbox, ContainerLsmProfile, ContainerNoPrivileges,
            ExecFormatUnsupported, Gvisor, KernelFeatureMissing, MountPermissionDenied,
            NestedUsernsLimit, Other, ProcMountDenied, SeccompFilter, SelinuxDenial,
            SetuidModeRestriction, UnexpectedCapabilities, UsernsMaxZero, UsernsSysctlDisabled,
            UsernsUnsupportedKernel, Wsl1,
        };
        match self {
            BadArguments | BwrapTooOld => 0,
            SetuidModeRestriction | UnexpectedCapabilities => 1,
            Wsl1 | Gvisor | UsernsUnsupportedKernel | KernelFeatureMissing => 2,
            SeccompFilter => 3,
            Chroot
            | UsernsSysctlDisabled
            | UsernsMaxZero
            | NestedUsernsLimit
            | ContainerNoPrivileges => 4,
            AppArmorUsernsRestrict
            | AppArmorProfilePathMismatch
            | ContainerLsmProfile
            | AppArmorProfileDenial
            | SelinuxDenial => 5,
            BwrapBinaryUnreadable => 6,
            ProcMountDenied | BindSourceMissing | BindDestSymlink | MountPermissionDenied => 7,
            CommandNotFoundInSandbox | ExecFormatUnsupported => 8,
            Other => 9,
        }
    }
}

/// What each cause means, in words no caller reacts to (see
/// `keywords::CALLER_KEYWORDS`; a test in `report::compact` holds every
/// entry to it). Here, at the bottom, so that both the diagnosis (a summary
/// whose facts were not read) and the reports can use it.
#[must_use]
pub fn neutral_meaning(cause: Cause) -> &'static str {
    use Cause::{
        AppArmorProfileDenial, AppArmorProfilePathMismatch, AppArmorUsernsRestrict, BadArguments,
        BindDestSymlink, BindSourceMissing, BwrapBinaryUnreadable, BwrapTooOld, Chroot,
        CommandNotFoundInSandbox, ContainerLsmProfile, ContainerNoPrivileges,
        ExecFormatUnsupported, Gvisor, KernelFeatureMissing, MountPermissionDenied,
        NestedUsernsLimit, Other, ProcMountDenied, SeccompFilter, SelinuxDenial,
        SetuidModeRestriction, UnexpectedCapabilities, UsernsMaxZero, UsernsSysctlDisabled,
        UsernsUnsupportedKernel, Wsl1,
    };
    match cause {
        AppArmorUsernsRestrict => {
            "AppArmor restricts unprivileged user namespaces here (kernel.apparmor_restrict_unprivileged_userns=1), and no AppArmor exception covers this bwrap."
        }
        AppArmorProfilePathMismatch => {
            "AppArmor restricts unprivileged user namespaces here, and its exception profile covers another bwrap path than the one that ran."
        }
        UsernsSysctlDisabled => {
            "Unprivileged user namespaces are switched off on this host (kernel.unprivileged_userns_clone=0)."
        }
        UsernsMaxZero => {
            "No more namespaces of the kind bwrap needs may be created here (a user.max_*_namespaces limit is 0 or reached)."
        }
        UsernsUnsupportedKernel => {
            "This kernel has no user namespaces; only a setuid bwrap can work on it."
        }
        Wsl1 => "Windows Subsystem for Linux 1 has no namespaces at all: bwrap cannot work there.",
        Gvisor => "This runs under gVisor, which lacks what bwrap needs for this call.",
        NestedUsernsLimit => {
            "This already runs inside another confinement (bwrap, Flatpak, an agent tool's jail) that forbids or exhausts nested user namespaces."
        }
        Chroot => "The caller is in a chroot, and the kernel refuses user namespaces there.",
        SeccompFilter => {
            "A system-call filter on this process (a container's default profile, a systemd unit's RestrictNamespaces= or SystemCallFilter=, an outer jail) refuses the calls bwrap needs."
        }
        ContainerLsmProfile => {
            "The container's own AppArmor or SELinux profile refuses bwrap's mounts."
        }
        AppArmorProfileDenial => {
            "An AppArmor profile that confines bwrap, or the program that runs it, refuses something bwrap needs."
        }
        ContainerNoPrivileges => {
            "This container lacks a privilege bwrap needs (a capability, a writable /proc/sys)."
        }
        ProcMountDenied => {
            "A new /proc cannot be mounted here: this /proc is masked or partly read-only."
        }
        SelinuxDenial => "SELinux policy refuses one of bwrap's operations.",
        SetuidModeRestriction => {
            "bwrap is setuid, and this option or path is not allowed in setuid mode."
        }
        UnexpectedCapabilities => "A non-setuid bwrap was started with capabilities.",
        BindSourceMissing => "A bind source does not exist on the host.",
        BindDestSymlink => "A bind destination goes through a symlink bwrap cannot follow.",
        MountPermissionDenied => {
            "The bind source exists but cannot be mounted (FUSE without allow_other, NFS root_squash, autofs)."
        }
        CommandNotFoundInSandbox => {
            "The program, its interpreter or its libraries are not in the root bwrap builds."
        }
        ExecFormatUnsupported => {
            "The program is in the root bwrap builds, but this kernel cannot run its format (built for another architecture, or a script without an interpreter line)."
        }
        BwrapTooOld => "The caller uses an option this bwrap release does not know.",
        KernelFeatureMissing => "A system call bwrap needs is missing or filtered (ENOSYS).",
        BadArguments => "The caller's bwrap arguments are wrong in themselves.",
        BwrapBinaryUnreadable => {
            "The bwrap executable is not readable by its caller, so bwrap cannot write its own uid map."
        }
        Other => "A bwrap failure that no known cause explains.",
    }
}
