#!/usr/bin/env bash
# Sweep benchmark: runs per second of a 1,000-employee, one-year sweep (bench/sweep_1k.yaml) at 1
# thread, at all threads, and in 2 MPI processes; and the peak memory of a 10,000-run sweep
# (bench/sweep_10k_runs.yaml). Builds the release preset first.
# Usage: scripts/bench_sweep.sh
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
cmake --preset release >/dev/null
cmake --build --preset release -j "$(nproc)"
kpisim=build/release/engine/kpisim
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1

runs=$($kpisim validate bench/sweep_1k.yaml | sed -E 's/.*= ([0-9]+) runs.*/\1/')
echo "== bench/sweep_1k.yaml: $runs runs of 1,000 employees x 364 days ($($kpisim --version))"
rate() {  # label, command...
  local label=$1
  shift
  local t0 t1
  t0=$(date +%s.%N)
  "$@" >/dev/null
  t1=$(date +%s.%N)
  awk -v l="$label" -v r="$runs" -v a="$t0" -v b="$t1" \
    'BEGIN { s = b - a; printf "%-28s %6.2f s  %7.2f runs/s  %6.1f M agent-days/s\n", l, s, r / s, r * 1000 * 364 / s / 1e6 }'
}
rate "1 thread" $kpisim sweep bench/sweep_1k.yaml -o "$tmp/t1.h5" -q --threads 1
rate "$(nproc) threads" $kpisim sweep bench/sweep_1k.yaml -o "$tmp/tn.h5" -q
if $kpisim --version | grep -q MPI && command -v mpiexec >/dev/null; then
  rate "2 MPI processes x 1 thread" mpiexec -n 2 --oversubscribe --bind-to none --mca btl self,vader \
    $kpisim sweep bench/sweep_1k.yaml -o "$tmp/mpi.h5" -q --threads 1
  /usr/bin/python3 tests/python/compare_results.py "$tmp/t1.h5" "$tmp/mpi.h5"
fi
/usr/bin/python3 tests/python/compare_results.py "$tmp/t1.h5" "$tmp/tn.h5"

echo "== bench/sweep_10k_runs.yaml: peak memory of a 10,000-run sweep"
/usr/bin/python3 - "$kpisim" "$tmp/10k.h5" <<'PY'
import os, resource, subprocess, sys, time
t0 = time.time()
subprocess.run([sys.argv[1], "sweep", "bench/sweep_10k_runs.yaml", "-o", sys.argv[2], "-q"], check=True)
peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024  # KiB -> MiB
print(f"10,000 runs in {time.time() - t0:.1f} s; peak RSS {peak:.1f} MiB; results file {os.path.getsize(sys.argv[2]) / 2**20:.1f} MiB")
PY
