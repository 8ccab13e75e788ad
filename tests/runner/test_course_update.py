"""A learner pulls a new version of the course: done marks that apply are kept, new exercises are
told, no file they edited is touched; `arena reset --all`; a progress file of a newer format."""

import json
import shutil
from pathlib import Path

from typer.testing import CliRunner

from arena_cli import cli as cli_module
from arena_cli.cli import app
from arena_cli.course_update import Snapshot, migrate
from arena_cli.manifest import parse_manifest
from arena_cli.progress import Progress

from .conftest import solve

runner = CliRunner()

# Version 2 of the fixture course: sections reordered, "mean" renamed to "average", "add"
# removed, "square" added.
VERSION_2 = """\
format_version = 1
welcome_message = "Welcome to the fixture course."
final_message = "All done with the fixture course."

[[sections]]
id = "more"
title = "0.1 More"
reading = "exercises/more/README.md"

[[sections]]
id = "basics"
title = "0.0 Basics"
reading = "exercises/basics/README.md"

[[exercises]]
name = "clip"
section = "more"
difficulty = 3
minutes = 5

[[exercises]]
name = "square"
section = "more"
difficulty = 1
minutes = 2

[[exercises]]
name = "average"
section = "basics"
difficulty = 2
minutes = 3
renamed_from = ["mean"]
"""


def invoke(*args: str, input: str | None = None):
    return runner.invoke(app, list(args), input=input, catch_exceptions=False)


def state(root: Path) -> dict:
    return json.loads((root / ".arena/state.json").read_text())


def learner_files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted((root / "exercises").rglob("*.py"))}


def pull_version_2(root: Path) -> None:
    """What `git pull` of the new course version does: author files change; learner files stay."""
    (root / "exercises.toml").write_text(VERSION_2)
    for kind, name in (("solutions", "average.py"), ("hints", "average.md"), ("tests", "test_average.py")):
        old = "mean" + Path(name).suffix if kind != "tests" else "test_mean.py"
        shutil.copy(root / kind / "basics" / old, root / kind / "basics" / name)
    (root / "solutions/more/square.py").write_text(
        '"""Square a number."""\n\n\ndef square(x):\n    # BEGIN SOLUTION: return x squared\n    return x * x\n    # END SOLUTION\n'
    )
    (root / "tests/more/test_square.py").write_text(
        "from arena_cli.testing import load_exercise\n\nex = load_exercise(__file__)\n\n\ndef test_square():\n    assert ex.square(3) == 9\n"
    )
    (root / "hints/more/square.md").write_text("Multiply.\n---\nx * x\n")


def test_a_pulled_course_keeps_done_marks_tells_what_is_new_and_touches_no_file(course):
    solve(course, "add")
    solve(course, "mean")
    (course / "exercises/more/clip.py").write_text("# my unfinished clip\n")
    assert invoke("run", "add").exit_code == 0 and invoke("run", "mean").exit_code == 0
    invoke("hint", "mean")
    assert set(state(course)["done"]) == {"add", "mean"}
    before = learner_files(course)

    pull_version_2(course)
    listing = invoke("list")
    assert listing.exit_code == 0
    told = listing.output
    assert "new in this version of the course: square" in told
    assert "mean -> average" in told
    assert "no longer in the course: add" in told
    # the renamed exercise's file is still at its old path: said, never moved
    assert "mv exercises/basics/mean.py exercises/basics/average.py" in told
    saved = state(course)
    assert saved["done"] == ["average"] and saved["hints"] == {"average": 1}
    assert learner_files(course) == before  # no file the learner edited (or any other) was touched
    data = json.loads(invoke("list", "--json").stdout)
    assert {e["name"]: e["done"] for e in data} == {"clip": False, "square": False, "average": True}
    # said once: the next command is quiet about it
    assert "new in this version" not in invoke("list").output

    # the removed exercise comes back in a later version: its done mark returns
    manifest = (course / "exercises.toml").read_text()
    (course / "exercises.toml").write_text(
        manifest + '\n[[exercises]]\nname = "add"\nsection = "basics"\ndifficulty = 1\nminutes = 2\n'
    )
    again = invoke("list")
    assert "back in the course, done again: add" in again.output
    assert set(state(course)["done"]) == {"average", "add"}


def test_migrate_is_pure_and_keeps_hints_and_current():
    manifest = parse_manifest(
        {
            "format_version": 1,
            "welcome_message": "w",
            "final_message": "f",
            "sections": [{"id": "s", "title": "S", "reading": "r.md"}],
            "exercises": [
                {"name": "b", "section": "s", "difficulty": 1, "minutes": 1, "renamed_from": ["a"]},
                {"name": "c", "section": "s", "difficulty": 1, "minutes": 1},
            ],
        }
    )
    progress = Progress(done=frozenset({"a", "gone"}), current="a", hints={"a": 2, "gone": 1})
    migrated, kept, changes = migrate(manifest, progress, Snapshot({"a": "s", "gone": "s"}))
    assert migrated == Progress(done=frozenset({"b"}), current="b", hints={"b": 2})
    assert kept.retired_done == {"gone"} and kept.retired_hints == {"gone": 1}
    assert changes.new == ("c",) and changes.renamed == (("a", "b"),) and changes.removed == ("gone",)
    # the first time a workspace is seen nothing is "new"
    assert migrate(manifest, Progress(), None)[2].new == ()


def test_a_newer_progress_file_is_reported_kept_and_not_overwritten(course):
    invoke("list")  # records the course
    newer = '{"version": 99, "done": ["add"], "future": true}\n'
    (course / ".arena/state.json").write_text(newer)
    pull_version_2(course)
    result = invoke("list")
    assert result.exit_code == 2 and "newer arena" in result.output
    assert invoke("hint", "clip").exit_code == 2
    assert (course / ".arena/state.json").read_text() == newer


def test_reset_all_backs_up_everything_once_and_asks_first(course, monkeypatch):
    solve(course, "add")
    (course / "exercises/more/clip.py").write_text("# my clip\n")
    assert invoke("run", "add").exit_code == 0
    untouched = (course / "exercises/basics/mean.py").read_bytes()

    refused = invoke("reset", "--all")  # no terminal to ask on: refuses, changes nothing
    assert refused.exit_code == 2 and "--yes" in refused.output
    assert (course / "exercises/more/clip.py").read_text() == "# my clip\n"

    monkeypatch.setattr(cli_module, "_stdin_is_terminal", lambda: True)
    assert invoke("reset", "--all", input="n\n").exit_code == 1
    assert (course / "exercises/more/clip.py").read_text() == "# my clip\n"

    done = invoke("reset", "--all", input="y\n")
    assert done.exit_code == 0 and "Restored 2 exercise files" in done.output
    (backup,) = (course / ".arena/backups").iterdir()  # one folder for everything replaced
    assert backup.name.startswith("all-")
    kept = {p.relative_to(backup).as_posix(): p.read_text() for p in backup.rglob("*.py")}
    assert kept == {
        "exercises/basics/add.py": (course / "solutions/basics/add.py").read_text(),
        "exercises/more/clip.py": "# my clip\n",
    }
    assert "NotImplementedError" in (course / "exercises/more/clip.py").read_text()
    assert (course / "exercises/basics/mean.py").read_bytes() == untouched
    assert state(course)["done"] == [] and state(course)["current"] is None
    assert invoke("reset", "add", "--all", "--yes").exit_code == 2
