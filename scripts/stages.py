#!/usr/bin/env python3
"""Write rules/stages.toml: one stage rule per setup step x errno.

  scripts/stages.py            (from the repository's root)

Reads rules/catalogue/messages.toml (the messages of each step) and
rules/catalogue/steps.toml (each step's errnos); what each errno means at
each step and which causes can produce it is the table MEANING below,
written from the kernel's documented errors of the calls each step makes
and from bubblewrap's source. A stage rule's patterns are the step's
catalogued formats, so every catalogued message with each errno of its
step is matched by the stage rule for that pair.
"""

import re
import tomllib


def neutral(text):
    """The text without the words that make agent tools hide a failed
    command's output (engine/src/report/keywords.rs): the shim may print it after a
    bwrap line that has none of them. Ids are spelled as the shim spells
    them there."""
    for word, spelled in (
        ("(--seccomp, --add-seccomp-fd)", "(bwrap's filter options)"),
        ("no CONFIG_SECCOMP_FILTER", "no support for such filters"),
        ("seccomp filters", "system-call filters"),
        ("seccomp filter", "system-call filter"),
        ("command-not-found-in-sandbox", "command-not-found-in-sand-box"),
        ("seccomp-filter", "sec-comp-filter"),
        ("outer sandbox", "outer confinement"),
        ("sandbox's", "new root's"),
        ("the sandbox", "the new root"),
        ("a sandbox", "a confinement"),
        ("sandbox", "confinement"),
        ("seccomp", "system-call filter"),
        ("read-only file system", "file system mounted read-only"),
    ):
        text = text.replace(word, spelled)
    return text

STRERROR = {
    "EPERM": "Operation not permitted",
    "ENOENT": "No such file or directory",
    "EIO": "Input/output error",
    "E2BIG": "Argument list too long",
    "ENOEXEC": "Exec format error",
    "EBADF": "Bad file descriptor",
    "ENXIO": "No such device or address",
    "ENOMEM": "Cannot allocate memory",
    "EACCES": "Permission denied",
    "EFAULT": "Bad address",
    "EBUSY": "Device or resource busy",
    "EEXIST": "File exists",
    "ENODEV": "No such device",
    "ENOTDIR": "Not a directory",
    "EISDIR": "Is a directory",
    "EINVAL": "Invalid argument",
    "ETXTBSY": "Text file busy",
    "ENOSPC": "No space left on device",
    "EROFS": "Read-only file system",
    "EPIPE": "Broken pipe",
    "ENOSYS": "Function not implemented",
    "ELOOP": "Too many levels of symbolic links",
    "EUSERS": "Too many users",
    "EOPNOTSUPP": "Operation not supported",
    "EPROTONOSUPPORT": "Protocol not supported",
    "EAFNOSUPPORT": "Address family not supported by protocol",
    "ESTALE": "Stale file handle",
}
# What reads as an error text after a message and its colon, as a regex
# tail: a phrase of two words or more (letters, digits, `-`; one space or a
# `/` between them: glibc's `Input/output error`, musl's `I/O error`), in
# any letter case, after the colon with or without a space, then only a
# period, parentheses (a caller's `(exit status 1)`, the mount ENOSPC hint)
# or a clause after a comma. A path (it starts with `/`), one word (an
# SELinux label's `:s0`) or bwrap's own quoted parts (`remount "%s"`,
# `Unable to find "%s" in mount table`, `open("%s", O_PATH)`) are not one.
ERRNO_LIKE = r':\s*[A-Za-z][A-Za-z0-9-]*(?:[ /][A-Za-z0-9-]+)+(?:[.!]|\s*\(.*\)|[,;][^/"]*)*$'
MOUNT_ENOSPC = "Limit exceeded (ENOSPC). (Hint: Check that /proc/sys/fs/mount-max is sufficient, typically 100000)"

