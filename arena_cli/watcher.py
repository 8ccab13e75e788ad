"""File-system events to typed events: filtering and mapping only, no decisions.

Editors save in different ways: in place (VS Code, nano), to a temp file then rename over the
original (vim, JetBrains "safe write"), or delete then create. Every one of them ends with an
event whose path (for a move, the destination) is the exercise file, so the handler forwards
created, modified, moved-to and deleted events for `.py` files and drops editor litter (swap and
backup files, vim's `4913` probe). Debounce and "did the content change" live in the loop.
"""

from __future__ import annotations

import queue
from pathlib import Path

from arena_cli.events import Event, FileChanged, WatcherFailed
from arena_cli.manifest import Exercise, Manifest

JUNK_SUFFIXES = (".swp", ".swx", ".swo", "~", ".tmp", ".arena-tmp", "___jb_tmp___", "___jb_old___", ".bak", ".orig")
JUNK_NAMES = {"4913"}


def is_editor_junk(name: str) -> bool:
    return (
        name in JUNK_NAMES
        or name.startswith((".#", "#", ".~"))
        or name.endswith(JUNK_SUFFIXES)
        or not name.endswith(".py")
    )


def exercise_for_path(root: Path, manifest: Manifest, path: Path) -> Exercise | None:
    """The exercise whose learner file is `path`, if any."""
    try:
        relative = path.resolve().relative_to(root.resolve() / "exercises")
    except (ValueError, OSError):
        return None
    if len(relative.parts) != 2 or is_editor_junk(relative.name):
        return None
    exercise = manifest.get(relative.stem)
    return exercise if exercise is not None and exercise.section == relative.parts[0] else None


class ExerciseEventHandler:
    """A watchdog handler that puts a FileChanged on the queue for relevant paths only."""

    def __init__(self, events: "queue.Queue[Event]") -> None:
        self.events = events

    def dispatch(self, event) -> None:  # noqa: ANN001 - watchdog's FileSystemEvent
        if event.event_type not in ("created", "modified", "moved", "deleted", "closed"):
            return
        if event.is_directory and event.event_type in ("modified", "closed"):
            return  # a folder's content changed; a folder created or moved where an exercise was is forwarded
        path = getattr(event, "dest_path", "") or event.src_path
        if event.event_type == "moved" and not getattr(event, "dest_path", ""):
            return
        name = Path(path).name
        if not is_editor_junk(name):
            self.events.put(FileChanged(Path(path)))


def start_observer(root: Path, events: "queue.Queue[Event]", *, poll: bool):
    """Start watching `exercises/`; fall back to polling when native events are unavailable."""
    from watchdog.observers import Observer
    from watchdog.observers.polling import PollingObserver

    handler = ExerciseEventHandler(events)
    folder = str(root / "exercises")
    if not poll:
        try:
            observer = Observer()
            observer.schedule(handler, folder, recursive=True)
            observer.start()
            return observer
        except OSError as error:
            events.put(WatcherFailed(f"file-system events are unavailable ({error}); polling for changes instead"))
    observer = PollingObserver(timeout=0.5)
    observer.schedule(handler, folder, recursive=True)
    observer.start()
    return observer
