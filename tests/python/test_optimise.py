"""`kpisim optimise` end to end on a small scenario (docs/experiments.md, "Optimisation"): the
printed result, the results file (evaluations, comparison, the fresh replications' runs), the
same result at any thread count, outputs never clobbered, and bad optimise files refused with
file:line:column messages.
"""
import os
import re
import subprocess
import tempfile

import h5py
import numpy as np
import pytest
import xarray as xr
import yaml

EXPERIMENT = """\
name: opt
base: {base}
policies: [baseline, leaderboard]
baseline: baseline
replications: 3
parameters:
  policies.leaderboard.prize_usd: {{lower: 100, upper: 10000, scale: log}}
  policies.leaderboard.top_share: {{lower: 0.02, upper: 0.3}}
analysis: {{first_day: 7}}
optimise:
  policy: leaderboard
  goal: maximise
  objective: {{net_value_annual_usd: 1}}
  constraints:
    burnout_share: {{max: 0.9}}
  evaluations: 8
  start_points: 2
  confirm_replications: 3
"""


@pytest.fixture(scope="module")
def experiment(source_dir, tmp_path_factory):
    d = tmp_path_factory.mktemp("optimise")
    exp = d / "opt.yaml"
    exp.write_text(EXPERIMENT.format(base=source_dir / "tests" / "data" / "small_compare.yaml"))
    return exp


@pytest.fixture(scope="module")
def runs(cli, experiment):
    out = {}
    for threads in (1, 2):
        path = experiment.parent / f"opt_t{threads}.h5"
        r = cli("optimise", experiment, "-o", path, "--threads", threads, "--no-progress")
        assert r.returncode == 0, r.stderr
        out[threads] = (path, r.stdout)
    return out


def test_prints_the_result_with_its_uncertainty(runs):
    _, text = runs[1]
    assert "maximise net_value_annual_usd (USD/year) over leaderboard" in text
    assert "subject to mean burnout_share <= 0.9" in text
    assert "chosen: policies.leaderboard.prize_usd = " in text
    assert "on the search's 3 replications" in text
    assert "re-evaluated on 3 fresh replications (3 to 5)" in text
    assert "selection bias (search minus fresh; unpaired, Welch): objective " in text and "gain over the baseline" in text
    assert "verdict (fresh replications):" in text
    assert "baseline 'baseline'" in text and "constraint on burnout_share" in text


def test_results_file_holds_the_search_and_the_fresh_runs(runs):
    path, _ = runs[1]
    with h5py.File(path, "r") as f:
        assert f.attrs["kind"] in (b"optimisation", "optimisation")
        spec = yaml.safe_load(f.attrs["optimisation"])
        assert spec["optimise"]["policy"] == "leaderboard" and spec["optimise"]["evaluations"] == 8
        assert "scenario" in spec and "experiment" not in f.attrs  # not a sweep file
    ev = xr.open_dataset(path, engine="h5netcdf", group="optimisation/evaluations")
    n = ev.sizes["evaluation"]
    assert 3 <= n <= 8
    assert list(ev.stage.values[:3]) == [0, 1, 1]  # the scenario's values, then the Latin hypercube
    assert ev.attrs["goal"] == "maximise" and ev.attrs["algorithm"] == "cobyla"
    chosen = int(ev.attrs["chosen"])
    feasible = ev.feasible.values == 1
    assert feasible[chosen]
    assert ev.objective.values[chosen] == ev.objective.values[feasible].max()
    assert np.all(ev["policies.leaderboard.prize_usd"].values >= 100)
    assert np.all(ev["policies.leaderboard.prize_usd"].values <= 10000)
    # The start is the scenario's own values.
    assert ev["policies.leaderboard.prize_usd"].values[0] == 2000
    assert ev["policies.leaderboard.top_share"].values[0] == 0.1

    cmp = xr.open_dataset(path, engine="h5netcdf", group="optimisation/comparison")
    labels = [str(x) for x in cmp.row.values]
    assert labels[:3] == ["chosen", "start", "baseline"]
    assert labels[-3:] == ["chosen_fresh", "start_fresh", "baseline_fresh"]
    row = {lab: i for i, lab in enumerate(labels)}
    assert cmp.objective.values[row["chosen"]] == ev.objective.values[chosen]
    assert np.isnan(cmp.difference.values[row["chosen"]])
    for lab in ("start", "baseline", "start_fresh", "baseline_fresh"):
        i = row[lab]
        assert cmp.difference_lower.values[i] <= cmp.difference.values[i] <= cmp.difference_upper.values[i]

    # The runs: the fresh replications of the chosen point, the start and the baseline policy.
    ds = xr.open_dataset(path, engine="h5netcdf")
    assert ds.sizes["run"] == 9
    assert list(ds.replication.values) == [3, 4, 5] * 3
    assert list(ds.point.values) == [0] * 3 + [1] * 3 + [2] * 3
    assert list(ds.policy.values) == ["leaderboard"] * 6 + ["baseline"] * 3
    assert np.all(ds.status.values == 0)
    assert np.allclose(ds["policies.leaderboard.prize_usd"].values[:3], ev["policies.leaderboard.prize_usd"].values[chosen])
    # The table's fresh objective is the mean of those runs' window means.
    window = ds.net_value_annual_usd.isel(run=slice(0, 3), day=slice(7, None)).mean("day").values
    assert cmp.objective.values[row["chosen_fresh"]] == pytest.approx(window.mean(), rel=1e-12)
    base_window = ds.net_value_annual_usd.isel(run=slice(6, 9), day=slice(7, None)).mean("day").values
    assert cmp.difference.values[row["baseline_fresh"]] == pytest.approx((window - base_window).mean(), rel=1e-9, abs=1e-6)


