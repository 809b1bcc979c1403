"""`kpisim calibrate` on several MPI processes (docs/experiments.md, "Calibration", "Running on
several machines"): every batch of runs (a candidate, a posterior generation) is spread over the
processes, which all follow the same search and posterior; process 0 keeps the journal, prints and
writes the file. Two processes give the data of one, bit for bit (search, fit, posterior, the chosen
point's runs) and print the same report once; a calibration killed on one process resumes on two
(the journal's answers reach every process) and one killed on two resumes on one; an existing
output is refused once, with exit code 3, before anything runs.
"""
import os
import shutil
import subprocess

import h5py
import numpy as np
import pytest
from conftest import HANG_GUARD_S, _kpisim_path, journal_lines, killed_at_journal_lines

EXPERIMENT = """\
name: mpi_cal
base: {base}
policies: [baseline, leaderboard]
baseline: baseline
replications: 3
days: 42
analysis: {{first_day: 14}}
parameters:
  behaviour.adoption_friction_usd_per_hour: {{lower: 0, upper: 20}}
  policies.leaderboard.prize_usd: {{lower: 100, upper: 10000, scale: log}}
calibrate:
  targets:
    ai_share:
      policy: baseline
      output: ai_task_share
      value: 0.3
      se: 0.01
    tokens_per_hour:
      policy: leaderboard
      output: tokens_productive
      per: hours_per_fte
      value: 2000
      se: 500
  evaluations: 12
  start_points: 4
  posterior: {{particles: 12, generations: 2, min_tolerance: 0.5}}
"""
MPI_ENV = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1",
               ASAN_OPTIONS="detect_leaks=0")  # Open MPI keeps memory until exit


def mpi_command(n, *args):
    mpiexec = shutil.which("mpiexec")
    assert mpiexec, "kpisim was built with MPI but mpiexec is missing (scripts/setup.sh installs openmpi-bin)"
    return [mpiexec, "-n", str(n), "--oversubscribe", "--bind-to", "none", "--mca", "btl", "self,vader", str(_kpisim_path()),
            *[str(a) for a in args]]


def mpi_run(n, *args):
    return subprocess.run(mpi_command(n, *args), capture_output=True, text=True, env=MPI_ENV, timeout=HANG_GUARD_S, check=False)


@pytest.fixture(scope="module", autouse=True)
def needs_mpi(cli):
    if "MPI" not in cli("--version").stdout:
        pytest.skip("this kpisim was built without MPI (KPISIM_MPI=OFF or no Open MPI)")


@pytest.fixture(scope="module")
def experiment(source_dir, tmp_path_factory):
    d = tmp_path_factory.mktemp("calibrate_mpi")
    exp = d / "cal.yaml"
    exp.write_text(EXPERIMENT.format(base=source_dir / "tests" / "data" / "small_compare.yaml"))
    return exp


@pytest.fixture(scope="module")
def reference(cli, experiment):
    """One process: the calibration every other run must reproduce."""
    out = experiment.parent / "one.h5"
    r = cli("calibrate", experiment, "-o", out, "--no-progress", "--threads", "1")
    assert r.returncode == 0, r.stderr
    return out, r.stdout


def data_of(path):
    """Every dataset's values (attributes such as the command line and the process count may differ)."""
    out = {}
    with h5py.File(path) as f:
        def visit(name, obj):
            if isinstance(obj, h5py.Dataset):
                out[name] = obj[()]
        f.visititems(visit)
    return out


def assert_same_data(a, b):
    da, db = data_of(a), data_of(b)
    assert sorted(da) == sorted(db)
    assert any(k.startswith("calibration/posterior") for k in da), "the posterior is part of the comparison"
    for k, v in da.items():
        w = db[k]
        if isinstance(v, np.ndarray) and v.dtype.kind == "f":
            assert v.shape == w.shape and np.array_equal(v.view(np.uint8), w.view(np.uint8)), k  # bit for bit, NaN included
        else:
            assert np.array_equal(v, w), k


def report_lines(text):
    """The printed report without the pre-flight (its header names the processes, its estimate the
    machine) and the timing."""
    return [line for line in text.splitlines()
            if " calibrate 'mpi_cal' - " not in line and not line.startswith("estimate:") and " runs in " not in line]


def test_two_processes_give_the_data_and_the_report_of_one(experiment, reference):
    ref, ref_text = reference
    out = experiment.parent / "two.h5"
    r = mpi_run(2, "calibrate", experiment, "-o", out, "--no-progress", "--threads", "1")
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stdout.count("within two standard errors") == 1, "only process 0 reports"
    assert "thread in each of 2 processes" in r.stdout and "per process" in r.stdout
    assert report_lines(r.stdout) == report_lines(ref_text)
    assert_same_data(ref, out)
    with h5py.File(out) as f:
        processes = f.attrs["processes"]
        assert (processes.decode() if isinstance(processes, bytes) else processes) == "2"
    assert not (experiment.parent / "two.h5.journal").exists()


@pytest.mark.parametrize("first,then", [(1, 2), (2, 1)])
def test_killed_calibration_resumes_on_another_number_of_processes(cli, experiment, reference, tmp_path, first, then):
    ref, _ = reference
    out = tmp_path / "cal.h5"
    journal = tmp_path / "cal.h5.journal"
    args = ("calibrate", experiment, "-o", out, "--no-progress", "-q", "--threads", "1")
    if first == 1:
        killed_at_journal_lines([str(_kpisim_path()), *[str(a) for a in args]], journal, 8)
    else:
        killed_at_journal_lines(mpi_command(2, *args), journal, 8, env=MPI_ENV)
    assert not out.exists() and journal_lines(journal) >= 8
    kept = journal_lines(journal) - 1
    r = cli(*args, "--resume") if then == 1 else mpi_run(2, *args, "--resume")
    assert r.returncode == 0, r.stdout + r.stderr
    assert_same_data(ref, out)
    assert not journal.exists()
    assert kept > 0


def test_existing_output_is_refused_once_before_anything_runs(experiment, reference, tmp_path):
    out = tmp_path / "taken.h5"
    out.write_bytes(b"somebody's results")
    r = mpi_run(2, "calibrate", experiment, "-o", out, "--no-progress", "--threads", "1")
    assert r.returncode == 3, r.stdout + r.stderr
    assert r.stderr.count("refusing to overwrite") == 1, r.stderr
    assert out.read_bytes() == b"somebody's results"
    assert not (tmp_path / "taken.h5.journal").exists()
