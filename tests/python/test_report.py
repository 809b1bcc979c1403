"""Checks of the report (docs/report.md): `python3 -m kpisim_analysis report` and `kpisim report` on a
run file, a CRN sweep and a Sobol sweep; the page is self-contained; and, opened in headless
Chromium from Debian (tests/python/browser.py), it logs no console error, requests nothing but
itself and its data: images, shows every section and every image, and fits the window's width.
The screenshots are kept in KPISIM_ARTIFACTS_DIR (set by ctest: build/<preset>/tests/report_artifacts)
for a person to look at.
"""
import html.parser
import os
import subprocess
import sys
from pathlib import Path

import pytest

from kpisim_analysis import report as RP
from conftest import HANG_GUARD_S

sys.path.insert(0, str(Path(__file__).resolve().parent))

PYTHON = "/usr/bin/python3"
WIDTH = 1280


def analysis_dir(source_dir):
    return source_dir / "analysis"


def run_module(source_dir, *args):
    env = dict(os.environ, PYTHONPATH=str(analysis_dir(source_dir)), MPLBACKEND="Agg")
    return subprocess.run([PYTHON, "-m", "kpisim_analysis", *map(str, args)], capture_output=True, text=True,
                          timeout=HANG_GUARD_S, env=env, check=False)


@pytest.fixture(scope="module")
def reports(results_files, source_dir, tmp_path_factory):
    """report.html for each results file, written by the command line."""
    out = {}
    for kind, path in results_files.items():
        d = tmp_path_factory.mktemp(f"report_{kind}")
        r = run_module(source_dir, "report", path, "-o", d, "-q")
        assert r.returncode == 0, r.stderr
        out[kind] = d / "report.html"
    return out


class _Links(html.parser.HTMLParser):
    """Every URL-valued attribute of a page, and the ids of its sections."""

    def __init__(self):
        super().__init__()
        self.urls, self.sections, self.tags = [], [], set()

    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)
        for k, v in attrs:
            if k in ("src", "href", "srcset", "action", "data", "poster", "formaction") and v is not None:
                self.urls.append((tag, k, v))
        if tag == "section":
            self.sections.append(dict(attrs).get("id"))


EXPECTED_FIGURES = {
    "run": {"productivity", "burnout", "tokens", "token_totals", "labour", "attrition", "divisions", "goodhart",
            "goodhart_scatter", "comparison"},
    "crn": {"productivity", "burnout", "tokens", "token_totals", "labour", "attrition", "divisions", "goodhart", "goodhart_scatter",
            "comparison", "parameters"},
    "sobol": {"productivity", "burnout", "tokens", "token_totals", "labour", "attrition", "divisions", "goodhart", "goodhart_scatter",
              "sensitivity", "parameters"},
}


# The sections each report shows, in page order: a section with nothing to show is left out (and
# listed under "Not in this file" in the provenance).
SEARCHES = ("robust", "optimisation", "calibration", "identifiability")  # sections of other kinds of files
EXPECTED_SECTIONS = {
    "run": [s for s in RP.SECTIONS if s not in ("sensitivity", "parameters", *SEARCHES)],
    "crn": [s for s in RP.SECTIONS if s not in ("sensitivity", *SEARCHES)],
    "sobol": [s for s in RP.SECTIONS if s not in ("comparison", *SEARCHES)],
}


@pytest.mark.parametrize("kind", ["run", "crn", "sobol"])
def test_report_folder_has_the_pngs_and_one_self_contained_page(kind, reports):
    page = reports[kind]
    folder = page.parent
    assert {p.stem for p in folder.glob("*.png")} == EXPECTED_FIGURES[kind]
    assert sorted(p.name for p in folder.iterdir() if p.suffix != ".png") == ["report.html"]
    text = page.read_text(encoding="utf-8")
    links = _Links()
    links.feed(text)
    assert links.sections == EXPECTED_SECTIONS[kind]
    assert not links.tags & {"script", "link", "iframe", "object", "embed"}
    for tag, attr, url in links.urls:
        assert url.startswith(("data:", "#")), f"<{tag} {attr}={url[:80]}> leaves the page"
    assert text.count('<img src="data:image/png;base64,') == len(EXPECTED_FIGURES[kind])
    assert "Content-Security-Policy" in text and "default-src 'none'" in text
    assert "http://" not in text and "https://" not in text and "url(" not in text


