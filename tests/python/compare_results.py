"""Checks that two KPISim results files hold bit-identical data.

Usage: compare_results.py A.h5 B.h5 [--added NAME ...]

--added names datasets that B may have and A lacks (outputs added since A was written, e.g. the
money view's net_value_usd, net_value_per_fte and net_value_annual_usd): every dataset of A must
still be in B with the same bits, and B may hold exactly these more. Without it the two files must
hold the same datasets.

Every dataset (series, per-unit series, snapshots, coordinates) must have the same shape and the
same bits, NaN included. Root attributes are not compared: provenance (build type, instruction set,
time of writing, command line) differs by design. scripts/test.sh runs the same scenario with the
checked build (-O2, the build host's instruction set) and the sanitizer build (-O0, baseline
x86-64) and compares them with this script: the instruction set and optimisation level change the
speed of the daily loop, never its results.
"""
import sys

import h5py
import numpy as np


def datasets(f):
    out = {}
    f.visititems(lambda name, obj: out.__setitem__(name, obj) if isinstance(obj, h5py.Dataset) else None)
    return out


def main(a_path, b_path, added=()):
    with h5py.File(a_path, "r") as a, h5py.File(b_path, "r") as b:
        da, db = datasets(a), datasets(b)
        new = sorted(set(db) - set(da))
        if sorted(da) != sorted(db) and (set(da) - set(db) or not set(new) <= set(added)):
            print(f"different datasets: {sorted(set(da) ^ set(db))}")
            return 1
        if new:
            print(f"added in {b_path}, not compared: {new}")
        db = {k: v for k, v in db.items() if k in da}
        bad = []
        for name in sorted(da):
            x, y = da[name][()], db[name][()]
            if x.shape != y.shape or x.dtype != y.dtype:
                bad.append(f"{name}: shape/type {x.shape} {x.dtype} vs {y.shape} {y.dtype}")
            elif x.dtype.kind in "fiu" and x.tobytes() != y.tobytes():
                diff = np.nanmax(np.abs(x.astype(float) - y.astype(float)))
                bad.append(f"{name}: values differ (largest difference {diff:g})")
            elif x.dtype.kind not in "fiu" and not np.array_equal(x, y):
                bad.append(f"{name}: values differ")
        if bad:
            print("results differ:\n  " + "\n  ".join(bad))
            return 1
        print(f"{len(da)} datasets bit-identical")
        return 0


if __name__ == "__main__":
    args = sys.argv[1:]
    extra = args[args.index("--added") + 1:] if "--added" in args else []
    paths = args[:args.index("--added")] if "--added" in args else args
    if len(paths) != 2:
        sys.exit("usage: compare_results.py A.h5 B.h5 [--added NAME ...]")
    sys.exit(main(paths[0], paths[1], extra))
