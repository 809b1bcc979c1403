#!/usr/bin/env bash
# Fuzz the loaders and readers of untrusted input (docs/fuzzing.md): builds the `fuzz` preset
# (clang-14, libFuzzer, ASan + UBSan), makes the seed corpora and dictionaries, and runs each target
# for a bounded number of inputs (not a time), one process each, one after the other.
# Usage: scripts/fuzz.sh [--runs N] [--target scenario|experiment|results] [-- LIBFUZZER_ARGS...]
#   --runs N   inputs per target (default 20000; CI runs scripts/test.sh's smaller count, a nightly
#              run 1000000 or more)
#   --target   only this target (repeatable); default: all three
# Corpora grow in build/fuzz/fuzz/corpus/TARGET (kept between runs); a crashing input is saved as
# build/fuzz/fuzz/artifacts/TARGET-crash-* and the script exits 1. Each target's line of
# "inputs, seconds, inputs/s" is printed at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=20000
targets=()
extra=()
while (($#)); do
  case "$1" in
    --runs) runs=$2; shift 2 ;;
    --target) targets+=("$2"); shift 2 ;;
    --) shift; extra=("$@"); break ;;
    *) echo "usage: scripts/fuzz.sh [--runs N] [--target scenario|experiment|results] [-- LIBFUZZER_ARGS...]" >&2; exit 2 ;;
  esac
done
if ((${#targets[@]} == 0)); then targets=(scenario experiment results); fi
scripts/setup.sh

echo "== fuzz: configure and build (clang-14, libFuzzer, ASan + UBSan)"
launcher=()
if command -v ccache >/dev/null; then launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache); fi
cmake --preset fuzz "${launcher[@]}" >/dev/null
cmake --build --preset fuzz -j "$(nproc)" --target fuzz_scenario fuzz_experiment fuzz_results write_sample_h5 kpisim
bin=build/fuzz/tests/fuzz
work=build/fuzz/fuzz
seeds=$work/seeds
rm -rf "$seeds"
mkdir -p "$seeds"/{scenario,experiment,results} "$work/artifacts" "$work/dict"

echo "== fuzz: seed corpora and dictionaries"
# Scenario and experiment seeds: every shipped and test YAML file. An experiment's `base:` is
# pointed at tests/data/small_compare.yaml (fuzz_experiment resolves it from tests/data/experiments).
while IFS= read -r f; do
  id=$(echo "${f%.yaml}" | tr '/' '_')
  if grep -Eq '^(base|scenario):' "$f"; then
    sed -E 's|^base:.*$|base: ../small_compare.yaml|' "$f" >"$seeds/experiment/$id.yaml"
  else
    cp "$f" "$seeds/scenario/$id.yaml"
  fi
done < <(find scenarios tests/data -name '*.yaml' | sort)
# Inputs that once crashed a target (tests/fuzz/regressions/TARGET/): every run starts with them.
for t in scenario experiment results; do
  if [[ -d tests/fuzz/regressions/$t ]]; then cp tests/fuzz/regressions/$t/* "$seeds/$t/" 2>/dev/null || true; fi
done
# Results seeds: written by the project's own tools, small (a week, few people).
build/fuzz/tests/fuzz/write_sample_h5 "$seeds/results/sample.h5" "$seeds/results/sweep_sample.h5" >/dev/null
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
printf 'name: fuzz_seed\nseed: 3\ndays: 7\norganisation: {employees: 12, team_size: 4, span: 2}\npolicies:\n  baseline: {type: none}\n  leaderboard: {type: leaderboard, cadence: weekly}\n' >"$tmp/base.yaml"
build/fuzz/engine/kpisim run "$tmp/base.yaml" -q --force -o "$seeds/results/run.h5" --threads 1
printf 'name: fuzz_seed_sweep\nbase: base.yaml\nreplications: 2\nparameters:\n  behaviour.effort_cost: {values: [6, 10]}\nanalysis: {outputs: [true_value_per_fte, burnout_share], first_day: 2}\n' >"$tmp/sweep.yaml"
build/fuzz/engine/kpisim sweep "$tmp/sweep.yaml" -q --force -o "$seeds/results/sweep.h5" --threads 1
# Dictionaries: scenario keys (every path component, every full path, every choice) from the
# reference the program generates; experiment keys and results names are listed in tests/fuzz/.
build/fuzz/engine/kpisim reference |
  awk -F'|' '/^\| `/ { k = $2; gsub(/[` ]/, "", k); print k; n = split(k, p, "."); for (i = 1; i <= n; ++i) print p[i];
                       c = $5; if (c ~ / \\\| /) { m = split(c, q, / \\\| /); for (i = 1; i <= m; ++i) { gsub(/ /, "", q[i]); print q[i] } } }' |
  grep -Ev '^(NAME|)$' | sort -u | sed -E 's/.*/"&"/' >"$work/dict/scenario.dict"
cat "$work/dict/scenario.dict" tests/fuzz/experiment.dict >"$work/dict/experiment.dict"
cp tests/fuzz/results.dict "$work/dict/results.dict"

# HDF5-internal leaks on damaged files are suppressed (tests/fuzz/lsan.supp says which and why);
# UBSan reports stop the target with a stack.
export LSAN_OPTIONS="suppressions=$PWD/tests/fuzz/lsan.supp:print_suppressions=0"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
status=0
summary=()
for t in "${targets[@]}"; do
  corpus=$work/corpus/$t
  mkdir -p "$corpus"
  log=$work/$t.log
  echo "== fuzz_$t: $runs inputs (corpus $corpus, $(ls "$seeds/$t" | wc -l) seeds; log $log)"
  # One process (no -jobs/-workers), a fixed seed, bounded by the number of inputs; -timeout and
  # -rss_limit_mb make a hang or an allocation spree a reported failure.
  if ! "$bin/fuzz_$t" "$corpus" "$seeds/$t" -runs="$runs" -seed=1 -dict="$work/dict/$t.dict" -timeout=30 \
      -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$work/artifacts/$t-" "${extra[@]}" >"$log" 2>&1; then
    status=1
    echo "fuzz_$t: FAILED (reproduce: $bin/fuzz_$t $work/artifacts/$t-<file>)"
    grep -E '^(==[0-9]+==ERROR|SUMMARY|terminate called|  what\(\)|fuzz_.*property failed|Test unit written)|#[0-9]+ .* in .*(kpisim::|LLVMFuzzerTestOneInput)' "$log" |
      head -20 || true
  fi
  units=$(sed -nE 's/^stat::number_of_executed_units: *([0-9]+)/\1/p' "$log" | tail -1)
  secs=$(sed -nE 's/^Done [0-9]+ runs in ([0-9]+) second.*/\1/p' "$log" | tail -1)
  rate=$(awk -v u="${units:-0}" -v s="${secs:-0}" 'BEGIN { if (s > 0) printf "%.0f", u / s; else print "n/a" }')
  summary+=("fuzz_$t: ${units:-?} inputs in ${secs:-?} s (${rate} inputs/s), corpus $(ls "$corpus" | wc -l) files")
done
printf '%s\n' "${summary[@]}"
if ((status != 0)); then echo "fuzz: a target crashed (inputs in $work/artifacts/)"; fi
exit "$status"
