"""The report of a calibration file (docs/report.md, "Calibration"): `kpisim report` on files written by
`kpisim calibrate` with a posterior, with a replica, and with only a replica's runs. The page is
self-contained; its fit table, chosen values, posterior table and sensitivity heat map hold the
file's numbers; the identifiability part appears only with a posterior; the executive summary and
the header say it is a calibration and how many targets are within two standard errors; the
run-level sections that make no sense for a calibration (policy comparison, outputs against the
parameters) are left out saying why; a damaged calibration group is said where it shows; and the
page passes the headless Chromium checks of test_report.py.
"""
import base64
import csv
import html.parser
import io
import shutil
import sys
from pathlib import Path

import h5py
import numpy as np
import pytest
import xarray as xr

from kpisim_analysis import report as RP
from kpisim_analysis import results as R
from conftest import HANG_GUARD_S

sys.path.insert(0, str(Path(__file__).resolve().parent))

WIDTH = 1280
PARAM = "behaviour.adoption_friction_usd_per_hour"
PRIZE = "policies.leaderboard.prize_usd"

# Two parameters (one on a log scale), a fitted target and one of weight 0, and a small posterior.
POSTERIOR = """\
name: cal_post
base: {base}
policies: [baseline, leaderboard]
baseline: baseline
replications: 3
days: 56
analysis: {{first_day: 14}}
parameters:
  {param}: {{lower: 0, upper: 20}}
  {prize}: {{lower: 100, upper: 10000, scale: log}}
calibrate:
  targets:
    ai_share:
      policy: baseline
      output: ai_task_share
      value: 0.24
      se: 0.005
      source: a survey <of> "someone"
    tokens_per_hour:
      policy: leaderboard
      output: tokens_productive
      plus: [tokens_rework]
      per: hours_per_fte
      value: 1.0
      interval: [0.0, 1.0e9]
      weight: 0
  evaluations: 6
  start_points: 2
  posterior: {{particles: 40, generations: 3}}
"""

# A target read through a replica (its own scenario: other seed, horizon and head-count) and one of
# the experiment's own; no posterior. Without `own_hours`, no target reads the experiment's scenario
# and the file's runs are the replica's.
REPLICA = """\
name: cal_replica
base: {base}
replications: 3
days: 56
analysis: {{first_day: 14}}
parameters:
  {param}: {{lower: 0, upper: 20}}
calibrate:
  replicas:
    survey:
      file: {replica}
      first_day: 7
  targets:
    survey_share:
      replica: survey
      policy: baseline
      output: ai_task_share
      value: 0.2
      se: 0.005
      source: the replica's study
{own}  evaluations: 10
  start_points: 3
"""
OWN = """\
    own_hours:
      policy: leaderboard
      output: hours_per_fte
      value: 8.0
      se: 1.0
      weight: 0
"""

GENERIC_FIGURES = {"productivity", "burnout", "tokens", "token_totals", "labour", "attrition", "divisions", "goodhart",
                   "goodhart_scatter"}
EXPECTED_FIGURES = {
    "posterior": GENERIC_FIGURES | {"calibration_fit", "calibration_search", "calibration_posterior",
                                    "calibration_tolerances"},
    "replica": GENERIC_FIGURES | {"calibration_fit", "calibration_search"},
}
HIDDEN = ("comparison", "sensitivity", "robust", "optimisation", "parameters")
EXPECTED_SECTIONS = {
    "posterior": [s for s in RP.SECTIONS if s not in HIDDEN],
    "replica": [s for s in RP.SECTIONS if s not in (*HIDDEN, "identifiability")],
}


@pytest.fixture(scope="module")
def files(cli, source_dir, tmp_path_factory):
    """{"posterior", "replica", "replica_only", "as_written"}: calibration files written by the program under test."""
    d = tmp_path_factory.mktemp("report_calibration")
    base = source_dir / "tests" / "data" / "small_compare.yaml"
    text = base.read_text()
    replica = d / "survey.yaml"
    replica.write_text(text.replace("seed: 20240601", "seed: 777").replace("days: 84", "days: 35")
                       .replace("employees: 60", "employees: 45"))
    bodies = {"posterior": POSTERIOR.format(base=base, param=PARAM, prize=PRIZE),
              "replica": REPLICA.format(base=base, param=PARAM, replica=replica, own=OWN),
              "replica_only": REPLICA.format(base=base, param=PARAM, replica=replica, own="")}
    out = {}
    for name, body in bodies.items():
        exp = d / f"{name}.yaml"
        exp.write_text(body)
        path = d / f"{name}.h5"
        r = cli("calibrate", exp, "-o", path, "--no-progress", "-q")
        assert r.returncode == 0, r.stderr
        out[name] = path
    out["as_written"] = d / "as_written.h5"  # the scenario's own values only: no search
    r = cli("calibrate", d / "replica.yaml", "--as-written", "-o", out["as_written"], "--no-progress", "-q")
    assert r.returncode == 0, r.stderr
    return out


