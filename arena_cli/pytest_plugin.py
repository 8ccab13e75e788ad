"""A small pytest plugin that records what the runner needs, as data, not text.

For every test: its name, passed / failed / error, a short learner-facing message, the
`path:line` in the learner's file where it went wrong (or the check's line for a wrong answer),
its duration and what the learner's code printed. Collection errors (a syntax error or an
exception while importing the exercise) are recorded with the learner's line too. The report is
written as JSON to the path given to `ArenaReport`.
"""

from __future__ import annotations

import errno
import json
import traceback
from pathlib import Path
from types import TracebackType
from typing import Any

import pytest

from arena_cli import testing

MAX_MESSAGE_LINES = 25
MAX_OUTPUT_CHARS = 2000


def _trim_output(text: str) -> str:
    if len(text) <= MAX_OUTPUT_CHARS:
        return text
    return "...(earlier output cut)...\n" + text[-MAX_OUTPUT_CHARS:]


def _short(text: str) -> str:
    # pytest's introspection lines about objects ("+  where <function f at 0x...> = ex.f") only
    # distract a learner; the values themselves stay.
    lines = [line for line in text.strip().splitlines() if not (line.lstrip().startswith("+") and (" = <" in line or " at 0x" in line))]
    if len(lines) > MAX_MESSAGE_LINES:
        lines = lines[:MAX_MESSAGE_LINES] + [f"... ({len(lines) - MAX_MESSAGE_LINES} more lines)"]
    return "\n".join(lines)


def describe_exception(error: BaseException) -> str:
    """One learner-facing message for an exception raised by a check or the learner's code."""
    if isinstance(error, NotImplementedError):
        return f"not written yet: {error}" if str(error) else "not written yet"
    if isinstance(error, OSError) and error.errno == errno.EFBIG:
        return "your code printed far too much output, so the run was cut; remove the print in the loop"
    if isinstance(error, MemoryError) or (
        isinstance(error, RuntimeError) and "can't allocate memory" in str(error)
    ):
        return f"ran out of memory: {str(error).splitlines()[0] if str(error) else 'MemoryError'} (the run's memory limit stops huge allocations)"
    if isinstance(error, SystemExit):
        return f"your code called sys.exit({error.code!r}); return a value instead"
    if isinstance(error, EOFError) or (isinstance(error, OSError) and "reading from stdin" in str(error)):
        return "your code asked for input (input()), but checks run without a keyboard; remove the input() call"
    if isinstance(error, AssertionError):
        return _short(str(error)) or "assertion failed"
    if isinstance(error, SyntaxError):
        return f"{type(error).__name__}: {error.msg}"
    return _short(f"{type(error).__name__}: {error}")


class Locator:
    """Finds where an error points to: the learner's file first, the check file second."""

    def __init__(self, workspace: Path, exercise_file: Path, test_file: Path) -> None:
        self.workspace = workspace
        self.exercise_file = exercise_file.resolve()
        self.test_file = test_file.resolve()

    def display(self, path: Path) -> str:
        try:
            return str(path.relative_to(self.workspace))
        except ValueError:
            return str(path)

    def _loc(self, path: Path, line: int) -> dict[str, Any]:
        return {"path": self.display(path), "line": int(line)}

    def for_exception(self, error: BaseException, tb: TracebackType | None) -> dict[str, Any] | None:
        if isinstance(error, SyntaxError) and error.filename and error.lineno:
            if Path(error.filename).resolve() == self.exercise_file:
                return self._loc(self.exercise_file, error.lineno)
        frames = traceback.extract_tb(tb) if tb is not None else []
        for wanted in (self.exercise_file, self.test_file):
            for frame in reversed(frames):
                if frame.filename and Path(frame.filename).resolve() == wanted and frame.lineno:
                    return self._loc(wanted, frame.lineno)
        return None


class ArenaReport:
    """The plugin object: pass an instance to `pytest.main(plugins=[...])`."""

    def __init__(self, report_path: Path, locator: Locator) -> None:
        self.report_path = report_path
        self.locator = locator
        self.tests: dict[str, dict[str, Any]] = {}
        self.collection_errors: list[dict[str, Any]] = []

    def _entry(self, item_or_report: Any) -> dict[str, Any]:
        nodeid = item_or_report.nodeid
        name = nodeid.split("::", 1)[-1]
        return self.tests.setdefault(
            nodeid,
            {"name": name, "outcome": "passed", "message": "", "location": None, "duration": 0.0, "output": ""},
        )

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo[None]):  # type: ignore[no-untyped-def]
        outcome = yield
        report = outcome.get_result()
        entry = self._entry(item)
        entry["duration"] += report.duration
        if report.failed and call.excinfo is not None and not entry["message"]:
            error = call.excinfo.value
            entry["outcome"] = "failed" if call.when == "call" else "error"
            entry["message"] = describe_exception(error)
            entry["not_implemented"] = isinstance(error, NotImplementedError)
            entry["location"] = self.locator.for_exception(error, call.excinfo.tb)
        if call.when == "call" and report.failed:
            entry["output"] = _trim_output((report.capstdout or "") + (report.capstderr or ""))

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if not report.failed:
            return
        failure = testing.load_failures[-1] if testing.load_failures else None
        if failure is not None:
            _, error = failure
            message = describe_exception(error)
            location = self.locator.for_exception(error, error.__traceback__)
        else:
            message = _short(str(report.longrepr))
            location = None
        self.collection_errors.append({"message": message, "location": location})

    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        data = {
            "tests": list(self.tests.values()),
            "collection_errors": self.collection_errors,
            "exitstatus": int(exitstatus),
            "figures": testing.figures,
        }
        self.report_path.write_text(json.dumps(data), encoding="utf-8")
