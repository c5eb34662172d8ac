#!/bin/sh
# The AppArmor lab's payload: runs as root inside the VM (busybox sh, started
# by /init after switch_root), prints every case between markers on the
# console, and returns; /init powers the VM off.
#
# Every case runs the same failing bwrap command twice:
#   direct: the real bwrap by absolute path, PATH without the shim;
#   shim:   /opt/shim/bwrap (bwrap-doctor, a copy named bwrap) with
#           PATH=/opt/shim:<dir of the real bwrap>:..., so the shim finds that
#           real bwrap by PATH, exactly as it does on a user's machine.
# Output, per case (parsed by run.sh):
#   === CASE <name> direct rc=<N> cs=<centiseconds>
#   <stderr, verbatim>
#   === END
#   === CASE <name> shim rc=<N> cs=<centiseconds>
#   <stderr, verbatim: bwrap's own lines, then the diagnosis>
#   === END
#   === JSON <name>            (BWRAP_DOCTOR_JSON, only when the shim wrote one)
#   <the diagnosis as JSON>
#   === END
#
# busybox sh runs its own setpriv/unshare applets (no --reuid), so the
# util-linux ones are called by absolute path.

U="/usr/bin/setpriv --reuid=1001 --regid=1001 --clear-groups"
SYSPATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

up_cs() { # uptime in centiseconds
  read -r u _ </proc/uptime
  echo "${u%.*}${u#*.}"
}

# t NAME root|user REALDIR BWRAP-ARGS...
t() {
  name=$1 who=$2 dir=$3
  shift 3
  if [ "$who" = user ]; then pre=$U; home=/home/labuser; else pre=; home=/root; fi
  rm -f /tmp/diag.json /tmp/e
  a=$(up_cs)
  # shellcheck disable=SC2086  # $pre is a command prefix
  env -i PATH="$dir:$SYSPATH" HOME=$home NO_COLOR=1 $pre "$dir/bwrap" "$@" </dev/null >/dev/null 2>/tmp/e
  rc=$?
  b=$(up_cs)
  echo "=== CASE $name direct rc=$rc cs=$((b - a))"
  cat /tmp/e
  echo "=== END"
  rm -f /tmp/e
  a=$(up_cs)
  # The long form: its "  rule: ID (…)" lines say which rules were confirmed.
  # shellcheck disable=SC2086
  env -i PATH="/opt/shim:$dir:$SYSPATH" HOME=$home NO_COLOR=1 BWRAP_DOCTOR_JSON=/tmp/diag.json BWRAP_DOCTOR_REPORT=long \
    $pre /opt/shim/bwrap "$@" </dev/null >/dev/null 2>/tmp/e
  rc=$?
  b=$(up_cs)
  echo "=== CASE $name shim rc=$rc cs=$((b - a))"
  cat /tmp/e
  echo "=== END"
  if [ -s /tmp/diag.json ]; then
    echo "=== JSON $name"
    cat /tmp/diag.json
    echo "=== END"
  fi
}

echo "=== INFO uname $(uname -r)"
echo "=== INFO lsm $(cat /sys/kernel/security/lsm 2>&1)"
echo "=== INFO apparmor.enabled $(cat /sys/module/apparmor/parameters/enabled 2>&1)"
for f in kernel/unprivileged_userns_clone kernel/apparmor_restrict_unprivileged_userns \
  kernel/apparmor_restrict_unprivileged_unconfined kernel/unprivileged_userns_apparmor_policy \
  user/max_user_namespaces; do
  echo "=== INFO sysctl $f = $(cat /proc/sys/$f 2>/dev/null || echo absent)"
done
echo "=== INFO userns_create feature: $(ls /sys/kernel/security/apparmor/features/namespaces/userns_create 2>/dev/null || echo absent)"
echo "=== INFO bwrap $(/usr/bin/bwrap --version 2>&1), shim $(/opt/shim/bwrap-doctor --version 2>&1)"
mkdir -p /tmp/srcdir

# ---- controls: nothing fails, the shim adds nothing --------------------------
t control_root root /usr/bin --ro-bind / / true
t control_user_all user /usr/bin --ro-bind / / --unshare-all true

# ---- Debian's kernel.unprivileged_userns_clone = 0 ---------------------------
if [ -e /proc/sys/kernel/unprivileged_userns_clone ]; then
  echo 0 >/proc/sys/kernel/unprivileged_userns_clone
  echo "=== INFO sysctl kernel/unprivileged_userns_clone = $(cat /proc/sys/kernel/unprivileged_userns_clone)"
  t clone0_user user /usr/bin --ro-bind / / true
  t clone0_user_all user /usr/bin --ro-bind / / --unshare-all true
  t clone0_user_try user /usr/bin --ro-bind / / --unshare-user-try true
  t clone0_root_userns root /usr/bin --unshare-user --ro-bind / / true
  echo 1 >/proc/sys/kernel/unprivileged_userns_clone
  echo "=== INFO sysctl kernel/unprivileged_userns_clone = $(cat /proc/sys/kernel/unprivileged_userns_clone)"
else
  echo "=== INFO no kernel.unprivileged_userns_clone in this kernel: clone0 cases skipped"
fi

