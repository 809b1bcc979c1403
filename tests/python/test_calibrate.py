"""`kpisim calibrate` end to end on a small scenario (docs/experiments.md, "Calibration"): it recovers
a parameter from a target the model produced at a known value (identification on common random
numbers), the printed fit, the results file (evaluations, fit, the chosen point's runs), the same
result at any thread count, outputs never clobbered, and bad calibrate sections refused with
file:line:column messages.
"""
import os
import re
import subprocess
import tempfile

import h5py
import numpy as np
import pytest
import xarray as xr
from conftest import calibrate_at_thread_counts

TRUE_FRICTION = 10.0  # behaviour.adoption_friction_usd_per_hour at which the target is produced
FIRST, DAYS = 14, 56

HEAD = """\
name: {name}
base: {base}
policies: [baseline, leaderboard]
baseline: baseline
replications: 3
days: {days}
analysis: {{first_day: {first}}}
parameters:
  behaviour.adoption_friction_usd_per_hour: {param}
"""

CALIBRATE = """\
calibrate:
  targets:
    ai_share:
      policy: baseline
      output: ai_task_share
      value: {value!r}
      se: 0.005
      source: the model at friction {true}
    tokens_per_hour:
      policy: leaderboard
      output: tokens_productive
      plus: [tokens_rework]
      per: hours_per_fte
      value: 1.0
      interval: [0.0, 1.0e9]
      weight: 0
  evaluations: 20
  start_points: 4
"""

# A posterior over the friction and a parameter the baseline's figure does not depend on (the
# leaderboard's prize: the leaderboard's target has weight 0): the first is pinned, the second not.
POSTERIOR = """  policies.leaderboard.prize_usd: {{lower: 100, upper: 10000, scale: log}}
"""


def head(source_dir, name, param):
    return HEAD.format(name=name, base=source_dir / "tests" / "data" / "small_compare.yaml", days=DAYS, first=FIRST, param=param)


@pytest.fixture(scope="module")
def target_value(cli, source_dir, tmp_path_factory):
    """The baseline's ai_task_share at the true friction: a sweep over one point, the same 3 replications."""
    d = tmp_path_factory.mktemp("calibrate_truth")
    exp = d / "truth.yaml"
    exp.write_text(head(source_dir, "truth", f"{{values: [{TRUE_FRICTION}]}}"))
    r = cli("sweep", exp, "-o", d / "truth.h5", "-q", "--no-progress")
    assert r.returncode == 0, r.stderr
    with h5py.File(d / "truth.h5") as f:
        base = [i for i, p in enumerate(f["policy"][()]) if p.decode() == "baseline"]
        share = f["ai_task_share"][()][base, FIRST:DAYS]
    return float(np.mean(np.nanmean(share, axis=1)))


@pytest.fixture(scope="module")
def experiment(source_dir, tmp_path_factory, target_value):
    d = tmp_path_factory.mktemp("calibrate")
    exp = d / "cal.yaml"
    exp.write_text(head(source_dir, "cal", "{lower: 0, upper: 20}") + CALIBRATE.format(value=target_value, true=TRUE_FRICTION))
    return exp


@pytest.fixture(scope="module")
def runs(cli, experiment):
    out = calibrate_at_thread_counts(cli, experiment, experiment.parent, "cal")
    return out


def test_recovers_the_parameter_that_produced_the_target(runs, target_value):
    path, text = runs[1]
    fit = xr.open_dataset(path, engine="h5netcdf", group="calibration/fit")
    ev = xr.open_dataset(path, engine="h5netcdf", group="calibration/evaluations")
    chosen = int(ev.attrs["chosen"])
    x = float(ev["behaviour.adoption_friction_usd_per_hour"].values[chosen])
    assert abs(x - TRUE_FRICTION) < 1.0, x  # the box is [0, 20]; the start (the scenario's 4) is far from it
    assert float(ev["loss"].values[chosen]) == pytest.approx(float(np.nanmin(ev["loss"].values)))
    assert fit["within"].sel(target="ai_share").item() == 1
    assert fit["model"].sel(target="ai_share").item() == pytest.approx(target_value, abs=2 * 0.005)
    assert fit["value"].sel(target="ai_share").item() == pytest.approx(target_value)
    # The interval's se: (upper - lower) / (2 x 1.96); a weight of 0 leaves the target out of the loss.
    assert fit["se"].sel(target="tokens_per_hour").item() == pytest.approx(1e9 / (2 * 1.959963984540054))
    assert fit["contribution"].sel(target="tokens_per_hour").item() == 0
    assert "chosen: behaviour.adoption_friction_usd_per_hour = " in text
    assert "| ai_share | baseline | " in text and "within two standard errors" in text