# step -> errno -> (what it means there, causes most likely first)
LSM = ["apparmor-profile-denial", "selinux-denial", "container-lsm-profile"]
MEANING = {
    "args-parsing": {
        "EBADF": ("a file descriptor named in the arguments (--args, --file, --seccomp, --bind-data…) is not open in bwrap", ["bad-arguments"]),
        "EINVAL": ("an argument or the data read from a descriptor is malformed", ["bad-arguments"]),
        "EIO": ("reading a descriptor named in the arguments failed", ["bad-arguments", "other"]),
        "EISDIR": ("a descriptor named in the arguments is a directory, not data", ["bad-arguments"]),
        "ENOMEM": ("the arguments or their data could not be held in memory", ["other"]),
    },
    "caps-setuid": {
        # capset(2) and setuid(2) refuse with EPERM what the bounding set or
        # the namespace's capabilities do not allow; bwrap asks for them only
        # when it runs privileged (setuid, or --cap-add), and a setuid bit the
        # kernel ignored (nosuid, no_new_privs) leaves bwrap unprivileged,
        # asking for nothing, so the setuid mode's refusals are at the
        # namespace step, not here. AppArmor's user namespace restriction is
        # not among these: it denies capabilities through the capable hook,
        # which capset(2) does not call (commoncap checks only that the sets
        # shrink; AppArmor has no capset hook), and capget, PR_SET_KEEPCAPS,
        # PR_SET_DUMPABLE and PR_SET_NO_NEW_PRIVS need no capability
        # (bwrap ignores EPERM from PR_CAPBSET_DROP and PR_CAP_AMBIENT). The
        # change of ids has its own rule below (SPLIT).
        "EPERM": ("the kernel refused a change of capabilities: bwrap lacks the privilege it expects (a capability bounding set a container runtime narrowed, a filter refusing capset or prctl, capabilities a non-setuid bwrap was started with)", ["container-no-privileges", "seccomp-filter", "unexpected-capabilities", "setuid-mode-restriction"]),
        "EINVAL": ("the kernel does not know a capability or prctl bwrap asked for (an old kernel)", ["kernel-feature-missing", "bwrap-too-old"]),
        "EACCES": ("a security module refused the change of credentials", LSM),
    },
    "userns": {
        "EPERM": ("the kernel refused to create a namespace to this caller: unprivileged user namespaces are switched off, a seccomp filter refuses clone/unshare, the caller is in a chroot, or (without a user namespace) the caller lacks CAP_SYS_ADMIN", ["seccomp-filter", "userns-sysctl-disabled", "nested-userns-limit", "chroot", "container-no-privileges", "apparmor-userns-restrict"]),
        "EACCES": ("a security module refused the namespace (AppArmor's userns mediation on Ubuntu 23.10+, SELinux)", ["apparmor-userns-restrict", "apparmor-profile-path-mismatch", "selinux-denial"]),
        # bwrap prints `Creating new namespace failed: EINVAL` only when it
        # did not ask for a user namespace (with --unshare-user, or
        # unprivileged, EINVAL has its own words: IMPLIED below), so a kernel
        # without user namespaces never prints it: another namespace kind
        # (ipc, pid, net, uts, cgroup) this kernel lacks, or an emulation
        # with none (WSL1, gVisor).
        "EINVAL": ("the kernel does not know a namespace kind bwrap asked for (a namespace type this kernel lacks, WSL1; for a kernel without user namespaces bwrap prints its own words instead)", ["kernel-feature-missing", "wsl1", "gvisor"]),
        "ENOSPC": ("a namespace limit is reached: user.max_user_namespaces (or another max_*_namespaces) is 0 or exhausted, or 32 levels of nesting", ["userns-max-zero", "nested-userns-limit"]),
        "EUSERS": ("older kernels' word for the nesting limit (32 levels of user namespaces)", ["nested-userns-limit", "userns-max-zero"]),
        "ENOMEM": ("the kernel could not allocate the namespace, or the pid namespace's limit is reached", ["other"]),
        "ENOSYS": ("the namespace system call is missing: a filter answering ENOSYS, or an emulation layer (gVisor, WSL1)", ["kernel-feature-missing", "seccomp-filter", "gvisor", "wsl1"]),
        # bwrap reads /proc/PID/ns of its own child (namespace_ids_read, every
        # release) through the /proc it opened at start; the child is alive
        # then (it waits for the parent), so ENOENT means that /proc is not
        # the procfs of the pid namespace bwrap runs in. clone(2) and
        # unshare(2) do not return ENOENT, and a missing cgroup namespace
        # file has its own message.
        "ENOENT": ("bwrap's /proc is not the procfs of the pid namespace it runs in: an outer sandbox or `unshare --pid` kept the outer /proc, so /proc/PID of bwrap's own child is not there", ["bad-arguments", "other"]),
    },
    "uid-gid-map": {
        "EPERM": ("the kernel refused the map: the new user namespace has no privileges over the caller's ids (AppArmor's restriction gives bwrap a namespace without capabilities), or the map is not allowed", ["apparmor-userns-restrict", "apparmor-profile-path-mismatch", "bwrap-binary-unreadable", "apparmor-profile-denial", "container-lsm-profile"]),
        "EACCES": ("/proc/self/uid_map could not be opened for writing: AppArmor's user namespace restriction (Ubuntu 23.10+) or another security module refused, or bwrap is not dumpable (its file is not readable by the caller)", ["apparmor-userns-restrict", "apparmor-profile-path-mismatch", "bwrap-binary-unreadable", "apparmor-profile-denial", "selinux-denial"]),
        "EINVAL": ("the kernel rejected the map's content: an id outside the caller's range, or a map written twice", ["bad-arguments", "nested-userns-limit"]),
        "ENOENT": ("there is no /proc/self/uid_map: /proc is not a procfs or the kernel lacks user namespaces", ["userns-unsupported-kernel", "container-no-privileges"]),
        "EROFS": ("/proc is mounted read-only here, so the map cannot be written", ["container-no-privileges"]),
    },
    "second-userns": {
        "EPERM": ("creating the second user namespace (for --uid/--gid or --disable-userns) was refused, or /proc/sys/user/max_user_namespaces could not be written", ["userns-sysctl-disabled", "seccomp-filter", "container-no-privileges", "nested-userns-limit", "apparmor-userns-restrict"]),
        "EACCES": ("a security module refused the second namespace or the write to /proc/sys/user", ["container-lsm-profile", "apparmor-userns-restrict", "selinux-denial"]),
        "ENOSPC": ("the user namespace limit is reached at the second namespace (max_user_namespaces is 1, or nesting is exhausted)", ["userns-max-zero", "nested-userns-limit"]),
        "EINVAL": ("the kernel refused the second namespace's map or the limit written", ["kernel-feature-missing", "other"]),
        "EROFS": ("/proc/sys is read-only (as in containers), so --disable-userns cannot set max_user_namespaces", ["container-no-privileges"]),
        "ENOENT": ("/proc/sys/user/max_user_namespaces does not exist (a kernel without user namespaces, or /proc/sys hidden)", ["container-no-privileges", "userns-unsupported-kernel"]),
        "EUSERS": ("older kernels' word for the nesting limit", ["nested-userns-limit"]),
    },
    "netns-loopback": {
        "EPERM": ("netlink refused to configure lo: bwrap lacks CAP_NET_ADMIN over the new network namespace (AppArmor's user namespace restriction strips it), or a filter refuses", ["apparmor-userns-restrict", "apparmor-profile-path-mismatch", "container-no-privileges", "seccomp-filter", "apparmor-profile-denial"]),
        "EACCES": ("a security module refused the netlink socket or the change of lo", LSM),
        "EINVAL": ("the kernel rejected the netlink request (an emulated network stack)", ["gvisor", "kernel-feature-missing"]),
        "ENODEV": ("there is no lo in the new network namespace (an emulated network stack)", ["gvisor", "kernel-feature-missing"]),
        "EOPNOTSUPP": ("the network stack does not support the request (gVisor's netstack, WSL1)", ["gvisor", "wsl1", "kernel-feature-missing"]),
        "EPROTONOSUPPORT": ("NETLINK_ROUTE sockets are not supported here", ["gvisor", "wsl1", "kernel-feature-missing"]),
        "EAFNOSUPPORT": ("netlink sockets are not supported here, or a filter refuses them", ["seccomp-filter", "gvisor", "wsl1"]),
    },
    "proc-mount": {
        # AppArmor's and SELinux's mount hooks answer EACCES, not EPERM.
        "EPERM": ("the kernel refused a new procfs: /proc is partly masked or read-only (containers), so a fresh one would reveal more than the caller sees", ["proc-mount-denied", "container-no-privileges", "seccomp-filter", "container-lsm-profile"]),
        "EACCES": ("a security module refused the procfs mount", LSM),
        "EINVAL": ("the kernel rejected the procfs mount's flags or target", ["kernel-feature-missing", "other"]),
        "ENODEV": ("procfs is not available here", ["kernel-feature-missing", "gvisor"]),
        "EBUSY": ("the target is busy", ["other"]),
        "ENOENT": ("the mount point for /proc does not exist in the new root", ["bad-arguments"]),
    },
    "fs-mounts": {
        # tmpfs, devpts and mqueue may be mounted by the owner of the mount
        # namespace's user namespace (FS_USERNS_MOUNT), which bwrap is by this
        # step (it got past unshare and "make / slave"), so missing container
        # capabilities do not refuse them; AppArmor's and SELinux's mount hooks
        # refuse with EACCES, while a seccomp filter's ERRNO action is EPERM by
        # default (Docker's, Podman's, systemd's) and may be scoped by flags or
        # type, refusing this mount after earlier ones passed.
        "EPERM": ("the kernel refused the tmpfs/devpts/mqueue/overlay mount to bwrap's user namespace: a seccomp filter scoped to some mounts (an earlier mount passed), a namespace AppArmor's restriction left without capabilities, an outer confinement", ["seccomp-filter", "apparmor-userns-restrict", "container-lsm-profile", "apparmor-profile-denial", "container-no-privileges"]),
        "EACCES": ("a security module refused the mount (SELinux's or AppArmor's mount rules)", ["selinux-denial", "container-lsm-profile", "apparmor-profile-denial", "apparmor-userns-restrict"]),
        "EINVAL": ("the kernel rejected the mount's options: a --size or --perms it does not take, devpts or overlay options this kernel lacks, overlay in a user namespace before Linux 5.11", ["bad-arguments", "kernel-feature-missing"]),
        "ENODEV": ("the file system type is not in this kernel (mqueue without CONFIG_POSIX_MQUEUE, overlay without the module)", ["kernel-feature-missing", "gvisor"]),
        "ENOENT": ("the mount point does not exist in the new root", ["bad-arguments", "bind-dest-symlink"]),
        "ENOSPC": ("the mount limit (fs.mount-max) is reached", ["other"]),
        "ENOMEM": ("the kernel could not allocate the mount", ["other"]),
    },
    "bind-remount": {
        "ENOENT": ("a path of the bind does not exist: the source on the host, or the destination (often through a symlink, which resolves inside bwrap's temporary root, not the host's)", ["bind-source-missing", "bind-dest-symlink", "bad-arguments"]),
        "EACCES": ("bwrap may not reach the source: a directory on the way is closed to it, a FUSE mount without allow_other, NFS root squashing, or a security module", ["mount-permission-denied", "selinux-denial", "apparmor-profile-denial", "container-lsm-profile"]),
        # By the binds bwrap has made / a slave and mounted its tmpfs root in
        # its own mount namespace, so the capability to mount is there; what
        # refuses a bind or its remount with EPERM is the kernel's rule for
        # mounts that came from a more privileged namespace (a submount's
        # nosuid, nodev, noexec, read-only or atime flags are locked and a
        # remount may not clear them: mount_namespaces(7)), or a seccomp
        # filter. AppArmor's and SELinux's mount hooks refuse with EACCES.
        "EPERM": ("the kernel refused the bind or its remount: flags locked on the source or one of its submounts by a mount made outside the user namespace (nosuid, nodev, noexec, read-only, atime), a seccomp filter, or a namespace without capabilities (security modules refuse mounts with EACCES)", ["mount-permission-denied", "seccomp-filter", "container-no-privileges", "apparmor-userns-restrict", "container-lsm-profile", "apparmor-profile-denial"]),
        "EINVAL": ("the bind was rejected by the kernel (an unbindable or locked mount, a source the namespace may not see, or mount flags the destination cannot take) or, in bubblewrap before 0.5 (`Can't bind mount SRC on DEST`), by bwrap itself, which sets EINVAL when it cannot find the destination, resolved through its symlinks, in the mount table after the bind", ["bad-arguments", "bind-dest-symlink", "mount-permission-denied", "container-lsm-profile"]),
        "ENOTDIR": ("a directory was bound onto a file (or the reverse), or a path component is not a directory", ["bad-arguments", "bind-dest-symlink"]),
        "ELOOP": ("a symlink loop on the path", ["bind-dest-symlink", "bad-arguments"]),
        "ENODEV": ("the source is an automount point or a device the sandbox cannot use", ["mount-permission-denied"]),
        "ESTALE": ("a network file system's handle went stale", ["mount-permission-denied"]),
        "ENOSPC": ("the mount limit (fs.mount-max) is reached", ["other"]),
        "EROFS": ("the destination to create is on a read-only file system (under a --ro-bind)", ["bad-arguments"]),
        "EBUSY": ("the destination is busy", ["other"]),
    },
    "exec": {
        "ENOENT": ("the program, its interpreter (#! line or ELF loader) or a directory on its path is not in the sandbox; or the name is a whole command line passed as one argument; or (glibc) the program is there but in a format the kernel cannot run, and the sandbox has no /bin/sh, which glibc's execvp hands such a file to", ["command-not-found-in-sandbox", "bad-arguments", "exec-format-unsupported"]),
        "EACCES": ("the program is not executable here: no x bit, a noexec mount, or a security module", ["command-not-found-in-sandbox", "apparmor-profile-denial", "selinux-denial"]),
        "ENOEXEC": ("the program was found, but this kernel cannot run its format (built for another architecture with no binfmt_misc handler, a script without a #! line under a musl-built bwrap, a damaged file; under glibc only when the sandbox's /bin/sh, which glibc's execvp hands such a file to, cannot run either)", ["exec-format-unsupported", "bad-arguments"]),
        "ENOTDIR": ("a component of the program's path is not a directory in the sandbox", ["command-not-found-in-sandbox", "bad-arguments"]),
        "ELOOP": ("a symlink loop on the program's path", ["command-not-found-in-sandbox"]),
        "EPERM": ("the exec was refused: a security module, a setuid program under no_new_privs, or the label asked for", ["apparmor-profile-denial", "selinux-denial", "seccomp-filter"]),
        "ETXTBSY": ("the program is open for writing", ["other"]),
        "E2BIG": ("the arguments and environment are too large", ["bad-arguments"]),
        "ENOMEM": ("the kernel could not load the program", ["other"]),
    },
    "files-dirs-symlinks": {
        "ENOENT": ("a parent of the path to create does not exist in the sandbox, or goes through a symlink that points nowhere there", ["bad-arguments", "bind-dest-symlink"]),
        "EACCES": ("bwrap may not create or change the path: a directory on the way is not writable by it, or a security module refuses", ["bad-arguments", "selinux-denial", "apparmor-profile-denial"]),
        "EPERM": ("the change is not allowed on that file (an immutable file, a mount that refuses it, a security module)", ["bad-arguments", "apparmor-profile-denial", "selinux-denial"]),
        "EEXIST": ("something else already exists at the path (a file where a symlink or directory is asked for)", ["bad-arguments"]),
        "EROFS": ("the path to create is on a read-only file system: under a --ro-bind, or a read-only host directory bound in", ["bad-arguments"]),
        "ENOTDIR": ("a component of the path is a file, not a directory", ["bad-arguments", "bind-dest-symlink"]),
        "ENOSPC": ("the file system holding the path is full", ["other"]),
        "ELOOP": ("a symlink loop on the path", ["bad-arguments"]),
        "EISDIR": ("a directory stands where a file is to be created", ["bad-arguments", "bind-dest-symlink"]),
        "EBADF": ("the descriptor with the file's data is not open", ["bad-arguments"]),
        # ENXIO: open(2) of a UNIX socket, or of a device node without a
        # driver. bwrap before 0.6.0 (ensure_file) accepted only a regular
        # file at a non-directory's mount point and otherwise called
        # creat(), so a socket already there (an earlier bind of a
        # directory that holds it) fails; 0.6.0 accepts any non-directory
        # (bubblewrap#409). Whether such a call is the caller's mistake or
        # the release's limitation, nothing observable says: the callers'
        # threads call it either (set A 006, set D 036), so this is a step
        # rule, never confirmed.
        "ENXIO": ("a UNIX socket or a device node stands where bwrap makes a file to mount onto: bwrap before 0.6.0 opens it with creat(), which a socket refuses; binding a directory that holds the path and then binding onto the path asks an old bwrap for a layering it cannot make (0.6.0 and later accept any non-directory: upgrade bwrap, or do not bind the directory that holds the path first)", ["bad-arguments", "other"]),
    },
    "pivot-root": {
        "EINVAL": ("pivot_root refused: the current root is not a mount point (bwrap run from an initramfs/rootfs, as in some containers and early-boot environments) or the new root is not a mount", ["container-no-privileges", "chroot", "other"]),
        "EPERM": ("pivot_root or the mounts around it were refused: a seccomp filter, or missing CAP_SYS_ADMIN over the mount namespace (a container's, or a namespace AppArmor's restriction left without capabilities)", ["seccomp-filter", "container-no-privileges", "apparmor-userns-restrict", "apparmor-profile-denial"]),
        "EACCES": ("a security module refused the pivot or the old root's unmount", LSM + ["apparmor-userns-restrict"]),
        "EBUSY": ("the new or old root is busy (already mounted there)", ["other"]),
        "ENOTDIR": ("the new root is not a directory", ["other"]),
        "ENOENT": ("the temporary root's directories could not be found", ["other"]),
    },
    "seccomp": {
        "EINVAL": ("the kernel refused the filter: it has no CONFIG_SECCOMP_FILTER, or the program is malformed", ["kernel-feature-missing", "bad-arguments"]),
        "EACCES": ("the filter needs no_new_privs or CAP_SYS_ADMIN", ["other"]),
        "EFAULT": ("the filter program could not be read", ["bad-arguments"]),
        "ENOMEM": ("too many filters, or no memory for this one", ["other"]),
        "EPERM": ("a filter already installed refuses seccomp() itself", ["seccomp-filter"]),
    },
    "other": {
        "EPERM": ("a call of bwrap's own plumbing was refused", ["seccomp-filter", "other"]),
        "EACCES": ("a call of bwrap's own plumbing was refused by a security module", LSM),
        "EINVAL": ("the kernel rejected a call of bwrap's own plumbing (an emulation layer)", ["gvisor", "wsl1", "kernel-feature-missing"]),
        "ENOENT": ("a file of bwrap's own plumbing is missing", ["other"]),
        "ENOMEM": ("out of memory", ["other"]),
        "EBADF": ("a descriptor given to bwrap (--info-fd, --json-status-fd, --sync-fd, --block-fd) is not open", ["bad-arguments"]),
        "EPIPE": ("the other end of a descriptor given to bwrap was closed", ["bad-arguments"]),
    },
}
# Messages of a step whose errno means something else than at the rest of
# the step: (step, errno) -> [(suffix, regex on the catalogued format,
# meaning, causes)]. Their own rule, `stage.STEP.ERRNO.SUFFIX`, owns them;
# the step's rule `stage.STEP.ERRNO` owns the others.
SPLIT = {
    ("caps-setuid", "EPERM"): [
        # setuid(2) and setgid(2) (bubblewrap.c: switch_to_user_with_privs,
        # drop_privs, 0.4 to 0.11): `unable to switch to uid/gid N` only with
        # --userns FD, after setns(2) into a namespace another process made;
        # `unable to drop root uid` only when bwrap is setuid. Both need
        # CAP_SETUID/CAP_SETGID over the namespace, which the capable hook
        # checks: AppArmor's restriction refuses it to a task its
        # `unprivileged_userns` profile confines, but it relabels only the
        # task that creates a namespace (the userns_create hook), never one
        # that joins, nor root: so only a caller already so labelled (started
        # from a process the restriction confined), or a profile of the
        # caller's own denying the capability.
        ("set-id", r"^unable to (drop root uid|switch to [ug]id)",
         "the kernel refused the change of ids (setuid or setgid): bwrap has no CAP_SETUID or CAP_SETGID over the user namespace it joined with --userns, or, setuid, could not drop root: a filter refusing the call, a caller already confined by AppArmor's `unprivileged_userns` profile (the restriction confines a process that created a namespace and what it starts, not one that joins), or a profile of the caller's own denying the capability",
         ["seccomp-filter", "apparmor-userns-restrict", "apparmor-profile-denial", "container-no-privileges"]),
    ],
}
# Messages bwrap prints without an errno although its source prints them
# for one errno only: step -> [(suffix, regex on the catalogued format,
# the errno, what it means, causes)]. Their own rule,
# `stage.STEP.message.SUFFIX`, owns them; `stage.STEP.message` the others.
# bubblewrap.c (every release 0.4-0.12), after clone() with the namespace
# flags fails: `if (opt_unshare_user) { if (errno == EINVAL) die ("…kernel
# does not support user namespaces…"); else if (errno == EPERM &&
# !is_privileged) die ("No permissions to creat… new namespace…"); } if
# (errno == ENOSPC) die ("…max_*_namespaces exceeded (ENOSPC)");
# die_with_error ("Creating new namespace failed")`.
IMPLIED = {
    "userns": [
        # EPERM from clone(CLONE_NEWUSER) for an unprivileged (non-setuid)
        # bwrap: the Debian/linux-hardened sysctl (the switch bwrap's own
        # words name), a seccomp filter refusing the flag, a chroot
        # (clone(2): EPERM), or an outer sandbox's filter. A missing
        # capability does not refuse a user namespace, and AppArmor refuses
        # its creation with EACCES. The step rule is heard only when the
        # specific rules, which decide the others by container.kind,
        # caller.seccomp and chroot, are all ruled out: then the switch the
        # message names comes first (development sets: of 18 cases with
        # these words, the 7 filters are all in Docker, the 3 outer sandboxes
        # in Flatpak, 3 of 4 chroots stated as such; the 4 on a host in no
        # container are the sysctl).
        ("eperm", r"^No permissions to creat",
         "EPERM", "clone() refused the new user namespace to this unprivileged bwrap: unprivileged user namespaces are switched off (kernel.unprivileged_userns_clone = 0, the switch bwrap names), a seccomp filter refuses the flag, the caller is in a chroot, or an outer confinement forbids it",
         ["userns-sysctl-disabled", "seccomp-filter", "chroot", "nested-userns-limit"]),
        # EINVAL with --unshare-user (or an unprivileged bwrap, which always
        # asks for one): no CONFIG_USER_NS (bwrap's words), but also any
        # other namespace kind the kernel lacks (the same clone() call).
        ("einval", r"^Creating new namespace failed, likely because the kernel does not support user",
         "EINVAL", "clone() does not know a namespace kind bwrap asked for together with the user namespace: a kernel without user namespaces (bwrap's words), WSL1, or another namespace kind this kernel lacks",
         ["userns-unsupported-kernel", "kernel-feature-missing", "wsl1", "gvisor"]),
        ("enospc", r"max_\*_namespaces exceeded \(ENOSPC\)",
         "ENOSPC", "a namespace limit is reached: user.max_user_namespaces (or another max_*_namespaces) is 0 or exhausted, or 32 levels of nesting",
         ["userns-max-zero", "nested-userns-limit"]),
    ],
}
# The live experiments and host facts that bear on each step, shown as
# evidence with its stage rules (never a verdict: a stage rule is only
# ever unconfirmed).
EXPERIMENT = {
    "userns": ("experiment.userns", "the live experiment: creating a user namespace and writing its maps fails here too, outside bwrap"),
    "uid-gid-map": ("experiment.userns", "the live experiment: creating a user namespace and writing its maps fails here too, outside bwrap"),
    "second-userns": ("experiment.userns", "the live experiment: creating a user namespace and writing its maps fails here too, outside bwrap"),
    "netns-loopback": ("experiment.netns", "the live experiment: a network namespace's loopback cannot be brought up here either, outside bwrap"),
    "proc-mount": ("experiment.proc_mount", "the live experiment: a new /proc cannot be mounted here either, outside bwrap"),
}
CONTAINED = {"userns", "uid-gid-map", "second-userns", "netns-loopback", "proc-mount", "fs-mounts", "bind-remount", "pivot-root", "caps-setuid", "seccomp"}


