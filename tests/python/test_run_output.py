"""Checks a real results file written by `kpisim run` (the session fixture `small_run`, from
tests/data/small_compare.yaml): the layout as xarray sees it, metadata, and model invariants that
must hold on every run and day. See engine/src/io/hdf5_writer.cpp (layout) and
engine/src/model/simulation.cpp (how each variable is computed).
"""
import numpy as np
import pytest
import xarray as xr

try:
    import yaml
except ImportError:  # python3-yaml is optional
    yaml = None

EMPLOYEES = 60
DAYS = 84
POLICIES = ["baseline", "leaderboard", "leadership_kpi", "outcome_audited", "leaderboard_switched_off"]
POLICY_TYPES = ["none", "leaderboard", "quota", "hybrid", "schedule"]
UNITS = ["administration", "consulting", "engineering"]
SNAPSHOT_DAYS = [13, 27, 41, 55, 69, 83]
SNAPSHOT_SAMPLE = 10
SCHEDULE_SWITCH_DAY = 42
MAX_HOURS = 12.0  # behaviour.max_hours default

HOUR_PARTS = ["manual_hours_per_fte", "ai_hours_per_fte", "verification_hours_per_fte", "cleanup_hours_per_fte",
              "performative_hours_per_fte", "learning_hours_per_fte"]
TOKENS = ["tokens_productive", "tokens_rework", "tokens_performative", "tokens_scripted"]
SHARES = ["ai_task_share", "burnout_share", "mandate_share", "scripting_share", "licensed_share", "performative_kpi_share"]
MBI = ["exhaustion_mean", "cynicism_mean", "efficacy_mean"]

# Variables that may be NaN, and when (engine/src/model/simulation.cpp, fill()):
#   belief_error           NaN on days off (it is averaged over working days' plans only)
#   reported_true_gap      NaN when the true value produced is 0 (days off: nobody works)
#   kpi_value_correlation  NaN when the KPI or the value moving average has zero variance
#   output_diversity       NaN on days off (nobody makes anything)
NAN_ON_DAYS_OFF = ["belief_error", "reported_true_gap", "output_diversity"]
# escalation_wait_days: NaN on a day when no escalation is handed to a service division (docs/model.md 7.9).
MAY_BE_NAN = NAN_ON_DAYS_OFF + ["kpi_value_correlation", "escalation_wait_days"]


@pytest.fixture(scope="module")
def ds(small_run):
    with xr.open_dataset(small_run, engine="h5netcdf") as d:
        d.load()
        yield d


@pytest.fixture(scope="module")
def weekend(ds):
    return (ds.day.values % 7) >= 5


def runs_of(ds, name):
    return ds.sel(run=int(np.flatnonzero(ds.policy.values == name)[0]))


def base_name(name):
    return name[len("unit_"):] if name.startswith("unit_") else name


# ------------------------------------------------------------------------------------- layout

def test_dimensions(ds):
    assert dict(ds.sizes) == {"run": len(POLICIES), "day": DAYS, "unit": len(UNITS), "snapshot": len(SNAPSHOT_DAYS),
                              "agent": SNAPSHOT_SAMPLE}
    for dim in ("run", "day", "unit", "snapshot", "agent"):
        assert dim in ds.indexes, f"{dim} is not an index coordinate"
    np.testing.assert_array_equal(ds.day.values, np.arange(DAYS))
    np.testing.assert_array_equal(ds.snapshot.values, SNAPSHOT_DAYS)
    assert list(ds.unit.values) == UNITS


def test_variable_dimensions(ds):
    for name, var in ds.data_vars.items():
        if name.startswith("unit_"):
            assert var.dims == ("run", "day", "unit"), name
        elif name.startswith("snap_"):
            assert var.dims == ("run", "snapshot", "agent"), name
        else:
            assert var.dims == ("run", "day"), name


def test_policy_coordinates_and_groupby(ds):
    assert list(ds.policy.values) == POLICIES
    assert list(ds.policy_type.values) == POLICY_TYPES
    assert ds.policy.dims == ("run",)
    g = ds.true_value_per_fte.groupby("policy").mean(...)
    assert sorted(g.policy.values.tolist()) == sorted(POLICIES)
    assert np.all(np.isfinite(g.values))
    # And selecting by label through a policy index.
    by_policy = ds.swap_dims(run="policy")
    assert float(by_policy.headcount.sel(policy="leaderboard").isel(day=0)) == EMPLOYEES


def test_every_variable_has_units_and_long_name(ds):
    for name, var in list(ds.data_vars.items()) + list(ds.coords.items()):
        assert var.attrs.get("long_name"), f"{name} has no long_name"
        if name not in ("policy", "policy_type", "unit"):
            assert "units" in var.attrs and var.attrs["units"] != "", f"{name} has no units"


