"""The page of `kpisim serve` driven in headless Chromium (docs/serve.md): load it, edit a key to an
invalid value and see the error at its line and column, move a slider and see the chart change,
export the scenario, the results file and the report; and the security checks seen from a browser:
a page of another origin is refused, and so is a rebound DNS name (DNS rebinding).

Screenshots are kept as test artefacts in $KPISIM_ARTEFACTS (ctest: <build>/tests/serve_artefacts/;
by hand: build/serve_artefacts/). Chromium is Debian's (scripts/setup.sh --python), driven by
tests/python/browser.py over a pipe.
"""
import http.server
import os
import shutil
import sys
import threading
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
import browser  # noqa: E402
from conftest import REPO_ROOT, SMALL_SCENARIO  # noqa: E402
from test_serve import Server  # noqa: E402

if not os.access(browser.CHROMIUM, os.X_OK):
    pytest.skip(f"{browser.CHROMIUM} not installed (scripts/setup.sh --python installs Debian's chromium)",
                allow_module_level=True)

ARTEFACTS = Path(os.environ.get("KPISIM_ARTEFACTS") or REPO_ROOT / "build" / "serve_artefacts")
# evil.test resolves to this machine inside Chromium only: a DNS-rebinding page and a foreign origin.
REBIND = "--host-resolver-rules=MAP evil.test 127.0.0.1"


def wait_js(page, condition):
    """Waits (in the page) until the JavaScript expression is truthy; returns its value."""
    return page.evaluate(
        "new Promise((ok) => { const f = () => { let v = false; try { v = (" + condition + "); } catch (e) {} "
        "if (v) ok(v); else setTimeout(f, 100); }; f(); })")


def shot(page, name):
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    (ARTEFACTS / name).write_bytes(page.screenshot())


@pytest.fixture(scope="module")
def app(kpisim, tmp_path_factory):
    work = tmp_path_factory.mktemp("work")
    examples = tmp_path_factory.mktemp("examples")
    shutil.copy(REPO_ROOT / SMALL_SCENARIO, examples / "small_compare.yaml")
    s = Server(kpisim, work, "--examples", str(examples))
    yield s
    assert s.stop() == 0


@pytest.fixture(scope="module")
def chromium():
    old = browser.FLAGS
    browser.FLAGS = (*old, REBIND)
    try:
        with browser.Browser(timeout=600) as b:
            yield b
    finally:
        browser.FLAGS = old


