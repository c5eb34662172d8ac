#!/bin/sh
# Tests the artifacts in dist/ (scripts/package.sh) as a user meets them:
#   archive  verified with SHA256SUMS, unpacked into an empty directory; `check`
#            and the shim run from there, a real bwrap failure diagnosed;
#   .deb     `dpkg -i`, `check`, the shim turned on system-wide, a real failure
#            through it, turned off, on again, reinstalled (the shim follows the
#            new binary), `dpkg --purge`: every file `dpkg -L` listed and the
#            shim the on-command wrote are gone (as root with dpkg; else skipped);
#   wheel    `pip install --no-index` into a fresh venv, `bwrap-doctor` found on
#            the venv's PATH, `check` run from it, `pip uninstall` removes it.
# Prints "test-package: ok: …" per proof, "SKIPPED: why" for what cannot run
# here; exits 1 at the first failure.
set -eu
cd "$(dirname "$0")/.."
dist=${BWD_DIST:-$PWD/dist}  # BWD_DIST: another directory of artifacts

fail() { echo "test-package: FAIL: $*" >&2; exit 1; }
ok() { echo "test-package: ok: $*" >&2; }
skip() { echo "test-package: SKIPPED: $*" >&2; }

archive=$(ls "$dist"/bwrap-doctor-*-x86_64-unknown-linux-gnu.tar.gz 2>/dev/null || true)
deb=$(ls "$dist"/bwrap-doctor_*_amd64.deb 2>/dev/null || true)
wheel=$(ls "$dist"/bwrap_doctor-*.whl 2>/dev/null || true)
if [ -z "$archive" ] || [ -z "$deb" ] || [ -z "$wheel" ] || [ ! -f "$dist/SHA256SUMS" ]; then
  skip "dist/ does not hold the three artifacts and SHA256SUMS: run scripts/package.sh first"
  exit 77
fi
for f in "$archive" "$deb" "$wheel"; do
  [ "$(echo "$f" | wc -l)" = 1 ] || fail "more than one artifact of a kind in dist/: $f"