def test_report_contents(reports, results_files):
    crn = reports["crn"].read_text(encoding="utf-8")
    assert "paired difference from baseline" in crn and "leaderboard (effort_cost=10)" in crn
    assert "Resolved experiment (YAML)" in crn and "<details>" in crn
    run = reports["run"].read_text(encoding="utf-8")
    assert "one replication per policy" in run.lower() and "No sensitivity indices in this file" in run
    assert "No parameters were varied" in run
    assert "<h4>Not in this file</h4>" in run and '<section id="sensitivity"' not in run
    sobol = reports["sobol"].read_text(encoding="utf-8")
    assert "S1_lower" in sobol and "wellbeing.drain_rate" in sobol
    from kpisim_analysis import results as R
    prov = R.provenance(R.open_results(results_files["run"]))
    assert prov.attrs["git_commit"] in run and prov.sha256() in run


def test_report_refuses_to_overwrite_and_reports_bad_input(reports, results_files, source_dir, tmp_path):
    folder = reports["run"].parent
    r = run_module(source_dir, "report", results_files["run"], "-o", folder)
    assert r.returncode == 3 and "exists; use --force" in r.stderr
    r = run_module(source_dir, "report", results_files["run"], "-o", folder, "--force", "-q")
    assert r.returncode == 0, r.stderr
    r = run_module(source_dir, "report", tmp_path / "missing.h5", "-o", tmp_path / "x")
    assert r.returncode == 2 and "no such file" in r.stderr and not (tmp_path / "x").exists()
    r = run_module(source_dir, "report", results_files["run"], "--goodhart-days", "ten")
    assert r.returncode == 2 and "whole numbers" in r.stderr
    r = run_module(source_dir, "info", results_files["crn"])
    assert r.returncode == 0 and "2 parameter points × 2 policies × 5 replications" in r.stdout


def test_report_of_failed_runs_and_of_a_short_run_without_snapshots(failed_sweep, no_snapshot_run, tmp_path):
    page = RP.write_report(failed_sweep, tmp_path / "failed")
    text = page.read_text(encoding="utf-8")
    assert "1 of 20 runs failed or were not written" in text and "run 3 (baseline): injected failure" in text
    page = RP.write_report(no_snapshot_run, tmp_path / "nosnap")
    text = page.read_text(encoding="utf-8")
    assert "no agent snapshots" in text and "snapshot_every" in text
    assert "Daily values (the horizon is shorter than two weeks)" in text


def test_kpisim_report_runs_the_package(cli, results_files, tmp_path):
    r = cli("report", results_files["crn"], "-o", tmp_path / "rep", "-q")
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "rep" / "report.html").is_file()
    r = cli("report", "--help")
    assert r.returncode == 0 and "usage: kpisim report" in r.stdout
    r = cli("report", tmp_path / "missing.h5")
    assert r.returncode == 2 and "no such file" in r.stderr


@pytest.mark.parametrize("kind", ["run", "crn", "sobol"])
def test_report_in_headless_chromium(kind, reports, browser, artifacts):
    page = browser.open(reports[kind].resolve().as_uri(), width=WIDTH)
    assert page.console_errors == []
    assert page.failed_loads == []
    assert page.requests[0] == reports[kind].resolve().as_uri()
    others = [u for u in page.requests[1:] if not u.startswith("data:")]
    assert others == [], f"network requests: {others}"
    ids = page.evaluate("[...document.querySelectorAll('main > section')].map(s => s.id)")
    assert ids == EXPECTED_SECTIONS[kind]
    headings = page.evaluate("[...document.querySelectorAll('section > h2')].map(h => h.textContent)")
    assert all(headings) and len(headings) == len(EXPECTED_SECTIONS[kind])
    assert headings[0] == "Executive summary"
    # The recommendation box is at the top of the page, inside the first screenful.
    top = page.evaluate("document.querySelector('#executive .verdict').getBoundingClientRect().top")
    assert 0 < top < 800
    images = page.evaluate("[...document.images].map(i => [i.alt, i.complete && i.naturalWidth > 0, "
                           "i.getBoundingClientRect().width])")
    assert len(images) == len(EXPECTED_FIGURES[kind])
    for alt, decoded, width in images:
        assert decoded and 300 < width <= WIDTH, (alt, decoded, width)
    # Nothing wider than the window (no sideways scrolling of the page itself).
    assert page.evaluate("document.documentElement.scrollWidth") <= WIDTH
    # The provenance is collapsible and collapsed.
    assert page.evaluate("[...document.querySelectorAll('#provenance details')].every(d => !d.open)")
    shot = page.screenshot()
    assert shot[:8] == b"\x89PNG\r\n\x1a\n" and len(shot) > 50_000
    (artifacts / f"report_{kind}.png").write_bytes(shot)


