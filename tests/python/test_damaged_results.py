"""Results files as untrusted input, and a full disk (issue 9).

A damaged, truncated or crafted results file must give exit code 2 and a one-line message from
`kpisim compare` and `kpisim report`: never a signal, never a Python traceback, never data read as
if intact. A full disk while writing gives exit code 1 and the message, not a crash in HDF5's exit
handler. The files are made here from a tiny sweep (8 runs, 28 days).
"""
import random
import resource
import shutil
import signal
import subprocess
import sys

import h5py
import numpy as np
import pytest

from conftest import run_cli

EXPERIMENT = """name: tiny
base: {base}
policies: [baseline, leaderboard]
replications: 2
days: 28
parameters:
  behaviour.effort_cost: {{values: [6, 10]}}
analysis:
  outputs: [true_value_per_fte, burnout_share]
"""


@pytest.fixture(scope="module")
def sweep_file(tmp_path_factory, source_dir):
    d = tmp_path_factory.mktemp("damaged")
    exp = d / "tiny.yaml"
    exp.write_text(EXPERIMENT.format(base=source_dir / "tests" / "data" / "small_compare.yaml"))
    out = d / "tiny.h5"
    r = run_cli("sweep", exp, "-o", out, "-q", "--no-progress")
    assert r.returncode == 0, r.stderr
    return out


def _compare_bytes(path):
    """`kpisim compare` with output as bytes (a damaged name may not be UTF-8)."""
    from conftest import _kpisim_path
    return subprocess.run([str(_kpisim_path()), "compare", str(path)], capture_output=True, check=False)


def _refused(r, path):
    err = r.stderr.decode("utf-8", "replace") if isinstance(r.stderr, bytes) else r.stderr
    assert r.returncode == 2, (path, r.returncode, err[-500:])
    assert "Traceback" not in err
    assert f"'{path}'" in err or f"{path}" in err, err
    return err


def test_every_checksummed_dataset_has_fletcher32(sweep_file):
    with h5py.File(sweep_file, "r") as f:
        numeric = [n for n, v in f.items() if isinstance(v, h5py.Dataset) and v.dtype.kind in "iuf"]
        assert numeric
        for n in numeric:
            assert f[n].fletcher32, n


NUMERIC_SAME = """
import sys, h5py, numpy as np
a, b = (h5py.File(p, "r") for p in sys.argv[1:3])
def visit(g, prefix=""):
    for n, v in g.items():
        if isinstance(v, h5py.Group):
            yield from visit(v, prefix + n + "/")
        elif v.dtype.kind in "iuf":
            yield prefix + n
for n in visit(a):
    if not np.array_equal(a[n][()], b[n][()], equal_nan=True):
        print(n); sys.exit(1)
"""


def _numeric_data_identical(a, b):
    """True if every numeric dataset of b holds a's values (in a child: h5py on a damaged file)."""
    r = subprocess.run([sys.executable, "-c", NUMERIC_SAME, str(a), str(b)], capture_output=True, text=True, check=False)
    return r.returncode == 0


def test_flipped_bytes_are_detected_or_harmless(sweep_file, tmp_path):
    """One byte flipped at 80 places: exit 2 with a message, or exit 0 with every numeric value
    intact (Fletcher-32). Never a signal, never a traceback. Strings (in HDF5's global heap, which
    has no checksum) are the known exception: a flipped policy label can still read as intact."""
    ref = _compare_bytes(sweep_file)
    assert ref.returncode == 0
    data = sweep_file.read_bytes()
    rng = random.Random(20261205)
    detected = 0
    for i in range(80):
        pos = rng.randrange(len(data))
        b = bytearray(data)
        b[pos] ^= rng.choice([0xFF, 0x01, 0x80, 0x10])
        p = tmp_path / f"flip{i}.h5"
        p.write_bytes(bytes(b))
        r = _compare_bytes(p)
        assert r.returncode in (0, 2), (pos, r.returncode, r.stderr[-400:])
        assert b"Traceback" not in r.stderr
        if r.returncode == 0:
            assert _numeric_data_identical(sweep_file, p), pos
        else:
            assert b"cannot read results file" in r.stderr or b"experiment attribute" in r.stderr, r.stderr[-400:]
            detected += 1
        p.unlink()
    assert detected >= 10  # most of the file is checksummed data


@pytest.mark.parametrize("fraction", [0.0, 0.001, 0.1, 0.5, 0.9, 0.999])
def test_truncated_file_exit_2(sweep_file, tmp_path, fraction):
    data = sweep_file.read_bytes()
    p = tmp_path / "cut.h5"
    p.write_bytes(data[: int(len(data) * fraction)])
    err = _refused(run_cli("compare", p), p)
    assert "cannot read results file" in err or "experiment" in err