done
version=${archive#"$dist"/bwrap-doctor-}
version=${version%-x86_64-unknown-linux-gnu.tar.gz}

real_bwrap=""
for p in /usr/bin/bwrap /bin/bwrap; do
  [ -x "$p" ] && { real_bwrap=$p; break; }
done

tmp=$(mktemp -d /tmp/bwd-test-package.XXXXXX)
chmod 0755 "$tmp"
installed_deb=""
wrote_shim=""
cleanup() {
  # /usr/local/bin/bwrap did not exist before this test (checked below).
  if [ -n "$wrote_shim" ]; then
    rm -f /usr/local/bin/bwrap /usr/local/bin/.bwrap.bwrap-doctor-new
  fi
  if [ -n "$installed_deb" ] && dpkg -s bwrap-doctor >/dev/null 2>&1; then
    dpkg --purge bwrap-doctor >/dev/null 2>&1 || true
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

# A clean environment, as a user's shell would have: PATH given, HOME a
# fresh directory (the shim keeps its last diagnosis under it).
mkdir -p "$tmp/home"
run() { env -i HOME="$tmp/home" LANG=C.UTF-8 "$@"; }

# `check` ran to a verdict (0: sandboxes work, 1: a check failed, which is
# the host's answer, not the package's) and printed its sections.
check_runs() {
  label=$1 path=$2
  shift 2
  rc=0
  run PATH="$path" "$@" check --color never > "$tmp/check.out" 2> "$tmp/check.err" || rc=$?
  [ "$rc" -le 1 ] || fail "$label: check exited $rc: $(cat "$tmp/check.err")"
  grep -q '^sandboxes' "$tmp/check.out" || fail "$label: check printed no sandboxes section: $(head -5 "$tmp/check.out")"
  ok "$label: check ran to a verdict (exit $rc): $(tail -1 "$tmp/check.out")"
}

# A real bwrap failure through `bwrap` on PATH: bwrap's own line first and
# unchanged (the same as the real bwrap's, run directly), the same exit
# status, then the diagnosis. The success path says nothing.
shim_diagnoses() {
  label=$1 path=$2
  args="--ro-bind / / --bind /nonexistent-bwd-package-test /x true"
  rc_direct=0
  # shellcheck disable=SC2086
  run "$real_bwrap" $args 2> "$tmp/direct.err" || rc_direct=$?
  rc_shim=0
  # shellcheck disable=SC2086
  run PATH="$path" bwrap $args 2> "$tmp/shim.err" || rc_shim=$?
  [ "$rc_shim" = "$rc_direct" ] && [ "$rc_direct" != 0 ] ||
    fail "$label: the failing bwrap exited $rc_direct directly and $rc_shim through the shim"
  [ "$(head -1 "$tmp/shim.err")" = "$(head -1 "$tmp/direct.err")" ] ||
    fail "$label: bwrap's own line changed through the shim: $(head -1 "$tmp/shim.err")"
  grep -q '^bwrap-doctor: cause \[bind-source-missing\]' "$tmp/shim.err" ||
    fail "$label: no diagnosis after bwrap's error: $(cat "$tmp/shim.err")"
  rc=0
  run PATH="$path" bwrap --ro-bind / / true 2> "$tmp/ok.err" || rc=$?
  [ "$rc" = 0 ] && [ ! -s "$tmp/ok.err" ] || fail "$label: a working sandbox through the shim exited $rc: $(cat "$tmp/ok.err")"
  ok "$label: a real bwrap failure through the shim: bwrap's line unchanged, exit $rc_shim, diagnosed [bind-source-missing]; success path silent"
}

# The checksums, as a user verifies a download.
(cd "$dist" && sha256sum --quiet -c SHA256SUMS) || fail "SHA256SUMS does not match dist/"
ok "sha256sum -c SHA256SUMS"

# 1. The archive, unpacked into an empty directory.
mkdir "$tmp/archive"
tar -xzf "$archive" -C "$tmp/archive"
top=$tmp/archive/bwrap-doctor-$version-x86_64-unknown-linux-gnu
for f in bwrap-doctor README.md LICENSE-MIT LICENSE-APACHE CHANGELOG.md man/bwrap-doctor.1 \
  man/bwrap-doctor-check.1 completions/bwrap-doctor.bash completions/_bwrap-doctor \
  completions/bwrap-doctor.fish; do
  [ -s "$top/$f" ] || fail "archive: $f is missing or empty"
done
[ "$(ls "$tmp/archive")" = "bwrap-doctor-$version-x86_64-unknown-linux-gnu" ] || fail "archive: more than one top-level entry"
bash -n "$top/completions/bwrap-doctor.bash" || fail "archive: the bash completion does not parse"
[ "$(run "$top/bwrap-doctor" --version)" = "bwrap-doctor $version" ] || fail "archive: --version is not $version"
if readelf -l "$top/bwrap-doctor" 2>/dev/null | grep -q INTERP; then
  fail "archive: the binary asks for a dynamic loader (it should be the static build)"
fi
ok "archive: every file present, the binary is static and says $version"
if [ -z "$real_bwrap" ]; then
  skip "archive, .deb and wheel: bubblewrap is not installed (apt-get install bubblewrap): no check, no shim"
else
  check_runs archive /usr/sbin:/usr/bin:/sbin:/bin "$top/bwrap-doctor"
  run PATH=/usr/bin:/bin "$top/bwrap-doctor" install --dir "$tmp/archive-bin" > /dev/null ||
    fail "archive: bwrap-doctor install --dir failed"
  shim_diagnoses archive "$tmp/archive-bin:/usr/bin:/bin"
fi

# 2. The Debian package.
if [ "$(id -u)" != 0 ] || ! command -v dpkg >/dev/null 2>&1; then
  skip ".deb: needs root and dpkg (dpkg -i, dpkg --purge)"
elif dpkg -s bwrap-doctor >/dev/null 2>&1; then
  skip ".deb: a bwrap-doctor package is installed on this machine already; not replacing it"
elif [ -e /usr/local/bin/bwrap ] || [ -L /usr/local/bin/bwrap ]; then
  skip ".deb: /usr/local/bin/bwrap exists already (another bwrap or shim); the on/off test would touch it"
elif [ -z "$real_bwrap" ]; then
  skip ".deb: bubblewrap is not installed"
else
  sys=/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
  dpkg -i "$deb" > "$tmp/dpkg.out" 2>&1 || fail ".deb: dpkg -i failed: $(cat "$tmp/dpkg.out")"
  installed_deb=1
  dpkg -s bwrap-doctor | grep -qx 'Status: install ok installed' || fail ".deb: dpkg -s does not say installed"
  dpkg -s bwrap-doctor | grep -qx "Version: $version" || fail ".deb: dpkg -s does not say version $version"
  [ "$(run PATH=$sys bwrap-doctor --version)" = "bwrap-doctor $version" ] || fail ".deb: bwrap-doctor --version on PATH is not $version"
  dpkg -L bwrap-doctor > "$tmp/deb-files"
  for f in /usr/bin/bwrap-doctor /usr/share/man/man1/bwrap-doctor.1.gz /usr/share/man/man1/bwrap-doctor-check.1.gz \
    /usr/share/bash-completion/completions/bwrap-doctor /usr/share/zsh/vendor-completions/_bwrap-doctor \
    /usr/share/fish/vendor_completions.d/bwrap-doctor.fish /usr/share/doc/bwrap-doctor/copyright; do
    grep -qx "$f" "$tmp/deb-files" && [ -s "$f" ] || fail ".deb: $f is not installed"
  done
  [ ! -e /usr/local/bin/bwrap ] || fail ".deb: installing the package turned the shim on"
  ok ".deb: installed ($(wc -l < "$tmp/deb-files") paths), version $version, the shim not turned on"
  check_runs .deb "$sys" bwrap-doctor
  # On.
  wrote_shim=1
  run PATH=$sys bwrap-doctor install --dir /usr/local/bin > "$tmp/on.out" 2>&1 ||
    fail ".deb: the on-command failed: $(cat "$tmp/on.out")"
  [ -f /usr/local/bin/bwrap ] || fail ".deb: the on-command wrote no /usr/local/bin/bwrap"
  shim_diagnoses ".deb, shim on" "$sys"
  # Off: bwrap on PATH is the real one again, no diagnosis.
  run PATH=$sys bwrap-doctor uninstall --dir /usr/local/bin > "$tmp/off.out" 2>&1 ||
    fail ".deb: the off-command failed: $(cat "$tmp/off.out")"
  [ ! -e /usr/local/bin/bwrap ] || fail ".deb: the off-command left /usr/local/bin/bwrap"
  rc=0
  run PATH=$sys bwrap --ro-bind / / --bind /nonexistent-bwd-package-test /x true 2> "$tmp/off.err" || rc=$?
  [ "$rc" != 0 ] && ! grep -q '^bwrap-doctor:' "$tmp/off.err" || fail ".deb: after the off-command bwrap still runs the shim: $(cat "$tmp/off.err")"
  ok ".deb: the off-command removed /usr/local/bin/bwrap; bwrap on PATH is the real one"
  # On again; a reinstall (an upgrade's path) renews the shim to the new binary.
  run PATH=$sys bwrap-doctor install --dir /usr/local/bin > /dev/null 2>&1 || fail ".deb: the on-command failed the second time"
  dpkg -i "$deb" > "$tmp/dpkg.out" 2>&1 || fail ".deb: reinstalling failed: $(cat "$tmp/dpkg.out")"
  [ "$(stat -c %i /usr/local/bin/bwrap)" = "$(stat -c %i /usr/bin/bwrap-doctor)" ] ||
    fail ".deb: after a reinstall the shim is not the new /usr/bin/bwrap-doctor"
  ok ".deb: a reinstall with the shim on renews it to the new binary"
  # Purge with the shim on: the package and what the on-command wrote go.
  dpkg --purge bwrap-doctor > "$tmp/dpkg.out" 2>&1 || fail ".deb: dpkg --purge failed: $(cat "$tmp/dpkg.out")"
  installed_deb=""
  ! dpkg -s bwrap-doctor > /dev/null 2>&1 || fail ".deb: dpkg -s still knows the package after --purge"
  left=""
  while IFS= read -r f; do
    [ -d "$f" ] && [ ! -L "$f" ] && continue # directories shared with other packages stay
    [ -e "$f" ] || [ -L "$f" ] && left="$left $f"
  done < "$tmp/deb-files"
  for f in /usr/local/bin/bwrap /usr/local/bin/.bwrap.bwrap-doctor-new /usr/share/doc/bwrap-doctor /run/bwrap-doctor; do
    [ -e "$f" ] || [ -L "$f" ] && left="$left $f"
  done
  [ -z "$left" ] || fail ".deb: left after dpkg --purge:$left"
  ok ".deb: dpkg --purge with the shim on left nothing: $(grep -vc '^/usr$\|^/usr/share$\|^/\.$' "$tmp/deb-files") listed paths and /usr/local/bin/bwrap gone"
  # A shim put there from another copy of bwrap-doctor (other bytes) is not
  # the package's: removing the package leaves it.
  dpkg -i "$deb" > "$tmp/dpkg.out" 2>&1 || fail ".deb: dpkg -i failed: $(cat "$tmp/dpkg.out")"
  installed_deb=1
  cp "$top/bwrap-doctor" "$tmp/other-copy"
  printf '\n' >> "$tmp/other-copy"
  run PATH=$sys "$tmp/other-copy" install --dir /usr/local/bin > /dev/null 2>&1 || fail ".deb: installing another copy's shim failed"
  dpkg --purge bwrap-doctor > "$tmp/dpkg.out" 2>&1 || fail ".deb: dpkg --purge failed: $(cat "$tmp/dpkg.out")"
  installed_deb=""
  cmp -s /usr/local/bin/bwrap "$tmp/other-copy" || fail ".deb: dpkg --purge removed a shim that was not the package's"
  rm -f /usr/local/bin/bwrap
  ok ".deb: dpkg --purge leaves a shim installed from another copy of bwrap-doctor"
fi

# 3. The wheel, into a fresh virtual environment, without the network.
if ! python3 -m venv "$tmp/venv" > "$tmp/venv.out" 2>&1; then
  fail "wheel: python3 -m venv failed (apt-get install python3-venv): $(cat "$tmp/venv.out")"
fi
run PATH=/usr/bin:/bin PIP_DISABLE_PIP_VERSION_CHECK=1 "$tmp/venv/bin/pip" install --no-index --no-cache-dir "$wheel" > "$tmp/pip.out" 2>&1 ||
  fail "wheel: pip install --no-index failed: $(cat "$tmp/pip.out")"
venv_path=$tmp/venv/bin:/usr/sbin:/usr/bin:/sbin:/bin
found=$(run PATH="$venv_path" "$tmp/venv/bin/python" -c 'import shutil; print(shutil.which("bwrap-doctor"))')
[ "$found" = "$tmp/venv/bin/bwrap-doctor" ] || fail "wheel: bwrap-doctor on the venv's PATH is $found"
[ "$(run PATH="$venv_path" bwrap-doctor --version)" = "bwrap-doctor $version" ] || fail "wheel: --version is not $version"
ok "wheel: pip install --no-index into a fresh venv puts bwrap-doctor $version on its PATH"
if [ -n "$real_bwrap" ]; then
  check_runs wheel "$venv_path" bwrap-doctor
fi
run PATH=/usr/bin:/bin "$tmp/venv/bin/pip" uninstall -y bwrap-doctor > "$tmp/pip.out" 2>&1 || fail "wheel: pip uninstall failed"
[ ! -e "$tmp/venv/bin/bwrap-doctor" ] || fail "wheel: pip uninstall left bin/bwrap-doctor"
ok "wheel: pip uninstall removes bin/bwrap-doctor"
echo "test-package: all artifacts passed" >&2
