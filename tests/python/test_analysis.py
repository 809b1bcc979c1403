"""Checks of the analysis package (analysis/kpisim_analysis): the reader and every plot, on small
results files written in the test run by the real program: a `kpisim run` file (five policies, agent
snapshots), a CRN sweep (2 points x 2 policies x 5 replications, comparison tables) and a Saltelli
sweep (32 points, Sobol tables).

Run with Debian's Python and the package on the path:
    PYTHONPATH=analysis KPISIM_BIN=build/checked/engine/kpisim /usr/bin/python3 -m pytest -q tests/python/test_analysis.py
"""
import struct

import h5py
import matplotlib.figure
import numpy as np
import pytest
import xarray as xr
import yaml

import kpisim_analysis as KA
from kpisim_analysis import plots as P
from kpisim_analysis import results as R
from kpisim_analysis import schema as S
from kpisim_analysis import stats as T
from conftest import HANG_GUARD_S


def test_run_file_reads_with_one_call(small_run, small_scenario):
    ds = KA.open_results(small_run)
    assert isinstance(ds, xr.Dataset)
    assert dict(ds.sizes) == {"run": 5, "day": 84, "unit": 3, "snapshot": 6, "agent": 10}
    assert KA.policies(ds) == ["baseline", "leaderboard", "leadership_kpi", "outcome_audited", "leaderboard_switched_off"]
    assert ds.policy.dtype.kind == "U" and ds.unit.dtype.kind == "U"
    assert not KA.is_sweep(ds) and KA.replications(ds) == 1 and KA.points(ds) == [0]
    assert KA.baseline(ds) == "baseline" and KA.parameters(ds) == []
    assert KA.ok_runs(ds).all() and KA.has_snapshots(ds) and KA.has_units(ds)
    assert KA.analysis_window(ds) == (0, 83)
    assert KA.comparison(ds) == {} and KA.sensitivity(ds) == {}
    # The data are the file's, lazily read.
    with h5py.File(small_run, "r") as f:
        np.testing.assert_array_equal(ds.true_value_per_fte.values, f["true_value_per_fte"][:])


def test_provenance(small_run, small_scenario):
    ds = KA.open_results(small_run)
    prov = KA.provenance(ds)
    for key in ("engine_version", "git_commit", "build_type", "seed", "command_line", "created_utc"):
        assert prov.attrs[key], key
    assert prov.attrs["seed"] == str(yaml.safe_load(small_scenario.read_text())["seed"])
    assert prov.scenario["organisation"]["employees"] == 60 and prov.experiment is None
    assert len(prov.sha256()) == 64


def test_schema_describes_every_daily_variable(small_run):
    """A new engine output must be added to schema.DAILY (aggregation, label, unit) to be plotted right."""
    ds = KA.open_results(small_run)
    # The table describes exactly the variables the engine writes.
    assert set(KA.daily_variables(ds)) == set(S.DAILY), set(KA.daily_variables(ds)) ^ set(S.DAILY)
    assert {v[len(S.SNAP_PREFIX):] for v in ds.data_vars if v.startswith(S.SNAP_PREFIX)} == set(S.SNAPSHOT_VARIABLES)
    for name, info in S.DAILY.items():
        assert info.kind in (S.WORKDAY, S.STATE, S.FLOW), name
        # Percentages are shares or relative gaps, dimensionless in the file.
        assert not info.percent or ds[name].attrs["units"] == "1", name
        # Flows are per-day totals in the file; states are not per day.
        if info.kind == S.FLOW:
            assert ds[name].attrs["units"].endswith("/day"), name
        if info.kind == S.STATE:
            assert not ds[name].attrs["units"].endswith("/day"), name


def test_sweep_file_coordinates_and_comparison(crn_sweep):
    ds = KA.open_results(crn_sweep)
    assert KA.is_sweep(ds) and ds.sizes["run"] == 20
    assert KA.parameters(ds) == ["behaviour.effort_cost"] and KA.points(ds) == [0, 1] and KA.replications(ds) == 5
    assert R.point_values(ds, 1) == {"behaviour.effort_cost": 10.0}
    assert R.point_label(ds, 0) == "effort_cost=6"
    assert KA.baseline(ds) == "baseline" and KA.analysis_window(ds) == (7, 83)
    tables = KA.comparison(ds)
    assert list(tables) == ["true_value_per_fte", "burnout_share", "tokens_performative"]
    t = tables["true_value_per_fte"]
    assert list(t.policy.values) == ["baseline", "leaderboard"] * 2 and list(t.point.values) == [0, 0, 1, 1]
    assert t.attrs["level"] == 0.95 and t.attrs["baseline"] == "baseline"
    # The table's mean is the replications' mean of each run's window mean (stats.window_stat agrees).
    per_run = ds.true_value_per_fte.isel(day=slice(7, None)).mean("day").values  # every day, as the engine
    sel = (ds.policy.values == "leaderboard") & (ds.point.values == 1)
    assert t["mean"].values[3] == pytest.approx(per_run[sel].mean(), rel=1e-12)
    m, lo, hi, n = T.t_interval(per_run[sel])
    assert (lo, hi, n) == (pytest.approx(t["lower"].values[3], rel=1e-9), pytest.approx(t["upper"].values[3], rel=1e-9), 5)
    df = KA.comparison_frame(ds)
    assert len(df) == 12 and {"output", "row", "mean", "difference_lower"} <= set(df.columns)


