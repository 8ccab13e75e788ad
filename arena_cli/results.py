"""The value a run of an exercise's checks produces, built from the plugin's JSON report (pure)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Any


class Outcome(str, Enum):
    PASSED = "passed"
    FAILED = "failed"
    ERROR = "error"  # the check itself could not run (setup failure)


class Status(str, Enum):
    PASSED = "passed"
    FAILED = "failed"  # some checks failed
    BROKEN = "broken"  # the exercise could not be imported (syntax error, exception at import)
    TIMEOUT = "timeout"
    CRASHED = "crashed"  # the process died: segfault, abort, os._exit, out of memory
    MISSING = "missing"  # the exercise file is not there
    CANCELLED = "cancelled"  # superseded by a newer save


@dataclass(frozen=True)
class Location:
    path: str  # relative to the workspace where possible
    line: int

    def __str__(self) -> str:
        return f"{self.path}:{self.line}"


@dataclass(frozen=True)
class TestOutcome:
    __test__ = False  # not a pytest test class, despite the name

    name: str
    outcome: Outcome
    message: str = ""
    location: Location | None = None
    duration: float = 0.0  # seconds, setup + call + teardown as pytest measured them
    output: str = ""  # what the learner's code printed during this test (trimmed)
    not_implemented: bool = False  # failed on the stub's NotImplementedError

    @property
    def passed(self) -> bool:
        return self.outcome is Outcome.PASSED


@dataclass(frozen=True)
class RunResult:
    exercise: str
    status: Status
    tests: tuple[TestOutcome, ...] = ()
    wall_time: float = 0.0  # seconds from the request to the verdict
    message: str = ""  # for BROKEN / TIMEOUT / CRASHED / MISSING
    location: Location | None = None
    output: str = ""  # output outside any test (e.g. at import), trimmed
    backend: str = ""  # "warm" or "cold"
    figures: tuple[dict[str, Any], ...] = ()  # pictures the checks asked to show (see arena_cli.viz)

    @property
    def passed(self) -> bool:
        return self.status is Status.PASSED

    @property
    def failures(self) -> tuple[TestOutcome, ...]:
        return tuple(t for t in self.tests if not t.passed)

    @property
    def test_time(self) -> float:
        """Seconds pytest reports for the checks themselves (the compute a learner asked for)."""
        return sum(t.duration for t in self.tests)

    @property
    def not_started(self) -> bool:
        """Every check fails on an untouched stub: the learner has not begun."""
        return bool(self.tests) and all(t.not_implemented for t in self.tests if not t.passed) and not any(
            t.passed for t in self.tests
        )


def _location(raw: Any) -> Location | None:
    if isinstance(raw, dict) and isinstance(raw.get("path"), str) and isinstance(raw.get("line"), int):
        return Location(raw["path"], raw["line"])
    return None


def from_report(exercise: str, report: dict[str, Any], *, wall_time: float, backend: str) -> RunResult:
    """Turn the plugin's report into a result. A collection error makes the exercise BROKEN."""
    tests = tuple(
        TestOutcome(
            name=t["name"],
            outcome=Outcome(t["outcome"]),
            message=t.get("message", ""),
            location=_location(t.get("location")),
            duration=float(t.get("duration", 0.0)),
            output=t.get("output", ""),
            not_implemented=bool(t.get("not_implemented", False)),
        )
        for t in report.get("tests", [])
    )
    errors = report.get("collection_errors", [])
    if errors:
        first = errors[0]
        return RunResult(
            exercise,
            Status.BROKEN,
            tests=tests,
            wall_time=wall_time,
            message=first.get("message", "the checks could not be collected"),
            location=_location(first.get("location")),
            backend=backend,
        )
    if not tests:
        return RunResult(
            exercise,
            Status.BROKEN,
            wall_time=wall_time,
            message="no checks ran (the check file defines no tests?)",
            backend=backend,
        )
    status = Status.PASSED if all(t.passed for t in tests) else Status.FAILED
    figures = tuple(f for f in report.get("figures", []) if isinstance(f, dict))
    return RunResult(exercise, status, tests=tests, wall_time=wall_time, backend=backend, figures=figures)
