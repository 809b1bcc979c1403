"""Checks of `kpisim sweep` and `kpisim compare` (docs/experiments.md) through the real program.

Covers: experiment validation and its error positions; the results file (coordinates on `run`,
groups) read by xarray; common random numbers (replication k of every policy has the same
workforce) and the paired interval being much narrower than the unpaired one; failed runs;
part directories, --resume after kill -9 (bit-identical data), --force; sensitivity tables;
the pre-flight estimate; and two MPI processes giving the data of one.
"""
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import xarray as xr

sys.path.insert(0, str(Path(__file__).resolve().parent))
import compare_results  # noqa: E402  (the bit-identity check of scripts/test.sh)
from conftest import HANG_GUARD_S


@pytest.fixture(scope="module")
def experiments(source_dir):
    return source_dir / "tests" / "data" / "experiments"


@pytest.fixture(scope="module")
def swept(cli, experiments, tmp_path_factory):
    """The small CRN experiment (2 points x 2 policies x 5 replications), swept once."""
    out = tmp_path_factory.mktemp("sweep") / "small_crn.h5"
    r = cli("sweep", experiments / "small_crn.yaml", "-o", out, "--no-progress")
    assert r.returncode == 0, r.stderr
    return out, r


def identical(a, b):
    return compare_results.main(str(a), str(b)) == 0


def test_validate_describes_the_experiment(cli, experiments):
    r = cli("validate", experiments / "small_crn.yaml")
    assert r.returncode == 0, r.stderr
    assert "2 points x 2 policies x 5 replications = 20 runs" in r.stdout