def test_results_file_holds_the_chosen_points_runs(runs):
    path, _ = runs[1]
    with h5py.File(path) as f:
        assert f.attrs["kind"] == b"calibration" or f.attrs["kind"] == "calibration"
        policies = [p.decode() for p in f["policy"][()]]
        assert policies == ["baseline"] * 3 + ["leaderboard"] * 3  # both targets' policies, 3 replications each
        assert list(f["replication"][()]) == [0, 1, 2, 0, 1, 2]
        assert "calibrate:" in (f.attrs["calibration"].decode() if isinstance(f.attrs["calibration"], bytes) else f.attrs["calibration"])
    ds = xr.open_dataset(path, engine="h5netcdf")
    assert ds["ai_task_share"].shape == (6, DAYS)


def test_same_result_at_any_thread_count(runs):
    for group in ("calibration/evaluations", "calibration/fit"):
        a = xr.open_dataset(runs[1][0], engine="h5netcdf", group=group)
        b = xr.open_dataset(runs[2][0], engine="h5netcdf", group=group)
        xr.testing.assert_identical(a, b)


def test_existing_output_is_not_clobbered_and_dry_run(cli, experiment, runs, tmp_path):
    path, _ = runs[1]
    r = cli("calibrate", experiment, "-o", path, "--no-progress")
    assert r.returncode == 3 and "refusing to overwrite" in r.stderr
    r = cli("calibrate", experiment, "--dry-run", "-o", tmp_path / "x.h5")
    assert r.returncode == 0, r.stderr
    assert "at most 126 runs" in r.stdout and "estimate:" in r.stdout  # (20 + 1) x 2 policies x 3 replications
    assert not (tmp_path / "x.h5").exists()


def test_validate_and_sweep_know_a_calibration(cli, experiment):
    r = cli("validate", experiment)
    assert r.returncode == 0, r.stderr
    assert "OK: calibration 'cal': 1 parameter to 2 targets" in r.stdout
    r = cli("sweep", experiment, "--dry-run")
    assert r.returncode == 2 and "run it with `kpisim calibrate" in r.stderr


@pytest.mark.parametrize("change, message", [
    (("      policy: baseline\n      output: ai_task_share", "      policy: basline\n      output: ai_task_share"),
     "target 'ai_share': policy 'basline' is not among the experiment's policies; did you mean 'baseline'?"),
    (("      se: 0.005\n", "      sd: 0.005\n"), "unknown key 'sd'"),
    (("      se: 0.005\n", ""), "give its uncertainty as `se` or as a 95% `interval: [lower, upper]`"),
    (("output: ai_task_share", "output: ai_task_shares"), "target 'ai_share': "),
    (("per: hours_per_fte", "per: hours_per_ftee"), "target 'tokens_per_hour': "),
    (("  start_points: 4\n", "  start_points: 20\n"), "20 start points leave none of the 20 evaluations"),
    (("interval: [0.0, 1.0e9]", "interval: [1.0e9, 0.0]"), "`interval` must be [lower, upper] with lower < upper"),
])
def test_bad_calibrate_sections_are_refused_with_positions(cli, experiment, tmp_path, change, message):
    text = experiment.read_text()
    assert change[0] in text
    bad = tmp_path / "bad.yaml"
    bad.write_text(text.replace(change[0], change[1], 1))
    r = cli("calibrate", bad, "-o", tmp_path / "bad.h5")
    assert r.returncode == 2, r.stdout + r.stderr
    assert message in r.stderr
    assert f"{bad}:" in r.stderr and ": error: " in r.stderr  # file:line:column: error:
    assert not (tmp_path / "bad.h5").exists()


