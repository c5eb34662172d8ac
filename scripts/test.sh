#!/bin/sh
# The whole test suite. As root where apt is available, it first installs
# what the tests need; then it checks formatting and lints and runs every
# test (unit tests, the integration suite against the real bwrap as root
# and as an unprivileged user it creates).
set -eu
cd "$(dirname "$0")/.."

PACKAGES="bubblewrap strace libcap2-bin bindfs fuse3 util-linux groff-base procps flatpak patchelf ripgrep socat python3-venv"
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  missing=""
  for p in $PACKAGES; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
  done
  if [ -n "$missing" ]; then
    echo "test.sh: installing$missing" >&2
    # A third-party source that cannot be reached must not stop the install.
    apt-get update -qq || echo "test.sh: apt-get update reported errors; trying the install anyway" >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >&2
  fi
fi

# Debian trixie's bubblewrap 0.12 and AppArmor 4 parser, for the tests that
# reproduce 0.12's messages and parse generated profiles (they skip, saying
# so, when the archive cannot be reached).
./scripts/trixie.sh fetch || echo "test.sh: Debian trixie's programs are not available; the tests that need them will say so" >&2

# Debian's arm64 bubblewrap (0.8.0 and 0.12.0) and qemu-user-static's qemu-aarch64-static,
# unpacked outside the system (no binfmt_misc handler is registered), for
# the test that runs bwrap under qemu-user; it skips, saying so, when the
# archive cannot be reached.
./scripts/arm64.sh fetch || echo "test.sh: Debian's arm64 bubblewrap is not available; the qemu-user test will say so" >&2

# The real callers at pinned versions (Codex, sandbox-runtime, Gemini CLI)
# from the npm registry, outside the repository; their tests skip, saying
# so, when they could not be installed.
./scripts/callers.sh

cargo fmt --all -- --check
cargo clippy --locked --workspace --all-targets --all-features -- -D warnings
# The library's documentation (the engine crate): no broken link, no stray
# HTML (its doctests run with the tests below).
RUSTDOCFLAGS="-D warnings" cargo doc --locked --no-deps -p bwrap-doctor-engine
# The test-only fault points (src/fault.rs, engine/src/fault.rs) prove that
# the shim's own failures never change the bwrap run.
cargo test --locked --workspace --features fault-injection
# The AppArmor lab: Debian's kernel under qemu with real AppArmor profiles
# and Debian's unprivileged_userns_clone=0 (lab/apparmor-vm/README.md), with
# the debug build the tests just made. 77: qemu or the archive unavailable.
lab_rc=0
BWD_SHIM="${CARGO_TARGET_DIR:-target}/debug/bwrap-doctor" lab/apparmor-vm/run.sh || lab_rc=$?
case $lab_rc in
  0) ;;
  77) echo "test.sh: SKIPPED the AppArmor lab: qemu or the Debian archive is not available here" >&2 ;;
  *) echo "test.sh: the AppArmor lab failed (exit $lab_rc)" >&2; exit "$lab_rc" ;;
esac
# The rule set: every file lints clean, every rule's examples validate.
cargo run --locked --quiet -- rules lint
cargo run --locked --quiet -- rules test > /dev/null
# The crates as crates.io would get them: both packages pack (the engine
# with its rule files) and the packed crates build on their own.
# cargo verifies the binary against the packed engine through a local
# registry, unpacked into CARGO_HOME's registry sources under its name and
# version; an unpacked copy from an earlier run of the same version is taken
# as it is, so it goes first.
rm -rf "${CARGO_HOME:-$HOME/.cargo}"/registry/src/*/bwrap-doctor-engine-*
cargo package --locked --workspace --quiet
# The release artifacts (dist/: the archive, the .deb, the wheel; one static
# build), each installed and used as a user would: scripts/test-package.sh.
./scripts/package.sh
./scripts/test-package.sh
