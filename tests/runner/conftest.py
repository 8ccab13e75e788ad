collect_ignore = ["fixture_course"]

import shutil
from pathlib import Path

import pytest

from arena_cli.authoring import sync

FIXTURE = Path(__file__).parent / "fixture_course"


@pytest.fixture
def course(tmp_path, monkeypatch) -> Path:
    """A fresh copy of the three-exercise fixture course, set as the workspace."""
    root = tmp_path / "course"
    shutil.copytree(FIXTURE, root, ignore=shutil.ignore_patterns(".arena", "__pycache__"))
    sync(root)
    monkeypatch.setenv("ARENA_WORKSPACE", str(root))
    monkeypatch.setenv("COLUMNS", "200")  # keep messages on one line for the assertions
    # the fixture course's checks need no torch: a light worker keeps these tests fast
    monkeypatch.setenv("ARENA_WORKER_PRELOAD", "pytest,arena_cli.testing,arena_cli.pytest_plugin")
    monkeypatch.chdir(root)
    return root


def solve(root: Path, name: str, section: str = "basics") -> None:
    """Write the reference solution into the learner's file."""
    (root / "exercises" / section / f"{name}.py").write_text((root / "solutions" / section / f"{name}.py").read_text())
