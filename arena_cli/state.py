"""The learner's progress file, `.arena/state.json` in the workspace.

Written atomically (temp file in the same folder, fsync, rename), so a crash or a kill leaves
either the old or the new file, never half of one. Progress is never lost silently:

- a damaged or hand-broken file is kept beside as `state.json.damaged-<time>-<pid>[-n]` (a name
  that never collides, taken with an atomic link) and replaced by a file that keeps what could be
  salvaged (hint levels, the current exercise) and records that progress must be rebuilt; every
  later command sees that record until a rebuild by re-checking (`arena watch`, `arena verify`)
  clears it, and commands that cannot rebuild say what to run;
- damage found while a command holds the learner's progress in memory (`arena watch`) is
  repaired from memory;
- a file written by a newer arena (a higher format version) is refused and left untouched;
- a state folder that cannot be written (read-only, `.arena` a file, `state.json` a folder) is
  one clear line (`StateUnwritable`), and the caller still shows its verdict.

Updates are read-modify-write under a lock, so `arena hint` in one terminal and `arena watch` in
another do not overwrite each other's changes, and two commands that find the same damage at
once handle it once.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import re
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

from arena_cli.errors import ArenaError
from arena_cli.manifest import Manifest
from arena_cli.progress import Progress, restrict_to
from arena_cli.workspace import STATE_DIR

STATE_FILE = "state.json"
LOCK_FILE = "state.lock"
STATE_VERSION = 1
REBUILD_KEY = "rebuild"  # present while progress must be rebuilt: the name of the kept damaged copy


@dataclass(frozen=True)
class LoadedState:
    progress: Progress
    notice: str | None = None  # something the learner should be told (once)
    damaged: bool = False  # progress must be rebuilt by re-checking (damage found now or earlier)
    kept: str | None = None  # the name of the kept damaged copy, in the state folder
    found_now: bool = False  # this load found the damage (rather than an earlier command)


class StateFormatError(ValueError):
    pass


class StateTooNew(ArenaError):
    """The progress file was written by a newer arena: refused, never touched."""

    exit_code = 2


class StateUnwritable(ArenaError, OSError):
    """Progress cannot be saved (the folder is read-only, a file, ...): one line saying how to fix it."""


def state_path(root: Path) -> Path:
    return root / STATE_DIR / STATE_FILE


def _shown(root: Path, path: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return str(path)


def _fix_for(root: Path, error: OSError) -> str:
    """One learner-facing sentence: why the state folder cannot be used and what to type."""
    folder, path = root / STATE_DIR, state_path(root)
    if folder.exists() and not folder.is_dir():
        return f"{STATE_DIR} is a file, not a folder; move it away (`mv {STATE_DIR} {STATE_DIR}.old`)"
    for name in (STATE_FILE, LOCK_FILE):
        candidate = folder / name
        if candidate.is_dir():
            return f"{STATE_DIR}/{name} is a folder, not a file; move it away (`mv {STATE_DIR}/{name} {STATE_DIR}/{name}.old`)"
    if error.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return f"{STATE_DIR}/ is not writable ({error.strerror}); `chmod u+rwx {STATE_DIR}` gives it back"
    return f"{_shown(root, path)}: {error.strerror or error}"


def progress_to_json(progress: Progress, *, rebuild: str | None = None) -> dict:
    data: dict = {
        "version": STATE_VERSION,
        "done": sorted(progress.done),
        "current": progress.current,
        "hints": dict(sorted(progress.hints.items())),
    }
    if rebuild:
        data[REBUILD_KEY] = rebuild
    return data


def _check_version(data: object) -> None:
    if isinstance(data, dict):
        version = data.get("version")
        if isinstance(version, int) and not isinstance(version, bool) and version > STATE_VERSION:
            raise StateTooNew(
                f"{STATE_DIR}/{STATE_FILE} was written by a newer arena (format {version}; this one reads {STATE_VERSION}); "
                "it is left untouched: update arena (`git pull && python -m pip install -e .`) to continue"
            )


def _valid_hints(hints: object) -> bool:
    return isinstance(hints, dict) and all(
        isinstance(k, str) and isinstance(v, int) and not isinstance(v, bool) and v >= 0 for k, v in hints.items()
    )


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
    if not _valid_hints(hints):
        raise StateFormatError('"hints" is not a map from exercise names to levels')
    if not isinstance(data.get(REBUILD_KEY, ""), str):
        raise StateFormatError(f'"{REBUILD_KEY}" is not a file name')
    return Progress(done=frozenset(done), current=current, hints=dict(hints))


def salvage(raw: str) -> Progress:
    """What can still be read from a damaged file: hint levels and the current exercise (done
    exercises are rebuilt by re-checking, so they are not trusted from a damaged file)."""
    try:
        data = json.loads(raw)
    except ValueError:
        data = None
    if isinstance(data, dict):
        hints = data.get("hints")
        current = data.get("current")
        return Progress(
            current=current if isinstance(current, str) else None,
            hints=dict(hints) if _valid_hints(hints) else {},
        )
    # Not JSON any more (truncated, edited): pick out what still looks like its entries.
    hints: dict[str, int] = {}
    block = re.search(r'"hints"\s*:\s*\{([^}]*)', raw)
    if block:
        hints = {name: int(level) for name, level in re.findall(r'"([^"\\]+)"\s*:\s*(\d+)', block.group(1))}
    current = re.search(r'"current"\s*:\s*"([^"\\]+)"', raw)
    return Progress(current=current.group(1) if current else None, hints=hints)


def _keep_damaged(path: Path) -> Path:
    """Move the damaged file aside under a name no other damage can take (atomic link)."""
    base = f"{path.name}.damaged-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}"
    for counter in range(1000):
        kept = path.with_name(base if counter == 0 else f"{base}-{counter}")
        try:
            os.link(path, kept)
        except FileExistsError:
            continue
        except OSError:  # no hard links here: fall back to a checked rename
            if kept.exists():
                continue
            os.replace(path, kept)
            return kept
        os.unlink(path)
        return kept
    raise OSError(errno.EEXIST, "no free name for the damaged copy")


@contextlib.contextmanager
def _locked(root: Path, *, required: bool = True) -> Iterator[bool]:
    """Hold the state lock. Without a usable lock: StateUnwritable, or (required=False) go on unlocked."""
    lock_path = root / STATE_DIR / LOCK_FILE
    try:
        lock_path.parent.mkdir(parents=True, exist_ok=True)
        lock = open(lock_path, "a")  # noqa: SIM115 - closed below
    except OSError as error:
        if required:
            raise StateUnwritable(f"progress cannot be saved: {_fix_for(root, error)}") from None
        yield False
        return
    with lock:
        try:
            import fcntl

            fcntl.flock(lock.fileno(), fcntl.LOCK_EX)
        except ImportError:  # pragma: no cover - Windows: best effort without a lock
            pass
        yield True


def _read(root: Path) -> str | None:
    """The file's text; None when there is none. OSError when it cannot be read."""
    try:
        return state_path(root).read_text(encoding="utf-8", errors="surrogateescape")
    except FileNotFoundError:
        return None


