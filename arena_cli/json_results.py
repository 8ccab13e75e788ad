"""Structured results: `arena run NAME --json` and `arena verify --json` (pure, no I/O).

One JSON document per command, in the spirit of exercism's test-runner `results.json`: a
`version` field for the format, a top-level `status` of "pass" / "fail" / "error", and per
exercise its status and every check with its name, outcome, message, file, line and duration.
The format is documented in the README ("Structured results"); bump RESULTS_VERSION on any change
that removes or renames a field (adding a field keeps the version).
"""

from __future__ import annotations

from typing import Iterable

from arena_cli.manifest import Exercise
from arena_cli.results import Location, Outcome, RunResult, Status

RESULTS_VERSION = 1

_TEST_STATUS = {Outcome.PASSED: "pass", Outcome.FAILED: "fail", Outcome.ERROR: "error"}


def overall_status(result: RunResult) -> str:
    """exercism's three values: "pass", "fail" (some check failed), "error" (no check could run:
    the file is missing or broken, the run crashed or timed out)."""
    if result.status is Status.PASSED:
        return "pass"
    if result.status is Status.FAILED:
        return "fail"
    return "error"


def _where(location: Location | None) -> dict:
    return {"file": location.path if location else None, "line": location.line if location else None}


def exercise_json(exercise: Exercise, result: RunResult) -> dict:
    tests = [
        {
            "name": test.name,
            "status": _TEST_STATUS.get(test.outcome, "fail"),
            "message": test.message or None,
            **_where(test.location),
            "duration": round(test.duration, 6),
            "output": test.output or None,
            "not_implemented": test.not_implemented,
        }
        for test in result.tests
    ]
    return {
        "name": exercise.name,
        "section": exercise.section,
        "path": exercise.path.as_posix(),
        "status": overall_status(result),
        "result": result.status.value,
        "not_started": result.not_started,
        "message": result.message or None,
        **_where(result.location),
        "duration": round(result.wall_time, 6),
        "tests": tests,
    }


def results_document(pairs: Iterable[tuple[Exercise, RunResult]], *, command: str) -> dict:
    """The whole document: every exercise run, in the order given."""
    from arena_cli import __version__

    exercises = [exercise_json(exercise, result) for exercise, result in pairs]
    statuses = {entry["status"] for entry in exercises}
    status = "error" if "error" in statuses else "fail" if "fail" in statuses else "pass"
    return {
        "version": RESULTS_VERSION,
        "arena_version": __version__,
        "command": command,
        "status": status,
        "passed": sum(entry["status"] == "pass" for entry in exercises),
        "total": len(exercises),
        "exercises": exercises,
    }