def test_validate_reports_positions_and_suggestions(cli, experiments, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(f"base: {experiments.parent / 'small_compare.yaml'}\n"
                   "replications: 3\n"
                   "parameters:\n"
                   "  behaviour.efort_cost: {values: [6, 8]}\n"
                   "  wellbeing.drain_rate: {values: [0.1, 50]}\n"
                   "anlysis: {}\n")
    r = cli("validate", bad)
    assert r.returncode == 2
    assert f"{bad}:4:3" in r.stderr and "did you mean 'effort_cost'" in r.stderr
    assert f"{bad}:5:3" in r.stderr and "out of range" in r.stderr
    assert f"{bad}:6:1" in r.stderr and "analysis" in r.stderr


def test_results_file_has_run_coordinates_and_tables(swept):
    out, _ = swept
    ds = xr.open_dataset(out, engine="h5netcdf")
    assert ds.sizes["run"] == 20
    for c in ("policy", "policy_type", "replication", "point", "behaviour.effort_cost", "status", "error"):
        assert c in ds.coords, c
    assert (ds.status.values == 0).all()
    assert set(ds["behaviour.effort_cost"].values) == {6.0, 10.0}
    # Run r = (point * policies + policy) * replications + replication.
    assert list(ds.point.values[:10]) == [0] * 10 and list(ds.replication.values[:6]) == [0, 1, 2, 3, 4, 0]
    means = ds.true_value_per_fte.isel(day=slice(7, None)).mean("day").groupby("policy").mean()
    assert set(means.policy.values) == {"baseline", "leaderboard"}
    assert ds.attrs["kind"] == "sweep" and "replications: 5" in ds.attrs["experiment"]
    cmp = xr.open_dataset(out, engine="h5netcdf", group="comparison/true_value_per_fte")
    assert cmp.sizes["row"] == 4 and cmp.attrs["baseline"] == "baseline"
    # The table's mean is the replications' mean of each run's window mean.
    sel = (ds.policy == "leaderboard") & (ds.point == 1)
    expected = float(ds.true_value_per_fte.where(sel, drop=True).isel(day=slice(7, None)).mean("day").mean())
    assert float(cmp["mean"].sel(row="leaderboard @ point 1")) == pytest.approx(expected, rel=1e-12)


def test_common_random_numbers_same_people_in_replication_k(swept):
    """Replication k of every policy and point hires the same people: their mean skill after the
    first day differs across policies and points only by that day's learning, far less than it
    differs between replications (different people)."""
    out, _ = swept
    ds = xr.open_dataset(out, engine="h5netcdf")
    skill = ds.skill_mean.isel(day=0)
    reps = [skill.where(ds.replication == k, drop=True).values for k in range(5)]
    within = max(float(r.max() - r.min()) for r in reps)
    between = float(np.std([r.mean() for r in reps]))
    assert within < 0.05 * between, (within, between)


def test_paired_interval_much_narrower_than_unpaired(swept):
    out, r = swept
    cmp = xr.open_dataset(out, engine="h5netcdf", group="comparison/true_value_per_fte")
    for row in ("leaderboard @ point 0", "leaderboard @ point 1"):
        paired = float(cmp.difference_upper.sel(row=row) - cmp.difference_lower.sel(row=row))
        unpaired = float(cmp.unpaired_upper.sel(row=row) - cmp.unpaired_lower.sel(row=row))
        assert paired < 0.5 * unpaired, (row, paired, unpaired)
    assert "paired difference from baseline" in r.stdout


def test_compare_reprints_the_analysis_from_the_file(cli, swept):
    out, r = swept
    c = cli("compare", out)
    assert c.returncode == 0, c.stderr
    table = r.stdout[r.stdout.index("parameter points:"):r.stdout.index("20 runs:")].strip()
    assert table in c.stdout


def test_failed_runs_are_recorded_and_the_sweep_goes_on(kpisim, experiments, tmp_path):
    out = tmp_path / "failing.h5"
    env = dict(os.environ, KPISIM_TEST_FAIL_RUNS="3,11")
    r = subprocess.run([str(kpisim), "sweep", str(experiments / "small_crn.yaml"), "-o", str(out), "--no-progress"],
                       capture_output=True, text=True, env=env, timeout=HANG_GUARD_S, check=False)
    assert r.returncode == 5, r.stderr
    assert "2 of 20 runs failed" in r.stderr and "run 3: injected failure" in r.stderr
    ds = xr.open_dataset(out, engine="h5netcdf")
    assert list(np.nonzero(ds.status.values)[0]) == [3, 11]
    assert "injected failure" in str(ds.error.values[3]) and str(ds.error.values[0]) == ""
    assert np.isnan(ds.true_value_per_fte.values[3]).all() and not np.isnan(ds.true_value_per_fte.values[2]).any()
    cmp = xr.open_dataset(out, engine="h5netcdf", group="comparison/true_value_per_fte")
    assert float(cmp.n_failed.sel(row="baseline @ point 0")) == 1  # run 3: point 0, baseline, replication 3


def test_parts_resume_force_and_another_experiment(cli, experiments, swept, tmp_path):
    out = tmp_path / "kept.h5"
    r = cli("sweep", experiments / "small_crn.yaml", "-o", out, "-q", "--keep-parts")
    assert r.returncode == 0, r.stderr
    parts = Path(str(out) + ".parts")
    assert len(list(parts.glob("run-*.part"))) == 20
    out.unlink()
    # Parts without --resume: refused, nothing lost.
    r = cli("sweep", experiments / "small_crn.yaml", "-o", out, "-q")
    assert r.returncode == 1 and "--resume" in r.stderr and len(list(parts.glob("run-*.part"))) == 20
    # Another experiment cannot resume these parts.
    other = tmp_path / "other.yaml"
    other.write_text((experiments / "small_crn.yaml").read_text().replace("replications: 5", "replications: 4")
                     .replace("../small_compare.yaml", str(experiments.parent / "small_compare.yaml")))
    r = cli("sweep", other, "-o", out, "-q", "--resume")
    assert r.returncode == 1 and "another experiment" in r.stderr
    # --resume with every run done: only the merge, the same data.
    r = cli("sweep", experiments / "small_crn.yaml", "-o", out, "--resume", "--no-progress")
    assert r.returncode == 0, r.stderr
    assert "0 run now, 20 from an earlier invocation" in r.stdout
    assert identical(swept[0], out)
    assert not parts.exists()
    # --force replaces the results file.
    r = cli("sweep", experiments / "small_crn.yaml", "-o", out, "-q", "--force")
    assert r.returncode == 0 and identical(swept[0], out)


def test_resume_after_kill_9_gives_the_same_bits(kpisim, cli, experiments, tmp_path):
    exp = tmp_path / "slow.yaml"
    exp.write_text(f"name: slow\nbase: {experiments.parent / 'small_compare.yaml'}\n"
                   "days: 364\nreplications: 12\npolicies: [baseline, leaderboard]\n"
                   "parameters:\n  organisation.employees: {values: [1500]}\n")
    whole = tmp_path / "whole.h5"
    r = cli("sweep", exp, "-o", whole, "-q", "--threads", "1", timeout=600)
    assert r.returncode == 0, r.stderr
    out = tmp_path / "killed.h5"
    parts = Path(str(out) + ".parts")
    proc = subprocess.Popen([str(kpisim), "sweep", str(exp), "-o", str(out), "-q", "--threads", "1"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 300
    while time.time() < deadline and proc.poll() is None and len(list(parts.glob("run-*.part"))) < 3:
        time.sleep(0.005)
    assert proc.poll() is None, "the sweep finished before it could be killed: make the test experiment larger"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    done = len(list(parts.glob("run-*.part")))
    assert 3 <= done < 24
    assert not out.exists(), "a killed sweep must not leave a results file"
    r = cli("sweep", exp, "-o", out, "--resume", "--no-progress", "--threads", "2", timeout=600)
    assert r.returncode == 0, r.stderr
    assert f"{24 - done} run now, {done} from an earlier invocation" in r.stdout
    assert identical(whole, out)


def test_saltelli_design_writes_sobol_indices(cli, experiments, tmp_path):
    out = tmp_path / "sens.h5"
    r = cli("sweep", experiments / "small_saltelli.yaml", "-o", out, "--no-progress")
    assert r.returncode == 0, r.stderr
    assert "Sobol indices of true_value_per_fte under leaderboard" in r.stdout
    ds = xr.open_dataset(out, engine="h5netcdf")
    assert ds.sizes["run"] == 8 * (2 + 2)
    s = xr.open_dataset(out, engine="h5netcdf", group="sensitivity/burnout_share/leaderboard")
    assert list(s.parameter.values) == ["behaviour.effort_cost", "wellbeing.drain_rate"]
    for v in ("S1", "S1_lower", "S1_upper", "ST", "ST_lower", "ST_upper"):
        assert v in s and np.isfinite(s[v].values).all(), v
    assert (s.ST.values >= -0.1).all()


def test_dry_run_prints_the_estimate_and_writes_nothing(cli, experiments, tmp_path):
    out = tmp_path / "dry.h5"
    r = cli("sweep", experiments / "small_crn.yaml", "-o", out, "--dry-run")
    assert r.returncode == 0, r.stderr
    assert "estimate:" in r.stdout and "agent-days" in r.stdout and "peak memory" in r.stdout
    assert not out.exists() and not Path(str(out) + ".parts").exists()


def test_two_mpi_processes_give_the_data_of_one(cli, kpisim, experiments, swept, tmp_path):
    version = cli("--version").stdout
    mpiexec = shutil.which("mpiexec")
    if "MPI" not in version:
        pytest.skip("this kpisim was built without MPI (KPISIM_MPI=OFF or no Open MPI)")
    assert mpiexec, "kpisim was built with MPI but mpiexec is missing (scripts/setup.sh installs openmpi-bin)"
    out = tmp_path / "mpi.h5"
    env = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1",
               ASAN_OPTIONS="detect_leaks=0")  # Open MPI keeps memory until exit
    r = subprocess.run([mpiexec, "-n", "2", "--oversubscribe", "--bind-to", "none", "--mca", "btl", "self,vader",
                        str(kpisim), "sweep", str(experiments / "small_crn.yaml"), "-o", str(out), "--threads", "1",
                        "--no-progress"], capture_output=True, text=True, env=env, timeout=600, check=False)
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stdout.count("20 runs:") == 1, "only process 0 reports"
    assert identical(swept[0], out)


# --------------------------------------------- the money view and per-division outputs (issue 13)

DAYS_PER_YEAR = 364


@pytest.fixture(scope="module")
def money(cli, experiments, tmp_path_factory):
    """small_money.yaml: 3 policies x 3 replications, outputs net value and per-division series."""
    out = tmp_path_factory.mktemp("money") / "small_money.h5"
    r = cli("sweep", experiments / "small_money.yaml", "-o", out, "--no-progress")
    assert r.returncode == 0, r.stderr
    with xr.open_dataset(out, engine="h5netcdf") as d:
        d.load()
    return out, r, d


def _by_hand(d, values, first=7):
    """Per policy: the mean over replications of each run's window mean of `values` (run, day)."""
    per_run = np.nanmean(values[:, first:], axis=1)
    return {p: per_run[d.policy.values == p].mean() for p in ("baseline", "leaderboard", "outcome_audited")}


def _paired_by_hand(d, values, policy, first=7):
    per_run = np.nanmean(values[:, first:], axis=1)
    diff = per_run[d.policy.values == policy] - per_run[d.policy.values == "baseline"]  # replication k against k
    return diff.mean()


def test_net_value_is_a_sweep_output_with_paired_intervals(money):
    out, _, d = money
    net = (d.true_value_per_fte.values * d.headcount.values - d.token_cost_usd.values - d.rewards_usd.values
           + d.penalties_usd.values)
    for output, values in (("net_value_annual_usd", net * DAYS_PER_YEAR), ("net_value_per_fte", net / d.headcount.values)):
        cmp = xr.open_dataset(out, engine="h5netcdf", group=f"comparison/{output}")
        for p, m in _by_hand(d, values).items():
            assert float(cmp["mean"].sel(row=p)) == pytest.approx(m, rel=1e-9)
        for p in ("leaderboard", "outcome_audited"):
            diff = float(cmp.difference.sel(row=p))
            assert diff == pytest.approx(_paired_by_hand(d, values, p), rel=1e-9, abs=1e-6)
            assert float(cmp.difference_lower.sel(row=p)) < diff < float(cmp.difference_upper.sel(row=p))


def test_per_division_outputs_expand_and_match_the_unit_series(money):
    out, r, d = money
    units = [str(u) for u in d.unit.values]
    assert units == ["administration", "consulting", "engineering"]
    for u, name in enumerate(units):
        cmp = xr.open_dataset(out, engine="h5netcdf", group=f"comparison/unit_true_value_per_fte[{name}]")
        values = d.unit_true_value_per_fte.values[:, :, u]
        for p, m in _by_hand(d, values).items():
            assert float(cmp["mean"].sel(row=p)) == pytest.approx(m, rel=1e-9)
        assert float(cmp.difference.sel(row="leaderboard")) == pytest.approx(_paired_by_hand(d, values, "leaderboard"), rel=1e-9)
        assert f"unit_true_value_per_fte[{name}] (USD/person/day" in r.stdout
    cmp = xr.open_dataset(out, engine="h5netcdf", group="comparison/unit_burnout_share[consulting]")
    assert float(cmp["mean"].sel(row="baseline")) == pytest.approx(_by_hand(d, d.unit_burnout_share.values[:, :, 1])["baseline"], rel=1e-9)
    # Only the named division of unit_burnout_share.
    assert "unit_burnout_share[engineering] (" not in r.stdout


def test_compare_prints_the_money_and_division_tables(cli, money):
    out, r, d = money
    c = cli("compare", out)
    assert c.returncode == 0, c.stderr
    money_table = c.stdout[c.stdout.index("money view:"):c.stdout.index("true value per FTE-day by division")]
    assert money_table in r.stdout  # the sweep printed the same
    rows = {line.split("|")[1].strip(): [x.strip() for x in line.split("|")[2:-1]]
            for line in money_table.splitlines() if line.startswith("| ") and "policy" not in line}
    assert set(rows) == {"baseline", "leaderboard", "outcome_audited"}
    assert rows["baseline"][2] == "(reference)"
    assert "[" in rows["leaderboard"][2]  # a paired difference with its interval
    # The rewards column is the leaderboard's prizes at an annual rate (USD/day window mean x 364).
    rewards = _by_hand(d, d.rewards_usd.values * DAYS_PER_YEAR)["leaderboard"]
    shown = rows["leaderboard"][4]
    mult = {"k": 1e3, "M": 1e6, "B": 1e9}.get(shown[-1], 1.0)
    assert float(shown.rstrip("kMB")) * mult == pytest.approx(rewards, rel=1e-3)
    assert rows["baseline"][4] == "0"
    division = c.stdout[c.stdout.index("true value per FTE-day by division"):]
    lines = [line for line in division.splitlines() if line.startswith("| ")]
    assert lines[0].split("|")[1:-1] == [" division ", " baseline ", " leaderboard ", " outcome_audited "]
    assert [line.split("|")[1].strip() for line in lines[1:]] == ["administration", "consulting", "engineering"]


def test_unit_outputs_are_checked(cli, experiments, tmp_path):
    bad = tmp_path / "bad.yaml"
    text = (experiments / "small_money.yaml").read_text().replace("base: ../small_compare.yaml",
                                                                   f"base: {experiments.parent / 'small_compare.yaml'}")
    bad.write_text(text.replace("unit_true_value_per_fte,", "unit_true_value_per_ft, unit_rewards_usd, 'unit_skill_mean[enginering]',"))
    r = cli("validate", bad)
    assert r.returncode == 2
    assert "'unit_true_value_per_ft' is not an output variable; did you mean 'unit_true_value_per_fte'?" in r.stderr
    assert "'unit_rewards_usd': rewards_usd is an organisation-level variable, not written per division" in r.stderr
    assert "the scenario has no division 'enginering'; did you mean 'engineering'?" in r.stderr
