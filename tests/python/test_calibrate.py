"""`kpisim calibrate` end to end on a small scenario (docs/experiments.md, "Calibration"): it recovers
a parameter from a target the model produced at a known value (identification on common random
numbers), the printed fit, the results file (evaluations, fit, the chosen point's runs), the same
result at any thread count, outputs never clobbered, and bad calibrate sections refused with
file:line:column messages.
"""
import h5py
import numpy as np
import pytest
import xarray as xr
from conftest import calibrate_at_thread_counts

TRUE_FRICTION = 10.0  # behaviour.adoption_friction_usd_per_hour at which the target is produced
FIRST, DAYS = 14, 56

HEAD = """\
name: {name}
base: {base}
policies: [baseline, leaderboard]
baseline: baseline
replications: 3
days: {days}
analysis: {{first_day: {first}}}
parameters:
  behaviour.adoption_friction_usd_per_hour: {param}
"""

CALIBRATE = """\
calibrate:
  targets:
    ai_share:
      policy: baseline
      output: ai_task_share
      value: {value!r}
      se: 0.005
      source: the model at friction {true}
    tokens_per_hour:
      policy: leaderboard
      output: tokens_productive
      plus: [tokens_rework]
      per: hours_per_fte
      value: 1.0
      interval: [0.0, 1.0e9]
      weight: 0
  evaluations: 20
  start_points: 4
"""

# A posterior over the friction and a parameter the baseline's figure does not depend on (the
# leaderboard's prize: the leaderboard's target has weight 0): the first is pinned, the second not.
POSTERIOR = """  policies.leaderboard.prize_usd: {{lower: 100, upper: 10000, scale: log}}
"""


def head(source_dir, name, param):
    return HEAD.format(name=name, base=source_dir / "tests" / "data" / "small_compare.yaml", days=DAYS, first=FIRST, param=param)


@pytest.fixture(scope="module")
def target_value(cli, source_dir, tmp_path_factory):
    """The baseline's ai_task_share at the true friction: a sweep over one point, the same 3 replications."""
    d = tmp_path_factory.mktemp("calibrate_truth")
    exp = d / "truth.yaml"
    exp.write_text(head(source_dir, "truth", f"{{values: [{TRUE_FRICTION}]}}"))
    r = cli("sweep", exp, "-o", d / "truth.h5", "-q", "--no-progress")
    assert r.returncode == 0, r.stderr
    with h5py.File(d / "truth.h5") as f:
        base = [i for i, p in enumerate(f["policy"][()]) if p.decode() == "baseline"]
        share = f["ai_task_share"][()][base, FIRST:DAYS]
    return float(np.mean(np.nanmean(share, axis=1)))


@pytest.fixture(scope="module")
def experiment(source_dir, tmp_path_factory, target_value):
    d = tmp_path_factory.mktemp("calibrate")
    exp = d / "cal.yaml"
    exp.write_text(head(source_dir, "cal", "{lower: 0, upper: 20}") + CALIBRATE.format(value=target_value, true=TRUE_FRICTION))
    return exp


@pytest.fixture(scope="module")
def runs(cli, experiment):
    out = calibrate_at_thread_counts(cli, experiment, experiment.parent, "cal")
    return out


def test_recovers_the_parameter_that_produced_the_target(runs, target_value):
    path, text = runs[1]
    fit = xr.open_dataset(path, engine="h5netcdf", group="calibration/fit")
    ev = xr.open_dataset(path, engine="h5netcdf", group="calibration/evaluations")
    chosen = int(ev.attrs["chosen"])
    x = float(ev["behaviour.adoption_friction_usd_per_hour"].values[chosen])
    assert abs(x - TRUE_FRICTION) < 1.0, x  # the box is [0, 20]; the start (the scenario's 4) is far from it
    assert float(ev["loss"].values[chosen]) == pytest.approx(float(np.nanmin(ev["loss"].values)))
    assert fit["within"].sel(target="ai_share").item() == 1
    assert fit["model"].sel(target="ai_share").item() == pytest.approx(target_value, abs=2 * 0.005)
    assert fit["value"].sel(target="ai_share").item() == pytest.approx(target_value)
    # The interval's se: (upper - lower) / (2 x 1.96); a weight of 0 leaves the target out of the loss.
    assert fit["se"].sel(target="tokens_per_hour").item() == pytest.approx(1e9 / (2 * 1.959963984540054))
    assert fit["contribution"].sel(target="tokens_per_hour").item() == 0
    assert "chosen: behaviour.adoption_friction_usd_per_hour = " in text
    assert "| ai_share | baseline | " in text and "within two standard errors" in text


