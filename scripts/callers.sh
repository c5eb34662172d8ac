#!/bin/sh
# The real callers the integration tests drive, at pinned versions, from the
# npm registry, into a cache outside the repository
# (BWD_CALLERS, default /var/cache/bwrap-doctor-callers). Each package gets
# its own prefix; one that cannot be installed is said once and skipped (its
# tests then skip, saying why). sandbox-runtime also needs rg and socat:
# scripts/test.sh installs them with the other Debian packages.
set -u
dir=${BWD_CALLERS:-/var/cache/bwrap-doctor-callers}
if ! command -v npm >/dev/null 2>&1; then
  echo "callers.sh: npm is not installed: the tests of Codex, sandbox-runtime and Gemini CLI will skip" >&2
  exit 0
fi
mkdir -p "$dir" || exit 0
for spec in @openai/codex@0.171.0 @anthropic-ai/sandbox-runtime@0.0.83 @google/gemini-cli@0.61.0; do
  prefix="$dir/$(echo "$spec" | tr '@/' '__')"
  if [ -f "$prefix/.installed" ]; then
    continue
  fi
  mkdir -p "$prefix"
  if timeout 600 npm install --no-audit --no-fund --prefix "$prefix" "$spec" > "$prefix/install.log" 2>&1; then
    touch "$prefix/.installed"
  else
    echo "callers.sh: could not install $spec (see $prefix/install.log): its tests will skip" >&2
  fi
done
