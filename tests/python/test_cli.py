"""Checks of the kpisim command line: help, validation messages, exit codes, output-file safety,
seeds and thread determinism.

Exit codes (engine/apps/kpisim/main.cpp): 0 ok, 1 run/output error, 2 invalid scenario or
arguments, 3 output exists without --force, 4 too large for memory.
"""
import re

import h5py
import numpy as np
import pytest
from conftest import HANG_GUARD_S

EXIT_OK, EXIT_RUN_ERROR, EXIT_INPUT_ERROR, EXIT_OUTPUT_EXISTS, EXIT_TOO_LARGE = 0, 1, 2, 3, 4


# ------------------------------------------------------------------------------------- helpers

def datasets(path):
    """{name: numpy array} of every dataset in an HDF5 file (coordinates and data variables)."""
    out = {}
    with h5py.File(path, "r") as f:
        def visit(name, obj):
            if isinstance(obj, h5py.Dataset):
                out[name] = obj[()]
        f.visititems(visit)
    return out


def assert_bitwise_equal(a, b, what):
    """Every dataset of file a equals the one of file b bit for bit (NaNs included)."""
    da, db = datasets(a), datasets(b)
    assert sorted(da) == sorted(db), f"{what}: different datasets"
    different = []
    for name in da:
        x, y = np.asarray(da[name]), np.asarray(db[name])
        if x.dtype != y.dtype or x.shape != y.shape:
            different.append(f"{name} (dtype/shape {x.dtype}{x.shape} vs {y.dtype}{y.shape})")
        elif x.dtype.kind == "O":
            if x.tolist() != y.tolist():
                different.append(name)
        elif x.tobytes() != y.tobytes():
            different.append(name)
    assert not different, f"{what}: datasets differ: {different}"


def leftovers(directory):
    """Temporary files left behind by an interrupted or failed write."""
    return sorted(p.name for p in directory.iterdir() if ".tmp" in p.name)


def error_lines(stderr):
    return [line for line in stderr.splitlines() if ": error: " in line]


def scenario_variant(small_scenario, tmp_path, name, **changes):
    """Writes a copy of the small scenario with organisation keys changed (text edit, no YAML lib)."""
    text = small_scenario.read_text(encoding="utf-8")
    for key, value in changes.items():
        text, n = re.subn(rf"(?m)^(\s+){key}: .*$", rf"\g<1>{key}: {value}", text, count=1)
        assert n == 1, f"key {key} not found in {small_scenario}"
    out = tmp_path / f"{name}.yaml"
    out.write_text(text, encoding="utf-8")
    return out


# ---------------------------------------------------------------------------------------- help

def test_help_shows_examples_and_exit_codes(cli):
    r = cli("--help")
    assert r.returncode == EXIT_OK, r.stderr
    text = r.stdout + r.stderr
    assert "Examples:" in text
    assert "kpisim run" in text and "kpisim validate" in text
    assert "Exit codes" in text
    for code in ("0", "1", "2", "3", "4"):
        assert re.search(rf"\b{code}\b", text.split("Exit codes", 1)[1]), f"exit code {code} not documented"
    assert "--force" in text


def test_run_help_lists_options(cli):
    r = cli("run", "--help")
    assert r.returncode == EXIT_OK, r.stderr
    text = r.stdout + r.stderr
    for opt in ("--output", "--seed", "--threads", "--days", "--force", "--quiet", "--no-progress"):
        assert opt in text, f"{opt} missing from `kpisim run --help`"
    assert "Examples:" in text and "Exit codes" in text


def test_version(cli):
    r = cli("--version")
    assert r.returncode == EXIT_OK
    assert re.match(r"^kpisim \S+ \(commit \S+, \w+ build, [^,)]+(, MPI)?\)", r.stdout), r.stdout


def test_no_subcommand_is_an_argument_error(cli):
    r = cli()
    assert r.returncode == EXIT_INPUT_ERROR


def test_unknown_option_is_an_argument_error(cli, small_scenario, tmp_path):
    r = cli("run", small_scenario, "--bogus-option", "-o", tmp_path / "x.h5")
    assert r.returncode == EXIT_INPUT_ERROR
    assert not (tmp_path / "x.h5").exists()


# ------------------------------------------------------------------------------------ validate

