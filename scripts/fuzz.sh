#!/usr/bin/env bash
# Fuzz every target for a set time, one after another, and give the figures.
#
#   scripts/fuzz.sh [SECONDS_PER_TARGET]        (default 60)
#   FUZZ_TARGETS="stderr snapshot" scripts/fuzz.sh 30   (a subset)
#   FUZZ_SANITIZER=address scripts/fuzz.sh      (with ASan; default none)
#
# Targets (fuzz/fuzz_targets/, entry points in engine/src/fuzz.rs): rules_file,
# bwrap_args, stderr, snapshot. Needs cargo-fuzz and a nightly toolchain
# (`cargo install cargo-fuzz`, `rustup toolchain install nightly`).
#
# Each target starts from fuzz/corpus/<target> (the seeds of
# fuzz/seeds/<target> are copied there when it does not exist yet, and are
# read on every run too) and runs with libFuzzer's limits: 2 s per input,
# 512 MB of RSS, and a maximum input length (below). A finding — crash,
# timeout, out-of-memory — ends that target's run: its reproducer is copied
# to fuzz/regressions/<target>/, where the regression tests
# (`cargo test --test it fuzz`, tests/it/fuzzing.rs) replay it from then on,
# and the next target runs. Exit status: 0 no finding, 1 any finding,
# 2 a target could not be built or run.
set -u -o pipefail

secs=${1:-60}
case $secs in '' | *[!0-9]*) echo "usage: $0 [SECONDS_PER_TARGET]" >&2; exit 2 ;; esac
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root" || exit 2
targets=${FUZZ_TARGETS:-rules_file bwrap_args stderr snapshot}
# No sanitizer by default: the code these targets reach is safe Rust
# (cargo fuzz keeps debug assertions, so overflows still panic), and ASan
# made them ~15 times slower and its quarantine alone neared the RSS limit.
sanitizer=${FUZZ_SANITIZER:-none}

# Longest input per target, in bytes. Large enough for the seeds (the
# largest built-in rule file seed is ~6 KB, a snapshot ~7.5 KB); no larger,
# because the cost of one input grows with its length (a rule file's
# regexes and examples, a snapshot's AppArmor globs) and short inputs give
# more executions.
max_len() {
	case $1 in
	rules_file) echo 8192 ;;
	snapshot) echo 8192 ;;
	stderr) echo 4096 ;;
	bwrap_args) echo 4096 ;;
	*) echo 4096 ;;
	esac
}

stat() { # stat NAME LOG: libFuzzer's final `stat::NAME: VALUE` line
	sed -n "s/^stat::$1:[[:space:]]*//p" "$2" | tail -n1
}

logs=fuzz/logs
mkdir -p "$logs"
if ! cargo +nightly fuzz build -s "$sanitizer" >"$logs/build.log" 2>&1; then
	tail -n 30 "$logs/build.log" >&2
	echo "fuzz: build failed (log: $logs/build.log)" >&2
	exit 2
fi

