"""Single keys without Enter, and a terminal that is always given back as it was found."""

from __future__ import annotations

import atexit
import os
import queue
import signal
import sys
import threading
from types import FrameType

from arena_cli.events import Event, InputClosed, KeyPressed


class KeyboardInput:
    """Context manager: cbreak mode on a TTY (Ctrl-C still interrupts), keys fed to a queue.

    The terminal settings are restored on leaving, at interpreter exit, and on SIGTERM/SIGHUP,
    so a crash or a kill never leaves the learner's shell without echo.
    """

    def __init__(self, events: "queue.Queue[Event]", stream=None) -> None:  # noqa: ANN001
        self.events = events
        self.stream = stream or sys.stdin
        self.fd: int | None = None
        self.saved: list | None = None

    @property
    def interactive(self) -> bool:
        try:
            return self.stream.isatty()
        except (AttributeError, ValueError):
            return False

    def __enter__(self) -> "KeyboardInput":
        if not self.interactive:
            return self
        try:
            import termios
            import tty
        except ImportError:  # pragma: no cover - Windows
            return self
        self.fd = self.stream.fileno()
        self.saved = termios.tcgetattr(self.fd)
        atexit.register(self.restore)
        for signum in (signal.SIGTERM, signal.SIGHUP):
            signal.signal(signum, self._on_signal)
        tty.setcbreak(self.fd)
        threading.Thread(target=self._read_keys, name="arena-keys", daemon=True).start()
        return self

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        self.restore()
        raise SystemExit(128 + signum)

    def _read_keys(self) -> None:
        assert self.fd is not None
        while True:
            try:
                data = os.read(self.fd, 32)
            except OSError:
                data = b""
            if not data:
                self.events.put(InputClosed())
                return
            from arena_cli.keys import decode_keys  # arrows, Page Up/Down, Esc, Enter as names

            for key in decode_keys(data.decode(errors="ignore")):
                self.events.put(KeyPressed(key))

    def restore(self) -> None:
        if self.fd is not None and self.saved is not None:
            import termios

            try:
                termios.tcsetattr(self.fd, termios.TCSADRAIN, self.saved)
            except termios.error:
                pass

    def __exit__(self, *exc: object) -> None:
        self.restore()