def test_the_browser_check_sees_requests_and_errors(browser, tmp_path):
    """The checks above are not vacuous: a page that loads something and logs an error is caught."""
    bad = tmp_path / "bad.html"
    bad.write_text('<!DOCTYPE html><html><body><img src="http://127.0.0.1:9/x.png">'
                   '<script>console.error("boom")</script></body></html>')
    page = browser.open(bad.resolve().as_uri())
    assert "http://127.0.0.1:9/x.png" in page.requests
    assert any("boom" in e for e in page.console_errors)


# ------------------------------------------------------------------------------ executive summary


def _doctored(path, policy, change):
    """The file's dataset in memory with `policy`'s daily net value replaced by change(base, rep):
    base is the paired baseline run's series (same point and replication), rep its replication."""
    from kpisim_analysis import results as R
    ds = R.open_results(path).load()
    base = R.baseline(ds)
    pairs = RP._pairs(ds)
    a = ds["net_value_usd"].values.copy()
    for key, r in pairs[policy].items():
        a[r] = change(a[pairs[base][key]], key[1])
    ds["net_value_usd"] = (ds["net_value_usd"].dims, a, ds["net_value_usd"].attrs)
    return ds


def test_executive_summary_recommends_a_policy_the_replications_separate(crn_sweep):
    ds = _doctored(crn_sweep, "leaderboard", lambda b, k: b + 1000.0 + 10.0 * k)  # ~ +370k USD/year, every replication
    s = RP.executive_summary(ds)
    assert [x.policy for x in s.lines] == ["leaderboard", "baseline"] and s.tested and s.tied == []
    assert s.runner_up_gap[1] > 0 and s.lines[0].wins == s.pairs == 10
    text = RP.executive_html(s)
    assert "Recommendation</span> <b>leaderboard</b>: the highest net value to the organisation" in text
    assert "a difference the replications resolve" in text and "No clear winner" not in text
    assert "is the best policy in 10 of 10 paired replications and at 2 of 2 parameter points" in text
    assert "rewards paid" in text and "Burnout:" in text


def test_executive_summary_says_when_the_data_do_not_separate_the_best_two(crn_sweep):
    # The same runs as the baseline's, give or take 1,000 USD a day by replication: no resolved difference.
    ds = _doctored(crn_sweep, "leaderboard", lambda b, k: b + (1000.0 if k % 2 else -1000.0) + 1.0)
    s = RP.executive_summary(ds)
    lo, hi = s.runner_up_gap[1:]
    assert lo < 0 < hi and s.tied == [s.lines[1].policy]
    text = RP.executive_html(s)
    assert "No clear winner" in text and "The data do not separate" in text and "an interval that includes 0" in text
    assert "Recommendation</span>" not in text


def test_executive_summary_of_one_run_per_policy_is_provisional(small_run):
    text = RP.executive_html(RP.executive_summary(RP.R.open_results(small_run)))
    assert "Provisional</span> In this single run" in text and "cannot tell a policy's effect from luck" in text
    assert "Recommendation</span>" not in text and "no intervals" in text


def test_intervals_of_non_negative_quantities_never_go_below_zero(crn_sweep):
    from kpisim_analysis import results as R
    assert RP.bounds_of("burnout_share") == (0.0, 100.0) and RP.bounds_of("token_cost_usd") == (0.0, None)
    assert RP.bounds_of("unit_burnout_share[consulting]") == (0.0, 100.0)
    assert RP.bounds_of("net_value_usd") == (None, None) and RP.bounds_of("reported_true_gap") == (None, None)
    assert RP.bounded((0.01, -0.02, 0.04), (0.0, 100.0)) == (0.01, 0.0, 0.04)
    assert RP.bounded((-5.0, -9.0, -1.0), (None, None)) == (-5.0, -9.0, -1.0)
    # Burnt out at the end: 0 in four replications of five, 5% in one: the t-interval reaches below 0.
    ds = R.open_results(crn_sweep).load()
    a = ds["burnout_share"].values.copy()
    a[:, :] = 0.0
    a[ds["replication"].values == 4, :] = 0.05
    ds["burnout_share"] = (ds["burnout_share"].dims, a, ds["burnout_share"].attrs)
    _, rows = RP.key_numbers(ds)
    cells = dict((label, c) for label, _, c in rows)["share burnt out at the end"]
    assert all(lo == 0.0 and hi > 0 for _, lo, hi in cells), cells
    s = RP.executive_summary(ds)
    assert all(x.burnout[1] == 0.0 for x in s.lines)
    assert "-" not in RP.key_numbers_html(ds).split("share burnt out at the end")[1].split("</tr>")[0]


