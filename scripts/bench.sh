#!/bin/sh
# The benchmark command: builds every form of bwrap-doctor a user can get
# and runs `cargo bench --bench overhead`, which prints the median
# whole-process time of bwrap run directly, through the C floor wrapper, and
# through each build of the shim, interleaved; then the failure path and
# `check` (with the static build). Figures, not assertions. The builds:
#   static        scripts/build-static.sh (what the README installs by hand)
#   cargo build   `cargo build --release` / `cargo install` (non-PIE; static
#                 via build.rs when glibc's static libraries are installed)
#   archive, .deb, wheel   the binaries inside scripts/package.sh's dist/
set -eu
cd "$(dirname "$0")/.."
static=$(./scripts/build-static.sh)
./scripts/package.sh >/dev/null 2>&1 || {
  echo "bench: scripts/package.sh failed; run it alone to see why" >&2
  exit 2
}
x=${CARGO_TARGET_DIR:-target}/bench-artifacts
rm -rf "$x"
mkdir -p "$x/archive" "$x/deb" "$x/wheel"
tar -xzf dist/bwrap-doctor-*-x86_64-unknown-linux-gnu.tar.gz -C "$x/archive"
dpkg-deb -x dist/bwrap-doctor_*_amd64.deb "$x/deb"
python3 -m zipfile -e dist/bwrap_doctor-*.whl "$x/wheel"
chmod 0755 "$x"/wheel/*.data/scripts/bwrap-doctor  # as pip installs it
x=$(cd "$x" && pwd)
builds="archive=$(ls "$x"/archive/*/bwrap-doctor)"
builds="$builds;.deb=$x/deb/usr/bin/bwrap-doctor"
builds="$builds;wheel=$(ls "$x"/wheel/*.data/scripts/bwrap-doctor)"
BWD_BENCH_STATIC_SHIM="$static" BWD_BENCH_BUILDS="$builds" cargo bench --locked --bench overhead
