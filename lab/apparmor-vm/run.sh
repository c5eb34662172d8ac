#!/bin/bash
# The AppArmor lab: boot a Debian 12 kernel under qemu (TCG: no KVM needed)
# with a small initramfs holding bubblewrap and the bwrap-doctor shim, make
# bwrap fail the ways only a real LSM and Debian's kernel patch make it fail
# (kernel.unprivileged_userns_clone=0, AppArmor profiles on copied bwraps),
# run each failure directly and through the shim, and check the diagnoses.
# See README.md beside this file.
#
# usage: run.sh [--keep WORKDIR] [--kernel 6.1|6.12] [--record] [--apt-install-qemu]
#   --keep WORKDIR     work (downloads, rootfs, console, per-case files) in
#                      WORKDIR and keep everything; default: downloads cached in
#                      /var/tmp/bwrap-doctor-lab/cache, the build removed after
#                      the run
#   --kernel 6.1       linux-image-6.1.0-*-amd64, the one linux-image-amd64
#                      depends on (default); 6.12: linux-image-6.12-amd64's
#                      (bookworm-security). BWD_LAB_KERNEL_PKG=<package> overrides.
#   --record           also write the result to results/<kernel-version>.txt here
#   --apt-install-qemu install qemu-system-x86 with apt-get (root) when no qemu is
#                      found, instead of unpacking it into the cache (the default,
#                      which changes nothing on the host)
# environment: BWD_SHIM=<bwrap-doctor binary> (default: cargo build --release in
#   the repository), BWD_QEMU=<qemu-system-x86_64>, BWD_LAB_TIMEOUT=<seconds for
#   qemu, default 300>
# exit: 0 every case as expected (README.md's table), 1 otherwise,
#       77 qemu or the downloads unavailable (skip)
set -uo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
WORK=/var/tmp/bwrap-doctor-lab
KEEP=0
KERNEL=6.1
RECORD=0
APT_QEMU=0
while [ $# -gt 0 ]; do
  case "$1" in
    --keep) WORK=${2:?--keep needs a directory}; KEEP=1; shift 2 ;;
    --kernel) KERNEL=${2:?--kernel needs 6.1 or 6.12}; shift 2 ;;
    --record) RECORD=1; shift ;;
    --apt-install-qemu) APT_QEMU=1; shift ;;
    -h|--help) sed -n '2,/^set -uo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "run.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done
mkdir -p "$WORK" || exit 1
WORK=$(cd "$WORK" && pwd)
CACHE=$WORK/cache
if [ $KEEP = 1 ]; then BUILD=$WORK/build; else BUILD=$(mktemp -d "$WORK/build.XXXXXX"); fi
mkdir -p "$CACHE" "$BUILD"
cleanup() { [ $KEEP = 1 ] || rm -rf "$BUILD"; }
trap cleanup EXIT

say() { echo "lab: $*" >&2; }
skip() { say "SKIP: $*"; exit 77; }
now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN{printf "%.1f", b - a}'; }
T_START=$(now)

# ---------------------------------------------------------------- downloads
command -v apt-get >/dev/null && command -v dpkg-deb >/dev/null ||
  skip "apt-get and dpkg-deb are needed for the downloads"
APT_OPTS=()
[ "$(id -u)" = 0 ] && APT_OPTS=(-o APT::Sandbox::User=root)
UPDATED=0
apt_download() { # into the current directory; one apt-get update on failure (root)
  apt-get "${APT_OPTS[@]}" -q download "$@" >/dev/null 2>"$BUILD/apt.err" && return 0
  if [ $UPDATED = 0 ] && [ "$(id -u)" = 0 ]; then
    UPDATED=1
    say "apt-get download failed; running apt-get update once"
    apt-get -q update >/dev/null 2>&1 &&
      apt-get "${APT_OPTS[@]}" -q download "$@" >/dev/null 2>"$BUILD/apt.err" && return 0
  fi
  cat "$BUILD/apt.err" >&2
  return 1
}

if [ -n "${BWD_LAB_KERNEL_PKG:-}" ]; then
  KPKG=$BWD_LAB_KERNEL_PKG
