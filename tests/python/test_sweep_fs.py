"""The sweep's files under attack and interruption (docs/experiments.md, "Crash safety and --resume").

Covers: kill -9 at every phase of a sweep (KPISIM_TEST_KILL_AT) and --resume finishing with the
bits of an uninterrupted sweep, leaving no part directory and no temporary file; links planted in
the part directory or at its name are never followed; a part directory without its manifest; parts
with a valid trailer but contents that cannot be their run's are run again; stale temporary files
of the results file are removed only when their process is gone.
"""
import os
import re
import signal
import struct
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
import compare_results  # noqa: E402  (the bit-identity check of scripts/test.sh)
from conftest import HANG_GUARD_S

RUNS = 4  # 1 point x 2 policies x 2 replications
HEADER = struct.Struct("<8sQiiIIQQQQQQ")  # PartHeader of engine/src/experiment/sweep.cpp
TEMP = re.compile(r"\.tmp-(\d+)-([0-9a-f]{8})-([0-9a-f]{8})$")


@pytest.fixture(scope="module")
def tiny(source_dir, tmp_path_factory):
    """A sweep of four tiny runs (60 employees, 28 days, snapshots on)."""
    d = tmp_path_factory.mktemp("tiny")
    exp = d / "tiny.yaml"
    exp.write_text(f"name: tiny\nbase: {source_dir / 'tests' / 'data' / 'small_compare.yaml'}\n"
                   "days: 28\nreplications: 2\npolicies: [baseline, leaderboard]\n")
    return exp


@pytest.fixture(scope="module")
def reference(cli, tiny, tmp_path_factory):
    out = tmp_path_factory.mktemp("ref") / "ref.h5"
    r = cli("sweep", tiny, "-o", out, "-q", "--no-progress")
    assert r.returncode == 0, r.stderr
    return out


def sweep(kpisim, exp, out, *args, kill_at=None):
    env = dict(os.environ)
    env.pop("KPISIM_TEST_KILL_AT", None)
    if kill_at:
        env["KPISIM_TEST_KILL_AT"] = kill_at
    return subprocess.run([str(kpisim), "sweep", str(exp), "-o", str(out), "--no-progress", "--threads", "1", *map(str, args)],
                          capture_output=True, text=True, env=env, timeout=HANG_GUARD_S, check=False)


def parts_of(out):
    return Path(str(out) + ".parts")


def temporaries(out):
    return sorted(p.name for p in out.parent.iterdir() if p.name.startswith(out.name + ".tmp"))


def identical(a, b):
    return compare_results.main(str(a), str(b)) == 0


# Phase -> what a kill there leaves: (files in the part directory or None, results file exists, temporaries of it).
PHASES = {
    "plan": (None, False, 0),
    "parts-dir": ([], False, 0),
    "manifest": (["experiment.yaml"], False, 0),
    "part-tmp": (["experiment.yaml", "run-000000000.part.tmp"], False, 0),
    "part": (["experiment.yaml", "run-000000000.part"], False, 0),
    "merge": (["experiment.yaml"] + [f"run-00000000{r}.part" for r in range(RUNS)], False, 1),
    "commit": (["experiment.yaml"] + [f"run-00000000{r}.part" for r in range(RUNS)], False, 1),
    "merged": (["experiment.yaml"] + [f"run-00000000{r}.part" for r in range(RUNS)], True, 0),
}


@pytest.mark.parametrize("phase", list(PHASES))
def test_kill_9_at_every_phase_then_resume_gives_the_same_bits(kpisim, tiny, reference, tmp_path, phase):
    out = tmp_path / "killed.h5"
    r = sweep(kpisim, tiny, out, kill_at=phase)
    assert r.returncode == -signal.SIGKILL, (r.returncode, r.stderr)
    files, results, temps = PHASES[phase]
    parts = parts_of(out)
    if files is None:
        assert not parts.exists()
    else:
        assert sorted(p.name for p in parts.iterdir()) == files
    assert out.exists() == results
    assert len(temporaries(out)) == temps, temporaries(out)
    done = sum(1 for f in files or [] if f.endswith(".part"))
    if results:
        assert identical(reference, out), "the file linked into place is already complete"
        before = out.stat()
    r = sweep(kpisim, tiny, out, "--resume")  # plain --resume at every phase
    assert r.returncode == 0, r.stderr
    if results:  # recognised as this sweep's own merge: finished without writing it again
        assert (out.stat().st_ino, out.stat().st_mtime_ns) == (before.st_ino, before.st_mtime_ns)
    assert f"{RUNS - done} run now, {done} from an earlier invocation" in r.stdout
    assert identical(reference, out)
    assert not parts.exists(), "the part directory is removed after the merge"
    assert temporaries(out) == [], "the killed merge's temporary file is removed"