def test_page_edit_slider_export(app, chromium, tmp_path):
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    chromium.call("Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads)})
    page = chromium.open(app.base + "/", width=1440, height=1000)
    # Load: the example runs, the preview is refined to every replication, the page is drawn.
    wait_js(page, "document.body.dataset.status === 'done'")
    assert page.evaluate("document.querySelectorAll('#cards .card').length") == 5
    assert page.evaluate("document.querySelectorAll('#chart-trajectory canvas').length") == 1
    assert page.evaluate("document.querySelectorAll('#divisions .division').length") == 3  # per-division panels
    assert "net value" in page.evaluate("document.getElementById('money').textContent")
    shot(page, "serve_1_loaded.png")

    # Edit a key to an invalid value: the error appears at its line and column as you type.
    text = page.evaluate("document.getElementById('yaml').value")
    line = next(i for i, t in enumerate(text.split("\n"), 1) if t.startswith("days:"))
    page.evaluate("(() => { const e = document.getElementById('yaml'); e.value = e.value.replace(/^days: 84$/m, 'days: -5');"
                  " e.dispatchEvent(new Event('input')); })()")
    wait_js(page, "document.body.dataset.valid === 'no'")
    errors = page.evaluate("[...document.querySelectorAll('#diagnostics li')].map(li => li.textContent)")
    assert any(e.startswith(f"{line}:7") and "'days' expects a whole number in [1, 36500]" in e for e in errors), errors
    assert page.evaluate("[...document.querySelectorAll('#gutter span.err')].map(s => +s.textContent)") == [line]
    shot(page, "serve_2_invalid.png")

    # Back to valid; then move a slider: the YAML changes, the runs start again and the chart changes.
    page.evaluate("(() => { const e = document.getElementById('yaml'); e.value = e.value.replace(/^days: -5$/m, 'days: 84');"
                  " e.dispatchEvent(new Event('input')); })()")
    wait_js(page, "document.body.dataset.valid === 'yes' && document.body.dataset.status === 'done'")
    text_before = page.evaluate("document.getElementById('yaml').value")
    before_runs = page.evaluate("document.body.dataset.runs")
    before_data = page.evaluate("JSON.stringify(window.kpisim.S.reps[0].series.true_value_per_fte)")
    before_pixels = page.evaluate("document.querySelector('#chart-trajectory canvas').toDataURL()")
    page.evaluate("(() => { const i = document.querySelector('.slider[data-key=\"workforce.prior_gain\"] input');"
                  " i.value = 900; i.dispatchEvent(new Event('input')); i.dispatchEvent(new Event('change')); })()")
    wait_js(page, f"document.body.dataset.status === 'done' && document.body.dataset.runs !== '{before_runs}'")
    text = page.evaluate("document.getElementById('yaml').value")
    # Edited in place: the text before is all still there (comments and layout kept), with the new key added.
    assert text.startswith(text_before.rstrip("\n")) and "workforce:\n  prior_gain: " in text, text
    assert page.evaluate("JSON.stringify(window.kpisim.S.reps[0].series.true_value_per_fte)") != before_data
    assert page.evaluate("document.querySelector('#chart-trajectory canvas').toDataURL()") != before_pixels
    shot(page, "serve_3_slider.png")

    # Export: the scenario as edited, the results file, the report.
    for button in ("export-yaml", "export-h5", "export-report"):
        page.evaluate(f"document.getElementById('{button}').click()")
    wait_js(page, "(document.body.dataset.exported || '').split(';').length === 4")
    expected = {"small_compare.yaml", "small_compare.h5", "small_compare_report.html"}
    for _ in range(600):  # the browser writes the files after the page has handed them over
        if {p.name for p in downloads.iterdir()} >= expected:
            break
        chromium.drain(0.2)
    assert {p.name for p in downloads.iterdir()} >= expected
    assert (downloads / "small_compare.yaml").read_text() == text
    assert (downloads / "small_compare.h5").read_bytes()[:8] == b"\x89HDF\r\n\x1a\n"
    assert "<html" in (downloads / "small_compare_report.html").read_text().lower()

    # Nothing came from anywhere but the server, and nothing went wrong in the page.
    events = [e for e in chromium._events if e.get("sessionId") == page.session] + page.events
    urls = {e["params"]["request"]["url"] for e in events if e["method"] == "Network.requestWillBeSent"}
    assert urls and all(u.startswith(app.base + "/") or u.startswith(("blob:", "data:")) for u in urls), urls
    assert page.console_errors == []


class _Evil(http.server.BaseHTTPRequestHandler):
    """A foreign page that calls the app from its own origin."""
    target = ""

    def do_GET(self):  # noqa: N802
        body = ("<html><body><script>"
                f"fetch('{self.target}/api/validate', {{method: 'POST', body: 'days: 1', mode: 'no-cors'}})"
                ".then(() => document.title = 'sent', () => document.title = 'failed');"
                "</script></body></html>").encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def test_foreign_origin_and_rebinding_refused(app, chromium):
    _Evil.target = app.base
    evil = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Evil)
    threading.Thread(target=evil.serve_forever, daemon=True).start()
    try:
        page = chromium.open(f"http://evil.test:{evil.server_address[1]}/")
        wait_js(page, "document.title === 'sent' || document.title === 'failed'")
    finally:
        evil.shutdown()
    # The request reached the server (no-cors sends it) and was refused for its Origin.
    for _ in range(100):
        if any("POST /api/validate 403" in line for line in app.log):
            break
        time.sleep(0.05)
    assert any("POST /api/validate 403" in line for line in app.log), app.log[-10:]
    # DNS rebinding: the app's own page under a foreign name is refused (Host names evil.test).
    port = app.url.rsplit(":", 1)[1]
    page = chromium.open(f"http://evil.test:{port}/")
    assert "Host header" in page.evaluate("document.body.textContent")
    assert page.evaluate("typeof window.kpisim") == "undefined"
    shot(page, "serve_4_rebinding_refused.png")
