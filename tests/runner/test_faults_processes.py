"""The fault suite, processes: after a command ends, by any route, nothing it started is alive
and its temporary folder is gone. Counted, not assumed: every process a run starts carries the
run's token (ARENA_RUN_TOKEN=<owner pid>-...), and the learner's code writes its pids down."""

import dataclasses
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import pytest

from arena_cli.manifest import load_manifest
from arena_cli.runner import RUN_FOLDER_PREFIX, ColdRunner, WarmRunner, make_runner

HEADER = '"""Add two numbers."""\n'
# A correct answer that also leaves a process behind in a session of its own.
ORPHAN = HEADER + (
    "import subprocess, sys\n"
    "def add(a, b):\n"
    "    p = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(600)'], start_new_session=True)\n"
    "    open('pids.txt', 'a').write(f'{p.pid}\\n')\n"
    "    return a + b\n"
)
# Loops forever after starting an orphan and writing its own pid down.
LOOP = HEADER + (
    "import os, subprocess, sys\n"
    "def add(a, b):\n"
    "    p = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(600)'], start_new_session=True)\n"
    "    open('pids.txt', 'a').write(f'{os.getpid()}\\n{p.pid}\\n')\n"
    "    while True:\n"
    "        a += 1\n"
)


def alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def run_processes(owner: int) -> list[int]:
    """Live processes carrying a run token of `owner` (what `kill_run` must have ended)."""
    needle = f"ARENA_RUN_TOKEN={owner}-".encode()
    found = []
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                with open(f"/proc/{name}/environ", "rb") as env:
                    if any(item.startswith(needle) for item in env.read().split(b"\0")) and alive(int(name)):
                        found.append(int(name))
            except OSError:
                pass
    return found


def learner_pids(root: Path) -> list[int]:
    path = root / "pids.txt"
    return [int(x) for x in path.read_text().split()] if path.exists() else []


def wait_for_pids(root: Path, count: int, seconds: float = 60.0) -> list[int]:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        pids = learner_pids(root)
        if len(pids) >= count:
            return pids
        time.sleep(0.05)
    raise AssertionError("the learner's code never started")


def settle(pids, owner: int, seconds: float = 5.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and (any(alive(p) for p in pids) or run_processes(owner)):
        time.sleep(0.05)
    assert [p for p in pids if alive(p)] == [], "a process started by the learner's code outlived the run"
    assert run_processes(owner) == [], "a process carrying the run's token outlived the run"


def run_folders(owner: int) -> list[Path]:
    return list(Path(tempfile.gettempdir()).glob(f"{RUN_FOLDER_PREFIX}{owner}-*"))


def write(root: Path, code: str) -> None:
    (root / "pids.txt").unlink(missing_ok=True)
    (root / "exercises" / "basics" / "add.py").write_text(code)


@pytest.mark.parametrize("kind", ["warm", "cold"])
def test_a_new_session_subprocess_does_not_outlive_the_run(course, kind):
    write(course, ORPHAN)
    runner = WarmRunner(course) if kind == "warm" else ColdRunner(course)
    try:
        result = runner.run(load_manifest(course).get("add"))
        assert result.passed, result
        settle(learner_pids(course), os.getpid())
        assert learner_pids(course), "the learner's subprocess was started"
    finally:
        runner.close()
    assert run_folders(os.getpid()) == []


@pytest.mark.parametrize("kind", ["warm", "cold"])
def test_closing_during_an_endless_run_ends_everything(course, kind):
    # what `q` in `arena watch` does: close the runner while a run is in flight
    write(course, LOOP)
    runner = WarmRunner(course) if kind == "warm" else ColdRunner(course)
    exercise = dataclasses.replace(load_manifest(course).get("add"), timeout=60)
    results = []
    worker = threading.Thread(target=lambda: results.append(runner.run(exercise)), daemon=True)
    worker.start()
    pids = wait_for_pids(course, 2)
    assert all(alive(p) for p in pids)
    runner.close()
    worker.join(10)
    settle(pids, os.getpid())
    assert run_folders(os.getpid()) == []
    if kind == "warm":
        assert runner.pid is None or not alive(runner.pid), "the worker is gone too"


def _command(course: Path, *args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "arena_cli", *args],
        cwd=course,
        env=dict(os.environ, ARENA_WORKSPACE=str(course)),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )


@pytest.mark.parametrize(
    "args, stop",
    [(("run", "add"), signal.SIGINT), (("verify",), signal.SIGINT), (("run", "add"), signal.SIGTERM)],
    ids=["ctrl-c-in-run", "ctrl-c-in-verify", "kill-of-run"],
)
def test_stopping_a_command_mid_run_leaves_nothing(course, args, stop):
    write(course, LOOP)
    command = _command(course, *args)
    try:
        pids = wait_for_pids(course, 2)
        command.send_signal(stop)
        output, _ = command.communicate(timeout=30)
    finally:
        if command.poll() is None:
            command.kill()
    assert command.returncode == 130, output.decode(errors="replace")[-1500:]
    assert b"Traceback" not in output
    settle(pids, command.pid)
    assert run_folders(command.pid) == [], "the run's temporary folder is removed"


def test_run_folders_of_a_killed_arena_are_removed_later(course):
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    stale = Path(tempfile.mkdtemp(prefix=f"{RUN_FOLDER_PREFIX}{dead.pid}-"))
    (stale / "report.json").write_text("{}")
    make_runner(course, warm=False).close()
    assert not stale.exists(), "a run folder whose arena was killed outright (kill -9) is swept"
