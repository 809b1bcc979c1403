"""KPISim from Python: validate and run scenarios on the engine, get xarray datasets back.

    import kpisim
    kpisim.validate("scenarios/compare_regimes.yaml")      # [] when valid, else Diagnostic(...)s
    ds = kpisim.run("scenarios/compare_regimes.yaml", days=90, seed=7)
    ds.true_value_per_fte.groupby("policy").mean("day")

A dataset from kpisim.run has the variables, dimensions, units and attributes (provenance
included) of the HDF5 file `kpisim run` writes: the engine writes that very file in memory and it
is opened from there, with no temporary file. The analysis package is kpisim.analysis
(analysis/kpisim_analysis). docs/python.md.
"""
from __future__ import annotations

import contextlib
import io
import numbers
import os
import sys
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, List, Optional, Union

from . import _kpisim

__version__ = _kpisim.engine_version
engine_version = _kpisim.engine_version
git_commit = _kpisim.git_commit

#: A scenario or experiment file (its path) is invalid, or an argument is (a ValueError).
InputError = _kpisim.InputError
#: A run could not be carried out or written (a RuntimeError).
RunError = _kpisim.RunError

Scenario = Union[str, os.PathLike, dict]

__all__ = ["Diagnostic", "InputError", "RunError", "analysis", "compare", "engine_version", "git_commit", "run", "sweep",
           "validate"]


@dataclass(frozen=True)
class Diagnostic:
    """One finding of kpisim.validate: line and column are 1-based (0 when the finding has no position)."""
    file: str
    line: int
    column: int
    message: str
    severity: str  # "error" or "warning"

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}:{self.column}" if self.line > 0 else self.file
        return f"{where}: {self.severity}: {self.message}"


def _source(scenario: Scenario, what: str = "scenario"):
    """(text or path, is_path, name in messages) of a path, YAML text or dict."""
    if isinstance(scenario, os.PathLike):
        return os.fspath(scenario), True, os.fspath(scenario)
    if isinstance(scenario, dict):
        import yaml  # Debian's python3-yaml
        return yaml.safe_dump(scenario, sort_keys=False), False, f"<{what} dict>"
    if isinstance(scenario, str):
        # One line naming an existing file, or one line without ':' (a path, even a mistyped one,
        # is then reported as a missing file), is a path; anything else is YAML text.
        if "\n" not in scenario and (":" not in scenario or os.path.isfile(scenario)):
            return scenario, True, scenario
        return scenario, False, f"<{what} text>"
    raise TypeError(f"expected a path, YAML text or a dict, got {type(scenario).__name__}")


def _is_experiment(source: str, is_path: bool) -> bool:
    """An experiment file has `base` or `scenario` at the top (as the engine's is_experiment_file)."""
    import yaml
    try:
        if is_path:
            with open(source, "rb") as f:
                head = f.read(16 << 20)
        else:
            head = source
        doc = yaml.safe_load(head)
    except Exception:  # unreadable or not YAML: the engine reports it as a scenario error
        return False
    return isinstance(doc, dict) and ("base" in doc or "scenario" in doc)


def validate(scenario: Scenario) -> List[Diagnostic]:
    """Checks a scenario or experiment (a path, YAML text or a dict) exactly as `kpisim validate`.

    Returns the findings: an empty list when the input is valid; otherwise one Diagnostic per
    error, with file, 1-based line and column (0 without a position), message and severity. A
    valid scenario too large for this machine's memory gives one warning."""
    source, is_path, name = _source(scenario)
    found = _kpisim.validate(source, is_path, name, _is_experiment(source, is_path))
    return [Diagnostic(*d) for d in found]


def _open_image(image: bytes):
    import xarray as xr  # Debian's python3-xarray, python3-h5netcdf
    with xr.open_dataset(io.BytesIO(image), engine="h5netcdf") as ds:
        return ds.load()