def _killed_at_merged(kpisim, tiny, out):
    r = sweep(kpisim, tiny, out, kill_at="merged")
    assert r.returncode == -signal.SIGKILL, (r.returncode, r.stderr)
    assert out.exists() and parts_of(out).is_dir()


def test_resume_never_takes_another_file_for_its_merge(kpisim, tiny, reference, tmp_path):
    """After a kill at the merged phase, plain --resume finishes only if the file at the output is
    this sweep's complete merge; any other file there is kept (exit code 3, as without --resume)."""
    import h5py
    out = tmp_path / "killed.h5"
    # another file at the name (a user's results of something else): refused, untouched
    _killed_at_merged(kpisim, tiny, out)
    out.unlink()
    out.write_bytes(b"not ours")
    r = sweep(kpisim, tiny, out, "--resume")
    assert r.returncode == 3 and "add --force to run what is missing or failed and merge again" in r.stderr, r.stderr
    assert out.read_bytes() == b"not ours" and parts_of(out).is_dir()
    # a sweep file of another experiment (the experiment text differs): refused, untouched
    out.unlink()
    other = tmp_path / "other.yaml"
    other.write_text(tiny.read_text().replace("days: 28", "days: 21"))
    r = sweep(kpisim, other, tmp_path / "other.h5")
    assert r.returncode == 0, r.stderr
    (tmp_path / "other.h5").rename(out)
    data = out.read_bytes()
    r = sweep(kpisim, tiny, out, "--resume")
    assert r.returncode == 3, r.stderr
    assert out.read_bytes() == data and parts_of(out).is_dir()
    # this sweep's merge, damaged (a flipped byte in its stored scenario): not recognised, refused
    out.unlink()
    r = sweep(kpisim, tiny, out, "--resume", "--force")
    assert r.returncode == 0 and identical(reference, out), r.stderr
    _killed_at_merged(kpisim, tiny, out.with_name("k2.h5"))
    out2 = out.with_name("k2.h5")
    with h5py.File(out2, "r") as f:
        scenario = f.attrs["scenario"]
    scenario = scenario.decode() if isinstance(scenario, bytes) else scenario
    data = bytearray(out2.read_bytes())
    chunk = next(c for c in (scenario[i : i + 48].encode() for i in range(0, len(scenario) - 48, 16)) if data.count(c) == 1)
    data[data.index(chunk) + 20] ^= 1
    out2.write_bytes(bytes(data))
    r = sweep(kpisim, tiny, out2, "--resume")
    assert r.returncode == 3, r.stderr
    assert out2.read_bytes() == bytes(data) and parts_of(out2).is_dir()


def test_a_part_directory_without_manifest_starts_afresh_without_resume(kpisim, tiny, reference, tmp_path):
    out = tmp_path / "fresh.h5"
    assert sweep(kpisim, tiny, out, kill_at="parts-dir").returncode == -signal.SIGKILL
    (parts_of(out) / "experiment.yaml.tmp").write_text("half a manifest")
    r = sweep(kpisim, tiny, out)  # nothing to lose: the directory holds no run
    assert r.returncode == 0, r.stderr
    assert identical(reference, out)


def test_parts_without_manifest_are_not_resumed(kpisim, tiny, reference, tmp_path):
    out = tmp_path / "nomanifest.h5"
    assert sweep(kpisim, tiny, out, kill_at="part").returncode == -signal.SIGKILL
    (parts_of(out) / "experiment.yaml").unlink()
    r = sweep(kpisim, tiny, out, "--resume")
    assert r.returncode == 1 and "has no experiment.yaml" in r.stderr, r.stderr
    assert (parts_of(out) / "run-000000000.part").exists(), "nothing is lost"
    r = sweep(kpisim, tiny, out, "--force")
    assert r.returncode == 0, r.stderr
    assert "4 run now, 0 from an earlier invocation" in r.stdout
    assert identical(reference, out)


def test_links_planted_in_the_part_directory_are_not_followed(kpisim, tiny, reference, tmp_path):
    out = tmp_path / "planted.h5"
    assert sweep(kpisim, tiny, out, "--keep-parts").returncode == 0
    parts = parts_of(out)
    whole = (parts / "run-000000002.part").read_bytes()
    out.unlink()
    victims = {}
    for name in ("run-000000001.part.tmp", "experiment.yaml.tmp", "run-000000002.part"):
        victim = tmp_path / f"victim-{name}"
        # The last victim is a valid part of run 2: read through a link, it would be taken as run 2.
        victim.write_bytes(whole if name.endswith(".part") else b"precious\n")
        victims[victim] = victim.read_bytes()
        (parts / name).unlink(missing_ok=True)
        (parts / name).symlink_to(victim)
    (parts / "run-000000001.part").unlink()
    r = sweep(kpisim, tiny, out, "--resume")
    for victim, content in victims.items():
        assert victim.read_bytes() == content, f"{victim} was written through a link"
    assert r.returncode == 0, r.stderr
    assert "2 run now, 2 from an earlier invocation" in r.stdout, "the linked part is not read"
    assert identical(reference, out)


