"""`kpisim calibrate` with `weighting: matrix` (docs/experiments.md, "Calibration"): the loss is
(m - v)' W (m - v) with the user's matrix W (the targets' weights folded in as sqrt(w_i w_j) W_ij);
diag(1/se^2) gives the inverse-variance loss; a matrix that is not n x n, not symmetric, not
positive semi-definite, or zero is refused at its position.
"""
import numpy as np
import pytest
import xarray as xr

EXPERIMENT = """\
name: weighting
base: {base}
policies: [baseline]
replications: 2
days: 42
analysis: {{first_day: 14}}
parameters:
  behaviour.adoption_friction_usd_per_hour: {{lower: 0, upper: 20}}
calibrate:
  targets:
    ai_share:
      policy: baseline
      output: ai_task_share
      value: 0.3
      se: 0.02
    hours:
      policy: baseline
      output: hours_per_fte
      value: 5.5
      se: 0.5
  weighting: {weighting}
{matrix}  evaluations: 6
  start_points: 3
"""
VALUES, SES = np.array([0.3, 5.5]), np.array([0.02, 0.5])


def write(path, source_dir, weighting, matrix=None):
    m = "" if matrix is None else f"  weight_matrix: [{', '.join(repr(float(x)) for x in np.ravel(matrix))}]\n"
    path.write_text(EXPERIMENT.format(base=source_dir / "tests" / "data" / "small_compare.yaml", weighting=weighting, matrix=m))
    return path


def evaluations(cli, exp, out):
    r = cli("calibrate", exp, "-o", out, "-q", "--no-progress")
    assert r.returncode == 0, r.stderr
    return xr.open_dataset(out, engine="h5netcdf", group="calibration/evaluations")


def test_diagonal_matrix_is_the_inverse_variance_loss(cli, source_dir, tmp_path):
    a = evaluations(cli, write(tmp_path / "iv.yaml", source_dir, "inverse_variance"), tmp_path / "iv.h5")
    b = evaluations(cli, write(tmp_path / "m.yaml", source_dir, "matrix", np.diag(1 / SES**2)), tmp_path / "m.h5")
    assert b.attrs["weighting"] == "matrix"
    n = 4  # the start and the Latin hypercube: the same points whatever the loss
    np.testing.assert_array_equal(a["behaviour.adoption_friction_usd_per_hour"].values[:n], b["behaviour.adoption_friction_usd_per_hour"].values[:n])
    np.testing.assert_allclose(b["loss"].values[:n], a["loss"].values[:n], rtol=1e-12)


def test_correlated_matrix_gives_the_quadratic_form(cli, source_dir, tmp_path):
    corr = np.array([[1.0, 0.6], [0.6, 1.0]])
    w = np.linalg.inv(np.outer(SES, SES) * corr)  # the inverse of the evidence's covariance
    ev = evaluations(cli, write(tmp_path / "c.yaml", source_dir, "matrix", w), tmp_path / "c.h5")
    m = np.stack([ev["model_ai_share"].values, ev["model_hours"].values], axis=1)
    g = m - VALUES
    expected = np.einsum("ei,ij,ej->e", g, w, g)
    np.testing.assert_allclose(ev["loss"].values, expected, rtol=1e-12)
    fit = xr.open_dataset(tmp_path / "c.h5", engine="h5netcdf", group="calibration/fit")
    chosen = int(ev.attrs["chosen"])
    assert fit["contribution"].values.sum() == pytest.approx(float(ev["loss"].values[chosen]), rel=1e-12)


@pytest.mark.parametrize("weighting, matrix, message", [
    ("matrix", None, "`weighting: matrix` needs a weight_matrix of 2 x 2 = 4 numbers, row by row in the targets' order (ai_share, hours); it has 0"),
    ("matrix", [1, 0, 0], "needs a weight_matrix of 2 x 2 = 4 numbers"),
    ("matrix", [[1, 0.5], [0.4, 1]], "it is not symmetric: row 1 column 2 is 0.5, row 2 column 1 is 0.4"),
    ("matrix", [[1, 2], [2, 1]], "it is not positive semi-definite"),
    ("matrix", [[0, 0], [0, 0]], "it is zero"),
    ("inverse_variance", [[1, 0], [0, 1]], "a weight_matrix is read only with `weighting: matrix`"),
])
def test_bad_matrices_are_refused_with_positions(cli, source_dir, tmp_path, weighting, matrix, message):
    bad = write(tmp_path / "bad.yaml", source_dir, weighting, None if matrix is None else np.array(matrix, dtype=float))
    r = cli("validate", bad)
    assert r.returncode == 2, r.stdout
    assert message in r.stderr
    assert f"{bad}:" in r.stderr and ": error: " in r.stderr


def test_semi_definite_matrix_is_accepted(cli, source_dir, tmp_path):
    # Rank 1: only the sum of the two scaled gaps counts.
    ok = write(tmp_path / "psd.yaml", source_dir, "matrix", np.array([[1.0, 1.0], [1.0, 1.0]]))
    r = cli("validate", ok)
    assert r.returncode == 0, r.stderr
