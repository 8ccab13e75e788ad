"""`arena run NAME --json` and `arena verify --json`: one JSON document on stdout."""

import json

from typer.testing import CliRunner

from arena_cli.cli import app
from arena_cli.json_results import RESULTS_VERSION, results_document
from arena_cli.manifest import Exercise
from arena_cli.results import Location, Outcome, RunResult, Status, TestOutcome

from .conftest import solve

cli = CliRunner()


def invoke(*args: str):
    return cli.invoke(app, list(args), catch_exceptions=False)


def test_run_json_of_a_failing_exercise_names_every_check(course):
    (course / "exercises/basics/add.py").write_text("def add(a, b):\n    return a - b\n")
    result = invoke("run", "add", "--json")
    assert result.exit_code == 1
    document = json.loads(result.stdout)  # stdout holds the document and nothing else
    assert document["version"] == RESULTS_VERSION and document["command"] == "run"
    assert document["status"] == "fail" and (document["passed"], document["total"]) == (0, 1)
    (entry,) = document["exercises"]
    assert entry["name"] == "add" and entry["path"] == "exercises/basics/add.py" and entry["status"] == "fail"
    assert entry["result"] == "failed" and entry["not_started"] is False
    names = {test["name"] for test in entry["tests"]}
    assert names == {"test_adds_small_numbers", "test_adds_negative_numbers"}
    small = next(t for t in entry["tests"] if t["name"] == "test_adds_small_numbers")
    assert small["status"] == "fail" and "add(2, 3) returned -1, expected 5" in small["message"]
    assert small["file"] == "tests/basics/test_add.py" and isinstance(small["line"], int) and small["line"] > 0
    assert isinstance(small["duration"], float) and small["duration"] >= 0


def test_run_json_of_a_passing_exercise(course):
    solve(course, "add")
    result = invoke("run", "add", "--json")
    assert result.exit_code == 0
    document = json.loads(result.stdout)
    assert document["status"] == "pass" and document["passed"] == 1
    assert all(test["status"] == "pass" and test["message"] is None for test in document["exercises"][0]["tests"])


def test_run_json_of_a_broken_file_is_an_error_with_its_location(course):
    (course / "exercises/basics/add.py").write_text("def add(a, b)\n    return a + b\n")
    document = json.loads(invoke("run", "add", "--json").stdout)
    entry = document["exercises"][0]
    assert document["status"] == "error" and entry["result"] == "broken"
    assert entry["file"] == "exercises/basics/add.py" and entry["line"] == 1 and entry["message"]


def test_verify_json_lists_every_exercise_in_course_order(course):
    solve(course, "add")
    result = invoke("verify", "--json")
    assert result.exit_code == 1
    document = json.loads(result.stdout)
    assert document["command"] == "verify" and document["total"] == 3 and document["passed"] == 1
    assert [e["name"] for e in document["exercises"]] == ["add", "mean", "clip"]
    assert [e["status"] for e in document["exercises"]] == ["pass", "fail", "fail"]
    assert document["exercises"][1]["not_started"] is True


def test_document_from_values():
    exercise = Exercise("add", "basics", 1, 2)
    timeout = RunResult("add", Status.TIMEOUT, message="ran past 20 s", wall_time=20.5)
    failed = RunResult(
        "add",
        Status.FAILED,
        tests=(TestOutcome("t", Outcome.ERROR, "setup broke", Location("tests/basics/test_add.py", 3), 0.25),),
    )
    document = results_document([(exercise, timeout), (exercise, failed)], command="verify")
    assert document["status"] == "error"
    assert document["exercises"][0]["status"] == "error" and document["exercises"][0]["duration"] == 20.5
    test = document["exercises"][1]["tests"][0]
    assert (test["status"], test["file"], test["line"], test["duration"]) == ("error", "tests/basics/test_add.py", 3, 0.25)
    json.dumps(document)  # plain data throughout