@pytest.fixture(scope="module")
def reports(cli, files, tmp_path_factory):
    """report.html of each file, written by `kpisim report` (the program hands over to the package)."""
    out = {}
    for name, path in files.items():
        d = tmp_path_factory.mktemp(f"report_{name}")
        r = cli("report", path, "-o", d, "-q", timeout=HANG_GUARD_S)
        assert r.returncode == 0, r.stderr
        out[name] = d / "report.html"
    return out


class _Page(html.parser.HTMLParser):
    """The page's sections, URLs, tags, CSV links, and the rows of the tables with a given class: for
    each table class, a list of rows, each a list of cell texts (th and td, tags stripped)."""

    def __init__(self):
        super().__init__()
        self.sections, self.urls, self.tags, self.csv = [], [], set(), {}
        self.tables: dict[str, list[list[str]]] = {}
        self._table, self._row, self._cell, self._depth = None, None, None, 0

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags.add(tag)
        for k in ("src", "href", "srcset", "action", "data", "poster", "formaction"):
            if a.get(k) is not None:
                self.urls.append((tag, k, a[k]))
        if tag == "section":
            self.sections.append(a.get("id"))
        if tag == "a" and a.get("download"):
            self.csv[a["download"]] = a["href"]
        if tag == "table":
            self._depth += 1
            classes = (a.get("class") or "").split()
            if self._depth == 1:
                self._table = next((c for c in classes if c.startswith("cal-")), None)
                if self._table:
                    self.tables.setdefault(self._table, [])
        if self._table and tag == "tr":
            self._row = []
        if self._table and self._row is not None and tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag):
        if tag == "table":
            self._depth -= 1
            if self._depth == 0:
                self._table = None
        if self._table and tag in ("td", "th") and self._cell is not None:
            self._row.append(" ".join("".join(self._cell).split()))
            self._cell = None
        if self._table and tag == "tr" and self._row is not None:
            self.tables[self._table].append(self._row)
            self._row = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def parse(page: Path) -> tuple[str, _Page]:
    text = page.read_text(encoding="utf-8")
    p = _Page()
    p.feed(text)
    return text, p


def read_csv(p: _Page, name: str) -> list[dict]:
    href = p.csv[name]
    assert href.startswith("data:text/csv;base64,")
    return list(csv.DictReader(io.StringIO(base64.b64decode(href.split(",", 1)[1]).decode())))


def table(path, group):
    return xr.open_dataset(path, engine="h5netcdf", group=f"calibration/{group}").load()


@pytest.mark.parametrize("kind", ["posterior", "replica"])
def test_report_folder_has_the_pngs_and_one_self_contained_page(kind, reports):
    page = reports[kind]
    assert {p.stem for p in page.parent.glob("*.png")} == EXPECTED_FIGURES[kind]
    assert sorted(p.name for p in page.parent.iterdir() if p.suffix != ".png") == ["report.html"]
    text, p = parse(page)
    assert p.sections == EXPECTED_SECTIONS[kind]
    assert not p.tags & {"script", "link", "iframe", "object", "embed"}
    for tag, attr, url in p.urls:
        assert url.startswith(("data:", "#")), f"<{tag} {attr}={url[:80]}> leaves the page"
    assert text.count('<img src="data:image/png;base64,') == len(EXPECTED_FIGURES[kind])
    for name in EXPECTED_FIGURES[kind]:
        png = (page.parent / f"{name}.png").read_bytes()
        assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 5_000, name
    assert "Content-Security-Policy" in text and "http://" not in text and "https://" not in text


