"""`kpisim serve` over HTTP (docs/serve.md): the API, its security and its limits, with urllib.

The server is started on a free loopback port (--port 0; it prints its address) with a temporary
working directory, and stopped with SIGTERM. The browser test of the page is test_serve_browser.py.
"""
import json
import os
import signal
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from conftest import REPO_ROOT, SMALL_SCENARIO, run_cli  # noqa: E402
import compare_results  # noqa: E402

SMALL = (REPO_ROOT / SMALL_SCENARIO).read_text()


class Server:
    """A running `kpisim serve`; request() returns (status, headers, body bytes)."""

    def __init__(self, exe, workdir, *args, cwd=None):
        self.proc = subprocess.Popen([str(exe), "serve", "--port", "0", "--dir", str(workdir), *args],
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=cwd)
        line = self.proc.stdout.readline()
        if "http://" not in line:
            self.proc.kill()
            raise RuntimeError(f"kpisim serve did not start: {line!r} {self.proc.stderr.read()!r}")
        self.url = line.split("http://", 1)[1].split("/", 1)[0]
        self.base = "http://" + self.url
        # The log (one line per API request): kept, and read on so that the server never blocks on a full pipe.
        self.log = []
        self._drain = threading.Thread(target=lambda: self.log.extend(iter(self.proc.stdout.readline, "")), daemon=True)
        self._drain.start()

    def request(self, path, data=None, headers=None, method=None):
        req = urllib.request.Request(self.base + path, data=data, headers=headers or {}, method=method)
        try:
            with urllib.request.urlopen(req, timeout=600) as r:
                return r.status, r.headers, r.read()
        except urllib.error.HTTPError as e:
            return e.code, e.headers, e.read()

    def json(self, path, data=None, headers=None):
        status, _, body = self.request(path, data, headers)
        return status, json.loads(body)

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        rc = self.proc.wait(timeout=600)
        self.stderr = self.proc.stderr.read()
        return rc


@pytest.fixture
def server(kpisim, tmp_path):
    work = tmp_path / "work"
    work.mkdir()
    s = Server(kpisim, work, "--max-body-mib", "1")
    yield s
    assert s.stop() == 0


def test_page_and_headers(server):
    status, headers, body = server.request("/")
    assert status == 200 and b"<html" in body.lower()
    csp = headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "connect-src 'self'" in csp  # the page fetches nothing from outside
    assert headers["X-Content-Type-Options"] == "nosniff"
    status, _, _ = server.request("/../../../../etc/passwd")
    assert status in (400, 404)


def test_foreign_origin_refused(server):
    status, body = server.json("/api/validate", SMALL.encode(), {"Origin": "http://evil.example"})
    assert status == 403 and "another origin" in body["error"]
    status, _, _ = server.request("/", headers={"Origin": "null"})
    assert status == 403
    status, _, _ = server.request("/api/info", headers={"Sec-Fetch-Site": "cross-site"})
    assert status == 403
    # Its own origin is accepted (the page's requests).
    status, body = server.json("/api/validate", SMALL.encode(), {"Origin": server.base})
    assert status == 200 and body["ok"] is True


def test_foreign_host_refused(server):
    """DNS rebinding: a foreign name resolving to 127.0.0.1 still sends its own name in Host."""
    port = server.url.rsplit(":", 1)[1]
    for host in (f"evil.example:{port}", "127.0.0.1", f"127.0.0.1:{int(port) + 1}", ""):
        status, _, body = server.request("/api/info", headers={"Host": host})
        assert status == 403, host
        assert b"Host header" in body
    for host in (f"localhost:{port}", f"127.0.0.1:{port}"):
        assert server.request("/api/info", headers={"Host": host})[0] == 200


def test_validate_diagnostics_match_cli(server, kpisim, tmp_path):
    bad = "days: 0\norganisation:\n  employes: 30\n"
    status, body = server.json("/api/validate", bad.encode())
    assert status == 200 and body["ok"] is False
    diags = {(d["line"], d["column"]): d["message"] for d in body["diagnostics"]}
    assert (1, 7) in diags and "[1, 36500]" in diags[(1, 7)]
    assert (3, 3) in diags and "did you mean 'employees'" in diags[(3, 3)]
    # The same validator as the CLI: the same messages at the same places.
    f = tmp_path / "scenario.yaml"
    f.write_text(bad)
    cli = run_cli("validate", f)
    assert cli.returncode == 2
    for (line, col), msg in diags.items():
        assert f"{f}:{line}:{col}: error: {msg}" in cli.stderr
    # Valid: what it describes, and the resolved scenario.
    status, body = server.json("/api/validate", SMALL.encode())
    assert status == 200 and body["ok"] is True and body["diagnostics"] == []
    assert body["scenario"]["employees"] == 60 and body["scenario"]["days"] == 84
    assert [p["name"] for p in body["scenario"]["policies"]][0] == "baseline"
    assert "team_size: 5" in body["resolved"]


