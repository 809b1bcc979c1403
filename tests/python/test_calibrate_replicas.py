"""`kpisim calibrate` with replicas (docs/experiments.md, "Calibration", "Replicas"): a target reads
a study reproduced as a scenario of its own, run with the experiment's parameters, replications and
seed over its own window. The model's figure for a replica is exactly what a sweep of that scenario
at the chosen point gives (the same streams), a parameter is recovered from a replica's target
alone, the results file stores the replica's scenario inline and only the experiment's own runs,
and bad replicas are refused with positions in the file that names them.
"""
import h5py
import numpy as np
import pytest
import xarray as xr
from conftest import calibrate_at_thread_counts

TRUE_FRICTION = 10.0
REPLICA_DAYS, REPLICA_FIRST = 35, 7
PARAM = "behaviour.adoption_friction_usd_per_hour"

EXPERIMENT = """\
name: {name}
base: {base}
replications: 3
days: 56
analysis: {{first_day: 14}}
parameters:
  {param}: {range}
calibrate:
  replicas:
    survey:
      file: {replica}
      first_day: {first}
  targets:
    survey_share:
      replica: survey
      policy: baseline
      output: ai_task_share
      value: {value!r}
      se: 0.005
      source: the replica at friction {true}
    own_hours:
      policy: leaderboard
      output: hours_per_fte
      value: 8.0
      se: 1.0
      weight: 0
  evaluations: 16
  start_points: 4
"""


@pytest.fixture(scope="module")
def replica(source_dir, tmp_path_factory):
    """A second study: the small scenario with another seed, horizon and head-count (its own people)."""
    d = tmp_path_factory.mktemp("replica")
    text = (source_dir / "tests" / "data" / "small_compare.yaml").read_text()
    text = text.replace("seed: 20240601", "seed: 777").replace("days: 84", f"days: {REPLICA_DAYS}").replace(
        "employees: 60", "employees: 45")
    path = d / "survey.yaml"
    path.write_text(text)
    return path


def sweep_window_mean(cli, replica, friction, d):
    """The replica's baseline ai_task_share over its window at `friction`: a sweep of one point."""
    exp = d / "one.yaml"
    exp.write_text(f"name: one\nbase: {replica}\npolicies: [baseline]\nreplications: 3\nparameters:\n"
                   f"  {PARAM}: {{values: [{friction!r}]}}\n")
    out = d / "one.h5"
    if out.exists():
        out.unlink()
    r = cli("sweep", exp, "-o", out, "-q", "--no-progress")
    assert r.returncode == 0, r.stderr
    with h5py.File(out) as f:
        share = f["ai_task_share"][()][:, REPLICA_FIRST:REPLICA_DAYS]
    return float(np.mean(np.nanmean(share, axis=1)))


@pytest.fixture(scope="module")
def truth(cli, replica, tmp_path_factory):
    return sweep_window_mean(cli, replica, TRUE_FRICTION, tmp_path_factory.mktemp("truth"))


def write(path, source_dir, replica, value, name="cal", param_range="{lower: 0, upper: 20}", **extra):
    text = EXPERIMENT.format(name=name, base=source_dir / "tests" / "data" / "small_compare.yaml", param=PARAM, range=param_range,
                             replica=replica, first=REPLICA_FIRST, value=value, true=TRUE_FRICTION)
    for old, new in extra.get("changes", []):
        assert old in text, old
        text = text.replace(old, new, 1)
    path.write_text(text)
    return path


@pytest.fixture(scope="module")
def calibrated(cli, source_dir, replica, truth, tmp_path_factory):
    d = tmp_path_factory.mktemp("calibrate_replicas")
    exp = write(d / "cal.yaml", source_dir, replica, truth)
    out = calibrate_at_thread_counts(cli, exp, d, "cal")
    return exp, out


def test_recovers_the_parameter_from_the_replica(calibrated):
    _, out = calibrated
    path, text = out[1]
    ev = xr.open_dataset(path, engine="h5netcdf", group="calibration/evaluations")
    x = float(ev[PARAM].values[int(ev.attrs["chosen"])])
    assert abs(x - TRUE_FRICTION) < 1.5, x  # the start (the experiment's scenario's 4) is far from it
    fit = xr.open_dataset(path, engine="h5netcdf", group="calibration/fit")
    assert fit["within"].sel(target="survey_share").item() == 1
    assert fit.attrs["window_survey"] == f"days {REPLICA_FIRST} to {REPLICA_DAYS - 1}"
    assert fit.attrs["window"] == "days 14 to 55"
    assert "| survey_share | survey: baseline | " in text
    assert "of the experiment and 1 replica" in text


