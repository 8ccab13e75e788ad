"""The fault suite: whatever the learner's code does, the runner survives and says what happened."""

import dataclasses
import shutil

import pytest

from arena_cli.authoring import sync
from arena_cli.manifest import load_manifest
from arena_cli.results import Status
from arena_cli.runner import ColdRunner, WarmRunner
from tests.runner.conftest import FIXTURE

HEADER = '"""Add two numbers."""\n'
GOOD = HEADER + "\n\ndef add(a, b):\n    return a + b\n"

FAULTS = {
    "syntax-error": (HEADER + "def add(a, b)\n    return a + b\n", Status.BROKEN, "SyntaxError", 2),
    "import-error": (HEADER + "import no_such_module_here\n", Status.BROKEN, "No module named 'no_such_module_here'", 2),
    "exception-at-import": (HEADER + "x = 1\ny = x / 0\n", Status.BROKEN, "ZeroDivisionError", 3),
    "exception-in-function": (HEADER + "def add(a, b):\n    return {}[a]\n", Status.FAILED, "KeyError", 3),
    "sys-exit": (HEADER + "import sys\ndef add(a, b):\n    sys.exit(3)\n", Status.FAILED, "called sys.exit(3)", 4),
    "os-exit": (HEADER + "import os\ndef add(a, b):\n    os._exit(3)\n", Status.CRASHED, "exited with code 3", None),
    "segfault": (HEADER + "import ctypes\ndef add(a, b):\n    return ctypes.string_at(0)\n", Status.CRASHED, "SIGSEGV", 4),
    "abort": (HEADER + "import os\ndef add(a, b):\n    os.abort()\n", Status.CRASHED, "SIGABRT", 4),
    "huge-allocation": (HEADER + "def add(a, b):\n    return len(bytearray(10**12))\n", Status.FAILED, "ran out of memory", 3),
    "huge-torch-allocation": (
        HEADER + "import torch\ndef add(a, b):\n    return torch.ones(10**12).sum()\n",
        Status.FAILED,
        "ran out of memory",
        4,
    ),
    "output-flood": (
        HEADER + "def add(a, b):\n    while True:\n        print('x' * 10000)\n",
        Status.FAILED,
        "printed far too much output",
        4,
    ),
    "input": (HEADER + "def add(a, b):\n    return int(input('number? '))\n", Status.FAILED, "asked for input", 3),
    # One line, so the stack dump names it whichever bytecode the timer interrupts.
    "infinite-loop": (HEADER + "def add(a, b):\n    while True: a += 1\n", Status.TIMEOUT, "ran longer than 3 s", 3),
}


@pytest.fixture(scope="module")
def workspace(tmp_path_factory):
    root = tmp_path_factory.mktemp("faults") / "course"
    shutil.copytree(FIXTURE, root, ignore=shutil.ignore_patterns(".arena", "__pycache__"))
    sync(root)
    return root


@pytest.fixture(scope="module", params=["warm", "cold"])
def runner(request, workspace):
    made = WarmRunner(workspace) if request.param == "warm" else ColdRunner(workspace)
    yield made
    made.close()


@pytest.mark.parametrize("fault", list(FAULTS), ids=list(FAULTS))
def test_fault_is_reported_and_runner_survives(runner, workspace, fault):
    code, status, words, line = FAULTS[fault]
    exercise = dataclasses.replace(load_manifest(workspace).get("add"), timeout=3)
    target = workspace / "exercises" / "basics" / "add.py"
    target.write_text(code)
    result = runner.run(exercise)
    assert result.status is status, (result.status, result.message, [t.message for t in result.tests])
    text = result.message + " ".join(t.message for t in result.tests)
    assert words in text
    if line is not None:
        locations = [result.location] + [t.location for t in result.tests]
        assert any(loc and loc.path == "exercises/basics/add.py" and loc.line == line for loc in locations), locations
    target.write_text(GOOD)
    assert runner.run(exercise).passed, "the runner must keep working after a fault"


def test_deleted_exercise_is_reported_as_missing(runner, workspace):
    exercise = load_manifest(workspace).get("mean")
    target = workspace / "exercises" / "basics" / "mean.py"
    target.unlink()
    try:
        result = runner.run(exercise)
        assert result.status is Status.MISSING
        assert "arena reset mean" in result.message
    finally:
        sync(workspace)


def test_warm_worker_recovers_when_killed(workspace):
    import os
    import signal

    made = WarmRunner(workspace)
    try:
        assert made.wait_ready()
        os.kill(made.pid, signal.SIGKILL)
        (workspace / "exercises" / "basics" / "add.py").write_text(GOOD)
        result = made.run(load_manifest(workspace).get("add"))
        assert result.passed and result.backend == "cold"
        assert made.wait_ready(), "a new worker is started after the old one died"
        assert made.run(load_manifest(workspace).get("add")).backend == "warm"
    finally:
        made.close()