def test_root_attributes(ds, small_run):
    for key in ("engine_version", "git_commit", "build_type", "simd", "command_line", "scenario", "scenario_name", "created_utc"):
        assert isinstance(ds.attrs.get(key), str) and ds.attrs[key], f"root attribute {key} missing or empty"
    assert int(ds.attrs["seed"]) == 20240601
    assert ds.attrs["scenario_name"] == "small_compare"
    assert str(small_run) in ds.attrs["command_line"] and " run " in ds.attrs["command_line"]
    scenario = ds.attrs["scenario"]
    assert "policies:" in scenario
    if yaml is not None:
        parsed = yaml.safe_load(scenario)
        assert parsed["seed"] == 20240601
        assert parsed["days"] == DAYS
        assert parsed["organisation"]["employees"] == EMPLOYEES
        assert list(parsed["policies"]) == POLICIES
        assert parsed["behaviour"]["max_hours"] == MAX_HOURS


def test_snapshots(ds):
    np.testing.assert_array_equal(ds.agent.values, [(2 * j + 1) * EMPLOYEES // (2 * SNAPSHOT_SAMPLE) for j in range(SNAPSHOT_SAMPLE)])
    for name in ("snap_exhaustion", "snap_cynicism", "snap_efficacy"):
        v = ds[name].values
        assert np.all(np.isfinite(v)) and v.min() >= 0 and v.max() <= 6, name
    s = ds.snap_scripting.values
    assert set(np.unique(s)) <= {0.0, 1.0}
    # Teams do not depend on the policy.
    team = ds.snap_team.values
    assert np.all(team == team[:1, :1, :])


# --------------------------------------------------------------------------------- invariants

def test_no_unexpected_nan(ds, weekend):
    for name, var in ds.data_vars.items():
        v = var.values
        base = base_name(name)
        if base in NAN_ON_DAYS_OFF:
            day_axis = var.dims.index("day")
            wk = np.moveaxis(v, day_axis, -1)[..., weekend]
            wd = np.moveaxis(v, day_axis, -1)[..., ~weekend]
            assert np.all(np.isnan(wk)), f"{name} should be NaN on days off"
            if base in ("belief_error", "output_diversity"):
                assert np.all(np.isfinite(wd)), f"{name} not finite on a working day"
            else:  # reported_true_gap: NaN only where nothing was produced
                tv = ds["unit_true_value_per_fte" if name.startswith("unit_") else "true_value_per_fte"].values
                tv = np.moveaxis(tv, day_axis, -1)[..., ~weekend]
                assert np.all(np.isfinite(wd) | (tv == 0)), f"{name} NaN on a working day with output"
        elif base in MAY_BE_NAN:
            assert not np.any(np.isinf(v)), name
        else:
            assert np.all(np.isfinite(v)), f"{name} has non-finite values at {np.argwhere(~np.isfinite(v))[:5].tolist()}"


def test_token_variables_non_negative(ds):
    for name in TOKENS + ["token_cost_usd", "energy_kwh"]:
        for n in (name, f"unit_{name}"):
            assert ds[n].values.min() >= 0, n


def test_shares_in_unit_interval(ds):
    for name in SHARES:
        for n in (name, f"unit_{name}"):
            v = ds[n].values
            assert v.min() >= 0 and v.max() <= 1, f"{n} outside [0, 1]: [{v.min()}, {v.max()}]"


def test_mbi_means_in_range(ds):
    for name in MBI:
        for n in (name, f"unit_{name}"):
            v = ds[n].values
            assert v.min() >= 0 and v.max() <= 6, f"{n} outside [0, 6]"


def test_hours_capped_and_add_up(ds):
    hours = ds.hours_per_fte.values
    assert hours.max() <= MAX_HOURS + 1e-9
    parts = sum(ds[p].values for p in HOUR_PARTS)
    np.testing.assert_allclose(hours, parts, rtol=1e-9, atol=1e-12)
    uhours = ds.unit_hours_per_fte.values
    uparts = sum(ds[f"unit_{p}"].values for p in HOUR_PARTS)
    np.testing.assert_allclose(uhours, uparts, rtol=1e-9, atol=1e-12)
    assert uhours.max() <= MAX_HOURS + 1e-9
    for p in HOUR_PARTS:
        assert ds[p].values.min() >= 0, p


def test_overtime_consistent_with_hours(ds):
    hours, overtime = ds.hours_per_fte.values, ds.overtime_per_fte.values
    assert overtime.min() >= 0
    # mean of max(0, h - 8) >= max(0, mean(h) - 8)
    assert np.all(overtime >= np.maximum(0.0, hours - 8.0) - 1e-9)


def test_headcount_constant(ds):
    np.testing.assert_array_equal(ds.headcount.values, EMPLOYEES)


def test_scripted_tokens_part_of_performative(ds):
    assert np.all(ds.tokens_scripted.values <= ds.tokens_performative.values)
    assert np.all(ds.unit_tokens_scripted.values <= ds.unit_tokens_performative.values)


def test_weekends_have_no_hours(ds, weekend):
    assert weekend.sum() == 2 * DAYS // 7
    for name in ["hours_per_fte", "overtime_per_fte"] + HOUR_PARTS:
        assert np.all(ds[name].values[:, weekend] == 0), name
        assert np.all(ds[f"unit_{name}"].values[:, weekend, :] == 0), name
    assert np.all(ds.true_value_per_fte.values[:, weekend] == 0)
    # ... and working days do have hours.
    assert np.all(ds.hours_per_fte.values[:, ~weekend] > 0)


def test_unit_headcount_sums_to_total(ds):
    np.testing.assert_array_equal(ds.unit_headcount.sum("unit").values, ds.headcount.values)
    assert np.all(ds.unit_headcount.values > 0)


def test_unit_values_average_to_total(ds):
    w = ds.unit_headcount
    for name in ("true_value_per_fte", "hours_per_fte", "measured_value_per_fte", "exhaustion_mean"):
        weighted = (ds[f"unit_{name}"] * w).sum("unit") / w.sum("unit")
        np.testing.assert_allclose(weighted.values, ds[name].values, rtol=1e-9, atol=1e-9, err_msg=name)
    for name in ("tokens_productive", "tokens_performative", "quits"):
        np.testing.assert_allclose(ds[f"unit_{name}"].sum("unit").values, ds[name].values, rtol=1e-12, err_msg=name)


# --------------------------------------------------------------------------- policy effects

def test_no_kpi_means_no_gaming(ds):
    """Without a usage KPI nobody gains from padding (decision noise is off in this scenario)."""
    base = runs_of(ds, "baseline")
    assert float(base.tokens_performative.sum()) == 0
    assert float(base.performative_hours_per_fte.sum()) == 0
    assert float(base.scripting_share.max()) == 0
    assert float(base.rewards_usd.sum()) == 0


def test_leaderboard_breeds_performative_use(ds):
    base, lb = runs_of(ds, "baseline"), runs_of(ds, "leaderboard")
    assert float(lb.tokens_performative.sum()) > float(base.tokens_performative.sum())
    assert float(lb.tokens_performative.sum()) > 0
    assert float(lb.rewards_usd.sum()) > 0
    assert float(lb.token_cost_usd.sum()) > float(base.token_cost_usd.sum())


def test_schedule_switches_leaderboard_off(ds):
    lb, sched = runs_of(ds, "leaderboard"), runs_of(ds, "leaderboard_switched_off")
    before = slice(0, SCHEDULE_SWITCH_DAY - 1)
    # Same regime, same people, same luck: identical until the switch.
    for name, var in ds.data_vars.items():
        if "day" in var.dims:
            np.testing.assert_array_equal(lb[name].sel(day=before).values, sched[name].sel(day=before).values, err_msg=name)
    after = sched.sel(day=slice(SCHEDULE_SWITCH_DAY, None))
    assert float(after.performative_hours_per_fte.sum()) == 0
    assert float(after.rewards_usd.sum()) == 0
    assert float(sched.tokens_performative.sum()) < float(lb.tokens_performative.sum())


def test_audited_outcome_run_has_audits(ds):
    run = runs_of(ds, "outcome_audited")
    assert float(run.audits.sum()) > 0
    assert float(runs_of(ds, "baseline").audits.sum()) == 0


def test_manager_quota_creates_pressure(ds):
    assert float(runs_of(ds, "leadership_kpi").pressure_mean.max()) > 0
    assert float(runs_of(ds, "baseline").pressure_mean.max()) == 0


def test_build_attributes_match_version(ds, cli):
    r = cli("--version")
    assert r.returncode == 0
    expected = (f"kpisim {ds.attrs['engine_version']} (commit {ds.attrs['git_commit']}, "
                f"{ds.attrs['build_type']} build, {ds.attrs['simd']}")
    assert r.stdout.strip() in (expected + ")", expected + ", MPI)")


# ------------------------------------------------------------------ regressions (bugs found and fixed)

AUDITED_LEADERBOARD = """\
days: 28
organisation: {employees: 40}
policies:
  audited_leaderboard:
    type: hybrid
    components:
      - {weight: 1, policy: {type: leaderboard}}
      - {weight: 1, policy: {type: audit, cadence: weekly, probability: 1, detection: 0.5,
                             penalty_usd_per_hour: 0, penalty_usd_per_script: 0, cost_hours: 0}}
"""


def test_performative_kpi_share_is_a_share_under_audits(cli, tmp_path):
    scenario = tmp_path / "audited_leaderboard.yaml"
    scenario.write_text(AUDITED_LEADERBOARD, encoding="utf-8")
    out = tmp_path / "audited_leaderboard.h5"
    r = cli("run", scenario, "-o", out, "-q")
    assert r.returncode == 0, r.stderr
    with xr.open_dataset(out, engine="h5netcdf") as d:
        assert float(d.performative_hours_per_fte.max()) > 0  # the scenario does produce padding
        share = d.performative_kpi_share.values
        assert share.min() >= 0 and share.max() <= 1, f"performative_kpi_share up to {share.max()}"


# ------------------------------------------------------------------------------ the money view

DAYS_PER_YEAR = 364  # the model's year (engine/include/kpisim/core/calendar.hpp)


def test_net_value_is_true_value_minus_costs_plus_penalties(ds):
    """net_value_usd, day by day and run by run, is computed here from its components in the same
    file: true value (per FTE times the headcount) - token cost - rewards paid + penalties."""
    tv = ds.true_value_per_fte.values * ds.headcount.values
    expected = tv - ds.token_cost_usd.values - ds.rewards_usd.values + ds.penalties_usd.values
    scale = np.abs(tv) + ds.token_cost_usd.values + ds.rewards_usd.values + ds.penalties_usd.values + 1.0
    assert np.all(np.abs(ds.net_value_usd.values - expected) <= 1e-12 * scale)
    np.testing.assert_allclose(ds.net_value_per_fte.values, ds.net_value_usd.values / ds.headcount.values, rtol=1e-15)
    np.testing.assert_array_equal(ds.net_value_annual_usd.values, ds.net_value_usd.values * DAYS_PER_YEAR)
    # Every term is exercised: prizes are paid (leaderboard) and fines imposed (audits).
    assert runs_of(ds, "leaderboard").rewards_usd.values.sum() > 0
    assert runs_of(ds, "outcome_audited").penalties_usd.values.sum() > 0
    lb = runs_of(ds, "leaderboard")
    assert np.any(lb.net_value_usd.values < lb.true_value_per_fte.values * lb.headcount.values - lb.token_cost_usd.values)
    for name in ("net_value_usd", "net_value_per_fte", "net_value_annual_usd"):
        assert ds[name].attrs["units"] in ("USD/day", "USD/person/day", "USD/year")
        assert "unit_" + name not in ds  # organisation-level: rewards and fines are not per division


def test_run_summary_prints_the_money_bridge(cli, source_dir, tmp_path, ds):
    """kpisim run's table: rewards, penalties, and the annual bridge whose last line is the sum of
    the others, each equal to what the file's components give by hand."""
    out = tmp_path / "again.h5"
    r = cli("run", source_dir / "tests" / "data" / "small_compare.yaml", "-o", out)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    header = next(line for line in lines if "baseline" in line and "leaderboard" in line).split()
    assert header == POLICIES

    def row(label):
        line = next(line for line in lines if line.startswith(label))
        return [float(x) for x in line[len(label):].split()]

    days = ds.sizes["day"]
    work = (ds.day.values % 7) < 5
    for i, p in enumerate(POLICIES):
        d = runs_of(ds, p)
        true_value = (d.true_value_per_fte.values * d.headcount.values).sum() * DAYS_PER_YEAR / days
        tokens = d.token_cost_usd.values.sum() * DAYS_PER_YEAR / days
        rewards = d.rewards_usd.values.sum() * DAYS_PER_YEAR / days
        penalties = d.penalties_usd.values.sum() * DAYS_PER_YEAR / days
        net = true_value - tokens - rewards + penalties
        assert abs(row("  + true value")[i] - true_value) <= 0.5
        assert abs(row("  - token cost")[i] - tokens) <= 0.5
        assert abs(row("  - rewards paid")[i] - rewards) <= 0.5
        assert abs(row("  + penalties")[i] - penalties) <= 0.5
        assert abs(row("  = net value to the organisation")[i] - net) <= 1.0
        per_fte = d.net_value_usd.values.sum() / d.headcount.values[work].sum()
        assert abs(row("net value per FTE-day (USD, workdays)")[i] - per_fte) <= 0.05
        assert abs(row("rewards paid (USD)")[i] - d.rewards_usd.values.sum()) <= 0.5
        assert abs(row("penalties imposed (USD)")[i] - d.penalties_usd.values.sum()) <= 0.5
        assert abs(row("audit hours (h; their cost is in true value)")[i] - d.audit_hours.values.sum()) <= 0.5