def run(scenario: Scenario, days: Optional[int] = None, seed: Optional[int] = None, threads: Optional[int] = None,
        policies: Optional[Iterable[str]] = None, progress: Optional[Callable[[int, int], None]] = None):
    """Runs every policy of a scenario (a path, YAML text or a dict) and returns an xarray.Dataset.

    days, seed: override the scenario's horizon and seed. threads: worker threads (default: all
    cores; results do not depend on it; the limit applies to the whole process while the run
    lasts). policies: names of the policies to run (default: all). progress: called as
    progress(done, total) in policy-days about five times a second. The engine runs without the
    GIL; Ctrl-C (or an exception raised by progress) stops the run at the end of the current day
    and raises. Bad input raises kpisim.InputError (a ValueError) with the engine's message; a
    scenario too large for this machine's memory raises MemoryError before anything is built.

    The dataset equals xarray.open_dataset(f, engine="h5netcdf") of the file f that
    `kpisim run` writes for the same scenario, days and seed (provenance attributes included:
    command_line records this call, created_utc its time)."""
    return _open_image(_run_image(scenario, days=days, seed=seed, threads=threads, policies=policies, progress=progress))


def _run_image(scenario: Scenario, days=None, seed=None, threads=None, policies=None, progress=None) -> bytes:
    """kpisim.run's HDF5 file, as bytes (the file `kpisim run` writes, but for its invocation attributes)."""
    source, is_path, name = _source(scenario)
    _check_whole("days", days, 1, 36500)
    _check_whole("seed", seed, 0, 2**64 - 1)
    _check_whole("threads", threads, 1, 4096)
    if policies is not None:
        if isinstance(policies, str):
            policies = [policies]
        policies = [str(p) for p in policies]
    args = [f"{name!r}" if is_path else name]
    for k, v in (("days", days), ("seed", seed), ("threads", threads), ("policies", policies)):
        if v is not None:
            args.append(f"{k}={v!r}")
    command_line = f"kpisim.run({', '.join(args)}) [Python {sys.version.split()[0]}]"
    return _kpisim.run(source, is_path, name, days, seed, threads, policies, progress, command_line)


