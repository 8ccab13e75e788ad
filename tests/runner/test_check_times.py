"""`arena dev times` (arena_cli/check_times.py): it waits for a warm worker before it measures,
keeps the fastest of the repeated runs, and marks what is over the 2 s budget."""

from __future__ import annotations

from io import StringIO
from pathlib import Path

from rich.console import Console

from arena_cli import check_times
from arena_cli.manifest import load_manifest
from arena_cli.results import RunResult, Status

FIXTURE = Path(__file__).parent / "fixture_course"


class FakeRunner:
    """Records the order of calls; each run of an exercise takes the next of its wall times."""

    def __init__(self, walls: dict[str, list[float]]):
        self.walls = {name: list(times) for name, times in walls.items()}
        self.calls: list[str] = []

    def wait_warm(self, timeout):
        self.calls.append("wait_warm")
        return True

    def run(self, exercise, exercise_root):
        self.calls.append(f"run {exercise.name}")
        assert exercise_root == FIXTURE / "solutions"
        return RunResult(exercise.name, Status.PASSED, wall_time=self.walls[exercise.name].pop(0))

    def close(self):
        self.calls.append("close")


def test_measure_waits_for_the_warm_worker_and_keeps_the_fastest_run(monkeypatch):
    import arena_cli.runner

    manifest = load_manifest(FIXTURE)
    basics = [e.name for e in manifest.exercises if e.section == "basics"]
    fake = FakeRunner({name: [3.0 + i, 0.5 + i, 1.0 + i] for i, name in enumerate(basics)})
    monkeypatch.setattr(arena_cli.runner, "make_runner", lambda root: fake)
    times = check_times.measure(FIXTURE, manifest, section="basics", repeat=3)
    assert fake.calls[0] == "wait_warm" and fake.calls[-1] == "close"
    assert fake.calls[1:-1] == [f"run {name}" for name in basics for _ in range(3)]
    assert [(t.exercise, t.wall) for t in times] == [(name, 0.5 + i) for i, name in enumerate(basics)]


def test_view_marks_checks_over_the_budget():
    times = [check_times.CheckTime("fast", "s", "passed", 0.4, 0.3), check_times.CheckTime("slow", "s", "passed", 2.5, 2.4)]
    console = Console(file=StringIO(), width=100, force_terminal=True, color_system="truecolor")
    console.print(check_times.times_view(times))
    out = console.file.getvalue()
    slow_line = next(line for line in out.splitlines() if "s/slow" in line)
    fast_line = next(line for line in out.splitlines() if "s/fast" in line)
    assert "2.50 s" in slow_line and "\x1b[1;31m" in slow_line  # bold red: over 2 s
    assert "0.40 s" in fast_line and "\x1b[1;31m" not in fast_line
