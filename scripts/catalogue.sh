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
#
# Ubuntu's source packages (focal, jammy and noble with their -updates and
# -security pockets, plucky, questing) are read the same way from
# archive.ubuntu.com, through a second private apt configuration whose key
# is Debian's own ubuntu-keyring package (downloaded through the Debian
# configuration above, so Debian's archive key vouches for it). Uploads
# Ubuntu has withdrawn (superseded in every pocket, so in no index) but
# whose files are still in its pool are listed in UBUNTU_WITHDRAWN below
# with the SHA-256 of the file read (the .dsc, whose checksums then check
# the tarballs; or the amd64 .deb, whose strings are read), pinned when the
# catalogue first recorded them. Both archives are required: when either
# (or a listed package's files, or a pinned file) cannot be had, the
# script stops before writing anything, so a regeneration never drops a
# distribution's wordings.
set -eu
git_dir="${1:?usage: scripts/catalogue.sh GIT-DIR (a clone of bubblewrap)}"
here="$(cd "$(dirname "$0")/.." && pwd)"
dir="${BWD_CATALOGUE_DIR:-/var/tmp/bwrap-doctor-catalogue}"
TAGS="v0.4.0 v0.4.1 v0.5.0 v0.6.0 v0.6.1 v0.6.2 v0.6.3 v0.7.0 v0.8.0 v0.9.0 v0.10.0 v0.11.0 v0.11.1"
SUITES="bullseye bookworm trixie sid"
UBUNTU_SUITES="focal focal-updates focal-security jammy jammy-updates jammy-security noble noble-updates noble-security plucky questing"
# Withdrawn Ubuntu uploads: VERSION:FILE-KIND:SHA256 (FILE-KIND dsc or deb).
# 0.9.0-1ubuntu0.2 and 0.6.1-1ubuntu0.2 (2026-09-14, CVE-2026-87766) were
# replaced three days later by 0.9.0-1ubuntu0.3 and 0.6.1-1ubuntu0.3, which
# drop that patch again ("SECURITY REGRESSION: Incompatibility with
# Flatpak", LP: #2167621); the pool no longer has 0.6.1-1ubuntu0.2's source.
UBUNTU_WITHDRAWN="
0.9.0-1ubuntu0.2:dsc:2e85440ebc1db56b1a252c00551bc8c30864150987b64e10db8621eb06636aea
0.6.1-1ubuntu0.2:deb:63d7d42840c382047f35eaba490ef00a3e8f4144f05ec2cd851e18b2e6c93dea
"
UBUNTU_POOL="http://archive.ubuntu.com/ubuntu/pool/main/b/bubblewrap"

rm -rf "$dir/trees" "$dir/pairs"
mkdir -p "$dir/trees" "$dir/sources" "$dir/lists/partial" "$dir/cache/archives/partial" "$dir/dl" \
  "$dir/ubuntu/sources" "$dir/ubuntu/lists/partial" "$dir/ubuntu/dl"
: > "$dir/pairs"
# One RELEASE=DIR argument of catalogue.py per line of $dir/pairs.
add() { printf '%s\n' "$1" >> "$dir/pairs"; }
for tag in $TAGS; do
  t="$dir/trees/${tag#v}"
  mkdir -p "$t"
  git --git-dir="$git_dir" archive "$tag" | tar -C "$t" -x
  add "${tag#v}=$t"
done

cat > "$dir/sources/debian.sources" <<SRC
Types: deb deb-src
URIs: http://deb.debian.org/debian
Suites: $SUITES
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
# in_config BASE COMMAND…: an apt command on the private configuration
# whose sources and lists are under BASE (the package cache is shared).
in_config() {
  base="$1"; shift
  "$@" -o Dir::Etc::SourceList=/dev/null -o "Dir::Etc::SourceParts=$base/sources" \
    -o "Dir::State::Lists=$base/lists" -o "Dir::Cache=$dir/cache" \
    -o Debug::NoLocking=1 -o APT::Sandbox::User=root -o APT::Architecture=amd64
}
apt() { in_config "$dir" "$@"; }
uapt() { in_config "$dir/ubuntu" "$@"; }
# fresh_lists APT-FUNCTION BASE ARCHIVE: the configuration's indices,
# downloaded now. No lists of an earlier run: apt would fall back to them
# when a download fails, and a failed index must stop the script, not drop
# a distribution's wordings.
fresh_lists() {
  rm -rf "$2/lists"
  mkdir -p "$2/lists/partial"
  $1 apt-get -qq --error-on=any update >&2 || die "$3 is not reachable"
}
# unpack DIST VERSION ORIG DEBIAN-TARBALL: the patched tree of one package
# (DIST debian or ubuntu), and upstream's tree when GIT-DIR lacks its tag.
unpack() {
  t="$dir/trees/$1-$2"
  up="${2%%-*}"
  mkdir -p "$t"
  tar -C "$t" --strip-components=1 -xJf "$3"
  tar -C "$t" -xJf "$4"
  if [ -f "$t/debian/patches/series" ]; then
    grep -v '^#' "$t/debian/patches/series" | while read -r p _; do
      [ -n "$p" ] && patch -s -p1 -d "$t" < "$t/debian/patches/$p"
    done
  fi
  add "$1:$2=$t"
  if [ ! -d "$dir/trees/$up" ]; then
    # A release without a tag in GIT-DIR: upstream's tarball as the archive has it.
    mkdir -p "$dir/trees/$up"
    tar -C "$dir/trees/$up" --strip-components=1 -xJf "$3"
    add "$up=$dir/trees/$up"
  fi
}
# from_deb DIST VERSION DEB: the binary package's strings stand in.
from_deb() {
  t="$dir/trees/$1-$2"
  mkdir -p "$t"
  dpkg-deb --fsys-tarfile "$3" | tar -C "$t" -x ./usr/bin/bwrap
  strings -n 4 "$t/usr/bin/bwrap" > "$t/strings.txt"
  add "$1:$2=strings:$t/strings.txt"
}
# read_archive DIST APT-FUNCTION DL-DIR: every bubblewrap source package
# the configuration's indices list.
read_archive() {
  for v in $($2 apt-cache showsrc bubblewrap | sed -n 's/^Version: //p' | sort -u); do
    up="${v%%-*}"
    (cd "$3" && $2 apt-get -qq source --download-only "bubblewrap=$v" >/dev/null 2>&1) || true
    orig="$3/bubblewrap_$up.orig.tar.xz"
    deb="$3/bubblewrap_$(echo "$v" | sed 's/~/%7e/g;s/%7e/~/g').debian.tar.xz"
    if [ -f "$orig" ] && [ -f "$deb" ]; then
      unpack "$1" "$v" "$orig" "$deb"
    else
      # No tarball of the package here: the binary package's strings show
      # which wordings it prints.
      (cd "$3" && $2 apt-get -qq download "bubblewrap=$v" >/dev/null 2>&1) || true
      b=$(ls "$3"/bubblewrap_"$(echo "$v" | sed 's/:/%3a/')"_*.deb 2>/dev/null | head -n 1)
      if [ -n "$b" ]; then
        from_deb "$1" "$v" "$b"
      elif [ -f "$orig" ]; then
        # No files of the package at all: upstream's text of that release.
        mkdir -p "$dir/trees/$up"
        tar -C "$dir/trees/$up" --strip-components=1 -xJf "$orig"
        add "$up=$dir/trees/$up"
      else
        # A package the indices list but whose files cannot be had (a
        # download that failed, an archive pruned under its index): stop
        # rather than write a catalogue without its wordings.
        die "$1's bubblewrap $v is listed but none of its files could be downloaded"
      fi
    fi
  done
}
sha256() { sha256sum "$1" | cut -d' ' -f1; }
die() { echo "catalogue.sh: $*; messages.toml left as it was" >&2; exit 1; }