def test_validate_good_scenario(cli, small_scenario):
    r = cli("validate", small_scenario)
    assert r.returncode == EXIT_OK, r.stderr
    assert "OK" in r.stdout
    assert "60 employees" in r.stdout and "5 policies" in r.stdout and "84 days" in r.stdout


def test_validate_missing_file(cli, tmp_path):
    r = cli("validate", tmp_path / "does_not_exist.yaml")
    assert r.returncode == EXIT_INPUT_ERROR


# (file in tests/data/bad, expected 1-based line, expected 1-based column or None, substrings)
BAD_SCENARIOS = [
    ("unknown_top_key.yaml", 4, 1, ["unknown key 'dayz'", "did you mean 'days'?"]),
    ("unknown_nested_key.yaml", 4, 3, ["unknown key 'employes'", "did you mean 'employees'?"]),
    ("out_of_range.yaml", 3, 14, ["organisation.employees", "[2, 50000000]", "'1'"]),
    ("wrong_type.yaml", 3, 7, ["'days'", "whole number", "'abc'"]),
    ("unknown_regime.yaml", 6, 11, ["leaderbord", "did you mean 'leaderboard'?"]),
    ("unknown_task.yaml", 7, 18, ["unknown task 'sofware'", "did you mean 'software'?"]),
    ("bad_regime_param.yaml", 7, 16, ["top_share", "out of range", "[0, 1]"]),
]


@pytest.mark.parametrize("name,line,col,needles", BAD_SCENARIOS, ids=[b[0].removesuffix(".yaml") for b in BAD_SCENARIOS])
def test_validate_reports_error_with_location(cli, bad_dir, name, line, col, needles):
    path = bad_dir / name
    r = cli("validate", path)
    assert r.returncode == EXIT_INPUT_ERROR, f"exit {r.returncode}\nstdout:{r.stdout}\nstderr:{r.stderr}"
    errors = error_lines(r.stderr)
    assert len(errors) == 1, f"expected exactly one error:\n{r.stderr}"
    msg = errors[0]
    assert msg.startswith(f"{path}:{line}:{col}: error: "), f"wrong file:line:col (want {line}:{col}):\n{msg}"
    for needle in needles:
        assert needle in msg, f"{needle!r} missing from:\n{msg}"
    assert "OK" not in r.stdout


def test_validate_yaml_syntax_error(cli, bad_dir):
    path = bad_dir / "yaml_syntax.yaml"
    r = cli("validate", path)
    assert r.returncode == EXIT_INPUT_ERROR
    errors = error_lines(r.stderr)
    assert errors, r.stderr
    # The unclosed flow mapping opens on line 4.
    assert re.match(rf"^{re.escape(str(path))}:4:\d+: error: .*YAML", errors[0]), r.stderr


def test_validate_reports_all_errors(cli, bad_dir):
    path = bad_dir / "multiple_errors.yaml"
    r = cli("validate", path)
    assert r.returncode == EXIT_INPUT_ERROR
    errors = error_lines(r.stderr)
    assert len(errors) == 3, f"expected 3 errors:\n{r.stderr}"
    by_line = {int(m.group(1)): e for e in errors if (m := re.match(rf"^{re.escape(str(path))}:(\d+):\d+: error: ", e))}
    assert set(by_line) == {3, 4, 6}, r.stderr
    assert by_line[3].startswith(f"{path}:3:7: ") and "'days'" in by_line[3]
    assert by_line[4].startswith(f"{path}:4:1: ") and "unknown key 'sead'" in by_line[4] and "did you mean 'seed'?" in by_line[4]
    assert by_line[6].startswith(f"{path}:6:14: ") and "'lots'" in by_line[6]


def test_run_invalid_scenario_writes_nothing(cli, bad_dir, tmp_path):
    out = tmp_path / "bad.h5"
    r = cli("run", bad_dir / "unknown_top_key.yaml", "-o", out, "-q")
    assert r.returncode == EXIT_INPUT_ERROR
    assert "unknown key 'dayz'" in r.stderr
    assert not out.exists()
    assert list(tmp_path.iterdir()) == []


# ------------------------------------------------------------------------------ output safety