def test_values_instead_of_a_range_are_refused(cli, source_dir, tmp_path, target_value):
    bad = tmp_path / "values.yaml"
    bad.write_text(head(source_dir, "v", "{values: [1, 2]}") + CALIBRATE.format(value=target_value, true=TRUE_FRICTION))
    r = cli("validate", bad)
    assert r.returncode == 2
    assert "a calibration searches a range: give `lower` and `upper` instead of `values`" in r.stderr


@pytest.fixture(scope="module")
def posterior(cli, source_dir, tmp_path_factory, target_value):
    d = tmp_path_factory.mktemp("calibrate_posterior")
    exp = d / "post.yaml"
    text = head(source_dir, "post", "{lower: 0, upper: 20}") + POSTERIOR.format() + CALIBRATE.format(value=target_value, true=TRUE_FRICTION)
    text = text.replace("  evaluations: 20\n", "  evaluations: 6\n  posterior: {particles: 60, generations: 4}\n").replace(
        "  start_points: 4\n", "  start_points: 2\n")
    exp.write_text(text)
    out = calibrate_at_thread_counts(cli, exp, d, "post")
    return out


def test_posterior_pins_the_parameter_that_matters_and_not_the_other(posterior):
    path, text = posterior[1]
    par = xr.open_dataset(path, engine="h5netcdf", group="calibration/parameters")
    friction = par.sel(parameter="behaviour.adoption_friction_usd_per_hour")
    assert friction["lower"].item() < TRUE_FRICTION < friction["upper"].item()
    assert friction["width_ratio"].item() < 0.3
    prize = par.sel(parameter="policies.leaderboard.prize_usd")
    assert prize["width_ratio"].item() > 0.7  # the baseline's share does not depend on the leaderboard's prize
    post = xr.open_dataset(path, engine="h5netcdf", group="calibration/posterior")
    last = post["generation"].values == post["generation"].values.max()
    assert post["weight"].values[last].sum() == pytest.approx(1.0)
    tolerances = [float(t) for t in post.attrs["tolerances"].split(",")]
    assert tolerances[-1] == pytest.approx(1.0)  # the default min_tolerance: within one standard error (root mean square)
    assert (post["distance"].values[last] <= 1.0).all()
    assert "posterior (ABC-SMC" in text and "width against the prior" in text
    # Which targets respond to which parameters, over the prior's sample: the baseline's AI share
    # falls with the friction and does not depend on the leaderboard's prize.
    sens = xr.open_dataset(path, engine="h5netcdf", group="calibration/sensitivity")
    assert sens["behaviour.adoption_friction_usd_per_hour"].sel(target="ai_share").item() < -0.8
    assert abs(sens["policies.leaderboard.prize_usd"].sel(target="ai_share").item()) < 0.3
    assert "which targets respond to which parameters" in text


