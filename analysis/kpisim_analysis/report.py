"""The report: PNG plots and one self-contained report.html from any KPISim results file.

    write_report("results.h5", "report/")     # -> Path("report/report.html")

The HTML embeds every image (data: URIs) and every table (also as CSV, downloadable from the page);
it has no script, loads nothing from the network, and its Content-Security-Policy forbids any
load but inline styles and data: images, so it opens the same from a USB stick or an e-mail.
Every section is always present; a section whose data the file lacks says so and how to get it.
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
SECTIONS = ("summary", "productivity", "burnout", "tokens", "labour", "attrition", "divisions", "goodhart",
            "comparison", "sensitivity", "robust", "parameters", "provenance")


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
        cells = []
        for g in groups:
            m, lo, hi, _ = T.t_interval(per_run[g.runs])
            cells.append((m, np.nan, np.nan) if pooled else (m, lo, hi))
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
            tds = "".join(f"<td>{fmt_interval(*c) if d is None else fmt_interval(*d)}</td>" for _, c, d in cells)
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
            rows.append(f"<tr><th scope=row>{_e(row)}</th><td>{fmt_interval(r['mean'], r['lower'], r['upper'])}</td>"
                        f"<td>{n}</td><td>{diff}</td><td class=ci>{unp}</td></tr>")
            csv_rows.append([str(t[S.COMPARISON_ROW_DIM].values[i]), *[raw.get(k) for k in S.COMPARISON_COLUMNS]])
        parts.append(
            f"<h4>{_e(label[0].upper() + label[1:])} <span class=unit>({_e(unit)}; {_e(t.attrs.get('window', ''))}; "
            f"{level:.0%} intervals)</span></h4>"
            "<div class=scroll><table class=numbers><thead><tr><th>policy</th><th>mean</th><th>replications</th>"
            f"<th>paired difference from {_e(t.attrs.get('baseline', ''))}</th><th>unpaired interval</th></tr></thead>"
            f"<tbody>{''.join(rows)}</tbody></table></div>"
            f"<p class=tablenote>{_csv_link(f'comparison_{out}.csv', ['row', *S.COMPARISON_COLUMNS], csv_rows)}</p>")
    return "".join(parts)


def sensitivity_html(tables) -> str:
    parts = []
    for (out, pol), t in tables.items():
        cols = [c for c in (*S.SOBOL_COLUMNS, *S.MORRIS_COLUMNS) if c in t]
        head = "".join(f"<th>{_e(c)}</th>" for c in cols)
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


def robust_section(ds, fig) -> Section:
    """The robust comparison (docs/experiments.md, "Robust comparison"): regret per policy over the
    states of the world, satisficing shares, and the PRIM box of the states where each policy loses."""
    s = Section("robust", "Robustness over the states of the world", short="Robustness")
    try:
        rob = R.robust(ds)
    except (ValueError, KeyError, OSError) as err:
        s.note = f"The file's robust group cannot be read: {_e(err)}."
        return s
    if not rob:
        s.note = ("No robust comparison in this file: an experiment with a <code>robust:</code> section and a "
                  "space-filling design (<code>lhs</code> or <code>sobol</code>) over the uncertain parameters writes "
                  "it (docs/experiments.md, \"Robust comparison\").")
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
    """One line about the file: runs, policies, points, replications, days, people."""
    prov = R.provenance(ds)
    scen = prov.scenario or {}
    people = (scen.get("organisation") or {}).get("employees")
    n_pol, n_pts, reps = len(R.policies(ds)), len(R.points(ds)), R.replications(ds)
    what = f"{ds.sizes[S.RUN]} runs" if R.is_sweep(ds) else f"{n_pol} policies, one run each"
    if R.is_sweep(ds):
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
    sens_tables = R.sensitivity(ds)

    def fig(name, title, caption, make):
        f = make(ds)
        if f is None:
            return None
        png, w, h = _render(f)
        return Figure(name, title, caption, png, w, h)

    sections = []
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
    if cmp_tables:
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
                   "few design rows they are wide and can cross 0 or 1). Morris: mu* ranks influence, sigma signals "
                   f"interactions or non-linearity. Method: {_e(method)}.")
        s.figures.append(fig("sensitivity", "Sensitivity indices", "One panel per output and policy.",
                             lambda d: P.sensitivity_chart(sens_tables)))
        s.tables.append(sensitivity_html(sens_tables))
    else:
        s.note = ("No sensitivity indices in this file: an experiment with <code>design: {type: saltelli}</code> "
                  "(Sobol indices) or <code>{type: morris}</code> writes them (docs/experiments.md).")
    sections.append(s)

    sections.append(robust_section(ds, fig))

    s = Section("parameters", "Outputs against the varied parameters", short="Parameters")
    params = R.parameters(ds)
    if params:
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
        sec.figures = [f for f in sec.figures if f is not None]
    return sections, warnings


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
    kind = "sweep" if R.is_sweep(ds) else "run"
    now = _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    nav = "".join(f'<a href="#{s.id}">{_e(s.short or s.title)}</a>' for s in sections)
    body = []
    for w in warnings:
        body.append(f'<div class=warn role=alert>{_e(w)}</div>')
    for s in sections:
        parts = [f'<section id="{s.id}"><h2>{_e(s.title)}</h2>']
        if s.intro:
            parts.append(f"<p class=intro>{s.intro}</p>")
        if s.id in ("summary", "provenance"):
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
        if s.id not in ("summary", "provenance"):
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
<style>{CSS}</style>
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
