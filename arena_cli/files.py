"""The learner's exercise files: pristine stubs, modification checks, reset with a backup.

Nothing here opens an exercise path before looking at what it is (`os.stat`): a folder, a FIFO
or an unreadable file where the exercise should be gets a message, never a hang or a traceback.
"""

from __future__ import annotations

import os
import shutil
import stat
import time
from pathlib import Path

from arena_cli.errors import ArenaError
from arena_cli.manifest import Exercise
from arena_cli.stubs import make_stub
from arena_cli.workspace import STATE_DIR

BACKUP_DIR = "backups"


def pristine_stub(root: Path, exercise: Exercise) -> str:
    """The exercise file as the course ships it, generated from the solution."""
    solution = root / exercise.solution_path
    return make_stub(solution.read_text(encoding="utf-8"), source=str(exercise.solution_path)).text


def file_problem(root: Path, exercise: Exercise) -> str | None:
    """Why the learner's file cannot be checked (None when it is a readable regular file)."""
    path = root / exercise.path
    shown = exercise.path.as_posix()
    try:
        info = path.stat()
    except FileNotFoundError:
        return f"{shown} does not exist; `arena reset {exercise.name}` restores the original"
    except OSError as error:
        return f"{shown} cannot be looked at ({error.strerror}); check the folders above it"
    if stat.S_ISDIR(info.st_mode):
        return (
            f"{shown} is a folder, not a file; `arena reset {exercise.name} --yes` moves the folder into "
            f"{STATE_DIR}/{BACKUP_DIR}/ and restores the original file"
        )
    if not stat.S_ISREG(info.st_mode):
        kind = "a named pipe (FIFO)" if stat.S_ISFIFO(info.st_mode) else "not a regular file"
        return f"{shown} is {kind}; remove it (`rm {shown}`), then `arena reset {exercise.name}`"
    if not os.access(path, os.R_OK):
        return f"{shown} cannot be read (permission denied); give it back with `chmod u+rw {shown}`"
    return None


def is_modified(root: Path, exercise: Exercise) -> bool:
    """True when the learner's file is a readable file that differs from the pristine stub.

    Compared as bytes, so a byte that is not UTF-8 (a pasted comment) counts as a change."""
    if file_problem(root, exercise) is not None:
        return False
    try:
        return (root / exercise.path).read_bytes() != pristine_stub(root, exercise).encode("utf-8")
    except OSError:
        return False


def _backup_target(root: Path, exercise: Exercise, suffix: str) -> Path:
    folder = root / STATE_DIR / BACKUP_DIR
    folder.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    target = folder / f"{exercise.name}-{stamp}{suffix}"
    counter = 1
    while target.exists():
        target = folder / f"{exercise.name}-{stamp}-{counter}{suffix}"
        counter += 1
    return target


def backup(root: Path, exercise: Exercise) -> Path | None:
    """Keep the learner's file as `.arena/backups/<name>-<time>.py` (a folder in its place is
    moved there whole); None if there is nothing there. Raises ArenaError when it cannot."""
    source = root / exercise.path
    shown = exercise.path.as_posix()
    try:
        info = os.lstat(source)
    except FileNotFoundError:
        return None
    except OSError as error:
        raise ArenaError(f"{shown} cannot be looked at ({error.strerror}); nothing was reset") from None
    try:
        if stat.S_ISDIR(info.st_mode):
            target = _backup_target(root, exercise, "")
            shutil.move(str(source), str(target))
            return target
        if not stat.S_ISREG(info.st_mode) and not stat.S_ISLNK(info.st_mode):
            source.unlink()  # a named pipe or a device holds no work of the learner's
            return None
        target = _backup_target(root, exercise, ".py")
        shutil.copy2(source, target)
        return target
    except PermissionError:
        raise ArenaError(
            f"{shown} cannot be read (permission denied), so it cannot be backed up; "
            f"`chmod u+rw {shown}` and reset again (nothing was changed)"
        ) from None
    except OSError as error:
        raise ArenaError(f"{shown} could not be backed up ({error.strerror}); nothing was changed") from None


def reset(root: Path, exercise: Exercise) -> Path | None:
    """Back the learner's file up, then restore the pristine stub. Returns the backup path."""
    saved = backup(root, exercise)
    target = root / exercise.path
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        temp = target.with_name(f".{target.name}.arena-tmp")
        temp.write_text(pristine_stub(root, exercise), encoding="utf-8")
        temp.replace(target)
    except OSError as error:
        kept = f"; your version is kept as {saved}" if saved else ""
        raise ArenaError(f"{exercise.path.as_posix()} could not be restored ({error.strerror}){kept}") from None
    return saved