else
  case "$KERNEL" in
    6.1) META=linux-image-amd64 ;;
    6.12) META=linux-image-6.12-amd64 ;;
    *) echo "run.sh: --kernel 6.1 or 6.12" >&2; exit 2 ;;
  esac
  KPKG=$(apt-cache depends "$META" 2>/dev/null | awk '/Depends: linux-image-[0-9]/{print $2; exit}')
  if [ -z "$KPKG" ] && [ "$(id -u)" = 0 ]; then
    apt-get -q update >/dev/null 2>&1 && UPDATED=1
    KPKG=$(apt-cache depends "$META" 2>/dev/null | awk '/Depends: linux-image-[0-9]/{print $2; exit}')
  fi
  [ -n "$KPKG" ] || skip "apt-cache does not know $META"
fi
KVER=${KPKG#linux-image-}
T0=$(now)
VMLINUZ=$CACHE/vmlinuz-$KVER
if [ ! -s "$VMLINUZ" ]; then
  say "downloading $KPKG"
  (cd "$CACHE" && rm -f "$KPKG"_*.deb && apt_download "$KPKG") || skip "cannot download $KPKG"
  (cd "$CACHE" && dpkg-deb --fsys-tarfile "$KPKG"_*.deb | tar -xO "./boot/vmlinuz-$KVER" >"$VMLINUZ.tmp") &&
    mv "$VMLINUZ.tmp" "$VMLINUZ" || { rm -f "$VMLINUZ.tmp"; skip "no ./boot/vmlinuz-$KVER in $KPKG"; }
  KDEB_SIZE=$(du -m "$CACHE/$KPKG"_*.deb | cut -f1)
  rm -f "$CACHE/$KPKG"_*.deb
  echo "$KDEB_SIZE" >"$VMLINUZ.debsize"
fi
# apparmor_parser (+ abi, tunables, features) and a static busybox, unpacked
for p in apparmor busybox-static; do
  if [ ! -e "$CACHE/$p/.done" ]; then
    say "downloading $p"
    rm -rf "$CACHE/$p" && mkdir -p "$CACHE/$p" &&
      (cd "$CACHE/$p" && apt_download "$p" && dpkg-deb -x ./*.deb root && rm -f ./*.deb && touch .done) ||
      skip "cannot download $p"
  fi
done
T_DOWNLOAD=$(secs "$T0" "$(now)")

# ---------------------------------------------------------------- qemu
T0=$(now)
QEMU_ENV=()
QEMU_L=()
QEMU_HOW=
if [ -n "${BWD_QEMU:-}" ]; then
  QEMU=$BWD_QEMU; QEMU_HOW="BWD_QEMU"
elif QEMU=$(command -v qemu-system-x86_64); then
  QEMU_HOW="on PATH"
elif [ $APT_QEMU = 1 ]; then
  [ "$(id -u)" = 0 ] || skip "--apt-install-qemu needs root"
  say "apt-get install qemu-system-x86"
  apt-get -s -q install --no-install-recommends qemu-system-x86 2>/dev/null | grep '^Remv' >&2 &&
    say "warning: this install removes the packages above"
  DEBIAN_FRONTEND=noninteractive apt-get -q install -y --no-install-recommends qemu-system-x86 >"$BUILD/apt-qemu.log" 2>&1 ||
    { cat "$BUILD/apt-qemu.log" >&2; skip "apt-get install qemu-system-x86 failed"; }
  QEMU=$(command -v qemu-system-x86_64) || skip "no qemu-system-x86_64 after the install"
  QEMU_HOW="apt-get install ($(grep -o 'After this operation, .*' "$BUILD/apt-qemu.log" || true))"
else
  # Unpack qemu-system-x86 and the packages it needs that this host lacks into
  # the cache: no root, nothing on the host changes (on a machine with
  # backports' qemu-utils, a real install of bookworm's qemu removes it).
  QR=$CACHE/qemu/root
  if [ ! -e "$CACHE/qemu/.done" ]; then
    say "downloading qemu-system-x86 into the cache"
    PKGS=$(apt-get -s -q install --no-install-recommends qemu-system-x86 2>/dev/null | awk '/^Inst /{print $2}')
    [ -n "$PKGS" ] || skip "apt-get cannot resolve qemu-system-x86"
    rm -rf "$CACHE/qemu" && mkdir -p "$QR" &&
      # shellcheck disable=SC2086
      (cd "$CACHE/qemu" && apt_download $PKGS &&
        for d in ./*.deb; do dpkg-deb -x "$d" root || exit 1; done &&
        du -cm ./*.deb | tail -1 | cut -f1 >debsize && rm -f ./*.deb && touch .done) ||
      skip "cannot download qemu-system-x86"
  fi
  QEMU=$QR/usr/bin/qemu-system-x86_64
  QEMU_ENV=(env "LD_LIBRARY_PATH=$QR/usr/lib/x86_64-linux-gnu:$QR/lib/x86_64-linux-gnu")
  QEMU_L=(-L "$QR/usr/share/qemu" -L "$QR/usr/share/seabios")
  QEMU_HOW="unpacked in $CACHE/qemu ($(cat "$CACHE/qemu/debsize") MB of .debs, $(du -sm "$QR" | cut -f1) MB unpacked)"
fi
QEMU_VERSION=$("${QEMU_ENV[@]}" "$QEMU" --version 2>/dev/null | head -1) ||
  skip "qemu does not run: $QEMU"
T_QEMU=$(secs "$T0" "$(now)")

# ---------------------------------------------------------------- the shim
T0=$(now)
if [ -n "${BWD_SHIM:-}" ]; then
  SHIM=$BWD_SHIM
  SHIM_FROM="BWD_SHIM=$SHIM"
else
  say "cargo build --release"
  (cd "$REPO" && cargo build --release --quiet) || { say "FAIL: cargo build --release"; exit 1; }
  SHIM=$REPO/target/release/bwrap-doctor
  SHIM_FROM="cargo build --release at $(git -C "$REPO" rev-parse --short HEAD 2>/dev/null || echo '?')$(git -C "$REPO" status --porcelain -uno 2>/dev/null | grep -q . && echo ' + uncommitted changes')"
fi
[ -x "$SHIM" ] || { say "FAIL: no shim at $SHIM"; exit 1; }
SHIM_FROM="$SHIM_FROM, sha256 $(sha256sum "$SHIM" | cut -c1-16)…"
T_SHIM=$(secs "$T0" "$(now)")

# ---------------------------------------------------------------- initramfs
T0=$(now)
for x in /usr/bin/bwrap /usr/bin/setpriv /usr/bin/unshare; do
  [ -x "$x" ] || { say "FAIL: $x missing on this host (apt-get install bubblewrap util-linux)"; exit 1; }
done
R=$BUILD/rootfs
rm -rf "$R"
mkdir -p "$R"/{bin,sbin,usr/bin,usr/sbin,etc/apparmor,etc/apparmor.d,proc,sys,dev,tmp,root,home/labuser,opt/shim,mnt,run,usr/share/apparmor-features}
chmod 1777 "$R/tmp"
BB=$CACHE/busybox-static/root/bin/busybox
cp "$BB" "$R/bin/busybox"
for a in $("$BB" --list); do [ -e "$R/bin/$a" ] || ln -s busybox "$R/bin/$a"; done
copy_with_libs() { # copy_with_libs FILE [DEST]: the file and what ldd says it loads
  local f=$1 dest=${2:-$1} l
  mkdir -p "$R$(dirname "$dest")"
  cp -L "$f" "$R$dest"
  for l in $(ldd "$f" 2>/dev/null | grep -o '/[^ ]*'); do
    mkdir -p "$R$(dirname "$l")"
    [ -e "$R$l" ] || cp -L "$l" "$R$l"
  done
}
copy_with_libs /usr/bin/bwrap
copy_with_libs /usr/bin/setpriv
copy_with_libs /usr/bin/unshare
AA=$CACHE/apparmor/root
copy_with_libs "$AA/sbin/apparmor_parser" /sbin/apparmor_parser
cp -a "$AA/etc/apparmor.d/abi" "$AA/etc/apparmor.d/tunables" "$R/etc/apparmor.d/"
cp -a "$AA/etc/apparmor/parser.conf" "$R/etc/apparmor/"
cp "$AA/usr/share/apparmor-features/features" "$R/usr/share/apparmor-features/"
# the shim: a copy named bwrap ahead of /usr/bin on PATH; the real one stays /usr/bin/bwrap
copy_with_libs "$SHIM" /opt/shim/bwrap-doctor
cp "$R/opt/shim/bwrap-doctor" "$R/opt/shim/bwrap"
cat >"$R/etc/passwd" <<'P'
root:x:0:0:root:/root:/bin/sh
labuser:x:1001:1001:labuser:/home/labuser:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
P
cat >"$R/etc/group" <<'G'
root:x:0:
labuser:x:1001:
nogroup:x:65534:
G
chown 1001:1001 "$R/home/labuser" 2>/dev/null
install -m 0755 "$HERE/init" "$R/init"
install -m 0755 "$HERE/guest-tests.sh" "$R/guest-tests.sh"
if command -v cpio >/dev/null; then CPIO=(cpio); else CPIO=("$BB" cpio); fi
(cd "$R" && find . | "${CPIO[@]}" -o -H newc --quiet 2>/dev/null | gzip -1) >"$BUILD/initrd.gz" ||
  { say "FAIL: building the initramfs"; exit 1; }
INITRD_MB=$(du -m "$BUILD/initrd.gz" | cut -f1)
T_INITRD=$(secs "$T0" "$(now)")

# ---------------------------------------------------------------- boot
T0=$(now)
say "booting $KVER under qemu (TCG)"
CONSOLE=$BUILD/console.txt
timeout "${BWD_LAB_TIMEOUT:-300}" "${QEMU_ENV[@]}" "$QEMU" "${QEMU_L[@]}" \
  -accel tcg -cpu max -m 512 -smp 1 -nographic -no-reboot -nic none -monitor none -serial stdio \
  -kernel "$VMLINUZ" -initrd "$BUILD/initrd.gz" \
  -append "console=ttyS0 rdinit=/init panic=-1 quiet loglevel=3 lsm=lockdown,capability,landlock,yama,apparmor,bpf" \
  </dev/null 2>&1 | tr -d '\r' | sed 's/\x1b\[[0-9;?]*[a-zA-Z]//g; s/\x1bc//g' >"$CONSOLE"
QEMU_RC=${PIPESTATUS[0]}
T_BOOT=$(secs "$T0" "$(now)")
BOOTED=$(sed -n 's/.*=== BOOTED uptime=//p' "$CONSOLE")
DONE=$(sed -n 's/^=== DONE uptime=//p' "$CONSOLE")
[ -n "$DONE" ] || say "the guest did not finish (qemu exit $QEMU_RC); console: $CONSOLE"

# ---------------------------------------------------------------- checks
# Per case: name | the first line of bwrap's stderr (an extended regexp; "" =
# no output) | what the shim must add:
#   ok             rc 0 and nothing added
#   rule:ID[,ID]   the diagnosis confirms exactly these rules ("rule: ID (…)")
#   none           "no cause could be confirmed" (the possible causes are recorded)
#   unclassified   "no rule explains this message"
# These are what the engine says today (see README.md: some are gaps).
EXPECT='
control_root||ok
control_user_all||ok
clone0_user|^bwrap: No permissions to create new namespace, likely because the kernel does not allow non-privileged user namespaces|rule:userns-sysctl-disabled
clone0_user_all|^bwrap: No permissions to create new namespace|rule:userns-sysctl-disabled
clone0_user_try|^bwrap: No permissions to create new namespace|rule:userns-sysctl-disabled
clone0_root_userns||ok
aa_nonetadmin_user_net|^bwrap: loopback: Failed RTM_NEWADDR: No child processes$|rule:apparmor-profile-denial.loopback
aa_nonetadmin_user_all|^bwrap: loopback: Failed RTM_NEWADDR: No child processes$|rule:apparmor-profile-denial.loopback
aa_nonetadmin_user_nonet||ok
aa_nonetadmin_root_net|^bwrap: loopback: Failed RTM_NEWADDR: No child processes$|rule:apparmor-profile-denial.loopback
aa_nonetadmin_root_userns_net|^bwrap: loopback: Failed RTM_NEWADDR: No child processes$|rule:apparmor-profile-denial.loopback
aa_nocaps_user_net|^bwrap: loopback: Failed RTM_NEWADDR: Operation not permitted$|rule:apparmor-profile-denial.loopback
aa_nocaps_user_all|^bwrap: loopback: Failed RTM_NEWADDR: Operation not permitted$|rule:apparmor-profile-denial.loopback
aa_nocaps_root_net|^bwrap: loopback: Failed RTM_NEWADDR: |rule:apparmor-profile-denial.loopback
aa_nodisconnected_user|^bwrap: setting up uid map: Permission denied$|rule:apparmor-profile-denial.uid-map
aa_nodisconnected_user_net|^bwrap: setting up uid map: Permission denied$|rule:apparmor-profile-denial.uid-map
aa_nodisconnected_root_userns|^bwrap: setting up uid map: Permission denied$|rule:apparmor-profile-denial.uid-map
aa_denymount_user|^bwrap: Can.t bind mount /oldroot/tmp/srcdir on /newroot/mnt: Unable to mount source on destination: Permission denied$|rule:apparmor-profile-denial.mount
aa_denymount_root|^bwrap: Can.t bind mount /oldroot/tmp/srcdir on /newroot/mnt: Unable to mount source on destination: Permission denied$|rule:apparmor-profile-denial.mount
aa_ok_user_all||ok
unconfined_user_all||ok
'
CASES=$BUILD/cases
rm -rf "$CASES" && mkdir -p "$CASES"
# split the console: cases/NAME.direct, NAME.shim (stderr), NAME.direct.rc, …
awk -v d="$CASES" '
  /^=== CASE [^ ]+ (direct|shim) rc=/ { split($0, f, " "); out = d "/" f[3] "." f[4];
    rc = f[5]; sub("rc=", "", rc); cs = f[6]; sub("cs=", "", cs);
    print rc > (out ".rc"); print cs > (out ".cs"); printf "" > out; next }
  /^=== JSON / { out = d "/" $3 ".json"; printf "" > out; next }
  /^=== END$/ { out = ""; next }
  out != "" { print >> out }
' "$CONSOLE"

verdict() { # what the shim added after bwrap's stderr ($1: file with the added text)
  local f=$1 rules
  rules=$(sed -n 's/^  rule: \([^ ]*\) (.*/\1/p' "$f" | paste -sd, -)
  if [ -n "$rules" ]; then echo "rule:$rules"
  elif grep -q '^bwrap-doctor: no cause could be confirmed' "$f"; then echo none
  elif grep -q 'no rule explains this message' "$f"; then echo unclassified
  elif [ -s "$f" ]; then echo other
  else echo silent; fi
}
candidates() { # rule=verdict list from the JSON diagnosis
  [ -s "$1" ] || { echo "-"; return; }
  if command -v jq >/dev/null; then
    jq -r '[.candidates[] | "\(.rule)=\(.verdict)"] | join(" ")' "$1" 2>/dev/null || echo "(unreadable JSON)"
  else
    echo "(jq missing)"
  fi
}

FAILS=0
TABLE=$BUILD/table.txt
: >"$TABLE"
while IFS='|' read -r name want_msg want; do
  [ -n "$name" ] || continue
  c=$CASES/$name
  problems=() rcd= rcs=
  if [ ! -e "$c.direct.rc" ] || [ ! -e "$c.shim.rc" ]; then
    problems+=("case missing from the console")
    got=missing
  else
    rcd=$(cat "$c.direct.rc") rcs=$(cat "$c.shim.rc")
    [ "$rcd" = "$rcs" ] || problems+=("exit codes differ: direct $rcd, shim $rcs")
    n=$(wc -c <"$c.direct")
    if ! cmp -s <(head -c "$n" "$c.shim") "$c.direct"; then
      problems+=("the shim's stderr does not start with bwrap's own stderr")
    fi
    tail -c +"$((n + 1))" "$c.shim" >"$c.added"
    if [ -z "$want_msg" ]; then
      [ ! -s "$c.direct" ] || problems+=("bwrap printed something: $(head -1 "$c.direct")")
      [ "$rcd" = 0 ] || problems+=("bwrap exited $rcd")
    else
      head -1 "$c.direct" | grep -Eq -- "$want_msg" || problems+=("bwrap's message is not /$want_msg/")
      [ "$rcd" = 1 ] || problems+=("bwrap exited $rcd, not 1")
    fi
    got=$(verdict "$c.added")
    [ "$got" = silent ] && [ "$want" = ok ] && got=ok
    [ "$got" = "$want" ] || problems+=("the shim said '$got', expected '$want'")
  fi
  if [ ${#problems[@]} = 0 ]; then st=ok; else st=FAIL; FAILS=$((FAILS + 1)); fi
  {
    echo "--- $name: $st (expected: $want; shim: $got; direct ${rcd:-?}/shim ${rcs:-?} in $(cat "$c.direct.cs" 2>/dev/null)/$(cat "$c.shim.cs" 2>/dev/null) cs)"
    for p in "${problems[@]}"; do echo "    PROBLEM: $p"; done
    echo "    candidates: $(candidates "$c.json")"
    echo "    bwrap (direct) stderr:"
    sed 's/^/      | /' "$c.direct" 2>/dev/null
    echo "    shim stderr:"
    sed 's/^/      | /' "$c.shim" 2>/dev/null
  } >>"$TABLE"
  printf '%-32s %-4s %s\n' "$name" "$st" "$got" >&2
done <<<"$EXPECT"
T_TOTAL=$(secs "$T_START" "$(now)")

# ---------------------------------------------------------------- report
RES=$BUILD/result.txt
{
  echo "# bwrap-doctor AppArmor lab: $KPKG"
  echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "host: $(uname -r), $(nproc) cpu(s); qemu: $QEMU_VERSION ($QEMU_HOW), TCG, -m 512 -smp 1"
  echo "guest: $(sed -n 's/^=== INFO bwrap //p' "$CONSOLE")"
  echo "shim: $SHIM_FROM"
  echo "initramfs: $INITRD_MB MB (gzip -1)"
  echo "timings (s): downloads $T_DOWNLOAD (0 = cached; kernel .deb $(cat "$VMLINUZ.debsize" 2>/dev/null || echo '?') MB)," \
    "qemu $T_QEMU, shim build $T_SHIM, initramfs $T_INITRD, qemu wall $T_BOOT" \
    "(guest uptime at the tests ${BOOTED:-?}, at the end ${DONE:-?}), total $T_TOTAL"
  if [ -z "$DONE" ]; then echo "result: FAIL (the guest did not reach the end of its tests)"
  elif [ $FAILS = 0 ]; then echo "result: PASS (every case as expected)"
  else echo "result: FAIL ($FAILS case(s) not as expected)"; fi
  echo
  echo "## cases"
  cat "$TABLE"
  echo
  echo "## console (the guest's output, verbatim, but the JSON diagnoses and the snapshot"
  echo "## are left out: run.sh keeps them in WORKDIR/last-KVER/cases/NAME.json and snapshot.json)"
  awk '/^=== (JSON|SNAPSHOT) /{print; print "(omitted)"; skip=1; next}
       skip && /^=== END$/{skip=0} !skip' "$CONSOLE"
} >"$RES"
# kept after the run (the build tree is not, without --keep)
OUT=$WORK/last-$KVER
rm -rf "$OUT" && mkdir -p "$OUT" && cp -r "$RES" "$CONSOLE" "$CASES" "$OUT/"
# the guest's snapshot (uid 1001, --bwrap /opt/vendored-nocaps/bwrap), for
# `bwrap-doctor explain --snapshot` and rule tests on the host
awk '/^=== SNAPSHOT /{on=1; next} /^=== END$/{on=0} on' "$CONSOLE" >"$OUT/snapshot.json"
if [ $RECORD = 1 ]; then
  mkdir -p "$HERE/results" && cp "$RES" "$HERE/results/$KVER.txt"
  [ -s "$OUT/snapshot.json" ] && cp "$OUT/snapshot.json" "$HERE/results/$KVER.snapshot.json"
  say "recorded $HERE/results/$KVER.txt"
fi
say "timings (s): downloads $T_DOWNLOAD, qemu $T_QEMU, shim $T_SHIM, initramfs $T_INITRD, boot+tests $T_BOOT, total $T_TOTAL"
say "result: $OUT/result.txt (console.txt, cases/, snapshot.json beside it)"
if [ -z "$DONE" ]; then
  say "FAIL: the guest did not reach the end of its tests"
  exit 1
fi
if [ $FAILS != 0 ]; then
  say "FAIL: $FAILS case(s) not as expected"
  exit 1
fi
say "PASS"
exit 0