def evidence(sid):
    out = []
    if sid in EXPERIMENT:
        fact, describe = EXPERIMENT[sid]
        out += ["[[rule.confirm]]", f"fact = {q(fact)}", 'field = "ok"', "equals = false", f"describe = {q(neutral(describe))}", ""]
    if sid in CONTAINED:
        out += ["[[rule.confirm]]", 'fact = "container.kind"', 'not_equals = "none"', f"describe = {q(neutral('bwrap runs inside a container or another sandbox, whose limits apply to this step'))}", ""]
    return out


STEP_SAYS = {
    "args-parsing": "its arguments were refused",
    "other": "its own plumbing failed",
}


def esc(text):
    """re.escape without escaping spaces and other harmless characters."""
    return re.sub(r"([.^$*+?()\[\]{}|\\])", r"\\\1", text)


def regex_of(fmt, errno_at=None):
    """A regex for a printf format: conversions match any text."""
    out, pos, n = [], 0, 0
    for m in re.finditer(r"%[-+ #0]*(\d+|\*)?(\.\d+)?(hh|h|ll|l|j|z|t)?[diouxXsc%]", fmt):
        out.append(esc(fmt[pos : m.start()]))
        if m.group(0) == "%%":
            out.append("%")
        elif n == errno_at:
            out.append("(?P<error>{ERR})")
        else:
            out.append(".*?" if m.group(0).endswith("s") else r"[-0-9a-fx]+")
        if m.group(0) != "%%":
            n += 1
        pos = m.end()
    out.append(esc(fmt[pos:]))
    # TOML literal strings cannot hold a single quote: match any character.
    return "".join(out).replace("'", ".")


