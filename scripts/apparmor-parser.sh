#!/bin/sh
# Run an AppArmor 4 parser (the generation Ubuntu 23.10+ uses, which knows the
# `userns,` rule and abi/4.0) on this Debian 12 machine without installing
# it: Debian trixie's apparmor and libc6 packages are downloaded from the
# Debian archive into target/apparmor4 and run through trixie's own dynamic
# loader. It only parses (-Q -K: no kernel, no cache): enough to prove that a
# generated profile is one AppArmor accepts.
#
#   scripts/apparmor-parser.sh --fetch        download if needed
#   scripts/apparmor-parser.sh PROFILE...     parse; exit status is the parser's
#
# Exit 77 when the packages cannot be fetched (no archive, no apt).
set -eu
top="$(cd "$(dirname "$0")/.." && pwd)"
dir="${BWD_APPARMOR4_DIR:-$top/target/apparmor4}"
root="$dir/root"
lib="$root/usr/lib/x86_64-linux-gnu"

fetch() {
  [ -x "$root/usr/sbin/apparmor_parser" ] && [ -x "$lib/ld-linux-x86-64.so.2" ] && return 0
  command -v apt-get >/dev/null 2>&1 || { echo "apparmor-parser.sh: no apt-get" >&2; exit 77; }
  [ "$(uname -m)" = x86_64 ] || { echo "apparmor-parser.sh: only x86_64 is set up" >&2; exit 77; }
  mkdir -p "$dir/sources" "$dir/lists/partial" "$dir/cache/archives/partial" "$root"
  cat > "$dir/sources/trixie.sources" <<'SRC'
Types: deb
URIs: http://deb.debian.org/debian
Suites: trixie
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
  set -- -o Dir::Etc::SourceList=/dev/null -o "Dir::Etc::SourceParts=$dir/sources" \
    -o "Dir::State::Lists=$dir/lists" -o "Dir::Cache=$dir/cache" \
    -o Debug::NoLocking=1 -o APT::Sandbox::User=root
  apt-get "$@" -qq update >&2 || { echo "apparmor-parser.sh: cannot reach the Debian archive" >&2; exit 77; }
  (cd "$dir" && apt-get "$@" -qq download apparmor libc6 >&2) || { echo "apparmor-parser.sh: download failed" >&2; exit 77; }
  for deb in "$dir"/apparmor_*.deb "$dir"/libc6_*.deb; do
    dpkg-deb -x "$deb" "$root"
  done
}

fetch
[ "${1:-}" = --fetch ] && exit 0
exec "$lib/ld-linux-x86-64.so.2" --library-path "$lib" "$root/usr/sbin/apparmor_parser" \
  --config-file /dev/null -Q -K --base "$root/etc/apparmor.d" -I "$root/etc/apparmor.d" "$@"
