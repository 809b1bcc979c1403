"""`kpisim sweep` varying items inside hybrids and schedules and named groups of keys
(docs/experiments.md, "Key paths" and "Groups"), through the real program.

One small sweep (60 people, 12 weeks, one replication) over a 2 x 2 x 2 grid: a group scaling every
task type's error probability, the audit probability inside a hybrid (addressed by the component's
type) and the end day of a schedule's first phase (by index). Its point 0 holds every parameter at
its base value and must be bit-identical to the base scenario swept without parameters; each other
point must differ from it exactly in the policies its parameters reach.
"""
import numpy as np
import pytest
import xarray as xr

EXPERIMENT = """\
name: vary
base: {base}
policies: [outcome_audited, leaderboard_switched_off]
replications: 1
groups:
  error_rates: {{scale: [tasks.*.defect_prob]}}
parameters:
{parameters}
analysis: {{outputs: [true_value_per_fte, cleanup_hours_per_fte], first_day: 7}}
"""
PARAMETERS = """\
  error_rates: {values: [1, 1.5]}
  "policies.outcome_audited.components[audit].policy.probability": {values: [0.2, 0.9]}
  "policies.leaderboard_switched_off.phases[0].end_day": {values: [42, 21]}
"""


@pytest.fixture(scope="module")
def sweeps(cli, source_dir, tmp_path_factory):
    d = tmp_path_factory.mktemp("vary")
    base = source_dir / "tests" / "data" / "small_compare.yaml"
    out = {}
    for label, params in (("base", "  {}"), ("varied", PARAMETERS)):
        exp = d / f"{label}.yaml"
        exp.write_text(EXPERIMENT.format(base=base, parameters=params))
        out[label] = d / f"{label}.h5"
        r = cli("sweep", exp, "-o", out[label], "--no-progress", "-q")
        assert r.returncode == 0, r.stderr
    return out


def _runs(ds, point):
    """The data variables of the runs of one point, as {name: array over (policy, ...)}."""
    sel = ds.isel(run=np.flatnonzero(ds.point.values == point))
    return {v: sel[v].values for v in sel.data_vars if "run" in sel[v].dims and v not in ("status", "error")}


def test_parameters_at_their_base_values_give_the_base_runs_to_the_bit(sweeps):
    base = xr.open_dataset(sweeps["base"], engine="h5netcdf")
    varied = xr.open_dataset(sweeps["varied"], engine="h5netcdf")
    assert varied.sizes["run"] == 8 * 2
    for c in ("error_rates", "policies.outcome_audited.components[audit].policy.probability",
              "policies.leaderboard_switched_off.phases[0].end_day"):
        assert c in varied.coords, c
    # The numbers the group changes are stored per run as the runs used them (kpisim_role "value":
    # not parameters of their own), and the analysis package lists only the varied parameters.
    from kpisim_analysis import results as R
    assert R.parameters(varied) == ["error_rates", "policies.outcome_audited.components[audit].policy.probability",
                                    "policies.leaderboard_switched_off.phases[0].end_day"]
    memo = varied["tasks.memo.defect_prob"]
    assert memo.attrs["kpisim_role"] == "value" and "group error_rates" in memo.attrs["long_name"]
    assert np.array_equal(memo.values, 0.05 * varied.error_rates.values)
    assert varied["tasks.strategy.defect_prob"].values.max() == 0.25 * 1.5
    b, v0 = _runs(base, 0), _runs(varied, 0)
    assert b.keys() == v0.keys() and len(b) > 10
    for name in b:
        assert np.array_equal(b[name], v0[name], equal_nan=True), name


def test_each_parameter_reaches_the_policies_it_addresses(sweeps):
    varied = xr.open_dataset(sweeps["varied"], engine="h5netcdf")
    b = _runs(varied, 0)

    def changed(point):
        """For each policy (0: the hybrid, 1: the schedule), whether any output differs from point 0."""
        p = _runs(varied, point)
        return [any(not np.array_equal(b[n][k], p[n][k], equal_nan=True) for n in b) for k in (0, 1)]

    # Grid order, last parameter fastest: (error_rates, audit probability, end_day).
    assert changed(1) == [False, True]   # the schedule's first phase ends on day 21: only the schedule
    assert changed(2) == [True, False]   # the hybrid's audit probability: only the hybrid
    assert changed(4) == [True, True]    # every task type's error probability: both
    # More errors mean more clean-up for both policies.
    cleanup = varied.cleanup_hours_per_fte.isel(day=slice(7, None)).mean("day").values
    pts = varied.point.values
    for k in (0, 1):
        assert cleanup[(pts == 4)][k] > cleanup[(pts == 0)][k]


def test_validate_lists_what_groups_and_item_selectors_resolve_to(cli, source_dir):
    r = cli("validate", source_dir / "scenarios" / "experiments" / "error_rates.yaml")
    assert r.returncode == 0, r.stderr
    assert "  group error_rates: tasks.memo.defect_prob = 0.05 x error_rates, " in r.stdout
    assert "(13 in all)" in r.stdout
    assert ("  parameter policies.outcome_audited.components[audit].policy.probability: "
            "policies.outcome_audited.components[1].policy.probability\n") in r.stdout


def test_the_file_records_the_groups_and_compare_rebuilds_them(cli, sweeps):
    varied = xr.open_dataset(sweeps["varied"], engine="h5netcdf")
    assert "error_rates:" in varied.attrs["experiment"] and "tasks.*.defect_prob" in varied.attrs["experiment"]
    r = cli("compare", sweeps["varied"])
    assert r.returncode == 0, r.stderr
    assert "error_rates = 1.5" in r.stdout