# The end of a sentence inside a message: a period and spaces before more
# words, not the period of an abbreviation (`e.g. debian`).
SENTENCE_END = re.compile(r"(?<!\be\.g)(?<!\bi\.e)\.( +)(?=[A-Za-z<(])")


def plain_regex(fmt):
    """A regex for a message bwrap prints without an errno, which may be
    quoted cut after any of its sentences (`…user namespaces.` without the
    `See <https://deb.li/bubblewrap> …` that follows): each later sentence
    is optional."""
    m = SENTENCE_END.search(fmt)
    if not m:
        return regex_of(fmt)
    head, rest = fmt[: m.start(1)], fmt[m.end(1) :]
    # The gap as any run of spaces: pasted text often collapses the two
    # spaces bwrap prints after some sentences.
    return regex_of(head) + "(?: +" + plain_regex(rest) + ")?"


def cut_example(msgs):
    """An example of the first of `msgs` that has several sentences, quoted
    cut after its first one (the stage rule still owns it)."""
    for m in msgs:
        text = fill(m["format"], m["samples"], "x")
        cut = SENTENCE_END.search(text)
        if cut:
            return [
                "[[rule.example]]",
                f"name = {q('its words quoted cut after their first sentence')}",
                f"stderr = {q('bwrap: ' + text[: cut.start(1)] + chr(10))}",
                'expect = "unconfirmed"',
                "",
            ]
    return []


