"""The report: PNG plots and one self-contained report.html from any KPISim results file.

    write_report("results.h5", "report/")     # -> Path("report/report.html")

The HTML embeds every image (data: URIs) and every table (also as CSV, downloadable from the page);
it has no script, loads nothing from the network, and its Content-Security-Policy forbids any
load but inline styles and data: images, so it opens the same from a USB stick or an e-mail.
It opens with an executive summary (the recommendation the numbers support, one line per policy).
A section whose data the file lacks is left out; the provenance lists what is missing and how to get it.
"""
from __future__ import annotations

import base64
import datetime as _dt
import html
import io
import os
import struct
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from . import __version__
from . import plots as P
from . import results as R
from . import schema as S
from . import stats as T

REPORT_NAME = "report.html"

# Section ids, in page order (tests check that each is present).
SECTIONS = ("executive", "summary", "productivity", "burnout", "tokens", "labour", "attrition", "divisions", "goodhart",
            "comparison", "sensitivity", "robust", "optimisation", "calibration", "identifiability", "parameters",
            "provenance")


class ReportExistsError(Exception):
    """The output folder already holds a report and replacing it was not asked for."""


@dataclass
class Figure:
    """A figure of the report: its PNG file name, a title, a caption (HTML-safe text) and the PNG."""

    name: str
    title: str
    caption: str
    png: bytes = b""
    width_px: int = 0
    height_px: int = 0


@dataclass
class Section:
    id: str
    title: str
    intro: str = ""
    figures: list[Figure] = field(default_factory=list)
    tables: list[str] = field(default_factory=list)  # HTML fragments
    note: str = ""  # shown when the file lacks the section's data
    damaged: bool = False  # the file has the section's data but it cannot be read: shown, never hidden
    short: str = ""  # label in the navigation bar (default: the title)


# ----------------------------------------------------------------------------------------- numbers


def fmt(x, digits: int = 3) -> str:
    """A number for a table: 3 significant digits, k/M/B for large values, 'n/a' for NaN."""
    if x is None or not np.isfinite(x):
        return "n/a"
    a = abs(x)
    if a >= 1e4:
        return P.human(float(x))
    if a == 0:
        return "0"
    decimals = max(0, digits - 1 - int(np.floor(np.log10(a))))
    return f"{x:,.{decimals}f}"


def fmt_interval(m, lo, hi) -> str:
    """'m [lo, hi]', or just 'm' when there is no interval."""
    if lo is None or not np.isfinite(lo):
        return fmt(m)
    return f"{fmt(m)} <span class=ci>[{fmt(lo)}, {fmt(hi)}]</span>"


def _e(s) -> str:
    return html.escape(str(s), quote=True)


# ------------------------------------------------------------------------------------------ tables

# The key numbers: (variable, statistic, label, scale, unit). Statistics as in stats.window_stat;
# "attrition" is the total of quits over the mean headcount.
KEY_NUMBERS = (
    ("net_value_usd", "annual", "net value to the organisation", 1, "USD per year"),
    ("net_value_usd", "per_work_fte", "net value per employee", 1, "USD per working day"),
    ("true_value_per_fte", "mean", "true value per employee", 1, "USD per working day"),
    ("measured_value_per_fte", "mean", "measured value per employee", 1, "USD per working day"),
    ("reported_true_gap", "mean", "reported vs true value gap", 100, "%"),
    ("exhaustion_mean", "end", "exhaustion at the end", 1, "MBI 0-6"),
    ("burnout_share", "end", "share burnt out at the end", 100, "%"),
    ("quits", "attrition", "attrition over the horizon", 100, "% of the workforce"),
    ("tokens_performative", "perf_share", "performative share of tokens", 100, "%"),
    ("token_cost_usd", "sum", "token cost over the horizon", 1, "USD"),
    ("rewards_usd", "sum", "rewards paid over the horizon", 1, "USD"),
    ("penalties_usd", "sum", "penalties imposed over the horizon", 1, "USD"),
    ("cleanup_hours_per_fte", "mean", "clean-up hours per employee", 1, "h per working day"),
    ("kpi_value_correlation", "end", "KPI-true value correlation at the end", 1, "Pearson r"),
)


