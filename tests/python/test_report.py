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

sys.path.insert(0, str(Path(__file__).resolve().parent))
from browser import Browser  # noqa: E402

PYTHON = "/usr/bin/python3"
WIDTH = 1280


def analysis_dir(source_dir):
    return source_dir / "analysis"


def run_module(source_dir, *args):
    env = dict(os.environ, PYTHONPATH=str(analysis_dir(source_dir)), MPLBACKEND="Agg")
    return subprocess.run([PYTHON, "-m", "kpisim_analysis", *map(str, args)], capture_output=True, text=True,
                          timeout=300, env=env, check=False)


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


@pytest.fixture(scope="module")
def browser():
    with Browser() as b:
        yield b


@pytest.fixture(scope="module")
def artifacts(tmp_path_factory):
    d = os.environ.get("KPISIM_ARTIFACTS_DIR")
    if d:
        Path(d).mkdir(parents=True, exist_ok=True)
        return Path(d)
    return tmp_path_factory.mktemp("artifacts")


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


@pytest.mark.parametrize("kind", ["run", "crn", "sobol"])
def test_report_folder_has_the_pngs_and_one_self_contained_page(kind, reports):
    page = reports[kind]
    folder = page.parent
    assert {p.stem for p in folder.glob("*.png")} == EXPECTED_FIGURES[kind]
    assert sorted(p.name for p in folder.iterdir() if p.suffix != ".png") == ["report.html"]
    text = page.read_text(encoding="utf-8")
    links = _Links()
    links.feed(text)
    assert links.sections == list(RP.SECTIONS)
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
    assert ids == list(RP.SECTIONS)
    headings = page.evaluate("[...document.querySelectorAll('section > h2')].map(h => h.textContent)")
    assert all(headings) and len(headings) == len(RP.SECTIONS)
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