@pytest.mark.parametrize("kind", ["posterior", "replica"])
def test_fit_table_holds_the_files_numbers(kind, files, reports):
    path = files[kind]
    fit = table(path, "fit")
    cal = R.calibration(R.open_results(path))
    _, p = parse(reports[kind])
    rows = p.tables["cal-fit"]
    head, body = rows[0], rows[1:]
    replicas = "replica" in fit.attrs
    assert replicas == (kind == "replica") and ("replica" in head) == replicas
    assert [r[0] for r in body] == [str(t) for t in fit["target"].values]
    col = {h: i for i, h in enumerate(head)}
    for i, row in enumerate(body):
        g = {c: float(fit[c].values[i]) for c in R.CALIBRATION_FIT_COLUMNS}
        assert row[col["evidence (se)"]] == f"{RP.fmt(g['value'])} ({RP.fmt(g['se'])})"
        assert row[col["evidence ± 2 se"]] == f"[{RP.fmt(g['value'] - 2 * g['se'])}, {RP.fmt(g['value'] + 2 * g['se'])}]"
        assert row[col["model [95% interval]"]] == f"{RP.fmt(g['model'])} [{RP.fmt(g['model_lower'])}, {RP.fmt(g['model_upper'])}]"
        assert row[col["z"]] == f"{g['z']:+.2f}"
        assert row[col["within 2 se"]].startswith("yes" if g["within"] == 1 else "no")
        assert row[col["within 2 se"]].endswith("(weight 0)") == (g["weight"] == 0)
        assert row[col["loss term"]] == RP.fmt(g["contribution"])
        source = R.calibration_sources(cal)[row[0]].get("source", "")
        assert row[col["source"]] == " ".join(str(source).split())
        if replicas:
            expected = fit.attrs["replica"].split(", ")[i]
            assert row[col["replica"]] == ("—" if expected == "-" else expected)
    # The CSV keeps the file's numbers to 6 significant digits.
    rows = read_csv(p, "calibration_fit.csv")
    assert [r["target"] for r in rows] == [str(t) for t in fit["target"].values]
    for i, r in enumerate(rows):
        for c in R.CALIBRATION_FIT_COLUMNS:
            assert float(r[c]) == pytest.approx(float(fit[c].values[i]), rel=1e-5), (r["target"], c)


def test_source_is_escaped(reports):
    text, _ = parse(reports["posterior"])
    assert "a survey &lt;of&gt; &quot;someone&quot;" in text and "<of>" not in text


@pytest.mark.parametrize("kind", ["posterior", "replica"])
def test_chosen_values_are_the_chosen_evaluations(kind, files, reports):
    ev = table(files[kind], "evaluations")
    k = [str(e) for e in ev["evaluation"].values].index(ev.attrs["chosen"])
    _, p = parse(reports[kind])
    rows = p.tables["cal-chosen"][1:]
    names = [n for n in ev.data_vars if n not in ("loss", "stage") and not n.startswith("model_")]
    assert [r[0] for r in rows] == names
    for r, n in zip(rows, names):
        assert r[1] == RP.fmt(float(ev[n].values[k]))
    text, _ = parse(reports[kind])
    assert f"Chosen (evaluation {ev.attrs['chosen']}, loss {RP.fmt(float(ev['loss'].values[k]))})" in text


def test_posterior_part_holds_the_files_numbers(files, reports):
    path = files["posterior"]
    par, sens = table(path, "parameters"), table(path, "sensitivity")
    _, p = parse(reports["posterior"])
    rows = p.tables["cal-params"][1:]
    assert [r[0] for r in rows] == [PARAM, PRIZE]
    for j, r in enumerate(rows):
        g = {c: float(par[c].values[j]) for c in R.CALIBRATION_PARAMETER_COLUMNS}
        assert r[2] == f"{RP.fmt(g['mean'])} ({RP.fmt(g['sd'])})"
        assert r[3] == f"[{RP.fmt(g['lower'])}, {RP.fmt(g['upper'])}]"
        assert r[4] == RP.fmt(g["width_ratio"])
        assert r[5] == RP.width_reading(g["width_ratio"])
        rho = sens[str(par["parameter"].values[j])].values
        responding = {str(t) for t, v in zip(sens["target"].values, rho) if abs(v) >= RP.RESPONDS}
        assert {x.split(" (")[0] for x in r[6].split(", ")} - {"none"} == responding
    heat = p.tables["cal-sens"]
    assert heat[0] == ["target", "adoption_friction_usd_per_hour", "prize_usd"]
    for i, r in enumerate(heat[1:]):
        assert r[0] == str(sens["target"].values[i])
        assert r[1:] == [f"{float(sens[n].values[i]):+.2f}" for n in (PARAM, PRIZE)]


