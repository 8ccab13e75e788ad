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
import os
import traceback
from pathlib import Path
from types import TracebackType
from typing import Any

import pytest

from arena_cli import testing

MAX_MESSAGE_LINES = 25
MAX_OUTPUT_CHARS = 2000
# The run's cap on any file it writes (RLIMIT_FSIZE, set by arena_cli.child); printing past it
# and writing a file past it both end in EFBIG, told apart by how much was printed.
OUTPUT_LIMIT_BYTES = 16 * 2**20


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


def safe_str(error: BaseException) -> str:
    """str(error), even when the learner's exception class breaks __str__."""
    try:
        return str(error)
    except BaseException as inner:  # noqa: BLE001 - a broken __str__ may raise anything
        return f"<its message could not be shown: {type(error).__name__}.__str__ raised {type(inner).__name__}>"


def _type_name(error: BaseException) -> str:
    try:
        return type(error).__name__
    except BaseException:  # noqa: BLE001
        return "Exception"


def _output_flood(limit_bytes: int, captured: int) -> bool:
    """Was the size limit hit by printing (a flood) rather than by writing a file?"""
    if captured >= limit_bytes // 2:
        return True
    sizes = []
    for fd in (1, 2):
        try:
            sizes.append(os.fstat(fd).st_size)
        except OSError:
            pass
    return any(size >= limit_bytes // 2 for size in sizes)


def describe_exception(error: BaseException, *, captured: int = 0) -> str:
    """One learner-facing message for an exception raised by a check or the learner's code."""
    text = safe_str(error)
    if isinstance(error, NotImplementedError):
        return f"not written yet: {text}" if text else "not written yet"
    if isinstance(error, OSError) and error.errno == errno.EFBIG:
        limit = OUTPUT_LIMIT_BYTES
        if _output_flood(limit, captured):
            return "your code printed far too much output, so the run was cut; remove the print in the loop"
        return (
            f"your code wrote a file larger than a run allows ({limit // 2**20} MB), so the write was stopped; "
            "write less (or to a smaller file)"
        )
    if isinstance(error, MemoryError) or (isinstance(error, RuntimeError) and "can't allocate memory" in text):
        return f"ran out of memory: {text.splitlines()[0] if text else 'MemoryError'} (the run's memory limit stops huge allocations)"
    if isinstance(error, SystemExit):
        return f"your code called sys.exit({error.code!r}); return a value instead"
    if isinstance(error, KeyboardInterrupt):
        return (
            "your code raised KeyboardInterrupt (or sent the checks SIGINT, e.g. os.kill(os.getpid(), signal.SIGINT)); "
            "the checks stopped there, so the exercise is not done"
        )
    if isinstance(error, pytest.exit.Exception):
        return f"your code called pytest.exit({error.msg!r}); the checks stopped there, so the exercise is not done"
    if isinstance(error, pytest.skip.Exception):
        return f"your code called pytest.skip({error.msg!r}); a skipped check is not a passed one: remove the call"
    if isinstance(error, EOFError) or (isinstance(error, OSError) and "reading from stdin" in text):
        return "your code asked for input (input()), but checks run without a keyboard; remove the input() call"
    if isinstance(error, AssertionError):
        return _short(text) or "assertion failed"
    if isinstance(error, SyntaxError):
        return f"{_type_name(error)}: {error.msg}"
    return _short(f"{_type_name(error)}: {text}")


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
        try:
            return self._for_exception(error, tb)
        except Exception:  # noqa: BLE001 - a location is a nicety; never let it break the report
            return None

    def _for_exception(self, error: BaseException, tb: TracebackType | None) -> dict[str, Any] | None:
        if isinstance(error, SyntaxError) and error.filename and error.lineno:
            if Path(error.filename).resolve() == self.exercise_file:
                return self._loc(self.exercise_file, error.lineno)
        frames = traceback.extract_tb(tb) if tb is not None else []
        for wanted in (self.exercise_file, self.test_file):
            for frame in reversed(frames):
                if frame.filename and Path(frame.filename).resolve() == wanted and frame.lineno:
                    return self._loc(wanted, frame.lineno)
        return None


def _import_message(error: BaseException) -> str:
    """What went wrong while the learner's file was imported."""
    if isinstance(error, pytest.skip.Exception):
        return f"your exercise file calls pytest.skip({error.msg!r}) when it is imported; remove that call: skipped checks are not passed ones"
    if isinstance(error, SystemExit):
        return (
            f"your exercise file calls sys.exit({error.code!r}) when it is imported, so no check could run; remove that call "
            '(put code you try out under `if __name__ == "__main__":`)'
        )
    if isinstance(error, (KeyboardInterrupt, pytest.exit.Exception)):
        return "your exercise file stops the checks when it is imported: " + describe_exception(error)
    return describe_exception(error)


class ArenaReport:
    """The plugin object: pass an instance to `pytest.main(plugins=[...])`.

    Every collected check starts with no outcome; only a call phase that passed (with setup and
    teardown not failing) makes it "passed". A check left without an outcome (the session was
    interrupted by KeyboardInterrupt or pytest.exit, or pytest hit an internal error) is a failure
    whose message says why. The plugin never raises: a failure inside it becomes a message.
    """

    def __init__(self, report_path: Path, locator: Locator) -> None:
        self.report_path = report_path
        self.locator = locator
        self.tests: dict[str, dict[str, Any]] = {}
        self.collection_errors: list[dict[str, Any]] = []
        self.running: str | None = None  # the check whose phases are running now
        self.stopped: dict[str, Any] | None = None  # why the session ended early, if it did

    def _entry(self, item_or_report: Any) -> dict[str, Any]:
        nodeid = item_or_report.nodeid
        name = nodeid.split("::", 1)[-1]
        return self.tests.setdefault(
            nodeid,
            {"name": name, "outcome": None, "message": "", "location": None, "duration": 0.0, "output": ""},
        )

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        for item in session.items:
            self._entry(item)

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_protocol(self, item: pytest.Item, nextitem: pytest.Item | None):  # type: ignore[no-untyped-def]
        self.running = item.nodeid
        outcome = yield
        if outcome.excinfo is None:  # an interruption keeps naming the check it stopped
            self.running = None

    def _fail(self, entry: dict[str, Any], outcome: str, error: BaseException | None, tb: TracebackType | None, message: str = "", captured: int = 0) -> None:
        if entry["message"]:
            return  # the first problem is the one to show
        entry["outcome"] = outcome
        entry["message"] = message or (describe_exception(error, captured=captured) if error is not None else "failed")
        entry["not_implemented"] = isinstance(error, NotImplementedError)
        entry["location"] = self.locator.for_exception(error, tb) if error is not None else None

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo[None]):  # type: ignore[no-untyped-def]
        outcome = yield
        try:
            self._record(item, call, outcome.get_result())
        except Exception as error:  # noqa: BLE001 - the plugin must never take a check away
            entry = self._entry(item)
            entry["outcome"] = "failed"
            entry["message"] = entry["message"] or f"the check's result could not be recorded ({_type_name(error)})"

    def _record(self, item: pytest.Item, call: pytest.CallInfo[None], report: pytest.TestReport) -> None:
        entry = self._entry(item)
        entry["duration"] += report.duration
        error = call.excinfo.value if call.excinfo is not None else None
        tb = call.excinfo.tb if call.excinfo is not None else None
        captured = len(report.capstdout or "") + len(report.capstderr or "")
        if hasattr(report, "wasxfail"):
            reason = str(report.wasxfail or "").removeprefix("reason: ")
            self._fail(entry, "failed", error, tb, f"your code called pytest.xfail({reason!r}); an expected failure is still a failure: remove the call")
        elif report.skipped:
            if isinstance(error, pytest.skip.Exception) and self._raised_by_learner(tb):
                message = describe_exception(error)
            else:
                reason = safe_str(error) if error is not None else ""
                message = f"the check was skipped ({reason or 'no reason given'}); a skipped check is not a passed one"
            self._fail(entry, "failed" if call.when == "call" else "error", error, tb, message)
        elif report.failed:
            self._fail(entry, "failed" if call.when == "call" else "error", error, tb, captured=captured)
        elif call.when == "call" and entry["outcome"] is None:
            entry["outcome"] = "passed"
        if call.when == "call" and report.failed:
            entry["output"] = _trim_output((report.capstdout or "") + (report.capstderr or ""))

    def _raised_by_learner(self, tb: TracebackType | None) -> bool:
        try:
            frames = traceback.extract_tb(tb) if tb is not None else []
            return any(frame.filename and Path(frame.filename).resolve() == self.locator.exercise_file for frame in frames)
        except Exception:  # noqa: BLE001
            return False

    def _stop(self, error: BaseException | None, tb: TracebackType | None, message: str) -> None:
        if self.stopped is None:
            self.stopped = {
                "message": message,
                "location": self.locator.for_exception(error, tb) if error is not None else None,
                "test": self.running,
            }

    def pytest_keyboard_interrupt(self, excinfo: pytest.ExceptionInfo[BaseException]) -> None:
        try:
            self._stop(excinfo.value, excinfo.tb, describe_exception(excinfo.value))
        except Exception:  # noqa: BLE001
            self._stop(None, None, "the checks were interrupted")

    def pytest_internalerror(self, excrepr: object, excinfo: pytest.ExceptionInfo[BaseException]) -> None:
        try:
            failure = testing.load_failures[-1] if testing.load_failures else None
            if failure is not None and failure[1] is excinfo.value:  # e.g. sys.exit() at import
                self.collection_errors.append(
                    {"message": _import_message(excinfo.value), "location": self.locator.for_exception(excinfo.value, excinfo.value.__traceback__)}
                )
                return
            what = f"{_type_name(excinfo.value)}: {safe_str(excinfo.value)}".splitlines()[0][:200]
            self._stop(
                excinfo.value,
                excinfo.tb,
                f"pytest itself failed after your code ran ({what}); code that changes the interpreter "
                "(sys.modules, builtins, signal handlers) breaks the checks: undo that change",
            )
        except Exception:  # noqa: BLE001
            self._stop(None, None, "pytest itself failed after your code ran")

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        try:
            self._collected(report)
        except Exception as error:  # noqa: BLE001
            if report.failed or report.skipped:
                self.collection_errors.append({"message": f"the checks could not be collected ({_type_name(error)})", "location": None})

    def _collected(self, report: pytest.CollectReport) -> None:
        if not (report.failed or report.skipped):
            return
        failure = testing.load_failures[-1] if testing.load_failures else None
        if failure is not None:
            _, error = failure
            location = self.locator.for_exception(error, error.__traceback__)
            message = _import_message(error)
        elif report.skipped:
            message = f"the check file was skipped as a whole ({_short(str(report.longrepr))}); nothing was checked"
            location = None
        else:
            message = _short(str(report.longrepr))
            location = None
        self.collection_errors.append({"message": message, "location": location})

    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        try:
            missing = [nodeid for nodeid, entry in self.tests.items() if entry["outcome"] is None]
            stopped_at = (self.stopped or {}).get("test")
            if self.stopped and stopped_at not in missing:
                stopped_at = missing[0] if missing else None  # stopped between checks
            for nodeid in missing:
                entry = self.tests[nodeid]
                entry["outcome"] = "failed"
                if self.stopped and nodeid == stopped_at:
                    entry["message"] = self.stopped["message"]
                    entry["location"] = self.stopped["location"]
                elif self.stopped:
                    entry["message"] = "did not run: the checks stopped early (see the check before)"
                else:
                    entry["message"] = "this check recorded no result (its call never finished), so it cannot count as passed"
            data = {
                "tests": list(self.tests.values()),
                "collection_errors": self.collection_errors,
                "exitstatus": int(exitstatus),
                "stopped": self.stopped,
                "figures": testing.figures,
            }
            text = json.dumps(data, default=str)
        except Exception as error:  # noqa: BLE001
            text = json.dumps({"tests": [], "collection_errors": [{"message": f"the run's report could not be written ({_type_name(error)})", "location": None}], "exitstatus": 3})
        self.report_path.write_text(text, encoding="utf-8")
