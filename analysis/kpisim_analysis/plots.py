"""Plots of a KPISim results file (matplotlib; every function returns a Figure, or None when the
file has nothing to show for it, e.g. no snapshots or no sensitivity tables).

Conventions shared by every figure: one colour per policy (the baseline dark grey), the same in
every figure; with a few parameter points, one line style per point; legends below the panels,
never over the data; daily series shown as weekly values (see stats.weekly) against the day at the
middle of each week; bands are 95% t-intervals of the mean over replications, or the 10-90%
range over runs when a sweep's parameter points are pooled.
"""
from __future__ import annotations

import math

import matplotlib

matplotlib.use("Agg")  # files only; never a window
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import xarray as xr  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402
from matplotlib.ticker import FuncFormatter, MaxNLocator  # noqa: E402

from . import results as R  # noqa: E402
from . import schema as S  # noqa: E402
from . import stats as T  # noqa: E402

# Okabe-Ito colours (distinguishable with the common colour-vision deficiencies), yellow left out
# (unreadable on white); the baseline gets dark grey.
PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#8C510A", "#7A3DB8",
           "#1B7837", "#B2182B")
BASELINE_COLOUR = "#404040"
LINESTYLES = ("-", "--", ":")
FIG_W = 10.0  # inches: every figure has this width, so that all show at one scale in the report
PANEL_H = 3.0  # inches per row of panels
DPI = 110

STYLE = {
    "font.size": 9.5,
    "axes.titlesize": 10.5,
    "axes.titleweight": "bold",
    "axes.labelsize": 9.5,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "axes.axisbelow": True,
    "text.parse_math": False,  # labels come from the file (policy names): a '$' is a dollar, not TeX
    "grid.color": "#dddddd",
    "grid.linewidth": 0.6,
    "legend.fontsize": 9,
    "legend.frameon": False,
    "figure.dpi": DPI,
    "savefig.dpi": DPI,
    "savefig.facecolor": "white",
    "figure.facecolor": "white",
}


def human(x: float, _pos=None) -> str:
    """Short number for axes and tables: 1.2k, 3.4M, 5.6B."""
    if not np.isfinite(x):
        return ""
    a = abs(x)
    for div, suffix in ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "k")):
        if a >= div:
            v = x / div
            return f"{v:.0f}{suffix}" if abs(v) >= 100 or v == int(v) else f"{v:.1f}{suffix}"
    return f"{x:g}" if a >= 1 or a == 0 else f"{x:.2g}"


HUMAN = FuncFormatter(human)


def policy_colours(ds: xr.Dataset) -> dict[str, str]:
    """A colour per policy, stable across figures: the baseline dark grey, the others the palette."""
    base = R.baseline(ds)
    others = [p for p in R.policies(ds) if p != base]
    colours = {p: PALETTE[i % len(PALETTE)] for i, p in enumerate(others)}
    colours[base] = BASELINE_COLOUR
    return colours


def _style(group: T.Group, ds: xr.Dataset, colours: dict[str, str]) -> dict:
    pts = R.points(ds)
    ls = "-"
    if group.point is not None and 1 < len(pts) <= T.MAX_POINTS_SHOWN:
        ls = LINESTYLES[pts.index(group.point) % len(LINESTYLES)]
    return {"color": colours[group.policy], "linestyle": ls}


