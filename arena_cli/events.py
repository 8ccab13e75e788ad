"""The typed events that feed the watch loop's single queue."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from arena_cli.manifest import Exercise
from arena_cli.results import RunResult


@dataclass(frozen=True)
class FileChanged:
    path: Path  # an exercise file that was written, created, moved into place or deleted


@dataclass(frozen=True)
class KeyPressed:
    key: str


@dataclass(frozen=True)
class RunFinished:
    exercise: Exercise
    result: RunResult
    ticket: int  # which request this answers; stale tickets are ignored


@dataclass(frozen=True)
class WatcherFailed:
    message: str


@dataclass(frozen=True)
class InputClosed:
    """Standard input ended (not a terminal, or closed): keys are no longer available."""


Event = FileChanged | KeyPressed | RunFinished | WatcherFailed | InputClosed