def test_untrusted_input_like_cli(server):
    bomb = "a: &a [x,x,x,x,x,x,x,x,x,x]\n" + "".join(
        f"{n}: &{n} [{','.join([f'*{p}'] * 10)}]\n" for p, n in zip("abcde", "bcdef"))  # 10^6 nodes, aliases expanded
    for text, expected in [("a: [", "YAML syntax"), ("- 1\n- 2\n", "mapping"), ("policies: {'../x': {type: none}}", "name"),
                           (bomb, "more than 100000 YAML nodes")]:
        status, body = server.json("/api/validate", text.encode())
        assert status == 200 and body["ok"] is False, text
        assert any(expected in d["message"] for d in body["diagnostics"]), (text, body)
    # A run of an invalid scenario is a 400 with the diagnostics, nothing run.
    status, body = server.json("/api/run", b"days: -1\n")
    assert status == 400 and body["diagnostics"][0]["line"] == 1


def test_request_size_limited(server):
    big = ("# " + "x" * 1000 + "\n") * 1100  # over --max-body-mib 1
    status, _, _ = server.request("/api/validate", big.encode())
    assert status == 413
    status, _, _ = server.request("/api/info")  # and the server goes on
    assert status == 200


def test_run_cache_and_replications(server):
    q = "/api/run?days=21&vars=true_value_per_fte,net_value_usd,exhaustion_mean"
    status, a = server.json(q, SMALL.encode())
    assert status == 200, a
    assert a["cached"] is False and a["days"] == 21 and a["replication"] == 0
    assert [p["name"] for p in a["policies"]][:2] == ["baseline", "leaderboard"]
    assert len(a["series"]["true_value_per_fte"]) == len(a["policies"])
    assert len(a["series"]["true_value_per_fte"][0]) == 21
    assert a["units"] == ["administration", "consulting", "engineering"]
    assert len(a["unit_series"]["true_value_per_fte"][0]) == 3  # per division
    assert "net_value_usd" not in a["unit_series"]  # organisation-level only
    assert "true value per FTE-day" in a["summary_text"]
    status, b = server.json(q, SMALL.encode())
    assert status == 200 and b["cached"] is True and b["hash"] == a["hash"] and b["series"] == a["series"]
    # The key is the resolved scenario: a comment or the order of keys does not change it.
    status, c = server.json(q, ("# a comment\n" + SMALL).encode())
    assert c["cached"] is True and c["hash"] == a["hash"]
    # Another replication or seed: other luck, other numbers.
    status, d = server.json(q + "&replication=1", SMALL.encode())
    assert status == 200 and d["cached"] is False and d["series"] != a["series"]
    status, e = server.json(q + "&seed=5", SMALL.encode())
    assert status == 200 and e["hash"] != a["hash"] and e["seed"] == "5"


def test_bad_queries(server):
    for q, word in [("vars=no_such_variable", "not a daily variable"), ("replication=-1", "replication"),
                    ("replication=100000", "replication"), ("days=0", "days"), ("seed=x", "seed")]:
        status, body = server.json("/api/run?" + q, SMALL.encode())
        assert status == 400 and word in body["error"], (q, body)


def test_too_large_refused_before_building(server):
    big = SMALL.replace("employees: 60", "employees: 50000000").replace("days: 84", "days: 36500")
    status, body = server.json("/api/run", big.encode())
    assert status == 413 and "refusing to run" in body["error"]


def test_export_h5_equals_cli(server, kpisim, tmp_path):
    status, headers, h5 = server.request("/api/export/h5?days=28", SMALL.encode())
    assert status == 200 and h5[:8] == b"\x89HDF\r\n\x1a\n"
    assert 'filename="small_compare.h5"' in headers["Content-Disposition"]
    (tmp_path / "serve.h5").write_bytes(h5)
    f = tmp_path / "s.yaml"
    f.write_text(SMALL)
    assert run_cli("run", f, "--days", "28", "-q", "-o", tmp_path / "cli.h5").returncode == 0
    assert compare_results.main(str(tmp_path / "cli.h5"), str(tmp_path / "serve.h5")) == 0