def _sweep(kpisim, source_dir, tmp_path, name, body):
    exp = tmp_path / f"{name}.yaml"
    exp.write_text(f"name: {name}\nbase: {source_dir / 'tests' / 'data' / 'small_compare.yaml'}\n{body}")
    out = tmp_path / f"{name}.h5"
    r = subprocess.run([str(kpisim), "sweep", str(exp), "-o", str(out), "-q", "--no-progress"], capture_output=True,
                       text=True, timeout=HANG_GUARD_S, check=False)
    assert r.returncode == 0, r.stderr
    return out


def test_sweep_tables_are_pivoted_with_the_baseline_once(kpisim, source_dir, crn_sweep, tmp_path):
    from kpisim_analysis import results as R
    # One parameter: a row per point (the parameter's value), a column per policy.
    ds = R.open_results(crn_sweep)
    text = RP.comparison_html(ds, R.comparison(ds))
    table = text.split("<h4>")[1]
    assert "class='numbers pivot'" in table and "<th class=param title='behaviour.effort_cost'>effort_cost</th>" in table
    assert table.count("baseline <span class=unit>(mean)</span>") == 1
    assert table.count("leaderboard <span class=unit>(difference)</span>") == 1
    assert table.count("<tr><td>6</td>") == 1 and table.count("<tr><td>10</td>") == 1
    # Two parameters on a full grid: the first's values are the rows, the second's the columns.
    grid = _sweep(kpisim, source_dir, tmp_path, "grid2",
                  "policies: [baseline, leaderboard]\nreplications: 2\nparameters:\n"
                  "  behaviour.effort_cost: {values: [6, 10]}\n  workforce.integrity_mean: {values: [0.5, 0.7, 0.9]}\n"
                  "analysis: {outputs: [true_value_per_fte], first_day: 7}\n")
    ds = R.open_results(grid)
    table = RP.comparison_html(ds, R.comparison(ds))
    assert "effort_cost ↓ · integrity_mean →" in table
    assert table.count("<th class=grp colspan=3>") == 2 and table.count("(mean)</span>") == 1
    assert table.count("<th class=first>0.5</th>") == 2  # the column values under each policy's block
    assert table.count("<tr><th scope=row>") == 2  # two rows: effort_cost 6 and 10
    body = table.split("<tbody>")[1]
    assert body.count("<td") == 2 * 2 * 3


def test_morris_effects_are_sorted_by_mu_star(kpisim, source_dir, tmp_path):
    from kpisim_analysis import results as R
    path = _sweep(kpisim, source_dir, tmp_path, "morris",
                  "policies: [leaderboard]\nreplications: 1\nparameters:\n"
                  "  workforce.integrity_mean: {lower: 0.4, upper: 0.9}\n  behaviour.effort_cost: {lower: 4, upper: 12}\n"
                  "  wellbeing.burnout_threshold: {lower: 0.5, upper: 0.8}\n"
                  "design: {type: morris, trajectories: 3, levels: 4}\n"
                  "analysis: {outputs: [true_value_per_fte], first_day: 7}\n")
    raw = R.sensitivity(path)
    unsorted = next(iter(raw.values()))["mu_star"].values
    assert list(unsorted) != sorted(unsorted, reverse=True)  # the file's order (the experiment's) is not μ*'s
    t = next(iter(RP.sorted_sensitivity(raw).values()))
    mu = t["mu_star"].values
    assert list(mu) == sorted(mu, reverse=True)
    assert sorted(map(str, t["parameter"].values)) == sorted(map(str, next(iter(raw.values()))["parameter"].values))
    text = RP.sensitivity_html(RP.sorted_sensitivity(raw))
    shown = [text.index(f"<th scope=row>{p}</th>") for p in map(str, t["parameter"].values)]
    assert shown == sorted(shown) and "<th>μ*</th>" in text
    # The report uses the sorted order.
    page = RP.write_report(path, tmp_path / "rep").read_text(encoding="utf-8")
    first = str(t["parameter"].values[0])
    assert page.index(f"<th scope=row>{first}</th>") < page.index(f"<th scope=row>{str(t['parameter'].values[-1])}</th>")


def test_executive_summary_of_a_file_without_the_net_value_ranks_by_true_value(crn_sweep):
    from kpisim_analysis import results as R
    ds = R.open_results(crn_sweep).load().drop_vars("net_value_usd")
    s = RP.executive_summary(ds)
    assert s.objective == "true value per employee" and s.unit == "USD per working day"
    assert "this file predates the net value, so policies are ranked by true value" in RP.executive_html(s)
