"""Policies compared over a calibration's posterior (docs/experiments.md, "Designs from a posterior"):
`design.type: posterior` draws points from the last generation of a `kpisim calibrate` posterior by
systematic resampling of the particles' weights, and the stored experiment lists them
(`design.type: points`) without naming the file; `design.type: points` runs the points given; every
problem is refused at its file:line:column.
"""
import math
import re

import h5py
import numpy as np
import pytest
import xarray as xr

FRICTION = "behaviour.adoption_friction_usd_per_hour"
PRIZE = "policies.leaderboard.prize_usd"

HEAD = """\
name: {name}
base: {base}
policies: [baseline, leaderboard]
baseline: baseline
replications: 2
days: 28
analysis: {{first_day: 7, outputs: [true_value_per_fte, ai_task_share]}}
parameters:
  {friction}: {{lower: 0, upper: 20}}
  {prize}: {{lower: 100, upper: 10000, scale: log}}
"""

CALIBRATE = """\
calibrate:
  targets:
    ai_share: {policy: baseline, output: ai_task_share, value: 0.3, se: 0.02, source: a made-up figure}
  evaluations: 4
  start_points: 2
  posterior: {particles: 24, generations: 2}
"""


def head(source_dir, name):
    return HEAD.format(name=name, base=source_dir / "tests" / "data" / "small_compare.yaml", friction=FRICTION, prize=PRIZE)


@pytest.fixture(scope="module")
def fit(cli, source_dir, tmp_path_factory):
    d = tmp_path_factory.mktemp("design_posterior")
    exp = d / "fit.yaml"
    exp.write_text(head(source_dir, "fit") + CALIBRATE)
    r = cli("calibrate", exp, "-o", d / "fit.h5", "-q", "--no-progress")
    assert r.returncode == 0, r.stderr
    post = xr.open_dataset(d / "fit.h5", engine="h5netcdf", group="calibration/posterior")
    last = post.where(post.generation == post.generation.max(), drop=True)
    return d, last


def over_posterior(source_dir, d, name, design, extra=""):
    exp = d / f"{name}.yaml"
    exp.write_text(head(source_dir, name) + design + extra)
    return exp


POSTERIOR = "design: {type: posterior, file: fit.h5, points: 10}\n"


@pytest.fixture(scope="module")
def swept(cli, source_dir, fit):
    d, _ = fit
    exp = over_posterior(source_dir, d, "over", POSTERIOR)
    out = []
    for threads in (1, 2):
        r = cli("sweep", exp, "-o", d / f"over{threads}.h5", "--threads", threads, "--no-progress")
        assert r.returncode == 0, r.stderr
        out.append((d / f"over{threads}.h5", r.stdout))
    return out


def points_of(path):
    with h5py.File(path) as f:
        point = f["point"][()]
        values = np.stack([f[FRICTION][()], f[PRIZE][()]], axis=1)
        text = f.attrs["experiment"]
    text = text.decode() if isinstance(text, bytes) else text
    first = {p: values[np.argmax(point == p)] for p in np.unique(point)}
    return [first[p] for p in sorted(first)], text


def test_draws_are_particles_of_the_last_generation_in_proportion_to_their_weights(fit, swept):
    _, last = fit
    pts, _ = points_of(swept[0][0])
    assert len(pts) == 10
    particles = np.stack([last[FRICTION].values, last[PRIZE].values], axis=1)
    weights = last["weight"].values
    counts = np.zeros(len(particles), dtype=int)
    for p in pts:
        match = np.flatnonzero((particles == p).all(axis=1))  # the very values, to the last bit
        assert len(match) >= 1, p
        counts[match[0]] += 1
    # Systematic resampling: each particle is drawn floor(n w) or ceil(n w) times (identical
    # particles pooled).
    keys = {}
    for i, row in enumerate(map(tuple, particles)):
        keys.setdefault(row, []).append(i)
    for rows in keys.values():
        w = weights[rows].sum() * 10
        assert math.floor(w - 1e-9) <= counts[rows].sum() <= math.ceil(w + 1e-9)


def test_stored_experiment_lists_the_points_and_names_no_file(cli, fit, swept):
    d, _ = fit
    pts, text = points_of(swept[0][0])
    assert "type: points" in text and "fit.h5" in text and "file:" not in text
    assert re.search(r"from: 10 draws from the posterior of fit\.h5 \(generation \d+, 24 particles\)", text)
    # compare re-reads the stored experiment (a results file's text never opens a file) and prints
    # the same tables as the sweep did.
    r = cli("compare", swept[0][0])
    assert r.returncode == 0, r.stderr
    assert "true_value_per_fte" in r.stdout
    assert "point 9" in r.stdout or "| 9 |" in r.stdout


