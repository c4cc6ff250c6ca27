"""Drive a headless Chromium from a test through the Chrome DevTools Protocol (CDP).

Chromium started with ``--remote-debugging-pipe`` reads CDP commands from its file descriptor 3
and writes replies and events to descriptor 4, each message JSON ending in a NUL byte. A pipe
needs no port (no race for a free one) and no WebSocket library.

    with Browser.start(chromium) as browser:
        page = browser.new_page("http://127.0.0.1:8888/lab", size=(1400, 900))
        page.wait_for("document.title.includes('JupyterLab')", timeout=120)
        page.screenshot(path)

Waits poll a JavaScript condition until it holds or the timeout passes; they never decide a
result by sleeping a fixed time, so a busy machine only makes a test slower, not red.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

# No network on the test machines: every background service that would dial out is switched off,
# otherwise Chromium can hang waiting for it.
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--disable-default-apps", "--disable-extensions", "--mute-audio", "--hide-scrollbars"]


# Puts two inherited descriptors on 3 and 4, where Chromium expects its pipe, then becomes Chromium
# (subprocess cannot renumber descriptors, and sh need not accept descriptors above 9).
_ON_FDS_3_AND_4 = "import os, sys; os.dup2(int(sys.argv[1]), 3); os.dup2(int(sys.argv[2]), 4); os.execvp(sys.argv[3], sys.argv[3:])"


class BrowserError(RuntimeError):
    """Chromium answered a command with an error, went away, or a page condition never held."""


def find_chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        path = shutil.which(name)
        if path:
            return path
    return None


def chromium_or_skip(purpose: str) -> str:
    """Chromium's path, or skip the calling test saying how to install it and what it is for."""
    import pytest

    path = find_chromium()
    if path is None:
        pytest.skip(f"Chromium not found: install it (Debian: apt-get install -y chromium) {purpose}")
    return path


class Browser:
    """One Chromium process and its CDP connection; pages are targets attached in flat mode."""

    def __init__(self, process: subprocess.Popen, commands, replies, profile: tempfile.TemporaryDirectory):
        self._process, self._commands, self._replies, self._profile = process, commands, replies, profile
        self._next_id = 0
        self._lock = threading.Lock()
        self._answers: dict[int, dict] = {}
        self._arrived = threading.Condition()
        self._reader = threading.Thread(target=self._read_messages, daemon=True)
        self._reader.start()

    @classmethod
    def start(cls, chromium: str, *extra_flags: str) -> Browser:
        profile = tempfile.TemporaryDirectory(prefix="chromium-profile-")
        to_browser_r, to_browser_w = os.pipe()
        from_browser_r, from_browser_w = os.pipe()
        log = open(Path(profile.name) / "chromium.log", "wb")
        process = subprocess.Popen(
            [sys.executable, "-c", _ON_FDS_3_AND_4, str(to_browser_r), str(from_browser_w),
             chromium, *CHROMIUM_FLAGS, *extra_flags, "--remote-debugging-pipe",
             f"--user-data-dir={profile.name}", "about:blank"],
            pass_fds=(to_browser_r, from_browser_w), stdout=subprocess.DEVNULL,
            stderr=log, start_new_session=True)
        log.close()
        os.close(to_browser_r)
        os.close(from_browser_w)
        return cls(process, os.fdopen(to_browser_w, "wb"), os.fdopen(from_browser_r, "rb"), profile)

    def __enter__(self) -> Browser:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        try:
            self.send("Browser.close", timeout=10)
        except (BrowserError, OSError):
            pass
        try:
            self._process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self._process.pid, 9)
            self._process.wait(timeout=20)
        for stream in (self._commands, self._replies):
            try:
                stream.close()
            except OSError:
                pass
        self._profile.cleanup()

    def log_tail(self, chars: int = 3000) -> str:
        log = Path(self._profile.name) / "chromium.log"
        return log.read_text(errors="replace")[-chars:] if log.exists() else "(no log)"

    def _read_messages(self) -> None:
        buffer = b""
        while True:
            chunk = self._replies.read1(1 << 16)
            if not chunk:
                break
            buffer += chunk
            *messages, buffer = buffer.split(b"\0")
            with self._arrived:
                for raw in messages:
                    message = json.loads(raw)
                    if "id" in message:  # an answer; events (no id) are not needed by these tests
                        self._answers[message["id"]] = message
                self._arrived.notify_all()
        with self._arrived:
            self._arrived.notify_all()

    def send(self, method: str, params: dict | None = None, session: str | None = None,
             timeout: float = 60) -> dict:
        """Send one CDP command and return its result (raises BrowserError on a CDP error)."""
        with self._lock:
            self._next_id += 1
            message_id = self._next_id
            message = {"id": message_id, "method": method, "params": params or {}}
            if session:
                message["sessionId"] = session
            self._commands.write(json.dumps(message).encode() + b"\0")
            self._commands.flush()
        deadline = time.monotonic() + timeout
        with self._arrived:
            while message_id not in self._answers:
                left = deadline - time.monotonic()
                if left <= 0 or not self._reader.is_alive():
                    raise BrowserError(f"no answer from Chromium to {method} within {timeout:g} s; "
                                       f"Chromium said:\n{self.log_tail()}")
                self._arrived.wait(min(left, 1.0))
            answer = self._answers.pop(message_id)
        if "error" in answer:
            raise BrowserError(f"{method} failed: {answer['error']}")
        return answer.get("result", {})

    def new_page(self, url: str, size: tuple[int, int] = (1400, 900)) -> Page:
        """Open url in a new tab of the given CSS size and return it (not waiting for it to load)."""
        target = self.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        page = self.attach(target)
        page.send("Emulation.setDeviceMetricsOverride",
                  {"width": size[0], "height": size[1], "deviceScaleFactor": 1, "mobile": False})
        page.send("Page.navigate", {"url": url})
        return page

    def attach(self, target_id: str) -> Page:
        session = self.send("Target.attachToTarget", {"targetId": target_id, "flatten": True})["sessionId"]
        return Page(self, session, target_id)

    def wait_for_new_target(self, known: set[str], timeout: float) -> dict:
        """Wait until a page target that is not in known exists; return its TargetInfo."""
        deadline = time.monotonic() + timeout
        while True:
            for info in self.send("Target.getTargets")["targetInfos"]:
                if info["type"] == "page" and info["targetId"] not in known:
                    return info
            if time.monotonic() > deadline:
                raise BrowserError(f"no new tab opened within {timeout:g} s")
            time.sleep(0.25)


