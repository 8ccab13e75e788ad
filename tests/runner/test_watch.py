"""The watch loop's decisions, driven event by event with a fake runner and a fake clock."""

import io
import queue
import threading
import time
from pathlib import Path

import pytest
from rich.console import Console

from arena_cli.events import FileChanged, KeyPressed, RunFinished
from arena_cli.manifest import load_manifest
from arena_cli.results import Outcome, RunResult, Status, TestOutcome
from arena_cli.state import load_state
from arena_cli.watch import DEBOUNCE_SECONDS, WatchSession
from arena_cli.watcher import ExerciseEventHandler, exercise_for_path, is_editor_junk


class FakeRunner:
    """Records what it ran (with the file content at run time); can hold a run until released."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.runs: list[tuple[str, str]] = []
        self.hold = threading.Event()
        self.hold.set()
        self.cancelled = threading.Event()

    def run(self, exercise, *, exercise_root=None):
        content = (self.root / exercise.path).read_text() if (self.root / exercise.path).exists() else ""
        self.runs.append((exercise.name, content))
        self.hold.wait(5)
        if self.cancelled.is_set():
            self.cancelled.clear()
            return RunResult(exercise.name, Status.CANCELLED)
        passed = "return a + b" in content or "sum(values)" in content
        outcome = Outcome.PASSED if passed else Outcome.FAILED
        return RunResult(exercise.name, Status.PASSED if passed else Status.FAILED, tests=(TestOutcome("t", outcome, "wrong"),))

    def cancel(self):
        self.cancelled.set()
        self.hold.set()

    def close(self):
        pass


@pytest.fixture
def session(course):
    events = queue.Queue()
    runner = FakeRunner(course)
    made = WatchSession(course, load_manifest(course), Console(file=io.StringIO(), width=120), runner, events)
    made.fake_runner = runner
    return made


def drain(session, now, until=lambda s: s.running is None and not s.queue, seconds=5.0):
    """Feed queued events to the session until `until` holds."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            session.handle(session.events.get(timeout=0.05), now)
        except queue.Empty:
            pass
        if until(session):
            return
    raise AssertionError("the session did not settle")


def save(root: Path, text: str, name: str = "add") -> Path:
    path = root / "exercises" / "basics" / f"{name}.py"
    path.write_text(text)
    return path


def test_fifty_saves_in_one_second_run_once(session, course):
    path = save(course, "def add(a, b):\n    return a + b\n")
    for i in range(50):
        session.handle(FileChanged(path), now=i * 0.02)
        session.fire_due(now=i * 0.02)
    assert session.fake_runner.runs == []
    session.fire_due(now=0.98 + DEBOUNCE_SECONDS)
    drain(session, 2.0)
    assert [name for name, _ in session.fake_runner.runs] == ["add"]
    assert session.last_result.passed
    assert load_state(course, session.manifest).progress.is_done("add")


def test_a_save_without_changes_does_not_rerun_but_r_does(session, course):
    path = save(course, "def add(a, b):\n    return a - b\n")
    session.handle(FileChanged(path), 0.0)
    session.fire_due(1.0)
    drain(session, 1.0)
    session.handle(FileChanged(path), 2.0)
    session.fire_due(3.0)
    drain(session, 3.0)
    assert len(session.fake_runner.runs) == 1, "same content: no second run"
    session.handle(KeyPressed("r"), 4.0)
    drain(session, 4.0)
    assert len(session.fake_runner.runs) == 2


def test_a_save_during_a_run_is_not_lost(session, course):
    path = save(course, "def add(a, b):\n    return a - b\n")
    session.fake_runner.hold.clear()
    session.handle(FileChanged(path), 0.0)
    session.fire_due(1.0)
    assert session.running is not None
    save(course, "def add(a, b):\n    return a + b\n")
    session.handle(FileChanged(path), 1.1)
    session.fire_due(2.0)
    drain(session, 2.0)
    contents = [content for _, content in session.fake_runner.runs]
    assert contents[-1].endswith("return a + b\n"), "the newest content is what was checked last"
    assert session.last_result.passed


def test_saving_another_exercise_switches_to_it(session, course):
    path = save(course, "def mean(values):\n    return sum(values) / len(values)\n", name="mean")
    session.handle(FileChanged(path), 0.0)
    session.fire_due(1.0)
    drain(session, 1.0)
    assert session.fake_runner.runs[-1][0] == "mean"
    assert session.last_result.exercise == "mean"


def test_keys_hint_next_list_and_quit(session, course):
    session.handle(KeyPressed("h"), 0.0)
    assert load_state(course, session.manifest).progress.hint_level("add") == 1
    session.handle(KeyPressed("n"), 0.0)
    assert session.current.name == "mean"
    drain(session, 0.0)
    session.handle(KeyPressed("l"), 0.0)
    assert session.extra is not None
    assert session.handle(KeyPressed("q"), 0.0) is False


def test_reset_needs_a_second_x_and_keeps_a_backup(session, course):
    path = save(course, "my precious work\n")
    session.handle(KeyPressed("x"), 0.0)
    assert path.read_text() == "my precious work\n", "one x only arms the reset"
    session.handle(KeyPressed("x"), 1.0)
    assert "NotImplementedError" in path.read_text()
    backups = list((course / ".arena" / "backups").glob("add-*.py"))
    assert [b.read_text() for b in backups] == ["my precious work\n"]


def test_a_deleted_file_is_checked_and_watching_goes_on(session, course):
    path = course / "exercises" / "basics" / "add.py"
    path.unlink()
    session.handle(FileChanged(path), 0.0)
    session.fire_due(1.0)
    drain(session, 1.0)
    assert session.fake_runner.runs[-1] == ("add", "")


def test_changes_that_send_no_events_are_noticed(session, course):
    session.self_check(0.0)
    time.sleep(0.01)
    save(course, "def add(a, b):\n    return a + b\n")
    session.self_check(5.0)
    session.fire_due(5.0)
    drain(session, 5.0)
    assert session.fake_runner.runs and "--poll" in session.note


@pytest.mark.parametrize(
    "name, junk",
    [("add.py", False), (".add.py.swp", True), ("add.py~", True), (".#add.py", True), ("4913", True), ("add.py___jb_tmp___", True), ("notes.txt", True)],
)
def test_editor_litter_is_ignored(name, junk):
    assert is_editor_junk(name) is junk


def test_paths_map_to_exercises_only_inside_their_section(course):
    manifest = load_manifest(course)
    assert exercise_for_path(course, manifest, course / "exercises/basics/add.py").name == "add"
    assert exercise_for_path(course, manifest, course / "exercises/more/add.py") is None
    assert exercise_for_path(course, manifest, course / "solutions/basics/add.py") is None


class Event:
    def __init__(self, event_type, src, dest=""):
        self.event_type, self.src_path, self.dest_path, self.is_directory = event_type, src, dest, False


def test_handler_forwards_the_destination_of_a_rename():
    events = queue.Queue()
    handler = ExerciseEventHandler(events)
    handler.dispatch(Event("moved", "/w/exercises/basics/.add.py.tmp1234", "/w/exercises/basics/add.py"))
    handler.dispatch(Event("modified", "/w/exercises/basics/.add.py.swp"))
    handler.dispatch(Event("created", "/w/exercises/basics/4913"))
    assert [e.path.name for e in list(events.queue)] == ["add.py"]