def test_sensitivity_tables(sobol_sweep):
    ds = KA.open_results(sobol_sweep)
    tables = KA.sensitivity(ds)
    assert set(tables) == {("true_value_per_fte", "leaderboard"), ("burnout_share", "leaderboard")}
    t = tables[("burnout_share", "leaderboard")]
    assert list(t.parameter.values) == ["behaviour.effort_cost", "wellbeing.drain_rate"]
    assert set(S.SOBOL_COLUMNS) <= set(t.data_vars) and "sobol" in t.attrs["method"]
    assert len(KA.points(ds)) == 32 and T.pooled_over_points(ds)


def test_failed_runs_are_dropped_on_request(failed_sweep):
    ds = KA.open_results(failed_sweep)
    assert (~KA.ok_runs(ds)).sum() == 1
    assert KA.open_results(failed_sweep, ok_only=True).sizes["run"] == ds.sizes["run"] - 1
    assert all(3 not in g.runs for g in T.run_groups(ds))


def test_not_a_results_file_is_refused_clearly(tmp_path):
    with pytest.raises(KA.ResultsFileError, match="no such file"):
        KA.open_results(tmp_path / "missing.h5")
    text = tmp_path / "scenario.yaml"
    text.write_text("name: x\n")
    with pytest.raises(KA.ResultsFileError, match="not an HDF5 file"):
        KA.open_results(text)
    other = tmp_path / "other.h5"
    with h5py.File(other, "w") as f:
        f["x"] = np.arange(3)
    with pytest.raises(KA.ResultsFileError, match="not a KPISim results file"):
        KA.open_results(other)
    with pytest.raises(KA.ResultsFileError, match="is a directory"):
        KA.open_results(tmp_path)


def test_weekly_aggregation_and_bands(small_run):
    ds = KA.open_results(small_run)
    x, v = T.weekly(ds, "true_value_per_fte")  # working-day mean
    raw = ds.true_value_per_fte.values
    assert v.shape == (5, 12) and x[0] == 3.0
    np.testing.assert_allclose(v[:, 1], raw[:, 7:12].mean(axis=1))
    _, tok = T.weekly(ds, "tokens_performative")  # weekly total
    np.testing.assert_allclose(tok[:, 2], raw_sum := ds.tokens_performative.values[:, 14:21].sum(axis=1))
    assert raw_sum.max() > 0
    _, share = T.weekly(ds, "burnout_share")  # state, in percent
    np.testing.assert_allclose(share[:, 0], 100 * ds.burnout_share.values[:, 0:7].mean(axis=1))
    mean, band = T.band(v, pooled=False)
    assert band is not None and np.all(band[0] <= mean) and np.all(mean <= band[1])
    assert T.band(v[:1], pooled=False)[1] is None
    assert T.t_interval([1.0, 2.0, 3.0])[1:3] == pytest.approx((-0.4841377, 4.4841377), rel=1e-6)
    assert T.window_stat(ds, "quits", "sum")[0] == pytest.approx(np.nansum(ds.quits.values[0]))


# Every plot on every file: (plot function, files on which it draws; None elsewhere).
PLOTS = {
    "productivity": (P.productivity, {"run", "crn", "sobol"}),
    "burnout": (P.burnout, {"run", "crn", "sobol"}),
    "tokens": (P.tokens, {"run", "crn", "sobol"}),
    "token_totals": (P.token_totals, {"run", "crn", "sobol"}),
    "labour": (P.invisible_labour, {"run", "crn", "sobol"}),
    "attrition": (P.attrition, {"run", "crn", "sobol"}),
    "goodhart": (P.goodhart_series, {"run", "crn", "sobol"}),
    "divisions": (P.divisions, {"run", "crn", "sobol"}),
    "goodhart_scatter": (P.goodhart_scatter, {"run", "crn", "sobol"}),
    "comparison": (lambda ds: P.comparison_chart(ds, KA.comparison(ds)), {"crn"}),
    "change": (P.change_chart, {"run", "crn"}),
    "sensitivity": (lambda ds: P.sensitivity_chart(KA.sensitivity(ds)), {"sobol"}),
    "parameters": (lambda ds: P.parameter_response(ds, ["true_value_per_fte", "burnout_share"]), {"crn", "sobol"}),
}