def test_results_file_holds_the_chosen_points_runs(runs):
    path, _ = runs[1]
    with h5py.File(path) as f:
        assert f.attrs["kind"] == b"calibration" or f.attrs["kind"] == "calibration"
        policies = [p.decode() for p in f["policy"][()]]
        assert policies == ["baseline"] * 3 + ["leaderboard"] * 3  # both targets' policies, 3 replications each
        assert list(f["replication"][()]) == [0, 1, 2, 0, 1, 2]
        assert "calibrate:" in (f.attrs["calibration"].decode() if isinstance(f.attrs["calibration"], bytes) else f.attrs["calibration"])
    ds = xr.open_dataset(path, engine="h5netcdf")
    assert ds["ai_task_share"].shape == (6, DAYS)


def test_same_result_at_any_thread_count(runs):
    for group in ("calibration/evaluations", "calibration/fit"):
        a = xr.open_dataset(runs[1][0], engine="h5netcdf", group=group)
        b = xr.open_dataset(runs[2][0], engine="h5netcdf", group=group)
        xr.testing.assert_identical(a, b)


def test_existing_output_is_not_clobbered_and_dry_run(cli, experiment, runs, tmp_path):
    path, _ = runs[1]
    r = cli("calibrate", experiment, "-o", path, "--no-progress")
    assert r.returncode == 3 and "refusing to overwrite" in r.stderr
    r = cli("calibrate", experiment, "--dry-run", "-o", tmp_path / "x.h5")
    assert r.returncode == 0, r.stderr
    assert "at most 126 runs" in r.stdout and "estimate:" in r.stdout  # (20 + 1) x 2 policies x 3 replications
    assert not (tmp_path / "x.h5").exists()


def test_validate_and_sweep_know_a_calibration(cli, experiment):
    r = cli("validate", experiment)
    assert r.returncode == 0, r.stderr
    assert "OK: calibration 'cal': 1 parameter to 2 targets" in r.stdout
    r = cli("sweep", experiment, "--dry-run")
    assert r.returncode == 2 and "run it with `kpisim calibrate" in r.stderr


@pytest.mark.parametrize("change, message", [
    (("      policy: baseline\n      output: ai_task_share", "      policy: basline\n      output: ai_task_share"),
     "target 'ai_share': policy 'basline' is not among the experiment's policies; did you mean 'baseline'?"),
    (("      se: 0.005\n", "      sd: 0.005\n"), "unknown key 'sd'"),
    (("      se: 0.005\n", ""), "give its uncertainty as `se` or as a 95% `interval: [lower, upper]`"),
    (("output: ai_task_share", "output: ai_task_shares"), "target 'ai_share': "),
    (("per: hours_per_fte", "per: hours_per_ftee"), "target 'tokens_per_hour': "),
    (("  start_points: 4\n", "  start_points: 20\n"), "20 start points leave none of the 20 evaluations"),
    (("interval: [0.0, 1.0e9]", "interval: [1.0e9, 0.0]"), "`interval` must be [lower, upper] with lower < upper"),
])
def test_bad_calibrate_sections_are_refused_with_positions(cli, experiment, tmp_path, change, message):
    text = experiment.read_text()
    assert change[0] in text
    bad = tmp_path / "bad.yaml"
    bad.write_text(text.replace(change[0], change[1], 1))
    r = cli("calibrate", bad, "-o", tmp_path / "bad.h5")
    assert r.returncode == 2, r.stdout + r.stderr
    assert message in r.stderr
    assert f"{bad}:" in r.stderr and ": error: " in r.stderr  # file:line:column: error:
    assert not (tmp_path / "bad.h5").exists()


