"""The value a run of an exercise's checks produces, built from the plugin's JSON report (pure).

An exercise passes only when pytest exited 0 *and* every collected check ran its call phase and
passed: a skip, an xfail, an interruption, an internal error or a check with no recorded outcome
is a failure whose message says what happened. Text that came from the learner's code (output,
exception messages) is made safe to print here: terminal control sequences are shown escaped,
and output is cut to a few short lines so the verdict stays on screen.
"""

from __future__ import annotations

import re
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


# Every control character except newline and tab (ESC, carriage return, bell, backspace, DEL...):
# shown as a visible escape so learner output can neither clear the screen nor hide the verdict.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
OUTPUT_MAX_LINES = 6  # with the verdict, the failure and the footer: fits a 24-row terminal
OUTPUT_MAX_LINE_CHARS = 100


def printable(text: str) -> str:
    """`text` with terminal control characters escaped (`\\x1b[2J` is shown, not obeyed)."""
    return _CONTROL.sub(lambda m: repr(m.group())[1:-1], text) if text else text


def clip_output(text: str, *, max_lines: int = OUTPUT_MAX_LINES, width: int = OUTPUT_MAX_LINE_CHARS) -> str:
    """The last `max_lines` lines of learner output, each at most `width` characters, escaped."""
    if not text:
        return text
    lines = printable(text).rstrip("\n").split("\n")
    cut = len(lines) > max_lines
    lines = lines[-max_lines:]
    shown = [line if len(line) <= width else f"{line[:width]}... ({len(line) - width} more characters)" for line in lines]
    return ("...(earlier output cut)...\n" if cut else "") + "\n".join(shown)


# pytest's exit statuses (pytest.ExitCode), for a run that did not exit 0.
EXIT_STATUS_TEXT = {
    1: "some checks failed",
    2: "the run was interrupted",
    3: "pytest stopped with an internal error",
    4: "pytest was called wrongly",
    5: "no checks were collected",
}


def _location(raw: Any) -> Location | None:
    if isinstance(raw, dict) and isinstance(raw.get("path"), str) and isinstance(raw.get("line"), int):
        return Location(raw["path"], raw["line"])
    return None


def from_report(exercise: str, report: dict[str, Any], *, wall_time: float, backend: str) -> RunResult:
    """Turn the plugin's report into a result. A collection error makes the exercise BROKEN."""
    raw_tests = report.get("tests")
    raw_errors = report.get("collection_errors")
    tests = tuple(_test(t) for t in (raw_tests if isinstance(raw_tests, list) else []) if isinstance(t, dict))
    errors = [e for e in (raw_errors if isinstance(raw_errors, list) else []) if isinstance(e, dict)]
    if errors:
        first = errors[0]
        return RunResult(
            exercise,
            Status.BROKEN,
            tests=tests,
            wall_time=wall_time,
            message=printable(str(first.get("message") or "the checks could not be collected")),
            location=_location(first.get("location")),
            backend=backend,
        )
    stopped = report.get("stopped") if isinstance(report.get("stopped"), dict) else None
    if not tests:
        message = "no checks ran (the check file defines no tests?)"
        if stopped:
            message = str(stopped.get("message") or message)
        return RunResult(
            exercise,
            Status.BROKEN,
            wall_time=wall_time,
            message=printable(message),
            location=_location(stopped.get("location")) if stopped else None,
            backend=backend,
        )
    exitstatus = report.get("exitstatus")
    if all(t.passed for t in tests) and (exitstatus != 0 or stopped):
        # Every recorded check passed but pytest did not exit 0: never "done".
        why = (stopped or {}).get("message") or EXIT_STATUS_TEXT.get(exitstatus, f"pytest exited with status {exitstatus!r}")
        note = printable(f"{why} (pytest exit status {exitstatus!r}), so the exercise is not done")
        tests = (*tests, TestOutcome("the run as a whole", Outcome.FAILED, note, location=_location((stopped or {}).get("location"))))
    status = Status.PASSED if all(t.passed for t in tests) else Status.FAILED
    raw_figures = report.get("figures")
    figures = tuple(f for f in (raw_figures if isinstance(raw_figures, list) else []) if isinstance(f, dict))
    return RunResult(exercise, status, tests=tests, wall_time=wall_time, backend=backend, figures=figures)


def _test(raw: dict[str, Any]) -> TestOutcome:
    """One check's record. Anything but an explicit "passed" (no outcome, an unknown one) fails."""
    try:
        outcome = Outcome(raw.get("outcome"))
    except ValueError:
        outcome = Outcome.FAILED
    message = str(raw.get("message") or "")
    if outcome is not Outcome.PASSED and not message:
        message = "this check recorded no result, so it cannot count as passed"
    return TestOutcome(
        name=str(raw.get("name", "?")),
        outcome=outcome,
        message=printable(message),
        location=_location(raw.get("location")),
        duration=float(raw.get("duration") or 0.0),
        output=clip_output(str(raw.get("output") or "")),
        not_implemented=bool(raw.get("not_implemented", False)),
    )