def test_replica_figure_is_the_sweep_of_its_scenario_at_the_chosen_point(cli, calibrated, replica, tmp_path):
    """The same streams, parameters and window: the figure is reproduced exactly by an independent sweep."""
    _, out = calibrated
    path, _ = out[1]
    ev = xr.open_dataset(path, engine="h5netcdf", group="calibration/evaluations")
    chosen = int(ev.attrs["chosen"])
    x = float(ev[PARAM].values[chosen])
    expected = sweep_window_mean(cli, replica, x, tmp_path)
    assert float(ev["model_survey_share"].values[chosen]) == pytest.approx(expected, rel=1e-12, abs=1e-15)
    fit = xr.open_dataset(path, engine="h5netcdf", group="calibration/fit")
    assert fit["model"].sel(target="survey_share").item() == pytest.approx(expected, rel=1e-12, abs=1e-15)


def test_results_file_keeps_the_experiments_runs_and_the_replica_inline(calibrated):
    _, out = calibrated
    path, _ = out[1]
    with h5py.File(path) as f:
        assert [p.decode() for p in f["policy"][()]] == ["leaderboard"] * 3  # the experiment's own arm only
        assert f["ai_task_share"].shape == (3, 56)
        cal = f.attrs["calibration"]
        cal = cal.decode() if isinstance(cal, bytes) else cal
    assert "replicas:" in cal and "survey:" in cal
    assert "file:" not in cal  # stored resolved, inline: a results file names no file to open
    assert "seed: 777" in cal and f"days: {REPLICA_DAYS}" in cal


def test_same_result_at_any_thread_count(calibrated):
    _, out = calibrated
    for group in ("calibration/evaluations", "calibration/fit"):
        xr.testing.assert_identical(xr.open_dataset(out[1][0], engine="h5netcdf", group=group),
                                    xr.open_dataset(out[2][0], engine="h5netcdf", group=group))


def test_validate_and_dry_run_count_the_replicas_runs(cli, calibrated, tmp_path):
    exp, _ = calibrated
    r = cli("validate", exp)
    assert r.returncode == 0, r.stderr
    assert "1 parameter to 2 targets" in r.stdout and "x 2 policies x 3 replications" in r.stdout
    r = cli("calibrate", exp, "--dry-run", "-o", tmp_path / "x.h5")
    assert r.returncode == 0, r.stderr
    assert "2 policies (of the experiment and 1 replica)" in r.stdout
    assert "at most 102 runs" in r.stdout  # (16 + 1) x 2 arms x 3 replications
    assert not (tmp_path / "x.h5").exists()


@pytest.mark.parametrize("changes, message", [
    ([("      replica: survey\n", "      replica: survey2\n")],
     "target 'survey_share': there is no replica 'survey2' under `calibrate.replicas`; did you mean 'survey'?"),
    ([("      replica: survey\n", "")], "replica 'survey': no target reads it"),
    ([("      policy: baseline\n", "      policy: basline\n")],
     "target 'survey_share': policy 'basline' is not among replica 'survey''s policies; did you mean 'baseline'?"),
    ([(f"      first_day: {REPLICA_FIRST}\n", f"      first_day: {REPLICA_FIRST}\n      last_day: 50\n")],
     f"replica 'survey': the window (days {REPLICA_FIRST} to 50) must lie within its {REPLICA_DAYS} simulated days"),
    ([(f"      first_day: {REPLICA_FIRST}\n", "      first_day: 40\n")], "must lie within its 35 simulated days"),
    ([("      file: ", "      fle: ")], "unknown key 'fle'"),
])
def test_bad_replicas_are_refused_with_positions(cli, source_dir, replica, tmp_path, changes, message):
    bad = write(tmp_path / "bad.yaml", source_dir, replica, 0.5, changes=changes)
    r = cli("calibrate", bad, "-o", tmp_path / "bad.h5")
    assert r.returncode == 2, r.stdout + r.stderr
    assert message in r.stderr
    assert f"{bad}:" in r.stderr and ": error: " in r.stderr
    assert not (tmp_path / "bad.h5").exists()


