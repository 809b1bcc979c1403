"""Command line of the analysis package.

    /usr/bin/python3 -m kpisim_analysis report RESULTS.h5 [-o DIR] [--force] [--goodhart-days 30,180,360]
    /usr/bin/python3 -m kpisim_analysis info RESULTS.h5

(with the repository's analysis/ folder on PYTHONPATH, or through `kpisim report`).
Exit codes, as kpisim's: 0 success; 1 error while writing; 2 bad arguments or not a results file;
3 the report exists (use --force).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

EXIT_OK, EXIT_ERROR, EXIT_INPUT, EXIT_EXISTS = 0, 1, 2, 3


def _days(text: str) -> list[int]:
    try:
        days = [int(x) for x in text.split(",") if x.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected days as whole numbers separated by commas, got '{text}'") from None
    if not days or any(d < 0 for d in days):
        raise argparse.ArgumentTypeError(f"expected one or more days >= 0, got '{text}'")
    return days


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="kpisim" if "--as-kpisim" in sys.argv else "python3 -m kpisim_analysis",
        description="Plots and a self-contained HTML report from a KPISim results file (kpisim run, sweep, optimise or "
                    "calibrate).",
        epilog="Example: PYTHONPATH=analysis /usr/bin/python3 -m kpisim_analysis report results.h5 -o report/ "
               "(then open report/report.html). See docs/report.md.")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")
    r = sub.add_parser("report", help="write PNG plots and report.html for a results file",
                       description="Write PNG plots and one self-contained report.html (images embedded, no network "
                                   "access needed) for a results file of `kpisim run` or `kpisim sweep`.")
    r.add_argument("results", metavar="RESULTS.h5", type=Path, help="results file")
    r.add_argument("-o", "--output", metavar="DIR", type=Path,
                   help="folder for report.html and the PNGs (default: RESULTS_report next to the results file)")
    r.add_argument("--force", action="store_true", help="replace an existing report.html (and its PNGs)")
    r.add_argument("--goodhart-days", metavar="D1,D2,...", type=_days,
                   help="days of the KPI-vs-value scatter (nearest snapshot days; default: first, middle, last)")
    r.add_argument("--title", help="title of the report (default: 'KPISim report: SCENARIO')")
    r.add_argument("-q", "--quiet", action="store_true", help="print nothing but errors")
    i = sub.add_parser("info", help="print what a results file holds and where it came from")
    i.add_argument("results", metavar="RESULTS.h5", type=Path, help="results file")
    return p


def _info(path: Path) -> int:
    from . import report as RP
    from . import results as R

    ds = R.open_results(path)
    prov = R.provenance(ds)
    kind = "sweep" if R.is_sweep(ds) else "calibration" if R.is_calibration(ds) else "run"
    print(f"{path}: {kind} file; {RP.describe(ds)}")
    print(f"policies: {', '.join(R.policies(ds))} (baseline {R.baseline(ds)})")
    if R.parameters(ds):
        print(f"parameters: {', '.join(R.parameters(ds))}")
    ok = R.ok_runs(ds)
    if not ok.all():
        print(f"failed or missing runs: {int((~ok).sum())}")
    print(f"per-division series: {'yes' if R.has_units(ds) else 'no'}; agent snapshots: "
          + (f"{ds.sizes['snapshot']} days x {ds.sizes['agent']} people" if R.has_snapshots(ds) else "no"))
    cmp, sens = R.comparison(ds), R.sensitivity(ds)
    if cmp:
        print(f"comparison tables: {', '.join(cmp)}")
    if sens:
        print(f"sensitivity tables: {', '.join(f'{o}/{p}' for o, p in sens)}")
    if R.is_calibration(ds):
        cal = R.calibration(ds)
        if cal:
            print(f"calibration: {len(cal['names'])} parameters, {len(cal['targets'])} targets "
                  f"({', '.join(cal['targets'])}); posterior: {'yes' if cal['posterior'] is not None else 'no'}")
    for k, v in prov.attrs.items():
        print(f"  {k}: {v}")
    return EXIT_OK


def main(argv=None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    # `kpisim report` (engine/apps/kpisim/report.hpp) adds --as-kpisim so that usage and errors name
    # the command the user typed; it has no other effect.
    argv = [a for a in argv if a != "--as-kpisim"]
    args = _parser().parse_args(argv)
    from . import report as RP
    from . import results as R

    try:
        if args.command == "info":
            return _info(args.results)
        out = args.output or args.results.with_name(args.results.stem + "_report")
        log = None if args.quiet else (lambda m: print(m, file=sys.stderr))
        page = RP.write_report(args.results, out, force=args.force, goodhart_days=args.goodhart_days,
                               title=args.title, log=log)
        if not args.quiet:
            print(f"report: {page}")
        return EXIT_OK
    except R.ResultsFileError as e:
        print(f"kpisim report: {e}", file=sys.stderr)
        return EXIT_INPUT
    except RP.ReportExistsError as e:
        print(f"kpisim report: {e}", file=sys.stderr)
        return EXIT_EXISTS
    except OSError as e:
        print(f"kpisim report: {e}", file=sys.stderr)
        return EXIT_ERROR
    except Exception as e:  # noqa: BLE001 - a damaged or crafted file: one line and exit 2, never a traceback
        first = str(e).splitlines()[0] if str(e) else ""
        print(f"kpisim report: cannot read results file '{args.results}' (damaged or crafted?): "
              f"{type(e).__name__}: {first}", file=sys.stderr)
        return EXIT_INPUT


if __name__ == "__main__":
    sys.exit(main())
