"""The fault suite, messages and the watch loop: odd files, odd paths, odd output."""

import dataclasses
import io
import os
import queue
import shutil
import time
from pathlib import Path

import pytest
from rich.console import Console

from arena_cli import render
from arena_cli.authoring import sync
from arena_cli.events import FileChanged, KeyPressed
from arena_cli.manifest import load_manifest
from arena_cli.results import Status
from arena_cli.runner import ColdRunner, WarmRunner
from arena_cli.watch import WatchSession
from tests.runner.conftest import FIXTURE, solve
from tests.runner.test_watch import FakeRunner, drain

HEADER = '"""Add two numbers."""\n'


def session_with(course, runner):
    return WatchSession(course, load_manifest(course), Console(file=io.StringIO(), width=120), runner, queue.Queue())


@pytest.fixture
def accented(tmp_path, monkeypatch):
    """The fixture course in a folder whose path is not ASCII."""
    root = tmp_path / "cours d'été ✓" / "course"
    shutil.copytree(FIXTURE, root, ignore=shutil.ignore_patterns(".arena", "__pycache__"))
    sync(root)
    monkeypatch.setenv("ARENA_WORKSPACE", str(root))
    monkeypatch.setenv("ARENA_WORKER_PRELOAD", "pytest,arena_cli.testing,arena_cli.pytest_plugin")
    monkeypatch.chdir(root)
    return root


@pytest.mark.parametrize(
    "code, status, line",
    [
        (HEADER + "def add(a, b):\n    while True: a += 1\n", Status.TIMEOUT, 3),
        (HEADER + "import ctypes\ndef add(a, b):\n    return ctypes.string_at(0)\n", Status.CRASHED, 4),
    ],
    ids=["timeout", "crashed"],
)
def test_a_non_ascii_workspace_keeps_path_and_line(accented, code, status, line):
    (accented / "exercises/basics/add.py").write_text(code)
    runner = WarmRunner(accented)
    try:
        result = runner.run(dataclasses.replace(load_manifest(accented).get("add"), timeout=2))
    finally:
        runner.close()
    assert result.status is status
    assert str(result.location) == f"exercises/basics/add.py:{line}", result.location


@pytest.mark.parametrize("kind", ["warm", "cold"])
def test_the_checks_import_the_installed_arena_cli_not_the_workspaces(course, kind):
    import arena_cli

    shadow = course / "arena_cli"
    shadow.mkdir()
    (shadow / "__init__.py").write_text("raise ImportError('the course folder copy of arena_cli was imported')\n")
    (course / "tests/basics/test_which.py").write_text(
        "import arena_cli\n\n\ndef test_which():\n"
        f"    assert arena_cli.__file__ == {arena_cli.__file__!r}, arena_cli.__file__\n"
    )
    solve(course, "add")
    runner = WarmRunner(course) if kind == "warm" else ColdRunner(course)
    try:
        result = runner.run(load_manifest(course).get("add"))
        assert result.passed, (result.status, result.message, [t.message for t in result.tests])
    finally:
        runner.close()


def test_a_folder_in_place_of_the_exercise(course):
    session = session_with(course, ColdRunner(course))
    target = course / "exercises/basics/add.py"
    session.self_check(0.0)
    target.unlink()
    target.mkdir()
    time.sleep(0.01)
    session.self_check(5.0)
    session.fire_due(5.0)
    drain(session, 5.0)
    assert "--poll" not in session.note, "a folder is no sign of missing file-system events"
    assert session.last_result.status is Status.MISSING
    assert "is a folder, not a file" in session.last_result.message and "arena reset add --yes" in session.last_result.message


def test_a_fifo_in_place_of_the_exercise_never_blocks_the_loop(course):
    target = course / "exercises/basics/add.py"
    target.unlink()
    os.mkfifo(target)
    session = session_with(course, ColdRunner(course))
    started = time.monotonic()
    session.handle(FileChanged(target), 0.0)
    session.fire_due(1.0)
    drain(session, 1.0)
    assert session.handle(KeyPressed("l"), 1.0) is True and session.extra is not None
    session.handle(KeyPressed("r"), 1.0)
    drain(session, 1.0)
    assert session.handle(KeyPressed("q"), 1.0) is False
    assert time.monotonic() - started < 5
    assert session.last_result.status is Status.MISSING and "named pipe" in session.last_result.message


def test_an_unreadable_exercise_and_r(course, monkeypatch):
    # chmod 000 (simulated: root reads every file regardless)
    target = course / "exercises/basics/add.py"
    real_access, real_read = os.access, Path.read_bytes
    monkeypatch.setattr(os, "access", lambda path, mode, **kw: False if Path(path) == target else real_access(path, mode, **kw))

    def read_bytes(self):
        if self == target:
            raise PermissionError(13, "Permission denied", str(self))
        return real_read(self)

    monkeypatch.setattr(Path, "read_bytes", read_bytes)
    session = session_with(course, ColdRunner(course))
    assert session.handle(KeyPressed("r"), 0.0) is True
    drain(session, 0.0)
    assert session.last_result.status is Status.MISSING
    assert "cannot be read" in session.last_result.message and "chmod u+rw exercises/basics/add.py" in session.last_result.message


def test_n_pressed_quickly_lands_where_n_points(course):
    runner = FakeRunner(course)
    session = session_with(course, runner)
    runner.hold.clear()  # runs finish only after all the key presses
    session.handle(KeyPressed("n"), 0.0)
    session.handle(KeyPressed("n"), 0.0)
    assert session.current.name == "clip"
    runner.hold.set()
    drain(session, 0.0)
    assert session.current.name == "clip", "a run that finishes later never moves the learner back"
    session.handle(KeyPressed("n"), 0.0)
    drain(session, 0.0)
    assert session.current.name == "add"


def test_the_verdict_stays_on_screen_after_a_print_flood(course):
    (course / "exercises/basics/add.py").write_text(HEADER + "def add(a, b):\n    for _ in range(3000):\n        print('x' * 5000)\n    return 0\n")
    runner = WarmRunner(course)
    try:
        result = runner.run(load_manifest(course).get("add"))
    finally:
        runner.close()
    assert result.status is Status.FAILED
    buffer = io.StringIO()
    Console(file=buffer, width=80, color_system=None).print(render.result_view(result))
    lines = buffer.getvalue().splitlines()
    assert lines[0].startswith("FAILED"), lines[:3]
    assert len(lines) <= 18, f"{len(lines)} lines: the verdict would scroll off a 24-row terminal"


def test_a_skip_is_not_done_for_run_verify_or_solution(course):
    from typer.testing import CliRunner

    from arena_cli.cli import app

    (course / "exercises/basics/add.py").write_text(HEADER + "import pytest\ndef add(a, b):\n    pytest.skip('later')\n")
    cli = CliRunner()
    run = cli.invoke(app, ["run", "add"], catch_exceptions=False)
    assert run.exit_code == 1 and "your code called pytest.skip('later')" in run.output and "PASSED" not in run.output
    verify = cli.invoke(app, ["verify"], catch_exceptions=False)
    assert "FAIL add" in verify.output and verify.exit_code == 1
    solution = cli.invoke(app, ["solution", "add"], catch_exceptions=False)
    assert solution.exit_code == 2 and "not done yet" in solution.output
