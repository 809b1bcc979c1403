"""`kpisim calibrate --resume` (docs/experiments.md, "Calibration"): every simulated point goes to
OUTPUT.journal; after a kill -9, the calibration resumes from it and ends with the same results, bit
for bit, as an uninterrupted one (search and posterior), a torn last line is dropped, a journal of
another experiment is refused, and a journal left behind is never silently overwritten.
"""
import os

import pytest
import xarray as xr
from conftest import _kpisim_path, journal_lines, killed_at_journal_lines

EXPERIMENT = """\
name: resume
base: {base}
policies: [baseline]
replications: 2
days: 42
analysis: {{first_day: 14}}
parameters:
  behaviour.adoption_friction_usd_per_hour: {{lower: 0, upper: 20}}
calibrate:
  targets:
    ai_share:
      policy: baseline
      output: ai_task_share
      value: {value}
      se: 0.01
  evaluations: 12
  start_points: 4
  posterior: {{particles: 20, generations: 2, min_tolerance: 0.5}}
"""
GROUPS = ("calibration/evaluations", "calibration/fit", "calibration/posterior", "calibration/parameters")


def write(path, source_dir, value=0.3):
    path.write_text(EXPERIMENT.format(base=source_dir / "tests" / "data" / "small_compare.yaml", value=value))
    return path


def identical(a, b):
    for g in GROUPS:
        xr.testing.assert_identical(xr.open_dataset(a, engine="h5netcdf", group=g), xr.open_dataset(b, engine="h5netcdf", group=g))


@pytest.fixture(scope="module")
def reference(cli, source_dir, tmp_path_factory):
    d = tmp_path_factory.mktemp("resume_ref")
    exp = write(d / "resume.yaml", source_dir)
    r = cli("calibrate", exp, "-o", d / "ref.h5", "--no-progress", "-q")
    assert r.returncode == 0, r.stderr
    assert not (d / "ref.h5.journal").exists()  # removed once the results file is in place
    return exp, d / "ref.h5"


def killed_run(exp, out, at_lines):
    """Starts the calibration and kills it (SIGKILL) once its journal has `at_lines` lines."""
    journal = out.parent / (out.name + ".journal")
    killed_at_journal_lines([str(_kpisim_path()), "calibrate", str(exp), "-o", str(out), "--no-progress", "-q", "--threads", "1"],
                            journal, at_lines)
    assert not out.exists()
    return journal


@pytest.mark.parametrize("at_lines", [4, 16])  # in the search; in the posterior (12 evaluations + header)
def test_killed_calibration_resumes_bit_identical(cli, reference, tmp_path, at_lines):
    exp, ref = reference
    out = tmp_path / "cal.h5"
    journal = killed_run(exp, out, at_lines)
    kept = journal_lines(journal) - 1
    r = cli("calibrate", exp, "-o", out, "--no-progress")
    assert r.returncode == 3 and "--resume" in r.stderr and journal.exists()  # never silently restarted
    r = cli("calibrate", exp, "-o", out, "--no-progress", "--resume")
    assert r.returncode == 0, r.stderr
    assert f"resumed: {kept} point" in r.stdout
    identical(ref, out)
    assert not journal.exists()


def test_torn_last_line_is_dropped_and_other_damage_refused(cli, reference, tmp_path):
    exp, ref = reference
    out = tmp_path / "cal.h5"
    journal = killed_run(exp, out, 6)
    text = journal.read_text()
    journal.write_text(text + "P 0x1.8p+2 0x1.")  # a kill in the middle of a write
    r = cli("calibrate", exp, "-o", out, "--no-progress", "-q", "--resume")
    assert r.returncode == 0, r.stderr
    identical(ref, out)
    # A damaged line before the last is refused, naming the journal and the line.
    out2 = tmp_path / "cal2.h5"
    journal2 = killed_run(exp, out2, 6)
    rows = journal2.read_text().split("\n")
    rows[2] = rows[2].replace("P 0x", "P 0y", 1)
    journal2.write_text("\n".join(rows))
    r = cli("calibrate", exp, "-o", out2, "--no-progress", "--resume")
    assert r.returncode == 1 and "is damaged at line 3" in r.stderr and not out2.exists()


def test_journal_of_another_experiment_is_refused_and_force_starts_over(cli, source_dir, reference, tmp_path):
    exp, ref = reference
    out = tmp_path / "cal.h5"
    journal = killed_run(exp, out, 5)
    other = write(tmp_path / "other.yaml", source_dir, value=0.31)  # another target: other points, other figures
    r = cli("calibrate", other, "-o", out, "--no-progress", "--resume")
    assert r.returncode == 1 and "another experiment" in r.stderr and journal.exists()
    r = cli("calibrate", exp, "-o", out, "--no-progress", "-q", "--force")  # starts over, removing the old journal
    assert r.returncode == 0, r.stderr
    identical(ref, out)


def test_journal_through_a_planted_link_is_refused(cli, reference, tmp_path):
    exp, _ = reference
    target = tmp_path / "victim.txt"
    target.write_text("precious\n")
    out = tmp_path / "cal.h5"
    os.symlink(target, tmp_path / "cal.h5.journal")
    r = cli("calibrate", exp, "-o", out, "--no-progress", "--resume")
    assert r.returncode == 1 and "is a symbolic link: it is not followed" in r.stderr
    assert target.read_text() == "precious\n" and not out.exists()
