"""A small driver for headless Chromium over the DevTools protocol, for the page tests.

Chromium talks the protocol over a pipe (`--remote-debugging-pipe`: it reads commands on fd 3
and writes replies on fd 4, each a JSON text ended by a NUL byte), so no websocket library and
no debugging port are needed. Only what the tests use: open a page, evaluate JavaScript, take a
screenshot, and record every URL the page asked for.
"""

from __future__ import annotations

import base64
import fcntl
import json
import os
import queue
import shutil
import struct
import subprocess
import tempfile
import threading
import time
import zlib
from typing import Any

INSTALL = (
    "these tests drive a real browser: install Chromium with `sudo apt-get install -y chromium` "
    "(Debian/Ubuntu), or put a Chromium or Chrome binary on PATH as `chromium` (or set ARENA_CHROMIUM)"
)
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--disable-default-apps",
    "--disable-dev-shm-usage",
    "--disable-features=Translate,MediaRouter,OptimizationHints,DialMediaRouteProvider",
    "--metrics-recording-only",
    "--mute-audio",
    "--remote-debugging-pipe",
]


def find_chromium() -> str | None:
    override = os.environ.get("ARENA_CHROMIUM")
    if override:
        return override if os.access(override, os.X_OK) else None
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        found = shutil.which(name)
        if found:
            return found
    return None


class BrowserError(RuntimeError):
    pass


class Chromium:
    """One headless browser with one tab. Use as a context manager."""

    def __init__(self, binary: str, *, width: int = 1280, height: int = 900) -> None:
        self.profile = tempfile.mkdtemp(prefix="arena-chromium-")
        to_child_r, self._to_child = os.pipe()
        self._from_child, from_child_w = os.pipe()
        # the child's ends, moved above any fd the redirections below could clobber (3 and 4)
        to_child_r, from_child_w = self._high(to_child_r), self._high(from_child_w)
        # the browser expects the pipe on fds 3 and 4; a shell moves them there and execs it
        script = f'exec "$0" "$@" 3<&{to_child_r} 4>&{from_child_w} {to_child_r}<&- {from_child_w}>&-'
        self.process = subprocess.Popen(
            ["bash", "-c", script, binary, *FLAGS, f"--user-data-dir={self.profile}", f"--window-size={width},{height}", "about:blank"],
            pass_fds=(to_child_r, from_child_w), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE, start_new_session=True,
        )
        os.close(to_child_r)
        os.close(from_child_w)
        self.width, self.height = width, height
        self.replies: dict[int, "queue.Queue[dict]"] = {}
        self.events: list[dict] = []
        self.requests: list[str] = []
        self.errors: list[str] = []
        self.lock = threading.Lock()
        self.next_id = 0
        self.session: str | None = None
        self.stderr_tail: list[bytes] = []
        threading.Thread(target=self._read, daemon=True).start()
        threading.Thread(target=self._drain_stderr, daemon=True).start()

    @staticmethod
    def _high(fd: int) -> int:
        moved = fcntl.fcntl(fd, fcntl.F_DUPFD, 100)
        os.close(fd)
        return moved

    # ----- protocol ----------------------------------------------------------------------------
    def _drain_stderr(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self.stderr_tail = (self.stderr_tail + [line])[-20:]

    def _read(self) -> None:
        buffer = b""
        while True:
            try:
                chunk = os.read(self._from_child, 1 << 16)
            except OSError:
                return
            if not chunk:
                return
            buffer += chunk
            while b"\0" in buffer:
                raw, buffer = buffer.split(b"\0", 1)
                message = json.loads(raw)
                if "id" in message:
                    with self.lock:
                        box = self.replies.setdefault(message["id"], queue.Queue())
                    box.put(message)
                else:
                    self._event(message)

    def _event(self, message: dict) -> None:
        method, params = message.get("method", ""), message.get("params", {})
        if method == "Network.requestWillBeSent":
            self.requests.append(params["request"]["url"])
        elif method == "Runtime.exceptionThrown":
            details = params.get("exceptionDetails", {})
            self.errors.append(str(details.get("exception", {}).get("description") or details.get("text")))
        elif method == "Runtime.consoleAPICalled" and params.get("type") == "error":
            self.errors.append(" ".join(str(a.get("value", a.get("description", ""))) for a in params.get("args", [])))
        self.events.append(message)

    def send(self, method: str, params: dict | None = None, *, session: bool = True, timeout: float = 30.0) -> dict:
        with self.lock:
            self.next_id += 1
            ident = self.next_id
            box = self.replies.setdefault(ident, queue.Queue())
        message: dict[str, Any] = {"id": ident, "method": method, "params": params or {}}
        if session and self.session:
            message["sessionId"] = self.session
        os.write(self._to_child, json.dumps(message).encode() + b"\0")
        try:
            reply = box.get(timeout=timeout)
        except queue.Empty:
            raise BrowserError(f"no reply to {method} within {timeout} s; browser said: {b''.join(self.stderr_tail)[-2000:]!r}") from None
        if "error" in reply:
            raise BrowserError(f"{method}: {reply['error']}")
        return reply.get("result", {})

    # ----- what the tests use ------------------------------------------------------------------
    def __enter__(self) -> "Chromium":
        try:
            target = self.send("Target.createTarget", {"url": "about:blank"}, session=False)["targetId"]
            self.session = self.send("Target.attachToTarget", {"targetId": target, "flatten": True}, session=False)["sessionId"]
            for domain in ("Page", "Runtime", "Network"):
                self.send(f"{domain}.enable")
            self.send("Emulation.setDeviceMetricsOverride", {"width": self.width, "height": self.height, "deviceScaleFactor": 1, "mobile": False})
        except BaseException:
            self.close()  # no browser or profile folder left behind
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        try:
            self.send("Browser.close", session=False, timeout=5)
        except (BrowserError, OSError):
            pass
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, 9)
            self.process.wait(timeout=5)
        for fd in (self._to_child, self._from_child):
            try:
                os.close(fd)
            except OSError:
                pass
        shutil.rmtree(self.profile, ignore_errors=True)

    def before_each_page(self, source: str) -> None:
        """Run `source` in every page before its own scripts (e.g. to observe long tasks)."""
        self.send("Page.addScriptToEvaluateOnNewDocument", {"source": source})

    def navigate(self, url: str) -> None:
        self.send("Page.navigate", {"url": url})

    def evaluate(self, expression: str) -> Any:
        result = self.send("Runtime.evaluate", {"expression": expression, "returnByValue": True, "awaitPromise": True})
        if "exceptionDetails" in result:
            raise BrowserError(f"{expression}: {result['exceptionDetails']}")
        return result.get("result", {}).get("value")

    def wait_for(self, expression: str, *, timeout: float = 30.0, interval: float = 0.05) -> Any:
        deadline = time.monotonic() + timeout
        while True:
            try:
                value = self.evaluate(expression)
            except BrowserError:
                value = None
            if value:
                return value
            if time.monotonic() > deadline:
                raise BrowserError(f"`{expression}` did not become true within {timeout} s; page errors: {self.errors}")
            time.sleep(interval)

    def screenshot(self, clip: dict | None = None, *, scale: float = 0.25) -> "Image":
        """The viewport (or `clip`: x, y, width, height in CSS pixels), scaled down: the PNG reader
        below is plain Python, and a quarter of the pixels is plenty to tell a picture from a blank."""
        area = clip or {"x": 0, "y": 0, "width": self.width, "height": self.height}
        params: dict[str, Any] = {"format": "png", "clip": {**area, "scale": scale}}
        return decode_png(base64.b64decode(self.send("Page.captureScreenshot", params)["data"]))