def _build_id() -> str:
    """Identifies this module's build: a sweep resumes only from parts written by the same build."""
    import hashlib
    h = hashlib.sha256()
    with open(_kpisim.__file__, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return "python-" + h.hexdigest()[:16]


_SWEEP_DIR_PREFIX = "kpisim-sweep-"
_SWEEP_DIR_LOCK = ".lock"


def _remove_tree(path: str) -> None:
    """Removes a directory tree of ours; a KeyboardInterrupt arriving meanwhile does not leave it half
    removed: the removal is finished first, then the interrupt is raised."""
    import shutil
    interrupted = None
    while True:
        try:
            shutil.rmtree(path, ignore_errors=True)
            break
        except KeyboardInterrupt as e:
            interrupted = e
    if interrupted is not None:
        raise interrupted


def _remove_abandoned_sweep_dirs(parent: str) -> None:
    """Removes the temporary sweep directories of processes that died without removing theirs (a
    killed Jupyter kernel, SIGKILL). A sweep holds an exclusive flock on its directory's lock file
    while it lives and the kernel drops it when the process ends, however it ends: a lock we can
    take marks an abandoned directory. Only directories of this user, never followed links."""
    import fcntl
    import stat
    try:
        names = [n for n in os.listdir(parent) if n.startswith(_SWEEP_DIR_PREFIX)]
    except OSError:
        return
    for n in names:
        d = os.path.join(parent, n)
        try:
            st = os.lstat(d)
            if not stat.S_ISDIR(st.st_mode) or st.st_uid != os.getuid():
                continue
            fd = os.open(os.path.join(d, _SWEEP_DIR_LOCK), os.O_RDONLY | os.O_NOFOLLOW)
        except OSError:
            continue  # no lock file (yet, or it is being removed): not ours to judge
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            _remove_tree(d)
        except OSError:
            pass  # a live sweep holds it
        finally:
            os.close(fd)


@contextlib.contextmanager
def _output(output, name: str):
    """The results file to write: `output`, or one in a temporary directory ($TMPDIR) removed
    afterwards, on success, error or Ctrl-C; one left by a killed process is removed by the next
    sweep (_remove_abandoned_sweep_dirs)."""
    if output is not None:
        yield os.fspath(output)
        return
    import fcntl
    parent = tempfile.gettempdir()
    _remove_abandoned_sweep_dirs(parent)
    d = tempfile.mkdtemp(prefix=_SWEEP_DIR_PREFIX, dir=parent)
    try:
        # Locked before it gets the name others look for, so that no one sees it unlocked.
        lock = os.path.join(d, _SWEEP_DIR_LOCK)
        fd = os.open(lock + ".new", os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            os.rename(lock + ".new", lock)
            yield os.path.join(d, name)
        finally:
            os.close(fd)
    finally:
        _remove_tree(d)


def _check_whole(key: str, value, lo: int, hi: int) -> None:
    """The argument checks of `kpisim run` (--days, --seed, --threads), with their kind of message."""
    if value is not None and (isinstance(value, bool) or not isinstance(value, numbers.Integral) or not lo <= value <= hi):
        raise InputError(f"{key}: expected a whole number in [{lo}, {hi}], got {value!r}")


def _sweep(experiment, output, threads, progress, resume, force, read):
    source, is_path, name = _source(experiment, "experiment")
    _check_whole("threads", threads, 1, 4096)
    args = [f"{name!r}" if is_path else name]
    for k, v in (("output", output), ("threads", threads), ("resume", resume or None), ("force", force or None)):
        if v is not None:
            args.append(f"{k}={v!r}")
    command_line = f"kpisim.sweep({', '.join(args)}) [Python {sys.version.split()[0]}]"
    with _output(output, "sweep.h5") as out:
        failures, notices, table = _kpisim.sweep(source, is_path, name, out, threads, bool(resume), bool(force), _build_id(),
                                                 progress, command_line)
        for n in notices:
            warnings.warn(n, stacklevel=3)
        if failures:
            shown = "; ".join(f"run {r}: {m}" for r, m in failures[:5])
            warnings.warn(f"{len(failures)} runs failed (their data are NaN; see the status and error variables): {shown}",
                          stacklevel=3)
        return read(out)


def sweep(experiment: Scenario, output=None, threads: Optional[int] = None, progress: Optional[Callable[[int, int], None]] = None,
          resume: bool = False, force: bool = False):
    """Runs an experiment (a path, YAML text or a dict; docs/experiments.md) as `kpisim sweep` does
    and returns its results file as an xarray.Dataset (run, day, ... with the point, parameter,
    replication, status and error coordinates).

    output: also keep the results file there (then resume=True continues an interrupted sweep from
    its parts, force=True replaces an existing file); without it the sweep is written in a
    temporary directory ($TMPDIR), read into memory and removed, also after an error or Ctrl-C
    (one left by a killed process is removed by the next sweep). threads, progress and Ctrl-C work as in
    kpisim.run, except that Ctrl-C lets the runs under way finish (saved as parts when output is
    given). Failed runs give a warning and NaN data. The comparison tables: kpisim.compare."""
    def read(path):
        import xarray as xr
        with xr.open_dataset(path, engine="h5netcdf") as ds:
            ds = ds.load()
        if output is not None:
            ds.encoding["source"] = os.fspath(output)
        return ds
    return _sweep(experiment, output, threads, progress, resume, force, read)


def compare(source, output=None, threads: Optional[int] = None, progress: Optional[Callable[[int, int], None]] = None,
            resume: bool = False, force: bool = False):
    """The comparison tables of an experiment as `kpisim compare` gives them, as one pandas DataFrame
    (one row per output and policy [and point]: mean, lower, upper, n, n_failed, difference and its
    paired and unpaired intervals; docs/experiments.md).

    source: a results file of `kpisim sweep` (its checksums are verified first, in a child process:
    a crash of libhdf5 on a crafted file raises InputError instead of ending this one) or a dataset
    returned by kpisim.sweep(..., output=FILE), or an experiment (path, YAML text or dict), which is
    then swept as kpisim.sweep does (output, threads, progress, resume, force as there)."""
    from . import analysis
    if hasattr(source, "encoding") and hasattr(source, "attrs"):  # a dataset
        path = source.encoding.get("source")
        if not path:
            raise ValueError("this dataset has no results file: pass kpisim.sweep(..., output=FILE)'s dataset or the file")
        source = Path(path)
    if isinstance(source, (str, os.PathLike)) and "\n" not in os.fspath(source) and _is_hdf5(os.fspath(source)):
        _verify_isolated(os.fspath(source))
        return analysis.comparison_frame(os.fspath(source))
    return _sweep(source, output, threads, progress, resume, force, analysis.comparison_frame)


# What the child of _verify_isolated runs: the engine's verification of every dataset, attribute,
# checksum and dimension scale (as `kpisim compare` and `kpisim report` do first, in a child too).
_VERIFY_CHILD = """
import sys
sys.path.insert(0, sys.argv[2])
from kpisim import _kpisim
try:
    _kpisim.verify_results(sys.argv[1])
except _kpisim.InputError as e:
    sys.stderr.write(str(e))
    sys.exit(2)
except _kpisim.RunError as e:
    sys.stderr.write(str(e))
    sys.exit(1)
"""


def _verify_isolated(path: str) -> None:
    """Verifies a results file in a child Python process, as the CLI reads untrusted results files
    (isolated() in engine/apps/kpisim/main.cpp): libhdf5 1.10.8 crashes on some crafted metadata
    (docs/fuzzing.md), and in a child such a crash is an InputError instead of the end of the
    user's interpreter (a notebook's kernel and everything computed in it). The reads that follow
    (kpisim.analysis) then touch only objects verified here, as `kpisim report`'s do. A subprocess
    rather than fork(): this process may have threads (TBB's, the user's), which fork() does not
    copy. Without a Python to start (an application embedding Python, whose sys.executable is
    empty or the application itself), it verifies here."""
    import subprocess
    if not sys.executable or not os.path.basename(sys.executable).startswith("python"):
        _kpisim.verify_results(path)
        return
    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # the directory holding this package
    r = subprocess.run([sys.executable, "-c", _VERIFY_CHILD, path, here], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                       stderr=subprocess.PIPE, check=False)
    message = r.stderr.decode("utf-8", "replace").rstrip("\n")
    if r.returncode == 0:
        return
    if r.returncode == 2:
        raise InputError(message)
    if r.returncode < 0:
        import signal
        sig = -r.returncode
        try:
            name = signal.strsignal(sig) or f"signal {sig}"
        except ValueError:
            name = f"signal {sig}"
        raise InputError(f"cannot read results file '{path}': the HDF5 library crashed reading it (signal {sig}, {name}): "
                         "the file is damaged or crafted")
    raise RunError(message or f"verifying results file '{path}' failed (exit status {r.returncode})")


def _is_hdf5(path: str) -> bool:
    try:
        with open(path, "rb") as f:
            return f.read(8) == b"\x89HDF\r\n\x1a\n"
    except OSError:
        return False


def _import_analysis():
    try:
        import kpisim_analysis
    except ImportError:
        from ._paths import ANALYSIS_DIR
        if not os.path.isdir(ANALYSIS_DIR):
            raise
        sys.path.append(ANALYSIS_DIR)
        import kpisim_analysis
    return kpisim_analysis


def __getattr__(attr):
    if attr == "analysis":
        import importlib
        return importlib.import_module("kpisim.analysis")
    raise AttributeError(f"module 'kpisim' has no attribute {attr!r}")
