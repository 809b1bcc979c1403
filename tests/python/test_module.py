"""The Python module kpisim (python/kpisim, docs/python.md): a run equals the CLI's results file bit
for bit, validation gives line and column, bad input raises with the engine's message, the GIL is
released while the engine runs, and Ctrl-C stops a run cleanly.

Environment (tests/CMakeLists.txt): KPISIM_PYTHON_DIR is <build>/python, where the module is
assembled when the build has KPISIM_PYTHON_MODULE=ON (the checked preset); without it the tests
are skipped. KPISIM_BIN is the kpisim program these runs are compared with.
"""
import io
import os
import signal
import sys
import threading
from pathlib import Path

import h5py
import numpy as np
import pytest
import xarray as xr

_dir = os.environ.get("KPISIM_PYTHON_DIR", "")
if not _dir or not (Path(_dir) / "kpisim" / "__init__.py").is_file():
    pytest.skip("the Python module was not built (configure with -DKPISIM_PYTHON_MODULE=ON, as the checked preset does)",
                allow_module_level=True)
sys.path.insert(0, _dir)
import kpisim  # noqa: E402
from conftest import HANG_GUARD_S

# Root attributes that record the invocation rather than the results (docs/output-schema.md).
INVOCATION_ATTRS = {"command_line", "created_utc"}
# The checksum of the root's string attributes covers the invocation attributes too.
ROOT_ATTRS_CRC = "kpisim_attrs_crc32"

LONG_SCENARIO = """name: long
days: 36500
organisation:
  employees: 200
"""


def _objects(f):
    out = {"/": f}
    f.visititems(lambda name, obj: out.__setitem__(name, obj))
    return out


def _same_value(a, b):
    a, b = np.asarray(a), np.asarray(b)
    if a.shape != b.shape or a.dtype != b.dtype:
        return False
    if a.dtype.kind in "fiu":
        return a.tobytes() == b.tobytes()  # bit for bit, NaN included
    return np.array_equal(a, b)


def _compare_files(cli_file, image):
    """Every object, dataset value and attribute of the CLI's file and of the module's image are the
    same, bit for bit, but the invocation attributes of the root."""
    with h5py.File(cli_file, "r") as a, h5py.File(io.BytesIO(image), "r") as b:
        oa, ob = _objects(a), _objects(b)
        assert sorted(oa) == sorted(ob)
        for name in oa:
            x, y = oa[name], ob[name]
            assert type(x) is type(y), name
            if isinstance(x, h5py.Dataset):
                assert x.dtype == y.dtype and x.shape == y.shape, name
                assert x.chunks == y.chunks and x.compression == y.compression and x.fletcher32 == y.fletcher32, name
                assert _same_value(x[()], y[()]), f"{name}: values differ"
            skip = INVOCATION_ATTRS | {ROOT_ATTRS_CRC} if name == "/" else set()
            ka = [k for k in x.attrs if k not in skip]
            kb = [k for k in y.attrs if k not in skip]
            assert ka == kb, name
            for k in ka:
                if k in ("DIMENSION_LIST", "REFERENCE_LIST"):  # object references: compared through the scales
                    continue
                assert _same_value(x.attrs[k], y.attrs[k]), f"{name}: attribute {k} differs"
        return len(oa)


@pytest.fixture(scope="module")
def cli_run(cli, small_scenario, tmp_path_factory):
    out = tmp_path_factory.mktemp("module") / "small.h5"
    r = cli("run", small_scenario, "--days", "30", "--seed", "11", "-o", out, "-q", "--no-progress")
    assert r.returncode == 0, r.stderr
    return out


def test_run_image_equals_cli_file(cli_run, small_scenario):
    image = kpisim._run_image(str(small_scenario), days=30, seed=11)
    assert _compare_files(cli_run, image) > 100


