"""The fault suite, progress: never lost silently, never a traceback, the verdict always shown."""

import io
import json
import os
import queue
import threading

import pytest
from rich.console import Console
from typer.testing import CliRunner

from arena_cli.cli import announce, app, load_course
from arena_cli.manifest import load_manifest
from arena_cli.progress import Progress
from arena_cli.state import load_state, save_state, state_path, update_state
from arena_cli.watch import WatchSession
from tests.runner.conftest import solve
from tests.runner.test_watch import FakeRunner

cli = CliRunner()


def invoke(*args: str, input: str | None = None):
    return cli.invoke(app, list(args), input=input, catch_exceptions=False)


def kept_copies(root):
    return sorted(p for p in state_path(root).parent.iterdir() if ".damaged-" in p.name)


def session_for(course):
    return WatchSession(course, load_manifest(course), Console(file=io.StringIO(), width=120), FakeRunner(course), queue.Queue())


def test_damage_while_watching_is_repaired_from_memory(course):
    save_state(course, Progress(done=frozenset({"add", "mean"}), hints={"clip": 2}))
    session = session_for(course)
    state_path(course).write_text("{ damaged while watching")
    session.save(lambda p: p)  # the next save (a verdict, a hint, n)
    progress = load_state(course, load_manifest(course)).progress
    assert progress.done == {"add", "mean"} and progress.hints == {"clip": 2}, "nothing lost"
    assert "damaged" in session.note and "nothing lost" in session.note, "and the learner is told"
    assert [p.read_text() for p in kept_copies(course)] == ["{ damaged while watching"]


def test_damage_found_by_list_is_rebuilt_by_the_next_watch(course):
    solve(course, "add")
    assert invoke("run", "add").exit_code == 0
    invoke("hint", "mean")
    state_path(course).write_text('{"version": 1, "done": "add", "hints": {"mean": 1}')  # cut short
    listing = invoke("list")
    assert listing.exit_code == 0 and "damaged" in listing.output and "arena verify" in listing.output
    again = invoke("list")  # a restarted list still knows a rebuild is due
    assert "being rebuilt" in again.output
    course_now = load_course()
    announce(course_now, Console(file=io.StringIO()))  # what `arena watch` does at start
    progress = load_state(course, load_manifest(course)).progress
    assert progress.done == {"add"}, "rebuilt by re-checking"
    assert progress.hints == {"mean": 1}, "hint levels salvaged from the damaged file"
    assert "rebuild" not in json.loads(state_path(course).read_text())
    assert not load_state(course, load_manifest(course)).damaged


def test_two_damages_in_the_same_second_keep_both_copies(course):
    manifest = load_manifest(course)
    state_path(course).parent.mkdir(parents=True, exist_ok=True)
    for content in ("first damage", "second damage", "third damage"):
        state_path(course).write_text(content)
        load_state(course, manifest)
    assert sorted(p.read_text() for p in kept_copies(course)) == ["first damage", "second damage", "third damage"]


def test_a_newer_format_is_refused_and_left_untouched(course):
    state_path(course).parent.mkdir(parents=True, exist_ok=True)
    newer = json.dumps({"version": 2, "done": ["add"], "extra": {"new": True}})
    state_path(course).write_text(newer)
    for args in (["list"], ["hint", "mean"], ["run", "add"]):
        result = invoke(*args)
        assert result.exit_code == 2 and "newer arena" in result.output and "Traceback" not in result.output
    assert state_path(course).read_text() == newer and kept_copies(course) == []


