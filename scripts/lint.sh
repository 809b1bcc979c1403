#!/usr/bin/env bash
# Formatting and static analysis: clang-format must leave every C++ file unchanged, and
# clang-tidy (.clang-tidy, warnings as errors) must be clean on the engine, the program and the
# Python module.
# Needs a configured build directory with compile_commands.json (default: build/checked).
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build/checked}
echo "== clang-format"
git ls-files '*.cpp' '*.hpp' | xargs clang-format --dry-run --Werror
echo "== clang-tidy"
log=$(mktemp)
status=0
find engine/src engine/apps python/src -name '*.cpp' -print0 |
  xargs -0 -n 1 -P "$(nproc)" clang-tidy -p "$build" --quiet >"$log" 2>&1 || status=$?
grep -v -E '^[0-9]+ warnings? generated\.$|^Suppressed [0-9]+ warnings|^Use -header-filter' "$log" || true
rm -f "$log"
if [[ $status -ne 0 ]]; then
  echo "== clang-tidy found problems"
  exit "$status"
fi
echo "== lint clean"
