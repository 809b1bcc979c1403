"""Headless Chromium driven through the DevTools protocol over a pipe (standard library only).

`--remote-debugging-pipe` makes Chromium read protocol messages from file descriptor 3 and write
them to descriptor 4, each a JSON object followed by a NUL byte: no port, no websocket, nothing on
the network. Used by tests/python/test_report.py to open the HTML report as a person would:

    with Browser() as b:
        page = b.open("file:///.../report.html", width=1280)
        page.console_errors, page.requests, page.evaluate("document.title"), page.screenshot()

Chromium is Debian's `chromium` (scripts/setup.sh installs it), started with the flags that keep
it off the network (no background networking, component updates, sync) and a fresh profile.
"""
from __future__ import annotations

import base64
import json
import os
import select
import shutil
import subprocess
import tempfile
import time

CHROMIUM = os.environ.get("KPISIM_CHROMIUM", "/usr/bin/chromium")
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-default-apps", "--disable-extensions", "--mute-audio", "--hide-scrollbars",
         "--remote-debugging-pipe")


class BrowserError(Exception):
    pass


class Browser:
    """One headless Chromium process; open() loads a page in a new tab and collects what happened."""

    def __init__(self, executable: str = CHROMIUM, timeout: float = 60.0):
        if not (os.path.isfile(executable) and os.access(executable, os.X_OK)):
            raise BrowserError(f"{executable} not found: install Debian's chromium (scripts/setup.sh --python)")
        self.timeout = timeout
        self.profile = tempfile.mkdtemp(prefix="kpisim-chromium-")
        to_child_r, self._to_child = os.pipe()  # we write, Chromium reads on fd 3
        self._from_child, from_child_w = os.pipe()  # Chromium writes on fd 4, we read
        os.set_inheritable(to_child_r, True)
        os.set_inheritable(from_child_w, True)

        def child_fds():  # runs in the child before exec; close_fds=False keeps 3 and 4 open
            os.dup2(to_child_r, 3)
            os.dup2(from_child_w, 4)

        self.log = tempfile.TemporaryFile()
        self.proc = subprocess.Popen([executable, *FLAGS, f"--user-data-dir={self.profile}", "about:blank"],
                                     stdin=subprocess.DEVNULL, stdout=self.log, stderr=self.log,
                                     preexec_fn=child_fds, close_fds=False)
        os.close(to_child_r)
        os.close(from_child_w)
        self._buf = b""
        self._next_id = 0
        self._events = []

    # -- protocol
    def _send(self, method, params=None, session=None) -> int:
        self._next_id += 1
        msg = {"id": self._next_id, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        os.write(self._to_child, json.dumps(msg).encode() + b"\0")
        return self._next_id

    def _read(self, deadline):
        while b"\0" not in self._buf:
            left = deadline - time.monotonic()
            if left <= 0:
                raise BrowserError("timed out waiting for Chromium")
            ready, _, _ = select.select([self._from_child], [], [], left)
            if ready:
                chunk = os.read(self._from_child, 1 << 20)
                if not chunk:
                    raise BrowserError(f"Chromium closed the pipe (exit {self.proc.poll()}): {self.stderr()[-2000:]}")
                self._buf += chunk
        raw, self._buf = self._buf.split(b"\0", 1)
        return json.loads(raw)

    def call(self, method, params=None, session=None):
        """Sends a command and returns its result; events that arrive meanwhile are kept."""
        mid = self._send(method, params, session)
        deadline = time.monotonic() + self.timeout
        while True:
            msg = self._read(deadline)
            if msg.get("id") == mid:
                if "error" in msg:
                    raise BrowserError(f"{method}: {msg['error']}")
                return msg.get("result", {})
            if "method" in msg:
                self._events.append(msg)

    def wait_for(self, method, session, timeout=None):
        """Waits for an event of the given session; returns it (earlier events are kept)."""
        deadline = time.monotonic() + (timeout or self.timeout)
        for e in self._events:
            if e["method"] == method and e.get("sessionId") == session:
                return e
        while True:
            msg = self._read(deadline)
            if "method" in msg:
                self._events.append(msg)
                if msg["method"] == method and msg.get("sessionId") == session:
                    return msg

    def drain(self, seconds: float):
        """Collects events for a while (late requests, late console messages)."""
        deadline = time.monotonic() + seconds
        try:
            while True:
                msg = self._read(deadline)
                if "method" in msg:
                    self._events.append(msg)
        except BrowserError:
            pass

    def stderr(self) -> str:
        self.log.seek(0)
        return self.log.read().decode("utf-8", "replace")

    # -- pages
    def open(self, url: str, width: int = 1280, height: int = 900) -> "Page":
        target = self.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        for domain in ("Page", "Runtime", "Log", "Network"):
            self.call(f"{domain}.enable", session=session)
        self.call("Emulation.setDeviceMetricsOverride",
                  {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False}, session=session)
        start = len(self._events)
        self.call("Page.navigate", {"url": url}, session=session)
        self.wait_for("Page.loadEventFired", session)
        self.drain(0.5)
        return Page(self, session, [e for e in self._events[start:] if e.get("sessionId") == session])

    def close(self):
        if self.proc.poll() is None:
            try:
                self._send("Browser.close")
                self.proc.wait(timeout=10)
            except (OSError, subprocess.TimeoutExpired):
                self.proc.kill()
                self.proc.wait()
        for fd in (self._to_child, self._from_child):
            try:
                os.close(fd)
            except OSError:
                pass
        self.log.close()
        shutil.rmtree(self.profile, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class Page:
    """A loaded page: what it logged and requested, and helpers to query and photograph it."""

    def __init__(self, browser: Browser, session: str, events: list):
        self.browser, self.session, self.events = browser, session, events

    @property
    def requests(self) -> list[str]:
        """URLs of every request the page made (the document itself included)."""
        return [e["params"]["request"]["url"] for e in self.events if e["method"] == "Network.requestWillBeSent"]

    @property
    def console_errors(self) -> list[str]:
        """Console errors, uncaught exceptions and browser log errors (e.g. a blocked load, a CSP violation)."""
        out = []
        for e in self.events:
            p = e["params"]
            if e["method"] == "Runtime.consoleAPICalled" and p["type"] in ("error", "assert"):
                out.append("console: " + " ".join(str(a.get("value", a.get("description", ""))) for a in p["args"]))
            elif e["method"] == "Runtime.exceptionThrown":
                out.append("exception: " + p["exceptionDetails"].get("text", ""))
            elif e["method"] == "Log.entryAdded" and p["entry"]["level"] == "error":
                out.append(f"log ({p['entry'].get('source')}): {p['entry'].get('text')} {p['entry'].get('url', '')}")
        return out

    @property
    def failed_loads(self) -> list[str]:
        return [e["params"].get("errorText", "") for e in self.events if e["method"] == "Network.loadingFailed"]

    def evaluate(self, expression: str):
        """Evaluates a JavaScript expression in the page and returns its value (JSON-serialisable)."""
        r = self.browser.call("Runtime.evaluate", {"expression": expression, "returnByValue": True,
                                                   "awaitPromise": True}, session=self.session)
        if "exceptionDetails" in r:
            raise BrowserError(f"evaluate({expression!r}): {r['exceptionDetails']}")
        return r["result"].get("value")

    def screenshot(self, full_page: bool = True) -> bytes:
        """A PNG of the page: the whole page (full_page) or the viewport."""
        params = {"format": "png"}
        if full_page:
            params["captureBeyondViewport"] = True
            size = self.browser.call("Page.getLayoutMetrics", session=self.session)["cssContentSize"]
            params["clip"] = {"x": 0, "y": 0, "width": size["width"], "height": size["height"], "scale": 1}
        data = self.browser.call("Page.captureScreenshot", params, session=self.session)["data"]
        return base64.b64decode(data)