def _reseal(obj):
    """Recomputes the CRC-32 of obj's string attributes, as the writer does (a crafted file)."""
    import zlib
    strings = []
    for name, value in obj.attrs.items():
        if isinstance(value, (str, bytes)):
            strings.append((name.encode(), value.encode() if isinstance(value, str) else value))
    crc = 0
    for name, value in sorted(strings):
        crc = zlib.crc32(name + b"\0" + value + b"\0", crc)
    obj.attrs.create("kpisim_attrs_crc32", crc, dtype=np.uint32)


def _copy(sweep_file, tmp_path, name):
    p = tmp_path / name
    shutil.copy(sweep_file, p)
    return p


def test_experiment_naming_etc_passwd_is_not_opened(sweep_file, tmp_path):
    p = _copy(sweep_file, tmp_path, "passwd.h5")
    with h5py.File(p, "r+") as f:
        exp = f.attrs["experiment"]
        exp = exp.decode() if isinstance(exp, bytes) else exp
        head = exp[: exp.index("\nscenario:")]
        assert "\nbase: \"\"" in head
        f.attrs["experiment"] = head.replace("\nbase: \"\"", "\nbase: /etc/passwd") + "\n"
        _reseal(f)  # a crafted file has matching checksums
    r = run_cli("compare", p)
    assert r.returncode == 2, r.stderr
    assert "must be stored inline" in r.stderr and "not opened" in r.stderr
    assert "root:" not in r.stderr + r.stdout


def test_wrong_shapes_and_types(sweep_file, tmp_path):
    # 'run' with two dimensions
    p = _copy(sweep_file, tmp_path, "shape.h5")
    with h5py.File(p, "r+") as f:
        del f["run"]
        f["run"] = np.zeros((8, 2), dtype=np.int64)
    assert "'run' has 2 dimensions" in _refused(run_cli("compare", p), p)
    # 'policy' holding numbers
    p = _copy(sweep_file, tmp_path, "type.h5")
    with h5py.File(p, "r+") as f:
        del f["policy"]
        f["policy"] = np.arange(8)
    assert "'policy' does not hold strings" in _refused(run_cli("compare", p), p)
    # 'replication' holding strings
    p = _copy(sweep_file, tmp_path, "type2.h5")
    with h5py.File(p, "r+") as f:
        del f["replication"]
        f["replication"] = np.array([b"x"] * 8)
    assert "'replication' does not hold numbers" in _refused(run_cli("compare", p), p)
    # a seed attribute of 1000 numbers (read into one uint64 before the check)
    p = _copy(sweep_file, tmp_path, "seed.h5")
    with h5py.File(p, "r+") as f:
        f.attrs["seed"] = np.arange(1000, dtype=np.uint64)
    assert "'seed' is not one whole number" in _refused(run_cli("compare", p), p)


def test_missing_dimension_scale(sweep_file, tmp_path):
    p = _copy(sweep_file, tmp_path, "noscale.h5")
    with h5py.File(p, "r+") as f:
        f["true_value_per_fte"].dims[1].detach_scale(f["day"])
    assert "dimension scales on axis 1" in _refused(run_cli("compare", p), p)


def test_external_link_is_not_followed(sweep_file, tmp_path):
    other = _copy(sweep_file, tmp_path, "other.h5")
    p = _copy(sweep_file, tmp_path, "elink.h5")
    with h5py.File(p, "r+") as f:
        del f["burnout_share"]
        f["burnout_share"] = h5py.ExternalLink(str(other), "/burnout_share")
    assert "soft or external link" in _refused(run_cli("compare", p), p)