def test_posterior_part_appears_only_with_a_posterior(files, reports):
    text, p = parse(reports["posterior"])
    assert "identifiability" in p.sections and "cal-params" in p.tables and "cal-sens" in p.tables
    assert 'id="fig-calibration_posterior"' in text and 'id="fig-calibration_tolerances"' in text
    text, p = parse(reports["replica"])
    assert "identifiability" not in p.sections and "cal-params" not in p.tables and "cal-sens" not in p.tables
    assert "fig-calibration_posterior" not in text
    # Listed under "Not in this file", saying how to get one.
    hidden = text.split("<h4>Not in this file</h4>", 1)[1]
    assert "Identifiability" in hidden and "posterior: {particles: 100}" in hidden
    with h5py.File(files["replica"]) as f:
        assert "calibration/posterior" not in f  # the premise: the engine wrote none


def test_without_a_search_the_report_says_so(files, reports):
    ev = table(files["as_written"], "evaluations")
    assert ev.sizes["evaluation"] == 1  # the premise
    page = reports["as_written"]
    assert {p.stem for p in page.parent.glob("*.png")} == EXPECTED_FIGURES["replica"] - {"calibration_search"}
    text, p = parse(page)
    assert "No search in this file" in text and "no search, as <code>--as-written</code>" in text
    assert "optimistic" not in text and "flatters" not in text  # nothing was selected
    assert "No search: the values evaluated are the scenario's own" in text
    ds = R.open_results(files["as_written"])
    assert "fig-calibration_fit" in text and p.tables["cal-fit"][1][0] == "survey_share"
    assert R.calibration(ds)["chosen"] == "0"


@pytest.mark.parametrize("kind", ["posterior", "replica", "replica_only", "as_written"])
def test_summary_and_header_say_calibration_and_how_many_targets_are_within(kind, files):
    fit = table(files[kind], "fit")
    within, n = int(fit["within"].values.sum()), fit.sizes["target"]
    ds = R.open_results(files[kind])
    phrase = f"{within} of {n} target{'s' if n != 1 else ''} within two standard errors"
    assert RP.describe(ds).startswith(f"calibration: {phrase}")
    sec = RP.calibration_executive(ds)
    assert sec.id == "executive"
    html = "".join(sec.tables)
    assert "class=verdict" in html and f"the model reproduces <b>{phrase}" in html
    assert "Recommendation" not in html and "recommends none" in sec.intro
    fitted = fit["weight"].values > 0
    assert (int(fitted.sum()) < n) == (kind != "replica_only")  # the premise: targets of weight 0 in three files
    within_fitted = int(fit["within"].values[fitted].sum())
    split = (f"{phrase} ({within_fitted} of the {int(fitted.sum())} fitted; {n - int(fitted.sum())} of weight 0, "
             "reported and not fitted)")
    assert (split in html) == (kind != "replica_only") and ("fitted;" in html) == (kind != "replica_only")
    misses = [str(t) for t, w, f in zip(fit["target"].values, fit["within"].values, fitted) if f and w != 1]
    assert ("Outside two standard errors" in html) == bool(misses)
    for t in misses:
        assert f"<b>{t}</b> (model" in html
    assert ("tag good" in html) == (not misses)
    assert ("No posterior in this file" in html) == (kind != "posterior")


@pytest.mark.parametrize("within", [0, 1])
def test_a_miss_is_named_with_its_z(files, tmp_path, within):
    """A copy of the posterior's file with the fitted target made a miss (or a hit): the verdict, its
    tag and the fit table follow the file."""
    path = tmp_path / "doctored.h5"
    shutil.copy(files["posterior"], path)
    with h5py.File(path, "r+") as f:
        targets = [t.decode() if isinstance(t, bytes) else str(t) for t in f["calibration/fit/target"][()]]
        i = targets.index("ai_share")
        f["calibration/fit/within"][i] = within
        f["calibration/fit/z"][i] = 1.25 if within else 3.5
    ds = R.open_results(path)
    html = "".join(RP.calibration_executive(ds).tables)
    fit = table(path, "fit")
    model, value, se = (RP.fmt(float(fit[c].values[i])) for c in ("model", "value", "se"))
    miss = f"Outside two standard errors: <b>ai_share</b> (model {model} against {value} ± {se}, z = +3.50)"
    assert (miss in html) == (not within) and ("tag unsure" in html) == (not within)
    assert ("tag good" in html) == bool(within)
    row = next(r for r in parse(RP.write_report(ds, tmp_path / "report"))[1].tables["cal-fit"] if r[0] == "ai_share")
    assert ("+3.50" in row and "no" in row) == (not within) and ("+1.25" in row and "yes" in row) == bool(within)