def fill(fmt, samples, errtext):
    vals = [errtext if s == "{errno}" else s for s in samples]
    i = iter(vals)
    return re.sub(r"%[-+ #0]*(\d+|\*)?(\.\d+)?(hh|h|ll|l|j|z|t)?[diouxXsc%]", lambda m: "%" if m.group(0) == "%%" else next(i), fmt)


def step_causes(sid):
    """The causes of a step's errnos, most often named (and earliest) first."""
    score = {}
    lists = [causes for _, causes in MEANING[sid].values()]
    lists += [part[3] for (step, _), parts in SPLIT.items() if step == sid for part in parts]
    for causes in lists:
        for i, c in enumerate(causes):
            n, best = score.get(c, (0, 99))
            score[c] = (n + 1, min(best, i))
    order = sorted(score, key=lambda c: (c == "other", -score[c][0], score[c][1], c))
    # Where a count ties, the alphabet is no evidence: a step may name the
    # cause that leads it (exec: a missing program is the commonest failure
    # at execvp by far: 23 of the 30 development cases (corpus, sets A, B, C)
    # whose bwrap line is `execvp …`; bad-arguments 2, exec-format-unsupported 4).
    lead = [c for c in LEADS.get(sid, []) if c in score]
    return lead + [c for c in order if c not in lead]