def test_run_dataset_equals_cli_dataset(cli_run, small_scenario):
    ds = kpisim.run(str(small_scenario), days=30, seed=11)
    with xr.open_dataset(cli_run, engine="h5netcdf") as ref:
        ref = ref.load()
    assert set(ds.variables) == set(ref.variables)
    assert ds.dims == ref.dims
    for v in ref.variables:
        assert ds[v].dims == ref[v].dims, v
        assert ds[v].dtype == ref[v].dtype, v
        assert ds[v].attrs == ref[v].attrs, v
        assert _same_value(ds[v].values, ref[v].values), v
    skip = INVOCATION_ATTRS | {ROOT_ATTRS_CRC}
    got = {k: v for k, v in ds.attrs.items() if k not in skip}
    want = {k: v for k, v in ref.attrs.items() if k not in skip}
    assert got.keys() == want.keys()
    for k in want:
        assert _same_value(got[k], want[k]), k
    assert ds.attrs["command_line"].startswith("kpisim.run(")
    assert "days=30" in ds.attrs["command_line"] and "seed=11" in ds.attrs["command_line"]
    assert ds.true_value_per_fte.attrs["units"]  # units come along


def test_scenario_as_text_dict_and_path_agree(small_scenario):
    import yaml
    text = small_scenario.read_text()
    by_path = kpisim.run(Path(small_scenario), days=7)
    by_text = kpisim.run(text, days=7)
    by_dict = kpisim.run(yaml.safe_load(text), days=7)
    for ds in (by_text, by_dict):
        for v in by_path.data_vars:
            assert _same_value(ds[v].values, by_path[v].values), v
        assert ds.attrs["scenario"] == by_path.attrs["scenario"]
    assert by_dict.attrs["scenario_file"] == "<scenario dict>"


def test_policies_subset(small_scenario):
    ds = kpisim.run(str(small_scenario), days=7, policies=["leaderboard", "baseline"])
    assert list(ds.policy.values) == ["leaderboard", "baseline"]
    full = kpisim.run(str(small_scenario), days=7)
    # Common random numbers: a policy's run does not depend on which others run beside it.
    for v in ("true_value_per_fte", "burnout_share"):
        assert _same_value(ds[v].isel(run=1).values, full[v].isel(run=0).values)
    with pytest.raises(kpisim.InputError, match="did you mean 'leaderboard'"):
        kpisim.run(str(small_scenario), days=7, policies=["leaderbord"])


def test_validate_gives_line_and_column(bad_dir, small_scenario, source_dir):
    assert kpisim.validate(str(small_scenario)) == []
    assert kpisim.validate(source_dir / "tests" / "data" / "experiments" / "small_crn.yaml") == []
    d = kpisim.validate(str(bad_dir / "unknown_nested_key.yaml"))
    assert len(d) == 1
    assert (d[0].line, d[0].column, d[0].severity) == (4, 3, "error")
    assert d[0].file == str(bad_dir / "unknown_nested_key.yaml")
    assert "employees" in d[0].message  # the suggestion
    many = kpisim.validate(bad_dir / "multiple_errors.yaml")
    assert sorted(x.line for x in many) == [3, 4, 6]
    text = kpisim.validate("name: t\norganisation:\n  employes: 40\n")
    assert [(x.file, x.line, x.column) for x in text] == [("<scenario text>", 3, 3)]
    assert "3:3: error:" in str(text[0])


def test_validate_experiment_text_errors():
    d = kpisim.validate("base: nowhere.yaml\nreplications: 0\n")
    assert d and all(x.severity == "error" for x in d)


def test_bad_input_raises_the_engine_message(cli, bad_dir):
    for name in ("multiple_errors.yaml", "wrong_type.yaml", "yaml_syntax.yaml"):
        f = bad_dir / name
        with pytest.raises(kpisim.InputError) as e:
            kpisim.run(str(f), days=3)
        r = cli("run", f, "-o", os.devnull + ".never")
        assert r.returncode == 2
        assert str(e.value) == r.stderr.rstrip("\n")
        assert isinstance(e.value, ValueError)
    with pytest.raises(kpisim.InputError, match="days: expected"):
        kpisim.run("organisation: {employees: 10}\n", days=0)
    for bad in ({"seed": -1}, {"days": 2.5}, {"threads": 0}, {"days": True}):
        with pytest.raises(kpisim.InputError, match="expected a whole number"):
            kpisim.run("organisation: {employees: 10}\n", **bad)
    with pytest.raises(TypeError):
        kpisim.run(42)


def test_too_large_is_refused_before_building(bad_dir):
    with pytest.raises(MemoryError, match="refusing to run"):
        kpisim.run(str(bad_dir / "too_large.yaml"))


