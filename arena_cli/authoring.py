"""Author tools over the files of the course: generate stubs from solutions (`arena dev sync`).

Works on the folders alone (no manifest needed), so a section can be written and synced before
its manifest entries exist; `arena dev check` then cross-checks files against the manifest.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

from arena_cli.stubs import make_stub


@dataclass(frozen=True)
class SyncChange:
    exercise: Path
    created: bool


def solution_files(root: Path) -> list[Path]:
    return sorted(p for p in (root / "solutions").glob("*/*.py") if not p.name.startswith("_"))


def expected_stub(root: Path, solution: Path) -> str:
    text = solution.read_text(encoding="utf-8")
    return make_stub(text, source=str(solution.relative_to(root))).text


def sync(root: Path, *, dry_run: bool = False) -> list[SyncChange]:
    """Write `exercises/<section>/<name>.py` for every solution whose stub differs."""
    changes: list[SyncChange] = []
    for solution in solution_files(root):
        target = root / "exercises" / solution.parent.name / solution.name
        stub = expected_stub(root, solution)
        current = target.read_text(encoding="utf-8") if target.exists() else None
        if current == stub:
            continue
        changes.append(SyncChange(exercise=target, created=current is None))
        if not dry_run:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(stub, encoding="utf-8")
    return changes


if __name__ == "__main__":  # python -m arena_cli.authoring [ROOT]
    repo = Path(sys.argv[1] if len(sys.argv) > 1 else ".").resolve()
    for change in sync(repo):
        print(("created " if change.created else "updated ") + str(change.exercise.relative_to(repo)))
