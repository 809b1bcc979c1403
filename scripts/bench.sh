#!/usr/bin/env bash
# Install what is missing, build the release binaries, and run the throughput/memory benchmark on
# the shipped comparison scenario's organisation and policies.
# Usage: scripts/bench.sh [kpisim_bench options]   (e.g. --sizes 10000,100000 --json bench.json;
#        see build/release/bench/kpisim_bench --help)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
cmake --preset release >/dev/null
cmake --build --preset release -j "$(nproc)"
build/release/bench/kpisim_bench scenarios/compare_regimes.yaml "$@"
