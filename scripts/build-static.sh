#!/bin/sh
# Build bwrap-doctor as a static, non-PIE executable, the form recommended
# for installing the shim: nothing is loaded or relocated when it starts, so
# it costs about as much as the smallest possible C wrapper (see
# scripts/bench.sh). A position-independent build must relocate ~15,000
# pointers at every start (~80 page faults, ~0.25 ms per bwrap run here);
# `scripts/build-static.sh --pie` builds that instead, for those who want
# the binary's own address randomised. Prints the path of the built binary.
#
# The flag cannot live in .cargo/config.toml: applied to the host it would
# also hit the proc-macro crates (clap, serde, thiserror), which cannot be
# static. Passing --target keeps it off the host build.
set -eu
cd "$(dirname "$0")/.."
host=$(rustc -vV | sed -n 's/^host: //p')
case "$host" in
  *-linux-gnu*) ;;
  *) echo "build-static: host $host is not linux-gnu; use 'cargo build --release'" >&2; exit 2 ;;
esac
flags="-C target-feature=+crt-static -C relocation-model=static"
if [ "${1:-}" = "--pie" ]; then
  flags="-C target-feature=+crt-static"
fi
RUSTFLAGS="${RUSTFLAGS:-} $flags" \
  cargo build --release --locked --target "$host" --target-dir target/static >&2
echo "$PWD/target/static/$host/release/bwrap-doctor"