def test_run_level_sections_fit_a_calibration(files, reports):
    text, p = parse(reports["posterior"])
    assert "comparison" not in p.sections and "parameters" not in p.sections
    hidden = text.split("<h4>Not in this file</h4>", 1)[1]
    assert "it does not compare policies" in hidden and "all at the chosen point" in hidden
    assert "one replication per policy" not in text.lower()  # the runs have replications
    assert "calibration file <code>posterior.h5</code>" in text
    # The runs are the chosen point's: the experiment's policies x replications, described as such.
    ds = R.open_results(files["posterior"])
    assert R.policies(ds) == ["baseline", "leaderboard"] and R.replications(ds) == 3
    assert R.baseline(ds) == "baseline" and R.analysis_window(ds) == (14, 55)
    assert "runs of the experiment: <b>baseline</b>, <b>leaderboard</b> × 3 replications" in text


def test_runs_of_a_replica_are_said_and_use_its_window(files, reports):
    ds = R.open_results(files["replica_only"])
    assert str(ds.attrs["runs_of"]) == "replica survey"
    assert R.analysis_window(ds) == (7, 34)  # the replica's window, not the experiment's days 14-55
    assert ds.sizes["day"] == 35
    html = "".join(RP.calibration_executive(ds).tables)
    assert "runs of replica survey: <b>baseline</b> × 3 replications" in html
    text, _ = parse(reports["replica_only"])
    assert "replica survey" in text


def test_damaged_calibration_group_is_said_where_it_shows(files, tmp_path):
    bad = tmp_path / "bad.h5"
    shutil.copy(files["posterior"], bad)
    with h5py.File(bad, "r+") as f:
        del f["calibration/fit/z"]
    ds = R.open_results(bad)
    with pytest.raises(ValueError, match="has no column 'z'"):
        R.calibration(ds)
    page = RP.write_report(ds, tmp_path / "report")
    text, p = parse(page)
    assert "calibration" in p.sections and "The file's calibration group cannot be read" in text
    assert "Recommendation" not in text  # no policy verdict for a calibration, even a damaged one
    assert RP.describe(ds).startswith("calibration; ")


def test_plots_need_their_tables(files):
    from kpisim_analysis import plots as P
    cal = R.calibration(R.open_results(files["replica"]))
    assert P.calibration_posterior(cal) is None and P.calibration_tolerances(cal) is None
    assert P.calibration_fit({}) is None and P.calibration_search({}) is None
    cal = R.calibration(R.open_results(files["posterior"]))
    for make in (P.calibration_fit, P.calibration_search, P.calibration_posterior, P.calibration_tolerances):
        fig = make(cal)
        assert fig is not None
        P.plt.close(fig)
    assert R.calibration(R.open_results(files["posterior"]))["scales"] == {PARAM: "linear", PRIZE: "log"}
    assert np.allclose(P._unit_scale(cal, PRIZE, [100, 1000, 10000]), [0, 0.5, 1])


@pytest.mark.parametrize("kind", ["posterior", "replica"])
def test_report_in_headless_chromium(kind, reports, browser, artifacts):
    page = browser.open(reports[kind].resolve().as_uri(), width=WIDTH)
    assert page.console_errors == [] and page.failed_loads == []
    others = [u for u in page.requests[1:] if not u.startswith("data:")]
    assert others == [], f"network requests: {others}"
    assert page.evaluate("[...document.querySelectorAll('main > section')].map(s => s.id)") == EXPECTED_SECTIONS[kind]
    top = page.evaluate("document.querySelector('#executive .verdict').getBoundingClientRect().top")
    assert 0 < top < 800
    images = page.evaluate("[...document.images].map(i => [i.alt, i.complete && i.naturalWidth > 0, "
                           "i.getBoundingClientRect().width])")
    assert len(images) == len(EXPECTED_FIGURES[kind])
    for alt, decoded, width in images:
        assert decoded and 300 < width <= WIDTH, (alt, decoded, width)
    assert page.evaluate("document.documentElement.scrollWidth") <= WIDTH
    shot = page.screenshot()
    assert shot[:8] == b"\x89PNG\r\n\x1a\n"
    (artifacts / f"report_calibration_{kind}.png").write_bytes(shot)
