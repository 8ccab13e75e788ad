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
    monkeypatch.chdir(root)
    return root


def solve(root: Path, name: str, section: str = "basics") -> None:
    """Write the reference solution into the learner's file."""
    (root / "exercises" / section / f"{name}.py").write_text((root / "solutions" / section / f"{name}.py").read_text())
