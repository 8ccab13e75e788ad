"""Course updates that never lose work, and `arena reset --all`.

A learner who pulls a new version of the course (exercises added, removed, renamed, moved to
another section, sections reordered) keeps every done mark that still applies:

- done marks and hint levels are keyed by exercise name, so reordering and moving change nothing;
- a renamed exercise declares its earlier names (`renamed_from = ["old"]` in `exercises.toml`):
  the old name's done mark, hint level and "current" follow it;
- a done mark of an exercise the course no longer has is put aside in `.arena/course.json`
  (never dropped), and comes back if an exercise of that name returns;
- the names the learner's workspace last saw are kept in `.arena/course.json`, so the first
  command after an update says which exercises are new (and which were renamed or removed).

Nothing here writes an exercise file: a learner's file that is now at a path the course no
longer uses is left where it is, and the notice says how to move it. A progress file of a newer
format is left to `arena_cli.state` (reported, kept, never overwritten); a damaged one as well.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import stat
import tempfile
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

from arena_cli.manifest import Exercise, Manifest
from arena_cli.progress import Progress
from arena_cli.workspace import STATE_DIR

COURSE_FILE = "course.json"
COURSE_FILE_VERSION = 1
MAX_NAMES_TOLD = 8


@dataclass(frozen=True)
class Snapshot:
    """What `.arena/course.json` holds: the course the workspace last saw, and what was put aside."""

    sections: dict[str, str] = field(default_factory=dict)  # exercise name -> section id
    retired_done: frozenset[str] = frozenset()
    retired_hints: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Changes:
    new: tuple[str, ...] = ()
    renamed: tuple[tuple[str, str], ...] = ()  # (old, new)
    removed: tuple[str, ...] = ()  # names that had a done mark, now put aside
    restored: tuple[str, ...] = ()  # put-aside done marks that apply again
    misplaced: tuple[tuple[str, str], ...] = ()  # (where the learner's file is, where the course wants it)

    def notice(self) -> str | None:
        parts = []
        if self.new:
            parts.append(f"new in this version of the course: {_names(self.new)}")
        if self.renamed:
            parts.append("renamed (your progress follows): " + ", ".join(f"{old} -> {new}" for old, new in self.renamed))
        if self.removed:
            parts.append(
                f"no longer in the course: {_names(self.removed)} (your done marks are kept aside in "
                f"{STATE_DIR}/{COURSE_FILE} in case they return)"
            )
        if self.restored:
            parts.append(f"back in the course, done again: {_names(self.restored)}")
        for old, new in self.misplaced:
            parts.append(f"your file {old} now belongs at {new}: `mv {old} {new}` (arena never moves it for you)")
        return "; ".join(parts) or None


def _names(names: tuple[str, ...]) -> str:
    shown = ", ".join(names[:MAX_NAMES_TOLD])
    return shown + (f" and {len(names) - MAX_NAMES_TOLD} more" if len(names) > MAX_NAMES_TOLD else "")


def course_path(root: Path) -> Path:
    return root / STATE_DIR / COURSE_FILE


def read_snapshot(root: Path) -> Snapshot | None:
    """None when there is none, or it cannot be read (then it is simply written again)."""
    try:
        data = json.loads(course_path(root).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("version") != COURSE_FILE_VERSION:
        return None
    sections = data.get("exercises")
    retired = data.get("retired") if isinstance(data.get("retired"), dict) else {}
    done = retired.get("done", [])
    hints = retired.get("hints", {})
    if not isinstance(sections, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in sections.items()):
        return None
    return Snapshot(
        sections=dict(sections),
        retired_done=frozenset(n for n in done if isinstance(n, str)) if isinstance(done, list) else frozenset(),
        retired_hints={k: v for k, v in hints.items() if isinstance(k, str) and isinstance(v, int)} if isinstance(hints, dict) else {},
    )


def write_snapshot(root: Path, snapshot: Snapshot) -> None:
    """Atomically (temp file + rename); an unwritable folder is ignored (state.py reports it)."""
    path = course_path(root)
    data = {
        "version": COURSE_FILE_VERSION,
        "exercises": snapshot.sections,
        "retired": {"done": sorted(snapshot.retired_done), "hints": dict(sorted(snapshot.retired_hints.items()))},
    }
    temp = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temp = tempfile.mkstemp(prefix=".course-", suffix=".tmp", dir=path.parent)
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            json.dump(data, out, indent=2)
            out.write("\n")
        os.replace(temp, path)
    except OSError:
        if temp is not None:
            with contextlib.suppress(OSError):
                os.unlink(temp)


def migrate(manifest: Manifest, progress: Progress, snapshot: Snapshot | None) -> tuple[Progress, Snapshot, Changes]:
    """Pure: carry progress over to this manifest. Returns the new progress, the snapshot to keep
    and what changed (for the notice)."""
    known = set(manifest.names)
    done, hints, current = set(progress.done), dict(progress.hints), progress.current
    retired_done = set(snapshot.retired_done) if snapshot else set()
    retired_hints = dict(snapshot.retired_hints) if snapshot else {}
    renamed: list[tuple[str, str]] = []
    for exercise in manifest.exercises:
        for old in exercise.renamed_from:
            carried = False
            if old in done or old in retired_done:
                done.discard(old)
                retired_done.discard(old)
                done.add(exercise.name)
                carried = True
            for source in (hints, retired_hints):
                if old in source:
                    hints[exercise.name] = max(hints.get(exercise.name, 0), source.pop(old))
                    carried = True
            if current == old:
                current, carried = exercise.name, True
            if carried or (snapshot and old in snapshot.sections and exercise.name not in snapshot.sections):
                renamed.append((old, exercise.name))
    removed = tuple(sorted(n for n in done if n not in known))
    retired_done |= set(removed)
    done -= set(removed)
    for name in [n for n in hints if n not in known]:
        retired_hints[name] = hints.pop(name)
    restored = tuple(n for n in manifest.names if n in retired_done)
    done |= set(restored)
    retired_done -= set(restored)
    for name in [n for n in retired_hints if n in known]:
        hints.setdefault(name, retired_hints.pop(name))
    if current is not None and current not in known:
        current = None
    renamed_targets = {new for _, new in renamed}
    new = (
        tuple(n for n in manifest.names if n not in snapshot.sections and n not in renamed_targets and n not in restored)
        if snapshot
        else ()
    )
    migrated = Progress(done=frozenset(done), current=current, hints=hints)
    kept = Snapshot({e.name: e.section for e in manifest.exercises}, frozenset(retired_done), retired_hints)
    return migrated, kept, Changes(new=new, renamed=tuple(renamed), removed=removed, restored=restored)


def _misplaced(root: Path, manifest: Manifest, snapshot: Snapshot | None) -> tuple[tuple[str, str], ...]:
    """Learner files left at a path the course no longer uses (a move or a rename), while the
    course's new path has no file: the notice says how to move them; nothing is moved."""
    if snapshot is None:
        return ()
    found = []
    for exercise in manifest.exercises:
        if (root / exercise.path).exists():
            continue
        for old in (exercise.name, *exercise.renamed_from):
            section = snapshot.sections.get(old)
            if section is None:
                continue
            old_path = Path("exercises") / section / f"{old}.py"
            if old_path != exercise.path and (root / old_path).is_file():
                found.append((old_path.as_posix(), exercise.path.as_posix()))
                break
    return tuple(found)


