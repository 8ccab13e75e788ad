"""The learner's exercise files: pristine stubs, modification checks, reset with a backup."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

from arena_cli.manifest import Exercise
from arena_cli.stubs import make_stub
from arena_cli.workspace import STATE_DIR

BACKUP_DIR = "backups"


def pristine_stub(root: Path, exercise: Exercise) -> str:
    """The exercise file as the course ships it, generated from the solution."""
    solution = root / exercise.solution_path
    return make_stub(solution.read_text(encoding="utf-8"), source=str(exercise.solution_path)).text


def is_modified(root: Path, exercise: Exercise) -> bool:
    """True when the learner's file exists and differs from the pristine stub."""
    path = root / exercise.path
    if not path.exists():
        return False
    return path.read_text(encoding="utf-8") != pristine_stub(root, exercise)


def backup(root: Path, exercise: Exercise) -> Path | None:
    """Copy the learner's file to `.arena/backups/<name>-<time>.py`; None if there is no file."""
    source = root / exercise.path
    if not source.exists():
        return None
    folder = root / STATE_DIR / BACKUP_DIR
    folder.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    target = folder / f"{exercise.name}-{stamp}.py"
    counter = 1
    while target.exists():
        target = folder / f"{exercise.name}-{stamp}-{counter}.py"
        counter += 1
    shutil.copy2(source, target)
    return target


def reset(root: Path, exercise: Exercise) -> Path | None:
    """Back the learner's file up, then restore the pristine stub. Returns the backup path."""
    saved = backup(root, exercise)
    target = root / exercise.path
    target.parent.mkdir(parents=True, exist_ok=True)
    temp = target.with_name(f".{target.name}.arena-tmp")
    temp.write_text(pristine_stub(root, exercise), encoding="utf-8")
    temp.replace(target)
    return saved
