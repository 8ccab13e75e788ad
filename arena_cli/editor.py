"""`arena watch --edit-cmd CMD` (or `ARENA_EDITOR`): open the current exercise in the learner's
editor each time it becomes current. Never guessed: with neither set, nothing is opened.

CMD is split like a shell would (no shell runs it); `{path}` and `{line}` in it are replaced by
the exercise's absolute path and line 1, and without `{path}` the path is added at the end:
`code -g {path}:{line}`, `subl`, `emacsclient -n`, `idea`. The editor is started in the
background with no terminal (a terminal editor such as vim needs its own window:
`--edit-cmd "tmux split-window vim"`). A command that cannot start, or exits with a failure
within a few seconds, is one line; the watch loop goes on.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import threading
from pathlib import Path
from typing import Callable

ENV_VAR = "ARENA_EDITOR"
FAILURE_WAIT_SECONDS = 10.0


def editor_command(option: str | None) -> str | None:
    """The option, else ARENA_EDITOR, else None (never $EDITOR or a guess)."""
    chosen = option if option is not None else os.environ.get(ENV_VAR)
    return chosen.strip() or None if chosen else None


def build_argv(command: str, path: Path, line: int = 1) -> list[str]:
    """`command` as argv with the path filled in. Raises ValueError for unbalanced quotes."""
    words = shlex.split(command)
    if not words:
        raise ValueError("the edit command is empty")
    if any("{path}" in word for word in words):
        return [word.replace("{path}", str(path)).replace("{line}", str(line)) for word in words]
    return [*(word.replace("{line}", str(line)) for word in words), str(path)]


class Editor:
    def __init__(self, command: str, on_failure: Callable[[str], None]) -> None:
        self.command = command
        self.on_failure = on_failure  # called with one line, maybe from another thread

    def open(self, path: Path) -> str | None:
        """Start the editor on `path`; a start failure is returned as one line."""
        name = self.command.split()[0] if self.command.split() else self.command
        try:
            argv = build_argv(self.command, path)
            process = subprocess.Popen(
                argv,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,  # Ctrl-C in the watch does not reach the editor
            )
        except (OSError, ValueError) as error:
            reason = getattr(error, "strerror", None) or str(error)
            return f"the edit command `{self.command}` could not start ({reason}); fix --edit-cmd or {ENV_VAR}"

        def wait() -> None:
            try:
                code = process.wait(timeout=FAILURE_WAIT_SECONDS)
            except subprocess.TimeoutExpired:
                return  # still running: an editor that stays in the foreground is fine
            if code != 0:
                self.on_failure(f"the edit command `{name}` failed (exit status {code}) for {path.name}; the watch goes on")

        threading.Thread(target=wait, name="arena-editor", daemon=True).start()
        return None