@pytest.mark.parametrize("kind", ["run", "crn", "sobol"])
@pytest.mark.parametrize("plot", sorted(PLOTS))
def test_every_plot(plot, kind, results_files, tmp_path):
    ds = KA.open_results(results_files[kind])
    make, drawn_on = PLOTS[plot]
    fig = make(ds)
    if kind not in drawn_on:
        assert fig is None
        return
    assert isinstance(fig, matplotlib.figure.Figure)
    texts = [t.get_text() for ax in fig.axes for t in (ax.title, ax.xaxis.label, ax.yaxis.label)]
    assert any(texts), "a plot without titles or axis labels"
    # Every figure names its quantity's axis (with the unit); panels of a grid share their row's and column's.
    assert any(ax.get_ylabel() or ax.get_xlabel() for ax in fig.axes), f"no axis label in {plot}"
    png = tmp_path / f"{plot}.png"
    P.save_figure(fig, png)
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    w, h = struct.unpack(">II", data[16:24])
    assert 500 < w <= 1400 and 200 < h < 3000, (w, h)


def test_goodhart_scatter_days_and_files_without_snapshots(results_files, no_snapshot_run):
    ds = KA.open_results(results_files["run"])
    fig = P.goodhart_scatter(ds, days=[0, 40, 1000])
    assert [ax.get_title().split(":")[0] for ax in fig.axes[:3]] == ["day 13", "day 41", "day 83"]
    assert P.goodhart_scatter(KA.open_results(no_snapshot_run)) is None
    # Bands: one replication gets none and the caption says why.
    assert "no confidence bands" in P.band_note(ds)
    assert "5 replications" in P.band_note(KA.open_results(results_files["crn"]))
    assert "pooled over 32 parameter points" in P.band_note(KA.open_results(results_files["sobol"]))


def test_policy_colours_are_stable_and_the_baseline_grey(results_files):
    ds = KA.open_results(results_files["run"])
    c = P.policy_colours(ds)
    assert c["baseline"] == P.BASELINE_COLOUR and len(set(c.values())) == len(c)
    assert c == P.policy_colours(ds)


def test_morris_tables_and_chart(kpisim, source_dir, tmp_path):
    exp = tmp_path / "morris.yaml"
    exp.write_text(f"name: morris\nbase: {source_dir / 'tests' / 'data' / 'small_compare.yaml'}\n"
                   "policies: [leaderboard]\nreplications: 1\ndays: 28\n"
                   "parameters:\n  behaviour.effort_cost: {lower: 4, upper: 12}\n"
                   "  wellbeing.drain_rate: {lower: 0.02, upper: 0.2}\n"
                   "design: {type: morris, trajectories: 3, levels: 4}\n"
                   "analysis: {outputs: [burnout_share]}\n")
    out = tmp_path / "morris.h5"
    import subprocess
    r = subprocess.run([str(kpisim), "sweep", str(exp), "-o", str(out), "-q", "--no-progress"],
                       capture_output=True, text=True, timeout=HANG_GUARD_S, check=False)
    assert r.returncode == 0, r.stderr
    ds = KA.open_results(out)
    tables = KA.sensitivity(ds)
    assert list(tables) == [("burnout_share", "leaderboard")]
    assert set(S.MORRIS_COLUMNS) <= set(tables[("burnout_share", "leaderboard")].data_vars)
    fig = P.sensitivity_chart(tables)
    assert "Morris" in fig.axes[0].get_xlabel()
    P.save_figure(fig, tmp_path / "morris.png")
    from kpisim_analysis.report import write_report
    text = write_report(ds, tmp_path / "report").read_text()
    assert "<th>μ*</th>" in text and 'id="fig-sensitivity"' in text  # mu_star, shown as μ*