def _parse(raw: str) -> tuple[Progress, str | None]:
    """(progress, pending rebuild) from the file's text; StateFormatError/ValueError if damaged."""
    data = json.loads(raw)
    _check_version(data)
    progress = progress_from_json(data)
    return progress, data.get(REBUILD_KEY) or None


def _loaded(root: Path, manifest: Manifest, progress: Progress, rebuild: str | None) -> LoadedState:
    progress, unknown = restrict_to(manifest, progress)
    notices = []
    if rebuild:
        notices.append(
            f"your progress file was damaged earlier (kept as {STATE_DIR}/{rebuild}); "
            "progress is being rebuilt by re-checking your exercises"
        )
    if unknown:
        notices.append(f"progress mentions exercises this course no longer has ({', '.join(unknown)}); ignoring them")
    return LoadedState(progress, notice="; ".join(notices) or None, damaged=bool(rebuild), kept=rebuild)


def _load(root: Path, manifest: Manifest, *, locked: bool) -> LoadedState:
    path = state_path(root)
    try:
        raw = _read(root)
    except OSError as error:
        return LoadedState(Progress(), notice=f"your progress could not be read and will not be saved: {_fix_for(root, error)}")
    if raw is None:
        return LoadedState(Progress())
    try:
        progress, rebuild = _parse(raw)
    except (ValueError, StateFormatError) as error:
        reason = error
    else:
        return _loaded(root, manifest, progress, rebuild)
    if not locked:
        # Handle the damage once, under the lock: another arena may be doing the same right now.
        with _locked(root, required=False) as have_lock:
            return _load(root, manifest, locked=True) if have_lock else _damaged(root, manifest, path, raw, reason)
    return _damaged(root, manifest, path, raw, reason)


