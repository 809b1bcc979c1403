#!/usr/bin/env bash
# Install what is missing, build the release binary, and run the shipped comparison of KPI regimes.
# Usage: scripts/run.sh [SCENARIO] [extra kpisim run options]
# Writes results/<scenario name>.h5 (replaced only when the new run completes).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
cmake --preset release >/dev/null
cmake --build --preset release -j "$(nproc)" --target kpisim
scenario=${1:-scenarios/compare_regimes.yaml}
shift || true
mkdir -p results
out="results/$(basename "${scenario%.*}").h5"
build/release/engine/kpisim run "$scenario" -o "$out" --force "$@"
