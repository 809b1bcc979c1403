#!/usr/bin/env bash
# Install what is missing, build, and run every test: the checked build (release optimisation with
# invariant checks and warnings as errors), formatting and static analysis, and, unless --quick,
# the sanitizer build (ASan+UBSan) with its tests and a bounded fuzzing run of the loaders and readers
# (scripts/fuzz.sh, docs/fuzzing.md).
# Usage: scripts/test.sh [--quick]
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --python

jobs=$(nproc)
run_preset() {
  local preset=$1
  echo "== ${preset}: configure and build"
  cmake --preset "$preset" >/dev/null
  cmake --build --preset "$preset" -j "$jobs"
  echo "== ${preset}: test"
  ctest --preset "$preset" -j "$jobs"
}

run_preset checked
echo "== lint (clang-format, clang-tidy)"
scripts/lint.sh build/checked
# The hot loops marked #pragma omp simd must be vectorised in the release build (configured only,
# for its compile commands): a loop left scalar keeps the bits and loses throughput.
echo "== vectorised loops (scripts/check_vectorised.py)"
cmake --preset release >/dev/null
/usr/bin/python3 scripts/check_vectorised.py build/release
if [[ "${1:-}" != "--quick" ]]; then
  run_preset sanitize
  # The two builds differ in instruction set (the host's best vs baseline x86-64), optimisation
  # (-O2 vs -O0) and instrumentation: their results must not.
  echo "== the same bits from both builds"
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  for preset in checked sanitize; do
    build/$preset/engine/kpisim run scenarios/compare_regimes.yaml --days 63 -q -o "$tmp/$preset.h5"
  done
  /usr/bin/python3 tests/python/compare_results.py "$tmp/checked.h5" "$tmp/sanitize.h5"
  # A bounded number of inputs per target (not a time: the same work on any machine), ASan + UBSan,
  # from the seeds alone (--fresh): the same inputs on every run. A crash inside libhdf5 is listed,
  # not a failure; one in KPISim's code fails (docs/fuzzing.md, "Triage").
  echo "== fuzz (docs/fuzzing.md)"
  scripts/fuzz.sh --fresh --runs "${KPISIM_FUZZ_RUNS:-2000}"
fi
echo "== all tests passed"
