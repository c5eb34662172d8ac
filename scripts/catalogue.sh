#!/bin/sh
# Regenerate rules/catalogue/messages.toml: every message bubblewrap can
# print, from its source (rules/catalogue/README.md says what is in it).
#
#   scripts/catalogue.sh GIT-DIR
#
# GIT-DIR: a clone of bubblewrap's repository (bare is fine) with its
# release tags v0.4.0 … v0.11.1. Debian's source packages (bullseye,
# bookworm, trixie, sid) come from the Debian archive through a private apt
# configuration under $BWD_CATALOGUE_DIR (default
# /var/tmp/bwrap-doctor-catalogue); nothing is installed. A Debian release
# is unpacked from its .orig.tar.xz and .debian.tar.xz with its quilt
# patches applied; when the archive lacks its .debian.tar.xz (bullseye's
# 0.4.1-3 here), the strings of its binary package stand in for its patched
# wordings. Only the message texts are kept; no bubblewrap code is copied.
set -eu
git_dir="${1:?usage: scripts/catalogue.sh GIT-DIR (a clone of bubblewrap)}"
here="$(cd "$(dirname "$0")/.." && pwd)"
dir="${BWD_CATALOGUE_DIR:-/var/tmp/bwrap-doctor-catalogue}"
TAGS="v0.4.0 v0.4.1 v0.5.0 v0.6.0 v0.6.1 v0.6.2 v0.6.3 v0.7.0 v0.8.0 v0.9.0 v0.10.0 v0.11.0 v0.11.1"
SUITES="bullseye bookworm trixie sid"

rm -rf "$dir/trees"
mkdir -p "$dir/trees" "$dir/sources" "$dir/lists/partial" "$dir/cache/archives/partial" "$dir/dl"
set --
for tag in $TAGS; do
  t="$dir/trees/${tag#v}"
  mkdir -p "$t"
  git --git-dir="$git_dir" archive "$tag" | tar -C "$t" -x
  set -- "$@" "${tag#v}=$t"
done

cat > "$dir/sources/debian.sources" <<SRC
Types: deb deb-src
URIs: http://deb.debian.org/debian
Suites: $SUITES
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
apt() {
  "$@" -o Dir::Etc::SourceList=/dev/null -o "Dir::Etc::SourceParts=$dir/sources" \
    -o "Dir::State::Lists=$dir/lists" -o "Dir::Cache=$dir/cache" \
    -o Debug::NoLocking=1 -o APT::Sandbox::User=root -o APT::Architecture=amd64
}
if apt apt-get -qq update >&2; then
  for v in $(apt apt-cache showsrc bubblewrap | sed -n 's/^Version: //p' | sort -u); do
    up="${v%%-*}"
    t="$dir/trees/$v"
    (cd "$dir/dl" && apt apt-get -qq source --download-only "bubblewrap=$v" >/dev/null 2>&1) || true
    orig="$dir/dl/bubblewrap_$up.orig.tar.xz"
    deb="$dir/dl/bubblewrap_$(echo "$v" | sed 's/~/%7e/g;s/%7e/~/g').debian.tar.xz"
    if [ -f "$orig" ] && [ -f "$deb" ]; then
      mkdir -p "$t"
      tar -C "$t" --strip-components=1 -xJf "$orig"
      tar -C "$t" -xJf "$deb"
      if [ -f "$t/debian/patches/series" ]; then
        grep -v '^#' "$t/debian/patches/series" | while read -r p _; do
          [ -n "$p" ] && patch -s -p1 -d "$t" < "$t/debian/patches/$p"
        done
      fi
      set -- "$@" "$v=$t"
      if [ ! -d "$dir/trees/$up" ]; then
        # A release without a tag in GIT-DIR: upstream's tarball as Debian has it.
        mkdir -p "$dir/trees/$up"
        tar -C "$dir/trees/$up" --strip-components=1 -xJf "$orig"
        set -- "$@" "$up=$dir/trees/$up"
      fi
    else
      # No Debian tarball here: the binary package's strings show which
      # wordings it prints.
      (cd "$dir/dl" && apt apt-get -qq download "bubblewrap=$v" >/dev/null 2>&1) || true
      b=$(ls "$dir"/dl/bubblewrap_"$(echo "$v" | sed 's/:/%3a/')"_*.deb 2>/dev/null | head -n 1)
      if [ -n "$b" ]; then
        mkdir -p "$t"
        dpkg-deb --fsys-tarfile "$b" | tar -C "$t" -x ./usr/bin/bwrap
        strings -n 4 "$t/usr/bin/bwrap" > "$t/strings.txt"
        set -- "$@" "$v=strings:$t/strings.txt"
      elif [ -f "$orig" ]; then
        # No Debian files at all: upstream's text of that release.
        mkdir -p "$dir/trees/$up"
        tar -C "$dir/trees/$up" --strip-components=1 -xJf "$orig"
        set -- "$@" "$up=$dir/trees/$up"
      else
        echo "catalogue.sh: bubblewrap $v: not in the archive here, left out" >&2
      fi
    fi
  done
else
  echo "catalogue.sh: the Debian archive is not reachable: upstream releases only" >&2
fi
python3 "$here/scripts/catalogue.py" "$here/rules/catalogue/messages.toml" "$here/rules/catalogue/steps.toml" "$@"