summary=()
any_finding=0
broken=0
for t in $targets; do
	corpus=fuzz/corpus/$t
	seeds=fuzz/seeds/$t
	artifacts=fuzz/artifacts/$t
	if [ ! -d "$corpus" ]; then
		mkdir -p "$corpus"
		cp "$seeds"/* "$corpus"/ 2>/dev/null
	fi
	mkdir -p "$artifacts"
	before=$(ls "$artifacts")
	log=$logs/$t.log
	echo "== $t: ${secs}s, max_len $(max_len "$t") (log: $log)"
	start=$(date +%s)
	cargo +nightly fuzz run -s "$sanitizer" "$t" "$corpus" "$seeds" -- \
		-max_total_time="$secs" -timeout=2 -rss_limit_mb=512 \
		-max_len="$(max_len "$t")" -print_final_stats=1 \
		-artifact_prefix="$artifacts/" >"$log" 2>&1
	rc=$?
	elapsed=$(($(date +%s) - start))

	# New reproducers: libFuzzer writes crash-*, timeout-*, oom-*, leak-*.
	findings=()
	for f in $(ls "$artifacts"); do
		case $f in crash-* | timeout-* | oom-* | leak-*) ;; *) continue ;; esac
		if ! grep -qxF "$f" <<<"$before"; then
			findings+=("$f")
			mkdir -p "fuzz/regressions/$t"
			cp "$artifacts/$f" "fuzz/regressions/$t/$f"
		fi
	done
	crashes=0 timeouts=0 ooms=0 leaks=0
	for f in "${findings[@]+"${findings[@]}"}"; do
		case $f in
		crash-*) crashes=$((crashes + 1)) ;;
		timeout-*) timeouts=$((timeouts + 1)) ;;
		oom-*) ooms=$((ooms + 1)) ;;
		leak-*) leaks=$((leaks + 1)) ;;
		esac
	done
	execs=$(stat number_of_executed_units "$log")
	rate=$(stat average_exec_per_sec "$log")
	rss=$(stat peak_rss_mb "$log")
	added=$(stat new_units_added "$log")
	slowest=$(stat slowest_unit_time_sec "$log")
	# Time spent fuzzing (without the build): libFuzzer's "Done N runs in
	# S second(s)"; after a finding there is none, so executions / rate.
	fuzzed=$(sed -n 's/^Done [0-9]* runs in \([0-9]*\) second.*/\1/p' "$log" | tail -n1)
	if [ -z "$fuzzed" ] && [ -n "$execs" ] && [ -n "$rate" ] && [ "$rate" -gt 0 ]; then
		fuzzed=$((execs / rate))
	fi
	# Coverage (edges) at the start and at the end.
	cov0=$(sed -n 's/.*INITED cov: \([0-9]*\).*/\1/p' "$log" | head -n1)
	cov1=$(sed -n 's/^#[0-9].* cov: \([0-9]*\) .*/\1/p' "$log" | tail -n1)
	# The corpus libFuzzer holds at the end (units/size), and the files in
	# its directory (more: a reduced unit is written anew, the old one kept).
	corp=$(sed -n 's/^#[0-9].* corp: \([0-9]*\/[0-9]*[a-zA-Z]*\) .*/\1/p' "$log" | tail -n1)
	files=$(find "$corpus" -type f | wc -l)
	line=$(printf '%-10s execs %-8s exec/s %-5s fuzzed %4ss (wall %4ss)  cov %s->%s  corpus %s (%s files, +%s new)  peak RSS %4s MB  slowest %ss  crashes %d timeouts %d ooms %d leaks %d' \
		"$t" "${execs:-?}" "${rate:-?}" "${fuzzed:-?}" "$elapsed" "${cov0:-?}" "${cov1:-?}" "${corp:-?}" "$files" "${added:-?}" "${rss:-?}" "${slowest:-?}" \
		"$crashes" "$timeouts" "$ooms" "$leaks")
	summary+=("$line")
	echo "$line"
	if [ ${#findings[@]} -gt 0 ]; then
		any_finding=1
		for f in "${findings[@]}"; do
			echo "   finding: fuzz/regressions/$t/$f"
		done
		# The panic, if it was one: its message and first frames.
		grep -m1 -A3 "panicked at" "$log" | sed 's/^/   /'
	elif [ $rc -ne 0 ] || [ -z "$execs" ]; then
		broken=1
		echo "   $t did not run to the end (exit $rc, no reproducer); see $log" >&2
		tail -n 15 "$log" | sed 's/^/   /' >&2
	fi
done

echo
echo "fuzz summary (${secs}s per target, sanitizer $sanitizer):"
printf '  %s\n' "${summary[@]}"
if [ $any_finding -ne 0 ]; then
	echo "findings copied to fuzz/regressions/<target>/; replay with: cargo test --test it fuzz"
	exit 1
fi
[ $broken -eq 0 ] || exit 2
exit 0
