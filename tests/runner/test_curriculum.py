"""The author check on the real course: files in sync, hints, every stub fails, every solution passes.

One warm worker serves every run, so the whole course costs about the checks' own compute.
"""

import tempfile
from pathlib import Path

import pytest

from arena_cli.devcheck import exercise_file_problems, solution_problems, static_problems, stub_problems, write_stubs
from arena_cli.manifest import load_manifest
from arena_cli.runner import WarmRunner

ROOT = Path(__file__).resolve().parents[2]
MANIFEST = load_manifest(ROOT)
EXERCISES = list(MANIFEST.exercises)
IDS = [f"{e.section}/{e.name}" for e in EXERCISES]


@pytest.fixture(scope="module")
def runner():
    made = WarmRunner(ROOT)
    made.start()
    yield made
    made.close()


@pytest.fixture(scope="module")
def stub_root():
    with tempfile.TemporaryDirectory(prefix="arena-stubs-") as folder:
        write_stubs(ROOT, MANIFEST, Path(folder))
        yield Path(folder)


def test_every_course_file_is_in_the_manifest():
    problems = [str(p) for p in static_problems(ROOT, MANIFEST)]
    assert not problems, "\n".join(problems)


def test_every_section_has_exercises():
    empty = [s.id for s in MANIFEST.sections if not MANIFEST.exercises_in(s.id)]
    assert not empty, f"sections without exercises: {empty}"


@pytest.mark.parametrize("exercise", EXERCISES, ids=IDS)
def test_exercise_file_matches_its_solution_and_has_hints(exercise):
    problems = [str(p) for p in exercise_file_problems(ROOT, exercise)]
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("exercise", EXERCISES, ids=IDS)
def test_solution_passes(runner, exercise):
    problems = [str(p) for p in solution_problems(runner, ROOT, exercise)]
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("exercise", EXERCISES, ids=IDS)
def test_untouched_stub_fails(runner, stub_root, exercise):
    problems = [str(p) for p in stub_problems(runner, exercise, stub_root)]
    assert not problems, "\n".join(problems)