def test_missing_replica_file_and_parameters_it_lacks_point_at_the_replica(cli, source_dir, replica, tmp_path):
    bad = write(tmp_path / "missing.yaml", source_dir, tmp_path / "nowhere.yaml", 0.5)
    r = cli("validate", bad)
    assert r.returncode == 2
    line = next(i for i, l in enumerate(bad.read_text().splitlines(), 1) if "nowhere.yaml" in l)
    assert f"{bad}:{line}:" in r.stderr and "not found" in r.stderr
    assert "replica 'survey': its scenario" in r.stderr
    # A key path the replica's scenario does not have (a policy it lacks), named at the parameter.
    no_lb = tmp_path / "no_leaderboard.yaml"
    text = replica.read_text()
    cut = text.index("  leaderboard:")
    rest = text[cut:].split("\n")
    end = next(i for i, l in enumerate(rest[1:], 1) if l.startswith("  ") and not l.startswith("    "))
    no_lb.write_text(text[:cut] + "\n".join(rest[end:]))
    bad = write(tmp_path / "lacks.yaml", source_dir, no_lb, 0.5, param_range="{lower: 100, upper: 1000}").read_text()
    bad = bad.replace(f"  {PARAM}:", "  policies.leaderboard.prize_usd:")
    (tmp_path / "lacks.yaml").write_text(bad)
    r = cli("validate", tmp_path / "lacks.yaml")
    assert r.returncode == 2
    assert "replica 'survey': its scenario" in r.stderr and "parameter 'policies.leaderboard.prize_usd'" in r.stderr


def test_only_replicas_read_the_file_keeps_the_first_replicas_runs(cli, source_dir, replica, truth, tmp_path):
    """With no target on the experiment's own scenario, the file's runs are the replica's (its days
    and policies), and the file says so."""
    exp = write(tmp_path / "only.yaml", source_dir, replica, truth, changes=[
        ("    own_hours:\n      policy: leaderboard\n      output: hours_per_fte\n      value: 8.0\n      se: 1.0\n      weight: 0\n", ""),
        ("  evaluations: 16\n  start_points: 4\n", "  evaluations: 3\n  start_points: 1\n")])
    r = cli("calibrate", exp, "-o", tmp_path / "only.h5", "-q", "--no-progress")
    assert r.returncode == 0, r.stderr
    with h5py.File(tmp_path / "only.h5") as f:
        assert [p.decode() for p in f["policy"][()]] == ["baseline"] * 3
        assert f["ai_task_share"].shape == (3, REPLICA_DAYS)
        runs_of = f.attrs["runs_of"]
        assert (runs_of.decode() if isinstance(runs_of, bytes) else runs_of) == "replica survey"
        assert int(f.attrs["seed"]) == 777


def test_as_written_evaluates_the_start_point_only(cli, calibrated, tmp_path):
    exp, out = calibrated
    r = cli("calibrate", exp, "--as-written", "-o", tmp_path / "w.h5", "--no-progress")
    assert r.returncode == 0, r.stderr
    assert "up to 1 evaluation + the chosen point's runs" in r.stdout and "12 runs" in r.stdout  # (1 + 1) x 2 arms x 3
    ev = xr.open_dataset(tmp_path / "w.h5", engine="h5netcdf", group="calibration/evaluations")
    assert ev.sizes["evaluation"] == 1 and int(ev["stage"].values[0]) == 0
    assert float(ev[PARAM].values[0]) == 4.0  # the experiment's scenario's own value (small_compare keeps the default)
    # The same figure the full calibration got for its start (evaluation 0, the same streams).
    full = xr.open_dataset(out[1][0], engine="h5netcdf", group="calibration/evaluations")
    assert float(ev["model_survey_share"].values[0]) == float(full["model_survey_share"].values[0])


def test_too_many_replicas_are_refused_before_any_is_read(cli, source_dir, replica, tmp_path):
    """101 replicas (by YAML aliases of one entry): refused from the count, naming the key."""
    text = write(tmp_path / "many.yaml", source_dir, replica, 0.5).read_text()
    entry = f"    survey:\n      file: {replica}\n      first_day: {REPLICA_FIRST}\n"
    assert entry in text
    many = "    survey: &r\n" + f"      file: {replica}\n      first_day: {REPLICA_FIRST}\n" + "".join(f"    r{i}: *r\n" for i in range(100))
    (tmp_path / "many.yaml").write_text(text.replace(entry, many))
    r = cli("validate", tmp_path / "many.yaml")
    assert r.returncode == 2
    assert "101 replicas; at most 100 are allowed" in r.stderr
