"""The navigable list of `arena watch` (`l`): pure rendering and keys, then through a session."""

import io
import queue
import re
import time

import pytest
from rich.console import Console

from arena_cli import links
from arena_cli.events import KeyPressed
from arena_cli.keys import decode_keys
from arena_cli.list_view import ListState, key, render_screen, start_state, visible
from arena_cli.manifest import load_manifest, parse_manifest
from arena_cli.progress import Progress
from arena_cli.state import load_state
from arena_cli.watch import WatchSession

from .test_watch import FakeRunner, drain, save

SECTIONS = 8
PER_SECTION = 13


def big_course():
    """105 exercises in 8 sections, like the real course, with some long names."""
    sections = [{"id": f"{i:02d}_part", "title": f"{i}.0 Part number {i}", "reading": "r.md"} for i in range(SECTIONS)]
    exercises = []
    for i in range(SECTIONS):
        for j in range(PER_SECTION + (1 if i == 0 else 0)):
            name = f"ex_{i}_{j}" + ("_with_a_rather_long_descriptive_name" if j == 3 else "")
            exercises.append({"name": name, "section": f"{i:02d}_part", "difficulty": 1 + j % 5, "minutes": 5 + j})
    return parse_manifest(
        {"format_version": 1, "welcome_message": "w", "final_message": "f", "sections": sections, "exercises": exercises}
    )


def printed(text, width, height) -> list[str]:
    console = Console(file=io.StringIO(), width=width, height=height, color_system=None, legacy_windows=False)
    console.print(text, crop=True, soft_wrap=False, no_wrap=True)
    return console.file.getvalue().rstrip("\n").split("\n")


@pytest.mark.parametrize("width,height", [(80, 24), (200, 60)])
def test_the_screen_fits_the_terminal_and_shows_headings_status_level_minutes_path(width, height):
    manifest = big_course()
    assert len(manifest.exercises) == 105
    progress = Progress(done=frozenset({"ex_0_0", "ex_0_1"}))
    state = start_state(manifest, progress)
    assert state.cursor == "ex_0_2"  # the current exercise is selected
    text, state = render_screen(manifest, progress, state, width, height)
    lines = printed(text, width, height)
    assert len(lines) <= height - 1 and all(len(line) <= width for line in lines)
    body = "\n".join(lines)
    assert "0.0 Part number 0  2/14" in body  # section heading with its tally
    # the whole path where it fits; at 80 columns (a long name in the course) the file's name
    path = "exercises/00_part/ex_0_0.py" if width == 200 else "ex_0_0.py"
    assert re.search(r"done\s+ex_0_0\s+\*\.\.\.\.\s+5m\s+" + re.escape(path), body)
    assert re.search(r"> current\s+ex_0_2\s+\*\*\*\.\.\s+7m", body)
    assert "2/105 done" in lines[0]
    assert any("Esc/q back" in line for line in lines[-2:])
    if height == 60:
        assert "1.0 Part number 1" in body  # a tall terminal shows several sections


def test_moving_scrolls_and_keeps_the_selection_on_screen():
    manifest, progress = big_course(), Progress()
    state = start_state(manifest, progress)
    for _ in range(30):
        state, _ = key(state, manifest, progress, "j", height=24)
    assert state.cursor == manifest.names[30] == "ex_2_3_with_a_rather_long_descriptive_name"
    text, state = render_screen(manifest, progress, state, 80, 24)
    assert any(line.startswith("> ") and "ex_2_3_with_a_rather_long~" in line for line in printed(text, 80, 24))
    assert state.top > 0  # scrolled
    state, _ = key(state, manifest, progress, "end", height=24)
    assert state.cursor == manifest.names[-1]
    state, _ = key(state, manifest, progress, "g", height=24)
    assert state.cursor == manifest.names[0]
    state, _ = key(state, manifest, progress, "pagedown", height=24)
    assert manifest.names.index(state.cursor) == 18  # a page of body lines minus one
    state, _ = key(state, manifest, progress, "pageup", height=24)
    state, _ = key(state, manifest, progress, "up", height=24)  # stops at the top
    assert state.cursor == manifest.names[0]
    same, action = key(state, manifest, progress, "z", height=24)
    assert same == state and action.kind == "none"  # unknown keys are ignored


