"""Aggregation of daily series into weeks, grouping of runs, and intervals over replications.

Intervals follow the engine's (engine/src/stats/summary.cpp): Student-t intervals of the mean over
replications. When runs of one group differ in their parameters (a sweep with many points pooled by
policy), the band is instead the spread of the runs (a quantile range), which is what it means.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import xarray as xr
from scipy import stats as sps

from . import results as R
from . import schema as S

LEVEL = 0.95  # confidence level of the bands
SPREAD = (0.1, 0.9)  # quantile band when runs are pooled over parameter points
MAX_POINTS_SHOWN = 3  # up to this many parameter points get their own lines; more are pooled


@dataclass(frozen=True)
class Group:
    """A set of runs shown as one line: a policy (at one parameter point, or pooled over points)."""

    label: str
    policy: str
    point: int | None  # None: pooled over every point of the file
    runs: np.ndarray  # indices along `run` (ok runs only)


def run_groups(ds: xr.Dataset) -> list[Group]:
    """Groups the finished runs by policy, and by parameter point when a sweep has at most
    MAX_POINTS_SHOWN points; with more points, each policy pools every point (band = spread)."""
    ok = R.ok_runs(ds)
    pol = ds[S.POLICY].values
    pts = R.point_of_runs(ds)
    all_points = R.points(ds)
    split = 1 < len(all_points) <= MAX_POINTS_SHOWN
    groups = []
    for p in R.policies(ds):
        if split:
            for k in all_points:
                runs = np.flatnonzero(ok & (pol == p) & (pts == k))
                if runs.size:
                    groups.append(Group(f"{p} ({R.point_label(ds, k)})", p, k, runs))
        else:
            runs = np.flatnonzero(ok & (pol == p))
            if runs.size:
                groups.append(Group(p, p, None if len(all_points) > 1 else all_points[0], runs))
    return groups


def short_parameter(name: str) -> str:
    """The last component of a parameter's key path (behaviour.effort_cost -> effort_cost)."""
    return name.rsplit(".", 1)[-1]


def pooled_over_points(ds: xr.Dataset) -> bool:
    """True when run_groups pools runs of different parameter points into one line."""
    return len(R.points(ds)) > MAX_POINTS_SHOWN


def weekly(ds: xr.Dataset, name: str, runs=None, unit: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Weekly aggregate of a daily variable for the given runs (of division number `unit`, from the
    per-unit series unit_NAME, when given).

    Returns (x, values): x is the day at the middle of each week (float), values has shape
    (len(runs), weeks). WORKDAY variables are averaged over working days, STATE variables over all
    days, FLOW variables give a weekly total (7 x the mean daily total, so that a partial last week
    is a rate too). Percentage variables are multiplied by 100. Horizons shorter than two weeks
    are returned per day instead.
    """
    info = R.variable(name, ds)
    da = ds[name] if unit is None else ds[S.UNIT_PREFIX + name].isel(unit=unit)
    if runs is not None:
        da = da.isel(run=np.asarray(runs))
    a = np.asarray(da.values, dtype=float)
    days = ds[S.DAY].values.astype(int)
    scale = 100.0 if info.percent else 1.0
    if days.size < 2 * S.DAYS_PER_WEEK:
        return days.astype(float), a * scale
    if info.kind == S.WORKDAY:
        a = np.where((days % S.DAYS_PER_WEEK < S.WORKDAYS_PER_WEEK)[None, :], a, np.nan)
    week = days // S.DAYS_PER_WEEK
    n_weeks = int(week.max()) + 1
    out = np.full((a.shape[0], n_weeks), np.nan)
    x = np.zeros(n_weeks)
    with np.errstate(invalid="ignore"):
        for w in range(n_weeks):
            cols = week == w
            block = a[:, cols]
            have = np.isfinite(block).any(axis=1)
            out[have, w] = np.nanmean(block[have], axis=1)
            x[w] = days[cols].mean()
    if info.kind == S.FLOW:
        out *= S.DAYS_PER_WEEK
    return x, out * scale


def band(values: np.ndarray, pooled: bool, level: float = LEVEL):
    """Mean over runs (axis 0) and a band: the t-interval of the mean over replications, or the
    SPREAD quantile range when the runs are pooled over parameter points. The band is None with
    fewer than two runs. NaN entries (failed runs, days off) are skipped."""
    values = np.atleast_2d(values)
    with np.errstate(invalid="ignore"), np.testing.suppress_warnings() as sup:
        sup.filter(RuntimeWarning)
        mean = np.nanmean(values, axis=0)
        n = np.sum(np.isfinite(values), axis=0)
        if values.shape[0] < 2:
            return mean, None
        if pooled:
            lo, hi = np.nanquantile(values, SPREAD, axis=0)
            return mean, (lo, hi)
        sd = np.nanstd(values, axis=0, ddof=1)
        half = np.where(n >= 2, sps.t.ppf(0.5 + level / 2, np.maximum(n - 1, 1)) * sd / np.sqrt(np.maximum(n, 1)), np.nan)
        return mean, (mean - half, mean + half)


def t_interval(x, level: float = LEVEL) -> tuple[float, float, float, int]:
    """(mean, lower, upper, n) of the finite values of x; lower/upper NaN with fewer than two."""
    x = np.asarray(x, dtype=float)
    x = x[np.isfinite(x)]
    n = x.size
    if n == 0:
        return np.nan, np.nan, np.nan, 0
    m = float(x.mean())
    if n < 2:
        return m, np.nan, np.nan, n
    half = float(sps.t.ppf(0.5 + level / 2, n - 1) * x.std(ddof=1) / np.sqrt(n))
    return m, m - half, m + half, n


def window_stat(ds: xr.Dataset, name: str, how: str, first: int = 0, last: int | None = None) -> np.ndarray:
    """One number per run from a daily variable over days first..last (inclusive):
    how = "mean" (over the variable's days: working days for WORKDAY variables, NaN skipped),
    "sum" (total), or "end" (value on the last working day with a finite value)."""
    last = ds.sizes[S.DAY] - 1 if last is None else last
    a = np.asarray(ds[name].isel(day=slice(first, last + 1)).values, dtype=float)
    days = ds[S.DAY].values[first:last + 1].astype(int)
    work = days % S.DAYS_PER_WEEK < S.WORKDAYS_PER_WEEK
    with np.errstate(invalid="ignore"), np.testing.suppress_warnings() as sup:
        sup.filter(RuntimeWarning)
        if how == "sum":
            return np.nansum(a, axis=1)
        if how == "mean":
            if R.variable(name, ds).kind == S.WORKDAY:
                a = a[:, work]
            return np.nanmean(a, axis=1)
        if how == "end":
            out = np.full(a.shape[0], np.nan)
            for r in range(a.shape[0]):
                ok = np.flatnonzero(work & np.isfinite(a[r]))
                if ok.size:
                    out[r] = a[r, ok[-1]]
            return out
    raise ValueError(f"unknown statistic '{how}' (mean, sum or end)")
