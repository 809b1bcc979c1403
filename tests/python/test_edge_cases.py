"""Valid scenarios at the edges of the parameter ranges run with every invariant holding (the
checked build throws on a violated invariant), and a few invalid combinations are refused."""
import os
import subprocess

import h5py
import numpy as np
import pytest
from conftest import HANG_GUARD_S

EDGE = os.path.join(os.path.dirname(__file__), "..", "data", "edge")


def run(kpisim, tmp_path, name, *extra):
    out = tmp_path / (name + ".h5")
    r = subprocess.run([kpisim, "run", os.path.join(EDGE, name + ".yaml"), "-q", "-o", str(out), *extra],
                       capture_output=True, text=True, timeout=HANG_GUARD_S)
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
    r = subprocess.run([kpisim, "validate", str(p)], capture_output=True, text=True, timeout=HANG_GUARD_S)
    assert r.returncode == 2
    assert message in r.stderr


# ---------------------------------------------------------------------------------------------
# Issue 9 (hardening): scenario and experiment files are untrusted input. Each case is a small
# reproducer; the checks are exit code, message and peak memory, never time.

BAD = os.path.join(os.path.dirname(__file__), "..", "data", "bad")
SMALL = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "data", "small_compare.yaml"))
REFUSED_WITHIN_KB = 200 * 1024  # a refusal from arithmetic needs no more than this (peak RSS)


def _sanitized(kpisim):
    """Whether the binary is built with AddressSanitizer (it reserves terabytes of address space for
    its shadow memory, so it cannot run under an address-space cap)."""
    key = str(kpisim)
    if key not in _SANITIZED:
        with open(key, "rb") as f:
            _SANITIZED[key] = b"__asan_init" in f.read()
    return _SANITIZED[key]


_SANITIZED = {}


def measured(kpisim, *args, cwd=None):
    """Runs kpisim; returns (exit code, stdout, stderr, peak RSS of that process in KiB)."""
    import resource
    import tempfile
    sanitized = _sanitized(kpisim)

    def cap():
        # Address space capped at 4 GiB: a refusal that fails must not take the machine down with
        # it. Not under AddressSanitizer (its shadow memory needs the address space); the peak RSS
        # bound of each test still holds there.
        if not sanitized:
            resource.setrlimit(resource.RLIMIT_AS, (4 << 30, 4 << 30))

    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        p = subprocess.Popen([str(kpisim), *[str(a) for a in args]], stdout=out, stderr=err, cwd=cwd, preexec_fn=cap)
        _, status, usage = os.wait4(p.pid, 0)
        p.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return p.returncode, out.read().decode("utf-8", "replace"), err.read().decode("utf-8", "replace"), usage.ru_maxrss


def check(kpisim, tmp_path, text, *args, name="x.yaml", binary=False):
    p = tmp_path / name
    if binary:
        p.write_bytes(text)
    else:
        p.write_text(text)
    r = subprocess.run([str(kpisim), *(args or ("validate",)), str(p)], capture_output=True, text=True, errors="replace",
                       timeout=600)
    return r, str(p)


@pytest.mark.parametrize("command", [("validate",), ("run", "-q")])
def test_alias_bomb_is_refused_from_a_node_count(kpisim, tmp_path, command):
    extra = ["-o", tmp_path / "x.h5"] if command[0] == "run" else []
    rc, _, err, kb = measured(kpisim, *command, os.path.join(BAD, "alias_bomb.yaml"), *extra)
    assert rc == 2, err
    assert "alias_bomb.yaml:3:12: error: the document has more than 100000 YAML nodes" in err
    assert kb < REFUSED_WITHIN_KB
    assert not (tmp_path / "x.h5").exists()


def test_huge_grid_is_refused_from_its_counts(kpisim):
    rc, _, err, kb = measured(kpisim, "sweep", os.path.join(BAD, "huge_grid.yaml"), "--dry-run")
    assert rc == 2, err
    assert "huge_grid.yaml:5:3: error: the design has 1000000000000 parameter points" in err
    assert kb < REFUSED_WITHIN_KB


@pytest.mark.parametrize("design, message", [
    ("{type: saltelli, points: 10000000}", "'design.points' expects a whole number in [1, 1000000]"),
    ("{type: saltelli, points: 1000000}", "the design has 4000000 parameter points (N (d + 2) with N = 1000000, d = 2)"),
])
def test_large_designs_are_refused_before_generation(kpisim, tmp_path, design, message):
    text = (f"name: d\nbase: {SMALL}\nreplications: 1\ndesign: {design}\nparameters:\n"
            "  behaviour.effort_cost: {lower: 4, upper: 10}\n  wellbeing.drain_rate: {lower: 0.01, upper: 0.1}\n")
    (tmp_path / "d.yaml").write_text(text)
    rc, _, err, kb = measured(kpisim, "sweep", tmp_path / "d.yaml", "--dry-run")
    assert rc == 2, err
    assert message in err
    assert kb < REFUSED_WITHIN_KB