def test_a_posterior_point_that_beats_the_search_is_chosen(cli, source_dir, tmp_path, target_value):
    """A search of one evaluation (the scenario's friction 4, far from the truth 10) and a posterior
    that samples the box: a posterior simulation has a lower loss (the same replications), so it is
    added to the evaluations (stage 3, "posterior") and chosen, its runs are the file's, and the
    report says so; compare prints it again."""
    exp = tmp_path / "beat.yaml"
    text = head(source_dir, "beat", "{lower: 0, upper: 20}") + CALIBRATE.format(value=target_value, true=TRUE_FRICTION)
    text = text.replace("  evaluations: 20\n", "  evaluations: 1\n  posterior: {particles: 8, generations: 1}\n").replace(
        "  start_points: 4\n", "  start_points: 0\n")
    exp.write_text(text)
    out = tmp_path / "beat.h5"
    r = cli("calibrate", exp, "-o", out, "--no-progress", "--threads", "1")
    assert r.returncode == 0, r.stderr
    ev = xr.open_dataset(out, engine="h5netcdf", group="calibration/evaluations")
    chosen = int(ev.attrs["chosen"])
    loss = ev["loss"].values
    assert len(loss) == 2 and chosen == 1 and int(ev["stage"].values[1]) == 3 and int(ev["stage"].values[0]) == 0
    assert loss[1] < loss[0] and loss[1] == np.nanmin(loss)
    x = float(ev["behaviour.adoption_friction_usd_per_hour"].values[chosen])
    assert abs(x - 4.0) > 1e-9  # not the start
    post = xr.open_dataset(out, engine="h5netcdf", group="calibration/posterior")
    assert np.isclose(post["behaviour.adoption_friction_usd_per_hour"].values, x, rtol=0, atol=0).any()  # one of its simulations
    with h5py.File(out) as f:  # the file's runs are the chosen point's
        assert np.all(f["behaviour.adoption_friction_usd_per_hour"][()] == x)
    fit = xr.open_dataset(out, engine="h5netcdf", group="calibration/fit")
    assert fit["model"].sel(target="ai_share").item() == ev["model_ai_share"].values[chosen]  # the same streams, the same figure
    assert "| 1 * | posterior |" in r.stdout
    assert "the posterior's simulations found a lower loss" in r.stdout and "(evaluation 1, loss" in r.stdout
    assert "sbplx, 1 evaluation)" in r.stdout  # the search's own count
    again = cli("compare", out)
    assert again.returncode == 0, again.stderr
    assert calibration_printout(again.stdout) == calibration_printout(r.stdout)


def calibration_printout(text):
    """What calibrate prints from its first table on, without the closing 'N runs in T s' line."""
    start = re.search(r"^calibrate \d+ parameter", text, re.M).start()
    return re.sub(r"\n+\d+ runs in [^\n]*\n?$", "\n", text[start:]).rstrip()


def test_compare_prints_the_calibration_again_from_its_file(cli, posterior):
    """`kpisim compare FILE` of a calibration: the search, the fit, the posterior, the model's figures over
    it and the sensitivity table, exactly as calibrate printed them, from the tables alone."""
    path, text = posterior[1]
    r = cli("compare", path)
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith(f"{path}: calibration 'post', ")
    assert calibration_printout(r.stdout) == calibration_printout(text)
    assert "the model's figures over the posterior (weighted mean" in r.stdout


def test_compare_prints_a_calibration_without_posterior_again(cli, runs):
    path, text = runs[1]
    r = cli("compare", path)
    assert r.returncode == 0, r.stderr
    assert calibration_printout(r.stdout) == calibration_printout(text)
    assert "posterior" not in calibration_printout(r.stdout)


def test_posterior_same_at_any_thread_count(posterior):
    for group in ("calibration/posterior", "calibration/parameters"):
        a = xr.open_dataset(posterior[1][0], engine="h5netcdf", group=group)
        b = xr.open_dataset(posterior[2][0], engine="h5netcdf", group=group)
        xr.testing.assert_identical(a, b)


def test_a_target_sums_and_divides_outputs_run_by_run(runs):
    """tokens_per_hour = (tokens_productive + tokens_rework) / hours_per_fte, window means per run,
    averaged over the replications: recomputed from the chosen point's runs in the file."""
    path, _ = runs[1]
    with h5py.File(path) as f:
        lb = [i for i, p in enumerate(f["policy"][()]) if p.decode() == "leaderboard"]
        window = slice(FIRST, DAYS)
        rework = np.nanmean(f["tokens_rework"][()][lb, window], axis=1)
        num = np.nanmean(f["tokens_productive"][()][lb, window], axis=1) + rework
        den = np.nanmean(f["hours_per_fte"][()][lb, window], axis=1)
    fit = xr.open_dataset(path, engine="h5netcdf", group="calibration/fit")
    assert fit["model"].sel(target="tokens_per_hour").item() == pytest.approx(float(np.mean(num / den)), rel=1e-9)
    assert np.all(rework > 0)  # the sum differs from `output` alone


# --------------------------------------------------------------------------- hostile inputs
# Built from small reproducers (issue 9, fuzz_calibrate in docs/fuzzing.md): absurd counts are
# refused from their arithmetic, before anything is built (checked by exit code, message and the
# child's peak memory, never by time); every error names file:line:column; quoted values are escaped.

