"""`arena dev bench`'s start-to-first-verdict measure, on the light fixture course."""

import io
import json

from rich.console import Console

from arena_cli import bench
from arena_cli.manifest import load_manifest


def test_first_verdicts_measures_watch_run_and_cold_pytest_side_by_side(course):
    exercise = next(e for e in load_manifest(course).exercises if e.name == "add")
    figures = bench.first_verdicts(course, {"plain": exercise}, runs=1)
    json.dumps(figures)  # what --json carries
    entry = figures["exercises"]["plain"]
    assert entry["exercise"] == "add" and entry["verdict"] == "passed warm"  # the reference solution, warm path
    for key in ("first_verdict", "arena_run", "cold_pytest"):
        assert entry[key]["runs"] == 1 and entry[key]["median_ms"] > 0
    assert entry["target_s"] == bench.TARGETS["first_verdict_plain_s"]
    assert len(figures["load_average"]["before"]) == 3
    figures["runs"] = 1
    out = io.StringIO()
    Console(file=out, width=100).print(bench.first_verdict_view(figures))
    text = out.getvalue()
    assert "arena watch -> first verdict" in text and "<= 3" in text and "load average" in text
    assert (course / "exercises/basics/add.py").read_text() != (course / "solutions/basics/add.py").read_text()  # learner's file untouched
