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


# Never "done" unless pytest exited 0 and every check ran its call phase and passed: each of
# these wraps a correct answer (or none) in something that used to be shown as PASSED.
# (code, status, words in the messages, learner's line or None)
FALSE_PASSES = {
    "pytest-skip": (HEADER + "import pytest\ndef add(a, b):\n    pytest.skip('x')\n", Status.FAILED, "your code called pytest.skip('x')", 4),
    "pytest-xfail": (HEADER + "import pytest\ndef add(a, b):\n    pytest.xfail('x')\n", Status.FAILED, "your code called pytest.xfail('x')", 4),
    "keyboard-interrupt": (HEADER + "def add(a, b):\n    raise KeyboardInterrupt\n", Status.FAILED, "raised KeyboardInterrupt", 3),
    "pytest-exit-0": (
        HEADER + "import pytest\ndef add(a, b):\n    pytest.exit('x', returncode=0)\n",
        Status.FAILED,
        "your code called pytest.exit('x')",
        4,
    ),
    "sigint-to-itself": (
        HEADER + "import os, signal\ndef add(a, b):\n    os.kill(os.getpid(), signal.SIGINT)\n    return a + b\n",
        Status.FAILED,
        "KeyboardInterrupt",
        4,
    ),
    "pytest-internal-error": (
        HEADER + "import _pytest.main\ndef add(a, b):\n    _pytest.main.Session.shouldfail = property(lambda self: 1 / 0)\n    return a + b\n",
        Status.FAILED,
        "pytest itself failed after your code ran",
        None,
    ),
    "sys-exit-0-at-import": (HEADER + "import sys\nsys.exit(0)\n", Status.BROKEN, "your exercise file calls sys.exit(0) when it is imported", 3),
    "skip-module-at-import": (
        HEADER + "import pytest\npytest.skip('x', allow_module_level=True)\n",
        Status.BROKEN,
        "your exercise file calls pytest.skip('x') when it is imported",
        3,
    ),
}

# What the learner's code prints or raises reaches the learner as data, never as a crash.
MESSAGES = {
    "ansi-in-output-and-message": (
        HEADER + "def add(a, b):\n    print('\\x1b[2J\\x1b[H')\n    raise ValueError('\\x1b[31mboom')\n",
        Status.FAILED,
        "ValueError: \\x1b[31mboom",
        4,
    ),
    "str-of-exception-raises": (
        HEADER + "class Odd(Exception):\n    def __str__(self):\n        raise RuntimeError('no')\ndef add(a, b):\n    raise Odd()\n",
        Status.FAILED,
        "Odd.__str__ raised RuntimeError",
        6,
    ),
    "large-file-write": (
        HEADER + "def add(a, b):\n    with open('big.bin', 'wb') as out:\n        out.write(b'x' * (20 * 2**20))\n",
        Status.FAILED,
        "your code wrote a file larger than a run allows",
        4,
    ),
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


@pytest.mark.parametrize("fault", [*FALSE_PASSES, *MESSAGES], ids=[*FALSE_PASSES, *MESSAGES])
def test_no_false_pass_and_a_message_that_names_it(runner, workspace, fault):
    code, status, words, line = {**FALSE_PASSES, **MESSAGES}[fault]
    exercise = dataclasses.replace(load_manifest(workspace).get("add"), timeout=5)
    target = workspace / "exercises" / "basics" / "add.py"
    target.write_text(code)
    try:
        result = runner.run(exercise)
    finally:
        (workspace / "big.bin").unlink(missing_ok=True)
        target.write_text(GOOD)
    assert not result.passed
    assert result.status is status, (result.status, result.message, [t.message for t in result.tests])
    text = result.message + " ".join(t.message for t in result.tests)
    assert words in text, text
    if status is Status.FAILED:
        assert len(result.tests) >= 2, "every collected check is counted, none disappears"
    if line is not None:
        locations = [result.location] + [t.location for t in result.tests]
        assert any(loc and loc.path == "exercises/basics/add.py" and loc.line == line for loc in locations), locations
    shown = text + result.output + " ".join(t.output for t in result.tests)
    assert "\x1b" not in shown, "terminal escapes from the learner's code are shown escaped, never obeyed"


@pytest.mark.parametrize(
    "report, words",
    [
        ({"tests": [{"name": "t", "outcome": "passed"}, {"name": "u"}], "exitstatus": 0}, "recorded no result"),
        ({"tests": [{"name": "t", "outcome": "passed"}], "exitstatus": 2}, "interrupted (pytest exit status 2)"),
        ({"tests": [{"name": "t", "outcome": "passed"}], "exitstatus": 3}, "internal error"),
        ({"tests": [{"name": "t", "outcome": "skipped"}], "exitstatus": 0}, "recorded no result"),
        ({"tests": [{"name": "t", "outcome": "passed"}], "exitstatus": 0, "stopped": {"message": "your code called pytest.exit('x')"}}, "pytest.exit"),
    ],
    ids=["missing-outcome", "exit-status-2", "exit-status-3", "unknown-outcome", "stopped-with-status-0"],
)
def test_done_needs_exit_0_and_every_check_passed(report, words):
    from arena_cli.results import from_report

    result = from_report("add", report, wall_time=0.0, backend="warm")
    assert not result.passed and words in " ".join(t.message for t in result.tests)


def test_the_process_exit_code_counts_even_when_the_report_says_0(tmp_path):
    import json

    from arena_cli.child import RunRequest
    from arena_cli.runner import ExitInfo, interpret

    report = tmp_path / "report.json"
    report.write_text(json.dumps({"tests": [{"name": "t", "outcome": "passed"}], "exitstatus": 0}))
    request = RunRequest(str(tmp_path), "t.py", "e.py", str(report), str(tmp_path / "o"), str(tmp_path / "s"), 3.0)
    exercise = load_manifest(FIXTURE).get("add")
    assert not interpret(exercise, request, ExitInfo(returncode=3), wall_time=0.0, backend="warm").passed
    assert interpret(exercise, request, ExitInfo(returncode=0), wall_time=0.0, backend="warm").passed
