#!/usr/bin/env bash
# Fuzz the loaders and readers of untrusted input (docs/fuzzing.md): builds the `fuzz` preset
# (clang-14, libFuzzer, ASan + UBSan), makes the seed corpora and dictionaries, and runs each target
# for a bounded number of inputs (not a time), one process each, one after the other.
# Usage: scripts/fuzz.sh [--runs N] [--target scenario|experiment|calibrate|results] [--fresh] [-- LIBFUZZER_ARGS...]
#   --runs N   inputs per target (default 20000; CI runs scripts/test.sh's smaller count, a nightly
#              run 1000000 or more)
#   --target   only this target (repeatable); default: all four (calibrate: fuzz_calibrate, the
#              calibrate: and optimise: sections)
#   --fresh    start each corpus from the seeds alone (CI: the same inputs on every run)
# Corpora grow in build/fuzz/fuzz/corpus/TARGET (kept between runs unless --fresh). A crash is
# classified by tests/fuzz/triage.py: in KPISim's code, the input is saved as
# build/fuzz/fuzz/artifacts/TARGET-crash-* and the script exits 1; inside libhdf5 (a known kind of
# library defect), it is kept in build/fuzz/fuzz/hdf5-defects/, listed, and fuzzing goes on.
# Each target's line of "inputs, seconds, inputs/s" is printed at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=20000
fresh=0
max_segments=50
targets=()
extra=()
while (($#)); do
  case "$1" in
    --runs) runs=$2; shift 2 ;;
    --target) targets+=("$2"); shift 2 ;;
    --fresh) fresh=1; shift ;;
    --) shift; extra=("$@"); break ;;
    *) echo "usage: scripts/fuzz.sh [--runs N] [--target scenario|experiment|calibrate|results] [--fresh] [-- LIBFUZZER_ARGS...]" >&2; exit 2 ;;
  esac