def _legend_below(fig, handles, labels, ncol=None):
    """One legend for the whole figure, centred below the panels."""
    if not handles:
        return
    if ncol is None:
        # One row when the entries fit across the figure (about 0.07 in per character at 9 pt, plus the
        # handle and spacing), else as many columns of the widest entry as fit.
        widths = [len(t) * 0.07 + 0.65 for t in labels]
        if sum(widths) <= 0.95 * fig.get_figwidth():
            ncol = len(labels)
        else:  # as few rows as the widest entry allows, balanced (2 + 2, not 3 + 1)
            most = max(1, min(len(labels), int(fig.get_figwidth() // max(widths))))
            ncol = math.ceil(len(labels) / math.ceil(len(labels) / most))
    # Anchored just below the figure's bottom edge: save_figure's tight bounding box takes it in
    # (matplotlib 3.6's constrained layout does not make room for figure legends itself).
    fig.legend(handles, labels, loc="upper center", bbox_to_anchor=(0.5, 0.0), ncol=ncol, handlelength=2.6)


def save_figure(fig, path) -> None:
    """Writes a figure as PNG with a tight bounding box (which includes the legend below the panels)
    and closes it."""
    fig.savefig(path, format="png", bbox_inches="tight", pad_inches=0.12)
    plt.close(fig)


def _grid(n: int, ncols: int, sharey: bool = False, extra_h: float = 0.0):
    ncols = min(ncols, n)
    nrows = math.ceil(n / ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(FIG_W, (PANEL_H if ncols < 3 else 2.8) * nrows + extra_h),
                             layout="constrained", sharey=sharey, squeeze=False)
    flat = axes.ravel()
    for ax in flat[n:]:
        ax.set_visible(False)
    return fig, flat[:n]


def band_note(ds: xr.Dataset) -> str:
    """What the shaded bands of the trajectory plots are, in words, for captions."""
    groups = T.run_groups(ds)
    if T.pooled_over_points(ds):
        return (f"Lines: mean over the runs of each policy, pooled over {len(R.points(ds))} parameter points; "
                f"bands: {T.SPREAD[0]:.0%}-{T.SPREAD[1]:.0%} range of the runs (the spread caused by the parameters).")
    n = sorted({g.runs.size for g in groups})
    if n and n[-1] >= 2:
        reps = f"{n[0]}" if len(n) == 1 else f"{n[0]}-{n[-1]}"
        return f"Lines: mean over {reps} replications; bands: {T.LEVEL:.0%} confidence interval of that mean (Student t)."
    return "One replication per policy: no confidence bands (run `kpisim sweep` with replications for them)."


def _axis_label(name: str, ds=None) -> tuple[str, str]:
    info = R.variable(name, ds)
    return info.label, info.weekly_unit()


def trajectories(ds: xr.Dataset, names, ncols: int = 2, sharey: bool = False, titles: dict | None = None,
                 zero_line: bool = False):
    """One panel per daily variable, one line per policy (and point), with bands over replications.
    Variables the file lacks are left out; titles maps a variable to its panel title (default: its label)."""
    names = [n for n in names if n in ds]
    titles = titles or {}
    if not names:
        return None
    groups = T.run_groups(ds)
    colours = policy_colours(ds)
    pooled = T.pooled_over_points(ds)
    with plt.rc_context(STYLE):
        fig, axes = _grid(len(names), ncols, sharey=sharey)
        handles, labels = [], []
        for i, (ax, name) in enumerate(zip(axes, names)):
            label, unit = _axis_label(name, ds)
            for g in groups:
                x, v = T.weekly(ds, name, g.runs)
                mean, b = T.band(v, pooled)
                st = _style(g, ds, colours)
                (line,) = ax.plot(x, mean, lw=1.8, **st)
                if b is not None:
                    ax.fill_between(x, b[0], b[1], color=st["color"], alpha=0.16, lw=0)
                if i == 0:
                    handles.append(line)
                    labels.append(g.label)
            ax.set_title(titles.get(name) or label[0].upper() + label[1:])
            if not sharey or i % min(ncols, len(names)) == 0:  # a shared scale is labelled once per row
                ax.set_ylabel(unit)
            ax.set_xlabel("day")
            ax.yaxis.set_major_formatter(HUMAN)
            ax.xaxis.set_major_locator(MaxNLocator(integer=True, nbins=7))
            ax.margins(x=0.01)
            if zero_line:
                ax.axhline(0, color="#888888", lw=0.8, zorder=0)
        _legend_below(fig, handles, labels)
    return fig


def productivity(ds):
    """True and measured value per employee (USD per working day), on one scale."""
    return trajectories(ds, ["true_value_per_fte", "measured_value_per_fte"], sharey=True,
                        titles={"true_value_per_fte": "True value per employee",
                                "measured_value_per_fte": "Measured (reported) value per employee"})


def burnout(ds):
    """Mean exhaustion and cynicism (MBI 0-6) and the share burnt out (%)."""
    return trajectories(ds, ["exhaustion_mean", "cynicism_mean", "burnout_share"], ncols=3,
                        titles={"exhaustion_mean": "Mean exhaustion", "cynicism_mean": "Mean cynicism",
                                "burnout_share": "Share burnt out (high exhaustion)"})


def tokens(ds):
    """Tokens by category per week, and their cost."""
    return trajectories(ds, [*S.TOKEN_CATEGORIES, "token_cost_usd"], ncols=2,
                        titles={"tokens_productive": "Productive tokens",
                                "tokens_rework": "Rework tokens (regenerating failed output)",
                                "tokens_performative": "Performative tokens (padding, scripts)",
                                "token_cost_usd": "Token cost"})


def invisible_labour(ds):
    """Clean-up and verification hours per employee (per working day), beside the time AI saves
    before them (time_saved_gross_per_fte) and after them (time_saved_per_fte, net) when the file has
    them: what review and fixing take back of the saving. Older files have only time_saved_per_fte,
    which was then the gross saving."""
    saved = [v for v in ("time_saved_gross_per_fte", "time_saved_per_fte") if v in ds]
    if saved == ["time_saved_per_fte"]:
        titles = {"time_saved_per_fte": "Time saved by AI"}
    else:
        titles = {"time_saved_gross_per_fte": "Time saved by AI, gross", "time_saved_per_fte": "Time saved by AI, net"}
    names = ["cleanup_hours_per_fte", "verification_hours_per_fte"] + saved
    titles.update({"cleanup_hours_per_fte": "Clean-up of AI errors", "verification_hours_per_fte": "Verification of AI output"})
    return trajectories(ds, names, ncols=min(len(names), 4) if len(names) > 2 else 2, sharey=True, titles=titles, zero_line=True)


def goodhart_series(ds):
    """The KPI-true value correlation, the reported-vs-true gap and the performative share of the KPI."""
    return trajectories(ds, ["kpi_value_correlation", "reported_true_gap", "performative_kpi_share"], ncols=3,
                        titles={"kpi_value_correlation": "KPI vs true value: correlation",
                                "reported_true_gap": "Reported vs true value: gap",
                                "performative_kpi_share": "Share of the KPI from performative use"}, zero_line=True)


# Per-division figure: the variables shown, one row each.
DIVISION_VARIABLES = ("true_value_per_fte", "burnout_share", "cleanup_hours_per_fte", "tokens_performative")


def divisions(ds, names=DIVISION_VARIABLES, max_units: int = 6):
    """Per-division trajectories (output.per_unit): one row per variable, one column per division
    (the first max_units), one line per policy; rows share their scale so that divisions compare.
    None when the file has no per-division series."""
    if not R.has_units(ds):
        return None
    names = [n for n in names if S.UNIT_PREFIX + n in ds]
    units = [str(u) for u in ds[S.UNIT].values[:max_units]]
    if not names or not units:
        return None
    groups = T.run_groups(ds)
    colours = policy_colours(ds)
    pooled = T.pooled_over_points(ds)
    with plt.rc_context(STYLE):
        fig, axes = plt.subplots(len(names), len(units), figsize=(FIG_W, 2.35 * len(names) + 0.3),
                                 layout="constrained", squeeze=False, sharey="row", sharex=True)
        handles, labels = [], []
        for i, name in enumerate(names):
            label, unit_txt = _axis_label(name, ds)
            for j, u in enumerate(units):
                ax = axes[i, j]
                for g in groups:
                    x, v = T.weekly(ds, name, g.runs, unit=j)
                    mean, b = T.band(v, pooled)
                    st = _style(g, ds, colours)
                    (line,) = ax.plot(x, mean, lw=1.5, **st)
                    if b is not None:
                        ax.fill_between(x, b[0], b[1], color=st["color"], alpha=0.14, lw=0)
                    if i == 0 and j == 0:
                        handles.append(line)
                        labels.append(g.label)
                if i == 0:
                    ax.set_title(u)
                if j == 0:
                    ax.set_ylabel(f"{label}\n({unit_txt})", fontsize=8.5)
                if i == len(names) - 1:
                    ax.set_xlabel("day")
                ax.yaxis.set_major_formatter(HUMAN)
                ax.xaxis.set_major_locator(MaxNLocator(integer=True, nbins=5))
                ax.tick_params(labelsize=8)
                ax.margins(x=0.01)
        _legend_below(fig, handles, labels)
    return fig


def attrition(ds):
    """Cumulative quits as a share of the workforce, per policy, over the horizon."""
    if "quits" not in ds or "headcount" not in ds:
        return None
    groups = T.run_groups(ds)
    colours = policy_colours(ds)
    pooled = T.pooled_over_points(ds)
    days = ds[S.DAY].values
    with plt.rc_context(STYLE):
        fig, (ax,) = _grid(1, 1)
        fig.set_size_inches(FIG_W, PANEL_H * 1.2)
        handles, labels = [], []
        for g in groups:
            quits = np.asarray(ds["quits"].isel(run=g.runs).values, dtype=float)
            heads = np.asarray(ds["headcount"].isel(run=g.runs).values, dtype=float)
            with np.errstate(invalid="ignore", divide="ignore"):
                cum = 100.0 * np.nancumsum(quits, axis=1) / np.nanmean(heads, axis=1, keepdims=True)
            mean, b = T.band(cum, pooled)
            st = _style(g, ds, colours)
            (line,) = ax.plot(days, mean, lw=1.8, **st)
            if b is not None:
                ax.fill_between(days, b[0], b[1], color=st["color"], alpha=0.16, lw=0)
            handles.append(line)
            labels.append(g.label)
        ax.set_title("Attrition: people who quit since day 0")
        ax.set_ylabel("% of the workforce")
        ax.set_xlabel("day")
        ax.set_ylim(bottom=0)
        ax.margins(x=0.01)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True, nbins=8))
        _legend_below(fig, handles, labels)
    return fig


def token_totals(ds):
    """Total tokens over the horizon by category (stacked bars, one per policy) with the total cost."""
    if not all(c in ds for c in S.TOKEN_CATEGORIES):
        return None
    groups = T.run_groups(ds)
    cats = list(S.TOKEN_CATEGORIES)
    cat_colours = {"tokens_productive": "#009E73", "tokens_rework": "#E69F00", "tokens_performative": "#D55E00"}
    totals = np.array([[np.nanmean(T.window_stat(ds, c, "sum")[g.runs]) for c in cats] for g in groups])
    cost = np.array([np.nanmean(T.window_stat(ds, "token_cost_usd", "sum")[g.runs]) for g in groups]) \
        if "token_cost_usd" in ds else None
    with plt.rc_context(STYLE):
        h = max(2.2, 0.42 * len(groups) + 1.3)
        fig, ax = plt.subplots(figsize=(FIG_W, h), layout="constrained")
        y = np.arange(len(groups))[::-1]
        left = np.zeros(len(groups))
        for j, c in enumerate(cats):
            ax.barh(y, totals[:, j], left=left, color=cat_colours[c], height=0.62,
                    label=R.variable(c).label, edgecolor="white", linewidth=0.6)
            left += totals[:, j]
        ax.set_yticks(y, [g.label for g in groups])
        ax.xaxis.set_major_formatter(HUMAN)
        ax.set_xlabel(f"tokens over days 0-{ds.sizes[S.DAY] - 1} (mean over runs)")
        ax.set_title("Tokens by category, and their cost")
        ax.grid(axis="y", visible=False)
        if cost is not None:
            perf = totals[:, cats.index("tokens_performative")]
            for yi, total, c, pf in zip(y, left, cost, perf):
                share = f", {100 * pf / total:.0f}% performative" if total > 0 else ""
                ax.annotate(f"USD {human(c)}{share}", (total, yi), xytext=(4, 0), textcoords="offset points",
                            va="center", fontsize=8.5, color="#333333")
            ax.set_xlim(right=left.max() * 1.3 if left.max() > 0 else 1)
        _legend_below(fig, *ax.get_legend_handles_labels(), ncol=3)
    return fig


def _goodhart_days(ds, days):
    snaps = ds[S.SNAPSHOT].values.astype(int)
    if days:
        chosen = [int(snaps[np.argmin(np.abs(snaps - d))]) for d in days]
    else:
        chosen = [int(snaps[0]), int(snaps[len(snaps) // 2]), int(snaps[-1])]
    return list(dict.fromkeys(chosen))


def goodhart_scatter(ds, days=None, max_policies: int = 8):
    """KPI vs true value across the sampled people at chosen snapshot days (default: first, middle
    and last snapshot), one row per policy, in its first finished run. People running padding
    scripts are marked: they are where the KPI stops tracking value. Returns None without snapshots."""
    if not R.has_snapshots(ds):
        return None
    chosen = _goodhart_days(ds, days)
    snaps = ds[S.SNAPSHOT].values.astype(int)
    ok = R.ok_runs(ds)
    pols = R.policies(ds)[:max_policies]
    colours = policy_colours(ds)
    runs = {}
    for p in pols:
        idx = np.flatnonzero(ok & (ds[S.POLICY].values == p))
        if idx.size:
            runs[p] = int(idx[0])
    if not runs:
        return None
    kpi = ds[S.SNAP_PREFIX + "kpi"]
    val = ds[S.SNAP_PREFIX + "true_value"]
    script = ds.get(S.SNAP_PREFIX + "scripting")
    # The whole workforce's correlation that day (the daily diagnostic), beside the sample's.
    everyone = np.asarray(ds["kpi_value_correlation"].values) if "kpi_value_correlation" in ds else None
    with plt.rc_context(STYLE):
        nrows, ncols = len(runs), len(chosen)
        fig, axes = plt.subplots(nrows, ncols, figsize=(min(FIG_W, 3.3 * ncols + 0.6), 2.4 * nrows + 0.5),
                                 layout="constrained", squeeze=False)
        for i, (p, r) in enumerate(runs.items()):
            for j, d in enumerate(chosen):
                ax = axes[i, j]
                s = int(np.flatnonzero(snaps == d)[0])
                x = np.asarray(kpi.isel(run=r, snapshot=s).values, dtype=float)
                y = np.asarray(val.isel(run=r, snapshot=s).values, dtype=float)
                sc = np.asarray(script.isel(run=r, snapshot=s).values) > 0.5 if script is not None else np.zeros(x.size, bool)
                ax.scatter(x[~sc], y[~sc], s=16, color=colours[p], alpha=0.75, lw=0)
                ax.scatter(x[sc], y[sc], s=26, marker="x", color="#000000", lw=1.1)
                fin = np.isfinite(x) & np.isfinite(y)
                # The correlations go in the panel's title, where they cannot hide a point.
                r_txt = "r n/a"
                if fin.sum() >= 3 and np.std(x[fin]) > 0 and np.std(y[fin]) > 0:
                    r_txt = f"r = {np.corrcoef(x[fin], y[fin])[0, 1]:+.2f}"
                if everyone is not None and np.isfinite(everyone[r, d]):
                    r_txt += f" (everyone {everyone[r, d]:+.2f})"
                ax.set_title(f"day {d}: {r_txt}", fontsize=9, fontweight="normal")
                ax.xaxis.set_major_formatter(HUMAN)
                ax.xaxis.set_major_locator(MaxNLocator(nbins=4))
                ax.yaxis.set_major_locator(MaxNLocator(nbins=4))
                ax.tick_params(labelsize=8)
                if j == 0:
                    ax.set_ylabel(f"{p}\ntrue value (USD/day)", fontsize=8.5)
                if i == nrows - 1:
                    ax.set_xlabel("KPI (points/day)", fontsize=8.5)
        handles = [Line2D([], [], ls="", marker="o", color="#777777", label="sampled employee"),
                   Line2D([], [], ls="", marker="x", color="#000000", label="runs a padding script")]
        _legend_below(fig, handles, [h.get_label() for h in handles], ncol=2)
    return fig


def _forest(ax, t: xr.Dataset, labels, colours_for_rows, unit: str, scale: float):
    y = np.arange(len(labels))[::-1]
    d = t["difference"].values * scale
    ul, uu = t["unpaired_lower"].values * scale, t["unpaired_upper"].values * scale
    dl, du = t["difference_lower"].values * scale, t["difference_upper"].values * scale
    ax.hlines(y, ul, uu, color="#bbbbbb", lw=6, label="unpaired interval (Welch)", zorder=1)
    ax.hlines(y, dl, du, color=colours_for_rows, lw=2.4, label="paired interval (CRN)", zorder=2)
    ax.scatter(d, y, color=colours_for_rows, s=28, zorder=3, label="mean paired difference")
    ax.axvline(0, color="#555555", lw=0.9)
    ax.set_yticks(y, labels)
    ax.set_ylim(-0.6, len(labels) - 0.4)
    ax.grid(axis="y", visible=False)
    ax.set_xlabel(f"difference from the baseline ({unit})")
    ax.xaxis.set_major_formatter(HUMAN)


def comparison_row_label(ds: xr.Dataset, table: xr.Dataset, i: int) -> str:
    """A comparison table's row i as people read it: the policy, with its parameter values when the
    table has several points."""
    policy = str(table[S.POLICY].values[i])
    if len(set(int(p) for p in table[S.POINT].values)) < 2:
        return policy
    return f"{policy} ({R.point_label(ds, int(table[S.POINT].values[i]))})"


def comparison_chart(ds, tables: dict[str, xr.Dataset]):
    """Forest plot per output of a sweep's comparison tables: the paired difference from the
    baseline with its interval, over the (wider) unpaired interval, one row per policy (and point).
    None without tables or when the tables hold the baseline only."""
    if not tables:
        return None
    colours = policy_colours(ds)
    outputs = list(tables)
    first = tables[outputs[0]]
    base = first.attrs.get("baseline", "")
    keep = np.asarray(first[S.POLICY].values) != base
    labels = [comparison_row_label(ds, first, i) for i in np.flatnonzero(keep)]
    if not labels:  # only the baseline policy: nothing to compare
        return None
    ncols = 2 if len(outputs) > 1 else 1
    with plt.rc_context(STYLE):
        h = 0.36 * max(len(labels), 2) + 1.4
        nrows = math.ceil(len(outputs) / ncols)
        fig, axes = plt.subplots(nrows, ncols, figsize=(FIG_W, h * nrows + 0.5),
                                 layout="constrained", squeeze=False)
        flat = axes.ravel()
        for ax in flat[len(outputs):]:
            ax.set_visible(False)
        for ax, out in zip(flat, outputs):
            t = tables[out].isel(row=np.flatnonzero(keep))
            info = S.output_variable(out)
            scale = 100.0 if info and info.percent else 1.0
            unit = "percentage points" if info and info.percent else (
                info.unit if info else ds[out].attrs.get("units", "") if out in ds else "")
            _forest(ax, t, labels, [colours.get(p, "#333333") for p in t[S.POLICY].values], unit, scale)
            ax.set_title(info.label[0].upper() + info.label[1:] if info else out)
        h_, l_ = flat[0].get_legend_handles_labels()
        _legend_below(fig, h_, l_, ncol=3)
    return fig


# Key numbers of a run file's comparison chart (no tables): name, statistic, label.
KEY_CHANGES = (
    ("true_value_per_fte", "mean", "true value per employee"),
    ("measured_value_per_fte", "mean", "measured value per employee"),
    ("exhaustion_mean", "end", "exhaustion at the end"),
    ("burnout_share", "end", "share burnt out at the end"),
    ("token_cost_usd", "sum", "token cost"),
    ("cleanup_hours_per_fte", "mean", "clean-up hours"),
)


def change_chart(ds):
    """For files without comparison tables: each policy's change from the baseline (%) in key
    numbers, one panel per number (means over working days, or the value at the end, or totals)."""
    groups = [g for g in T.run_groups(ds)]
    base = R.baseline(ds)
    base_groups = {g.point: g for g in groups if g.policy == base}
    others = [g for g in groups if g.policy != base and g.point in base_groups]
    keys = [k for k in KEY_CHANGES if k[0] in ds]
    if not others or not keys:
        return None
    colours = policy_colours(ds)
    with plt.rc_context(STYLE):
        h = 0.32 * len(others) + 1.3
        ncols = 3
        nrows = math.ceil(len(keys) / ncols)
        fig, axes = plt.subplots(nrows, ncols, figsize=(FIG_W, h * nrows + 0.4), layout="constrained",
                                 squeeze=False, sharey=True)
        for ax in axes.ravel()[len(keys):]:
            ax.set_visible(False)
        y = np.arange(len(others))[::-1]
        for ax, (name, how, label) in zip(axes.ravel(), keys):
            per_run = T.window_stat(ds, name, how)
            vals = []
            for g in others:
                b = np.nanmean(per_run[base_groups[g.point].runs])
                v = np.nanmean(per_run[g.runs])
                vals.append(100.0 * (v - b) / abs(b) if b not in (0.0,) and np.isfinite(b) else np.nan)
            vals = np.array(vals)
            ax.barh(y, np.nan_to_num(vals), color=[colours[g.policy] for g in others], height=0.6)
            for yi, v in zip(y, vals):
                txt = "n/a" if not np.isfinite(v) else f"{v:+.0f}%" if abs(v) >= 10 else f"{v:+.1f}%"
                ax.annotate(txt, (0 if not np.isfinite(v) else v, yi), xytext=(3 if not np.isfinite(v) or v >= 0 else -3, 0),
                            textcoords="offset points", va="center", ha="left" if not np.isfinite(v) or v >= 0 else "right",
                            fontsize=8)
            ax.axvline(0, color="#555555", lw=0.9)
            ax.set_title(label[0].upper() + label[1:], fontsize=9.5)
            ax.set_yticks(y, [g.label for g in others])
            ax.grid(axis="y", visible=False)
            lo, hi = np.nanmin(np.append(vals, 0)), np.nanmax(np.append(vals, 0))
            pad = 0.28 * max(hi - lo, 1.0)
            ax.set_xlim(lo - (pad if lo < 0 else 0.05 * pad), hi + (pad if hi > 0 else 0.05 * pad))
            ax.set_xlabel(f"% vs {base}")
    return fig


def sensitivity_chart(tables: dict[tuple[str, str], xr.Dataset]):
    """Bars of the sensitivity indices with their intervals: Sobol S1 and ST per parameter, or
    Morris mu* with sigma; one panel per output and policy. None without tables."""
    if not tables:
        return None
    keys = list(tables)
    ncols = 2 if len(keys) > 1 else 1
    with plt.rc_context(STYLE):
        nparam = max(t.sizes[S.SENSITIVITY_PARAMETER_DIM] for t in tables.values())
        h = 0.55 * nparam + 1.5
        nrows = math.ceil(len(keys) / ncols)
        fig, axes = plt.subplots(nrows, ncols, figsize=(FIG_W, h * nrows + 0.5),
                                 layout="constrained", squeeze=False)
        flat = axes.ravel()
        for ax in flat[len(keys):]:
            ax.set_visible(False)
        for ax, (out, pol) in zip(flat, keys):
            t = tables[(out, pol)]
            params = [str(p) for p in t[S.SENSITIVITY_PARAMETER_DIM].values]
            y = np.arange(len(params))[::-1]
            if "S1" in t:
                for off, key, colour, label in ((0.18, "S1", "#0072B2", "first order S1"), (-0.18, "ST", "#D55E00", "total ST")):
                    v = t[key].values
                    lo, hi = t.get(f"{key}_lower"), t.get(f"{key}_upper")
                    err = None
                    if lo is not None and hi is not None and np.isfinite(lo.values).all():
                        err = np.vstack([np.clip(v - lo.values, 0, None), np.clip(hi.values - v, 0, None)])
                    ax.barh(y + off, v, height=0.34, color=colour, label=label, xerr=err,
                            error_kw={"ecolor": "#222222", "elinewidth": 1, "capsize": 3})
                ax.axvline(0, color="#555555", lw=0.8)
                ax.set_xlabel("Sobol index (share of output variance)")
            else:
                ax.barh(y + 0.18, t["mu_star"].values, height=0.34, color="#0072B2", label="mu* (mean |elementary effect|)")
                ax.barh(y - 0.18, t["sigma"].values, height=0.34, color="#E69F00", label="sigma (interactions, non-linearity)")
                ax.set_xlabel("Morris elementary effects (output units)")
            ax.set_yticks(y, params)
            ax.grid(axis="y", visible=False)
            info = S.output_variable(out)
            title = info.label if info else out
            ax.set_title(f"{title[0].upper() + title[1:]} ({pol})")
        h_, l_ = flat[0].get_legend_handles_labels()
        _legend_below(fig, h_, l_, ncol=2)
    return fig


def wrap_key(name: str, width: int) -> str:
    """A scenario key path broken into lines of at most `width` characters at its dots (and before an
    index such as components[1]), so that a long path under a narrow panel does not run into the next
    panel or off the figure: 'policies.outcome_audited.components[1].policy.probability'."""
    parts = [p for p in name.replace("[", ".[").split(".") if p]
    lines, cur = [], ""
    for part in parts:
        piece = part if not cur else ("" if part.startswith("[") else ".") + part
        if cur and len(cur) + len(piece) > width:
            lines.append(cur + ("." if not part.startswith("[") else ""))
            cur = part
        else:
            cur += piece
    lines.append(cur)
    return "\n".join(lines)


def parameter_response(ds, outputs, max_outputs: int = 4):
    """For sweeps with varied parameters: each run's window mean of an output against each
    parameter's value, coloured by policy (rows: outputs; columns: parameters)."""
    params = R.parameters(ds)
    outputs = [o for o in outputs if o in ds][:max_outputs]
    if not params or not outputs:
        return None
    first, last = R.analysis_window(ds)
    ok = R.ok_runs(ds)
    colours = policy_colours(ds)
    pol = ds[S.POLICY].values
    with plt.rc_context(STYLE):
        width = min(FIG_W, 3.6 * len(params) + 0.8)
        fig, axes = plt.subplots(len(outputs), len(params), figsize=(width, 2.7 * len(outputs) + 0.7),
                                 layout="constrained", squeeze=False)
        label_chars = max(12, int((width - 0.8) / len(params) * 11))  # about 11 characters per inch at 9.5 pt
        for i, out in enumerate(outputs):
            info = R.variable(out, ds)
            y = T.window_stat(ds, out, "mean", first, last) * (100.0 if info.percent else 1.0)
            for j, p in enumerate(params):
                ax = axes[i, j]
                x = np.asarray(ds[p].values, dtype=float)
                names = R.policies(ds)
                log = bool(x.size) and np.nanmin(x) > 0 and np.nanmax(x) / np.nanmin(x) > 20
                u = np.log(x) if log else x
                levels = np.unique(u[np.isfinite(u)])
                # On a grid (few distinct values) the policies are set side by side around each value.
                dodge = 0.0
                if 1 < levels.size <= 12 and len(names) > 1:
                    dodge = 0.25 * np.min(np.diff(levels)) / len(names)
                for k, name in enumerate(names):
                    m = ok & (pol == name)
                    xs = u[m] + dodge * (k - (len(names) - 1) / 2)
                    ax.scatter(np.exp(xs) if log else xs, y[m], s=14, alpha=0.7, color=colours[name], lw=0, label=name)
                if log:
                    ax.set_xscale("log")
                if i == len(outputs) - 1:
                    ax.set_xlabel(wrap_key(p, label_chars))
                if j == 0:
                    unit = "%" if info.percent else info.unit.replace("/day", "/working day") if info.kind == S.WORKDAY \
                        else info.unit
                    ax.set_ylabel(f"{info.label}\n({unit})", fontsize=8.5)
                ax.yaxis.set_major_formatter(HUMAN)
                ax.tick_params(labelsize=8)
        h_, l_ = axes[0, 0].get_legend_handles_labels()
        _legend_below(fig, h_, l_, ncol=min(4, len(l_)))
        fig.suptitle(f"Each run's mean over days {first}-{last} against the parameters", fontsize=10.5, fontweight="bold")
    return fig


def robust_chart(robust: dict):
    """The robust comparison (R.robust): left, each policy's regret in every state of the world (dots)
    with its mean and 90th percentile; right, each policy's PRIM peeling trajectory (coverage against
    density of the boxes of states where it loses), the chosen box ringed. None without the group."""
    if not robust or not robust.get("states"):
        return None
    pol_t = robust["policies"]
    policies = [str(p) for p in pol_t["policy"].values]
    units = str(pol_t["regret_mean"].attrs.get("units", ""))
    money = units == "USD/year"
    scale = 1e6 if money else 1.0
    colours = {p: PALETTE[i % len(PALETTE)] for i, p in enumerate(policies)}
    with plt.rc_context(STYLE):
        fig, (ax, bx) = plt.subplots(1, 2, figsize=(FIG_W, 0.5 * len(policies) + 3.2), layout="constrained")
        rng = np.random.default_rng(0)  # jitter only: the same picture every time
        for i, p in enumerate(policies):
            y = len(policies) - 1 - i
            r = robust["states"][p]["regret"].values / scale
            r = r[np.isfinite(r)]
            if r.size:
                ax.scatter(r, y + rng.uniform(-0.18, 0.18, r.size), s=10, color=colours[p], alpha=0.6, lw=0)
                ax.plot([r.mean()], [y], marker="D", color="#222222", ms=6, ls="")
                ax.plot([np.percentile(r, 90)], [y], marker="|", color="#222222", ms=14, mew=2, ls="")
        ax.set_yticks(range(len(policies))[::-1], policies)
        ax.grid(axis="y", visible=False)
        ax.set_xlabel(f"regret ({'million USD/year' if money else units}): best policy in the state minus this one")
        ax.set_title("Regret in each state of the world")
        ax.legend(handles=[Line2D([], [], marker="D", color="#222222", ls="", label="mean"),
                           Line2D([], [], marker="|", color="#222222", ms=12, mew=2, ls="", label="90th percentile")],
                  loc="upper right", fontsize=8)
        drawn = False
        for p in policies:
            t = robust["trajectory"].get(p)
            if t is None:
                continue
            bx.plot(t["coverage"].values, t["density"].values, marker=".", ms=4, color=colours[p], label=p)
            try:
                k = int(t.attrs.get("chosen", "-1"))
            except ValueError:
                k = -1
            if 0 <= k < t.sizes["step"]:
                bx.plot([t["coverage"].values[k]], [t["density"].values[k]], marker="o", ms=11, mfc="none",
                        mec="#222222", mew=1.5, ls="")
            drawn = True
        bx.set_xlabel("coverage (share of the losing states inside the box)")
        bx.set_ylabel("density (share of the box's states lost)")
        bx.set_xlim(0, 1.02)
        bx.set_ylim(0, 1.02)
        bx.set_title("Where each policy loses: PRIM peeling")
        if drawn:
            bx.legend(loc="lower left", fontsize=8)
        else:
            bx.text(0.5, 0.5, "no policy has a box\n(never or always loses, or too few states)", ha="center",
                    va="center", transform=bx.transAxes)
    return fig


# ------------------------------------------------------------------------------------- calibration

FIT_WITHIN, FIT_MISS, FIT_UNWEIGHTED, EVIDENCE = "#009E73", "#D55E00", "#8c8c8c", "#404040"
STAGES = {0: ("start", "#222222"), 1: ("Latin hypercube", "#0072B2"), 2: ("local search", "#E69F00"),
          3: ("the posterior's best", "#009E73")}  # 3: a posterior simulation that beat the search (chosen)


def _fit_colour(fit, i: int) -> str:
    if float(fit["weight"].values[i]) == 0:
        return FIT_UNWEIGHTED
    return FIT_WITHIN if float(fit["within"].values[i]) == 1 else FIT_MISS


def _target_label(cal: dict, t: str) -> str:
    rep = cal["replica"].get(t, "")
    return f"{t}\n(replica {rep})" if rep else t


def calibration_fit(cal: dict):
    """The fit of a calibration (R.calibration): left, one row per target on its own scale, the
    evidence with ±2 standard errors (grey) and the model's mean at the chosen point with its 95%
    interval (green within two standard errors, vermilion outside, grey for a target of weight 0);
    right, every target's z on one axis with the band |z| <= 2. None without targets."""
    if not cal or not cal.get("targets"):
        return None
    fit, targets = cal["fit"], cal["targets"]
    n = len(targets)
    with plt.rc_context(STYLE):
        mosaic = [[f"t{i}", "z"] for i in range(n)]
        fig, axd = plt.subplot_mosaic(mosaic, figsize=(FIG_W, 0.62 * n + 1.5), layout="constrained",
                                      width_ratios=[1.7, 1.0])
        for i, t in enumerate(targets):
            ax = axd[f"t{i}"]
            v, se = float(fit["value"].values[i]), float(fit["se"].values[i])
            m, lo, hi = (float(fit[c].values[i]) for c in ("model", "model_lower", "model_upper"))
            colour = _fit_colour(fit, i)
            ax.errorbar([v], [0.2], xerr=[[2 * se], [2 * se]], fmt="D", ms=6, mfc="white", mec=EVIDENCE,
                        ecolor=EVIDENCE, elinewidth=2.2, capsize=4)
            if np.isfinite(m):
                err = None
                if np.isfinite(lo) and np.isfinite(hi):
                    err = [[max(m - lo, 0.0)], [max(hi - m, 0.0)]]
                ax.errorbar([m], [-0.2], xerr=err, fmt="o", ms=6.5, color=colour, elinewidth=2.2, capsize=4)
            ax.set_ylim(-0.65, 0.65)
            ax.set_yticks([])
            ax.grid(axis="y", visible=False)
            ax.set_ylabel(_target_label(cal, t), rotation=0, ha="right", va="center", fontsize=8.5)
            if max(abs(v) + 2 * se, abs(hi) if np.isfinite(hi) else 0.0, abs(lo) if np.isfinite(lo) else 0.0) >= 1e4:
                ax.xaxis.set_major_formatter(HUMAN)  # else matplotlib's own: 0.225, not a rounded 0.23
            ax.xaxis.set_major_locator(MaxNLocator(5))
            ax.tick_params(axis="x", labelsize=7.5)
        axd["t0"].set_title("Evidence ± 2 se and the model's mean with its 95% interval", fontsize=9.5)
        zx = axd["z"]
        z = fit["z"].values.astype(float)
        y = np.arange(n)[::-1]
        zx.axvspan(-2, 2, color="#e8f4ef", zorder=0)
        zx.axvline(0, color="#555555", lw=0.8)
        for i in range(n):
            if np.isfinite(z[i]):
                zx.plot([z[i]], [y[i]], "o", ms=7, color=_fit_colour(fit, i))
        zx.set_yticks(y, [t for t in targets], fontsize=8.5)
        zx.set_ylim(-0.6, n - 0.4)
        zx.grid(axis="y", visible=False)
        finite = z[np.isfinite(z)]
        reach = max(3.0, float(np.max(np.abs(finite))) * 1.1 if finite.size else 3.0)
        zx.set_xlim(-reach, reach)
        zx.set_xlabel("z = (model − evidence) / combined se")
        zx.set_title("Gap in standard errors (band: |z| ≤ 2)", fontsize=9.5)
        handles = [Line2D([], [], marker="D", mfc="white", mec=EVIDENCE, color=EVIDENCE, lw=2, label="evidence ± 2 se"),
                   Line2D([], [], marker="o", color=FIT_WITHIN, lw=2, label="model, within 2 se"),
                   Line2D([], [], marker="o", color=FIT_MISS, lw=2, label="model, outside 2 se")]
        if (fit["weight"].values.astype(float) == 0).any():
            handles.append(Line2D([], [], marker="o", color=FIT_UNWEIGHTED, lw=2, label="model, weight 0 (not fitted)"))
        _legend_below(fig, handles, [h.get_label() for h in handles])
    return fig


def _log_labels(ax) -> None:
    """Numbers on a log-scale y axis; one that spans about a decade or less (where matplotlib labels
    only the powers of ten, often none or one) gets its minor ticks labelled too."""
    lo, hi = ax.get_ylim()
    # Within a factor of 1.5 two significant digits repeat (3.1k, 3.1k): four tell the ticks apart.
    fmt = FuncFormatter(lambda v, _: f"{v:.4g}") if lo > 0 and hi / lo < 1.5 else HUMAN
    ax.yaxis.set_major_formatter(fmt)
    if lo > 0 and hi / lo < 12:
        ax.yaxis.set_minor_formatter(fmt)


def _unit_scale(cal: dict, name: str, x):
    """Values of a parameter in its box's unit scale (0 lower, 1 upper; logarithmic on a log scale)."""
    lo, hi = cal["box"][name]
    x = np.asarray(x, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        if cal["scales"].get(name) == "log" and lo > 0 and hi > lo:
            return (np.log(x) - np.log(lo)) / (np.log(hi) - np.log(lo))
        return (x - lo) / (hi - lo) if hi > lo else np.zeros_like(x)


def calibration_search(cal: dict):
    """The search of a calibration: top, the loss of every evaluation in the order evaluated (log
    scale), coloured by stage, with the best so far and the chosen point ringed; bottom, each
    parameter's value in its box's unit scale (0 the lower end, 1 the upper). None without a search
    (one evaluation: the scenario's own values, `kpisim calibrate --as-written`)."""
    if not cal:
        return None
    ev = cal["evaluations"]
    n = ev.sizes["evaluation"]
    if n < 2:
        return None
    labels = [str(e) for e in ev["evaluation"].values]
    k = labels.index(cal["chosen"])
    x = np.arange(n)
    loss = ev["loss"].values.astype(float)
    stage = ev["stage"].values.astype(float)
    with plt.rc_context(STYLE):
        fig, (ax, bx) = plt.subplots(2, 1, figsize=(FIG_W, 5.6), layout="constrained", sharex=True,
                                     height_ratios=[1.25, 1.0])
        for code, (name, colour) in STAGES.items():
            m = stage == code
            if m.any():
                ax.plot(x[m], loss[m], "o", ms=4.5, color=colour, label=name, ls="")
        with np.errstate(invalid="ignore"):
            best = np.fmin.accumulate(np.where(np.isfinite(loss), loss, np.inf))
        best = np.where(np.isfinite(best), best, np.nan)
        ax.step(x, best, where="post", color="#555555", lw=1, label="best so far")
        ax.plot([k], [loss[k]], marker="o", ms=13, mfc="none", mec="#222222", mew=1.6, ls="", label="chosen")
        pos = loss[np.isfinite(loss) & (loss > 0)]
        if pos.size and pos.size == np.isfinite(loss).sum():
            ax.set_yscale("log")
            _log_labels(ax)
        elif pos.size:
            ax.set_yscale("symlog", linthresh=float(pos.min()))
        ax.set_ylabel("loss (Σ weight × z²)")
        ax.set_title(f"Loss by evaluation ({n} evaluations; the chosen: evaluation {cal['chosen']})")
        for j, name in enumerate(cal["names"]):
            colour = PALETTE[j % len(PALETTE)]
            u = _unit_scale(cal, name, ev[name].values)
            bx.plot(x, u, marker=".", ms=5, lw=0.8, color=colour, label=T.short_parameter(name))
            bx.plot([k], [u[k]], marker="o", ms=10, mfc="none", mec=colour, mew=1.6, ls="")
        bx.set_ylim(-0.05, 1.05)
        bx.set_ylabel("position in the box\n(0 lower, 1 upper)")
        bx.set_xlabel("evaluation (in the order evaluated)")
        bx.set_title("Parameters by evaluation (rings: the chosen point)")
        bx.xaxis.set_major_locator(MaxNLocator(integer=True))
        bx.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8)
        h_, l_ = ax.get_legend_handles_labels()
        ax.legend(h_, l_, loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8)
    return fig


def _last_generation(post) -> np.ndarray:
    g = post["generation"].values.astype(float)
    return g == np.nanmax(g) if g.size else np.zeros(0, dtype=bool)


def calibration_posterior(cal: dict, bins: int = 20):
    """The posterior of a calibration, one panel per parameter over its prior box: the last
    generation's weighted histogram (bins equal in the box's unit scale: logarithmic on a log
    scale), the prior's share per bin (dashed), the 90% interval (shaded), the posterior mean and
    the point the search chose. None without a posterior."""
    if not cal or cal.get("posterior") is None or cal.get("parameters") is None:
        return None
    post, par, names = cal["posterior"], cal["parameters"], cal["names"]
    last = _last_generation(post)
    w = post["weight"].values.astype(float)[last]
    ev = cal["evaluations"]
    k = [str(e) for e in ev["evaluation"].values].index(cal["chosen"])
    with plt.rc_context(STYLE):
        fig, axes = _grid(len(names), 3 if len(names) > 2 else len(names), extra_h=0.3)
        for j, (ax, name) in enumerate(zip(axes, names)):
            lo, hi = cal["box"][name]
            log = cal["scales"].get(name) == "log" and lo > 0
            edges = np.geomspace(lo, hi, bins + 1) if log else np.linspace(lo, hi, bins + 1)
            x = post[name].values.astype(float)[last]
            ok = np.isfinite(x) & np.isfinite(w)
            share, _ = np.histogram(x[ok], bins=edges, weights=w[ok])
            total = share.sum()
            if total > 0:
                share = share / total
            ax.stairs(share, edges, fill=True, color="#0072B2", alpha=0.55, label="posterior (last generation)")
            ax.hlines(1.0 / bins, lo, hi, colors="#222222", linestyles="--", lw=1, label="prior (uniform over the box)")
            plo, phi = float(par["lower"].values[j]), float(par["upper"].values[j])
            if np.isfinite(plo) and np.isfinite(phi):
                ax.axvspan(plo, phi, color="#E69F00", alpha=0.15, lw=0, zorder=0, label="90% interval")
            mean = float(par["mean"].values[j])
            if np.isfinite(mean):
                ax.axvline(mean, color="#0072B2", lw=1.5, label="posterior mean")
            chosen = float(ev[name].values[k])
            ax.plot([chosen], [0], marker="^", ms=9, color="#D55E00", ls="", clip_on=False, label="the chosen point")
            if log:
                ax.set_xscale("log")
            ax.set_xlim(lo, hi)
            ax.set_ylim(0, max(float(np.max(share)) if share.size else 0.0, 1.0 / bins) * 1.15)
            ratio = float(par["width_ratio"].values[j])
            ax.set_title(f"{T.short_parameter(name)}: width ratio {ratio:.2f}" if np.isfinite(ratio)
                         else T.short_parameter(name))
            ax.set_xlabel(wrap_key(name, 40), fontsize=8)
            if j % 3 == 0:
                ax.set_ylabel("share of the weight per bin")
            ax.xaxis.set_major_formatter(HUMAN)
            ax.tick_params(labelsize=8)
        h_, l_ = axes[0].get_legend_handles_labels()
        _legend_below(fig, h_, l_)
    return fig


def calibration_tolerances(cal: dict):
    """ABC-SMC by generation: left, every particle's distance (dots) and the generation's tolerance
    (the bar it had to pass; generation 0 is the prior's sample, accepted whole); right, the
    effective sample size (1 / Σ w²) of each generation. None without a posterior."""
    if not cal or cal.get("posterior") is None:
        return None
    post = cal["posterior"]
    gen = post["generation"].values.astype(int)
    dist = post["distance"].values.astype(float)
    w = post["weight"].values.astype(float)
    gens = sorted(set(gen.tolist()))
    try:
        tol = [float(t) for t in str(post.attrs.get("tolerances", "")).split(",") if t.strip()]
    except ValueError:
        tol = []
    with plt.rc_context(STYLE):
        fig, (ax, bx) = plt.subplots(1, 2, figsize=(FIG_W, 3.3), layout="constrained", width_ratios=[1.6, 1.0])
        rng = np.random.default_rng(0)  # jitter only: the same picture every time
        for g in gens:
            d = dist[gen == g]
            d = d[np.isfinite(d)]
            ax.scatter(g + rng.uniform(-0.18, 0.18, d.size), d, s=8, color="#0072B2", alpha=0.5, lw=0)
        tg = [(g, tol[g]) for g in gens if g < len(tol) and np.isfinite(tol[g])]
        if tg:
            ax.plot([g for g, _ in tg], [t for _, t in tg], marker="_", ms=22, mew=2.2, color="#D55E00", ls="-", lw=1,
                    label="tolerance")
        pos = dist[np.isfinite(dist) & (dist > 0)]
        floor = ((cal.get("spec") or {}).get("calibrate") or {}).get("posterior") or {}
        try:
            floor = float(floor.get("min_tolerance", 1.0)) if isinstance(floor, dict) else 1.0
        except (TypeError, ValueError):
            floor = 1.0
        if floor > 0:
            ax.axhline(floor, color="#555555", lw=0.8, ls=":", label="min_tolerance")
        if pos.size and pos.size == np.isfinite(dist).sum():
            ax.set_yscale("log")
            _log_labels(ax)
        ax.set_xticks(gens)
        ax.set_xlabel("generation (0: the prior's sample)")
        ax.set_ylabel("distance (rms gap in se)")
        ax.set_title("Distances and tolerance by generation")
        ax.grid(axis="x", visible=False)
        if tg or floor > 0:
            ax.legend(loc="upper right", fontsize=8)
        ess = []
        for g in gens:
            wg = w[gen == g]
            s2 = float(np.nansum(wg ** 2))
            ess.append(float(np.nansum(wg)) ** 2 / s2 if s2 > 0 else np.nan)
        bx.bar(gens, ess, color="#009E73", width=0.6)
        bx.set_xticks(gens)
        bx.set_xlabel("generation")
        bx.set_ylabel("effective sample size")
        bx.set_title("Effective sample size (1 / Σ w²)")
        bx.grid(axis="x", visible=False)
    return fig
