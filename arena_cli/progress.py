"""The learner's progress as plain data, and pure functions over it (no I/O)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Mapping

from arena_cli.manifest import Exercise, Manifest


@dataclass(frozen=True)
class Progress:
    done: frozenset[str] = frozenset()
    current: str | None = None
    hints: Mapping[str, int] = field(default_factory=dict)  # name -> hint levels revealed

    def is_done(self, name: str) -> bool:
        return name in self.done

    def hint_level(self, name: str) -> int:
        return self.hints.get(name, 0)


def first_pending(manifest: Manifest, progress: Progress, *, after: str | None = None) -> Exercise | None:
    """The first exercise not done, in course order, starting after `after` and wrapping around."""
    order = list(manifest.exercises)
    if after is not None and manifest.get(after) is not None:
        start = manifest.names.index(after) + 1
        order = order[start:] + order[:start]
    return next((e for e in order if e.name not in progress.done), None)


def current_exercise(manifest: Manifest, progress: Progress) -> Exercise | None:
    """The exercise the learner is on: the chosen one if it exists, else the first pending one."""
    if progress.current is not None:
        chosen = manifest.get(progress.current)
        if chosen is not None:
            return chosen
    return first_pending(manifest, progress)


def record_result(progress: Progress, name: str, passed: bool) -> Progress:
    done = progress.done | {name} if passed else progress.done - {name}
    return replace(progress, done=frozenset(done))


def select(progress: Progress, name: str | None) -> Progress:
    return replace(progress, current=name)


def advance(manifest: Manifest, progress: Progress) -> Progress:
    """Move `current` to the next pending exercise after the current one (None when all are done)."""
    here = current_exercise(manifest, progress)
    following = first_pending(manifest, progress, after=here.name if here else None)
    return select(progress, following.name if following else None)


def reveal_hint(progress: Progress, name: str, total_levels: int) -> tuple[Progress, int]:
    """Reveal one more hint level (capped at the last one); return the new progress and level."""
    level = min(progress.hint_level(name) + 1, total_levels)
    hints = dict(progress.hints)
    hints[name] = level
    return replace(progress, hints=hints), level


@dataclass(frozen=True)
class Tally:
    done: int
    total: int

    @property
    def fraction(self) -> float:
        return self.done / self.total if self.total else 1.0


def tally(manifest: Manifest, progress: Progress, section: str | None = None) -> Tally:
    names = [e.name for e in manifest.exercises if section is None or e.section == section]
    return Tally(done=sum(name in progress.done for name in names), total=len(names))


def all_done(manifest: Manifest, progress: Progress) -> bool:
    return all(name in progress.done for name in manifest.names)


def restrict_to(manifest: Manifest, progress: Progress) -> tuple[Progress, tuple[str, ...]]:
    """Drop names the manifest does not know (renamed or removed exercises); return them too."""
    known = set(manifest.names)
    unknown = sorted((set(progress.done) | set(progress.hints) | {progress.current} - {None}) - known)
    cleaned = Progress(
        done=frozenset(progress.done & known),
        current=progress.current if progress.current in known else None,
        hints={k: v for k, v in progress.hints.items() if k in known},
    )
    return cleaned, tuple(n for n in unknown if n is not None)