def reconcile(root: Path, manifest: Manifest) -> str | None:
    """Bring the learner's progress file over to this version of the course; return what to tell.

    Run before the progress is loaded. A missing progress file only records the course; a damaged
    one or one of a newer format is left alone (arena_cli.state reports and keeps it)."""
    from arena_cli.state import STATE_VERSION, StateUnwritable, _locked, _read, progress_from_json, save_state

    snapshot = read_snapshot(root)
    sections = {e.name: e.section for e in manifest.exercises}
    if snapshot is not None and snapshot.sections == sections:
        return None  # the course did not change since the last command: nothing to read or write
    try:
        with _locked(root, required=False) as have_lock:
            if not have_lock:
                return None
            try:
                raw = _read(root)
            except OSError:
                return None
            progress = Progress()
            rebuild = None
            if raw is not None:
                try:
                    data = json.loads(raw)
                except ValueError:
                    return None
                if not isinstance(data, dict) or data.get("version") != STATE_VERSION:
                    return None  # newer (refused, kept) or unknown: never rewritten here
                try:
                    progress = progress_from_json(data)
                except ValueError:
                    return None
                rebuild = data.get("rebuild") or None
            migrated, kept, changes = migrate(manifest, progress, snapshot)
            changes = replace(changes, misplaced=_misplaced(root, manifest, snapshot))
            if raw is not None and migrated != progress:
                try:
                    save_state(root, migrated, rebuild=rebuild)
                except StateUnwritable:
                    return None  # reported where progress is saved
            if kept != snapshot:
                write_snapshot(root, kept)
            return changes.notice()
    except StateUnwritable:
        return None