class Page:
    """One attached tab."""

    def __init__(self, browser: Browser, session: str, target_id: str):
        self.browser, self.session, self.target_id = browser, session, target_id

    def send(self, method: str, params: dict | None = None, timeout: float = 60) -> dict:
        return self.browser.send(method, params, session=self.session, timeout=timeout)

    def evaluate(self, expression: str, timeout: float = 60):
        """The value of a JavaScript expression (awaited if it is a promise), as JSON."""
        result = self.send("Runtime.evaluate", {"expression": expression, "awaitPromise": True,
                                                "returnByValue": True}, timeout=timeout)
        if "exceptionDetails" in result:
            details = result["exceptionDetails"]
            text = details.get("exception", {}).get("description") or details.get("text")
            raise BrowserError(f"JavaScript failed: {text}\n  in: {expression}")
        return result["result"].get("value")

    def wait_for(self, expression: str, timeout: float, what: str | None = None):
        """Poll expression until it is truthy; return its value, or fail saying what never appeared."""
        deadline = time.monotonic() + timeout
        last_error = None
        while True:
            try:
                value = self.evaluate(expression)
                if value:
                    return value
            except BrowserError as error:  # a page that is still navigating has no context yet
                last_error = error
            if time.monotonic() > deadline:
                detail = f" (last error: {last_error})" if last_error else ""
                raise BrowserError(f"{what or expression} did not happen within {timeout:g} s{detail}")
            time.sleep(0.25)

    def click(self, element: str, what: str, timeout: float = 60) -> None:
        """Click, with a real mouse press and release, the middle of the element that the JavaScript
        expression element evaluates to. Waits until it exists, is scrolled into view, is the
        element under that point and has not moved since the last poll (the lab lays cells out
        lazily, so an element can still move just after scrolling)."""
        box = self.wait_for(f"""(() => {{
            const el = {element};
            if (!el) return null;
            el.scrollIntoView({{block: "center"}});
            const r = el.getBoundingClientRect(), x = r.x + r.width / 2, y = r.y + r.height / 2;
            const key = `${{x}},${{y}}`, steady = window.__lastClickBox === key;
            window.__lastClickBox = key;
            return steady && el.contains(document.elementFromPoint(x, y)) ? {{x, y}} : null;
        }})()""", timeout, what)
        for kind in ("mouseMoved", "mousePressed", "mouseReleased"):
            self.send("Input.dispatchMouseEvent", {"type": kind, "x": box["x"], "y": box["y"],
                                                   "button": "left" if kind != "mouseMoved" else "none",
                                                   "clickCount": 1 if kind != "mouseMoved" else 0})

    def press_escape(self) -> None:
        for kind in ("keyDown", "keyUp"):
            self.send("Input.dispatchKeyEvent", {"type": kind, "key": "Escape", "code": "Escape",
                                                 "windowsVirtualKeyCode": 27})

    def screenshot(self, path: Path) -> Path:
        data = self.send("Page.captureScreenshot", {"format": "png"})["data"]
        path.write_bytes(base64.b64decode(data))
        return path
