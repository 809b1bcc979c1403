"""An optimisation's results file read back (docs/experiments.md, "Optimisation"): `kpisim compare
OPT.h5` prints what `kpisim optimise` printed, from the tables the file stores (with and without an
ensemble of states of the world); a file whose tables are missing or do not fit together is refused
(exit 2) naming what is wrong; the report's Optimisation section shows the result, or says that the
group cannot be read.
"""
import shutil
import sys
from pathlib import Path

import h5py
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from test_optimise import ENSEMBLE, EXPERIMENT  # noqa: E402


def _result_lines(text):
    """What both commands print of the result: from the 'maximise' line, without the closing timing line."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(("maximise ", "minimise ")))
    return [line for line in lines[start:] if line and not line.split(" in ")[0].endswith(" runs")]


@pytest.fixture(scope="module")
def files(cli, source_dir, tmp_path_factory):
    d = tmp_path_factory.mktemp("optimisation_file")
    text = EXPERIMENT.format(base=source_dir / "tests" / "data" / "small_compare.yaml")
    ens = text.replace("parameters:\n", "parameters:\n  workforce.integrity_mean: {lower: 0.4, upper: 0.9}\n", 1)
    ens = ens.replace("evaluations: 8", "evaluations: 4").replace("start_points: 2", "start_points: 1") + ENSEMBLE
    out = {}
    for name, body in (("plain", text), ("ensemble", ens)):
        exp = d / f"{name}.yaml"
        exp.write_text(body)
        path = d / f"{name}.h5"
        r = cli("optimise", exp, "-o", path, "--no-progress")
        assert r.returncode == 0, r.stderr
        out[name] = (path, r.stdout)
    return out


@pytest.mark.parametrize("name", ["plain", "ensemble"])
def test_compare_prints_what_optimise_printed(cli, files, name):
    path, printed = files[name]
    r = cli("compare", path)
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines()[0].startswith(f"{path}: optimisation 'opt', ")
    assert "(the chosen point, the start and the baseline on fresh replications)" in r.stdout.splitlines()[0]
    assert _result_lines(r.stdout) == _result_lines(printed)
    assert "verdict (fresh replications):" in r.stdout and "chosen: policies.leaderboard.prize_usd = " in r.stdout
    if name == "ensemble":
        assert "across the 2 fresh states of the world" in r.stdout


@pytest.mark.parametrize("damage, message", [
    (lambda f: f.__delitem__("optimisation/comparison/difference"), "has no column 'difference'"),
    (lambda f: f.__delitem__("optimisation/evaluations/feasible"), "has no column 'feasible'"),
    (lambda f: f.__delitem__("optimisation/comparison"), "it has no table 'optimisation/comparison'"),
])
def test_a_file_whose_tables_do_not_fit_is_refused(cli, files, tmp_path, damage, message):
    bad = tmp_path / "bad.h5"
    shutil.copy(files["plain"][0], bad)
    with h5py.File(bad, "r+") as f:
        damage(f)
    r = cli("compare", bad)
    assert r.returncode == 2, (r.returncode, r.stdout, r.stderr)
    assert message in r.stderr and str(bad) in r.stderr
    assert "verdict" not in r.stdout


def test_an_optimisation_file_without_its_tables_is_refused(cli, files, tmp_path):
    bad = tmp_path / "notables.h5"
    shutil.copy(files["plain"][0], bad)
    with h5py.File(bad, "r+") as f:
        del f["optimisation"]
    r = cli("compare", bad)
    assert r.returncode == 2 and "it has no table 'optimisation/evaluations'" in r.stderr and r.stdout == ""


def test_report_shows_the_optimisation_or_says_it_cannot(files, tmp_path):
    from kpisim_analysis import report as RP
    from kpisim_analysis import results as R
    path, printed = files["ensemble"]
    ds = R.open_results(path)
    sec = RP.optimisation_section(ds)
    html = "".join(sec.tables)
    assert not sec.damaged and "Chosen (evaluation" in html and "policies.leaderboard.prize_usd" in html
    assert "fresh replications" in html and "Across the 2 fresh states of the world" in html
    summary = RP.executive_summary(ds)
    assert {x.policy for x in summary.lines} == {"leaderboard (chosen)", "leaderboard (start)", "baseline (baseline)"}
    assert summary.baseline == "baseline (baseline)" and summary.points == 1
    assert "Optimisation: the chosen values are" in RP.recommendation_html(summary)
    # A damaged group: the section is shown, saying why it cannot be read.
    bad = tmp_path / "bad.h5"
    shutil.copy(path, bad)
    with h5py.File(bad, "r+") as f:
        del f["optimisation/evaluations/objective"]
    sec = RP.optimisation_section(R.open_results(bad))
    assert sec.damaged and "cannot be read" in sec.note and "objective" in sec.note
