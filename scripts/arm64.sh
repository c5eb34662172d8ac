#!/bin/sh
# Debian 12's arm64 bubblewrap and the libraries it loads, and the amd64
# qemu-user-static package's qemu-aarch64-static, for the test that runs
# that bwrap under qemu-user on this x86_64 machine: downloaded from the
# Debian archive with a private apt configuration (no architecture is added
# to dpkg) into /var/tmp/bwrap-doctor-arm64 and unpacked there. Nothing is
# installed: in particular no binfmt_misc handler is registered (installing
# the package would register one for every architecture wherever
# binfmt_misc is mounted, and the kernel would hand every foreign program
# to qemu, which the tests of foreign programs must not meet).
#
#   scripts/arm64.sh fetch   download and unpack (idempotent)
#   scripts/arm64.sh root    print the unpacked arm64 tree (qemu's -L prefix):
#                            its usr/bin/bwrap is bubblewrap 0.8.0 for aarch64
#   scripts/arm64.sh qemu    print the path of the unpacked qemu-aarch64-static
#
# Exit 77 when the tree is not there (run `fetch`), or cannot be fetched.
set -eu
# Outside the checkout, which may sit where the unprivileged test user
# cannot reach (/root/…).
dir="${BWD_ARM64_DIR:-/var/tmp/bwrap-doctor-arm64}"
root="$dir/root"
qemu="$dir/qemu/usr/bin/qemu-aarch64-static"
PACKAGES="bubblewrap:arm64 libc6:arm64 libcap2:arm64 libselinux1:arm64 libpcre2-8-0:arm64"

fetched() {
  [ -f "$root/usr/bin/bwrap" ] && [ -f "$root/lib/ld-linux-aarch64.so.1" ] && [ -x "$qemu" ]
}

fetch() {
  fetched && return 0
  command -v apt-get >/dev/null 2>&1 || { echo "arm64.sh: no apt-get" >&2; exit 77; }
  [ "$(uname -m)" = x86_64 ] || { echo "arm64.sh: only x86_64 is set up (the emulated bwrap must be of another architecture)" >&2; exit 77; }
  mkdir -p "$dir/sources" "$dir/lists/partial" "$dir/cache/archives/partial" "$dir/debs" "$root"
  cat > "$dir/sources/bookworm-arm64.sources" <<'SRC'
Types: deb
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates
Components: main
Architectures: arm64 amd64
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: http://deb.debian.org/debian-security
Suites: bookworm-security
Components: main
Architectures: arm64 amd64
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
  # This configuration knows amd64 and arm64; an empty status file keeps the
  # host's installed packages out of it.
  set -- -o Dir::Etc::SourceList=/dev/null -o "Dir::Etc::SourceParts=$dir/sources" \
    -o "Dir::State::Lists=$dir/lists" -o "Dir::Cache=$dir/cache" \
    -o Dir::State::status=/dev/null -o APT::Architecture=amd64 \
    -o APT::Architectures::=amd64 -o APT::Architectures::=arm64 \
    -o Debug::NoLocking=1 -o APT::Sandbox::User=root
  apt-get "$@" -qq update >&2 || { echo "arm64.sh: cannot reach the Debian archive" >&2; exit 77; }
  rm -f "$dir"/debs/*.deb
  (cd "$dir/debs" && apt-get "$@" -qq download $PACKAGES qemu-user-static:amd64 >&2) || { echo "arm64.sh: download failed" >&2; exit 77; }
  rm -rf "$root.new" "$dir/qemu"
  mkdir -p "$root.new" "$dir/qemu"
  for deb in "$dir"/debs/*_arm64.deb; do
    dpkg-deb -x "$deb" "$root.new"
  done
  # The package holds an emulator per architecture (some 400 MB): keep one.
  dpkg-deb --fsys-tarfile "$dir"/debs/qemu-user-static_*_amd64.deb |
    tar -x -C "$dir/qemu" ./usr/bin/qemu-aarch64-static
  rm -f "$dir"/debs/qemu-user-static_*_amd64.deb
  rm -rf "$root"
  mv "$root.new" "$root"
  # The tests run it as an unprivileged user too.
  chmod -R a+rX "$dir"
  "$qemu" -L "$root" "$root/usr/bin/bwrap" --version >&2
}

case "${1:-}" in
  fetch) fetch ;;
  root)
    fetched || { echo "arm64.sh: not fetched; run scripts/arm64.sh fetch" >&2; exit 77; }
    echo "$root" ;;
  qemu)
    fetched || { echo "arm64.sh: not fetched; run scripts/arm64.sh fetch" >&2; exit 77; }
    echo "$qemu" ;;
  *) echo "usage: scripts/arm64.sh fetch | root | qemu" >&2; exit 2 ;;
esac