HOSTILE = """\
name: hostile
base: {base}
policies: [baseline, leaderboard]
replications: {replications}
parameters:
  behaviour.adoption_friction_usd_per_hour: {{lower: 0, upper: 20}}
calibrate:
  targets:
    ai_share: {{policy: baseline, output: ai_task_share, value: 0.25, se: 0.005}}
"""


def run_measured(kpisim, *args):
    """(exit code, stderr, peak RSS in KiB) of `kpisim ARGS` (wait4: this child's own peak)."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        p = subprocess.Popen([str(kpisim), *[str(a) for a in args]], stdout=out, stderr=err)
        _, status, usage = os.wait4(p.pid, 0)
        err.seek(0)
        return os.waitstatus_to_exitcode(status), err.read().decode("utf-8", "replace"), usage.ru_maxrss


def sanitized(kpisim):
    """Whether the binary is built with AddressSanitizer (the sanitize preset)."""
    with open(kpisim, "rb") as f:
        return b"__asan_init" in f.read()


def position(text, needle):
    """1-based line and column of the first occurrence of `needle` in `text`."""
    before = text[:text.index(needle)]
    return before.count("\n") + 1, len(before) - (before.rfind("\n") + 1) + 1


@pytest.mark.parametrize("extra, replications, key, message", [
    ("  posterior: {particles: 1e12}\n", 3, "1e12", "'calibrate.posterior.particles' expects a whole number in [0, 100000], got '1e12'"),
    ("  evaluations: 1e15\n", 3, "1e15", "'calibrate.evaluations' expects a whole number in [1, 100000], got '1e15'"),
    ("  posterior: {particles: 50, generations: 1000000000000}\n", 3, "1000000000000",
     "'calibrate.posterior.generations' expects a whole number in [1, 100], got '1000000000000'"),
    # Within each range, too many runs together: (40 + 1 + 20 x 100000 x (100 + 1)) x 1 policy x 3.
    ("  posterior: {particles: 100000, generations: 100}\n", 3, "{particles",
     f"the calibration would need up to {(40 + 1 + 20 * 100000 * 101) * 3} runs ((evaluations 40 + 1 + {20 * 100000 * 101} posterior "
     "simulations) x 1 policy x 3 replications); at most 10000000 are allowed"),
    # The count at fault is a default (evaluations: 40): the error is placed at the section.
    ("", 1000000, "targets:", f"the calibration would need up to {41 * 1000000} runs ((evaluations 40 + 1) x 1 policy x 1000000 replications)"),
])
def test_absurd_counts_are_refused_from_the_counts(kpisim, source_dir, tmp_path, extra, replications, key, message):
    text = HOSTILE.format(base=source_dir / "tests" / "data" / "small_compare.yaml", replications=replications) + extra
    bad = tmp_path / "huge.yaml"
    bad.write_text(text)
    rc, err, rss = run_measured(kpisim, "calibrate", bad, "--dry-run", "-o", tmp_path / "huge.h5")
    assert rc == 2, err
    line, col = position(text, key)
    assert f"{bad}:{line}:{col}: error: {message}" in err, err
    assert rss < 200 * 1024  # refused before anything is built (KiB)
    assert not (tmp_path / "huge.h5").exists()


def test_thousands_of_targets_by_aliases_are_refused_before_their_results_file_could_not_be_read(kpisim, source_dir, tmp_path):
    # 9,000 targets, each an alias of the first: 90,010 YAML nodes, under the file limit of 100,000;
    # with its defaults filled in (each target's weight) the resolved calibration, which the results
    # file stores, would pass the limit and not load again.
    text = HOSTILE.format(base=source_dir / "tests" / "data" / "small_compare.yaml", replications=3).replace(
        "    ai_share: {", "    ai_share: &t {") + "".join(f"    t{i}: *t\n" for i in range(8999))
    bad = tmp_path / "targets.yaml"
    bad.write_text(text)
    rc, err, rss = run_measured(kpisim, "validate", bad)
    assert rc == 2, err
    line, col = position(text, "targets:")  # the section's mapping
    assert f"{bad}:{line}:{col}: error: the calibration with its defaults filled in and its base scenario inline" in err, err
    assert "has more than 100000 YAML nodes" in err
    # The 90,010 nodes are read (they are within the file limit): memory in proportion to the file,
    # not to what the targets would run: 135 MB in the checked build. Under AddressSanitizer (-O0,
    # redzones, quarantine) the same load took 676-690 MB, about 5 times: its bound is 3 x 400 MB.
    assert rss < 400 * 1024 * (3 if sanitized(kpisim) else 1), rss
    # 1,000 of them are a calibration (each target's policy and output checked).
    ok = tmp_path / "targets_ok.yaml"
    ok.write_text(text.split("    t999: *t")[0])
    r = subprocess.run([str(kpisim), "validate", str(ok)], capture_output=True, text=True, check=False)
    assert r.returncode == 0, r.stderr
    assert "1 parameter to 1000 targets" in r.stdout


def nested_policies(hybrids, last):
    """An inline scenario whose hybrid policy holds `hybrids` hybrids of 100 audits and one of `last`
    audits, by YAML aliases (under 1 KB)."""
    audits = "[&c {weight: 1, policy: {type: audit}}" + ", *c" * 99 + "]"
    tail = f", {{weight: 1, policy: {{type: hybrid, components: [{', '.join(['*c'] * last)}]}}}}" if last else ""
    comps = "[&h {weight: 1, policy: {type: hybrid, components: " + audits + "}}" + ", *h" * (hybrids - 1) + tail + "]"
    return f"""\
