"""kpisim.analysis is the analysis package kpisim_analysis (analysis/ in the checkout; docs/report.md)."""
import sys

from . import _import_analysis

sys.modules[__name__] = _import_analysis()