def test_filters_search_select_reset_and_back():
    manifest = big_course()
    progress = Progress(done=frozenset({"ex_0_0", "ex_1_5"}))
    state = start_state(manifest, progress)
    state, _ = key(state, manifest, progress, "d", height=24)
    assert [e.name for e in visible(manifest, progress, state)] == ["ex_0_0", "ex_1_5"]
    assert state.cursor == "ex_0_0"
    state, _ = key(state, manifest, progress, "d", height=24)  # again: all
    assert state.filter == "all"
    state, _ = key(state, manifest, progress, "p", height=24)
    assert "ex_0_0" not in {e.name for e in visible(manifest, progress, state)}
    state, _ = key(state, manifest, progress, "a", height=24)
    state, _ = key(state, manifest, progress, "/", height=24)
    for char in "7_1":
        state, _ = key(state, manifest, progress, char, height=24)
    assert [e.name for e in visible(manifest, progress, state)] == ["ex_7_1", "ex_7_10", "ex_7_11", "ex_7_12"]
    assert state.cursor == "ex_7_1"
    text, _ = render_screen(manifest, progress, state, 80, 24)
    assert "search: 7_1" in printed(text, 80, 24)[1]
    state, _ = key(state, manifest, progress, "q", height=24)  # typed into the search, not "back"
    assert visible(manifest, progress, state) == [] and state.query == "7_1q"
    assert "no exercise matches" in "\n".join(printed(render_screen(manifest, progress, state, 80, 24)[0], 80, 24))
    state, _ = key(state, manifest, progress, "backspace", height=24)
    state, _ = key(state, manifest, progress, "enter", height=24)  # keep the search, stop typing
    state, _ = key(state, manifest, progress, "j", height=24)
    assert state.cursor == "ex_7_10"
    state, action = key(state, manifest, progress, "enter", height=24)
    assert (action.kind, action.name) == ("select", "ex_7_10")
    state, action = key(state, manifest, progress, "r", height=24)
    assert action.kind == "none" and state.confirm_reset == "ex_7_10"
    assert "y resets" in printed(render_screen(manifest, progress, state, 80, 24)[0], 80, 24)[1]
    state, action = key(state, manifest, progress, "n", height=24)
    assert action.kind == "none" and state.confirm_reset is None and state.message == "reset cancelled"
    state, _ = key(state, manifest, progress, "r", height=24)
    state, action = key(state, manifest, progress, "y", height=24)
    assert (action.kind, action.name) == ("reset", "ex_7_10")
    assert key(state, manifest, progress, "escape", height=24)[1].kind == "close"
    assert key(ListState(cursor="ex_0_0"), manifest, progress, "c", height=24)[1].name == "ex_0_0"


def test_escape_sequences_become_key_names():
    assert decode_keys("\x1b[A\x1b[B\x1b[5~\x1b[6~jkgG\r\x7f\x1b") == [
        "up", "down", "pageup", "pagedown", "j", "k", "g", "end", "enter", "backspace", "escape"
    ]
    assert decode_keys("N\x1b[1;5Ax") == ["n", "x"]  # an unknown sequence is dropped whole


def terminal_session(course, width, height):
    console = Console(file=io.StringIO(), width=width, height=height, force_terminal=True, color_system=None)
    runner = FakeRunner(course)
    made = WatchSession(course, load_manifest(course), console, runner, queue.Queue())
    made.fake_runner = runner
    return made


def test_in_the_watch_enter_makes_the_selected_exercise_current(course):
    session = terminal_session(course, 80, 24)
    session.handle(KeyPressed("l"), 0.0)
    assert session.list_screen is not None
    screen = session.console.file.getvalue()
    assert "0.1 More" in screen and "exercises/more/clip.py" in screen
    for pressed in ("j", "j", "enter"):
        assert session.on_key(pressed, 0.0) is True
    assert session.list_screen is None and session.current.name == "clip"
    drain(session, 0.0)
    assert session.fake_runner.runs[-1][0] == "clip"
    assert load_state(course, session.manifest).progress.current == "clip"


def test_in_the_watch_r_resets_the_selected_exercise_with_a_backup(course):
    path = save(course, "my mean\n", name="mean")
    session = terminal_session(course, 80, 24)
    session.on_key("l", 0.0)
    session.on_key("j", 0.0)
    session.on_key("r", 0.0)
    assert path.read_text() == "my mean\n"  # asks first
    session.on_key("y", 0.0)
    assert "NotImplementedError" in path.read_text()
    assert [b.read_text() for b in (course / ".arena/backups").glob("mean-*.py")] == ["my mean\n"]
    assert "was reset" in session.console.file.getvalue()
    assert session.on_key("q", 0.0) is True and session.list_screen is None  # q leaves the list only


def test_too_small_a_terminal_says_so_and_prints_the_plain_list(course):
    session = terminal_session(course, 50, 10)
    session.on_key("l", 0.0)
    assert session.list_screen is None
    out = " ".join(session.console.file.getvalue().split())
    assert "too small for the list view (50x10" in out and "add.py" in out