def test_gil_released_two_threads_run_concurrently(small_scenario):
    """Two Python threads are inside kpisim.run at once (each waits in its progress callback for
    the other to be running) and both get the same data as a run on its own."""
    alone = kpisim.run(str(small_scenario), days=21)
    both_running = threading.Barrier(2)
    results, errors = {}, []

    def work(key):
        met = []

        def progress(done, total):
            if not met:
                met.append(True)
                both_running.wait()  # raises BrokenBarrierError if the other never gets here

        try:
            results[key] = kpisim.run(str(small_scenario), days=21, progress=progress)
        except Exception as e:  # reported below
            errors.append(e)

    threads = [threading.Thread(target=work, args=(k,)) for k in ("a", "b")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    for ds in results.values():
        for v in alone.data_vars:
            assert _same_value(ds[v].values, alone[v].values), v


def test_progress_callback_sees_progress(small_scenario):
    seen = []
    kpisim.run(str(small_scenario), days=14, progress=lambda d, t: seen.append((d, t)))
    assert seen, "progress was never called"
    assert seen[-1] == (5 * 14, 5 * 14)
    assert all(a[0] <= b[0] for a, b in zip(seen, seen[1:]))


def test_exception_in_progress_stops_the_run():
    class Stop(Exception):
        pass

    def progress(done, total):
        raise Stop(f"stopped at {done} of {total}")

    with pytest.raises(Stop, match="of 36500"):
        kpisim.run(LONG_SCENARIO, progress=progress)


def test_keyboard_interrupt_from_callback_stops_the_run():
    before = threading.active_count()

    def progress(done, total):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        kpisim.run(LONG_SCENARIO, progress=progress)
    assert threading.active_count() == before
    assert kpisim.run("organisation: {employees: 20}\ndays: 7\n").sizes["day"] == 7  # still usable


@pytest.mark.skipif(threading.current_thread() is not threading.main_thread(), reason="signals reach the main thread only")
def test_sigint_stops_the_run():
    """Ctrl-C: SIGINT sent to the process (from another thread, as a terminal would) while the engine
    runs in the main thread raises KeyboardInterrupt there and stops the run."""
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    sent = []

    def progress(done, total):
        if not sent:
            sent.append(done)
            t = threading.Thread(target=signal.raise_signal, args=(signal.SIGINT,))
            t.start()
            t.join()

    with pytest.raises(KeyboardInterrupt):
        kpisim.run(LONG_SCENARIO, progress=progress)
    assert sent
    assert kpisim.run("organisation: {employees: 20}\ndays: 7\n").sizes["day"] == 7


def test_analysis_package_is_reachable():
    import kpisim.analysis
    import kpisim_analysis
    assert kpisim.analysis is kpisim_analysis
    assert callable(kpisim.analysis.open_results)


# Sweeps and comparisons (kpisim.sweep, kpisim.compare): the engine's run_sweep, as `kpisim sweep`.

@pytest.fixture(scope="module")
def crn_experiment(source_dir):
    return source_dir / "tests" / "data" / "experiments" / "small_crn.yaml"


@pytest.fixture(scope="module")
def cli_sweep(cli, crn_experiment, tmp_path_factory):
    out = tmp_path_factory.mktemp("module_sweep") / "crn.h5"
    r = cli("sweep", crn_experiment, "-o", out, "-q", "--no-progress")
    assert r.returncode == 0, r.stderr
    return out


def test_sweep_equals_cli_file(cli_sweep, crn_experiment, tmp_path):
    out = tmp_path / "crn.h5"
    ds = kpisim.sweep(str(crn_experiment), output=out)
    assert out.is_file() and not (tmp_path / "crn.h5.parts").exists()
    with open(out, "rb") as f:
        assert _compare_files(cli_sweep, f.read()) > 100
    in_memory = kpisim.sweep(crn_experiment)  # no output: a temporary directory, removed
    for v in ds.variables:
        assert _same_value(in_memory[v].values, ds[v].values), v
    assert ds.sizes["run"] == 20 and (ds.status.values == 0).all()
    assert ds.attrs["command_line"].startswith("kpisim.sweep(")


def test_compare_equals_cli_tables(cli_sweep, crn_experiment):
    import kpisim_analysis
    want = kpisim_analysis.comparison_frame(cli_sweep)
    from_file = kpisim.compare(cli_sweep)
    from_experiment = kpisim.compare(str(crn_experiment))
    assert len(want) > 0
    for got in (from_file, from_experiment):
        assert list(got.columns) == list(want.columns)
        for c in want.columns:
            assert _same_value(got[c].to_numpy(), want[c].to_numpy()), c


def test_compare_refuses_a_damaged_file(cli_sweep, tmp_path):
    bad = tmp_path / "damaged.h5"
    data = bytearray(cli_sweep.read_bytes())
    data[len(data) // 2] ^= 0xFF
    bad.write_bytes(bytes(data))
    with pytest.raises((kpisim.InputError, kpisim.RunError)):
        kpisim.compare(bad)


def test_sweep_interrupted_then_resumed(cli_sweep, crn_experiment, tmp_path):
    """Ctrl-C stops a sweep (the runs under way are saved as parts); resume=True finishes it, and
    the file equals the uninterrupted CLI's."""
    out = tmp_path / "crn.h5"

    def progress(done, total):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        kpisim.sweep(crn_experiment, output=out, threads=1, progress=progress)
    assert not out.exists()
    assert (tmp_path / "crn.h5.parts").is_dir()
    kpisim.sweep(crn_experiment, output=out, resume=True)
    with open(out, "rb") as f:
        _compare_files(cli_sweep, f.read())


def test_sweep_bad_experiment_raises():
    with pytest.raises(kpisim.InputError, match="<experiment text>"):
        kpisim.sweep("base: nowhere_at_all.yaml\nreplications: 2\n")


def _python(code, env, cwd):
    import subprocess
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=cwd, timeout=HANG_GUARD_S, check=False)


def test_analysis_found_without_pythonpath_to_it(tmp_path):
    """With only <build>/python on the path, kpisim.analysis comes from the checkout's analysis/."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["PYTHONPATH"] = os.path.abspath(_dir)
    r = _python("import kpisim.analysis; print(kpisim.analysis.__file__)", env, tmp_path)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip().endswith(os.path.join("analysis", "kpisim_analysis", "__init__.py"))


def test_install_script_makes_kpisim_importable(source_dir, tmp_path):
    """scripts/install_python.sh --build-dir writes kpisim.pth into the user site-packages (here a
    fresh PYTHONUSERBASE): afterwards a plain Python, anywhere, imports kpisim and kpisim.analysis."""
    import subprocess
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONNOUSERSITE")}
    env.update(PYTHONUSERBASE=str(tmp_path / "userbase"), PYTHON=sys.executable)
    build = Path(_dir).resolve().parent
    r = subprocess.run([str(source_dir / "scripts" / "install_python.sh"), "--build-dir", str(build)], capture_output=True,
                       text=True, env=env, timeout=HANG_GUARD_S, check=False)
    assert r.returncode == 0, r.stdout + r.stderr
    pth = list((tmp_path / "userbase").rglob("kpisim.pth"))
    assert len(pth) == 1
    r = _python("import kpisim, kpisim.analysis; print(kpisim.__file__); print(kpisim.run('days: 3').sizes['day'])", env, tmp_path)
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == [str(build / "python" / "kpisim" / "__init__.py"), "3"]


# A sweep without `output` works in a temporary directory ($TMPDIR): removed after success, an
# error and Ctrl-C, and one left by a killed process (a Jupyter kernel restarted mid-sweep) is
# removed by the next sweep, never one a live sweep is using.

def _sweep_dirs(parent):
    return sorted(p.name for p in Path(parent).iterdir() if p.name.startswith("kpisim-sweep-"))


@pytest.fixture
def private_tmp(tmp_path, monkeypatch):
    import tempfile
    d = tmp_path / "tmp"
    d.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(d))
    return d


def test_sweep_temporary_directory_removed_after_success_error_and_interrupt(crn_experiment, private_tmp):
    assert kpisim.sweep(crn_experiment).sizes["run"] == 20
    assert _sweep_dirs(private_tmp) == []
    with pytest.raises(kpisim.InputError):  # raised by the engine, inside the temporary directory's lifetime
        kpisim.sweep("base: nowhere_at_all.yaml\nreplications: 2\n")
    assert _sweep_dirs(private_tmp) == []

    def interrupt(done, total):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        kpisim.sweep(crn_experiment, threads=1, progress=interrupt)
    assert _sweep_dirs(private_tmp) == []


@pytest.mark.skipif(threading.current_thread() is not threading.main_thread(), reason="signals reach the main thread only")
def test_sweep_sigint_removes_temporary_directory(crn_experiment, private_tmp):
    seen = []

    def progress(done, total):
        if not seen:
            seen.append(_sweep_dirs(private_tmp))
            t = threading.Thread(target=signal.raise_signal, args=(signal.SIGINT,))
            t.start()
            t.join()

    with pytest.raises(KeyboardInterrupt):
        kpisim.sweep(crn_experiment, threads=1, progress=progress)
    assert len(seen) == 1 and len(seen[0]) == 1  # the directory existed while the sweep ran
    assert _sweep_dirs(private_tmp) == []


_BLOCKED_SWEEP = """
import os, sys, time
sys.path.insert(0, sys.argv[1])
import kpisim
def progress(done, total):
    open(os.path.join(sys.argv[2], "running"), "w").close()
    while True:
        time.sleep(1)
kpisim.sweep({"scenario": {"days": 36500, "organisation": {"employees": 200}}, "replications": 1}, threads=1, progress=progress)
"""


def test_abandoned_sweep_directory_removed_by_the_next_sweep(crn_experiment, private_tmp, tmp_path):
    """A process killed mid-sweep (SIGKILL: no cleanup of its own) leaves its directory; a later
    sweep removes it, but not while that process lives."""
    import subprocess
    import time
    env = dict(os.environ, TMPDIR=str(private_tmp))
    p = subprocess.Popen([sys.executable, "-c", _BLOCKED_SWEEP, os.path.abspath(_dir), str(tmp_path)], env=env,
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        while not (tmp_path / "running").exists():  # the blocked sweep's progress callback says it runs
            assert p.poll() is None, p.stderr.read().decode()
            time.sleep(0.05)
        theirs = _sweep_dirs(private_tmp)
        assert len(theirs) == 1
        kpisim.sweep(crn_experiment)  # a live sweep's directory is left alone
        assert _sweep_dirs(private_tmp) == theirs
    finally:
        p.kill()
        p.wait()
    assert _sweep_dirs(private_tmp) == theirs  # SIGKILL: left behind
    kpisim.sweep(crn_experiment)
    assert _sweep_dirs(private_tmp) == []


# kpisim.compare verifies a results file in a child process, as `kpisim compare` and `kpisim report`
# do: libhdf5 crashes on some crafted files (docs/fuzzing.md), and such a crash must not end the
# user's interpreter (a notebook's kernel).

def test_compare_verifies_in_a_child_process(cli_sweep, monkeypatch):
    def in_process(path):
        raise AssertionError("verified in this process")

    monkeypatch.setattr(kpisim._kpisim, "verify_results", in_process)
    assert len(kpisim.compare(cli_sweep)) > 0


def test_compare_survives_a_crash_while_verifying(cli_sweep, monkeypatch):
    """A crash of the verifying process (as libhdf5's on a crafted file) is an InputError naming the
    file and the signal; this interpreter goes on."""
    monkeypatch.setattr(kpisim, "_VERIFY_CHILD", "import os, signal\nos.kill(os.getpid(), signal.SIGSEGV)\n")
    with pytest.raises(kpisim.InputError, match=r"the HDF5 library crashed reading it \(signal 11, Segmentation fault\)") as e:
        kpisim.compare(cli_sweep)
    assert str(cli_sweep) in str(e.value)


def test_compare_damaged_file_message_is_the_clis(cli, cli_sweep, tmp_path):
    bad = tmp_path / "damaged.h5"
    data = bytearray(cli_sweep.read_bytes())
    data[len(data) // 2] ^= 0xFF
    bad.write_bytes(bytes(data))
    r = cli("compare", bad)
    assert r.returncode == 2
    with pytest.raises(kpisim.InputError) as e:
        kpisim.compare(bad)
    assert str(e.value) and str(e.value) in r.stderr
