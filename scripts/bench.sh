#!/bin/sh
# The benchmark command: builds the static shim (what README installs) and
# runs `cargo bench --bench overhead`, which prints the median whole-process
# time of bwrap run directly, through the C floor wrapper, and through the
# shim (static and dynamic builds), interleaved. Figures, not assertions.
set -eu
cd "$(dirname "$0")/.."
static=$(./scripts/build-static.sh)
BWD_BENCH_STATIC_SHIM="$static" cargo bench --locked --bench overhead
