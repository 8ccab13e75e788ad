"""The latest result of a workspace, as one JSON file that `arena view` serves to the browser.

After every run, `arena watch` (and `arena run`) writes `.arena/latest.json`: the exercise, its
verdict (the same text the terminal shows) and the figures the checks recorded. It is written
atomically (a temporary file in `.arena/`, then a rename), so a reader never sees half a file,
and by a background thread after the verdict is on screen, so the watch loop's save-to-verdict
time does not depend on whether anyone is looking. `arena view` only reads the file: it can
start before or after the watch, and an open tab catches up on its next poll.

This module imports nothing heavy (no torch, no plotly).
"""

from __future__ import annotations

import atexit
import contextlib
import io
import json
import os
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from arena_cli.manifest import Exercise, Manifest
from arena_cli.results import RunResult
from arena_cli.workspace import STATE_DIR

LATEST_NAME = "latest.json"
TEMP_PREFIX = ".latest-"
FORMAT = 1


def latest_path(root: Path) -> Path:
    return root / STATE_DIR / LATEST_NAME


def verdict_text(result: RunResult) -> str:
    """The verdict exactly as the terminal words it, as plain text."""
    from rich.console import Console

    from arena_cli import render

    buffer = io.StringIO()
    Console(file=buffer, width=100, color_system=None, force_terminal=False, highlight=False, soft_wrap=True).print(render.result_view(result))
    return buffer.getvalue().rstrip()


def result_payload(result: RunResult, exercise: Exercise | None = None, manifest: Manifest | None = None) -> dict[str, Any]:
    """One run as plain data: what the page draws (see `arena_cli.page`)."""
    section = manifest.section(exercise.section) if manifest is not None and exercise is not None else None
    return {
        "format": FORMAT,
        "exercise": result.exercise,
        "section": section.title if section else (exercise.section if exercise else ""),
        "path": exercise.path.as_posix() if exercise else "",
        "status": result.status.value,
        "passed": result.passed,
        "verdict": verdict_text(result),
        "tests": [
            {"name": t.name, "outcome": t.outcome.value, "message": t.message, "location": str(t.location) if t.location else ""}
            for t in result.tests
        ],
        "wall_time": round(result.wall_time, 4),
        "finished_at": time.strftime("%H:%M:%S"),
        "figures": list(result.figures),
    }


def write_latest(root: Path, payload: dict[str, Any]) -> Path:
    """Write `payload` to `.arena/latest.json` atomically (temp file in the same folder + rename)."""
    target = latest_path(root)
    target.parent.mkdir(parents=True, exist_ok=True)
    data = json.dumps(payload, separators=(",", ":"), allow_nan=False).encode("utf-8")
    _remove_stale_temps(target.parent)
    handle, temp = tempfile.mkstemp(prefix=TEMP_PREFIX, suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
        os.replace(temp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise
    return target


def _remove_stale_temps(folder: Path) -> None:
    """Temp files of a writer that was killed mid-write (SIGKILL); a live writer's are seconds old."""
    now = time.time()
    for stale in folder.glob(TEMP_PREFIX + "*.tmp"):
        with contextlib.suppress(OSError):
            if now - stale.stat().st_mtime > 60:
                stale.unlink()


def read_latest(root: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(latest_path(root).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


class _Publisher:
    """Writes results in order on a background thread; a newer result supersedes a queued one."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.pending: tuple[Path, RunResult, Exercise | None, Manifest | None] | None = None
        self.thread: threading.Thread | None = None
        self.idle = threading.Event()
        self.idle.set()
        self.registered = False

    def submit(self, root: Path, result: RunResult, exercise: Exercise | None, manifest: Manifest | None) -> None:
        if not self.registered:  # a command that ends mid-write still leaves a whole file, no temp file
            atexit.register(self.wait, 2.0)
            self.registered = True
        with self.lock:
            self.pending = (root, result, exercise, manifest)
            self.idle.clear()
            if self.thread is None or not self.thread.is_alive():
                self.thread = threading.Thread(target=self._drain, name="arena-latest", daemon=True)
                self.thread.start()

    def _drain(self) -> None:
        while True:
            with self.lock:
                job, self.pending = self.pending, None
                if job is None:
                    self.thread = None
                    self.idle.set()
                    return
            root, result, exercise, manifest = job
            try:
                write_latest(root, result_payload(result, exercise, manifest))
            except Exception:  # noqa: BLE001 - the page is a convenience; never disturb the watch
                pass

    def wait(self, timeout: float = 5.0) -> bool:
        return self.idle.wait(timeout)


_publisher = _Publisher()


def publish_latest(root: Path, result: RunResult, exercise: Exercise | None = None, manifest: Manifest | None = None, *, wait: bool = False) -> None:
    """Record `result` as the workspace's latest (for `arena view`), in the background."""
    _publisher.submit(root, result, exercise, manifest)
    if wait:
        _publisher.wait()


def wait_published(timeout: float = 5.0) -> bool:
    """Block until every submitted result is on disk (tests; the end of `arena run`)."""
    return _publisher.wait(timeout)