def test_same_result_at_any_thread_count(runs):
    a = xr.open_dataset(runs[1][0], engine="h5netcdf", group="optimisation/evaluations")
    b = xr.open_dataset(runs[2][0], engine="h5netcdf", group="optimisation/evaluations")
    for v in a.data_vars:
        assert np.array_equal(a[v].values, b[v].values, equal_nan=True), v
    da = xr.open_dataset(runs[1][0], engine="h5netcdf")
    db = xr.open_dataset(runs[2][0], engine="h5netcdf")
    assert np.array_equal(da.net_value_annual_usd.values, db.net_value_annual_usd.values, equal_nan=True)


def test_existing_output_is_not_clobbered(cli, experiment, runs):
    path, _ = runs[1]
    before = path.read_bytes()
    r = cli("optimise", experiment, "-o", path, "--no-progress")
    assert r.returncode == 3 and "refusing to overwrite" in r.stderr
    assert path.read_bytes() == before


def test_dry_run_prints_the_estimate(cli, experiment, tmp_path):
    r = cli("optimise", experiment, "--dry-run", "-o", tmp_path / "x.h5")
    assert r.returncode == 0, r.stderr
    assert "at most 36 runs" in r.stdout and "estimate:" in r.stdout
    assert not (tmp_path / "x.h5").exists()


def test_validate_and_sweep_know_an_optimisation(cli, experiment):
    r = cli("validate", experiment)
    assert r.returncode == 0, r.stderr
    assert "OK: optimisation 'opt': policy 'leaderboard', 2 parameters (cobyla), up to 8 evaluations" in r.stdout
    r = cli("sweep", experiment, "--dry-run")
    assert r.returncode == 2 and "run it with `kpisim optimise" in r.stderr


@pytest.mark.parametrize("change, message", [
    ("  evaluatons: 8\n", "did you mean 'evaluations'"),
    ("  objective: {net_valu_annual_usd: 1}\n", "net_value_annual_usd"),
    ("  algorithm: bobyqa\n", "constraints need `algorithm: cobyla`"),
    ("  policy: leaderbord\n", "did you mean 'leaderboard'"),
    ("  start_points: 8\n", "leave none of the 8 evaluations"),
])
def test_bad_optimise_sections_are_refused_with_positions(cli, experiment, tmp_path, change, message):
    text = experiment.read_text()
    key = change.split(":")[0]
    lines = [ln for ln in text.splitlines(keepends=True) if not ln.startswith(key + ":")]
    bad = tmp_path / "bad.yaml"
    bad.write_text("".join(lines) + change)
    r = cli("optimise", bad, "-o", tmp_path / "bad.h5")
    assert r.returncode == 2, r.stdout + r.stderr
    assert message in r.stderr
    assert f"{bad}:" in r.stderr and ": error: " in r.stderr  # file:line:column: error:
    assert not (tmp_path / "bad.h5").exists()


def test_values_instead_of_a_range_and_a_design_are_refused(cli, experiment, tmp_path):
    values = tmp_path / "values.yaml"
    values.write_text(experiment.read_text().replace("{lower: 0.02, upper: 0.3}", "{values: [0.05, 0.1]}"))
    r = cli("validate", values)
    assert r.returncode == 2
    assert f"{values}:8:3: error: parameter 'policies.leaderboard.top_share': an optimisation searches a range" in r.stderr
    design = tmp_path / "design.yaml"
    design.write_text(experiment.read_text() + "design: {type: grid}\n")
    r = cli("validate", design)
    assert r.returncode == 2
    assert "an optimisation chooses its own points: remove `design`" in r.stderr


def test_absurd_budget_is_refused_from_the_counts(kpisim, experiment, tmp_path):
    text = experiment.read_text().replace("evaluations: 8", "evaluations: 100000").replace("replications: 3\n", "replications: 100000\n", 1)
    bad = tmp_path / "huge.yaml"
    bad.write_text(text)
    # The peak memory of this child alone (wait4): RUSAGE_CHILDREN would be the largest of every
    # child this test process has waited for, earlier optimisations included.
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        p = subprocess.Popen([str(kpisim), "optimise", str(bad), "-o", str(tmp_path / "huge.h5")], stdout=out, stderr=err)
        _, status, usage = os.wait4(p.pid, 0)
        err.seek(0)
        stderr = err.read().decode("utf-8", "replace")
    assert os.waitstatus_to_exitcode(status) == 2, stderr
    assert "would need up to 10000100009 runs" in stderr and "at most 10000000 are allowed" in stderr
    assert usage.ru_maxrss < 200 * 1024  # refused before anything is built (KiB)