def _damaged(root: Path, manifest: Manifest, path: Path, raw: str, reason: Exception) -> LoadedState:
    salvaged, _ = restrict_to(manifest, salvage(raw))
    try:
        kept = _keep_damaged(path)
    except FileNotFoundError:  # another arena moved it aside a moment ago
        return _load(root, manifest, locked=True)
    except OSError as error:
        return LoadedState(
            salvaged,
            notice=f"your progress file is damaged ({reason}) and cannot be repaired here: {_fix_for(root, error)}",
            damaged=True,
        )
    try:
        save_state(root, salvaged, rebuild=kept.name)
    except StateUnwritable:
        pass  # the kept copy is safe; the notice below still says what happened
    return LoadedState(
        salvaged,
        notice=(
            f"your progress file was damaged ({reason}); it is kept as {_shown(root, kept)}. "
            "Progress is rebuilt by re-checking your exercises (hint levels were kept where readable)."
        ),
        damaged=True,
        kept=kept.name,
        found_now=True,
    )


def load_state(root: Path, manifest: Manifest) -> LoadedState:
    """The learner's progress. Raises StateTooNew for a newer format; never raises for damage."""
    return _load(root, manifest, locked=False)


def save_state(root: Path, progress: Progress, *, rebuild: str | None = None) -> None:
    path = state_path(root)
    temp: str | None = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temp = tempfile.mkstemp(prefix=".state-", suffix=".tmp", dir=path.parent)
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            json.dump(progress_to_json(progress, rebuild=rebuild), out, indent=2)
            out.write("\n")
            out.flush()
            os.fsync(out.fileno())
        os.replace(temp, path)
    except OSError as error:
        if temp is not None:
            with contextlib.suppress(OSError):
                os.unlink(temp)
        raise StateUnwritable(f"progress cannot be saved: {_fix_for(root, error)}") from error
    except BaseException:
        if temp is not None:
            with contextlib.suppress(OSError):
                os.unlink(temp)
        raise


def update_state_noting(
    root: Path, manifest: Manifest, change: Callable[[Progress], Progress], *, known: Progress | None = None
) -> tuple[Progress, str | None]:
    """Load the latest progress, apply `change`, save it; return the new progress and a notice.

    `known` is the progress the caller holds in memory: if the file turns out to be damaged, it
    is rewritten from `known` (nothing to rebuild) instead of from what could be salvaged."""
    with _locked(root):
        loaded = _load(root, manifest, locked=True)
        rebuild = loaded.kept if loaded.damaged else None
        base, notice = loaded.progress, loaded.notice
        if loaded.found_now and known is not None:
            base, rebuild = known, None
            notice = (
                f"your progress file was damaged; it is kept as {STATE_DIR}/{loaded.kept} and was rewritten "
                "from the progress this arena had in memory (nothing lost)"
            )
        elif not loaded.damaged:
            notice = None  # an old notice (unknown names) was already told at start
        progress = change(base)
        save_state(root, progress, rebuild=rebuild)
        return progress, notice


def update_state(root: Path, manifest: Manifest, change: Callable[[Progress], Progress], *, known: Progress | None = None) -> Progress:
    """Load the latest progress, apply `change`, save it; return the new progress."""
    return update_state_noting(root, manifest, change, known=known)[0]


def finish_rebuild(root: Path, manifest: Manifest, done: frozenset[str]) -> Progress:
    """A rebuild by re-checking finished: `done` is what passes; the rebuild record is cleared."""
    with _locked(root):
        loaded = _load(root, manifest, locked=True)
        progress = Progress(done=frozenset(done), current=loaded.progress.current, hints=dict(loaded.progress.hints))
        save_state(root, progress)
        return progress


def ensure_gitignored(root: Path) -> None:
    """Keep `.arena/` out of the learner's commits even in a fork without our .gitignore."""
    folder = root / STATE_DIR
    with contextlib.suppress(OSError):  # an unusable state folder is reported where progress is saved
        folder.mkdir(parents=True, exist_ok=True)
        ignore = folder / ".gitignore"
        if not ignore.exists():
            ignore.write_text("*\n", encoding="utf-8")
