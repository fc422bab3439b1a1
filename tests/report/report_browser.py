"""Load a page in headless Chromium and report what a reader would see (test helper).

Drives Debian's ``chromium`` over the DevTools protocol on a pipe (``--remote-debugging-pipe``:
NUL-terminated JSON on fds 3/4), so no websocket library is needed. Collects console
errors, uncaught exceptions, log errors (e.g. a failed resource load) and every network
request other than the page itself; measures each ``figure svg``; saves a full-page
screenshot. Every wait is bounded.

Also a script: ``python tests/report/report_browser.py page.html shot.png``.
"""

from __future__ import annotations

import base64
import fcntl
import json
import os
import select
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

MEASURE = """JSON.stringify({
  figures: Array.from(document.querySelectorAll('figure svg')).map(s => {
    const r = s.getBoundingClientRect();
    return {w: r.width, h: r.height, paths: s.querySelectorAll('path, use, rect').length};
  }),
  verdict: (document.getElementById('verdict') || {}).textContent || null,
  title: document.title,
  height: document.documentElement.scrollHeight
})"""


@dataclass
class PageResult:
    errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    figures: list[dict] = field(default_factory=list)
    verdict: str | None = None
    title: str = ""
    height: int = 0


class _Pipe:
    def __init__(self, proc, write_fd: int, read_fd: int):
        self.proc, self.w, self.r = proc, write_fd, read_fd
        self.buf = b""
        self.next_id = 0
        self.events: list[dict] = []

    def send(self, method: str, params: dict | None = None, session: str | None = None, timeout: float = 20.0):
        self.next_id += 1
        msg = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        os.write(self.w, json.dumps(msg).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while True:
            for m in self._read(deadline):
                if m.get("id") == self.next_id:
                    if "error" in m:
                        raise RuntimeError(f"{method}: {m['error']}")
                    return m.get("result", {})
                self.events.append(m)

    def wait_event(self, name: str, timeout: float = 20.0) -> dict:
        deadline = time.monotonic() + timeout
        while True:
            for i, m in enumerate(self.events):
                if m.get("method") == name:
                    return self.events.pop(i)
            self.events.extend(self._read(deadline))

    def _read(self, deadline: float) -> list[dict]:
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError("chromium did not answer in time")
        ready, _, _ = select.select([self.r], [], [], left)
        if not ready:
            raise TimeoutError("chromium did not answer in time")
        chunk = os.read(self.r, 1 << 20)
        if not chunk:
            raise RuntimeError(f"chromium closed the pipe (exit {self.proc.poll()})")
        self.buf += chunk
        *done, self.buf = self.buf.split(b"\0")
        return [json.loads(d) for d in done if d]


def chromium_path() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        raise RuntimeError("chromium not found: apt-get install -y chromium (the .ci/run script does)")
    return path


def load_page(html_path: str | Path, screenshot: str | Path | None = None, width: int = 1280,
              timeout: float = 60.0) -> PageResult:
    """Open ``html_path``; return errors, requests and figure sizes; optionally save a screenshot."""
    html_path = Path(html_path).resolve()
    url = html_path.as_uri()
    to_chrome_r, to_chrome_w = os.pipe()
    from_chrome_r, from_chrome_w = os.pipe()
    hi_r = fcntl.fcntl(to_chrome_r, fcntl.F_DUPFD, 10)
    hi_w = fcntl.fcntl(from_chrome_w, fcntl.F_DUPFD, 10)

    def child_fds():
        os.dup2(hi_r, 3)
        os.dup2(hi_w, 4)

    profile = tempfile.mkdtemp(prefix="mlpace-chromium-")
    proc = subprocess.Popen(
        [chromium_path(), "--headless=new", "--disable-gpu", "--no-sandbox", "--remote-debugging-pipe",
         f"--user-data-dir={profile}", "--no-first-run", "--disable-extensions", "--mute-audio",
         "--disable-background-networking", "--disable-component-update", "about:blank"],
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        preexec_fn=child_fds, close_fds=False)
    for fd in (to_chrome_r, from_chrome_w, hi_r, hi_w):
        os.close(fd)
    pipe = _Pipe(proc, to_chrome_w, from_chrome_r)
    result = PageResult()
    try:
        target = pipe.send("Target.createTarget", {"url": "about:blank"}, timeout=timeout)["targetId"]
        session = pipe.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        for domain in ("Runtime", "Log", "Page", "Network"):
            pipe.send(f"{domain}.enable", session=session)
        pipe.send("Emulation.setDeviceMetricsOverride",
                  {"width": width, "height": 900, "deviceScaleFactor": 1, "mobile": False}, session=session)
        pipe.send("Page.navigate", {"url": url}, session=session)
        pipe.wait_event("Page.loadEventFired", timeout)
        measured = json.loads(pipe.send("Runtime.evaluate", {"expression": MEASURE, "returnByValue": True},
                                        session=session)["result"]["value"])
        result.figures, result.verdict = measured["figures"], measured["verdict"]
        result.title, result.height = measured["title"], int(measured["height"])
        if screenshot is not None:
            shot = pipe.send("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True,
                                                        "clip": {"x": 0, "y": 0, "width": width,
                                                                 "height": result.height, "scale": 1}},
                             session=session, timeout=timeout)
            Path(screenshot).write_bytes(base64.b64decode(shot["data"]))
        time.sleep(0.2)  # let late log events arrive
        try:
            pipe._read(time.monotonic() + 0.3)
        except TimeoutError:
            pass
        for m in pipe.events:
            meth, p = m.get("method"), m.get("params", {})
            if meth == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert"):
                result.errors.append("console: " + " ".join(str(a.get("value", a.get("description")))
                                                          for a in p.get("args", [])))
            elif meth == "Runtime.exceptionThrown":
                result.errors.append("exception: " + p.get("exceptionDetails", {}).get("text", ""))
            elif meth == "Log.entryAdded" and p.get("entry", {}).get("level") == "error":
                result.errors.append("log: " + p["entry"].get("text", ""))
            elif meth == "Network.requestWillBeSent":
                req = p.get("request", {}).get("url", "")
                if req != url:
                    result.requests.append(req)
        try:
            pipe.send("Browser.close", timeout=5)
        except (RuntimeError, TimeoutError):
            pass
    finally:
        os.close(to_chrome_w)
        os.close(from_chrome_r)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
        shutil.rmtree(profile, ignore_errors=True)
    return result


if __name__ == "__main__":
    r = load_page(sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else None)
    print(json.dumps({"errors": r.errors, "requests": r.requests, "figures": len(r.figures),
                      "verdict": r.verdict, "height": r.height}))