def test_too_large_scenario_is_refused_before_the_organisation_is_built(kpisim, tmp_path):
    f = os.path.join(BAD, "too_large_anywhere.yaml")
    rc, _, err, kb = measured(kpisim, "run", f, "-o", tmp_path / "x.h5", "-q")
    assert rc == 4, err
    assert "refusing to run" in err and "50000000 employees x 16 policies" in err
    assert kb < REFUSED_WITHIN_KB
    assert not (tmp_path / "x.h5").exists()
    rc, out, err, kb = measured(kpisim, "validate", f)
    assert rc == 0, err
    assert "OK: 'too_large_anywhere', 50000000 employees in 7812502 units (6250000 teams)" in out
    assert "warning: valid, but too large for this machine" in err and "`kpisim run` would refuse it (exit 4)" in err
    assert kb < REFUSED_WITHIN_KB


def test_sweep_with_a_too_large_base_exits_4_not_bad_alloc(kpisim, tmp_path):
    (tmp_path / "e.yaml").write_text(f"name: big\nbase: {os.path.join(os.path.abspath(BAD), 'too_large_anywhere.yaml')}\n"
                                     "replications: 1\npolicies: [p0]\n")
    rc, out, err, kb = measured(kpisim, "sweep", tmp_path / "e.yaml", "-o", tmp_path / "x.h5", "--threads", "1")
    assert rc == 4, err
    assert "refusing to run: the sweep needs an estimated" in err
    assert "time not estimated" in out
    assert kb < REFUSED_WITHIN_KB
    rc, out, err, kb = measured(kpisim, "validate", tmp_path / "e.yaml")
    assert rc == 0 and "warning: valid, but too large" in err and kb < REFUSED_WITHIN_KB


@pytest.mark.parametrize("name", ["../escaped_out", "/tmp/kpisim_escaped", "''", '"a\\nb"', "sub/dir"])
def test_experiment_names_never_become_paths(kpisim, tmp_path, name):
    work = tmp_path / "work"
    work.mkdir()
    (work / "e.yaml").write_text(f"name: {name}\nbase: {SMALL}\nreplications: 1\n")
    for cmd in (["validate"], ["sweep", "-q"]):
        r = subprocess.run([str(kpisim), *cmd, "e.yaml"], capture_output=True, text=True, cwd=work, timeout=600)
        assert r.returncode == 2, r.stderr
        assert r.stderr.startswith("e.yaml:1:7: error: experiment name")
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["e.yaml", "work"]
    assert not os.path.exists("/tmp/kpisim_escaped.h5")


@pytest.mark.parametrize("key, message", [
    ('"a b"', "' ' is not allowed in a name"),
    ("a..b", "must not contain '..'"),
    ("a/b", "'/' is not allowed in a name"),
    (".x", "must not start with '.'"),
    ('""', "must not be empty"),
])
def test_policy_names_are_checked_at_load_with_a_position(kpisim, tmp_path, key, message):
    r, path = check(kpisim, tmp_path, f"days: 7\npolicies:\n  {key}: {{type: none}}\n")
    assert r.returncode == 2
    assert r.stderr.startswith(f"{path}:3:3: error: ") and message in r.stderr


def test_non_utf8_names_are_refused(kpisim, tmp_path):
    r, path = check(kpisim, tmp_path, b"days: 7\npolicies:\n  caf\xe9: {type: none}\n", binary=True)
    assert r.returncode == 2
    assert f"{path}:3:3: error: 'caf\\xE9' in 'policies'" in r.stderr


def test_values_in_messages_are_escaped_and_cut(kpisim, tmp_path):
    r, path = check(kpisim, tmp_path, 'behaviour: {effort_cost: "1\\nfake.yaml:1:1: error: forged\\e[2J"}\n')
    assert r.returncode == 2
    assert r.stderr.count("\n") == 1 and "\x1b" not in r.stderr  # one message line, no escape sequence
    assert "got '1\\nfake.yaml:1:1: error: forged\\x1B[2J'" in r.stderr
    r, _ = check(kpisim, tmp_path, "name: " + "y" * 2_000_000 + "\ndays: abc\n")
    assert r.returncode == 2 and len(r.stderr) < 500
    r, _ = check(kpisim, tmp_path, "days: " + "9" * 2_000_000 + "\n")
    assert r.returncode == 2 and len(r.stderr) < 500 and "…(2000000 bytes)" in r.stderr