def test_run_refuses_to_overwrite_without_force(cli, small_scenario, tmp_path):
    out = tmp_path / "existing.h5"
    content = b"not an HDF5 file, must survive\n" * 100
    out.write_bytes(content)
    r = cli("run", small_scenario, "-o", out, "-q", "--days", "7")
    assert r.returncode == EXIT_OUTPUT_EXISTS, r.stderr
    assert "--force" in r.stderr
    assert out.read_bytes() == content
    assert leftovers(tmp_path) == []


def test_run_force_replaces_existing_output(cli, small_scenario, tmp_path):
    out = tmp_path / "existing.h5"
    out.write_bytes(b"old content")
    r = cli("run", small_scenario, "-o", out, "-q", "--days", "7", "--force")
    assert r.returncode == EXIT_OK, r.stderr
    with h5py.File(out, "r") as f:
        assert f["day"].shape == (7,)
    assert leftovers(tmp_path) == []


def test_failed_forced_run_keeps_existing_output(cli, bad_dir, tmp_path):
    out = tmp_path / "existing.h5"
    content = b"previous results\n" * 50
    out.write_bytes(content)
    r = cli("run", bad_dir / "out_of_range.yaml", "-o", out, "-q", "--force")
    assert r.returncode == EXIT_INPUT_ERROR
    assert out.read_bytes() == content
    assert leftovers(tmp_path) == []


def test_run_default_output_name_in_current_directory(cli, small_scenario, tmp_path):
    r = cli("run", small_scenario, "-q", "--days", "7", cwd=tmp_path)
    assert r.returncode == EXIT_OK, r.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["small_compare.h5"]


def test_run_into_missing_directory_creates_it(cli, small_scenario, tmp_path):
    out = tmp_path / "no_such_dir" / "deeper" / "out.h5"
    r = cli("run", small_scenario, "-o", out, "-q", "--days", "7")
    assert r.returncode == 0, r.stderr
    assert out.is_file()


def test_run_into_an_impossible_directory_fails_before_running(cli, small_scenario, tmp_path):
    blocker = tmp_path / "a_file"
    blocker.write_text("not a directory")
    r = cli("run", small_scenario, "-o", blocker / "out.h5", "-q", "--days", "7")
    assert r.returncode == EXIT_RUN_ERROR, r.stderr
    assert "cannot create the directory" in r.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a_file"]


def test_run_onto_a_directory_fails_cleanly(cli, small_scenario, tmp_path):
    target = tmp_path / "a_directory"
    target.mkdir()
    r = cli("run", small_scenario, "-o", target, "-q", "--days", "7", "--force")
    assert r.returncode == EXIT_RUN_ERROR, r.stderr
    assert target.is_dir() and list(target.iterdir()) == []
    assert leftovers(tmp_path) == [], "temporary file left behind"


def test_too_large_scenario_is_refused_with_an_estimate(cli, bad_dir, tmp_path):
    # tests/data/bad/too_large.yaml: 50 million employees x 4 policies, estimated at ~50 GiB.
    avail_gib = None
    with open("/proc/meminfo", encoding="ascii") as f:
        for line in f:
            if line.startswith("MemAvailable:"):
                avail_gib = int(line.split()[1]) / 2**20
    # kpisim refuses when the estimate (~51 GiB) exceeds 80% of MemAvailable; keep a wide margin so
    # that a big machine never actually starts the run.
    if avail_gib is None or 0.8 * avail_gib > 40:
        pytest.skip(f"MemAvailable is {avail_gib} GiB: the scenario might fit on this machine")
    out = tmp_path / "big.h5"
    r = cli("run", bad_dir / "too_large.yaml", "-o", out, "-q", timeout=HANG_GUARD_S)
    assert r.returncode == EXIT_TOO_LARGE, f"exit {r.returncode}: {r.stderr}"
    assert re.search(r"\d+(\.\d+)? GiB", r.stderr), r.stderr
    m = re.search(r"estimated (\d+(?:\.\d+)?) GiB", r.stderr)
    assert m and float(m.group(1)) > 10, r.stderr
    # No wall-clock bound here (shared CI machines): the refusal's cost is checked by its peak memory
    # in test_edge_cases.py::test_too_large_scenario_is_refused_before_the_organisation_is_built.
    assert list(tmp_path.iterdir()) == []


# -------------------------------------------------------------------- seeds, days, threads

