"""End to end: `arena watch` in a pseudo-terminal, saved in place and by rename, quit with q."""

import os
import pty
import re
import select
import subprocess
import sys
import time
from pathlib import Path

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


class Screen:
    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.text = ""

    def read_until(self, pattern: str, timeout: float = 60.0) -> str:
        deadline = time.monotonic() + timeout
        start = len(self.text)
        while time.monotonic() < deadline:
            readable, _, _ = select.select([self.fd], [], [], 0.1)
            if readable:
                try:
                    self.text += ANSI.sub("", os.read(self.fd, 65536).decode(errors="replace"))
                except OSError:
                    break
            if re.search(pattern, self.text[start:]):
                return self.text[start:]
        raise AssertionError(f"did not see {pattern!r}; screen ended with:\n{self.text[-2000:]}")


def test_watch_in_a_terminal(course):
    primary, secondary = pty.openpty()
    env = dict(os.environ, COLUMNS="120", LINES="40", TERM="xterm")
    process = subprocess.Popen(
        [sys.executable, "-m", "arena_cli", "watch"],
        stdin=secondary, stdout=secondary, stderr=secondary, cwd=course, env=env, start_new_session=True,
    )
    os.close(secondary)
    screen = Screen(primary)
    target = course / "exercises" / "basics" / "add.py"
    try:
        screen.read_until(r"NOT STARTED")
        target.write_text("def add(a, b):\n    return a - b\n")  # in place, like VS Code or nano
        screen.read_until(r"FAILED  2 of 2 checks of add")
        temp = target.with_name(".add.py.tmp-save")
        temp.write_text("def add(a, b):\n    return a + b\n")
        os.replace(temp, target)  # temp file then rename, like vim or JetBrains
        screen.read_until(r"PASSED  all 2 checks of add")
        os.write(primary, b"h")
        screen.read_until(r"hint 1/2 for add|hint 1/2 for mean")
        os.write(primary, b"q")
        screen.read_until(r"Progress saved")
        assert process.wait(timeout=20) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        os.close(primary)
    assert '"add"' in (course / ".arena" / "state.json").read_text()


def test_ctrl_c_restores_the_terminal_and_keeps_progress(course):
    import signal
    import termios

    primary, secondary = pty.openpty()
    before = termios.tcgetattr(secondary)
    env = dict(os.environ, COLUMNS="120", LINES="40", TERM="xterm")
    process = subprocess.Popen(
        [sys.executable, "-m", "arena_cli", "watch"],
        stdin=secondary, stdout=secondary, stderr=secondary, cwd=course, env=env, start_new_session=True,
    )
    screen = Screen(primary)
    try:
        screen.read_until(r"NOT STARTED")
        os.write(primary, b"h")
        screen.read_until(r"hint 1/2")
        assert termios.tcgetattr(secondary)[3] != before[3], "keys without Enter need cbreak mode"
        process.send_signal(signal.SIGINT)
        screen.read_until(r"Progress saved")
        assert process.wait(timeout=20) == 0
        assert termios.tcgetattr(secondary) == before, "the terminal must be restored on Ctrl-C"
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        os.close(primary)
        os.close(secondary)
    assert '"add": 1' in (course / ".arena" / "state.json").read_text()


def test_q_during_an_endless_run_leaves_no_process_and_no_run_folder(course):
    from tests.runner.test_faults_processes import LOOP, run_folders, settle, wait_for_pids, write

    write(course, LOOP)
    primary, secondary = pty.openpty()
    env = dict(os.environ, COLUMNS="120", LINES="40", TERM="xterm")
    process = subprocess.Popen(
        [sys.executable, "-m", "arena_cli", "watch"],
        stdin=secondary, stdout=secondary, stderr=secondary, cwd=course, env=env, start_new_session=True,
    )
    os.close(secondary)
    screen = Screen(primary)
    try:
        pids = wait_for_pids(course, 2)
        screen.read_until(r"checking")
        os.write(primary, b"q")
        screen.read_until(r"Progress saved")
        assert process.wait(timeout=20) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        os.close(primary)
    settle(pids, process.pid)
    assert run_folders(process.pid) == []