def test_report_refuses_damaged_files_without_traceback(sweep_file, tmp_path):
    data = sweep_file.read_bytes()
    p = tmp_path / "cut.h5"
    p.write_bytes(data[: len(data) // 2])
    _refused(run_cli("report", p, "-o", tmp_path / "rep", "-q"), p)
    assert not (tmp_path / "rep").exists()
    p = _copy(sweep_file, tmp_path, "type.h5")
    with h5py.File(p, "r+") as f:
        del f["policy"]
        f["policy"] = np.arange(8)
    _refused(run_cli("report", p, "-o", tmp_path / "rep2", "-q"), p)


def _small_file_limit():
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (300_000, 300_000))


@pytest.mark.parametrize("command", ["run", "sweep"])
def test_full_disk_exit_1_not_a_crash(sweep_file, tmp_path, source_dir, command):
    from conftest import _kpisim_path
    src = source_dir / "tests" / "data" / "small_compare.yaml"
    if command == "sweep":
        src = tmp_path / "tiny.yaml"
        src.write_text(EXPERIMENT.format(base=source_dir / "tests" / "data" / "small_compare.yaml"))
    out = tmp_path / "full.h5"
    r = subprocess.run([str(_kpisim_path()), command, str(src), "-o", str(out), "-q", "--no-progress"],
                       capture_output=True, text=True, preexec_fn=_small_file_limit, check=False)
    assert r.returncode == 1, (r.returncode, r.stderr[-500:])
    assert "cannot write results file" in r.stderr and "File too large" in r.stderr
    assert not out.exists()


def _measured(*args):
    """Runs kpisim ARGS with its address space capped at 4 GiB; returns (exit code, stderr, peak RSS
    in KiB of it and of the child that reads the file, from wait4)."""
    import os
    import tempfile
    from conftest import _kpisim_path

    def cap():
        resource.setrlimit(resource.RLIMIT_AS, (4 << 30, 4 << 30))

    with tempfile.TemporaryFile() as err:
        p = subprocess.Popen([str(_kpisim_path()), *[str(a) for a in args]], stdout=subprocess.DEVNULL, stderr=err, preexec_fn=cap)
        _, status, usage = os.wait4(p.pid, 0)
        err.seek(0)
        return os.waitstatus_to_exitcode(status), err.read().decode("utf-8", "replace"), usage.ru_maxrss


@pytest.mark.parametrize("command", ["compare", "report"])
def test_damaged_string_length_refused_in_bounded_memory(sweep_file, tmp_path, command):
    """A damaged length in the descriptor of a variable-length string (the dataset's raw data, which
    has no checksum) made HDF5 allocate and zero that many bytes while converting it (1.5 GB here;
    up to 4 GB). It is refused before the read, in little memory."""
    p = _copy(sweep_file, tmp_path, "vlen.h5")
    with h5py.File(p, "r") as f:
        offset = f["policy"].id.get_offset()
    assert offset is not None
    data = bytearray(p.read_bytes())
    data[offset + 16 : offset + 20] = (1_500_000_000).to_bytes(4, "little")  # the second run's label
    p.write_bytes(bytes(data))
    args = ["compare", p] if command == "compare" else ["report", p, "-o", tmp_path / "rep", "-q"]
    rc, err, peak_kib = _measured(*args)
    assert rc == 2, (rc, err[-500:])
    assert f"cannot read results file '{p}'" in err, err
    assert "the strings of 'policy' claim" in err and "damaged results file" in err, err
    assert peak_kib < 300 * 1024, peak_kib


def test_flipped_byte_in_stored_scenario_is_detected(sweep_file, tmp_path):
    """The resolved scenario (a variable-length string attribute, kept in HDF5's global heap, which
    has no checksum) is covered by the root group's CRC-32 of its string attributes."""
    with h5py.File(sweep_file, "r") as f:
        scenario = f.attrs["scenario"]
        scenario = scenario.decode() if isinstance(scenario, bytes) else scenario
        assert "kpisim_attrs_crc32" in f.attrs
    data = sweep_file.read_bytes()
    # A stretch of the scenario text found once in the file (the experiment holds it indented).
    chunk = next(c for c in (scenario[i : i + 48].encode() for i in range(0, len(scenario) - 48, 16)) if data.count(c) == 1)
    pos = data.index(chunk) + 20
    b = bytearray(data)
    b[pos] ^= 0x01
    p = tmp_path / "scenario_flip.h5"
    p.write_bytes(bytes(b))
    for args in (["compare", p], ["report", p, "-o", tmp_path / "rep", "-q"]):
        err = _refused(run_cli(*args), p)
        assert "the string attributes of the root group do not match their CRC-32 checksum: a damaged results file" in err, err


def test_flipped_byte_in_policy_label_is_detected(sweep_file, tmp_path):
    p = _copy(sweep_file, tmp_path, "label.h5")
    with h5py.File(p, "r+") as f:
        labels = list(f["policy"].asstr()[:])
        crc = f["policy"].attrs["kpisim_crc32"]
        f["policy"][1] = labels[1][:-1] + ("x" if labels[1][-1] != "x" else "y")  # same length, another value
        f["policy"].attrs["kpisim_crc32"] = crc  # as a damaged byte would leave it
    assert "the strings of 'policy' do not match their CRC-32 checksum" in _refused(run_cli("compare", p), p)


def _strip_string_checksums(path):
    with h5py.File(path, "r+") as f:
        def strip(obj):
            for a in ("kpisim_crc32", "kpisim_attrs_crc32"):
                if a in obj.attrs:
                    del obj.attrs[a]
        strip(f)
        f.visititems(lambda _name, obj: strip(obj))


def test_file_without_string_checksums_is_read_with_a_warning(sweep_file, tmp_path):
    """Files written before the checksums (none anywhere) are read, with a warning."""
    p = _copy(sweep_file, tmp_path, "old.h5")
    _strip_string_checksums(p)
    ref = run_cli("compare", sweep_file)
    r = run_cli("compare", p)
    assert r.returncode == 0, r.stderr
    assert "warning" in r.stderr and "has no checksums of its strings" in r.stderr
    assert r.stdout.replace(str(p), "F") == ref.stdout.replace(str(sweep_file), "F")
    assert "warning" not in ref.stderr


def test_missing_string_checksum_in_checksummed_file_is_refused(sweep_file, tmp_path):
    p = _copy(sweep_file, tmp_path, "nocrc.h5")
    with h5py.File(p, "r+") as f:
        del f["policy_type"].attrs["kpisim_crc32"]
    assert "the strings of 'policy_type' have no CRC-32 checksum" in _refused(run_cli("compare", p), p)
