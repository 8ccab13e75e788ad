"""The learner's progress file, `.arena/state.json` in the workspace.

Written atomically (temp file in the same folder, fsync, rename), so a crash or a kill leaves
either the old or the new file, never half of one. A damaged or hand-broken file is never lost:
it is kept beside as `state.json.damaged-<time>` and the caller is told to rebuild progress by
re-checking. Updates are read-modify-write under a lock, so `arena hint` in one terminal and
`arena watch` in another do not overwrite each other's changes.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

from arena_cli.manifest import Manifest
from arena_cli.progress import Progress, restrict_to
from arena_cli.workspace import STATE_DIR

STATE_FILE = "state.json"
STATE_VERSION = 1


@dataclass(frozen=True)
class LoadedState:
    progress: Progress
    notice: str | None = None  # something the learner should be told (once)
    damaged: bool = False  # the file was unusable; progress must be rebuilt by re-checking


class StateFormatError(ValueError):
    pass


def state_path(root: Path) -> Path:
    return root / STATE_DIR / STATE_FILE


def progress_to_json(progress: Progress) -> dict:
    return {
        "version": STATE_VERSION,
        "done": sorted(progress.done),
        "current": progress.current,
        "hints": dict(sorted(progress.hints.items())),
    }


def progress_from_json(data: object) -> Progress:
    """Validate the file's content; raise StateFormatError saying what is wrong."""
    if not isinstance(data, dict):
        raise StateFormatError("the top level is not an object")
    if data.get("version") != STATE_VERSION:
        raise StateFormatError(f"unknown version {data.get('version')!r}")
    done, current, hints = data.get("done", []), data.get("current"), data.get("hints", {})
    if not isinstance(done, list) or not all(isinstance(n, str) for n in done):
        raise StateFormatError('"done" is not a list of exercise names')
    if current is not None and not isinstance(current, str):
        raise StateFormatError('"current" is not an exercise name')
    if not isinstance(hints, dict) or not all(
        isinstance(k, str) and isinstance(v, int) and not isinstance(v, bool) and v >= 0 for k, v in hints.items()
    ):
        raise StateFormatError('"hints" is not a map from exercise names to levels')
    return Progress(done=frozenset(done), current=current, hints=dict(hints))


def _keep_damaged(path: Path) -> Path:
    kept = path.with_name(f"{path.name}.damaged-{time.strftime('%Y%m%d-%H%M%S')}")
    os.replace(path, kept)
    return kept


def load_state(root: Path, manifest: Manifest) -> LoadedState:
    path = state_path(root)
    try:
        raw = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return LoadedState(Progress())
    except OSError as error:
        return LoadedState(Progress(), notice=f"could not read {path}: {error.strerror}; progress is not saved", damaged=True)
    try:
        progress = progress_from_json(json.loads(raw))
    except (ValueError, StateFormatError) as error:
        kept = _keep_damaged(path)
        return LoadedState(
            Progress(),
            notice=(
                f"your progress file was damaged ({error}); it is kept as {kept.relative_to(root)}. "
                "Progress is rebuilt by re-checking your exercises."
            ),
            damaged=True,
        )
    progress, unknown = restrict_to(manifest, progress)
    notice = None
    if unknown:
        notice = f"progress mentions exercises this course no longer has ({', '.join(unknown)}); ignoring them"
    return LoadedState(progress, notice=notice)


def save_state(root: Path, progress: Progress) -> None:
    path = state_path(root)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temp = tempfile.mkstemp(prefix=".state-", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            json.dump(progress_to_json(progress), out, indent=2)
            out.write("\n")
            out.flush()
            os.fsync(out.fileno())
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp)
        raise


@contextlib.contextmanager
def _locked(root: Path) -> Iterator[None]:
    lock_path = root / STATE_DIR / "state.lock"
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with open(lock_path, "a") as lock:
        try:
            import fcntl

            fcntl.flock(lock.fileno(), fcntl.LOCK_EX)
        except ImportError:  # pragma: no cover - Windows: best effort without a lock
            pass
        yield


def update_state(root: Path, manifest: Manifest, change: Callable[[Progress], Progress]) -> Progress:
    """Load the latest progress, apply `change`, save it; return the new progress."""
    with _locked(root):
        progress = change(load_state(root, manifest).progress)
        save_state(root, progress)
        return progress


def ensure_gitignored(root: Path) -> None:
    """Keep `.arena/` out of the learner's commits even in a fork without our .gitignore."""
    folder = root / STATE_DIR
    folder.mkdir(parents=True, exist_ok=True)
    ignore = folder / ".gitignore"
    if not ignore.exists():
        ignore.write_text("*\n", encoding="utf-8")