def test_seed_changes_results_and_same_seed_reproduces(cli, small_scenario, tmp_path):
    paths = {}
    for name, seed in (("a", 7), ("b", 7), ("c", 8)):
        paths[name] = tmp_path / f"{name}.h5"
        r = cli("run", small_scenario, "-o", paths[name], "-q", "--seed", seed, "--days", "28")
        assert r.returncode == EXIT_OK, r.stderr
    assert_bitwise_equal(paths["a"], paths["b"], "same seed")
    with h5py.File(paths["a"], "r") as fa, h5py.File(paths["c"], "r") as fc:
        assert int(fa.attrs["seed"]) == 7 and int(fc.attrs["seed"]) == 8
        for name in ("true_value_per_fte", "hours_per_fte", "exhaustion_mean"):
            assert not np.array_equal(fa[name][()], fc[name][()]), f"{name} does not depend on --seed"


def test_seed_override_is_recorded_in_stored_scenario(cli, small_scenario, tmp_path):
    out = tmp_path / "s.h5"
    r = cli("run", small_scenario, "-o", out, "-q", "--seed", "12345", "--days", "14")
    assert r.returncode == EXIT_OK, r.stderr
    with h5py.File(out, "r") as f:
        scenario = f.attrs["scenario"]
        scenario = scenario.decode() if isinstance(scenario, bytes) else scenario
        assert "--seed 12345" in str(f.attrs["command_line"])
    assert re.search(r"(?m)^seed: 12345\s*$", scenario), scenario[:200]
    assert re.search(r"(?m)^days: 14\s*$", scenario), scenario[:200]


def test_stored_scenario_reproduces_the_run(cli, small_scenario, tmp_path):
    """The resolved scenario stored in a results file is enough to re-run it bit for bit."""
    first = tmp_path / "first.h5"
    r = cli("run", small_scenario, "-o", first, "-q", "--days", "28")
    assert r.returncode == EXIT_OK, r.stderr
    with h5py.File(first, "r") as f:
        scenario = f.attrs["scenario"]
        scenario = scenario.decode() if isinstance(scenario, bytes) else scenario
    stored = tmp_path / "stored.yaml"
    stored.write_text(scenario, encoding="utf-8")
    assert cli("validate", stored).returncode == EXIT_OK
    second = tmp_path / "second.h5"
    r = cli("run", stored, "-o", second, "-q")
    assert r.returncode == EXIT_OK, r.stderr
    assert_bitwise_equal(first, second, "re-run of the stored scenario")


def test_days_override(cli, small_scenario, tmp_path):
    out = tmp_path / "d30.h5"
    r = cli("run", small_scenario, "-o", out, "-q", "--days", "30")
    assert r.returncode == EXIT_OK, r.stderr
    with h5py.File(out, "r") as f:
        assert f["day"].shape == (30,)
        np.testing.assert_array_equal(f["day"][()], np.arange(30))
        assert f["true_value_per_fte"].shape == (5, 30)
        # snapshot_every 14: days 13 and 27
        np.testing.assert_array_equal(f["snapshot"][()], [13, 27])


@pytest.mark.parametrize("days", ["0", "36501", "abc"])
def test_days_override_out_of_range_is_an_argument_error(cli, small_scenario, tmp_path, days):
    out = tmp_path / "x.h5"
    r = cli("run", small_scenario, "-o", out, "-q", "--days", days)
    assert r.returncode == EXIT_INPUT_ERROR
    assert not out.exists()


def test_threads_do_not_change_results(cli, small_scenario, tmp_path):
    """Thread determinism: --threads 1 and --threads 2 give bit-identical datasets.

    Uses 5000 employees so that each day's per-person pass spans several parallel blocks
    (kBlock = 2048 agents), not just several policies in parallel."""
    scenario = scenario_variant(small_scenario, tmp_path, "threads", employees=5000)
    outs = []
    for threads in (1, 2):
        out = tmp_path / f"t{threads}.h5"
        r = cli("run", scenario, "-o", out, "-q", "--days", "21", "--threads", threads)
        assert r.returncode == EXIT_OK, r.stderr
        outs.append(out)
    with h5py.File(outs[0], "r") as a, h5py.File(outs[1], "r") as b:
        assert int(a.attrs["threads"]) == 1 and int(b.attrs["threads"]) == 2
    assert_bitwise_equal(outs[0], outs[1], "--threads 1 vs --threads 2")