def test_concurrent_lists_on_a_damaged_file(course):
    manifest = load_manifest(course)
    state_path(course).parent.mkdir(parents=True, exist_ok=True)
    for round_ in range(15):
        state_path(course).write_text(f"damage {round_}")
        errors = []

        def load():
            try:
                load_state(course, manifest)
            except Exception as error:  # noqa: BLE001
                errors.append(error)

        threads = [threading.Thread(target=load) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert errors == []
    copies = [p.read_text() for p in kept_copies(course)]
    assert sorted(copies) == sorted(f"damage {i}" for i in range(15)), "each damage kept exactly once"


def _make_unusable(course, how):
    folder = state_path(course).parent
    if how == "arena-is-a-file":
        import shutil

        shutil.rmtree(folder, ignore_errors=True)
        folder.write_text("not a folder")
    elif how == "state-is-a-folder":
        folder.mkdir(exist_ok=True)
        state_path(course).unlink(missing_ok=True)
        state_path(course).mkdir()
    elif how == "lock-is-a-folder":
        folder.mkdir(exist_ok=True)
        (folder / "state.lock").mkdir()


UNUSABLE = ["arena-is-a-file", "state-is-a-folder", "lock-is-a-folder"]


@pytest.mark.parametrize("how", UNUSABLE)
def test_an_unusable_state_folder_still_shows_the_verdict(course, how):
    solve(course, "add")
    _make_unusable(course, how)
    result = invoke("run", "add")
    assert "Traceback" not in result.output
    assert "PASSED" in result.output and result.exit_code == 0, result.output
    assert "progress" in result.output and ("mv .arena" in result.output), result.output
    hint = invoke("hint", "mean")
    assert hint.exit_code == 0 and "hint 1/2" in hint.output and "Traceback" not in hint.output
    verify = invoke("verify")
    assert "ok   add" in verify.output and "Traceback" not in verify.output and verify.exit_code == 1


def test_a_read_only_state_folder_still_shows_the_verdict(course, monkeypatch):
    solve(course, "add")
    invoke("hint", "mean")  # the folder and its lock exist; then it becomes read-only
    import tempfile

    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(tempfile, "mkstemp", refuse)  # what chmod a-w .arena does (root ignores chmod)
    result = invoke("run", "add")
    assert result.exit_code == 0 and "PASSED" in result.output and "not writable" in result.output and "Traceback" not in result.output


@pytest.mark.parametrize("how", UNUSABLE)
def test_watch_keeps_running_on_an_unusable_state_folder(course, how):
    session = session_for(course)
    _make_unusable(course, how)
    assert session.on_key("h", 0.0) is True
    assert session.progress.hint_level("add") == 1, "kept in memory"
    assert "progress" in session.note
    assert session.on_key("l", 0.0) is True


def test_damaged_state_and_a_non_utf8_exercise(course):
    (course / "exercises/basics/add.py").write_bytes(b"# caf\xe9\ndef add(a, b):\n    return a + b\n")
    state_path(course).parent.mkdir(parents=True, exist_ok=True)
    state_path(course).write_text("{ damaged")
    course_now = load_course()
    announce(course_now, Console(file=io.StringIO()))  # `arena watch` at start: no UnicodeDecodeError
    assert not load_state(course, load_manifest(course)).damaged


def test_reset_of_a_folder_and_with_stdin_closed(course, monkeypatch):
    target = course / "exercises/basics/add.py"
    target.unlink()
    target.mkdir()
    (target / "inside.txt").write_text("keep me")
    run = invoke("run", "add")
    assert run.exit_code == 1 and "is a folder, not a file" in run.output and "arena reset add" in run.output
    done = invoke("reset", "add", "--yes")
    assert done.exit_code == 0 and "Traceback" not in done.output
    assert target.is_file() and "NotImplementedError" in target.read_text()
    moved = [p for p in (course / ".arena/backups").iterdir() if p.is_dir()]
    assert [(p / "inside.txt").read_text() for p in moved] == ["keep me"], "the folder is kept, not deleted"
    monkeypatch.setattr("sys.stdin", None)  # `arena reset add <&-`
    closed = invoke("reset", "add")
    assert closed.exit_code == 2 and "add --yes" in closed.output


def test_reset_of_an_unreadable_file_is_one_line(course, monkeypatch):
    import shutil

    def unreadable(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(shutil, "copy2", unreadable)  # what chmod 000 does (root reads anyway)
    result = invoke("reset", "add", "--yes")
    assert result.exit_code == 1 and "cannot be read" in result.output and "chmod u+rw" in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize(
    "name, value, words",
    [
        ("ARENA_MEMORY_LIMIT_MB", "abc", "is not a whole number of megabytes"),
        ("ARENA_MEMORY_LIMIT_MB", "10", "is too small to run any checks"),
        ("ARENA_TORCH_THREADS", "abc", "is not a positive whole number"),
    ],
)
def test_bad_run_settings_are_one_line(course, monkeypatch, name, value, words):
    monkeypatch.setenv(name, value)
    for args in (["run", "add"], ["verify"]):
        result = invoke(*args)
        assert result.exit_code == 2 and words in result.output and "Traceback" not in result.output


def test_update_keeps_a_concurrent_change(course):
    manifest = load_manifest(course)
    update_state(course, manifest, lambda p: Progress(done=p.done | {"add"}, hints=p.hints))
    assert load_state(course, manifest).progress.done == {"add"}
    assert os.listdir(state_path(course).parent).count("state.json") == 1
