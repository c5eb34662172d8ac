#!/bin/sh
# Debian's arm64 bubblewrap (12's 0.8.0 and 13's 0.12.0) and the libraries
# it loads, and the amd64 qemu-user-static package's qemu-aarch64-static,
# for the test that runs those bwraps under qemu-user on this x86_64
# machine: downloaded from the Debian archive with private apt
# configurations (no architecture is added to dpkg) into
# /var/tmp/bwrap-doctor-arm64 and unpacked there. Nothing is installed: in
# particular no binfmt_misc handler is registered (installing the package
# would register one for every architecture wherever binfmt_misc is
# mounted, and the kernel would hand every foreign program to qemu, which
# the tests of foreign programs must not meet).
#
#   scripts/arm64.sh fetch          download and unpack (idempotent)
#   scripts/arm64.sh root [SUITE]   print an unpacked arm64 tree (qemu's -L
#                                   prefix): bookworm (the default; its
#                                   usr/bin/bwrap is bubblewrap 0.8.0) or
#                                   trixie (0.12.0)
#   scripts/arm64.sh qemu           print the path of the unpacked
#                                   qemu-aarch64-static
#
# Exit 77 when the files are not there (run `fetch`), or cannot be fetched.
set -eu
# Outside the checkout, which may sit where the unprivileged test user
# cannot reach (/root/…).
dir="${BWD_ARM64_DIR:-/var/tmp/bwrap-doctor-arm64}"
. "$(dirname "$0")/private-dir.sh"
private_dir arm64.sh "$dir" BWD_ARM64_DIR
qemu="$dir/qemu/usr/bin/qemu-aarch64-static"
PACKAGES="bubblewrap:arm64 libc6:arm64 libcap2:arm64 libselinux1:arm64 libpcre2-8-0:arm64"

fetched() {
  for suite in bookworm trixie; do
    [ -f "$dir/$suite/root/usr/bin/bwrap" ] && [ -e "$dir/$suite/root/lib/ld-linux-aarch64.so.1" ] || return 1
  done
  [ -x "$qemu" ]
}

# fetch_suite SUITE: the arm64 packages of SUITE into $dir/SUITE/root, and,
# for bookworm, qemu-user-static's qemu-aarch64-static into $dir/qemu.
fetch_suite() {
  s="$dir/$1"
  mkdir -p "$s/sources" "$s/lists/partial" "$s/cache/archives/partial" "$s/debs"
  cat > "$s/sources/$1.sources" <<SRC
Types: deb
URIs: http://deb.debian.org/debian
Suites: $1 $1-updates
Components: main
Architectures: arm64 amd64
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: http://deb.debian.org/debian-security
Suites: $1-security
Components: main
Architectures: arm64 amd64
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
  # This configuration knows amd64 and arm64; an empty status file keeps the
  # host's installed packages out of it.
  set -- -o Dir::Etc::SourceList=/dev/null -o "Dir::Etc::SourceParts=$s/sources" \
    -o "Dir::State::Lists=$s/lists" -o "Dir::Cache=$s/cache" \
    -o Dir::State::status=/dev/null -o APT::Architecture=amd64 \
    -o APT::Architectures::=amd64 -o APT::Architectures::=arm64 \
    -o Debug::NoLocking=1 -o APT::Sandbox::User=root
  apt-get "$@" -qq --error-on=any update >&2 || { echo "arm64.sh: apt-get update failed (its error is above: the Debian archive unreachable, or an apt older than 2.2 without --error-on)" >&2; exit 77; }
  rm -f "$s"/debs/*.deb
  extra=""
  [ "$s" != "$dir/bookworm" ] || extra="qemu-user-static:amd64"
  (cd "$s/debs" && apt-get "$@" -qq download $PACKAGES $extra >&2) || { echo "arm64.sh: download failed" >&2; exit 77; }
  rm -rf "$s/root.new"
  mkdir -p "$s/root.new"
  for deb in "$s"/debs/*_arm64.deb; do
    dpkg-deb -x "$deb" "$s/root.new"
  done
  # trixie's libc6 puts the loader under /usr/lib only (the /lib link comes
  # from base-files, not unpacked here).
  [ -e "$s/root.new/lib" ] || ln -s usr/lib "$s/root.new/lib"
  rm -rf "$s/root"
  mv "$s/root.new" "$s/root"
  if [ -n "$extra" ]; then
    rm -rf "$dir/qemu"
    mkdir -p "$dir/qemu"
    # The package holds an emulator per architecture (some 400 MB): keep one.
    dpkg-deb --fsys-tarfile "$s"/debs/qemu-user-static_*_amd64.deb |
      tar -x -C "$dir/qemu" ./usr/bin/qemu-aarch64-static
    rm -f "$s"/debs/qemu-user-static_*_amd64.deb
  fi
}

fetch() {
  fetched && return 0
  command -v apt-get >/dev/null 2>&1 || { echo "arm64.sh: no apt-get" >&2; exit 77; }
  [ "$(uname -m)" = x86_64 ] || { echo "arm64.sh: only x86_64 is set up (the emulated bwrap must be of another architecture)" >&2; exit 77; }
  fetch_suite bookworm
  fetch_suite trixie
  # The tests run them as an unprivileged user too.
  chmod -R a+rX "$dir"
  for suite in bookworm trixie; do
    "$qemu" -L "$dir/$suite/root" "$dir/$suite/root/usr/bin/bwrap" --version >&2
  done
}

case "${1:-}" in
  fetch) fetch ;;
  root)
    fetched || { echo "arm64.sh: not fetched; run scripts/arm64.sh fetch" >&2; exit 77; }
    case "${2:-bookworm}" in
      bookworm | trixie) echo "$dir/${2:-bookworm}/root" ;;
      *) echo "arm64.sh: no suite ${2}: bookworm or trixie" >&2; exit 2 ;;
    esac ;;
  qemu)
    fetched || { echo "arm64.sh: not fetched; run scripts/arm64.sh fetch" >&2; exit 77; }
    echo "$qemu" ;;
  *) echo "usage: scripts/arm64.sh fetch | root [bookworm|trixie] | qemu" >&2; exit 2 ;;
esac