def test_a_variable_the_schema_does_not_know_is_read_from_the_file(small_run, tmp_path):
    """A newer engine's output (not in schema.DAILY) is labelled and aggregated from its attributes."""
    ds = KA.open_results(small_run)
    ds["new_thing_per_fte"] = ds.hours_per_fte.assign_attrs(long_name="a new thing (per employee)", units="h/person/day")
    info = R.variable("new_thing_per_fte", ds)
    assert (info.label, info.kind) == ("a new thing", S.WORKDAY)
    assert S.infer_variable("x", "token/day").kind == S.FLOW and S.infer_variable("x", "0-6").kind == S.STATE
    fig = P.trajectories(ds, ["new_thing_per_fte", "not_in_the_file"])
    assert len([a for a in fig.axes if a.get_visible()]) == 1
    with pytest.raises(KeyError, match="unknown daily variable"):
        R.variable("nonsense")


def test_names_from_the_file_are_text_not_markup(small_run, tmp_path):
    """Policy names are the scenario's keys: '$' or '<' in them must neither break a plot nor the page."""
    ds = KA.open_results(small_run)
    names = ["cost$", "a_b $x", "<b>bold</b>", "outcome", "x&y"]
    ds = ds.assign_coords(policy=("run", names))
    P.save_figure(P.productivity(ds), tmp_path / "p.png")
    from kpisim_analysis.report import write_report
    text = write_report(ds, tmp_path / "rep").read_text()
    assert "<b>bold</b>" not in text and "&lt;b&gt;bold&lt;/b&gt;" in text


# ------------------------------------------------------------- money view and divisions (issue 13)

def test_money_view_of_the_report_from_the_components(results_files):
    """The report's net value per year and its paired differences, recomputed here from the file's
    components (true value, token cost, rewards, penalties) and the replication pairing."""
    from kpisim_analysis import report as REP
    ds = KA.open_results(results_files["crn"])
    days = ds.sizes["day"]
    tv = ds.true_value_per_fte.values * ds.headcount.values
    net = (tv - ds.token_cost_usd.values - ds.rewards_usd.values + ds.penalties_usd.values).sum(axis=1) * 364 / days
    work = ds.day.values % 7 < 5
    per_fte = (tv - ds.token_cost_usd.values - ds.rewards_usd.values + ds.penalties_usd.values).sum(axis=1) / \
        ds.headcount.values[:, work].sum(axis=1)
    np.testing.assert_allclose(REP._key_values(ds, "net_value_usd", "annual"), net, rtol=1e-9)
    np.testing.assert_allclose(REP._key_values(ds, "net_value_usd", "per_work_fte"), per_fte, rtol=1e-9)
    cells = REP.paired(ds, net)
    pol, rep, pts = ds.policy.values, ds.replication.values, ds.point.values
    assert [g.label for g, _, _ in cells] == ["baseline (effort_cost=6)", "baseline (effort_cost=10)",
                                               "leaderboard (effort_cost=6)", "leaderboard (effort_cost=10)"]
    for g, (m, lo, hi), diff in cells:
        k = g.point
        mine = net[(pol == g.policy) & (pts == k)]
        assert m == pytest.approx(mine.mean(), rel=1e-12) and lo < m < hi
        if g.policy == "baseline":
            assert diff is None
            continue
        base = net[(pol == "baseline") & (pts == k)]
        order = np.argsort(rep[(pol == g.policy) & (pts == k)]), np.argsort(rep[(pol == "baseline") & (pts == k)])
        d = mine[order[0]] - base[order[1]]
        assert diff[0] == pytest.approx(d.mean(), rel=1e-9)
        half = (diff[2] - diff[1]) / 2
        assert half == pytest.approx(scipy_t(d.size) * d.std(ddof=1) / np.sqrt(d.size), rel=1e-9)
    html = REP.money_html(ds)
    assert "Money view" in html and "paired difference from baseline" in html
    assert REP.fmt(cells[2][2][0]) in html  # the leaderboard's paired difference, as formatted


def scipy_t(n, level=0.95):
    from scipy import stats as sps
    return sps.t.ppf(0.5 + level / 2, n - 1)


def test_division_table_of_the_report(results_files):
    from kpisim_analysis import report as REP
    ds = KA.open_results(results_files["crn"])
    html = REP.divisions_html(ds)
    for division in ("administration", "consulting", "engineering"):
        assert f"<th scope=row>{division}</th>" in html
    assert "leaderboard (effort_cost=6) (difference)" in html
    # The baseline's true value in consulting at effort_cost=6: mean over replications of the working-day means.
    work = ds.day.values % 7 < 5
    v = ds.unit_true_value_per_fte.values[:, :, 1][:, work].mean(axis=1)
    sel = (ds.policy.values == "baseline") & (ds.point.values == 0)
    assert REP.fmt(v[sel].mean()) in html
    # A file without per-division series gets no table.
    assert REP.divisions_html(ds.drop_vars([n for n in ds.data_vars if n.startswith("unit_")]).drop_dims("unit")) == ""