fresh_lists apt "$dir" "the Debian archive (deb.debian.org)"
read_archive debian apt "$dir/dl"

# Ubuntu's archive key, from Debian's ubuntu-keyring package.
ukey="$dir/ubuntu/ubuntu-archive-keyring.gpg"
rm -f "$dir"/dl/ubuntu-keyring_*.deb
(cd "$dir/dl" && apt apt-get -qq download ubuntu-keyring >/dev/null 2>&1) ||
  die "Debian's ubuntu-keyring package (the key of Ubuntu's archive) cannot be downloaded"
dpkg-deb --fsys-tarfile "$dir"/dl/ubuntu-keyring_*.deb | tar -xO ./usr/share/keyrings/ubuntu-archive-keyring.gpg > "$ukey"
cat > "$dir/ubuntu/sources/ubuntu.sources" <<SRC
Types: deb deb-src
URIs: http://archive.ubuntu.com/ubuntu
Suites: $UBUNTU_SUITES
Components: main
Signed-By: $ukey
SRC
fresh_lists uapt "$dir/ubuntu" "Ubuntu's archive (archive.ubuntu.com)"
[ -n "$(uapt apt-cache showsrc bubblewrap | sed -n 's/^Version: //p')" ] ||
  die "Ubuntu's source indices list no bubblewrap"
read_archive ubuntu uapt "$dir/ubuntu/dl"
for w in $UBUNTU_WITHDRAWN; do
  v="${w%%:*}"; kind="${w#*:}"; kind="${kind%%:*}"; sum="${w##*:}"
  f="$dir/ubuntu/dl/bubblewrap_${v}.dsc"
  [ "$kind" = deb ] && f="$dir/ubuntu/dl/bubblewrap_${v}_amd64.deb"
  curl -fsS -o "$f" "$UBUNTU_POOL/${f##*/}" || die "Ubuntu's withdrawn $v (${f##*/}) cannot be downloaded"
  [ "$(sha256 "$f")" = "$sum" ] || die "${f##*/} is not the file pinned in UBUNTU_WITHDRAWN"
  if [ "$kind" = deb ]; then
    from_deb ubuntu "$v" "$f"
    continue
  fi
  # The .dsc's checksums check its tarballs (the orig tarball is also the
  # one a signed index lists for a later upload of the same release).
  for tb in $(sed -n '/^Checksums-Sha256:/,/^[^ ]/s/^ \([0-9a-f]\{64\}\) [0-9]* \(.*\.tar\.xz\)$/\1:\2/p' "$f"); do
    tf="$dir/ubuntu/dl/${tb#*:}"
    [ -f "$tf" ] || curl -fsS -o "$tf" "$UBUNTU_POOL/${tb#*:}" || die "${tb#*:} cannot be downloaded"
    [ "$(sha256 "$tf")" = "${tb%%:*}" ] || die "${tb#*:} does not match $v's .dsc"
  done
  unpack ubuntu "$v" "$dir/ubuntu/dl/bubblewrap_${v%%-*}.orig.tar.xz" "$dir/ubuntu/dl/bubblewrap_$v.debian.tar.xz"
done

set --
while IFS= read -r p; do set -- "$@" "$p"; done < "$dir/pairs"
python3 "$here/scripts/catalogue.py" "$here/rules/catalogue/messages.toml" "$here/rules/catalogue/steps.toml" "$@"