def test_examples(server):
    status, body = server.json("/api/examples")
    assert status == 200 and "compare_regimes.yaml" in body["examples"]
    assert not any(n.startswith("experiments/") for n in body["examples"])
    status, _, text = server.request("/api/examples?name=minimal.yaml")
    assert status == 200 and b"minimal" in text
    for name in ("../README.md", "/etc/passwd", "experiments/compare_crn.yaml"):
        assert server.request("/api/examples?name=" + urllib.request.quote(name))[0] == 404


def test_info_reference(server):
    status, info = server.json("/api/info")
    assert status == 200
    rows = {r["key"]: r for r in info["reference"]}
    assert rows["workforce.prior_gain"]["lo"] == -1 and rows["workforce.prior_gain"]["hi"] == 5
    assert rows["days"]["unit"] == "day"
    quota = next(r for r in info["regimes"] if r["name"] == "quota")
    assert any(p["key"] == "target_tokens_per_day" for p in quota["params"])
    assert any(v["name"] == "net_value_usd" for v in info["variables"])


def test_report_export_writes_only_in_workdir(kpisim, tmp_path):
    work = tmp_path / "work"
    elsewhere = tmp_path / "elsewhere"
    work.mkdir()
    elsewhere.mkdir()
    s = Server(kpisim, work, cwd=elsewhere)
    try:
        status, headers, body = s.request("/api/export/report?days=28", SMALL.encode())
    finally:
        assert s.stop() == 0
    assert status == 200, body[:500]
    assert b"<html" in body.lower() and "_report.html" in headers["Content-Disposition"]
    assert list(elsewhere.iterdir()) == []  # nothing where it was started
    # In the working directory only its scratch folder, emptied.
    assert [p.name for p in work.iterdir()] == [".kpisim-serve"]
    assert list((work / ".kpisim-serve").iterdir()) == []


def test_concurrent_runs_limited(kpisim, tmp_path):
    """With --max-runs 1, a second run while one is in progress is refused with 429, not queued."""
    s = Server(kpisim, tmp_path, "--max-runs", "1", "--max-agent-days", "1e12", "--threads", "1")
    long = SMALL.replace("employees: 60", "employees: 20000").replace("days: 84", "days: 3000")
    first = {}

    def long_run():  # retried while a short run holds the slot: it must get it at some point
        while True:
            try:
                first["r"] = s.request("/api/run", long.encode())
            except OSError:  # the server stopped (the end of the test)
                return
            if first["r"][0] != 429:
                return

    t = threading.Thread(target=long_run)
    t.start()
    seen = []
    try:
        seed = 0
        while t.is_alive() and 429 not in seen:
            seed += 1
            status, _, _ = s.request(f"/api/run?days=7&seed={seed}", SMALL.encode())
            seen.append(status)
    finally:
        assert s.stop() == 0  # stops the long run at its next day
        t.join()
    assert 429 in seen, seen


def test_superseded_run_stops(kpisim, tmp_path):
    """A page's newer run request stops its older run (409) instead of waiting for it."""
    s = Server(kpisim, tmp_path, "--max-runs", "1", "--max-agent-days", "1e12", "--threads", "1")
    long = SMALL.replace("employees: 60", "employees: 20000").replace("days: 84", "days: 3000")
    page = {"X-KPISim-Session": "page-1"}
    first = {}
    t = threading.Thread(target=lambda: first.update(r=s.request("/api/run", long.encode(), {**page, "X-KPISim-Generation": "1"})))
    t.start()
    try:
        while True:  # the newer request waits (429) while the old run holds the slot, until that run stops
            status, _, body = s.request("/api/run?days=7", SMALL.encode(), {**page, "X-KPISim-Generation": "2"})
            if status != 429:
                break
        t.join()
        assert status == 200, body
        assert first["r"][0] == 409 and b"superseded" in first["r"][2]
        # Another page is not affected by this one's numbers; malformed headers are refused.
        status, _, _ = s.request("/api/run?days=7", SMALL.encode(), {"X-KPISim-Session": "page-2", "X-KPISim-Generation": "1"})
        assert status == 200
        for session, gen in (("a/b", "1"), ("x" * 65, "1"), ("ok", "-1"), ("ok", "")):
            status, _, _ = s.request("/api/run?days=7", SMALL.encode(), {"X-KPISim-Session": session, "X-KPISim-Generation": gen})
            assert status == 400, (session, gen)
    finally:
        assert s.stop() == 0
        t.join()
