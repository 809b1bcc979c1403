"""Shared fixtures for the Python checks of the kpisim program (test_cli.py, test_run_output.py).

Environment:
  KPISIM_BIN         the kpisim executable (default: <repo>/build/checked/engine/kpisim)
  KPISIM_SOURCE_DIR  the repository root (default: computed from this file's location)

Run with Debian's Python (it has h5py, xarray and h5netcdf):

    KPISIM_BIN=build/checked/engine/kpisim /usr/bin/python3 -m pytest -q -p no:cacheprovider \
        tests/python/test_cli.py tests/python/test_run_output.py
"""
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
# The analysis package (analysis/kpisim_analysis) for test_analysis.py and test_report.py; ctest also
# sets PYTHONPATH, this lets a plain `pytest tests/python` find it too.
if str(REPO_ROOT / "analysis") not in sys.path:
    sys.path.insert(0, str(REPO_ROOT / "analysis"))
DEFAULT_BIN = REPO_ROOT / "build" / "checked" / "engine" / "kpisim"

# The small scenario that the session fixture runs once (relative to the source dir).
SMALL_SCENARIO = Path("tests") / "data" / "small_compare.yaml"


def _kpisim_path():
    return Path(os.environ.get("KPISIM_BIN") or DEFAULT_BIN)


# A guard against a hung process, not a limit on time (tests never assert a duration): generous
# enough for the sanitizer build on a loaded, shared machine (a posterior calibration of
# test_calibrate.py once took more than 120 s there).
HANG_GUARD_S = 1200


