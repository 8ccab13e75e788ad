"""`arena view`: a local web page with the latest verdict and figures, live beside the editor.

The server listens on 127.0.0.1 only and serves three things: the page (`arena_cli.page`),
plotly's JavaScript bundle from the installed wheel, and `.arena/latest.json`, which `arena
watch` and `arena run` rewrite atomically after every run (`arena_cli.live`). The page polls
that file (a conditional request: unchanged means an empty 304) and redraws when it changes, so
the watch never waits for the view, the view can start before or after the watch, and a tab
opened earlier catches up. Requests whose Host is not this loopback server are refused (a web
page elsewhere cannot read the learner's results through DNS rebinding).
"""

from __future__ import annotations

import errno
import hashlib
import signal
import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Callable

from rich.console import Console

from arena_cli.errors import ArenaError
from arena_cli.live import latest_path, read_latest

HOST = "127.0.0.1"
DEFAULT_PORT = 8765
TRIES_NEAR = 10  # when the preferred port is taken, try the next ones, then any free port


class ViewServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True  # lets a restarted view take its port back from TIME_WAIT; two listeners still cannot share it

    def __init__(self, root: Path, port: int) -> None:
        self.root = root
        super().__init__((HOST, port), _Handler)
        self._page: bytes | None = None
        self._plotly: bytes | None = None

    @property
    def port(self) -> int:
        return int(self.server_address[1])

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}/"

    def page(self) -> bytes:
        if self._page is None:
            from arena_cli.page import page_html

            self._page = page_html(None, plotly_src="/plotly.min.js", live=True).encode("utf-8")
        return self._page

    def plotly(self) -> bytes:
        if self._plotly is None:
            from arena_cli.page import plotly_js_path

            self._plotly = plotly_js_path().read_bytes()
        return self._plotly


class _Handler(BaseHTTPRequestHandler):
    server: ViewServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the base class's name
        pass  # the terminal shows the link, not a request log

    def _send(self, status: int, body: bytes = b"", content_type: str = "text/plain; charset=utf-8", headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        if status != HTTPStatus.NOT_MODIFIED and status != HTTPStatus.NO_CONTENT:
            self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("X-Content-Type-Options", "nosniff")
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        if body and self.command != "HEAD":
            self.wfile.write(body)

    def _host_ok(self) -> bool:
        host = (self.headers.get("Host") or "").strip().lower()
        return host in (f"{HOST}:{self.server.port}", f"localhost:{self.server.port}")

    def do_HEAD(self) -> None:  # noqa: N802 - the http.server API
        self.do_GET()

    def do_GET(self) -> None:  # noqa: N802 - the http.server API
        if not self._host_ok():
            self._send(HTTPStatus.FORBIDDEN, b"arena view answers only http://127.0.0.1 on its own port\n")
            return
        path = self.path.split("?", 1)[0]
        no_store = {"Cache-Control": "no-store"}
        if path in ("/", "/index.html"):
            self._send(HTTPStatus.OK, self.server.page(), "text/html; charset=utf-8", no_store)
        elif path == "/plotly.min.js":
            self._send(HTTPStatus.OK, self.server.plotly(), "text/javascript; charset=utf-8", {"Cache-Control": "max-age=3600"})
        elif path == "/latest.json":
            self._latest()
        elif path == "/favicon.ico":
            self._send(HTTPStatus.NO_CONTENT)
        else:
            self._send(HTTPStatus.NOT_FOUND, b"not found\n")

    def _latest(self) -> None:
        try:
            body = latest_path(self.server.root).read_bytes()
        except OSError:
            self._send(HTTPStatus.NO_CONTENT, headers={"Cache-Control": "no-store"})
            return
        tag = '"' + hashlib.sha1(body).hexdigest()[:16] + '"'
        headers = {"ETag": tag, "Cache-Control": "no-store"}
        if self.headers.get("If-None-Match") == tag:
            self._send(HTTPStatus.NOT_MODIFIED, headers=headers)
        else:
            self._send(HTTPStatus.OK, body, "application/json", headers)


def bind(root: Path, port: int = DEFAULT_PORT) -> tuple[ViewServer, str]:
    """A server on `port` or, if that is taken, on a nearby or any free one; and a note saying so."""
    candidates = [port] if port == 0 else [port, *range(port + 1, port + 1 + TRIES_NEAR), 0]
    for candidate in candidates:
        try:
            server = ViewServer(root, candidate)
        except OSError as error:
            if error.errno not in (errno.EADDRINUSE, errno.EACCES) or candidate == 0:
                raise ArenaError(f"arena view could not listen on {HOST}:{candidate}: {error.strerror or error}") from None
            continue
        note = f"port {port} is taken; using {server.port} instead" if port != 0 and server.port != port else ""
        return server, note
    raise ArenaError(f"arena view found no free port on {HOST}")  # pragma: no cover - port 0 always binds


def serve(root: Path, out: Console, *, port: int = DEFAULT_PORT, open_browser: bool = False, ready: Callable[[ViewServer], None] | None = None) -> int:
    """Serve until Ctrl-C or SIGTERM; the server stops with the command."""
    server, note = bind(root, port)
    stop = threading.Event()
    previous = signal.getsignal(signal.SIGTERM)
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.2}, name="arena-view", daemon=True)
    thread.start()
    try:
        if note:
            out.print(note)
        out.print(f"arena view: [link={server.url}]{server.url}[/link]  (Ctrl-C stops it)", highlight=False, soft_wrap=True)
        latest = read_latest(root)
        if latest:
            out.print(f"latest run: {latest.get('exercise')} {str(latest.get('status', '')).upper()} at {latest.get('finished_at', '?')}", highlight=False, soft_wrap=True)
        else:
            out.print("no run yet in this workspace", highlight=False)
        out.print("the page updates by itself after every run of `arena watch` (or `arena run`) here", highlight=False, soft_wrap=True)
        out.file.flush()
        if ready is not None:
            ready(server)
        if open_browser:
            import webbrowser

            webbrowser.open(server.url)
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=2)
        if threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGTERM, previous)
    out.print("arena view stopped")
    return 0