# ----- a minimal PNG reader (8-bit RGB/RGBA, not interlaced: what Chromium writes) -----------------
class Image:
    def __init__(self, width: int, height: int, channels: int, rows: list[bytes]) -> None:
        self.width, self.height, self.channels, self.rows = width, height, channels, rows

    def pixels(self) -> list[tuple[int, int, int]]:
        c = self.channels
        return [tuple(row[i : i + 3]) for row in self.rows for i in range(0, len(row), c)]  # type: ignore[misc]


def decode_png(data: bytes) -> Image:
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG")
    position, chunks, header = 8, [], None
    while position < len(data):
        (length,) = struct.unpack(">I", data[position : position + 4])
        kind = data[position + 4 : position + 8]
        body = data[position + 8 : position + 8 + length]
        position += 12 + length
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            chunks.append(body)
        elif kind == b"IEND":
            break
    assert header is not None
    width, height, depth, colour_type, _, _, interlace = header
    if depth != 8 or colour_type not in (2, 6) or interlace:
        raise ValueError(f"unsupported PNG (depth {depth}, colour type {colour_type}, interlace {interlace})")
    channels = 3 if colour_type == 2 else 4
    raw = zlib.decompress(b"".join(chunks))
    stride = width * channels
    rows: list[bytes] = []
    previous = bytearray(stride)
    for y in range(height):
        start = y * (stride + 1)
        kind, line = raw[start], bytearray(raw[start + 1 : start + 1 + stride])
        for i in range(stride):
            left = line[i - channels] if i >= channels else 0
            up = previous[i]
            corner = previous[i - channels] if i >= channels else 0
            if kind == 1:
                line[i] = (line[i] + left) & 255
            elif kind == 2:
                line[i] = (line[i] + up) & 255
            elif kind == 3:
                line[i] = (line[i] + (left + up) // 2) & 255
            elif kind == 4:
                p = left + up - corner
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
                line[i] = (line[i] + (left if pa <= pb and pa <= pc else up if pb <= pc else corner)) & 255
        rows.append(bytes(line))
        previous = line
    return Image(width, height, channels, rows)


def not_blank(image: Image) -> tuple[int, float]:
    """(distinct colours, share of pixels unlike the most common colour) of an image."""
    from collections import Counter

    counts = Counter(image.pixels())
    background = counts.most_common(1)[0][1]
    total = image.width * image.height
    return len(counts), 1 - background / total

