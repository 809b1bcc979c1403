"""KPISim analysis: read results files into xarray, plot them, and write a self-contained report.

    from kpisim_analysis import open_results, comparison, sensitivity, provenance
    ds = open_results("results.h5")

Command line (Debian's Python; the package lives in the repository's analysis/ folder):

    PYTHONPATH=analysis /usr/bin/python3 -m kpisim_analysis report results.h5 -o report/

See docs/report.md.
"""
from .results import (ResultsFileError, analysis_window, baseline, comparison, comparison_frame, daily_variables,
                      has_snapshots, has_units, is_sweep, ok_runs, open_results, parameters, points, policies,
                      provenance, replications, sensitivity)

__version__ = "0.1.0"

__all__ = ["ResultsFileError", "analysis_window", "baseline", "comparison", "comparison_frame", "daily_variables",
           "has_snapshots", "has_units", "is_sweep", "ok_runs", "open_results", "parameters", "points", "policies",
           "provenance", "replications", "sensitivity"]