def test_same_points_and_results_at_any_thread_count(swept):
    a, ta = points_of(swept[0][0])
    b, tb = points_of(swept[1][0])
    assert ta == tb
    np.testing.assert_array_equal(np.array(a), np.array(b))
    with h5py.File(swept[0][0]) as fa, h5py.File(swept[1][0]) as fb:
        np.testing.assert_array_equal(fa["true_value_per_fte"][()], fb["true_value_per_fte"][()])


def test_points_design_runs_the_points_given(cli, source_dir, fit):
    d, _ = fit
    exp = over_posterior(source_dir, d, "listed", "design: {type: points, values: [5, 200, 15, 5000]}\n")
    r = cli("sweep", exp, "-o", d / "listed.h5", "-q", "--no-progress")
    assert r.returncode == 0, r.stderr
    pts, text = points_of(d / "listed.h5")
    np.testing.assert_array_equal(np.array(pts), np.array([[5, 200], [15, 5000]]))
    assert "from:" not in text


def test_robust_comparison_over_the_posterior_says_where_its_states_come_from(cli, source_dir, fit):
    d, _ = fit
    exp = over_posterior(source_dir, d, "robust", POSTERIOR, "robust: {objective: true_value_per_fte}\n")
    r = cli("sweep", exp, "-o", d / "robust.h5", "--no-progress")
    assert r.returncode == 0, r.stderr
    assert "Robustness over 10 states of the world (draws from a calibration's posterior over 2 parameters" in r.stdout


def position(text, needle):
    i = text.index(needle)
    return text.count("\n", 0, i) + 1, i - text.rfind("\n", 0, i)


@pytest.mark.parametrize("design, needle, message", [
    ("design: {type: posterior, file: none.h5}\n", "none.h5", "cannot draw from the posterior of"),
    ("design: {type: posterior}\n", "posterior", "a posterior design needs `file:`"),
    ("design: {type: posterior, file: listed.yaml}\n", "listed.yaml", "cannot draw from the posterior of"),
    ("design: {type: lhs, file: fit.h5}\n", "fit.h5", "`file` belongs to `design.type: posterior`"),
    ("design: {type: lhs, values: [1, 2]}\n", "[1, 2]", "`values` belong to `design.type: points`"),
    ("design: {type: points, values: [1, 200, 3]}\n", "[1, 200, 3]", "`values` holds 3 numbers"),
    ("design: {type: points, values: [1, 200, 30, 200]}\n", "[1, 200, 30, 200]", "point 1: parameter '" + FRICTION + "' = 30 lies outside its range [0, 20]"),
])
def test_bad_designs_are_refused_at_their_position(cli, source_dir, fit, design, needle, message):
    d, _ = fit
    exp = over_posterior(source_dir, d, "bad", design)
    text = exp.read_text()
    r = cli("validate", exp)
    assert r.returncode != 0
    line, col = position(text, needle)
    assert f"bad.yaml:{line}:{col}: error:" in r.stderr, r.stderr
    assert message in r.stderr, r.stderr


def test_a_parameter_the_posterior_lacks_is_named_with_the_ones_it_has(cli, source_dir, fit):
    d, _ = fit
    text = head(source_dir, "lacks").replace(PRIZE, "policies.leaderboard.top_share").replace(
        "{lower: 100, upper: 10000, scale: log}", "{lower: 0.1, upper: 0.5}") + POSTERIOR
    exp = d / "lacks.yaml"
    exp.write_text(text)
    r = cli("validate", exp)
    assert r.returncode != 0
    assert "has no parameter 'policies.leaderboard.top_share'" in r.stderr, r.stderr
    assert FRICTION in r.stderr and PRIZE in r.stderr
    assert "model_ai_share" not in r.stderr and "distance" not in r.stderr  # only the parameters' columns are offered


def test_posterior_values_outside_the_experiments_range_are_refused(cli, source_dir, fit):
    d, last = fit
    hi = float(last[FRICTION].values.max())
    text = head(source_dir, "narrow").replace("{lower: 0, upper: 20}", f"{{lower: 0, upper: {hi / 2!r}}}") + POSTERIOR
    exp = d / "narrow.yaml"
    exp.write_text(text)
    r = cli("validate", exp)
    assert r.returncode != 0
    assert "lies outside its range" in r.stderr, r.stderr
