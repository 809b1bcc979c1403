#!/usr/bin/env bash
# Install what is missing, build the release binary, run the shipped comparison of KPI regimes, and
# write its HTML report (executive summary first; docs/report.md).
# Usage: scripts/run.sh [SCENARIO] [extra kpisim run options]
# Writes results/<scenario name>.h5 (replaced only when the new run completes) and
# results/<scenario name>_report/report.html (replaced), and prints the report's path last.
# Needs no browser: open the page in any browser, on this machine or another.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --report
cmake --preset release >/dev/null
cmake --build --preset release -j "$(nproc)" --target kpisim
scenario=${1:-scenarios/compare_regimes.yaml}
shift || true
mkdir -p results
name=$(basename "${scenario%.*}")
out="results/$name.h5"
build/release/engine/kpisim run "$scenario" -o "$out" --force "$@"
build/release/engine/kpisim report "$out" -o "results/${name}_report" --force -q
echo "report: $(pwd)/results/${name}_report/report.html"