done
if ((${#targets[@]} == 0)); then targets=(scenario experiment calibrate results); fi
scripts/setup.sh

echo "== fuzz: configure and build (clang-14, libFuzzer, ASan + UBSan)"
launcher=()
if command -v ccache >/dev/null; then launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache); fi
cmake --preset fuzz "${launcher[@]}" >/dev/null
cmake --build --preset fuzz -j "$(nproc)" --target fuzz_scenario fuzz_experiment fuzz_calibrate fuzz_results write_sample_h5 section_keys kpisim
bin=build/fuzz/tests/fuzz
work=build/fuzz/fuzz
seeds=$work/seeds
rm -rf "$seeds"
mkdir -p "$seeds"/{scenario,experiment,calibrate,results} "$work/artifacts" "$work/dict"

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
# Calibration and optimisation seeds (fuzz_calibrate, read in tests/data/experiments): the shipped
# experiments with a calibrate: or optimise: section, their `base:` rewritten to name the same file
# from there (their targets name the base's policies) and their replicas' `file:` made absolute, and
# tests/fuzz/calibrate-seeds/ (the Python
# tests' experiments). Each must be accepted: checked with `kpisim validate` on a copy whose base is
# an absolute path.
mkdir -p "$work/seedcheck"
while IFS= read -r f; do
  id=$(echo "${f%.yaml}" | tr '/' '_')
  base=$(sed -nE 's/^base: *([^ #]+).*$/\1/p' "$f")
  if [[ -n "$base" && "$f" == scenarios/* ]]; then
    rel=$(realpath -m --relative-to=tests/data/experiments "$(dirname "$f")/$base")
    # A replica's `file:` (calibrate.replicas) becomes an absolute path: it resolves from anywhere.
    sed -E "s|^base:.*$|base: $rel|" "$f" | /usr/bin/python3 -c '
import os, re, sys
d = os.path.abspath(sys.argv[1])
sys.stdout.write(re.sub(r"(\bfile: *)([^\s,}#]+)", lambda m: m.group(1) + os.path.normpath(os.path.join(d, m.group(2))), sys.stdin.read()))
' "$(dirname "$f")" >"$seeds/calibrate/$id.yaml"
  else
    cp "$f" "$seeds/calibrate/$id.yaml"
  fi
  sed -E "s|^base: *|base: $PWD/tests/data/experiments/|" "$seeds/calibrate/$id.yaml" >"$work/seedcheck/$id.yaml"
  if ! build/fuzz/engine/kpisim validate "$work/seedcheck/$id.yaml" >/dev/null 2>"$work/seedcheck/$id.err"; then
    echo "fuzz: the calibrate seed from $f is refused:" >&2
    cat "$work/seedcheck/$id.err" >&2
    exit 1
  fi
done < <({ grep -rlE '^(calibrate|optimise):' scenarios --include='*.yaml'; ls tests/fuzz/calibrate-seeds/*.yaml; } | sort)
# Inputs that once crashed a target (tests/fuzz/regressions/TARGET/): every run starts with them.
for t in scenario experiment calibrate results; do
  if [[ -d tests/fuzz/regressions/$t ]]; then cp tests/fuzz/regressions/$t/* "$seeds/$t/" 2>/dev/null || true; fi
done
# Results seeds: written by the project's own tools, small (a week, few people, one division for
# the sweep), the same bytes on every commit and every day: the synthetic files have fixed
# provenance; kpisim's are written from a fixed directory with relative paths (the command line is
# stored), and tests/fuzz/normalise_h5.py replaces the commit and the time of writing and zeroes the
# HDF5 object header times (with their checksums), so that CI's mutations do not depend on them.
gen=$work/seedgen
rm -rf "$gen"
mkdir -p "$gen"
build/fuzz/tests/fuzz/write_sample_h5 "$gen/sample.h5" "$gen/sweep_sample.h5" >/dev/null
commit=$(build/fuzz/engine/kpisim --version | sed -nE 's/.*\(commit ([^,]+),.*/\1/p')
(
  cd "$gen"
  printf 'name: fuzz_seed\nseed: 3\ndays: 7\norganisation: {employees: 12, team_size: 4, span: 2}\npolicies:\n  baseline: {type: none}\n  leaderboard: {type: leaderboard, cadence: weekly}\n' >base.yaml
  ../../engine/kpisim run base.yaml -q --force -o run.h5 --threads 1
  printf 'name: fuzz_seed_sweep\nbase: base.yaml\nreplications: 2\nparameters:\n  behaviour.effort_cost: {values: [6, 10]}\nanalysis: {outputs: [true_value_per_fte, burnout_share], first_day: 2}\n' >sweep.yaml
  ../../engine/kpisim sweep sweep.yaml -q --force -o sweep.h5 --threads 1
  # An optimisation's and a calibration's files (read back by `compare`: their own tables, and the
  # section text stored in the file), the calibration with a posterior and a replica stored inline.
  printf 'name: fuzz_seed_optimise\nbase: base.yaml\nreplications: 2\nparameters:\n  policies.leaderboard.prize_usd: {lower: 0, upper: 1000}\noptimise:\n  policy: leaderboard\n  objective: {true_value_per_fte: 1}\n  constraints:\n    burnout_share: {max: 0.9}\n  evaluations: 3\n  start_points: 1\n  confirm_replications: 1\n' >optimise.yaml
  ../../engine/kpisim optimise optimise.yaml -q --force -o optimise.h5 --threads 1
  printf 'name: fuzz_seed_calibrate\nbase: base.yaml\nreplications: 2\nanalysis: {first_day: 2}\nparameters:\n  behaviour.adoption_friction_usd_per_hour: {lower: 0, upper: 20}\ncalibrate:\n  replicas:\n    again: {file: base.yaml}\n  targets:\n    share: {policy: baseline, output: ai_task_share, value: 0.3, se: 0.05}\n    hours: {replica: again, policy: leaderboard, output: hours_per_fte, per: headcount, value: 0.5, interval: [0, 1]}\n  evaluations: 3\n  start_points: 1\n  posterior: {particles: 3, generations: 1}\n' >calibrate.yaml
  ../../engine/kpisim calibrate calibrate.yaml -q --force -o calibrate.h5 --threads 1
)
for f in sample sweep_sample run sweep optimise calibrate; do
  fixed=()
  if [[ $f != sample && $f != sweep_sample ]]; then
    # (sed, not grep -m1, reads all its input: strings must not die of SIGPIPE under pipefail)
    created=$(strings "$gen/$f.h5" | grep -E '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$' | sed -n 1p)
    fixed=("$created=2000-01-01T00:00:00Z" "$commit=$(printf '%*s' ${#commit} '' | tr ' ' 0)")
  fi
  /usr/bin/python3 tests/fuzz/normalise_h5.py "$gen/$f.h5" "${fixed[@]}" >/dev/null
  # Still a valid results file: `compare` verifies every checksum first, and only then refuses a
  # run's file (no experiment) or the synthetic sweep's (its experiment text is made up).
  if ! build/fuzz/engine/kpisim compare "$gen/$f.h5" >/dev/null 2>"$gen/$f.err" &&
    ! grep -Eq 'not a sweep results file|\(experiment attribute\)' "$gen/$f.err"; then
    cat "$gen/$f.err" >&2
    exit 1
  fi
  cp "$gen/$f.h5" "$seeds/results/$f.h5"
done
# Dictionaries: scenario keys (every path component, every full path, every choice) from the
# reference the program generates; experiment keys and results names are listed in tests/fuzz/.
# The calibrate and optimise keys come from their declarations the same way (tests/fuzz/section_keys.cpp
# prints them as reference rows).
# A choice's values are separated by an escaped bar (`a \| b`), which is also awk's field separator:
# turned into \001 first, so that the values come out of the range column whole.
reference_keys() {
  sed 's/ \\| /\x01/g' |
    awk -F'|' '/^\| `/ { k = $2; gsub(/[` ]/, "", k); print k; n = split(k, p, "."); for (i = 1; i <= n; ++i) print p[i];
                         if ($3 ~ /choice/) { m = split($5, q, "\001"); for (i = 1; i <= m; ++i) { gsub(/ /, "", q[i]); print q[i] } } }' |
    grep -Ev '^(NAME|)$' | sort -u | sed -E 's/.*/"&"/'
}
build/fuzz/engine/kpisim reference | reference_keys >"$work/dict/scenario.dict"
cat "$work/dict/scenario.dict" tests/fuzz/experiment.dict >"$work/dict/experiment.dict"
build/fuzz/tests/fuzz/section_keys | reference_keys >"$work/dict/sections.dict"
cat "$work/dict/experiment.dict" "$work/dict/sections.dict" tests/fuzz/calibrate.dict >"$work/dict/calibrate.dict"
cp tests/fuzz/results.dict "$work/dict/results.dict"

# HDF5-internal leaks on damaged files are suppressed (tests/fuzz/lsan.supp says which and why);
# UBSan reports stop the target with a stack.
export LSAN_OPTIONS="suppressions=$PWD/tests/fuzz/lsan.supp:print_suppressions=0"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
export ASAN_OPTIONS="symbolize=1:external_symbolizer_path=$(command -v llvm-symbolizer-14 || command -v llvm-symbolizer)"
# Address-space layout randomisation makes libFuzzer's runs differ from one to the next (the
# coverage of some code depends on addresses): the targets run without it, when the system lets
# setarch turn it off, so that the same seed and corpus give the same inputs and the same verdict.
norandom=()
if setarch "$(uname -m)" -R true 2>/dev/null; then norandom=(setarch "$(uname -m)" -R); else echo "fuzz: cannot turn off ASLR (setarch -R): runs may differ"; fi
status=0
summary=()
known=()
for t in "${targets[@]}"; do
  corpus=$work/corpus/$t
  if ((fresh)); then rm -rf "$corpus"; fi
  mkdir -p "$corpus"
  echo "== fuzz_$t: $runs inputs (corpus $corpus, $(ls "$seeds/$t" | wc -l) seeds; logs $work/$t.*.log)"
  # One process (no -jobs/-workers), bounded by the number of inputs; -timeout and -rss_limit_mb
  # make a hang or an allocation spree a reported failure. A run stops at its first crash: the
  # report is classified (tests/fuzz/triage.py); a crash inside libhdf5 on memory libhdf5 allocated
  # is a known library defect (listed, not a failure) and fuzzing resumes with the next seed for
  # the inputs left, from the corpus grown so far; anything else fails. With a fresh corpus the
  # whole sequence is deterministic.
  done_units=0
  wall=0
  cpu=0
  segment=0
  while :; do
    left=$((runs < 0 ? -1 : runs - done_units))
    log=$work/$t.$segment.log
    rm -f "$work"/artifacts/"$t"-*
    TIMEFORMAT='%R %U %S'
    set +e
    { time "${norandom[@]}" "$bin/fuzz_$t" "$corpus" "$seeds/$t" -runs="$left" -seed=$((segment + 1)) -dict="$work/dict/$t.dict" -timeout=30 \
        -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$work/artifacts/$t-" "${extra[@]}" >"$log" 2>&1; } 2>"$work/$t.time"
    rc=$?
    set -e
    read -r w u k <"$work/$t.time"
    wall=$(awk -v a="$wall" -v b="$w" 'BEGIN { print a + b }')
    cpu=$(awk -v a="$cpu" -v b="$u" -v c="$k" 'BEGIN { print a + b + c }')
    units=$(sed -nE 's/^stat::number_of_executed_units: *([0-9]+)/\1/p' "$log" | tail -1)
    if [[ -z "$units" ]]; then units=$(sed -nE 's/^#([0-9]+)\b.*/\1/p' "$log" | tail -1); fi
    done_units=$((done_units + ${units:-0}))
    if ((rc == 0)); then break; fi
    artifact=$(sed -nE 's/.*Test unit written to (.*)$/\1/p' "$log" | tail -1)
    if verdict=$(/usr/bin/python3 tests/fuzz/triage.py "$log" "$bin/fuzz_$t"); then
      mkdir -p "$work/hdf5-defects"
      kept=$work/hdf5-defects/$t-$(basename "${artifact:-none}")
      if [[ -n "$artifact" && -f "$artifact" ]]; then mv "$artifact" "$kept"; fi
      cp "$log" "$kept.log"
      known+=("fuzz_$t: ${verdict#hdf5: } ($kept)")
      echo "fuzz_$t: libhdf5 defect after ${units:-?} inputs (not a failure): ${verdict#hdf5: }"
      segment=$((segment + 1))
      if ((runs >= 0 && done_units >= runs)); then break; fi
      if ((segment >= max_segments)); then
        echo "fuzz_$t: FAILED: stopped by libhdf5 defects $segment times; $done_units of $runs inputs tried"
        status=1
        break
      fi
      continue
    fi
    status=1
    echo "fuzz_$t: FAILED: $verdict"
    echo "  reproduce: $bin/fuzz_$t ${artifact:-(no input saved; see $log)}"
    grep -E '^(==[0-9]+==ERROR|SUMMARY|terminate called|  what\(\)|fuzz_.*property failed)|runtime error:|#[0-9]+ .* in .*(kpisim::|LLVMFuzzerTestOneInput)' "$log" |
      head -20 || true
    break
  done
  summary+=("fuzz_$t: $done_units inputs in ${wall} s wall, ${cpu} s CPU ($(awk -v u="$done_units" -v w="$wall" -v c="$cpu" \
    'BEGIN { printf "%.0f inputs/s wall, %.0f per CPU-second", (w > 0 ? u / w : 0), (c > 0 ? u / c : 0) }')), $segment libhdf5 stops, corpus $(ls "$corpus" | wc -l) files")
done
printf '%s\n' "${summary[@]}"
if ((${#known[@]} > 0)); then
  echo "libhdf5 defects met (known kind: a crash inside the library on crafted metadata; production reads in a child process, exit 2):"
  printf '  %s\n' "${known[@]}"
fi
if ((status != 0)); then echo "fuzz: FAILED (a crash in KPISim's code, or see above; inputs in $work/artifacts/)"; fi
exit "$status"