def test_a_resize_redraws_the_list(course):
    session = terminal_session(course, 80, 24)
    session.on_key("l", 0.0)
    session.console.file.truncate(0)
    session.console.size = (200, 60)
    session.self_check(0.0)
    assert session.list_screen.size == (200, 60) and "arena list" in session.console.file.getvalue()
    session.console.size = (40, 10)  # shrunk below the minimum: the plain list instead
    session.self_check(0.0)
    assert session.list_screen is None and "too small" in session.console.file.getvalue()


def test_paths_are_hyperlinks_on_a_terminal_and_plain_otherwise(course, monkeypatch):
    from arena_cli.render import exercise_heading

    manifest = load_manifest(course)
    links.set_root(course)
    try:
        heading = exercise_heading(manifest.get("add"), manifest)
        linked = Console(file=io.StringIO(), force_terminal=True, width=120)
        linked.print(heading)
        assert "\x1b]8;" in linked.file.getvalue() and "file://" in linked.file.getvalue()
        assert "exercises/basics/add.py" in linked.file.getvalue()
        plain = Console(file=io.StringIO(), width=120)  # not a terminal
        plain.print(heading)
        assert "\x1b" not in plain.file.getvalue() and "exercises/basics/add.py" in plain.file.getvalue()
        monkeypatch.setenv("ARENA_LINKS", "0")
        off = Console(file=io.StringIO(), force_terminal=True, width=120)
        off.print(exercise_heading(manifest.get("add"), manifest))
        assert "\x1b]8;" not in off.file.getvalue()
    finally:
        links.set_root(None)


def test_the_edit_command_opens_the_current_exercise_and_a_failure_is_one_line(course, tmp_path, monkeypatch):
    from arena_cli.editor import Editor, build_argv, editor_command

    assert build_argv("code -g {path}:{line}", course / "x.py") == ["code", "-g", f"{course / 'x.py'}:1"]
    assert build_argv("subl -n", course / "x.py") == ["subl", "-n", str(course / "x.py")]
    monkeypatch.delenv("ARENA_EDITOR", raising=False)
    monkeypatch.setenv("EDITOR", "vim")
    assert editor_command(None) is None  # never a guess, not even $EDITOR
    monkeypatch.setenv("ARENA_EDITOR", "subl")
    assert editor_command(None) == "subl" and editor_command("code") == "code"
    record = tmp_path / "opened.txt"
    session = terminal_session(course, 80, 24)
    session.editor = Editor(f"sh -c 'echo \"$0\" >> {record}'", lambda line: None)
    session.draw()
    session.on_key("n", 0.0)
    drain(session, 0.0)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and len(record.read_text().splitlines() if record.exists() else []) < 2:
        time.sleep(0.05)
    assert record.read_text().splitlines() == [str(course / "exercises/basics/add.py"), str(course / "exercises/basics/mean.py")]
    failures: list[str] = []
    session.editor = Editor("no-such-editor-anywhere", failures.append)
    session.opened_for = None
    session.draw()
    assert "could not start" in session.note and "\n" not in session.note
    session.editor = Editor("false", failures.append)
    session.opened_for = None
    session.draw()
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and not failures:
        time.sleep(0.05)
    assert failures and "failed (exit status 1)" in failures[0]


def test_the_list_in_a_real_terminal_arrows_enter_and_a_resize(course):
    """End to end in a pseudo-terminal: `l`, arrow keys, Enter; a resize redraws the list."""
    import fcntl
    import os
    import pty
    import struct
    import subprocess
    import sys
    import termios

    from .test_watch_pty import Screen

    def set_size(fd, rows, cols):
        fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))

    primary, secondary = pty.openpty()
    set_size(secondary, 24, 80)
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES")}
    env["TERM"] = "xterm"
    process = subprocess.Popen(
        [sys.executable, "-m", "arena_cli", "watch"],
        stdin=secondary, stdout=secondary, stderr=secondary, cwd=course, env=env, start_new_session=True,
    )
    os.close(secondary)
    screen = Screen(primary)
    try:
        screen.read_until(r"NOT STARTED")
        os.write(primary, b"l")
        screen.read_until(r"arena list.*0/3 done")
        set_size(primary, 60, 200)
        screen.read_until(r"Enter/c go there  r reset  d/p/a filter")  # the one-line footer of a wide screen
        os.write(primary, b"\x1b[B")
        os.write(primary, b"\x1b[B")
        os.write(primary, b"zz\r")  # unknown keys first: ignored
        screen.read_until(r"NOT STARTED  clip")
        os.write(primary, b"q")
        screen.read_until(r"Progress saved")
        assert process.wait(timeout=20) == 0
    finally:
        if process.poll() is None:
            process.kill()
        os.close(primary)
