"""Valid scenarios at the edges of the parameter ranges run with every invariant holding (the
checked build throws on a violated invariant), and a few invalid combinations are refused."""
import os
import subprocess

import h5py
import numpy as np
import pytest

EDGE = os.path.join(os.path.dirname(__file__), "..", "data", "edge")


def run(kpisim, tmp_path, name, *extra):
    out = tmp_path / (name + ".h5")
    r = subprocess.run([kpisim, "run", os.path.join(EDGE, name + ".yaml"), "-q", "-o", str(out), *extra],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    return h5py.File(out, "r")


@pytest.mark.parametrize("name", ["fast_recovery", "cleanup_over_cap", "zero_quota", "tiny_division", "harmful_task"])
def test_edge_scenario_runs_with_invariants(kpisim, tmp_path, name):
    f = run(kpisim, tmp_path, name)
    for var in ["exhaustion_mean", "cynicism_mean"]:
        x = f[var][...]
        assert np.all((x >= 0) & (x <= 6)), var
    assert np.all(f["hours_per_fte"][...] <= 12 + 1e-9)
    assert np.all(f["true_value_per_fte"][...] >= 0)


def test_cleanup_never_exceeds_the_daily_cap(kpisim, tmp_path):
    f = run(kpisim, tmp_path, "cleanup_over_cap")
    assert np.all(f["hours_per_fte"][...] <= 8 + 1e-9)


def test_zero_quota_gives_no_incentive(kpisim, tmp_path):
    f = run(kpisim, tmp_path, "zero_quota")
    zero = 0  # the first policy: target 0, met by everyone, so no marginal incentive at all
    assert np.all(f["scripting_share"][zero, :] == 0)
    assert np.all(f["performative_hours_per_fte"][zero, :] == 0)


def test_every_division_has_people(kpisim, tmp_path):
    f = run(kpisim, tmp_path, "tiny_division")
    assert np.all(f["unit_headcount"][...] >= 1)


@pytest.mark.parametrize("yaml_text, message", [
    ("organisation: {span: 1}\n", "expects a whole number in [2, 1000]"),
    ("behaviour: {effort_cost: 0, crowding: 5}\n", "must not exceed behaviour.effort_cost"),
])
def test_invalid_combinations_are_refused(kpisim, tmp_path, yaml_text, message):
    p = tmp_path / "bad.yaml"
    p.write_text(yaml_text)
    r = subprocess.run([kpisim, "validate", str(p)], capture_output=True, text=True, timeout=20)
    assert r.returncode == 2
    assert message in r.stderr