def run_cli(*args, cwd=None, timeout=HANG_GUARD_S, binary=None):
    """Runs `kpisim ARGS...` and returns the subprocess.CompletedProcess (text mode, output captured).

    Never raises on a non-zero exit code: tests assert on .returncode, .stdout and .stderr.
    """
    exe = Path(binary) if binary is not None else _kpisim_path()
    return subprocess.run(
        [str(exe), *[str(a) for a in args]],
        cwd=None if cwd is None else str(cwd),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


@pytest.fixture(scope="session")
def kpisim():
    """Path of the kpisim executable; fails (does not skip) when it is missing."""
    exe = _kpisim_path()
    if not exe.is_file() or not os.access(exe, os.X_OK):
        pytest.fail(
            f"kpisim executable not found at '{exe}'. Build it (`cmake --build build/checked`) "
            "or point the environment variable KPISIM_BIN at it.",
            pytrace=False,
        )
    return exe


@pytest.fixture(scope="session")
def source_dir():
    """Repository root (KPISIM_SOURCE_DIR, or computed from this file's location)."""
    d = Path(os.environ.get("KPISIM_SOURCE_DIR") or REPO_ROOT)
    if not (d / SMALL_SCENARIO).is_file():
        pytest.fail(f"KPISIM_SOURCE_DIR='{d}' does not look like the KPISim repository (no {SMALL_SCENARIO})",
                    pytrace=False)
    return d


@pytest.fixture(scope="session")
def cli(kpisim):
    """A function cli(*args, cwd=None, timeout=HANG_GUARD_S) -> CompletedProcess running the kpisim under test."""

    def _run(*args, cwd=None, timeout=HANG_GUARD_S):
        return run_cli(*args, cwd=cwd, timeout=timeout, binary=kpisim)

    return _run


@pytest.fixture(scope="session")
def small_scenario(source_dir):
    """Path of tests/data/small_compare.yaml."""
    return source_dir / SMALL_SCENARIO


@pytest.fixture(scope="session")
def bad_dir(source_dir):
    """Directory of the deliberately broken scenarios (tests/data/bad)."""
    return source_dir / "tests" / "data" / "bad"


@pytest.fixture(scope="session")
def small_run(cli, small_scenario, tmp_path_factory):
    """Runs the small scenario once per session and yields the path of its .h5 results file."""
    out = tmp_path_factory.mktemp("small_run") / "small_compare.h5"
    r = cli("run", small_scenario, "-o", out, "--quiet", "--no-progress")
    assert r.returncode == 0, f"kpisim run failed (exit {r.returncode}):\n{r.stderr}"
    assert out.is_file(), f"kpisim run exited 0 but wrote no {out}"
    yield out


# Results files for the analysis and report tests (test_analysis.py, test_report.py).


def _swept(kpisim, source_dir, tmp_path_factory, name, env=None, exit_code=0):
    """Sweeps tests/data/experiments/NAME.yaml into a fresh directory; checks the exit code."""
    out = tmp_path_factory.mktemp(name) / f"{name}.h5"
    r = subprocess.run([str(kpisim), "sweep", str(source_dir / "tests" / "data" / "experiments" / f"{name}.yaml"), "-o", str(out),
                        "-q", "--no-progress"], capture_output=True, text=True, timeout=300,
                       env=dict(os.environ, **(env or {})), check=False)
    assert r.returncode == exit_code and out.is_file(), r.stderr
    return out


@pytest.fixture(scope="session")
def crn_sweep(kpisim, source_dir, tmp_path_factory):
    """tests/data/experiments/small_crn.yaml swept: 2 points x 2 policies x 5 replications, comparison tables."""
    return _swept(kpisim, source_dir, tmp_path_factory, "small_crn")


@pytest.fixture(scope="session")
def sobol_sweep(kpisim, source_dir, tmp_path_factory):
    """tests/data/experiments/small_saltelli.yaml swept: 32 points, one policy, Sobol tables."""
    return _swept(kpisim, source_dir, tmp_path_factory, "small_saltelli")


@pytest.fixture(scope="session")
def failed_sweep(kpisim, source_dir, tmp_path_factory):
    """The small CRN sweep with run 3 made to fail (exit 5): status 1 and an error message for it."""
    return _swept(kpisim, source_dir, tmp_path_factory, "small_crn", env={"KPISIM_TEST_FAIL_RUNS": "3"}, exit_code=5)


@pytest.fixture(scope="session")
def no_snapshot_run(cli, small_scenario, tmp_path_factory):
    """The small scenario without agent snapshots, over 10 days (shorter than two weeks: daily plots)."""
    d = tmp_path_factory.mktemp("nosnap")
    text = small_scenario.read_text().replace("snapshot_every: 14", "snapshot_every: 0")
    assert "snapshot_every: 0" in text
    scen = d / "no_snapshots.yaml"
    scen.write_text(text)
    out = d / "no_snapshots.h5"
    r = cli("run", scen, "--days", "10", "-o", out, "--quiet", "--no-progress")
    assert r.returncode == 0, r.stderr
    return out


@pytest.fixture(scope="session")
def results_files(small_run, crn_sweep, sobol_sweep):
    """{"run": kpisim run file, "crn": CRN sweep, "sobol": Saltelli sweep}."""
    return {"run": small_run, "crn": crn_sweep, "sobol": sobol_sweep}


def calibrate_at_thread_counts(cli, experiment, directory, stem, threads=(1, 2)):
    """Runs `kpisim calibrate EXPERIMENT` at each thread count (a test then compares the files):
    {threads: (results path, stdout)}; a failed run fails the test."""
    out = {}
    for n in threads:
        path = Path(directory) / f"{stem}_t{n}.h5"
        r = cli("calibrate", experiment, "-o", path, "--threads", n, "--no-progress")
        assert r.returncode == 0, r.stderr
        out[n] = (path, r.stdout)
    return out


@pytest.fixture(scope="module")
def browser():
    """A headless browser for the report pages (tests/python/browser.py); one per test module."""
    from browser import Browser  # noqa: PLC0415 (only the report tests need it)
    with Browser() as b:
        yield b


@pytest.fixture(scope="module")
def artifacts(tmp_path_factory):
    """Where the report tests leave screenshots: KPISIM_ARTIFACTS_DIR, or a temporary directory."""
    d = os.environ.get("KPISIM_ARTIFACTS_DIR")
    if d:
        Path(d).mkdir(parents=True, exist_ok=True)
        return Path(d)
    return tmp_path_factory.mktemp("artifacts")


# ------------------------------------------- killing a calibration mid-run (resume tests)

def journal_lines(path):
    """The number of lines of a calibration's journal (0 while it does not exist)."""
    try:
        return path.read_text().count("\n")
    except FileNotFoundError:
        return 0


def session_pids(sid):
    """The live processes of session `sid` (mpiexec puts each rank in a process group of its own, in
    its session); a killed process not yet reaped (a zombie) does not count."""
    pids = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = open(f"/proc/{entry}/stat").read()
            except OSError:
                continue
            fields = stat[stat.rindex(")") + 2:].split()  # after "pid (comm) ": state ppid pgrp session ...
            if int(fields[3]) == sid and fields[0] not in ("Z", "X"):
                pids.append(int(entry))
    return pids


def killed_at_journal_lines(command, journal, at_lines, env=None):
    """Starts `command` in a session of its own and kills every process of the session (SIGKILL: the
    launcher and every rank) once the journal has `at_lines` lines."""
    p = subprocess.Popen(command, env=env, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(100000):
            if journal_lines(journal) >= at_lines or p.poll() is not None:
                break
            time.sleep(0.01)
    finally:
        ended = p.poll() is not None
        for _ in range(100):  # until no process of the session is left
            pids = session_pids(p.pid)
            if not pids:
                break
            for pid in pids:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            time.sleep(0.01)
        p.wait()
    assert not ended and p.returncode == -signal.SIGKILL, "the calibration ended before it could be killed: make it longer"
    assert not session_pids(p.pid), "a process of the killed calibration is still running"