@pytest.mark.parametrize("text, position, message", [
    ("policies:\n  a: {type: none}\n  a: {type: quota}\n", "3:3", "'a' appears twice in 'policies' (first at line 2, column 3)"),
    ("organisation:\n  divisions:\n    d: {}\n    d: {}\n", "4:5", "'d' appears twice in 'organisation.divisions'"),
    ("tasks:\n  memo: {}\n  memo: {base_hours: 2}\n", "3:3", "'memo' appears twice in 'tasks'"),
    ("tools:\n  t: {}\n  t: {}\n", "3:3", "'t' appears twice in 'tools'"),
    ("organisation:\n  divisions:\n    d: {task_mix: {memo: 1, memo: 2}}\n", "3:29", "'memo' appears twice in 'organisation.divisions.d.task_mix' (first at line 3, column 20)"),
    ("days: 7\n---\ndays: 8\n", "3:1", "a second YAML document begins here"),
    ("policies:\n  ? [a, b]\n  : {type: none}\n", "2:5", "the keys of 'policies' must be plain names"),
    ("", "1:1", "a scenario must be a mapping"),
    ("organisation:\n  divisions: {}\n", "2:14", "organisation.divisions is empty"),
    ("organisation:\n  divisions:\n    a: {task_mix: {memo: 0}}\n", "3:19", "task_mix sums to zero"),
])
def test_silent_drops_are_errors_with_a_position(kpisim, tmp_path, text, position, message):
    r, path = check(kpisim, tmp_path, text)
    assert r.returncode == 2, r.stderr
    assert r.stderr.startswith(f"{path}:{position}: error: ") and message in r.stderr, r.stderr
    assert "internal error" not in r.stderr


def test_duplicate_parameters_and_a_directory_base_have_positions(kpisim, tmp_path):
    r, path = check(kpisim, tmp_path, f"base: {SMALL}\nparameters:\n  behaviour.effort_cost: {{values: [4]}}\n"
                                      "  behaviour.effort_cost: {values: [5]}\n")
    assert r.returncode == 2 and r.stderr.startswith(f"{path}:4:3: error: 'behaviour.effort_cost' appears twice")
    r, path = check(kpisim, tmp_path, f"base: {tmp_path}\n")
    assert r.returncode == 2 and r.stderr.startswith(f"{path}:1:7: error: base scenario") and "is a directory" in r.stderr


def test_validate_runs_the_checks_of_sweep_dry_run(kpisim, tmp_path):
    # Each value alone is valid; the point (effort_cost 2, crowding 3) is not.
    text = (f"name: v\nbase: {SMALL}\nreplications: 1\nparameters:\n  behaviour.effort_cost: {{values: [2, 8]}}\n"
            "  behaviour.crowding: {values: [3]}\n")
    outs = []
    for cmd in (["validate"], ["sweep", "--dry-run"]):
        r, path = check(kpisim, tmp_path, text, *cmd)
        assert r.returncode == 2, r.stderr
        assert r.stderr.startswith(f"{path}:5:3: error: parameter point 0 (behaviour.effort_cost = 2, behaviour.crowding = 3)")
        outs.append(r.stderr)
    assert outs[0] == outs[1]


def test_the_largest_seed_is_accepted(kpisim, tmp_path):
    r, _ = check(kpisim, tmp_path, "seed: 18446744073709551615\ndays: 7\n")
    assert r.returncode == 0, r.stderr
    r, _ = check(kpisim, tmp_path, f"base: {SMALL}\nseed: 18446744073709551615\nreplications: 1\n")
    assert r.returncode == 0, r.stderr


def test_a_stream_that_makes_yaml_cpp_loop_is_refused(kpisim):
    # ",\n {\n}\n": yaml-cpp 0.7's LoadAll loops for ever on it, allocating (yaml-cpp issue #1040,
    # found by tests/fuzz); the loader reads one document and looks for a second with a bounded parser.
    rc, _, err, kb = measured(kpisim, "validate", os.path.join(BAD, "yaml_cpp_loadall_loop.yaml"))
    assert rc == 2, err
    assert "yaml_cpp_loadall_loop.yaml:1:1: error:" in err
    assert kb < REFUSED_WITHIN_KB
