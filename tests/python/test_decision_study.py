"""The worked decision study (docs/decision-study.md) end to end: its commands, read from the document
itself (the ```sh block after `<!-- decision-study-commands -->`), run as written in a scratch
directory; the printed excerpts the document shows are in what they print; and the reports they
write, opened in headless Chromium (tests/python/browser.py), show the executive summary with the
recommendation's robustness, the robust section and the optimisation result, with every figure the
document quotes from them (the `<!-- v:EXPR|@SECTION -->TEXT<!-- /v -->` markers: TEXT must appear
in the report's section SECTION). scripts/docnums.py keeps those figures current
(docs_quoted_numbers_current), so document, program and report cannot drift apart unnoticed.
"""
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

WIDTH = 1280


def doc_path(source_dir):
    return source_dir / "docs" / "decision-study.md"


def study_commands(text):
    """The kpisim command lines of the document's command block, as argument lists (without 'kpisim')."""
    m = re.search(r"<!-- decision-study-commands -->\n```sh\n(.*?)```", text, re.S)
    assert m, "docs/decision-study.md has no command block after <!-- decision-study-commands -->"
    cmds = []
    for line in m.group(1).splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            argv = shlex.split(line)
            assert argv[0] == "kpisim", line
            cmds.append(argv[1:])
    return cmds


def quoted_figures(text):
    """(section id, text) of every number the document quotes from the report."""
    return [(tag, shown) for tag, shown in re.findall(r"<!-- v:.*?\|@(\w+) -->(.*?)<!-- /v -->", text, re.S)]


def shown_excerpts(text):
    """The printed excerpts the document shows: {'R': [...], 'O': [...]} (sweep's and optimise's)."""
    out = {"R": [], "O": []}
    for which, body in re.findall(r"<!-- kpisim-gen: =code\(part\((\w)\.text.*? -->\n```\n(.*?)```\n", text, re.S):
        out[which].append(body)
    return out


@pytest.fixture(scope="module")
def study(kpisim, source_dir, tmp_path_factory):
    """Runs the document's commands in a scratch directory (with `scenarios/` linked, as a reader at the
    repository root would); returns the document's text, the directory and each command's result."""
    text = doc_path(source_dir).read_text(encoding="utf-8")
    work = tmp_path_factory.mktemp("decision_study")
    (work / "scenarios").symlink_to(source_dir / "scenarios")
    (work / "results").mkdir()
    env = dict(os.environ, MPLBACKEND="Agg")
    env.setdefault("PYTHONPATH", str(source_dir / "analysis"))
    done = []
    for argv in study_commands(text):
        r = subprocess.run([str(kpisim), *argv, *(["--no-progress"] if argv[0] in ("sweep", "optimise") else [])],
                           cwd=work, capture_output=True, text=True, env=env, timeout=1800, check=False)
        assert r.returncode == 0, f"kpisim {' '.join(argv)} exited {r.returncode}:\n{r.stdout[-2000:]}\n{r.stderr[-2000:]}"
        done.append((argv, r))
    return text, work, done


def _output_of(done, argv):
    """The file a command writes (its -o)."""
    return argv[argv.index("-o") + 1]


def test_the_commands_cover_the_study(study):
    _, _, done = study
    subs = [argv[0] for argv, _ in done]
    assert subs.count("sweep") == 1 and subs.count("optimise") == 1 and subs.count("report") == 2, subs
    assert subs.index("report") > max(subs.index("sweep"), subs.index("optimise"))


def test_the_printed_excerpts_are_what_the_commands_print(study):
    text, _, done = study
    printed = {"R": [r.stdout for a, r in done if a[0] == "sweep"],
               "O": [r.stdout for a, r in done if a[0] == "optimise"]}
    # `kpisim compare` of a results file prints the same again, from the file.
    made_by = {_output_of(done, a): k for a, _ in done for k in "RO" if a[0] == {"R": "sweep", "O": "optimise"}[k]}
    for a, r in done:
        if a[0] == "compare" and a[1] in made_by:
            printed[made_by[a[1]]].append(r.stdout)
    assert len(printed["O"]) == 2, "the document's commands should compare the optimisation's file"
    excerpts = shown_excerpts(text)
    assert excerpts["R"] and excerpts["O"], "the document shows no excerpt of the sweep's or the optimisation's output"
    for which, bodies in excerpts.items():
        for body in bodies:
            for out in printed[which]:
                assert body in out, f"the document's excerpt is not in what kpisim prints now:\n{body[:500]}"


def test_many_design_points_say_why_the_per_point_tables_are_not_printed(study):
    """60 states of the world: no empty money-view or by-division table, but a line saying where the numbers are."""
    _, _, done = study
    for argv, r in done:
        if argv[0] == "sweep" or (argv[0] == "compare" and "robust" in argv[1]):
            assert "money view and true value by division: not printed for 60 design points (more than 12)" in r.stdout
            assert "| point | policy | net value per FTE-day |" not in r.stdout
            assert "true value per FTE-day by division" not in r.stdout


@pytest.fixture(scope="module")
def pages(study):
    """{'sweep': report.html of the sweep, 'optimise': that of the optimisation}."""
    _, work, done = study
    made_by = {_output_of(done, a): a[0] for a, _ in done if a[0] in ("sweep", "optimise")}
    out = {}
    for argv, _ in done:
        if argv[0] == "report":
            out[made_by[argv[1]]] = work / _output_of(done, argv) / "report.html"
    assert set(out) == {"sweep", "optimise"}, out
    return out


# Which report shows each section the document quotes: the executive summary and the robust
# comparison are the sweep's, the optimisation result is the optimisation's.
REPORT_OF = {"executive": "sweep", "robust": "sweep", "optimisation": "optimise"}


def test_the_reports_in_headless_chromium_show_what_the_document_quotes(study, pages, browser, artifacts):
    text = study[0]
    figures = quoted_figures(text)
    assert {tag for tag, _ in figures} == set(REPORT_OF), figures
    for kind, page_path in pages.items():
        page = browser.open(page_path.resolve().as_uri(), width=WIDTH)
        assert page.console_errors == [] and page.failed_loads == []
        others = [u for u in page.requests[1:] if not u.startswith("data:")]
        assert others == [], f"network requests: {others}"
        ids = page.evaluate("[...document.querySelectorAll('main > section')].map(s => s.id)")
        assert ids[0] == "executive"
        assert ("robust" in ids) == (kind == "sweep") and ("optimisation" in ids) == (kind == "optimise"), ids
        verdict = page.evaluate("document.querySelector('#executive .verdict').innerText")
        if kind == "sweep":
            # The recommendation and its robustness (regret, satisficing, where the runner-up loses).
            assert "Recommendation" in verdict or "RECOMMENDATION" in verdict
            assert "nothing" in verdict and "Robustness over 60 states of the world" in verdict
            assert "regret" in verdict and "satisfices" in verdict and "leaderboard loses in" in verdict
        else:
            assert "Optimisation: the chosen values are" in verdict
            chosen = page.evaluate("document.querySelector('#optimisation table.opt-chosen').innerText")
            assert "bonus_share" in chosen
        for tag, shown in figures:
            if REPORT_OF[tag] != kind:
                continue
            section = page.evaluate(f"document.querySelector('#{tag}').innerText")
            assert shown in section, f"the document quotes {shown!r} from the report's section '{tag}', which shows:\n{section[:3000]}"
        assert page.evaluate("document.documentElement.scrollWidth") <= WIDTH
        shot = page.screenshot()
        assert shot[:8] == b"\x89PNG\r\n\x1a\n"
        (artifacts / f"decision_study_{kind}.png").write_bytes(shot)