LEADS = {"exec": ["command-not-found-in-sandbox"]}


def q(s):
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'



def rule_head(rid, sid, causes, summary):
    """The lines every stage rule starts with: its id, the `other` cause a
    step rule stands for, its step, the causes it names and its summary."""
    return [
        "[[rule]]",
        f"id = {q(rid)}",
        'cause = "other"',
        f"stage = {q(sid)}",
        f"causes = [{', '.join(q(c) for c in causes)}]",
        f"summary = {q(neutral(summary))}",
    ]

def main():
    cat = tomllib.load(open("rules/catalogue/messages.toml", "rb"))["message"]
    steps = tomllib.load(open("rules/catalogue/steps.toml", "rb"))["step"]
    out = [
        "# Stage rules: for every setup step of bwrap x each errno that step can return,",
        "# what the errno means there and which causes can produce it. Generated by",
        "# scripts/stages.py from rules/catalogue/ (the step's messages, from bwrap's",
        "# source) and the meanings written in that script; do not edit by hand.",
        "# A stage rule is never confirmed and is heard only when no specific rule",
        "# stands (rules/README.md, Stage rules).",
        "",
    ]
    for step in steps:
        sid = step["id"]
        msgs = [m for m in cat if m["step"] == sid and m.get("prefix", True)]
        with_errno = [m for m in msgs if m["errno"] in ("strerror", "mount_strerror")]
        inline = [m for m in msgs if m["errno"] == "inline"]
        plain = [m for m in msgs if m["errno"] == "none"]
        def step_matches(text):
            return any(re.search("^" + regex_of(m["format"]) + "(: .*)?$", text) for m in msgs)

        other_step_msg = next(
            m
            for m in cat
            if m["step"] != sid
            and m["errno"] in ("strerror", "mount_strerror")
            and not step_matches(fill(m["format"], m["samples"], "x"))
        )
        alts = "|".join(regex_of(m["format"]) for m in with_errno)
        title = step["title"]
        for errno in step["errnos"]:
            split = SPLIT.get((sid, errno), [])
            def own(m, regex):
                return re.search(regex, m["format"]) is not None
            def rest(ms):
                return [m for m in ms if not any(own(m, r) for _, r, _, _ in split)]
            parts = [("", *MEANING[sid][errno], rest(with_errno), rest(inline))] + [
                ("." + suffix, meaning, causes, [m for m in with_errno if own(m, r)], [m for m in inline if own(m, r)])
                for suffix, r, meaning, causes in split
            ]
            for suffix, meaning, causes, p_with, p_inline in parts:
                # The other parts' first message, as a negative example.
                others = [o for o in parts if o[0] != suffix and (o[3] or o[4])]
                p_alts = "|".join(regex_of(m["format"]) for m in p_with)
                texts = [esc(STRERROR[errno])]
                if errno == "ENOSPC":
                    texts.append(esc(MOUNT_ENOSPC))
                err = "|".join(texts).replace("'", ".")
                pats = []
                if p_alts:
                    pats.append(f"^(?:{p_alts}): (?P<error>{err})$")
                for m in p_inline:
                    at = m["samples"].index("{errno}")
                    pats.append("^" + regex_of(m["format"], at).replace("{ERR}", err) + "$")
                if not pats:
                    continue
                rid = f"stage.{sid}.{errno.lower()}{suffix}"
                sample = (p_with or p_inline)[0]
                other_errno = next(e for e in STRERROR if e != errno and e != "ENOSPC")
                pos = "bwrap: " + (fill(sample["format"], sample["samples"], STRERROR[errno]) + ": " + STRERROR[errno] if sample in p_with else fill(sample["format"], sample["samples"], STRERROR[errno])) + "\n"
                neg_other = "bwrap: " + fill(sample["format"], sample["samples"], STRERROR[other_errno]) + (": " + STRERROR[other_errno] if sample in p_with else "") + "\n"
                neg_step = "bwrap: " + fill(other_step_msg["format"], other_step_msg["samples"], STRERROR[errno]) + (": " + STRERROR[errno] if other_step_msg["errno"] != "inline" else "") + "\n"
                out += rule_head(rid, sid, causes, f'bwrap failed at the step of {title}, with {errno} ({{error}}): {meaning}.') + [
                    "patterns = [",
                ]
                out += [f"  '{p}'," for p in pats]
                inline_examples = []
                for m in p_inline:
                    inline_examples += [
                        "[[rule.example]]",
                        f"name = {q('the errno inside the message')}",
                        f"stderr = {q('bwrap: ' + fill(m['format'], m['samples'], STRERROR[errno]) + chr(10))}",
                        'expect = "unconfirmed"',
                        "",
                    ]
                out += [
                    "]",
                    f"explanation = {q(neutral(f'This is the step rule for {title}, errno {errno}: no rule for a specific cause stands for this message (none matched it, or the probes ruled each out). The causes that fail this step with {errno}, most likely first: ' + ', '.join(causes) + '. `bwrap-doctor check` runs the live experiments (user namespace and its maps, network namespace and loopback, a new /proc) on this host.'))}",
                    "",
                ] + evidence(sid) + [
                    "[[rule.example]]",
                    f"name = {q(f'a {sid} message with {errno}')}",
                    f"stderr = {q(pos)}",
                    'expect = "unconfirmed"',
                    "",
                ] + ([
                    "[[rule.example]]",
                    f"name = {q('every piece of evidence seen: still only the step, never a confirmed cause')}",
                    f"stderr = {q(pos)}",
                    'expect = "unconfirmed"',
                    "[rule.example.facts]",
                ] + ([f'"{EXPERIMENT[sid][0]}" = {{ ok = false, step = "x", errno = "{errno}", message = "{STRERROR[errno]}" }}'] if sid in EXPERIMENT else [])
                  + (['"container.kind" = "docker"'] if sid in CONTAINED else []) + [""]
                   if evidence(sid) else []) + [
                    "[[rule.example]]",
                    f"name = {q(f'the same message with {other_errno}')}",
                    f"stderr = {q(neg_other)}",
                    'expect = "no-match"',
                    "",
                ] + (inline_examples if sample in p_with else [])
                for o in others[:1]:
                    m = (o[3] or o[4])[0]
                    text = fill(m["format"], m["samples"], STRERROR[errno]) + (": " + STRERROR[errno] if m in o[3] else "")
                    out += [
                        "[[rule.example]]",
                        f"name = {q('a message of this step that ' + ('its own rule' if o[0] else 'the step rule') + ' owns')}",
                        f"stderr = {q('bwrap: ' + text + chr(10))}",
                        'expect = "no-match"',
                        "",
                    ]
                if other_step_msg["format"] not in [m["format"] for m in msgs]:
                    out += [
                        "[[rule.example]]",
                        f"name = {q('a message of another step')}",
                        f"stderr = {q(neg_step)}",
                        'expect = "no-match"',
                        "",
                    ]
        # Any other errno at this step, and the messages without one.
        known = "|".join(esc(STRERROR[e]) for e in step["errnos"]).replace("'", ".")
        # bwrap's own words after a message and a colon (bind-mount.c's
        # `Unable to mount source on destination`, `Can't make symlink at
        # %s: destination exists, and cannot read symlink target`): the
        # message's own continuation, not an errno. Cut before the errno
        # that follows it, the line is the errno-missing rule's; printed
        # without one (`Unable to find "%s" in mount table`), the message
        # rule's. Never an errno this step rarely returns.
        def continues(m):
            return any(m["format"].startswith(o["format"] + ": ") for o in with_errno)
        continued = [m for m in with_errno if continues(m)]
        cont_alts = "|".join(regex_of(m["format"]) for m in continued)
        plain_continued = [m for m in plain if continues(m)]
        if alts:
            rid = f"stage.{sid}.other-errno"
            sample = with_errno[0]
            out += rule_head(rid, sid, ["other"], f'bwrap failed at the step of {title}, with an error ({{error}}) this step rarely returns.') + [
                f"patterns = ['^(?:{alts}): (?P<error>[^:]+)$']",
                f"except = [': (?:{known})$'"
                + (", '^(?:" + "|".join(plain_regex(m["format"]) for m in plain) + ")$'" if plain else "")
                + (f", '^(?:{cont_alts}):?$'" if cont_alts else "")
                + "]",
                f"explanation = {q(neutral(f'This is the step rule for {title}: the errno bwrap printed is none of those this step usually returns (' + ', '.join(step['errnos']) + '), so no rule knows what it means here. `bwrap-doctor check` runs the live experiments on this host.'))}",
                "",
                "[[rule.example]]",
                f"name = {q('an unusual errno')}",
                f"stderr = {q('bwrap: ' + fill(sample['format'], sample['samples'], 'x') + ': Stale NFS file handle' + chr(10))}",
                'expect = "unconfirmed"',
                "",
                "[[rule.example]]",
                f"name = {q('a usual errno has its own stage rule')}",
                f"stderr = {q('bwrap: ' + fill(sample['format'], sample['samples'], 'x') + ': ' + STRERROR[step['errnos'][0]] + chr(10))}",
                'expect = "no-match"',
                "",
            ]
            for m in continued[:1]:
                out += [
                    "[[rule.example]]",
                    f"name = {q('bwrap' + chr(39) + 's own words cut before their errno are not an unusual errno')}",
                    f"stderr = {q('bwrap: ' + fill(m['format'], m['samples'], 'x') + chr(10))}",
                    'expect = "no-match"',
                    "",
                ]
            for m in plain_continued[:1]:
                out += [
                    "[[rule.example]]",
                    f"name = {q('bwrap' + chr(39) + 's own words that it prints without an errno are not an unusual errno')}",
                    f"stderr = {q('bwrap: ' + fill(m['format'], m['samples'], 'x') + chr(10))}",
                    'expect = "no-match"',
                    "",
                ]
        # A message bwrap prints with an errno, seen without one: the line
        # was cut (a caller or a thread shortened it, a log truncated it).
        # The step is known, the errno is not: the step's causes, never a
        # specific rule's verdict. Which errno texts a line can end with is
        # not a list (musl's and older glibc's wordings, ENOTCONN, EDQUOT…
        # are in no table here): a line is cut only when nothing after one
        # of the step's messages and a colon reads as an error text
        # (ERRNO_LIKE); where something does, the step's other-errno or
        # errno rule owns it.
        if alts:
            rid = f"stage.{sid}.errno-missing"
            sample = with_errno[0]
            out += rule_head(rid, sid, step_causes(sid), f'bwrap failed at the step of {title}; the line was cut before its errno, so what the step met is not known.') + [
                f"patterns = ['^(?:{alts}):?$']",
                f"except = ['^(?:{alts}){ERRNO_LIKE}'"
                + (", '^(?:" + "|".join(plain_regex(m["format"]) for m in plain) + ")$'" if plain else "")
                + (f", '^(?:{cont_alts}):?$'" if cont_alts else "")
                + "]",
                f"explanation = {q(neutral(f'This is the step rule for {title}: bwrap ends this message with the errno the step met, and here nothing after it reads as an error text (the line was cut). The causes that fail this step, most likely first: ' + ', '.join(step_causes(sid)) + '. The whole line, or `bwrap-doctor check` on this host, decides between them.'))}",
                "",
                "[[rule.example]]",
                f"name = {q('the errno cut off')}",
                f"stderr = {q('bwrap: ' + fill(sample['format'], sample['samples'], 'x') + chr(10))}",
                'expect = "unconfirmed"',
                "",
                "[[rule.example]]",
                f"name = {q('cut after the colon')}",
                f"stderr = {q('bwrap: ' + fill(sample['format'], sample['samples'], 'x') + ':' + chr(10))}",
                'expect = "unconfirmed"',
                "",
                "[[rule.example]]",
                f"name = {q('with its errno')}",
                f"stderr = {q('bwrap: ' + fill(sample['format'], sample['samples'], 'x') + ': ' + STRERROR[step['errnos'][0]] + chr(10))}",
                'expect = "no-match"',
                "",
            ]
            for m in continued[:1]:
                out += [
                    "[[rule.example]]",
                    f"name = {q('bwrap' + chr(39) + 's own words after the message, cut before their errno, are the continued rule' + chr(39) + 's')}",
                    f"stderr = {q('bwrap: ' + fill(m['format'], m['samples'], 'x') + chr(10))}",
                    'expect = "no-match"',
                    "",
                ]
            for m in plain_continued[:1]:
                out += [
                    "[[rule.example]]",
                    f"name = {q('bwrap' + chr(39) + 's own words that it prints without an errno are not a cut line')}",
                    f"stderr = {q('bwrap: ' + fill(m['format'], m['samples'], 'x') + chr(10))}",
                    'expect = "no-match"',
                    "",
                ]
            for name, ending in (
                ("an errno the steps table lacks (ENOTCONN)", ": Transport endpoint is not connected"),
                ("musl's wording of an errno", ": Symbolic link loop"),
                ("an errno with a caller's suffix", ": " + STRERROR[step["errnos"][0]] + " (exit status 1)"),
                ("an errno retyped in lower case with a period", ": " + STRERROR[step["errnos"][0]].lower() + "."),
                ("an errno joined on without a space (a wrapped line)", ":" + STRERROR[step["errnos"][0]]),
            ):
                out += [
                    "[[rule.example]]",
                    f"name = {q(name + ' is not a cut line')}",
                    f"stderr = {q('bwrap: ' + fill(sample['format'], sample['samples'], 'x') + ending + chr(10))}",
                    'expect = "no-match"',
                    "",
                ]
        # The same cut, after bwrap's own words that follow the message
        # (`Can't bind mount %s on %s: Unable to mount source on
        # destination`): the errno-missing rule cannot own it, since its
        # older short form (`Can't bind mount %s on %s: %m`) reads those
        # words as an error text; this rule does, and only these lines.
        if continued:
            rid = f"stage.{sid}.continued.errno-missing"
            sample = continued[0]
            out += rule_head(rid, sid, step_causes(sid), f'bwrap failed at the step of {title}; the line was cut before its errno, so what the step met is not known.') + [
                f"patterns = ['^(?:{cont_alts}):?$']",
                f"explanation = {q(neutral(f'This is the step rule for {title}: bwrap ends this message, its own account of the failing call included, with the errno the step met, and here the line ends before it (it was cut). The causes that fail this step, most likely first: ' + ', '.join(step_causes(sid)) + '. The whole line, or `bwrap-doctor check` on this host, decides between them.'))}",
                "",
                "[[rule.example]]",
                f"name = {q('bwrap' + chr(39) + 's own words after the message, cut before their errno')}",
                f"stderr = {q('bwrap: ' + fill(sample['format'], sample['samples'], 'x') + chr(10))}",
                'expect = "unconfirmed"',
                "",
                "[[rule.example]]",
                f"name = {q('with its errno')}",
                f"stderr = {q('bwrap: ' + fill(sample['format'], sample['samples'], 'x') + ': ' + STRERROR[step['errnos'][0]] + chr(10))}",
                'expect = "no-match"',
                "",
            ]
            for m in plain_continued[:1]:
                out += [
                    "[[rule.example]]",
                    f"name = {q('bwrap' + chr(39) + 's own words that it prints without an errno are not a cut line')}",
                    f"stderr = {q('bwrap: ' + fill(m['format'], m['samples'], 'x') + chr(10))}",
                    'expect = "no-match"',
                    "",
                ]
        for suffix, r, errno, meaning, causes in IMPLIED.get(sid, []):
            mine = [m for m in plain if re.search(r, m["format"])]
            assert mine, (sid, suffix)
            other = next(m for m in plain if not any(re.search(x[1], m["format"]) for x in IMPLIED[sid]))
            rid = f"stage.{sid}.message.{suffix}"
            sample = mine[0]
            out += rule_head(rid, sid, causes, f'bwrap stopped at the step of {title}, with words it prints only for {errno}: {meaning}.') + [
                f"patterns = ['^(?:{'|'.join(plain_regex(m['format']) for m in mine)})$']",
                f"explanation = {q(neutral(f'This is the step rule for {title}; bwrap printed no errno, but it prints these words only when the call failed with {errno}. No rule for a specific cause stands for it. The causes that fail this step so, most likely first: ' + ', '.join(causes) + '.'))}",
                "",
            ] + evidence(sid) + [
                "[[rule.example]]",
                f"name = {q(f'words bwrap prints only for {errno}')}",
                f"stderr = {q('bwrap: ' + fill(sample['format'], sample['samples'], 'x') + chr(10))}",
                'expect = "unconfirmed"',
                "",
            ] + cut_example(mine) + [
                "[[rule.example]]",
                f"name = {q('another message of the step without an errno')}",
                f"stderr = {q('bwrap: ' + fill(other['format'], other['samples'], 'x') + chr(10))}",
                'expect = "no-match"',
                "",
            ]
        plain = [m for m in plain if not any(re.search(x[1], m["format"]) for x in IMPLIED.get(sid, []))]
        plain_continued = [m for m in plain if continues(m)]
        if plain:
            rid = f"stage.{sid}.message"
            alts_plain = "|".join(plain_regex(m["format"]) for m in plain)
            sample = plain[0]
            out += rule_head(rid, sid, step_causes(sid), f'bwrap stopped at the step of {title}: ' + STEP_SAYS.get(sid, 'it states the reason itself') + '.') + [
                f"patterns = ['^(?:{alts_plain})$']",
                f"explanation = {q(neutral(f'This is the step rule for {title}; bwrap printed no errno, and its message is its own account of what went wrong. No rule for a specific cause stands for it.'))}",
                "",
                "[[rule.example]]",
                f"name = {q(f'a {sid} message without an errno')}",
                f"stderr = {q('bwrap: ' + fill(sample['format'], sample['samples'], 'x') + chr(10))}",
                'expect = "unconfirmed"',
                "",
            ] + cut_example(plain) + [
                "[[rule.example]]",
                f"name = {q('with an errno after it')}",
                f"stderr = {q('bwrap: ' + fill(sample['format'], sample['samples'], 'x') + ': Invalid argument: more' + chr(10))}",
                'expect = "no-match"',
                "",
            ]
            for m in plain_continued[:1]:
                out += [
                    "[[rule.example]]",
                    f"name = {q('bwrap' + chr(39) + 's own words after a message, printed without an errno')}",
                    f"stderr = {q('bwrap: ' + fill(m['format'], m['samples'], 'x') + chr(10))}",
                    'expect = "unconfirmed"',
                    "",
                ]
    with open("rules/stages.toml", "w") as fh:
        fh.write("\n".join(out))


if __name__ == "__main__":
    main()
