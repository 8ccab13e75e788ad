"""The warm worker serves the first run before it has finished warming, imports what that run
needs first, and names the preload modules that fail (to the runner and to `arena doctor`)."""

import json
import time

import pytest

from arena_cli import doctor, worker
from arena_cli.child import RunRequest
from arena_cli.manifest import load_manifest
from arena_cli.results import Status
from arena_cli.runner import WarmRunner
from tests.runner.conftest import solve

LIGHT = "pytest,arena_cli.testing,arena_cli.pytest_plugin"


def request_for(root, test_file, exercise_file):
    return RunRequest(str(root), str(test_file), str(exercise_file), "", "", "", 1.0)


def test_needed_first_reads_the_check_its_conftests_and_the_exercise(tmp_path):
    (tmp_path / "tests" / "sec").mkdir(parents=True)
    (tmp_path / "exercises" / "sec").mkdir(parents=True)
    (tmp_path / "tests" / "conftest.py").write_text("import hypothesis\n")
    (tmp_path / "tests" / "sec" / "conftest.py").write_text("from einops import rearrange\n")
    check = tmp_path / "tests" / "sec" / "test_x.py"
    check.write_text("import torch\nfrom arena_cli.course import transformer\nimport my_helpers\n\ndef test():\n    import numpy\n")
    exercise = tmp_path / "exercises" / "sec" / "x.py"
    exercise.write_text("import jaxtyping\nimport learners_own_module\nfrom . import sibling\n")
    names = worker.needed_first(request_for(tmp_path, check, exercise), list(worker.PRELOAD))
    for wanted in ("torch", "arena_cli.course", "arena_cli.course.transformer", "numpy", "jaxtyping", "einops", "hypothesis"):
        assert wanted in names
    # never a module outside the preload list's packages (the learner's own, a local helper)
    assert not {"my_helpers", "learners_own_module", "sibling"} & set(names)
    assert "transformer_lens" not in names  # not imported by these files: left for later
    assert names.index("torch") < names.index("numpy")  # in the order the files name them


def test_needed_first_survives_unreadable_and_broken_files(tmp_path):
    check = tmp_path / "test_x.py"
    check.write_text("def broken(:\n")
    assert worker.needed_first(request_for(tmp_path, check, tmp_path / "missing.py"), list(worker.PRELOAD)) == []


@pytest.fixture
def slow_and_broken(tmp_path, monkeypatch):
    """Two preload modules: one that takes 30 s to import, one that fails."""
    extra = tmp_path / "extra"
    extra.mkdir()
    (extra / "arena_slow_mod.py").write_text("import time\ntime.sleep(30)\n")
    (extra / "arena_broken_mod.py").write_text("raise ImportError('this optional package is broken')\n")
    monkeypatch.setenv("PYTHONPATH", str(extra))
    return extra


def test_first_verdict_does_not_wait_for_the_preload(course, slow_and_broken, monkeypatch):
    monkeypatch.setenv("ARENA_WORKER_PRELOAD", f"arena_broken_mod,{LIGHT},arena_slow_mod")
    solve(course, "add")
    exercise = next(e for e in load_manifest(course).exercises if e.name == "add")
    runner = WarmRunner(course)
    start = time.perf_counter()
    runner.start()
    try:
        result = runner.run(exercise)
        elapsed = time.perf_counter() - start
        assert result.status is Status.PASSED and result.backend == "warm", result.message
        assert elapsed < 20, f"the first verdict took {elapsed:.1f} s: it waited for the 30 s preload"
        assert not runner.warm_info  # still warming (importing the slow module)
    finally:
        runner.close()


def test_warm_message_names_the_module_that_failed(course, slow_and_broken, monkeypatch):
    monkeypatch.setenv("ARENA_WORKER_PRELOAD", f"{LIGHT},arena_broken_mod")
    solve(course, "add")
    exercise = next(e for e in load_manifest(course).exercises if e.name == "add")
    runner = WarmRunner(course)
    try:
        assert runner.run(exercise).status is Status.PASSED
        assert runner.wait_warm(timeout=60)
        assert runner.warm_info["preload_failed"] == ["arena_broken_mod"]
        again = runner.run(exercise)  # once warm, runs go on as before
        assert again.status is Status.PASSED and again.backend == "warm"
    finally:
        runner.close()


def test_doctor_names_the_preload_module_that_fails(slow_and_broken, monkeypatch):
    monkeypatch.setenv("ARENA_WORKER_PRELOAD", "json,arena_broken_mod")
    check = doctor._preload_check()
    assert not check.ok
    assert "arena_broken_mod" in check.detail and "this optional package is broken" in check.detail
    monkeypatch.setenv("ARENA_WORKER_PRELOAD", "json")
    assert doctor._preload_check().ok


def test_check_preload_reports_json(slow_and_broken, monkeypatch, capsys):
    monkeypatch.setenv("ARENA_WORKER_PRELOAD", "json,arena_broken_mod")
    failed = worker.check_preload()
    assert [item["module"] for item in failed] == ["arena_broken_mod"]
    json.dumps(failed)