def test_a_budget_over_the_limit_from_a_default_is_placed_at_the_section(kpisim, experiment, tmp_path):
    # Without `evaluations` (the default, 30) the error names the optimise section's position.
    text = "".join(ln for ln in experiment.read_text().splitlines(keepends=True)
                   if not ln.startswith(("  evaluations:", "  start_points:"))).replace("replications: 3\n", "replications: 1000000\n", 1)
    bad = tmp_path / "default.yaml"
    bad.write_text(text)
    r = subprocess.run([str(kpisim), "optimise", str(bad), "--dry-run"], capture_output=True, text=True, check=False)
    assert r.returncode == 2, r.stderr
    before = text[:text.index("  policy: leaderboard")]
    line = before.count("\n") + 1
    assert f"{bad}:{line}:3: error: the optimisation would need up to {(30 + 1) * 1000000 + 3 * 3} runs" in r.stderr, r.stderr


def test_a_quoted_objective_name_cannot_forge_lines(cli, experiment, tmp_path):
    bad = tmp_path / "forged.yaml"
    bad.write_text(experiment.read_text().replace(
        "objective: {net_value_annual_usd: 1}", 'objective: {net_value_annual_usd: 1, "x\\e[31m\\nfake.yaml:1:1: error: forged": 0}'))
    r = cli("validate", bad)
    assert r.returncode == 2
    assert "objective 'x\\x1B[31m\\nfake.yaml:1:1: error: forged': a weight of 0 leaves the output out" in r.stderr, r.stderr
    assert "\x1b" not in r.stderr and not re.search(r"(?m)^fake.yaml", r.stderr)

ENSEMBLE = """\
  uncertain: [workforce.integrity_mean]
  states: 2
"""


def test_optimisation_over_an_ensemble_of_uncertain_parameters(cli, experiment, tmp_path):
    text = experiment.read_text().replace(
        "parameters:\n", "parameters:\n  workforce.integrity_mean: {lower: 0.4, upper: 0.9}\n", 1)
    text = text.replace("evaluations: 8", "evaluations: 4").replace("start_points: 2", "start_points: 1")
    text = text.replace("replications: 3\n", "replications: 2\n", 1).replace("confirm_replications: 3", "confirm_replications: 2")
    exp = tmp_path / "ens.yaml"
    exp.write_text(text + ENSEMBLE)
    out = tmp_path / "ens.h5"
    r = cli("optimise", exp, "-o", out, "--no-progress")
    assert r.returncode == 0, r.stderr
    assert "over the uncertainty: workforce.integrity_mean in [0.4, 0.9]; 2 states of the world" in r.stdout
    assert "2 replications in each of 2 states of the world" in r.stdout
    assert "re-evaluated on 2 fresh replications in each of 2 fresh states of the world (replications 4 to 7)" in r.stdout
    assert "across the 2 fresh states of the world: better than the baseline in" in r.stdout
    ev = xr.open_dataset(out, engine="h5netcdf", group="optimisation/evaluations")
    assert "workforce.integrity_mean" not in ev.data_vars  # not a decision
    assert ev.sizes["evaluation"] <= 4
    ds = xr.open_dataset(out, engine="h5netcdf")
    assert ds.sizes["run"] == 3 * 2 * 2
    assert list(ds.replication.values) == [4, 5, 6, 7] * 3
    integrity = ds["workforce.integrity_mean"].values
    assert len(set(integrity[:4])) == 2 and np.all((integrity >= 0.4) & (integrity <= 0.9))
    assert np.array_equal(integrity[:4], integrity[8:])  # the baseline runs in the same fresh states
    st = xr.open_dataset(out, engine="h5netcdf", group="optimisation/states")
    assert st.sizes["state"] == 2
    assert sorted(st["workforce.integrity_mean"].values) == sorted(set(integrity[:4]))
    # A state's paired difference is the chosen runs' minus the baseline's in that state.
    w = ds.net_value_annual_usd.isel(day=slice(7, None)).mean("day").values
    for s in range(2):
        sel = np.flatnonzero(integrity[:4] == st["workforce.integrity_mean"].values[s])
        assert st.vs_baseline.values[s] == pytest.approx((w[sel] - w[8 + sel]).mean(), rel=1e-9, abs=1e-6)
    # Bad ensembles are refused.
    bad = tmp_path / "bad_ens.yaml"
    bad.write_text(text + "  uncertain: [workforce.integrity_men]\n")
    r = cli("validate", bad)
    assert r.returncode == 2 and "did you mean 'workforce.integrity_mean'" in r.stderr
    bad.write_text(experiment.read_text() + "  states: 4\n")
    r = cli("validate", bad)
    assert r.returncode == 2 and "`states` needs `uncertain`" in r.stderr
