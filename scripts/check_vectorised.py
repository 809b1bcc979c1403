#!/usr/bin/python3
"""Checks that GCC vectorises every loop the engine marks `#pragma omp simd`, in the release build.

Throughput rests on these loops running in vector registers, and a small change inside one (a
branch around a division, a store GCC cannot prove independent, a loop grown past a heuristic's
limit) can make GCC fall back to scalar code without a warning: the output stays bit-identical and
no test fails, while the per-person pass runs 30% slower. This check is deterministic (no timing):
it compiles each file that holds such loops with the release build's own command plus
`-fopt-info-vec-all`, and fails when GCC reports that it could not vectorise the loop that follows a
pragma and reports no vectorised loop within it (its `for`, its body, or the body of a lambda the
loop calls). A loop in a preprocessor branch this build does not compile gets no report at all and
is skipped (e.g. the baseline fallbacks of the AVX-512 paths in core.cpp). A loop GCC may leave
scalar goes in ALLOWED with the reason.

Usage: scripts/check_vectorised.py [BUILD_DIR]   (default build/release; configured, not built:
       `cmake --preset release` is enough; compile_commands.json must exist)
"""
import json
import os
import re
import shlex
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

# (file relative to the repository, line of the `for`) -> why GCC may leave it scalar. Keyed by the
# loop's first line of code rather than a line number, so that edits elsewhere do not break it.
ALLOWED = {}


def extent(lines, j):
    """Last line (0-based) of the statement starting at line j: to its closing brace, by counting."""
    depth = 0
    for k in range(j, len(lines)):
        depth += lines[k].count("{") - lines[k].count("}")
        if depth <= 0 and (k > j or lines[k].rstrip().endswith(";")):
            return k
    return len(lines) - 1


def lambda_extents(lines, text):
    """(first, last) lines (1-based) of the lambdas defined in the file that `text` calls."""
    out = []
    for name in set(re.findall(r"\b([A-Za-z_]\w*)\s*\(", text)):
        for i, line in enumerate(lines):
            if re.search(rf"\bauto\s+{name}\s*=\s*\[", line):
                out.append((i + 1, extent(lines, i) + 1))
    return out


def simd_loops(path):
    """(first line, last line, text of the `for`) of the loop after each `#pragma omp simd` in `path`.
    GCC reports a vectorised loop at its `for` or at a statement of its body, so the loop's extent
    (to its closing brace, found by counting braces) is what a report must fall in."""
    lines = path.read_text().splitlines()
    out = []
    for i, line in enumerate(lines):
        if not line.strip().startswith("#pragma omp simd"):
            continue
        j = i + 1
        while j < len(lines) and not lines[j].strip():
            j += 1
        if j >= len(lines) or not lines[j].strip().startswith("for"):
            out.append((j + 1, j + 1, "<no for loop after the pragma>"))
            continue
        text = lines[j].strip()
        out.append((j + 1, extent(lines, j) + 1, text, lambda_extents(lines, text)))
    return out


def compile_report(entry, report):
    """Compiles one translation unit as the build would, to nowhere, with GCC's vectoriser report."""
    args = shlex.split(entry["command"]) if "command" in entry else list(entry["arguments"])
    keep = []
    skip = False
    for a in args:
        if skip:
            skip = False
            continue
        if a in ("-o", "-MF", "-MT", "-MQ"):
            skip = True
            continue
        if a in ("-MD", "-MMD"):
            continue
        keep.append(a)
    keep += ["-o", os.devnull, f"-fopt-info-vec-all={report}"]
    subprocess.run(keep, cwd=entry["directory"], check=True)
    return Path(report).read_text()


def main():
    build = Path(sys.argv[1] if len(sys.argv) > 1 else REPO / "build/release")
    db = build / "compile_commands.json"
    if not db.is_file():
        print(f"check_vectorised: no {db} (configure the release build: cmake --preset release)", file=sys.stderr)
        return 2
    entries = {str(Path(e["file"]).resolve()): e for e in json.loads(db.read_text())}
    sources = sorted(p for p in (REPO / "engine/src").rglob("*.cpp") if "#pragma omp simd" in p.read_text())
    failures, checked, skipped = [], 0, 0
    with tempfile.TemporaryDirectory(prefix="vec-") as tmp:
        def one(src):
            entry = entries.get(str(src.resolve()))
            if entry is None:
                return src, None
            return src, compile_report(entry, os.path.join(tmp, src.name + ".txt"))

        jobs = max(1, os.cpu_count() or 1)
        with ThreadPoolExecutor(jobs) as pool:
            results = list(pool.map(one, sources))
    for src, report in results:
        rel = src.relative_to(REPO).as_posix()
        if report is None:
            failures.append(f"{rel}: not in {db}")
            continue
        name = re.escape(src.name)
        done = {int(m.group(1)) for m in re.finditer(rf"{name}:(\d+):\d+: optimized: loop vectorized", report)}
        failed = {int(m.group(1)) for m in re.finditer(rf"{name}:(\d+):\d+: missed: couldn't vectorize loop", report)}
        for line, last, text, lambdas in simd_loops(src):
            ranges = [(line, last), *lambdas]
            if any(a <= d <= b for d in done for a, b in ranges):
                checked += 1
                continue
            if not any(line <= d <= last for d in failed):
                skipped += 1  # not compiled in this build (an inactive preprocessor branch)
                continue
            checked += 1
            reason = ALLOWED.get((rel, text))
            if reason:
                print(f"check_vectorised: {rel}:{line}: scalar, allowed: {reason}")
                continue
            failures.append(f"{rel}:{line}: `{text}` is marked `#pragma omp simd` but GCC did not vectorise it")
    if failures:
        print("check_vectorised: " + "\n  ".join(["loops left scalar in the release build:"] + failures), file=sys.stderr)
        print("  (see why with -fopt-info-vec-missed on that file; keep work that stops GCC in a loop of its own)", file=sys.stderr)
        return 1
    print(f"check_vectorised: {checked} simd loops in {len(results)} files, every one vectorised"
          f" ({skipped} in branches this build does not compile)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