# ---- AppArmor profiles for copied ("vendored") bwraps -------------------------
# Debian's kernel has no Ubuntu-style userns mediation
# (kernel.apparmor_restrict_unprivileged_userns, features/namespaces/userns_create),
# so Ubuntu's denials are imitated by a profile on each copy that withholds
# what Ubuntu's unprivileged_userns profile withholds.
COMMON='file,
  /** ix,
  network,
  mount,
  umount,
  pivot_root,
  signal,
  ptrace,
  unix,
  capability sys_admin,
  capability sys_chroot,
  capability setuid,
  capability setgid,
  capability sys_ptrace,
  capability dac_override,
  capability dac_read_search,
  capability fowner,
  capability chown,
  capability fsetid,
  capability kill,
  capability sys_resource,'
profile() { # profile NAME FLAGS EXTRA-RULES
  mkdir -p "/opt/vendored-$1"
  cp /usr/bin/bwrap "/opt/vendored-$1/bwrap"
  cat >"/etc/apparmor.d/lab-bwrap-$1" <<P
abi <abi/3.0>,
include <tunables/global>

profile lab-bwrap-$1 /opt/vendored-$1/bwrap $2{
  $COMMON
  $3
}
P
  echo "=== INFO load lab-bwrap-$1: $(apparmor_parser -r -W "/etc/apparmor.d/lab-bwrap-$1" 2>&1; echo rc=$?)"
}
a=$(up_cs)
# everything bwrap needs but CAP_NET_ADMIN
profile nonetadmin 'flags=(attach_disconnected) ' 'capability setpcap,'
# neither CAP_NET_ADMIN nor CAP_SETPCAP (Ubuntu's unprivileged_userns denies all caps)
profile nocaps 'flags=(attach_disconnected) ' ''
# every capability, but no attach_disconnected: the uid_map open after unshare
# is a "disconnected path" (Ubuntu 24.04's audit line for a vendored bwrap)
profile nodisconnected '' 'capability setpcap, capability net_admin,'
# a mount rule that denies bind mounts onto /newroot/mnt/
profile denymount 'flags=(attach_disconnected) ' 'capability setpcap, capability net_admin,
  deny mount -> /newroot/mnt/,'
# control: everything bwrap needs
profile ok 'flags=(attach_disconnected) ' 'capability setpcap, capability net_admin,'
b=$(up_cs)
echo "=== INFO profiles loaded in cs=$((b - a)):"
cat /sys/kernel/security/apparmor/profiles

t aa_nonetadmin_user_net user /opt/vendored-nonetadmin --ro-bind / / --unshare-net true
t aa_nonetadmin_user_all user /opt/vendored-nonetadmin --ro-bind / / --unshare-all true
t aa_nonetadmin_user_nonet user /opt/vendored-nonetadmin --ro-bind / / true
t aa_nonetadmin_root_net root /opt/vendored-nonetadmin --ro-bind / / --unshare-net true
t aa_nonetadmin_root_userns_net root /opt/vendored-nonetadmin --unshare-user --ro-bind / / --unshare-net true
t aa_nocaps_user_net user /opt/vendored-nocaps --ro-bind / / --unshare-net true
t aa_nocaps_user_all user /opt/vendored-nocaps --ro-bind / / --unshare-all true
t aa_nocaps_root_net root /opt/vendored-nocaps --ro-bind / / --unshare-net true
t aa_nodisconnected_user user /opt/vendored-nodisconnected --ro-bind / / true
t aa_nodisconnected_user_net user /opt/vendored-nodisconnected --ro-bind / / --unshare-net true
t aa_nodisconnected_root_userns root /opt/vendored-nodisconnected --unshare-user --ro-bind / / true
t aa_denymount_user user /opt/vendored-denymount --ro-bind / / --ro-bind /tmp/srcdir /mnt true
t aa_denymount_root root /opt/vendored-denymount --ro-bind / / --ro-bind /tmp/srcdir /mnt true
t aa_ok_user_all user /opt/vendored-ok --ro-bind / / --unshare-all --proc /proc --dev /dev true
t unconfined_user_all user /usr/bin --ro-bind / / --unshare-all --proc /proc --dev /dev true

# ---- the doctor's own view of this host, once (unprivileged, a copied bwrap) --
a=$(up_cs)
# shellcheck disable=SC2086
env -i PATH="/opt/shim:$SYSPATH" HOME=/home/labuser NO_COLOR=1 \
  $U /opt/shim/bwrap-doctor check --bwrap /opt/vendored-nocaps/bwrap >/tmp/o 2>&1
rc=$?
b=$(up_cs)
echo "=== CHECK rc=$rc cs=$((b - a))"
cat /tmp/o
echo "=== END"

# and its snapshot of the facts (replayable: bwrap-doctor explain --snapshot FILE)
rm -f /tmp/snap.json
# shellcheck disable=SC2086
env -i PATH="/opt/shim:$SYSPATH" HOME=/home/labuser NO_COLOR=1 \
  $U /opt/shim/bwrap-doctor snapshot --bwrap /opt/vendored-nocaps/bwrap -o /tmp/snap.json >/dev/null 2>&1
echo "=== SNAPSHOT rc=$?"
cat /tmp/snap.json 2>/dev/null
echo "=== END"

echo "=== AUDIT AppArmor denials, counted:"
# timestamps, audit serials and pids removed, so that repeats collapse
dmesg | grep 'apparmor="DENIED"' |
  sed -e 's/^\[[^]]*\] //' -e 's/audit([^)]*): //' -e 's/ pid=[0-9]*//' -e 's|proc/[0-9]*/|proc/PID/|' |
  sort | uniq -c | sed 's/^ *//'
echo "=== END"