def _key_values(ds, name: str, how: str) -> np.ndarray:
    if how == "annual":  # the horizon's total at an annual rate (364-day years)
        return T.window_stat(ds, name, "sum") * S.DAYS_PER_YEAR / ds.sizes[S.DAY]
    if how == "per_work_fte":  # the horizon's total over the working days' headcount (as `kpisim run`)
        work = (ds[S.DAY].values % S.DAYS_PER_WEEK) < S.WORKDAYS_PER_WEEK
        fte_days = np.nansum(np.asarray(ds["headcount"].values, dtype=float)[:, work], axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            return T.window_stat(ds, name, "sum") / fte_days
    if how == "attrition":
        heads = T.window_stat(ds, "headcount", "mean")  # NaN for a failed run, without a warning
        with np.errstate(invalid="ignore", divide="ignore"):
            return T.window_stat(ds, "quits", "sum") / heads
    if how == "perf_share":
        total = sum(T.window_stat(ds, c, "sum") for c in S.TOKEN_CATEGORIES)
        with np.errstate(invalid="ignore", divide="ignore"):
            return T.window_stat(ds, "tokens_performative", "sum") / total
    return T.window_stat(ds, name, how)


def key_numbers(ds) -> tuple[list[str], list[tuple[str, str, list[tuple[float, float, float]]]]]:
    """The key numbers table: (column labels, rows of (label, unit, [(mean, lower, upper) per group])).

    Over the whole horizon; 'end' values on the last working day. Intervals are t-intervals over
    replications (NaN with one replication or when groups pool parameter points)."""
    groups = T.run_groups(ds)
    pooled = T.pooled_over_points(ds)
    rows = []
    for name, how, label, scale, unit in KEY_NUMBERS:
        needed = ((name, "headcount") if how in ("attrition", "per_work_fte") else S.TOKEN_CATEGORIES if how == "perf_share"
                  else (name,))
        if not all(n in ds for n in needed):
            continue
        per_run = _key_values(ds, name, how) * scale
        lim = (0.0, 100.0) if how == "perf_share" else (0.0, None) if how == "attrition" else bounds_of(name)
        cells = []
        for g in groups:
            m, lo, hi, _ = T.t_interval(per_run[g.runs])
            cells.append((m, np.nan, np.nan) if pooled else bounded((m, lo, hi), lim))
        rows.append((label, unit, cells))
    return [g.label for g in groups], rows


def _csv_link(filename: str, header: list[str], rows: list[list]) -> str:
    """A link that downloads the table as CSV (embedded as a data: URI)."""
    def cell(v):
        v = "" if v is None else (f"{v:.6g}" if isinstance(v, (float, np.floating)) else str(v))
        return '"' + v.replace('"', '""') + '"' if any(c in v for c in ',"\n') else v

    text = "\n".join(",".join(cell(v) for v in r) for r in [header, *rows]) + "\n"
    b64 = base64.b64encode(text.encode()).decode()
    return f'<a class=csv download="{_e(filename)}" href="data:text/csv;base64,{b64}">download CSV</a>'


def key_numbers_html(ds) -> str:
    cols, rows = key_numbers(ds)
    head = "".join(f"<th>{_e(c)}</th>" for c in cols)
    body = []
    csv_rows = []
    for label, unit, cells in rows:
        tds = "".join(f"<td>{fmt_interval(*c)}</td>" for c in cells)
        body.append(f"<tr><th scope=row>{_e(label)} <span class=unit>({_e(unit)})</span></th>{tds}</tr>")
        csv_rows.append([f"{label} ({unit})", *[v for c in cells for v in c]])
    csv_header = ["number", *[f"{c} {k}" for c in cols for k in ("mean", "lower", "upper")]]
    return (f"<div class=scroll><table class=numbers><thead><tr><th></th>{head}</tr></thead>"
            f"<tbody>{''.join(body)}</tbody></table></div>"
            f"<p class=tablenote>{_csv_link('key_numbers.csv', csv_header, csv_rows)}</p>")


def paired(ds, per_run: np.ndarray) -> list[tuple[T.Group, tuple[float, float, float], tuple[float, float, float] | None]]:
    """Per group of runs: (group, (mean, lower, upper), paired difference from the baseline policy as
    (mean, lower, upper), or None for the baseline itself). Runs are paired by (point, replication):
    replication k of every policy has the same people, tasks and luck (common random numbers)."""
    base = R.baseline(ds)
    pol = ds[S.POLICY].values
    rep = ds[S.REPLICATION].values.astype(int)
    pts = R.point_of_runs(ds)
    ok = R.ok_runs(ds)
    ref = {(int(pts[r]), int(rep[r])): per_run[r] for r in np.flatnonzero(ok & (pol == base))}
    pooled = T.pooled_over_points(ds)
    out = []
    for g in T.run_groups(ds):
        m, lo, hi, _ = T.t_interval(per_run[g.runs])
        cell = (m, np.nan, np.nan) if pooled else (m, lo, hi)
        if g.policy == base:
            out.append((g, cell, None))
            continue
        d = [per_run[r] - ref[(int(pts[r]), int(rep[r]))] for r in g.runs if (int(pts[r]), int(rep[r])) in ref]
        dm, dlo, dhi, _ = T.t_interval(d)
        out.append((g, cell, (dm, dlo, dhi)))
    return out


def money_html(ds) -> str:
    """The money view: per policy, the net value to the organisation per year (and per employee and
    working day) with its interval and its paired difference from the baseline, and the token cost,
    rewards and penalties per year. Empty when the file has no net value (written before it)."""
    if not all(n in ds for n in ("net_value_usd", "headcount", "token_cost_usd", "rewards_usd", "penalties_usd")):
        return ""
    annual = {n: _key_values(ds, n, "annual") for n in ("net_value_usd", "token_cost_usd", "rewards_usd", "penalties_usd")}
    fte = _key_values(ds, "net_value_usd", "per_work_fte")
    per_fte = {g.label: c for g, c, _ in paired(ds, fte)}
    costs = {n: {g.label: c[0] for g, c, _ in paired(ds, annual[n])} for n in ("token_cost_usd", "rewards_usd", "penalties_usd")}
    base = R.baseline(ds)
    rows, csv_rows = [], []
    for g, cell, diff in paired(ds, annual["net_value_usd"]):
        d = "baseline" if diff is None else fmt_interval(*diff)
        extra = [costs[n][g.label] for n in ("token_cost_usd", "rewards_usd", "penalties_usd")]
        rows.append(f"<tr><th scope=row>{_e(g.label)}</th><td>{fmt_interval(*cell)}</td><td>{d}</td>"
                    f"<td>{fmt_interval(*per_fte[g.label])}</td>{''.join(f'<td>{fmt(x)}</td>' for x in extra)}</tr>")
        csv_rows.append([g.label, *cell, *(diff or (np.nan,) * 3), *per_fte[g.label], *extra])
    header = ["policy", "net_usd_per_year", "lower", "upper", "difference", "difference_lower", "difference_upper",
              "net_usd_per_working_fte_day", "lower", "upper", "token_cost_usd_per_year", "rewards_usd_per_year",
              "penalties_usd_per_year"]
    return (f"<h4>Money view <span class=unit>(USD per year, {S.DAYS_PER_YEAR}-day years; net value = true value − token "
            "cost − rewards paid + penalties)</span></h4>"
            "<div class=scroll><table class=numbers><thead><tr><th>policy</th><th>net value per year</th>"
            f"<th>paired difference from {_e(base)}</th><th>net value per employee and working day</th>"
            "<th>token cost per year</th><th>rewards paid per year</th><th>penalties per year</th></tr></thead>"
            f"<tbody>{''.join(rows)}</tbody></table></div>"
            f"<p class=tablenote>{_csv_link('money_view.csv', header, csv_rows)}</p>")


# The per-division comparison: (per-unit variable, statistic, label, scale, unit).
DIVISION_NUMBERS = (
    ("true_value_per_fte", "mean", "true value per employee", 1, "USD per working day"),
    ("burnout_share", "end", "share burnt out at the end", 100, "%"),
)


def divisions_html(ds) -> str:
    """Per division and policy: the baseline's value and the others' paired differences from it,
    with intervals over replications. Empty without per-division series."""
    if not R.has_units(ds):
        return ""
    work = (ds[S.DAY].values % S.DAYS_PER_WEEK) < S.WORKDAYS_PER_WEEK
    base = R.baseline(ds)
    parts = []
    for name, how, label, scale, unit in DIVISION_NUMBERS:
        var = S.UNIT_PREFIX + name
        if var not in ds:
            continue
        a = np.asarray(ds[var].values, dtype=float) * scale  # (run, day, unit)
        rows, csv_rows, cols = [], [], None
        for u, division in enumerate(str(x) for x in ds[S.UNIT].values):
            with np.errstate(invalid="ignore"), np.testing.suppress_warnings() as sup:
                sup.filter(RuntimeWarning)
                if how == "mean":
                    per_run = np.nanmean(a[:, work, u], axis=1)
                else:  # the last working day
                    per_run = a[:, np.flatnonzero(work)[-1], u]
            cells = paired(ds, per_run)
            cols = [(g.label, d is None) for g, _, d in cells]
            tds = "".join(f"<td>{fmt_interval(*bounded(c, bounds_of(name))) if d is None else fmt_interval(*d)}</td>"
                          for _, c, d in cells)
            rows.append(f"<tr><th scope=row>{_e(division)}</th>{tds}</tr>")
            csv_rows.append([division, *[v for _, c, d in cells for v in (c if d is None else d)]])
        head = "".join(f"<th>{_e(c)}{'' if is_base else ' (difference)'}</th>" for c, is_base in cols or [])
        parts.append(f"<h4>{_e(label[0].upper() + label[1:])} <span class=unit>({_e(unit)}; {_e(base)}: its value; the "
                     "others: paired difference from it)</span></h4>"
                     f"<div class=scroll><table class=numbers><thead><tr><th>division</th>{head}</tr></thead>"
                     f"<tbody>{''.join(rows)}</tbody></table></div>"
                     f"<p class=tablenote>{_csv_link(f'divisions_{name}.csv', ['division', *[f'{c} {k}' for c, _ in cols or [] for k in ('value', 'lower', 'upper')]], csv_rows)}</p>")
    return "".join(parts)


def comparison_html(ds, tables) -> str:
    """The comparison tables of a sweep, one per output."""
    parts = []
    for out, t in tables.items():
        info = S.output_variable(out)
        unit = ds[out].attrs.get("units", "") if out in ds else info.unit if info else ""
        label = info.label if info else out
        level = t.attrs.get("level", 0.95)
        scale = 100.0 if info and info.percent else 1.0
        if scale != 1.0:
            unit = "%"
        rows, csv_rows = [], []
        for i in range(t.sizes[S.COMPARISON_ROW_DIM]):
            raw = {k: float(t[k].values[i]) for k in S.COMPARISON_COLUMNS if k in t}
            r = {k: (v if k in ("n", "n_failed") else v * scale) for k, v in raw.items()}
            row = P.comparison_row_label(ds, t, i)
            is_base = str(t[S.POLICY].values[i]) == t.attrs.get("baseline")
            n = f"{int(r['n'])}" + (f" <span class=bad>({int(r['n_failed'])} failed)</span>" if r.get("n_failed") else "")
            diff = "baseline" if is_base else fmt_interval(r["difference"], r["difference_lower"], r["difference_upper"])
            unp = "" if is_base else f"[{fmt(r['unpaired_lower'])}, {fmt(r['unpaired_upper'])}]"
            mean = fmt_interval(*bounded((r["mean"], r["lower"], r["upper"]), bounds_of(out)))
            rows.append(f"<tr><th scope=row>{_e(row)}</th><td>{mean}</td>"
                        f"<td>{n}</td><td>{diff}</td><td class=ci>{unp}</td></tr>")
            csv_rows.append([str(t[S.COMPARISON_ROW_DIM].values[i]), *[raw.get(k) for k in S.COMPARISON_COLUMNS]])
        table = pivot_html(ds, out, t, scale) or (
            "<div class=scroll><table class=numbers><thead><tr><th>policy</th><th>mean</th><th>replications</th>"
            f"<th>paired difference from {_e(t.attrs.get('baseline', ''))}</th><th>unpaired interval</th></tr></thead>"
            f"<tbody>{''.join(rows)}</tbody></table></div>")
        parts.append(
            f"<h4>{_e(label[0].upper() + label[1:])} <span class=unit>({_e(unit)}; {_e(t.attrs.get('window', ''))}; "
            f"{level:.0%} intervals)</span></h4>{table}"
            f"<p class=tablenote>{_csv_link(f'comparison_{out}.csv', ['row', *S.COMPARISON_COLUMNS], csv_rows)}</p>")
    return "".join(parts)


def sensitivity_html(tables) -> str:
    parts = []
    for (out, pol), t in tables.items():
        cols = [c for c in (*S.SOBOL_COLUMNS, *S.MORRIS_COLUMNS) if c in t]
        head = "".join(f"<th>{_e(SENSITIVITY_LABELS.get(c, c))}</th>" for c in cols)
        rows, csv_rows = [], []
        for i, p in enumerate(t[S.SENSITIVITY_PARAMETER_DIM].values):
            vals = [float(t[c].values[i]) for c in cols]
            rows.append(f"<tr><th scope=row>{_e(p)}</th>{''.join(f'<td>{fmt(v)}</td>' for v in vals)}</tr>")
            csv_rows.append([str(p), *vals])
        info = S.output_variable(out)
        label = info.label[0].upper() + info.label[1:] if info else out
        parts.append(f"<h4>{_e(label)} <span class=unit>({_e(out)}, policy {_e(pol)}; {_e(t.attrs.get('method', ''))})</span></h4>"
                     f"<div class=scroll><table class=numbers><thead><tr><th>parameter</th>{head}</tr></thead>"
                     f"<tbody>{''.join(rows)}</tbody></table></div><p class=tablenote>"
                     f"{_csv_link(f'sensitivity_{out}_{pol}.csv', ['parameter', *cols], csv_rows)}</p>")
    return "".join(parts)


def _try_read(read, ds):
    """`read(ds)`, or None when the group is damaged or absent (its section says which)."""
    try:
        data = read(ds)
    except (ValueError, KeyError, OSError):
        return None
    return data or None


def _read_group(s: Section, read, ds, group: str, missing: str):
    """A section's data read by `read(ds)`; None with the section's note set when the group is
    damaged (the section is marked so) or absent (`missing` says what writes it)."""
    try:
        data = read(ds)
    except (ValueError, KeyError, OSError) as err:
        s.note = f"The file's {group} group cannot be read: {_e(err)}."
        s.damaged = True
        return None
    if not data:
        s.note = missing
        return None
    return data


def robust_section(ds, fig) -> Section:
    """The robust comparison (docs/experiments.md, "Robust comparison"): regret per policy over the
    states of the world, satisficing shares, and the PRIM box of the states where each policy loses."""
    s = Section("robust", "Robustness over the states of the world", short="Robustness")
    rob = _read_group(s, R.robust, ds, "robust",
                       ("No robust comparison in this file: an experiment with a <code>robust:</code> section and a "
                        "space-filling design (<code>lhs</code> or <code>sobol</code>) over the uncertain parameters writes "
                        "it (docs/experiments.md, \"Robust comparison\")."))
    if rob is None:
        return s
    t = rob["policies"]
    a = t.attrs
    units = str(t["regret_mean"].attrs.get("units", ""))
    val = fmt
    s.intro = (f"Each of the {_e(a.get('states', ''))} parameter points of the design is a state of the world; in each, "
               f"the policies are ranked by <b>{_e(a.get('objective', ''))}</b> ({_e(units)}, "
               f"{'higher' if a.get('direction') == 'max' else 'lower'} is better; mean over replications, common random "
               "numbers). Regret is the best policy's objective in that state minus the policy's. Satisficing: "
               f"{_e(a.get('constraints') or 'no constraints')}. A policy <i>loses</i> in a state when "
               + {"regret": f"its regret exceeds {_e(val(float(a.get('regret_threshold', 0))))}",
                  "constraints": "a constraint fails"}.get(str(a.get("loses", "either")),
                                                         f"its regret exceeds {_e(val(float(a.get('regret_threshold', 0))))} "
                                                         "or a constraint fails")
               + "; PRIM finds the box of uncertain parameters where it mostly loses, and bootstrap resamples of the "
                 "states check that the box is no accident.")
    s.figures.append(fig("robust", "Regret and where each policy loses",
                         "Left: each dot is one state of the world. Right: PRIM's peeling trajectory, from the whole "
                         "space (coverage 1) to ever smaller boxes; the ringed box is the one chosen, before restrictions that are not "
                         "significant are dropped (the box stated below).",
                         lambda d: P.robust_chart(rob)))
    rows, csv_rows = [], []
    for i, p in enumerate(str(x) for x in t["policy"].values):
        cells = [val(float(t["objective_mean"].values[i])), val(float(t["regret_mean"].values[i])),
                 val(float(t["regret_p90"].values[i])), val(float(t["regret_max"].values[i])),
                 f"{float(t['best_share'].values[i]):.0%}",
                 f"{float(t['resolved_share'].values[i]):.0%}" if "resolved_share" in t else "n/a",
                 f"{float(t['satisficing_share'].values[i]):.0%}",
                 f"{float(t['loses_share'].values[i]):.0%}"]
        rows.append(f"<tr><th scope=row>{_e(p)}</th>" + "".join(f"<td>{_e(c)}</td>" for c in cells) + "</tr>")
        csv_rows.append([p, *[float(t[k].values[i]) for k in ("objective_mean", "regret_mean", "regret_p90", "regret_max",
                                                               "best_share", "satisficing_share", "loses_share")]])
    head = "".join(f"<th>{h}</th>" for h in ("policy", "mean objective", "mean regret", "90th percentile regret",
                                              "max regret", "best in", "worse than the best (interval above 0) in",
                                              "satisficing in", "loses in"))
    s.tables.append(f"<div class=scroll><table class=numbers><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}"
                    f"</tbody></table></div><p class=tablenote>{_csv_link('robust_policies.csv', ['policy', 'objective_mean', 'regret_mean', 'regret_p90', 'regret_max', 'best_share', 'satisficing_share', 'loses_share'], csv_rows)}</p>")
    boxes = []
    statements = dict(line.split(": ", 1) for line in str(a.get("boxes", "")).split("\n") if ": " in line)
    for p, b in rob["box"].items():
        ba = b.attrs
        stmt = str(ba.get("statement", "")) or "no restriction: the losses are spread over the whole space"
        try:
            cov, den, sup, same = (float(ba.get(k, "nan")) for k in ("coverage", "density", "support", "same_dims_share"))
        except ValueError:
            cov = den = sup = same = float("nan")
        boxes.append(f"<li><b>{_e(p)}</b> loses where <b>{_e(stmt)}</b>: coverage {cov:.2f}, density {den:.2f}, "
                     f"support {sup:.2f}; {same:.0%} of {_e(ba.get('resamples', ''))} bootstrap resamples restrict the "
                     "same parameters.</li>")
    for p, why in statements.items():
        if p not in rob["box"]:
            boxes.append(f"<li><b>{_e(p)}</b>: {_e(why)}.</li>")
    if boxes:
        s.tables.append("<p>Scenario discovery (PRIM):</p><ul>" + "".join(boxes) + "</ul>")
    return s


def optimisation_section(ds) -> Section:
    """The result of `kpisim optimise` (docs/experiments.md, "Optimisation"): the chosen parameters,
    the objective on fresh replications with its interval against the baseline and the start, the
    constraints, the selection bias, the fresh states of the world, and every evaluation."""
    s = Section("optimisation", "Policy optimisation", short="Optimisation")
    o = _read_group(s, R.optimisation, ds, "optimisation",
                       ("No optimisation in this file: <code>kpisim optimise EXPERIMENT</code> (an experiment with an "
                        "<code>optimise:</code> section) writes it (docs/experiments.md, \"Optimisation\")."))
    if o is None:
        return s
    ev, cmp, spec = o["evaluations"], o["comparison"], (o["spec"].get("optimise") or {})
    labels = [str(e) for e in ev["evaluation"].values]
    i = labels.index(o["chosen"])
    rows = [str(r) for r in cmp["row"].values]
    goal = str(ev.attrs.get("goal", "maximise"))
    constraints = spec.get("constraints") or {}
    cons_text = "; ".join(f"{_e(k)} " + " and ".join(f"{'≤' if b == 'max' else '≥'} {_e(v)}" for b, v in (c or {}).items()
                                                      if b in ("max", "min"))
                          for k, c in constraints.items()) or "none"
    uncertain = spec.get("uncertain") or []
    s.intro = (f"<code>kpisim optimise</code> searched {len(o['parameters'])} parameter"
               f"{'s' if len(o['parameters']) != 1 else ''} of <b>{_e(spec.get('policy', ''))}</b> to {_e(goal)} "
               f"<b>{_e(ev.attrs.get('objective', ''))}</b> (constraints: {cons_text}) with {_e(ev.attrs.get('algorithm', ''))} "
               f"on common random numbers ({_e(ev.attrs.get('replications', ''))} replications per candidate"
               + (f", in each of {_e(spec.get('states', ''))} states of the world over {_e(', '.join(map(str, uncertain)))}"
                  if uncertain else "")
               + f"; {len(labels)} evaluations; {_e(ev.attrs.get('stop', ''))}). The chosen point was then run again "
                 "with the start (the scenario's own values) and the baseline policy on fresh replications"
               + (" in fresh states of the world" if uncertain else "")
               + ": those are the numbers to quote.")
    feasible = float(ev["feasible"].values[i]) == 1
    params = "".join(f"<tr><th scope=row><code>{_e(n)}</code></th><td>{fmt(float(ev[n].values[i]))}</td></tr>"
                     for n in o["parameters"])
    s.tables.append(f"<p class=headline>Chosen (evaluation {_e(o['chosen'])})"
                    + ("" if feasible else " <span class=bad>— no evaluated point met the constraints: this is the "
                                           "least violating one</span>")
                    + f":</p><table class='numbers opt-chosen'><thead><tr><th>parameter</th><th>value</th></tr></thead>"
                      f"<tbody>{params}</tbody></table>")

    def cell(r, name):
        """(mean, lower, upper) of a column of the comparison table: 'objective', 'difference', or an output's."""
        k = rows.index(r)
        cols = ((name, name + "_lower", name + "_upper") if name in ("objective", "difference")
                else ("mean_" + name, "lower_" + name, "upper_" + name))
        return tuple(float(cmp[c].values[k]) if c in cmp else np.nan for c in cols)

    outs = [str(k) for k in constraints]
    head = ("<th></th><th>objective</th><th>chosen minus this (paired)</th>"
            + "".join(f"<th>{_e(c)}</th>" for c in outs))
    body, csv_rows = [], []
    names = {"chosen": "chosen", "start": "start (the scenario's values)", "baseline": "baseline policy",
             "runner_up": "runner-up"}
    for r in rows:
        fresh = r.endswith("_fresh")
        role = r[:-6] if fresh else r
        obj, diff = cell(r, "objective"), cell(r, "difference")
        cons = [cell(r, c) for c in outs]
        label = f"{names.get(role, role)}, {'fresh replications' if fresh else 'search replications'}"
        body.append(f"<tr{' class=fresh' if fresh else ''}><th scope=row>{_e(label)}</th><td>{_ci(obj)}</td>"
                    f"<td>{'' if role == 'chosen' else _ci(diff, True)}</td>"
                    + "".join(f"<td>{_ci(c)}</td>" for c in cons) + "</tr>")
        csv_rows.append([r, *obj, *diff, *[x for c in cons for x in c]])
    csv_head = ["row", "objective", "lower", "upper", "difference", "difference_lower", "difference_upper",
                *[f"{c}{x}" for c in outs for x in ("", "_lower", "_upper")]]
    s.tables.append(f"<div class=scroll><table class='numbers opt-result'><thead><tr>{head}</tr></thead><tbody>"
                    f"{''.join(body)}</tbody></table></div><p class=tablenote>Means with {T.LEVEL:.0%} intervals; the "
                    "search's rows are biased upward (the chosen point was selected on them); the fresh rows are not. "
                    f"{_csv_link('optimisation_result.csv', csv_head, csv_rows)}</p>")
    verdict = []
    d = cell("baseline_fresh", "difference")
    better = (d[1] > 0) if goal == "maximise" else (d[2] < 0)
    worse = (d[2] < 0) if goal == "maximise" else (d[1] > 0)
    verdict.append(f"Against the baseline policy on fresh replications: {_ci(d, True)}, "
                   + ("<b>better</b>" if better else "<b class=bad>worse</b>" if worse else "not distinguishable") + ".")
    d = cell("start_fresh", "difference")
    verdict.append(f"Against the scenario's own values: {_ci(d, True)}"
                   + (" (resolved)." if _resolved(d) else " (not distinguishable)."))
    for c, bounds in constraints.items():
        if "mean_" + str(c) not in cmp:
            continue
        m, lo, hi = cell("chosen_fresh", str(c))
        mx, mn = (bounds or {}).get("max"), (bounds or {}).get("min")
        holds = (mx is None or hi <= float(mx)) and (mn is None or lo >= float(mn))
        fails = (mx is not None and m > float(mx)) or (mn is not None and m < float(mn))
        verdict.append(f"Constraint on {_e(c)}: {_ci((m, lo, hi))} "
                       + ("holds (the whole interval within the bound)." if holds else
                          "<b class=bad>violated</b>." if fails else "holds on the mean; the interval crosses the bound."))
    wc = cmp.attrs
    try:
        bias = tuple(float(wc.get(n, "nan")) for n in ("gain_bias", "gain_bias_lower", "gain_bias_upper"))
        verdict.append(f"Selection bias of the gain over the baseline (search minus fresh): {_ci(bias, True)}.")
    except ValueError:
        pass
    st = o["states"]
    if st is not None:
        v = st["vs_baseline"].values.astype(float)
        lo = st["vs_baseline_lower"].values.astype(float) if "vs_baseline_lower" in st else np.full_like(v, np.nan)
        hi = st["vs_baseline_upper"].values.astype(float) if "vs_baseline_upper" in st else np.full_like(v, np.nan)
        sign = 1 if goal == "maximise" else -1
        verdict.append(f"Across the {v.size} fresh states of the world: better than the baseline in "
                       f"{int(np.sum(sign * v > 0))} (clearly in {int(np.sum(sign * lo > 0 if sign > 0 else hi < 0))}), "
                       f"worse in {int(np.sum(sign * v < 0))} (clearly in {int(np.sum(hi < 0 if sign > 0 else lo > 0))}).")
    s.tables.append("<ul class=opt-verdict>" + "".join(f"<li>{x}</li>" for x in verdict) + "</ul>")
    evrows = []
    stages = {0: "start", 1: "lhs", 2: "local"}
    for j, lab in enumerate(labels):
        cells = [f"{lab}{' *' if lab == o['chosen'] else ''}", stages.get(int(float(ev['stage'].values[j])), "?")]
        cells += [fmt(float(ev[n].values[j])) for n in o["parameters"]]
        cells.append(fmt_interval(float(ev["objective"].values[j]), float(ev["objective_lower"].values[j]),
                                  float(ev["objective_upper"].values[j])))
        cells += [fmt(float(ev["mean_" + c].values[j])) if "mean_" + c in ev else "n/a" for c in outs]
        cells.append("yes" if float(ev["feasible"].values[j]) == 1 else "no")
        evrows.append("<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    evhead = "".join(f"<th>{_e(h)}</th>" for h in ("#", "stage", *o["parameters"], "objective", *outs, "feasible"))
    s.tables.append(f"<details><summary>Every evaluation ({len(labels)}, in the order evaluated; * the chosen)</summary>"
                    f"<div class=scroll><table class=numbers><thead><tr>{evhead}</tr></thead><tbody>{''.join(evrows)}"
                    "</tbody></table></div></details>")
    return s


# ------------------------------------------------------------------------------------- calibration

# Readings of a parameter's width ratio (its posterior's 90% interval over its prior's, in the box's
# unit scale) and the rank correlation from which a target counts as responding to a parameter.
NARROWED, PARTLY_NARROWED = 0.5, 0.8
RESPONDS = 0.5


CALIBRATION_CSS = """
table.cal-fit td.wrap, table.cal-params td.wrap { white-space: normal; text-align: left; min-width: 9em; max-width: 18em; }
table.cal-fit td.wrap code { overflow-wrap: anywhere; font-size: 12.5px; }
table.cal-sens td { min-width: 5.5em; }
"""


def width_reading(ratio: float) -> str:
    """What a width ratio says: narrowed by the targets, partly, or not pinned down."""
    if not np.isfinite(ratio):
        return "n/a"
    if ratio < NARROWED:
        return "narrowed by the targets"
    if ratio < PARTLY_NARROWED:
        return "partly narrowed"
    return "not pinned down (about as wide as the prior)"


def _target_figure(src: dict) -> str:
    """A target's figure as the experiment defines it: 'POLICY: (OUTPUT + PLUS) / PER'."""
    out = str(src.get("output", ""))
    plus = src.get("plus") or []
    if isinstance(plus, str):
        plus = [plus]
    if plus:
        out = "(" + " + ".join([out, *map(str, plus)]) + ")"
    if src.get("per"):
        out += f" / {src['per']}"
    pol = str(src.get("policy", ""))
    return f"{pol}: {out}" if pol and out else pol or out


def calibration_counts(cal: dict) -> dict:
    """How many targets the chosen point reproduces within two standard errors: {"targets", "within",
    "fitted" (weight > 0), "within_fitted", "misses": [(target, z)] of the fitted targets outside}."""
    fit = cal["fit"]
    within = fit["within"].values.astype(float) == 1
    fitted = fit["weight"].values.astype(float) > 0
    z = fit["z"].values.astype(float)
    return {"targets": len(cal["targets"]), "within": int(within.sum()), "fitted": int(fitted.sum()),
            "within_fitted": int((within & fitted).sum()),
            "misses": [(t, float(z[i])) for i, t in enumerate(cal["targets"]) if fitted[i] and not within[i]]}


def _within_text(c: dict) -> str:
    text = f"{c['within']} of {c['targets']} target{'s' if c['targets'] != 1 else ''} within two standard errors"
    if c["fitted"] < c["targets"]:
        unfitted = c["targets"] - c["fitted"]
        text += (f" ({c['within_fitted']} of the {c['fitted']} fitted; {unfitted} of weight 0, reported and not "
                 "fitted)")
    return text


def _chosen_index(cal: dict) -> int:
    return [str(e) for e in cal["evaluations"]["evaluation"].values].index(cal["chosen"])


def _at_edge(cal: dict, name: str, x: float) -> str:
    """'lower' or 'upper' when a chosen value lies at its box's end (within 0.5% of the box), else ''."""
    u = float(P._unit_scale(cal, name, [x])[0])
    return "lower" if u <= 0.005 else "upper" if u >= 0.995 else ""


def _runs_text(ds, cal: dict) -> str:
    pols = R.policies(ds)
    reps = R.replications(ds)
    return (f"the chosen point's runs of {_e(cal['runs_of'])}: {', '.join(f'<b>{_e(p)}</b>' for p in pols)} × {reps} "
            f"replication{'s' if reps != 1 else ''} (the policies the targets read there, on the streams every "
            "candidate ran on)")


def fit_html(cal: dict) -> str:
    """The fit table: per target the evidence (value, se, ± 2 se), the model's mean at the chosen point
    with its 95% interval, z, within two standard errors, weight, contribution to the loss and source."""
    fit, targets = cal["fit"], cal["targets"]
    srcs = R.calibration_sources(cal)
    replicas = any(cal["replica"].values())
    weights = fit["weight"].values.astype(float)
    weighted = bool(np.any((weights != 0) & (weights != 1)))  # a weight column only when one is neither 0 nor 1
    head = ["target", *(["replica"] if replicas else []), "figure (policy: output)", "evidence (se)",
            "evidence ± 2 se", "model [95% interval]", "z", "within 2 se", *(["weight"] if weighted else []),
            "loss term", "source"]
    rows, csv_rows = [], []
    for i, t in enumerate(targets):
        g = {c: float(fit[c].values[i]) for c in R.CALIBRATION_FIT_COLUMNS}
        src = srcs.get(t, {})
        within = g["within"] == 1
        verdict = ("yes" if within else "<span class=bad>no</span>") + (" <span class=unit>(weight 0)</span>"
                                                                          if g["weight"] == 0 else "")
        cells = [*([_e(cal["replica"][t] or "—")] if replicas else []),
                 f"{fmt(g['value'])} <span class=ci>({fmt(g['se'])})</span>",
                 f"[{fmt(g['value'] - 2 * g['se'])}, {fmt(g['value'] + 2 * g['se'])}]",
                 fmt_interval(g["model"], g["model_lower"], g["model_upper"]),
                 f"{g['z']:+.2f}" if np.isfinite(g["z"]) else "n/a", verdict, *([fmt(g["weight"])] if weighted else []),
                 fmt(g["contribution"])]
        figure = f"<td class=wrap><code>{_e(_target_figure(src))}</code></td>"
        cells = cells[:1] + [figure] + cells[1:] if replicas else [figure, *cells]
        rows.append(f"<tr data-target=\"{_e(t)}\"><th scope=row>{_e(t)}</th>"
                    + "".join(c if c.startswith("<td") else f"<td>{c}</td>" for c in cells)
                    + f"<td class=wrap>{_e(src.get('source', ''))}</td></tr>")
        csv_rows.append([t, *([cal["replica"][t]] if replicas else []), _target_figure(src),
                         *[g[c] for c in R.CALIBRATION_FIT_COLUMNS], str(src.get("source", ""))])
    csv_head = ["target", *(["replica"] if replicas else []), "figure", *R.CALIBRATION_FIT_COLUMNS, "source"]
    windows = "; ".join(f"{'the experiment' if k == '' else 'replica ' + k}: {v}" for k, v in cal["windows"].items())
    return (f"<div class=scroll><table class='numbers cal-fit'><thead><tr>{''.join(f'<th>{_e(h)}</th>' for h in head)}"
            f"</tr></thead><tbody>{''.join(rows)}</tbody></table></div>"
            f"<p class=tablenote>Model: the mean over replications of each run's window mean ({_e(windows)}), with its "
            f"{T.LEVEL:.0%} interval; z = (model − evidence) / √(se² + the model mean's standard error²); loss term: "
            "the target's term of the loss at the chosen point, weight × ((model − evidence) / scale)², the scale being "
            "the se (inverse-variance weighting) or 1 (identity); with a weight matrix W, g_t (W g)_t, g = model − evidence. "
            f"{_csv_link('calibration_fit.csv', csv_head, csv_rows)}</p>")


def calibration_section(ds, fig) -> Section:
    """The result of `kpisim calibrate` (docs/experiments.md, "Calibration"): the fit of the chosen
    point to every target, the search, the chosen values and every evaluation."""
    s = Section("calibration", "Calibration: fit to the evidence", short="Calibration")
    cal = _read_group(s, R.calibration, ds, "calibration",
                       ("No calibration in this file: <code>kpisim calibrate EXPERIMENT</code> (an experiment with a "
                        "<code>calibrate:</code> section) writes it (docs/experiments.md, \"Calibration\")."))
    if cal is None:
        return s
    ev, names = cal["evaluations"], cal["names"]
    k = _chosen_index(cal)
    c = calibration_counts(cal)
    a = ev.attrs
    searched = ev.sizes["evaluation"] > 1
    n_rep = sum(1 for r in set(cal["replica"].values()) if r)
    s.intro = (f"<code>kpisim calibrate</code> fitted {len(names)} parameter{'s' if len(names) != 1 else ''} to "
               f"{c['targets']} target{'s' if c['targets'] != 1 else ''}"
               + (f" (through {n_rep} replica{'s' if n_rep != 1 else ''}: studies reproduced as scenarios of their own)"
                  if n_rep else "")
               + f" by the method of simulated moments ({_e(a.get('weighting', ''))} weighting): "
               + (f"{_e(a.get('algorithm', ''))}, {ev.sizes['evaluation']} evaluations on common random numbers "
                  f"({_e(a.get('replications', ''))} replications per candidate; {_e(a.get('stop', ''))})"
                  if searched else f"one evaluation, the scenario's own values (no search, as "
                                   f"<code>--as-written</code>; {_e(a.get('replications', ''))} replications)")
               + f". At the chosen point: <b>{_e(_within_text(c))}</b>. The other sections of this report show "
                 f"{_runs_text(ds, cal)}.")
    s.figures.append(fig("calibration_fit", "Fit to the evidence",
                         "One row per target, each on its own scale: the evidence with ± 2 standard errors (grey) and the "
                         "model's mean at the chosen point with its 95% interval over replications; right, the gap z in "
                         "standard errors of both."
                         + (" The chosen point was selected on these replications, so the fit is an optimistic one."
                            if searched else ""), lambda d: P.calibration_fit(cal)))
    s.tables.append(fit_html(cal))
    if not searched:
        s.note = ("No search in this file: one evaluation, the scenario's own values. <code>kpisim calibrate</code> "
                  "without <code>--as-written</code> searches the box.")
    s.figures.append(fig("calibration_search", "The search",
                         "Top: the loss of each evaluation in the order evaluated (the start: the scenario's own values; "
                         "then a Latin hypercube; then the local search from the best of them), log scale. Bottom: where "
                         "each parameter was, in its box (0 the lower end, 1 the upper; logarithmic on a log scale).",
                         lambda d: P.calibration_search(cal)))
    rows = []
    for n in names:
        x = float(ev[n].values[k])
        lo, hi = cal["box"][n]
        edge = _at_edge(cal, n, x)
        rows.append(f"<tr><th scope=row><code>{_e(n)}</code></th><td>{fmt(x)}</td><td>[{fmt(lo)}, {fmt(hi)}]"
                    f"{' log' if cal['scales'].get(n) == 'log' else ''}</td><td>"
                    + (f"<span class=bad>at the {edge} end: the evidence may want a value outside the box</span>"
                       if edge else "inside") + "</td></tr>")
    s.tables.append(f"<p class=headline>Chosen (evaluation {_e(cal['chosen'])}, loss {fmt(float(ev['loss'].values[k]))})"
                    f":</p><table class='numbers cal-chosen'><thead><tr><th>parameter</th><th>value</th><th>box</th>"
                    f"<th>position</th></tr></thead><tbody>{''.join(rows)}</tbody></table>")
    stages = {code: name for code, (name, _) in P.STAGES.items()}
    evrows = []
    for j, lab in enumerate(str(e) for e in ev["evaluation"].values):
        cells = [f"{_e(lab)}{' *' if j == k else ''}", _e(stages.get(int(float(ev['stage'].values[j])), "?"))]
        cells += [fmt(float(ev[n].values[j])) for n in names]
        cells.append(fmt(float(ev["loss"].values[j])))
        cells += [fmt(float(ev["model_" + t].values[j])) if "model_" + t in ev else "n/a" for t in cal["targets"]]
        evrows.append("<tr>" + "".join(f"<td>{x}</td>" for x in cells) + "</tr>")
    evhead = "".join(f"<th>{_e(h)}</th>" for h in ("#", "stage", *names, "loss", *cal["targets"]))
    s.tables.append(f"<details><summary>Every evaluation ({ev.sizes['evaluation']}, in the order evaluated; * the chosen; "
                    f"a target's column: the model's figure)</summary><div class=scroll><table class=numbers><thead><tr>"
                    f"{evhead}</tr></thead><tbody>{''.join(evrows)}</tbody></table></div></details>")
    return s


def _tolerance(text: str) -> str:
    try:
        return fmt(float(text))
    except ValueError:
        return text


def _heat(v: float) -> str:
    """An inline background for a rank correlation in [-1, 1]: white at 0, blue towards -1, vermilion
    towards +1 (the Okabe-Ito pair)."""
    if not np.isfinite(v):
        return ""
    a = min(abs(v), 1.0)
    base = (213, 94, 0) if v > 0 else (0, 114, 178)
    r, g, b = (round(255 + (c - 255) * a) for c in base)
    return f" style=\"background:#{r:02x}{g:02x}{b:02x};color:{'#fff' if a > 0.6 else '#1f2328'}\""


def identifiability_section(ds, fig) -> Section:
    """A calibration's posterior (ABC-SMC): per parameter its posterior over the prior box, its 90%
    interval and width ratio, which targets respond to it, the tolerances by generation, and the
    targets × parameters rank correlations as a heat map."""
    s = Section("identifiability", "Identifiability: what the targets pin down", short="Identifiability")
    try:
        cal = R.calibration(ds)
    except (ValueError, KeyError, OSError):
        return s  # the calibration section says why
    if not cal:
        return s
    post, par = cal["posterior"], cal["parameters"]
    if post is None or par is None:
        s.note = ("This calibration has no posterior, so it does not say which parameters its targets pin down. Add "
                  "<code>posterior: {particles: 100}</code> under <code>calibrate:</code> (ABC-SMC: the parameter values "
                  "that fit equally well; docs/experiments.md, \"Calibration\").")
        return s
    a = post.attrs
    last = int(np.nanmax(post["generation"].values)) if post.sizes["particle"] else 0
    n_last = int(P._last_generation(post).sum())
    tol = [t.strip() for t in str(a.get("tolerances", "")).split(",") if t.strip()]
    s.intro = (f"Beyond the single best fit: the parameter values that fit the evidence about equally well. "
               f"{_e(a.get('method', 'ABC-SMC'))}; {_e(a.get('simulations', ''))} simulations, {last + 1} generations "
               f"({_e(a.get('stop', ''))}); the posterior is the last generation, {n_last} weighted particles within a "
               f"distance of {_e(_tolerance(tol[-1]) if tol else '?')} (the root mean square gap in standard errors). A parameter "
               f"whose posterior is about as wide as its prior (width ratio near 1) is not pinned down by these targets.")
    s.figures.append(fig("calibration_posterior", "Posterior against the prior",
                         "Per parameter over its prior box: the last generation's weighted histogram (bins equal in the "
                         "box's unit scale), the prior's share per bin (dashed), the 90% interval (shaded), the posterior "
                         "mean and the chosen point (triangle).", lambda d: P.calibration_posterior(cal)))
    sens = cal["sensitivity"]
    rows, csv_rows = [], []
    for j, n in enumerate(cal["names"]):
        g = {col: float(par[col].values[j]) for col in R.CALIBRATION_PARAMETER_COLUMNS}
        responds = []
        if sens is not None:
            rho = sens[n].values.astype(float)
            order = np.argsort(-np.abs(np.where(np.isfinite(rho), rho, 0.0)), kind="stable")
            responds = [f"{cal['targets'][i]} ({rho[i]:+.2f})" for i in order if abs(rho[i]) >= RESPONDS]
        reading = width_reading(g["width_ratio"])
        rows.append(f"<tr><th scope=row><code>{_e(n)}</code></th><td>[{fmt(g['prior_lower'])}, {fmt(g['prior_upper'])}]"
                    f"{' log' if cal['scales'].get(n) == 'log' else ''}</td><td>{fmt(g['mean'])} "
                    f"<span class=ci>({fmt(g['sd'])})</span></td><td>[{fmt(g['lower'])}, {fmt(g['upper'])}]</td>"
                    f"<td>{fmt(g['width_ratio'])}</td><td class=wrap>{_e(reading)}</td>"
                    f"<td class=wrap>{_e(', '.join(responds) or 'none')}</td></tr>")
        csv_rows.append([n, *[g[col] for col in R.CALIBRATION_PARAMETER_COLUMNS], "; ".join(responds)])
    s.tables.append("<div class=scroll><table class='numbers cal-params'><thead><tr><th>parameter</th><th>prior (box)</th>"
                    "<th>posterior mean (sd)</th><th>90% interval</th><th>width ratio</th><th>reading</th>"
                    f"<th>targets that respond (|ρ| ≥ {RESPONDS:g})</th></tr></thead><tbody>{''.join(rows)}</tbody></table>"
                    f"</div><p class=tablenote>Width ratio: the 90% interval's width over the prior box's, in the box's "
                    f"unit scale; below {NARROWED:g} the targets narrow the parameter, from {PARTLY_NARROWED:g} they "
                    "hardly do. "
                    + _csv_link("calibration_parameters.csv", ["parameter", *R.CALIBRATION_PARAMETER_COLUMNS,
                                                               "targets_that_respond"], csv_rows) + "</p>")
    if sens is not None:
        names = cal["names"]
        head = "".join(f"<th title=\"{_e(n)}\">{_e(T.short_parameter(n))}</th>" for n in names)
        body, csv_rows = [], []
        for i, t in enumerate(cal["targets"]):
            vals = [float(sens[n].values[i]) for n in names]
            body.append(f"<tr><th scope=row>{_e(t)}</th>"
                        + "".join(f"<td{_heat(v)}>{f'{v:+.2f}' if np.isfinite(v) else 'n/a'}</td>" for v in vals)
                        + "</tr>")
            csv_rows.append([t, *vals])
        s.tables.append(f"<h4>Which targets respond to which parameters <span class=unit>(Spearman's rank correlation over "
                        f"{_e(sens.attrs.get('sample', 'the prior sample'))}; blue negative, vermilion positive; near 0: "
                        "the target cannot pin the parameter down)</span></h4>"
                        f"<div class=scroll><table class='numbers cal-sens'><thead><tr><th>target</th>{head}</tr></thead>"
                        f"<tbody>{''.join(body)}</tbody></table></div><p class=tablenote>"
                        f"{_csv_link('calibration_sensitivity.csv', ['target', *names], csv_rows)}</p>")
    s.figures.append(fig("calibration_tolerances", "ABC-SMC by generation",
                         "Left: each particle's distance (the root mean square gap in standard errors) and the tolerance "
                         "each generation had to pass (dotted: min_tolerance, the floor); generation 0 is the prior's "
                         "sample. Right: the effective sample size of each generation's weights (a small one: the "
                         "posterior rests on few particles).", lambda d: P.calibration_tolerances(cal)))
    return s


def calibration_executive(ds) -> Section | None:
    """The executive summary of a calibration file: how many targets the chosen point reproduces
    within two standard errors, the misses, the chosen values and, with a posterior, which
    parameters the targets pin down. None when the calibration group cannot be read (the
    calibration section says why)."""
    cal = _try_read(R.calibration, ds)
    if cal is None:
        return None
    c = calibration_counts(cal)
    fit, ev = cal["fit"], cal["evaluations"]
    k = _chosen_index(cal)
    good = not c["misses"]
    head = (f"<span class='tag {'good' if good else 'unsure'}'>Calibration</span> At the chosen parameter values the "
            f"model reproduces <b>{_e(_within_text(c))}</b> of the evidence.")
    items = []
    if c["misses"]:
        miss = []
        for t, z in c["misses"]:
            i = cal["targets"].index(t)
            miss.append(f"<b>{_e(t)}</b> (model {fmt(float(fit['model'].values[i]))} against {fmt(float(fit['value'].values[i]))}"
                        f" ± {fmt(float(fit['se'].values[i]))}, z = {z:+.2f})")
        items.append("Outside two standard errors: " + "; ".join(miss) + ". A miss that no values in the box "
                     "can close is structural: the model, or the replica of the study, lacks what produced the figure.")
    vals = []
    for n in cal["names"]:
        x = float(ev[n].values[k])
        edge = _at_edge(cal, n, x)
        vals.append(f"{_e(n)} = {x:.4g}" + (f" <span class=bad>(at the {edge} end of its box)</span>" if edge else ""))
    if ev.sizes["evaluation"] > 1:
        items.append(f"Chosen values: {', '.join(vals)} (evaluation {_e(cal['chosen'])} of {ev.sizes['evaluation']}, "
                     f"loss {fmt(float(ev['loss'].values[k]))}; {_e(ev.attrs.get('stop', ''))}). The fit was selected on "
                     "the same replications, so it flatters the chosen point a little.")
    else:
        items.append(f"No search: the values evaluated are the scenario's own, {', '.join(vals)} (loss "
                     f"{fmt(float(ev['loss'].values[k]))}).")
    par = cal["parameters"]
    if par is not None:
        ratio = {n: float(par["width_ratio"].values[j]) for j, n in enumerate(cal["names"])}
        pinned = [f"{_e(n)} ({r:.2f})" for n, r in ratio.items() if r < NARROWED]
        loose = [f"{_e(n)} ({r:.2f})" for n, r in ratio.items() if not r < PARTLY_NARROWED]
        text = "Identifiability (posterior width over the prior's): "
        text += (f"the targets narrow {', '.join(pinned)}" if pinned else "the targets narrow no parameter to less than "
                 f"{NARROWED:g} of its prior")
        if loose:
            text += f"; they do not pin down {', '.join(loose)}: values across its box fit about as well"
        items.append(text + ".")
    else:
        items.append("No posterior in this file: add <code>posterior: {particles: 100}</code> under "
                     "<code>calibrate:</code> to see which parameters the targets pin down.")
    items.append(f"The sections below show {_runs_text(ds, cal)}.")
    sec = Section("executive", "Executive summary", short="Summary",
                  intro="This file is a calibration (<code>kpisim calibrate</code>): which values of the model's "
                        "uncertain parameters make it reproduce what was measured. It compares no policies and "
                        "recommends none. Details in the sections Calibration"
                        + (" and Identifiability" if par is not None else "") + ".")
    sec.tables.append(f"<div class=verdict><p class=headline>{head}</p><ul>"
                      + "".join(f"<li>{i}</li>" for i in items) + "</ul></div>")
    return sec


def provenance_html(ds, prov: R.Provenance, file_sha256: str) -> str:
    rows = "".join(f"<tr><th scope=row>{_e(k)}</th><td><code>{_e(v)}</code></td></tr>" for k, v in prov.attrs.items())
    rows += f"<tr><th scope=row>file</th><td><code>{_e(prov.path)}</code></td></tr>"
    rows += f"<tr><th scope=row>file SHA-256</th><td><code>{_e(file_sha256)}</code></td></tr>"
    out = f"<table class=prov><tbody>{rows}</tbody></table>"
    if prov.scenario_yaml:
        out += ("<details><summary>Resolved scenario (YAML: every parameter with defaults filled in; running it "
                f"again reproduces the file)</summary><pre>{_e(prov.scenario_yaml)}</pre></details>")
    if prov.experiment_yaml:
        out += f"<details><summary>Resolved experiment (YAML)</summary><pre>{_e(prov.experiment_yaml)}</pre></details>"
    return out


# ------------------------------------------------------------------------- executive summary

# Variables whose values can be negative (values, gaps, correlations, money net of costs). Every
# other variable is a count, hours, tokens, money paid, a score with a floor of 0 or a share, so its
# interval is never shown below 0 (a t-interval of a small share can reach below it), nor a share's
# above 100%.
SIGNED = frozenset({"true_value_per_fte", "measured_value_per_fte", "ai_value_per_fte", "ai_value_gross_per_fte",
                    "manager_ai_value_belief", "time_saved_per_fte", "time_saved_gross_per_fte", "belief_error",
                    "kpi_value_correlation", "reported_true_gap", "net_value_usd", "net_value_per_fte",
                    "net_value_annual_usd"})


def bounds_of(name: str) -> tuple[float | None, float | None]:
    """(floor, ceiling) of a variable as the report shows it (shares in %): (0, 100) for a share,
    (0, None) for any other non-negative quantity, (None, None) for a signed or unknown one.
    Per-division names (unit_VAR or unit_VAR[division]) have their variable's bounds."""
    if name.startswith(S.UNIT_PREFIX):
        name = name[len(S.UNIT_PREFIX):].split("[", 1)[0]
    info = S.DAILY.get(name)
    if info is None or name in SIGNED:
        return None, None
    return 0.0, (100.0 if info.percent else None)


def bounded(cell, bounds) -> tuple[float, float, float]:
    """(mean, lower, upper) with the interval clipped to the quantity's (floor, ceiling)."""
    m, lo, hi = (float(x) for x in cell)
    floor, ceiling = bounds
    if floor is not None:
        lo, hi = (max(v, floor) if np.isfinite(v) else v for v in (lo, hi))
    if ceiling is not None:
        lo, hi = (min(v, ceiling) if np.isfinite(v) else v for v in (lo, hi))
    return m, lo, hi


def _pairs(ds) -> dict[str, dict[tuple[int, int], int]]:
    """Per policy, its finished runs by (parameter point, replication): replication k of every policy
    at a point has the same people, tasks and luck, so runs with the same key are paired."""
    ok = R.ok_runs(ds)
    pol = ds[S.POLICY].values
    rep = ds[S.REPLICATION].values.astype(int)
    pts = R.point_of_runs(ds)
    out: dict[str, dict[tuple[int, int], int]] = {p: {} for p in R.policies(ds)}
    for r in np.flatnonzero(ok):
        out[str(pol[r])][(int(pts[r]), int(rep[r]))] = int(r)
    return out


def _optimisation_pairs(ds) -> dict[str, dict[tuple[int, int], int]]:
    """The runs of an optimisation file (`kpisim optimise`) by role: the chosen point, the start (the
    scenario's own values) and the baseline policy, each over the same fresh replications (and states
    of the world), so runs with the same replication are paired. Labelled 'POLICY (role)'."""
    ok = R.ok_runs(ds)
    pol = ds[S.POLICY].values
    rep = ds[S.REPLICATION].values.astype(int)
    pts = R.point_of_runs(ds)
    out: dict[str, dict[tuple[int, int], int]] = {}
    for r in np.flatnonzero(ok):
        if 0 <= pts[r] < len(R.OPTIMISATION_ROWS):
            out.setdefault(f"{pol[r]} ({R.OPTIMISATION_ROWS[pts[r]]})", {})[(0, int(rep[r]))] = int(r)
    return out


def _cell(per_run, runs) -> tuple[float, float, float]:
    m, lo, hi, _ = T.t_interval(per_run[np.asarray(sorted(runs.values()), dtype=int)] if runs else [])
    return m, lo, hi


def _paired_cell(per_run, a: dict, b: dict) -> tuple[float, float, float]:
    """Mean and interval of per_run[a] - per_run[b] over the keys both have."""
    keys = sorted(set(a) & set(b))
    m, lo, hi, _ = T.t_interval([per_run[a[k]] - per_run[b[k]] for k in keys])
    return m, lo, hi


def _resolved(cell) -> bool:
    """True when an interval exists and excludes 0."""
    _, lo, hi = cell
    return bool(np.isfinite(lo) and np.isfinite(hi) and (lo > 0 or hi < 0))


@dataclass
class PolicyLine:
    """One policy's line of the executive summary (money in USD per year, shares in %)."""

    policy: str
    objective: tuple[float, float, float]
    vs_baseline: tuple[float, float, float] | None
    token_cost: float = np.nan
    rewards: float = np.nan
    penalties: float = np.nan
    burnout: tuple[float, float, float] = (np.nan, np.nan, np.nan)
    burnout_vs_baseline: tuple[float, float, float] | None = None
    burnt_out_people: float = np.nan
    attrition: tuple[float, float, float] = (np.nan, np.nan, np.nan)
    hurt: list[str] = field(default_factory=list)
    wins: int = 0  # replications (point, replication pairs) in which it has the highest objective
    best_points: int = 0  # parameter points at which its mean objective is the highest


@dataclass
class Summary:
    """What the executive summary says, as numbers (executive_summary) before HTML (executive_html)."""

    lines: list[PolicyLine]  # best first
    baseline: str
    objective: str  # label of the objective
    unit: str
    replications: int
    points: int
    pairs: int  # (point, replication) keys every policy has
    tested: bool  # intervals exist (two replications or more)
    runner_up_gap: tuple[float, float, float] | None = None  # best minus runner-up, paired
    tied: list[str] = field(default_factory=list)  # policies the data do not separate from the best
    next_below: tuple[str, tuple[float, float, float]] | None = None  # the best policy after the tied ones, and the gap
    days: int = 0
    robust: dict | None = None  # the file's robust comparison, per policy (robust_lines)
    optimisation: dict | None = None  # the file's optimisation result (results.optimisation)


# A division is 'hurt' by a policy when, against the baseline, its true value per employee is lower
# or its share burnt out at the end higher by at least these margins (material for a decision) and,
# with replications, by an interval that excludes 0 (with a single run: untested point estimates).
HURT_VALUE_SHARE = 0.01  # 1% less true value per employee
HURT_BURNOUT_PP = 1.0  # 1 percentage point more burnt out


def _divisions_hurt(ds, pairs, base: str, tested: bool) -> dict[str, list[str]]:
    if not R.has_units(ds):
        return {}
    work = (ds[S.DAY].values % S.DAYS_PER_WEEK) < S.WORKDAYS_PER_WEEK
    last = np.flatnonzero(work)[-1]
    out: dict[str, list[str]] = {p: [] for p in pairs}
    value = ds.get(S.UNIT_PREFIX + "true_value_per_fte")
    burnt = ds.get(S.UNIT_PREFIX + "burnout_share")
    for u, division in enumerate(str(x) for x in ds[S.UNIT].values):
        with np.errstate(invalid="ignore"), np.testing.suppress_warnings() as sup:
            sup.filter(RuntimeWarning)
            v = None if value is None else np.nanmean(np.asarray(value.values[:, work, u], dtype=float), axis=1)
            b = None if burnt is None else np.asarray(burnt.values[:, last, u], dtype=float) * 100
        for p in pairs:
            if p == base:
                continue
            why = []
            if v is not None:
                d = _paired_cell(v, pairs[p], pairs[base])
                ref = _cell(v, pairs[base])[0]
                rel = d[0] / abs(ref) * 100 if ref else np.nan
                if np.isfinite(rel) and rel <= -HURT_VALUE_SHARE * 100 and (d[2] < 0 or not tested):
                    why.append(f"value {rel:+.1f}%")
            if b is not None:
                d = _paired_cell(b, pairs[p], pairs[base])
                if d[0] >= HURT_BURNOUT_PP and (d[1] > 0 or not tested):
                    why.append(f"burnout {d[0]:+.1f} pp")
            if why:
                out[p].append(f"{division} ({', '.join(why)})")
    return out


def executive_summary(ds) -> Summary | None:
    """The numbers of the executive summary: per policy its net value to the organisation in USD per
    year (the objective; true value per employee for files written before the net value existed)
    with its interval and paired difference from the baseline, its costs, burnout, attrition and the
    divisions it hurts; the ranking, the gap between the best and the runner-up, and how often the
    best wins. None for a file without finished runs."""
    opt = R.optimisation(ds) if R.is_optimisation(ds) else {}
    pairs = _optimisation_pairs(ds) if opt else _pairs(ds)
    pairs = {p: k for p, k in pairs.items() if k}
    if not pairs:
        return None
    base = R.baseline(ds)
    if opt:
        base = next((p for p in pairs if p.endswith("(baseline)")), base)
    if base not in pairs:
        base = next(iter(pairs))
    days = ds.sizes[S.DAY]
    if "net_value_usd" in ds:
        objective = _key_values(ds, "net_value_usd", "annual")
        label, unit = "net value to the organisation", "USD per year"
    else:
        objective = T.window_stat(ds, "true_value_per_fte", "mean")
        label, unit = "true value per employee", "USD per working day"
    annual = {n: _key_values(ds, n, "annual") for n in ("token_cost_usd", "rewards_usd", "penalties_usd") if n in ds}
    burnout = T.window_stat(ds, "burnout_share", "end") * 100 if "burnout_share" in ds else None
    heads = T.window_stat(ds, "headcount", "end") if "headcount" in ds else None
    attrition = _key_values(ds, "quits", "attrition") * 100 if "quits" in ds and "headcount" in ds else None
    reps = R.replications(ds)
    tested = reps >= 2 and min(len(k) for k in pairs.values()) >= 2
    hurt = _divisions_hurt(ds, pairs, base, tested)
    common = sorted(set.intersection(*(set(k) for k in pairs.values())))
    wins = dict.fromkeys(pairs, 0)
    for key in common:
        wins[max(pairs, key=lambda p: objective[pairs[p][key]])] += 1
    best_points = dict.fromkeys(pairs, 0)
    all_points = sorted({k[0] for k in common})
    for pt in all_points:
        means = {p: np.nanmean([objective[r] for (q, _), r in pairs[p].items() if q == pt]) for p in pairs}
        best_points[max(means, key=lambda p: means[p])] += 1

    lines = []
    for p, runs in pairs.items():
        line = PolicyLine(p, _cell(objective, runs), None if p == base else _paired_cell(objective, runs, pairs[base]))
        for n, attr in (("token_cost_usd", "token_cost"), ("rewards_usd", "rewards"), ("penalties_usd", "penalties")):
            if n in annual:
                setattr(line, attr, _cell(annual[n], runs)[0])
        if burnout is not None:
            line.burnout = bounded(_cell(burnout, runs), (0.0, 100.0))
            line.burnout_vs_baseline = None if p == base else _paired_cell(burnout, runs, pairs[base])
            if heads is not None:
                line.burnt_out_people = _cell(burnout * heads / 100, runs)[0]
        if attrition is not None:
            line.attrition = bounded(_cell(attrition, runs), (0.0, 100.0))
        line.hurt = hurt.get(p, [])
        line.wins, line.best_points = wins[p], best_points[p]
        lines.append(line)
    lines.sort(key=lambda x: -x.objective[0] if np.isfinite(x.objective[0]) else np.inf)
    s = Summary(lines, base, label, unit, reps, len(all_points) if opt else len(R.points(ds)), len(common), tested,
                days=days, robust=robust_lines(ds), optimisation=opt or None)
    if len(lines) > 1:
        best = pairs[lines[0].policy]
        s.runner_up_gap = _paired_cell(objective, best, pairs[lines[1].policy])
        s.tied = [x.policy for x in lines[1:]
                  if not (tested and _paired_cell(objective, best, pairs[x.policy])[1] > 0)]
        rest = [x.policy for x in lines[1:] if x.policy not in s.tied]
        if s.tied and rest:
            s.next_below = (rest[0], _paired_cell(objective, best, pairs[rest[0]]))
    return s


def robust_lines(ds) -> dict | None:
    """The robust comparison of the file for the executive summary: {"states": n, "constraints": text,
    "policies": {policy: {regret_mean, regret_max, best_share, satisficing_share, loses_share, box}},
    "minimax": policy, "satisficing": policy}; None without one (or when it cannot be read: the
    robustness section says why)."""
    rob = _try_read(R.robust, ds)
    if rob is None:
        return None
    t = rob["policies"]
    cols = ("regret_mean", "regret_max", "best_share", "satisficing_share", "loses_share")
    if any(c not in t for c in cols):
        return None
    pols = {}
    for i, p in enumerate(str(x) for x in t["policy"].values):
        pols[p] = {c: float(t[c].values[i]) for c in cols}
        box = rob["box"].get(p)
        pols[p]["box"] = str(box.attrs.get("statement", "")) if box is not None else ""
    finite = {p: v for p, v in pols.items() if np.isfinite(v["regret_max"])}
    if not finite:
        return None
    return {"states": str(t.attrs.get("states_used", t.attrs.get("states", ""))),
            "constraints": str(t.attrs.get("constraints", "")), "units": str(t["regret_mean"].attrs.get("units", "")),
            "objective": str(t.attrs.get("objective", "")), "policies": pols,
            "minimax": min(finite, key=lambda p: finite[p]["regret_max"]),
            "mean_regret": min(finite, key=lambda p: finite[p]["regret_mean"]),
            "satisficing": max(finite, key=lambda p: finite[p]["satisficing_share"])}


def robust_item(s: "Summary") -> str:
    """The recommendation's robustness over the states of the world (regret, satisficing, where it loses)."""
    rb = s.robust
    best = s.lines[0].policy
    if not rb or best not in rb["policies"]:
        return ""
    r = rb["policies"][best]
    units = f" {_e(rb['units'])}" if rb["units"] else ""
    text = (f"Robustness over {_e(rb['states'])} states of the world (<code>{_e(rb['objective'])}</code>): "
            f"<b>{_e(best)}</b> is the best in {r['best_share']:.0%} of them; its regret (the best policy's objective "
            f"in a state minus its own) is {_money(r['regret_mean'])}{units} on average and {_money(r['regret_max'])}"
            f"{units} at most; it satisfices ({_e(rb['constraints'] or 'no constraints')}) in "
            f"{r['satisficing_share']:.0%} of the states and loses in {r['loses_share']:.0%}")
    if r["box"]:
        text += f", mostly where <b>{_e(r['box'])}</b> (PRIM)"
    picks = [(rb["minimax"], "lowest maximum regret"), (rb["mean_regret"], "lowest mean regret"),
             (rb["satisficing"], "most often satisficing")]
    same = [what for p, what in picks if p == best]
    other = [f"{what}: <b>{_e(p)}</b>" for p, what in picks if p != best]
    text += "." + (f" It is also the choice by {', '.join(same)}." if same else "")
    if other:
        text += f" <span class=bad>The robust criteria pick otherwise</span> ({'; '.join(other)})."
    for x in s.lines[1:]:
        q = rb["policies"].get(x.policy)
        if not q or not 0 < q["loses_share"]:
            continue
        if q["loses_share"] >= 1:
            text += f" <b>{_e(x.policy)}</b> loses in every state."
        elif q["box"]:
            text += (f" <b>{_e(x.policy)}</b> loses in {q['loses_share']:.0%} of the states, mostly where "
                     f"<b>{_e(q['box'])}</b> (PRIM).")
        else:
            text += (f" <b>{_e(x.policy)}</b> loses in {q['loses_share']:.0%} of the states, spread over every range of "
                     f"the uncertain inputs (PRIM finds no smaller region).")
    return text


def optimisation_item(s: "Summary") -> str:
    """The optimisation's answer in one sentence (chosen values, fresh gain over the baseline)."""
    o = s.optimisation
    if not o:
        return ""
    ev, cmp = o["evaluations"], o["comparison"]
    i = [str(e) for e in ev["evaluation"].values].index(o["chosen"])
    vals = ", ".join(f"{_e(n)} = {float(ev[n].values[i]):.4g}" for n in o["parameters"])
    rows = [str(r) for r in cmp["row"].values]
    b = rows.index("baseline_fresh")
    d = tuple(float(cmp[c].values[b]) for c in ("difference", "difference_lower", "difference_upper"))
    feasible = bool(float(ev["feasible"].values[i]) == 1)
    return (f"Optimisation: the chosen values are {vals}"
            + ("" if feasible else " <span class=bad>(no evaluated point met the constraints: the least violating)</span>")
            + f"; on fresh replications the chosen policy minus the baseline is {_ci(d, True)}"
            + (" (resolved)" if _resolved(d) else " (not distinguishable)") + ". Details in the section Optimisation.")


def _money(x, signed: bool = False) -> str:
    """A USD amount for prose: '7.5M USD', '+307k USD'."""
    if x is None or not np.isfinite(x):
        return "n/a"
    return f"{'+' if signed and x > 0 else ''}{fmt(x)}"


def _ci(cell, signed: bool = False, stack: bool = False) -> str:
    """'m [lo, hi]' (stacked: the interval on a line of its own, for narrow table cells)."""
    m, lo, hi = cell
    if not np.isfinite(lo):
        return _money(m, signed)
    return f"{_money(m, signed)}{'<br>' if stack else ' '}<span class=ci>[{fmt(lo)}, {fmt(hi)}]</span>"


def recommendation_html(s: Summary) -> str:
    """The verdict the numbers support, with its evidence, costs, burnout and robustness; never more
    than the intervals resolve."""
    best, lines = s.lines[0], s.lines
    u = _e(s.unit)
    n_runs = (f"{s.pairs} paired replication{'s' if s.pairs != 1 else ''}" if s.points == 1
              else f"{s.pairs} paired runs over {s.points} parameter points")
    if len(lines) == 1:
        return (f"<p class=headline>One policy in this file (<b>{_e(best.policy)}</b>): nothing to choose between. "
                f"Its {_e(s.objective)}: {_ci(best.objective)} {u}.</p>")
    items = []
    bname = f"<b>{_e(best.policy)}</b>" + (" (the baseline)" if best.policy == s.baseline else "")
    if not s.tested:
        head = (f"<span class=tag>Provisional</span> In this single run {bname} has the highest "
                f"{_e(s.objective)}, {_money(best.objective[0])} {u}, ahead of <b>{_e(lines[1].policy)}</b> by "
                f"{_money(s.runner_up_gap[0])} {u}. One run per policy cannot tell a policy's effect from luck: "
                "replicate before deciding (<code>kpisim sweep</code> with <code>replications</code>; for the shipped "
                "comparison <code>kpisim sweep scenarios/experiments/compare_crn.yaml</code>).")
    elif not s.tied and best.policy == s.baseline:
        head = (f"<span class='tag good'>Recommendation</span> Keep the baseline <b>{_e(best.policy)}</b>: no policy "
                f"does better. Its {_e(s.objective)} is {_ci(best.objective)} {u}; the best alternative, "
                f"<b>{_e(lines[1].policy)}</b>, falls short by {_ci(s.runner_up_gap)} {u} ({n_runs}), a difference "
                "the replications resolve.")
    elif not s.tied:
        head = (f"<span class='tag good'>Recommendation</span> <b>{_e(best.policy)}</b>: the highest {_e(s.objective)}, "
                f"{_ci(best.objective)} {u}, and ahead of the runner-up <b>{_e(lines[1].policy)}</b> by "
                f"{_ci(s.runner_up_gap, True)} {u} ({n_runs}), a difference the replications resolve.")
    else:
        tied = ", ".join(f"<b>{_e(p)}</b>" for p in s.tied)
        over = "" if len(s.tied) == 1 else f" over the runner-up <b>{_e(lines[1].policy)}</b>"
        head = (f"<span class='tag unsure'>No clear winner</span> The data do not separate {bname} "
                f"(the highest {_e(s.objective)}, {_ci(best.objective)} {u}) from {tied}: its paired lead{over} is "
                f"{_ci(s.runner_up_gap, True)} {u} ({n_runs}), an interval that includes 0. Choose among them on "
                "burnout, cost and ease of running, or run more replications.")
    if s.tested and s.tied and s.next_below:
        items.append(f"Every other policy is below {_e(best.policy)} by a resolved margin; the next, "
                     f"<b>{_e(s.next_below[0])}</b>, by {_ci(s.next_below[1])} {u}.")
    if best.policy != s.baseline and lines[1].policy != s.baseline:  # else the headline said it
        d = best.vs_baseline
        verdict = ("" if not s.tested else " (resolved)" if _resolved(d) else
                   " <span class=bad>(not distinguishable from the baseline)</span>")
        items.append(f"Against the baseline <b>{_e(s.baseline)}</b>: {_ci(d, True)} {u}{verdict}.")
    if np.isfinite(best.token_cost) or np.isfinite(best.rewards):
        items.append(f"What <b>{_e(best.policy)}</b> costs: tokens {_money(best.token_cost)} USD per year, rewards paid "
                     f"{_money(best.rewards)} USD per year, penalties collected {_money(best.penalties)} USD per year "
                     "(all already counted in its net value).")
    if np.isfinite(best.burnout[0]):
        extra = ""
        if best.burnout_vs_baseline is not None:
            d = best.burnout_vs_baseline
            worse = (_resolved(d) and d[0] > 0) if s.tested else d[0] >= HURT_BURNOUT_PP
            extra = (f", {_ci(d, True)} percentage points against the baseline"
                     + (" <span class=bad>(more burnout)</span>" if worse else ""))
        people = f" (about {best.burnt_out_people:,.0f} people)" if np.isfinite(best.burnt_out_people) else ""
        items.append(f"Burnout: {fmt(best.burnout[0])}% burnt out at the end{people}{extra}.")
    if s.optimisation:
        items.append(optimisation_item(s))
    if s.robust and best.policy in s.robust["policies"]:
        items.append(robust_item(s))
    elif s.tested:
        rob = f"<b>{_e(best.policy)}</b> is the best policy in {best.wins} of {s.pairs} paired replications"
        if s.points > 1:
            rob += f" and at {best.best_points} of {s.points} parameter points"
        items.append(f"Robustness: {rob}.")
    elif s.points > 1:
        items.append(f"Robustness: the best at {best.best_points} of {s.points} parameter points.")
    worst = lines[-1]
    if worst.policy not in (best.policy, s.baseline) and worst.vs_baseline is not None:
        items.append(f"The costliest choice, <b>{_e(worst.policy)}</b>: {_ci(worst.vs_baseline, True)} {u} against the "
                     "baseline.")
    if best.hurt:
        items.append(f"Divisions {_e(best.policy)} hurts: {_e('; '.join(best.hurt))}.")
    if s.days != S.DAYS_PER_YEAR and s.unit == "USD per year":
        items.append(f"Annual figures are the {s.days}-day horizon's totals at an annual rate ({S.DAYS_PER_YEAR}-day years).")
    return f"<p class=headline>{head}</p><ul>{''.join(f'<li>{i}</li>' for i in items)}</ul>"


def executive_html(s: Summary) -> str:
    """The recommendation and one line per policy, best first."""
    level = f"{T.LEVEL:.0%} intervals over replications" if s.tested else "one run per policy: no intervals"
    if s.points > 1:
        level += (f", pooled over the {s.points} parameter points (equal weight; the intervals include the spread "
                  "the parameters cause; per point in the tables below)")
    rows, csv_rows = [], []
    for x in s.lines:
        is_base = x.policy == s.baseline
        diff = "baseline" if is_base else _ci(x.vs_baseline, True, stack=True)
        bdiff = "" if x.burnout_vs_baseline is None else f"<br><span class=ci>{x.burnout_vs_baseline[0]:+.1f} pp</span>"
        hurt = "—" if is_base else "<br>".join(_e(h) for h in x.hurt) or "none"
        rows.append(f"<tr{' class=base' if is_base else ''}><th scope=row>{_e(x.policy)}</th><td>{_ci(x.objective, stack=True)}</td>"
                    f"<td>{diff}</td><td>{_money(x.token_cost)}</td><td>{_money(x.rewards)}</td>"
                    f"<td>{_money(x.penalties)}</td><td>{_ci(x.burnout, stack=True)}{bdiff}</td>"
                    f"<td>{_ci(x.attrition, stack=True)}</td><td class=wrap>{hurt}</td></tr>")
        csv_rows.append([x.policy, *x.objective, *(x.vs_baseline or (np.nan,) * 3), x.token_cost, x.rewards, x.penalties,
                         *x.burnout, *(x.burnout_vs_baseline or (np.nan,) * 3), *x.attrition, "; ".join(x.hurt),
                         x.wins, s.pairs])
    header = ["policy", "objective", "lower", "upper", "difference", "difference_lower", "difference_upper",
              "token_cost_usd_per_year", "rewards_usd_per_year", "penalties_usd_per_year", "burnout_pct_end", "lower",
              "upper", "burnout_difference_pp", "lower", "upper", "attrition_pct", "lower", "upper", "divisions_hurt",
              "best_in_replications", "of_replications"]
    margins = f"at least {HURT_VALUE_SHARE:.0%} less value or {HURT_BURNOUT_PP:g} percentage point more burnout"
    hurt_rule = f"{margins}, with an interval that excludes 0" if s.tested else f"{margins} (one run: untested)"
    money = s.unit == "USD per year"
    return (f"<div class=verdict>{recommendation_html(s)}</div>"
            f"<div class=scroll><table class='numbers exec'><thead><tr><th>policy</th>"
            f"<th>{_e(s.objective)}<br><span class=unit>{_e(s.unit)}</span></th>"
            f"<th>paired difference from {_e(s.baseline)}<br><span class=unit>{_e(s.unit)}</span></th>"
            f"<th>token cost<br><span class=unit>USD/year</span></th><th>rewards paid<br><span class=unit>USD/year"
            f"</span></th><th>penalties<br><span class=unit>USD/year</span></th><th>burnt out at the end<br>"
            f"<span class=unit>% (vs baseline)</span></th><th>attrition<br><span class=unit>% of staff</span></th>"
            f"<th>divisions hurt<br><span class=unit>vs baseline</span></th></tr></thead>"
            f"<tbody>{''.join(rows)}</tbody></table></div>"
            f"<p class=tablenote>Best first; {level}"
            + (f"; {S.DAYS_PER_YEAR}-day years; net value = true value − token cost − rewards paid + penalties"
               if money else "; this file predates the net value, so policies are ranked by true value") +
            f". A division is hurt when its true value per employee is lower or its share burnt out higher than under "
            f"the baseline by {hurt_rule}. {_csv_link('executive_summary.csv', header, csv_rows)}</p>")


EXECUTIVE_CSS = """
.verdict { border: 1px solid var(--line); border-left: 5px solid #16324f; background: #f7fafc; padding: 12px 18px 6px;
           margin: 8px 0 14px; max-width: 72em; }
.verdict p.headline { font-size: 16.5px; line-height: 1.45; margin: 2px 0 8px; }
.verdict ul { margin: 4px 0 8px; padding-left: 20px; }
.verdict li { margin: 3px 0; }
.tag { display: inline-block; font-size: 12px; font-weight: 700; text-transform: uppercase; letter-spacing: .04em;
       padding: 1px 8px; border-radius: 3px; background: #6e7781; color: #fff; vertical-align: 2px; margin-right: 4px; }
.tag.good { background: #1a7f37; } .tag.unsure { background: #9a6700; }
table.exec td.wrap { white-space: normal; min-width: 12em; max-width: 22em; text-align: left; font-size: 12.5px; }
table.exec td, table.exec th { padding: 6px 9px; }
table.exec tbody td:nth-child(2) { font-weight: 600; }
table.exec tr.base th, table.exec tr.base td { background: #f2f4f7; }
table.exec thead th { vertical-align: bottom; }
table.exec thead th:last-child { text-align: left; }
.hidden-list { color: var(--muted); font-size: 13.5px; }
"""


def executive_section(ds) -> Section | None:
    """The executive summary, the report's first section (None for a file without finished runs)."""
    s = executive_summary(ds)
    if s is None:
        return None
    sec = Section("executive", "Executive summary", short="Summary",
                  intro="What the numbers support, for a decision: each policy's net value to the organisation per "
                        "year (true value produced minus what the policy costs in tokens and rewards, plus the "
                        "penalties it collects), its difference from the baseline on the same people, tasks and luck, "
                        "what it pays, the burnout it leaves and the divisions that bear it. Details follow below.")
    sec.tables.append(executive_html(s))
    return sec


# ------------------------------------------------------------------- pivoted sweep tables, order

PIVOT_CSS = """
table.pivot th.grp { text-align: center; border-left: 2px solid var(--line); }
table.pivot td.first, table.pivot th.first { border-left: 2px solid var(--line); }
table.pivot th.param { text-align: left; }
table.pivot thead tr + tr th { text-align: right; }
"""


def pivot_html(ds, out: str, t, scale: float) -> str:
    """A sweep's comparison table with several parameter points, pivoted so that it reads as a grid:
    with two parameters on a full grid, the first's values are the rows and the second's the columns,
    one block of columns per policy; otherwise one row per point (a column per parameter) and one
    column per policy. The baseline's block gives its mean (shown once), every other policy's its
    paired difference from the baseline at the same point. '' for a table of one point."""
    row = S.COMPARISON_ROW_DIM
    pts = [int(p) for p in t[S.POINT].values]
    if len(set(pts)) < 2:
        return ""
    base = t.attrs.get("baseline")
    pols = list(dict.fromkeys(str(p) for p in t[S.POLICY].values))
    if base in pols:
        pols = [base] + [p for p in pols if p != base]
    params = R.parameters(ds)
    values = {}
    for k in sorted(set(pts)):
        try:
            values[k] = R.point_values(ds, k)
        except KeyError:  # every run of the point failed
            values[k] = {p: np.nan for p in params}
    lim = bounds_of(out)
    cells = {}
    for i in range(t.sizes[row]):
        def g(c, i=i):
            return float(t[c].values[i]) * scale if c in t else np.nan
        pol = str(t[S.POLICY].values[i])
        text = (fmt_interval(*bounded((g("mean"), g("lower"), g("upper")), lim)) if pol == base
                else fmt_interval(g("difference"), g("difference_lower"), g("difference_upper")))
        failed = int(t["n_failed"].values[i]) if "n_failed" in t else 0
        cells[(pol, pts[i])] = text + (f" <span class=bad>({failed} failed)</span>" if failed else "")

    def head(p):
        return f"{_e(p)} <span class=unit>({'mean' if p == base else 'difference'})</span>"

    short = [T.short_parameter(p) for p in params]
    if len(params) == 2:
        a_vals = sorted({v[params[0]] for v in values.values()})
        b_vals = sorted({v[params[1]] for v in values.values()})
        grid = {(v[params[0]], v[params[1]]): k for k, v in values.items()}
        if len(grid) == len(values) == len(a_vals) * len(b_vals):
            top = "".join(f"<th class=grp colspan={len(b_vals)}>{head(p)}</th>" for p in pols)
            sub = "".join(f"<th{' class=first' if j == 0 else ''}>{b:.4g}</th>"
                          for _ in pols for j, b in enumerate(b_vals))
            body = "".join(
                f"<tr><th scope=row>{a:.4g}</th>"
                + "".join(f"<td{' class=first' if j == 0 else ''}>{cells.get((p, grid[(a, b)]), 'n/a')}</td>"
                          for p in pols for j, b in enumerate(b_vals)) + "</tr>" for a in a_vals)
            return (f"<div class=scroll><table class='numbers pivot'><thead><tr><th rowspan=2 class=param>"
                    f"{_e(short[0])} ↓ · {_e(short[1])} →</th>{top}</tr><tr>{sub}</tr></thead><tbody>{body}</tbody>"
                    "</table></div>")
    order = sorted(values, key=lambda k: tuple(values[k][p] for p in params))
    phead = "".join(f"<th class=param title='{_e(p)}'>{_e(s)}</th>" for p, s in zip(params, short))
    body = "".join(
        "<tr>" + "".join(f"<td>{values[k][p]:.4g}</td>" for p in params)
        + "".join(f"<td{' class=first' if j == 0 else ''}>{cells.get((p, k), 'n/a')}</td>" for j, p in enumerate(pols))
        + "</tr>" for k in order)
    table = (f"<div class=scroll><table class='numbers pivot'><thead><tr>{phead}"
             + "".join(f"<th{' class=first' if j == 0 else ''}>{head(p)}</th>" for j, p in enumerate(pols))
             + f"</tr></thead><tbody>{body}</tbody></table></div>")
    if len(order) > 24:
        table = f"<details><summary>{len(order)} parameter points</summary>{table}</details>"
    return table


SENSITIVITY_LABELS = {"mu_star": "μ*", "mu": "μ", "sigma": "σ"}


def sorted_sensitivity(tables: dict) -> dict:
    """Sensitivity tables with the most influential parameter first: Morris by μ* (mu_star), Sobol
    by the total index ST (NaN last)."""
    out = {}
    for k, t in tables.items():
        key = "mu_star" if "mu_star" in t else "ST" if "ST" in t else None
        if key is None:
            out[k] = t
            continue
        v = np.asarray(t[key].values, dtype=float)
        order = np.argsort(-np.where(np.isfinite(v), v, -np.inf), kind="stable")
        out[k] = t.isel({S.SENSITIVITY_PARAMETER_DIM: order})
    return out


def hide_empty(sections: list[Section]) -> list[Section]:
    """The sections with something to show (a figure or a table), and those whose data the file has
    but which cannot be read (a damaged file is said where it shows). Each one left out that says why
    (its note: what the file lacks and how to get it) is listed under 'Not in this file' in the
    provenance."""
    shown, missing = [], []
    for s in sections:
        if s.id == "provenance" or s.figures or any(s.tables) or s.damaged:
            shown.append(s)
        elif s.note:
            missing.append(f"<li><b>{_e(s.title)}</b>: {s.note}</li>")
    prov = next((s for s in shown if s.id == "provenance"), None)
    if missing and prov is not None:
        prov.tables.append(f"<h4>Not in this file</h4><ul class=hidden-list>{''.join(missing)}</ul>")
    return shown


# ----------------------------------------------------------------------------------------- figures


def _png_size(png: bytes) -> tuple[int, int]:
    return struct.unpack(">II", png[16:24])


def _render(fig) -> tuple[bytes, int, int]:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=P.DPI * 1.35, bbox_inches="tight", pad_inches=0.12)
    P.plt.close(fig)
    png = buf.getvalue()
    w, h = _png_size(png)
    return png, w, h


def describe(ds) -> str:
    """One line about the file: runs, policies, points, replications, days, people; for a calibration,
    how many targets the chosen point reproduces within two standard errors."""
    prov = R.provenance(ds)
    scen = prov.scenario or {}
    people = (scen.get("organisation") or {}).get("employees")
    n_pol, n_pts, reps = len(R.policies(ds)), len(R.points(ds)), R.replications(ds)
    what = f"{ds.sizes[S.RUN]} runs" if R.is_sweep(ds) else f"{n_pol} policies, one run each"
    if R.is_calibration(ds):
        try:
            cal = R.calibration(ds)
        except (ValueError, KeyError, OSError):
            cal = {}
        what = "calibration"
        if cal:
            what += f": {_within_text(calibration_counts(cal))}"
        what += (f"; {ds.sizes[S.RUN]} runs at the chosen point = {n_pol} polic{'ies' if n_pol != 1 else 'y'} × {reps} "
                 f"replication{'s' if reps != 1 else ''}")
    elif R.is_sweep(ds):
        what += f" = {n_pts} parameter point{'s' if n_pts != 1 else ''} × {n_pol} polic{'ies' if n_pol != 1 else 'y'} × {reps} replication{'s' if reps != 1 else ''}"
    extra = f", {people:,} employees" if isinstance(people, int) else ""
    return f"{what}; {ds.sizes[S.DAY]} days{extra}"


def build_sections(ds, goodhart_days=None) -> tuple[list[Section], list[str]]:
    """Every section of the report with its figures (rendered) and tables; and the warnings."""
    warnings = []
    ok = R.ok_runs(ds)
    if not ok.all():
        bad = np.flatnonzero(~ok)
        msgs = []
        if S.ERROR in ds.coords:
            msgs = [f"run {int(r)} ({ds[S.POLICY].values[r]}): {ds[S.ERROR].values[r] or 'not written'}" for r in bad[:5]]
        warnings.append(f"{bad.size} of {ok.size} runs failed or were not written; they are left out of every plot and "
                        "table. " + "; ".join(msgs))
    band = P.band_note(ds)
    days = ds.sizes[S.DAY]
    weekly = days >= 2 * S.DAYS_PER_WEEK
    per = ("Each point is a week: per-employee values are means over the week's working days, totals are per week. "
           if weekly else "Daily values (the horizon is shorter than two weeks). ")
    cmp_tables = R.comparison(ds)
    sens_tables = sorted_sensitivity(R.sensitivity(ds))

    def fig(name, title, caption, make):
        f = make(ds)
        if f is None:
            return None
        png, w, h = _render(f)
        return Figure(name, title, caption, png, w, h)

    calibrated = R.is_calibration(ds)
    sections = [calibration_executive(ds) if calibrated else executive_section(ds)]
    s = Section("summary", "Key numbers",
                intro=("Over the whole horizon (days 0-" + str(days - 1) + "); values 'at the end' are those of the last "
                       "working day. " + ("Brackets: 95% confidence interval over replications." if R.replications(ds) > 1
                                          and not T.pooled_over_points(ds) else "")))
    s.tables.append(key_numbers_html(ds))
    s.tables.append(money_html(ds))
    sections.append(s)

    s = Section("productivity", "Productivity: true and measured value", short="Productivity",
                intro="True value is what people really produce; measured value is what the outcome metric reports "
                      "(noisy and gameable). Both on one scale, so that a measured value drifting above the true one "
                      "shows as a gap between the panels.")
    s.figures.append(fig("productivity", "True and measured value per employee", per + band, P.productivity))
    sections.append(s)

    s = Section("burnout", "Burnout",
                intro="Maslach Burnout Inventory scales (0-6). 'Burnt out' is exhaustion at or above the scenario's "
                      "wellbeing.burnout_threshold.")
    s.figures.append(fig("burnout", "Exhaustion, cynicism and the share burnt out", per + band, P.burnout))
    sections.append(s)

    s = Section("tokens", "Tokens and their cost", short="Tokens",
                intro="Productive tokens do real work; rework tokens regenerate output with caught errors; "
                      "performative tokens pad the usage dashboard (by hand or by script, weekends included).")
    s.figures.append(fig("tokens", "Tokens per week by category, and their cost", per + band, P.tokens))
    s.figures.append(fig("token_totals", "Total tokens by category over the horizon",
                         "Bars: tokens over the whole horizon (mean over the runs of each line), stacked by category; "
                         "labels: the total cost and the performative share.", P.token_totals))
    sections.append(s)

    saved = "time_saved_per_fte" in ds
    s = Section("labour", "Invisible labour",
                intro="Hours the usage dashboard does not show: checking AI output, and cleaning up its errors "
                      "(own errors found late, and workslop received from colleagues)"
                      + (", beside the time AI saves (manual-equivalent hours of the work done minus the hours it "
                         "took; negative where AI slows the work), gross and net of review and clean-up, which take part of it back."
                         if saved else "."))
    s.figures.append(fig("labour", "Clean-up and verification hours per employee" + (", and time saved" if saved else ""),
                         per + band, P.invisible_labour))
    sections.append(s)

    s = Section("attrition", "Attrition",
                intro="Everyone who quits is replaced at once by a less skilled hire; the curve counts quits since day 0.")
    s.figures.append(fig("attrition", "Cumulative quits", "Quits since day 0 as a percentage of the mean headcount. "
                         + band, P.attrition))
    sections.append(s)

    s = Section("divisions", "Per division", short="Divisions",
                intro="The same quantities within each division: where a policy's costs fall (pressure that "
                      "trickles down to administrative staff, clean-up where AI is used outside its frontier).")
    s.figures.append(fig("divisions", "True value, burnout, clean-up and padding per division",
                         per + band + " Rows share their scale.", P.divisions))
    s.tables.append(divisions_html(ds))
    if s.figures[-1] is None:
        s.note = ("This file has no per-division series. Set <code>output: {per_unit: true}</code> in the scenario "
                  "(the default) to write them.")
    sections.append(s)

    s = Section("goodhart", "Goodhart diagnostics", short="Goodhart",
                intro="When a measure becomes a target it ceases to be a good measure: the correlation across people "
                      "between the KPI and the true value they produce falls, reported value drifts from true value, "
                      "and performative activity earns a growing share of the KPI.")
    s.figures.append(fig("goodhart", "KPI-value correlation, reported-vs-true gap and performative share of the KPI",
                         per + band + " A correlation of NaN (a gap in the line) means the KPI did not vary across "
                         "people.", P.goodhart_series))
    scatter = fig("goodhart_scatter", "KPI vs true value across people",
                  "Each dot is one sampled employee (output.snapshot_sample) in the first run of each policy: the KPI "
                  "they score against the true value they produce (moving averages). 'Sample r' is the correlation "
                  "in the sample, 'everyone r' the whole workforce's that day. Crosses run padding scripts.",
                  lambda d: P.goodhart_scatter(d, goodhart_days))
    if scatter is None:
        s.note = ("This file has no agent snapshots, so the KPI-vs-value scatter across people is not shown. Add "
                  "<code>output: {snapshot_every: 14, snapshot_sample: 200}</code> to the scenario to write them.")
    s.figures.append(scatter)
    sections.append(s)

    s = Section("comparison", "Policy comparison", short="Comparison")
    if calibrated:
        s.note = ("A calibration fits the model's parameters to evidence; it does not compare policies. Compare them at "
                  "the fitted values with <code>kpisim sweep</code> (replications paired by common random numbers).")
    elif cmp_tables:
        first = next(iter(cmp_tables.values()))
        lvl = first.attrs.get("level", 0.95)
        s.intro = (f"Each run is summarised by its mean over {_e(first.attrs.get('window', ''))} (every day of the "
                   "window, weekends included, as <code>kpisim compare</code> does: per-day values are lower than the "
                   "per-working-day values above); the table gives the "
                   f"mean over replications and the <b>paired</b> difference from the baseline "
                   f"<b>{_e(first.attrs.get('baseline', ''))}</b> (same people, tasks and luck in replication k of every "
                   f"policy: common random numbers), with {lvl:.0%} intervals. The unpaired (Welch) interval shows what "
                   "the same comparison would give without common random numbers.")
        s.figures.append(fig("comparison", "Paired differences from the baseline",
                             "Dots and coloured bars: mean paired difference and its interval; grey: the unpaired "
                             "interval. An interval that does not cross 0 is a difference the replications resolve.",
                             lambda d: P.comparison_chart(d, cmp_tables)))
        s.tables.append(comparison_html(ds, cmp_tables))
    else:
        base = R.baseline(ds)
        s.intro = (f"Each policy against <b>{_e(base)}</b> (the first policy), over the whole horizon: mean over working "
                   "days, value at the end, or total. All policies ran on the same people, tasks and luck (common "
                   "random numbers), so the differences are the policies'. This file has one replication per policy: "
                   "for intervals, run the scenario's policies as an experiment with <code>kpisim sweep</code> "
                   "(docs/experiments.md).")
        s.figures.append(fig("comparison", "Change from the baseline", "Percentage change of each policy's number "
                             f"from {_e(base)}'s (mean over the runs of each line).", P.change_chart))
        if s.figures[-1] is None:
            s.intro = ""
            s.note = "Only one policy in this file: nothing to compare."
    sections.append(s)

    s = Section("sensitivity", "Sensitivity analysis", short="Sensitivity")
    if sens_tables:
        method = next(iter(sens_tables.values())).attrs.get("method", "")
        s.intro = ("How much of each output's variation each parameter explains. Sobol: S1 is the share of variance due "
                   "to the parameter alone, ST including its interactions; error bars are bootstrap intervals (with "
                   "few design rows they are wide and can cross 0 or 1). Morris: μ* ranks influence, σ signals "
                   "interactions or non-linearity. The most influential parameter comes first (by μ*, or by ST). "
                   f"Method: {_e(method)}.")
        s.figures.append(fig("sensitivity", "Sensitivity indices", "One panel per output and policy.",
                             lambda d: P.sensitivity_chart(sens_tables)))
        s.tables.append(sensitivity_html(sens_tables))
    else:
        s.note = ("No sensitivity indices in this file: an experiment with <code>design: {type: saltelli}</code> "
                  "(Sobol indices) or <code>{type: morris}</code> writes them (docs/experiments.md).")
    sections.append(s)

    sections.append(robust_section(ds, fig))
    sections.append(optimisation_section(ds))
    sections.append(calibration_section(ds, fig))
    sections.append(identifiability_section(ds, fig))

    s = Section("parameters", "Outputs against the varied parameters", short="Parameters")
    params = R.parameters(ds)
    if calibrated:
        s.note = ("A calibration's runs are all at the chosen point (its values are in the section Calibration), so "
                  "there is nothing to plot against the parameters; the search's evaluations are there too.")
    elif params:
        exp = R.provenance(ds).experiment or {}
        outs = ((exp.get("analysis") or {}).get("outputs") if isinstance(exp, dict) else None) or \
            ["true_value_per_fte", "burnout_share"]
        first_day, last_day = R.analysis_window(ds)
        s.intro = f"Each dot is one run: its mean over days {first_day}-{last_day} against a parameter's value."
        s.figures.append(fig("parameters", "Outputs against parameters", "Rows: the experiment's outputs (at most "
                             "four); columns: the varied parameters; colours: policies.",
                             lambda d: P.parameter_response(d, outs)))
    else:
        s.note = "No parameters were varied in this file."
    sections.append(s)

    prov = R.provenance(ds)
    s = Section("provenance", "Provenance",
                intro="Where these results come from. The resolved scenario reproduces them with the same engine "
                      "version: <code>kpisim run</code> on it gives bit-identical data.")
    s.tables.append(provenance_html(ds, prov, prov.sha256()))
    sections.append(s)

    for sec in sections:
        if sec is not None:
            sec.figures = [f for f in sec.figures if f is not None]
    return hide_empty([sec for sec in sections if sec is not None]), warnings


# -------------------------------------------------------------------------------------------- HTML

CSS = """
:root { --fg: #1f2328; --muted: #57606a; --line: #d0d7de; --bg2: #f6f8fa; --accent: #0b5cad; }
* { box-sizing: border-box; }
body { margin: 0; color: var(--fg); background: #fff; font: 15px/1.5 system-ui, -apple-system, "Segoe UI",
       "DejaVu Sans", Roboto, sans-serif; }
header { background: #16324f; color: #fff; padding: 22px 32px 18px; }
header h1 { margin: 0 0 4px; font-size: 26px; }
header p { margin: 2px 0; color: #d6e2ef; }
header code { color: #fff; }
nav { position: sticky; top: 0; z-index: 1; background: #fff; border-bottom: 1px solid var(--line);
      padding: 8px 32px; font-size: 14px; display: flex; flex-wrap: wrap; gap: 2px 16px; }
nav a { color: var(--accent); text-decoration: none; white-space: nowrap; }
nav a:hover { text-decoration: underline; }
main { max-width: 1160px; margin: 0 auto; padding: 8px 32px 40px; }
section { padding-top: 12px; border-bottom: 1px solid var(--line); padding-bottom: 16px; scroll-margin-top: 44px; }
h2 { font-size: 21px; margin: 14px 0 6px; }
h3 { font-size: 16px; margin: 18px 0 4px; }
h4 { font-size: 15px; margin: 16px 0 4px; }
p.intro { color: var(--muted); margin: 4px 0 10px; max-width: 62em; }
figure { margin: 10px 0 18px; }
figure img { display: block; max-width: 100%; height: auto; border: 1px solid #eaeef2; }
figcaption { color: var(--muted); font-size: 13.5px; margin-top: 4px; max-width: 62em; }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; font-size: 13.5px; margin: 6px 0; }
th, td { padding: 5px 10px; border-bottom: 1px solid #e6e9ec; text-align: right; vertical-align: top; }
td { white-space: nowrap; }
thead th { background: var(--bg2); border-bottom: 2px solid var(--line); text-align: right; }
th[scope=row], thead th:first-child { text-align: left; font-weight: 600; }
tbody tr:nth-child(even) { background: #fafbfc; }
table.prov th, table.prov td { text-align: left; }
table.prov code { white-space: pre-wrap; word-break: break-all; }
.unit, .ci { color: var(--muted); font-weight: normal; }
.bad { color: #b42318; }
.note { background: #fff8e6; border-left: 4px solid #e6a700; padding: 8px 12px; margin: 10px 0; max-width: 62em; }
.warn { background: #fdecea; border-left: 4px solid #b42318; padding: 8px 12px; margin: 12px 0; }
.tablenote { font-size: 13px; margin: 2px 0 10px; }
a.csv { color: var(--accent); }
details { margin: 8px 0; }
summary { cursor: pointer; color: var(--accent); font-weight: 600; }
pre { background: var(--bg2); border: 1px solid var(--line); padding: 10px 12px; overflow: auto; max-height: 34em;
      font-size: 12.5px; line-height: 1.4; }
footer { color: var(--muted); font-size: 13px; max-width: 1160px; margin: 0 auto; padding: 0 32px 30px; }
@media print { nav { display: none; } section { break-inside: avoid-page; } pre { max-height: none; } }
"""

# Nothing may load but inline styles and data: images: the report works offline, and a browser
# refuses anything else even if a results file smuggled markup into a name (names are escaped too).
CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'"


def render_html(ds, sections: list[Section], warnings: list[str], title: str | None = None) -> str:
    """The report page as one HTML string (images as data: URIs)."""
    prov = R.provenance(ds)
    name = prov.attrs.get("scenario_name", "") or Path(prov.path).stem
    title = title or f"KPISim report: {name}"
    kind = "sweep" if R.is_sweep(ds) else "calibration" if R.is_calibration(ds) else "run"
    now = _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    nav = "".join(f'<a href="#{s.id}">{_e(s.short or s.title)}</a>' for s in sections)
    body = []
    for w in warnings:
        body.append(f'<div class=warn role=alert>{_e(w)}</div>')
    for s in sections:
        parts = [f'<section id="{s.id}"><h2>{_e(s.title)}</h2>']
        if s.intro:
            parts.append(f"<p class=intro>{s.intro}</p>")
        if s.id in ("executive", "summary", "provenance"):
            parts.extend(s.tables)
        for f in s.figures:
            b64 = base64.b64encode(f.png).decode()
            css_w = round(f.width_px / 1.35 * 96 / P.DPI)  # CSS pixels at the plots' nominal size
            parts.append(f'<figure id="fig-{f.name}"><h3>{_e(f.title)}</h3>'
                         f'<img src="data:image/png;base64,{b64}" alt="{_e(f.title)}" width="{css_w}" '
                         f'height="{round(css_w * f.height_px / f.width_px)}">'
                         f"<figcaption>{f.caption}</figcaption></figure>")
        if s.note:
            parts.append(f"<p class=note>{s.note}</p>")
        if s.id not in ("executive", "summary", "provenance"):
            parts.extend(s.tables)
        parts.append("</section>")
        body.append("".join(parts))
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{CSP}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="kpisim_analysis {__version__}">
<title>{_e(title)}</title>
<style>{CSS}{EXECUTIVE_CSS}{PIVOT_CSS}{CALIBRATION_CSS}</style>
</head>
<body>
<header>
<h1>{_e(title)}</h1>
<p>{_e(describe(ds))} · {kind} file <code>{_e(Path(prov.path).name)}</code></p>
<p>KPISim {_e(prov.attrs.get('engine_version', '?'))} (commit <code>{_e(prov.attrs.get('git_commit', '?'))}</code>),
seed {_e(prov.attrs.get('seed', '?'))}, written {_e(prov.attrs.get('created_utc', '?'))}</p>
</header>
<nav aria-label="sections">{nav}</nav>
<main>
{''.join(body)}
</main>
<footer>Generated {now} by kpisim_analysis {__version__} from <code>{_e(prov.path)}</code>.
Plots are also in this folder as PNG files. Schema: docs/output-schema.md; this report: docs/report.md.</footer>
</body>
</html>
"""


def _write_atomic(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        tmp.write_bytes(data)
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def write_report(results, out_dir, *, force: bool = False, goodhart_days=None, title: str | None = None,
                 log=None) -> Path:
    """Writes the PNG plots and report.html for a results file into out_dir (created if needed).

    results: a path, or a dataset from open_results. An existing report.html in out_dir is refused
    (ReportExistsError) unless force is True; PNGs of the same names are then replaced. Returns the
    path of report.html. Raises ResultsFileError for a file that is not a KPISim results file.
    """
    ds = results if not isinstance(results, (str, os.PathLike)) else R.open_results(results)
    out = Path(out_dir)
    page = out / REPORT_NAME
    if page.exists() and not force:
        raise ReportExistsError(f"{page} exists; use --force to replace it")
    out.mkdir(parents=True, exist_ok=True)
    sections, warnings = build_sections(ds, goodhart_days)
    for s in sections:
        for f in s.figures:
            _write_atomic(out / f"{f.name}.png", f.png)
            if log:
                log(f"wrote {out / (f.name + '.png')}")
    _write_atomic(page, render_html(ds, sections, warnings, title).encode("utf-8"))
    if log:
        log(f"wrote {page}")
    return page
