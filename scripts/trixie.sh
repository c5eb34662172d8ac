#!/bin/sh
# Debian 13 (trixie) programs for the tests, run on this Debian 12 machine
# without installing them: the packages are downloaded from the Debian
# archive into /var/tmp/bwrap-doctor-trixie and unpacked there.
#
#   scripts/trixie.sh fetch               download and unpack (idempotent)
#   scripts/trixie.sh bwrap               print the path of bubblewrap 0.12 from trixie, made
#                                         runnable here (patchelf: trixie's loader and libraries)
#   scripts/trixie.sh apparmor_parser F…  parse AppArmor profiles with trixie's AppArmor 4
#                                         parser (the generation Ubuntu 23.10+ uses: it knows
#                                         `userns,` and abi/4.0); parse only, no kernel
#
# Exit 77 when the files are not there (run `fetch`), or cannot be fetched.
set -eu
# Outside the checkout, which may sit where the unprivileged test user
# cannot reach (/root/…).
dir="${BWD_TRIXIE_DIR:-/var/tmp/bwrap-doctor-trixie}"
. "$(dirname "$0")/private-dir.sh"
private_dir trixie.sh "$dir" BWD_TRIXIE_DIR
root="$dir/root"
lib="$root/usr/lib/x86_64-linux-gnu"
loader="$lib/ld-linux-x86-64.so.2"
bwrap="$dir/bwrap-0.12"
PACKAGES="apparmor bubblewrap libc6 libcap2 libselinux1 libpcre2-8-0"

fetched() {
  [ -x "$root/usr/sbin/apparmor_parser" ] && [ -x "$loader" ] && [ -x "$bwrap" ]
}

fetch() {
  fetched && return 0
  command -v apt-get >/dev/null 2>&1 || { echo "trixie.sh: no apt-get" >&2; exit 77; }
  command -v patchelf >/dev/null 2>&1 || { echo "trixie.sh: patchelf is not installed (apt-get install patchelf)" >&2; exit 77; }
  [ "$(uname -m)" = x86_64 ] || { echo "trixie.sh: only x86_64 is set up" >&2; exit 77; }
  mkdir -p "$dir/sources" "$dir/lists/partial" "$dir/cache/archives/partial" "$dir/debs" "$root"
  cat > "$dir/sources/trixie.sources" <<'SRC'
Types: deb
URIs: http://deb.debian.org/debian
Suites: trixie trixie-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: http://deb.debian.org/debian-security
Suites: trixie-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
  set -- -o Dir::Etc::SourceList=/dev/null -o "Dir::Etc::SourceParts=$dir/sources" \
    -o "Dir::State::Lists=$dir/lists" -o "Dir::Cache=$dir/cache" \
    -o Debug::NoLocking=1 -o APT::Sandbox::User=root
  apt-get "$@" -qq --error-on=any update >&2 || { echo "trixie.sh: apt-get update failed (its error is above: the Debian archive unreachable, or an apt older than 2.2 without --error-on)" >&2; exit 77; }
  (cd "$dir/debs" && apt-get "$@" -qq download $PACKAGES >&2) || { echo "trixie.sh: download failed" >&2; exit 77; }
  for deb in "$dir"/debs/*.deb; do
    dpkg-deb -x "$deb" "$root"
  done
  cp "$root/usr/bin/bwrap" "$bwrap.new"
  patchelf --set-interpreter "$loader" --set-rpath "$lib" "$bwrap.new"
  chmod 0755 "$bwrap.new"
  mv "$bwrap.new" "$bwrap"
  # The tests run it as an unprivileged user too.
  chmod -R a+rX "$dir"
  "$bwrap" --version >&2
}

case "${1:-}" in
  fetch) fetch ;;
  bwrap)
    fetched || { echo "trixie.sh: not fetched; run scripts/trixie.sh fetch" >&2; exit 77; }
    echo "$bwrap" ;;
  apparmor_parser)
    fetched || { echo "trixie.sh: not fetched; run scripts/trixie.sh fetch" >&2; exit 77; }
    shift
    exec "$loader" --library-path "$lib" "$root/usr/sbin/apparmor_parser" \
      --config-file /dev/null -Q -K --base "$root/etc/apparmor.d" -I "$root/etc/apparmor.d" "$@" ;;
  *) echo "usage: scripts/trixie.sh fetch | bwrap | apparmor_parser PROFILE…" >&2; exit 2 ;;
esac