name: nested
replications: 1
scenario:
  days: 7
  organisation: {{employees: 12, team_size: 4, span: 2}}
  policies:
    none: {{type: none}}
    p: {{type: hybrid, components: {comps}}}
parameters:
  behaviour.adoption_friction_usd_per_hour: {{lower: 0, upper: 20}}
calibrate:
  targets:
    t: {{policy: none, output: ai_task_share, value: 0.2, se: 0.01}}
"""


def test_a_base_scenario_near_the_node_limit_is_refused_when_the_calibration_would_pass_it(cli, tmp_path):
    # Found by fuzz_calibrate's round trip: the scenario alone (3,001 audits) is under the limit with
    # its defaults, the calibration that stores it inline is not, and its resolved text did not load again.
    bad = tmp_path / "nested.yaml"
    bad.write_text(nested_policies(30, 1))
    r = cli("validate", bad)
    assert r.returncode == 2, r.stdout + r.stderr
    assert "the calibration with its defaults filled in and its base scenario inline" in r.stderr
    ok = tmp_path / "nested_ok.yaml"
    ok.write_text(nested_policies(20, 0))
    r = cli("validate", ok)
    assert r.returncode == 0, r.stderr


def test_a_long_list_of_policies_is_cut_in_messages(cli, tmp_path):
    policies = "".join(f"    p{i:02d}: {{type: none}}\n" for i in range(12))
    text = f"""\
name: many
replications: 1
scenario:
  days: 7
  organisation: {{employees: 12, team_size: 4, span: 2}}
  policies:
{policies}parameters:
  behaviour.adoption_friction_usd_per_hour: {{lower: 0, upper: 20}}
calibrate:
  targets:
    t: {{policy: "x\\e[31m\\nfake.yaml:1:1: error: forged", output: ai_task_share, value: 0.2, se: 0.01}}
"""
    bad = tmp_path / "many.yaml"
    bad.write_text(text)
    r = cli("validate", bad)
    assert r.returncode == 2
    line, col = position(text, "t: {policy")
    assert f"{bad}:{line}:{col}: error: target 't': policy 'x\\x1B[31m\\nfake.yaml:1:1: error: forged' is not among" in r.stderr
    assert "(p00, p01, p02, p03, p04, p05, p06, p07, p08, p09, ... (12 in all))" in r.stderr
    assert "\x1b" not in r.stderr and not re.search(r"(?m)^fake.yaml", r.stderr)
