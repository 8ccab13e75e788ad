"""`arena dev times`: how long each exercise's checks take in the warm runner, on its solution.

The budget is 2 s from a save to the verdict. Each solution is run `repeat` times through one
warm worker (waited for until its whole preload list is imported) and the fastest run is kept
(the machine is shared and noisy; the fastest run is the one least disturbed by others), as
wall time from the request to the verdict (what a learner waits, less the file watcher's
debounce) and as the time pytest reports for the checks.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from rich.console import RenderableType
from rich.table import Table
from rich.text import Text

from arena_cli.manifest import Manifest

BUDGET_SECONDS = 2.0


@dataclass(frozen=True)
class CheckTime:
    exercise: str
    section: str
    status: str
    wall: float  # seconds, request to verdict, fastest run
    checks: float  # seconds pytest measured for the tests, same run


def measure(root: Path, manifest: Manifest, *, section: str | None = None, repeat: int = 2) -> list[CheckTime]:
    from arena_cli.runner import make_runner

    runner = make_runner(root)
    # Measure the worker a learner has after a few seconds: its preload list imported. Runs sent
    # back to back never leave it idle, so without this wait every check would pay the imports
    # its file does not name (a lazily imported TransformerLens bridge costs ~3 s).
    wait_warm = getattr(runner, "wait_warm", None)
    if wait_warm is not None:
        wait_warm(120)
    times = []
    try:
        for exercise in manifest.exercises:
            if section is not None and exercise.section != section:
                continue
            runs = [runner.run(exercise, exercise_root=root / "solutions") for _ in range(max(1, repeat))]
            best = min(runs, key=lambda r: r.wall_time)
            times.append(CheckTime(exercise.name, exercise.section, best.status.value, best.wall_time, best.test_time))
    finally:
        runner.close()
    return times


def times_view(times: list[CheckTime]) -> RenderableType:
    table = Table(box=None, pad_edge=False)
    for column, justify in (("exercise", "left"), ("status", "left"), ("save to verdict", "right"), ("checks", "right")):
        table.add_column(column, justify=justify)
    for t in times:
        over = t.wall > BUDGET_SECONDS
        table.add_row(f"{t.section}/{t.exercise}", t.status, Text(f"{t.wall:.2f} s", style="red bold" if over else ""), f"{t.checks:.2f} s")
    return table