def test_values_instead_of_a_range_are_refused(cli, source_dir, tmp_path, target_value):
    bad = tmp_path / "values.yaml"
    bad.write_text(head(source_dir, "v", "{values: [1, 2]}") + CALIBRATE.format(value=target_value, true=TRUE_FRICTION))
    r = cli("validate", bad)
    assert r.returncode == 2
    assert "a calibration searches a range: give `lower` and `upper` instead of `values`" in r.stderr


@pytest.fixture(scope="module")
def posterior(cli, source_dir, tmp_path_factory, target_value):
    d = tmp_path_factory.mktemp("calibrate_posterior")
    exp = d / "post.yaml"
    text = head(source_dir, "post", "{lower: 0, upper: 20}") + POSTERIOR.format() + CALIBRATE.format(value=target_value, true=TRUE_FRICTION)
    text = text.replace("  evaluations: 20\n", "  evaluations: 6\n  posterior: {particles: 60, generations: 4}\n").replace(
        "  start_points: 4\n", "  start_points: 2\n")
    exp.write_text(text)
    out = calibrate_at_thread_counts(cli, exp, d, "post")
    return out


def test_posterior_pins_the_parameter_that_matters_and_not_the_other(posterior):
    path, text = posterior[1]
    par = xr.open_dataset(path, engine="h5netcdf", group="calibration/parameters")
    friction = par.sel(parameter="behaviour.adoption_friction_usd_per_hour")
    assert friction["lower"].item() < TRUE_FRICTION < friction["upper"].item()
    assert friction["width_ratio"].item() < 0.3
    prize = par.sel(parameter="policies.leaderboard.prize_usd")
    assert prize["width_ratio"].item() > 0.7  # the baseline's share does not depend on the leaderboard's prize
    post = xr.open_dataset(path, engine="h5netcdf", group="calibration/posterior")
    last = post["generation"].values == post["generation"].values.max()
    assert post["weight"].values[last].sum() == pytest.approx(1.0)
    tolerances = [float(t) for t in post.attrs["tolerances"].split(",")]
    assert tolerances[-1] == pytest.approx(1.0)  # the default min_tolerance: within one standard error (root mean square)
    assert (post["distance"].values[last] <= 1.0).all()
    assert "posterior (ABC-SMC" in text and "width against the prior" in text
    # Which targets respond to which parameters, over the prior's sample: the baseline's AI share
    # falls with the friction and does not depend on the leaderboard's prize.
    sens = xr.open_dataset(path, engine="h5netcdf", group="calibration/sensitivity")
    assert sens["behaviour.adoption_friction_usd_per_hour"].sel(target="ai_share").item() < -0.8
    assert abs(sens["policies.leaderboard.prize_usd"].sel(target="ai_share").item()) < 0.3
    assert "which targets respond to which parameters" in text


def test_posterior_same_at_any_thread_count(posterior):
    for group in ("calibration/posterior", "calibration/parameters"):
        a = xr.open_dataset(posterior[1][0], engine="h5netcdf", group=group)
        b = xr.open_dataset(posterior[2][0], engine="h5netcdf", group=group)
        xr.testing.assert_identical(a, b)


def test_a_target_sums_and_divides_outputs_run_by_run(runs):
    """tokens_per_hour = (tokens_productive + tokens_rework) / hours_per_fte, window means per run,
    averaged over the replications: recomputed from the chosen point's runs in the file."""
    path, _ = runs[1]
    with h5py.File(path) as f:
        lb = [i for i, p in enumerate(f["policy"][()]) if p.decode() == "leaderboard"]
        window = slice(FIRST, DAYS)
        rework = np.nanmean(f["tokens_rework"][()][lb, window], axis=1)
        num = np.nanmean(f["tokens_productive"][()][lb, window], axis=1) + rework
        den = np.nanmean(f["hours_per_fte"][()][lb, window], axis=1)
    fit = xr.open_dataset(path, engine="h5netcdf", group="calibration/fit")
    assert fit["model"].sel(target="tokens_per_hour").item() == pytest.approx(float(np.mean(num / den)), rel=1e-9)
    assert np.all(rework > 0)  # the sum differs from `output` alone