# ------------------------------------------------------------------ regressions (bugs found and fixed)

@pytest.mark.parametrize("name,lines", [("schedule_phase_reversed.yaml", range(5, 9)),
                                        ("hybrid_no_components.yaml", range(5, 8))])
def test_validate_catches_what_run_rejects(cli, bad_dir, name, lines):
    path = bad_dir / name
    r = cli("run", path, "-o", "/dev/null/never", "-q")
    assert r.returncode == EXIT_INPUT_ERROR, r.stderr  # run does reject it
    r = cli("validate", path)
    assert r.returncode == EXIT_INPUT_ERROR, f"validate accepted what run rejects:\n{r.stdout}"
    m = re.match(rf"^{re.escape(str(path))}:(\d+):\d+: error: ", r.stderr)
    assert m and int(m.group(1)) in lines, r.stderr


def test_unknown_tool_error_has_location(cli, bad_dir):
    path = bad_dir / "unknown_tool.yaml"
    r = cli("validate", path)
    assert r.returncode == EXIT_INPUT_ERROR
    errors = error_lines(r.stderr)
    assert errors and errors[0].startswith(f"{path}:5:16: error: "), r.stderr
    assert "did you mean 'assistant'?" in errors[0]


def test_unknown_tool_reports_one_error(cli, bad_dir):
    r = cli("validate", bad_dir / "unknown_tool.yaml")
    assert r.returncode == EXIT_INPUT_ERROR
    errors = error_lines(r.stderr)
    assert len(errors) == 1, r.stderr


def test_crowding_error_has_location(cli, bad_dir):
    path = bad_dir / "crowding_too_large.yaml"
    r = cli("validate", path)
    assert r.returncode == EXIT_INPUT_ERROR
    assert "crowding" in r.stderr
    assert re.match(rf"^{re.escape(str(path))}:5:\d+: error: ", r.stderr), r.stderr


@pytest.mark.parametrize("seed", ["-1", "18446744073709551616"])
def test_seed_out_of_range_is_an_argument_error(cli, small_scenario, tmp_path, seed):
    out = tmp_path / "x.h5"
    r = cli("run", small_scenario, "-o", out, "-q", "--days", "7", f"--seed={seed}")
    assert r.returncode == EXIT_INPUT_ERROR, f"--seed={seed} accepted"
    assert not out.exists()


def test_dangling_symlink_output_is_refused_with_exit_3(cli, small_scenario, tmp_path):
    link = tmp_path / "out.h5"
    link.symlink_to(tmp_path / "missing_target.h5")
    r = cli("run", small_scenario, "-o", link, "-q", "--days", "7")
    assert link.is_symlink() and not (tmp_path / "missing_target.h5").exists()
    assert leftovers(tmp_path) == []
    assert r.returncode == EXIT_OUTPUT_EXISTS, f"exit {r.returncode}: {r.stderr}"


# A valid scenario (every person audited, no fines, a rich leaderboard): padding is filtered out
# of everyone's score, the leaderboard cutoff collapses to ~0 tokens, the rank incentive per token
# explodes (sigma floor 1 token) and the allocation, with marginal utilities ~1e8 USD/h, overshoots
# the 12 h cap by ~1e-9 h through rounding.
EXTREME_AUDITED_LEADERBOARD = """\
days: 21
organisation: {employees: 10}
policies:
  a:
    type: hybrid
    components:
      - {weight: 1, policy: {type: leaderboard, prize_usd: 2000, top_share: 0.1}}
      - {weight: 1, policy: {type: audit, cadence: weekly, probability: 1, detection: 1,
                             penalty_usd_per_hour: 0, penalty_usd_per_script: 0, cost_hours: 0}}
"""


def test_extreme_valid_scenario_runs(cli, tmp_path):
    scenario = tmp_path / "extreme.yaml"
    scenario.write_text(EXTREME_AUDITED_LEADERBOARD, encoding="utf-8")
    assert cli("validate", scenario).returncode == EXIT_OK
    out = tmp_path / "extreme.h5"
    r = cli("run", scenario, "-o", out, "-q")
    assert r.returncode == EXIT_OK, r.stderr
    with h5py.File(out, "r") as f:
        assert f["hours_per_fte"][()].max() <= 12.0 + 1e-11