@pytest.mark.parametrize("mode", ["--resume", "--force", None])
def test_a_link_at_the_part_directory_name_is_refused(kpisim, tiny, tmp_path, mode):
    out = tmp_path / "linked.h5"
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "keep.txt").write_text("mine\n")
    parts_of(out).symlink_to(elsewhere, target_is_directory=True)
    r = sweep(kpisim, tiny, out, *([mode] if mode else []))
    assert r.returncode == 1 and "is a symbolic link" in r.stderr, r.stderr
    assert sorted(p.name for p in elsewhere.iterdir()) == ["keep.txt"] and parts_of(out).is_symlink()
    assert not out.exists()


def test_a_part_directory_writable_by_others_is_refused(kpisim, tiny, tmp_path):
    out = tmp_path / "shared.h5"
    parts_of(out).mkdir()
    parts_of(out).chmod(0o777)
    r = sweep(kpisim, tiny, out, "--resume")
    assert r.returncode == 1 and "writable by other users" in r.stderr, r.stderr


def patch_header(path, **fields):
    data = bytearray(path.read_bytes())
    names = ["magic", "run", "failed", "days", "replication", "reserved", "message_bytes", "series", "unit_series",
             "snapshot_days", "snapshot_agents", "snapshots"]
    values = dict(zip(names, HEADER.unpack_from(data)))
    values.update(fields)
    HEADER.pack_into(data, 0, *(values[n] for n in names))
    path.write_bytes(bytes(data))


def test_parts_with_a_valid_trailer_but_wrong_contents_are_run_again(kpisim, tiny, reference, tmp_path):
    out = tmp_path / "crafted.h5"
    assert sweep(kpisim, tiny, out, "--keep-parts").returncode == 0
    parts = parts_of(out)
    out.unlink()
    # Run 0's record under run 1's number (replication 0, not 1), a part of 27 days, and one that
    # declares more data than it holds: each keeps a valid trailer.
    (parts / "run-000000001.part").write_bytes((parts / "run-000000000.part").read_bytes())
    patch_header(parts / "run-000000001.part", run=1)
    patch_header(parts / "run-000000002.part", days=27)
    patch_header(parts / "run-000000003.part", series=10**6)
    r = sweep(kpisim, tiny, out, "--resume")
    assert r.returncode == 0, r.stderr
    assert "3 run now, 1 from an earlier invocation" in r.stdout
    for run, why in ((1, "replication 0"), (2, "27 days"), (3, "declares more data")):
        assert re.search(f"the part of run {run} in .* is not a record of that run \\(.*{why}.*\\): it is discarded", r.stderr), r.stderr
    assert identical(reference, out)


def test_stale_temporaries_of_the_results_file_go_only_when_their_process_is_gone(kpisim, tiny, reference, tmp_path):
    out = tmp_path / "stale.h5"
    assert sweep(kpisim, tiny, out, kill_at="merge").returncode == -signal.SIGKILL
    (stale,) = temporaries(out)
    pid, tag, _ = TEMP.search(stale).groups()
    live = tmp_path / f"{out.name}.tmp-{os.getpid()}-{tag}-0badc0de"  # this test's process is alive
    live.write_text("a writer still at work\n")
    other_host = tmp_path / f"{out.name}.tmp-{pid}-{'0' * 8 if tag != '0' * 8 else '1' * 8}-0badc0de"
    other_host.write_text("a writer on another host\n")
    victim = tmp_path / "victim"
    victim.write_text("precious\n")
    link = tmp_path / f"{out.name}.tmp-{pid}-{tag}-00000001"  # a dead PID's name, but a link
    link.symlink_to(victim)
    r = sweep(kpisim, tiny, out, "--resume")
    assert r.returncode == 0, r.stderr
    assert identical(reference, out)
    assert sorted(temporaries(out)) == sorted([live.name, other_host.name, link.name])
    assert victim.read_text() == "precious\n"


def test_an_output_in_a_new_directory_still_works(kpisim, tiny, reference, tmp_path):
    out = tmp_path / "new" / "dir" / "out.h5"  # the part directory's parents are created, as before
    r = sweep(kpisim, tiny, out)
    assert r.returncode == 0, r.stderr
    assert identical(reference, out)