# ----- arena reset --all ---------------------------------------------------------------------


@dataclass(frozen=True)
class ResetAll:
    backup: Path | None  # the one folder holding everything replaced (None: nothing was replaced)
    saved: tuple[str, ...]  # the exercise files kept there
    restored: int


def reset_all(root: Path, manifest: Manifest) -> ResetAll:
    """Restore every exercise file to the original. Every file that differs from it (and anything
    odd in an exercise's place: a folder, a link) goes first into one folder,
    `.arena/backups/all-<time>/`, under its path; untouched files are left as they are."""
    from arena_cli.errors import ArenaError
    from arena_cli.files import BACKUP_DIR, pristine_stub

    stubs: dict[str, str] = {e.name: pristine_stub(root, e) for e in manifest.exercises}
    stamp = time.strftime("%Y%m%d-%H%M%S")
    folder = root / STATE_DIR / BACKUP_DIR / f"all-{stamp}"
    counter = 1
    while folder.exists():
        folder = root / STATE_DIR / BACKUP_DIR / f"all-{stamp}-{counter}"
        counter += 1
    saved: list[str] = []
    to_restore: list[Exercise] = []
    for exercise in manifest.exercises:
        source = root / exercise.path
        try:
            info = os.lstat(source)
        except FileNotFoundError:
            to_restore.append(exercise)
            continue
        except OSError as error:
            raise ArenaError(f"{exercise.path.as_posix()} cannot be looked at ({error.strerror}); nothing was reset") from None
        if stat.S_ISREG(info.st_mode):
            try:
                if source.read_bytes() == stubs[exercise.name].encode("utf-8"):
                    continue  # untouched: nothing to replace
            except OSError as error:
                raise ArenaError(
                    f"{exercise.path.as_posix()} cannot be read ({error.strerror}), so it cannot be backed up; nothing was reset"
                ) from None
        target = folder / exercise.path
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            if stat.S_ISREG(info.st_mode):
                shutil.copy2(source, target)
            elif stat.S_ISDIR(info.st_mode) or stat.S_ISLNK(info.st_mode):
                shutil.move(str(source), str(target))
            else:
                source.unlink()  # a named pipe or a device holds no work
                to_restore.append(exercise)
                continue
        except OSError as error:
            raise ArenaError(
                f"{exercise.path.as_posix()} could not be backed up ({error.strerror}); files backed up so far are in "
                f"{folder.relative_to(root)}, no file was replaced"
            ) from None
        saved.append(exercise.path.as_posix())
        to_restore.append(exercise)
    for exercise in to_restore:  # only after every backup is safe
        target = root / exercise.path
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            temp = target.with_name(f".{target.name}.arena-tmp")
            temp.write_text(stubs[exercise.name], encoding="utf-8")
            temp.replace(target)
        except OSError as error:
            raise ArenaError(
                f"{exercise.path.as_posix()} could not be restored ({error.strerror}); every replaced file is kept in "
                f"{folder.relative_to(root)}"
            ) from None
    return ResetAll(folder if saved else None, tuple(saved), len(to_restore))
