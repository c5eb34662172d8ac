#!/bin/sh
# Build bwrap-doctor as a static executable (glibc static-pie), the form
# recommended for installing the shim: it starts faster than a dynamically
# linked build because no shared libraries are loaded and relocated (see
# `cargo bench --bench overhead`). Prints the path of the built binary.
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
RUSTFLAGS="${RUSTFLAGS:-} -C target-feature=+crt-static" \
  cargo build --release --locked --target "$host" --target-dir target/static >&2
echo "$PWD/target/static/$host/release/bwrap-doctor"
