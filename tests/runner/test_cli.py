"""Every command through Typer's CliRunner, on the fixture course."""

import json

import pytest
from typer.testing import CliRunner

from arena_cli.cli import app
from arena_cli.state import state_path
from tests.runner.conftest import solve

cli = CliRunner()


def invoke(*args: str, input: str | None = None):
    return cli.invoke(app, list(args), input=input, catch_exceptions=False)


def test_list_groups_by_section_and_shows_progress(course):
    solve(course, "add")
    assert invoke("run", "add").exit_code == 0
    result = invoke("list")
    assert result.exit_code == 0
    out = result.output
    assert out.index("0.0 Basics") < out.index("add") < out.index("mean") < out.index("0.1 More") < out.index("clip")
    assert "1/3" in out and "done" in out and "> current" in out


def test_list_json(course):
    solve(course, "add")
    invoke("run", "add")
    data = json.loads(invoke("list", "--json").output)
    assert [(d["name"], d["section"], d["path"], d["done"]) for d in data] == [
        ("add", "basics", "exercises/basics/add.py", True),
        ("mean", "basics", "exercises/basics/mean.py", False),
        ("clip", "more", "exercises/more/clip.py", False),
    ]


def test_hint_reveals_one_level_per_call_then_all(course):
    first = invoke("hint", "mean")
    assert "hint 1/2" in first.output and "Think about it" in first.output and "Look at the docstring" not in first.output
    second = invoke("hint", "mean")
    assert "hint 2/2" in second.output and "Look at the docstring" in second.output
    assert json.loads(state_path(course).read_text())["hints"] == {"mean": 2}
    assert "hint 2/2" in invoke("hint", "clip", "--all").output


def test_unknown_name_suggests_the_closest(course):
    result = invoke("hint", "maen")
    assert result.exit_code == 2
    assert 'no exercise is named "maen"; did you mean mean?' in result.output


def test_run_exit_codes_and_failure_details(course):
    failing = invoke("run", "add")
    assert failing.exit_code == 1
    assert "NOT STARTED" in failing.output and "exercises/basics/add.py:5" in failing.output
    (course / "exercises/basics/add.py").write_text("def add(a, b):\n    return a - b\n")
    wrong = invoke("run", "add")
    assert wrong.exit_code == 1
    assert "FAILED  2 of 2 checks" in wrong.output
    assert "add(2, 3) returned -1, expected 5" in wrong.output
    assert "tests/basics/test_add.py:" in wrong.output
    solve(course, "add")
    assert invoke("run", "add").exit_code == 0


def test_verify_runs_everything_and_exits_1_while_pending(course):
    solve(course, "add")
    result = invoke("verify")
    assert result.exit_code == 1
    assert "ok   add" in result.output and "FAIL mean" in result.output and "2 of 3 exercises still pending" in result.output
    solve(course, "mean")
    solve(course, "clip", section="more")
    done = invoke("verify")
    assert done.exit_code == 0 and "All done with the fixture course" in done.output


def test_reset_backs_up_and_restores(course):
    target = course / "exercises/basics/add.py"
    original = target.read_text()
    target.write_text("my work\n")
    assert invoke("reset", "add", input="n\n").exit_code != 0 or target.read_text() == "my work\n"
    result = invoke("reset", "add", "--yes")
    assert result.exit_code == 0
    assert target.read_text() == original
    backups = list((course / ".arena" / "backups").glob("add-*.py"))
    assert len(backups) == 1 and backups[0].read_text() == "my work\n"


def test_reset_brings_back_a_deleted_file(course):
    target = course / "exercises/basics/mean.py"
    target.unlink()
    missing = invoke("run", "mean")
    assert missing.exit_code == 1 and "arena reset mean" in missing.output
    assert invoke("reset", "mean", "--yes").exit_code == 0 and target.exists()


def test_solution_only_when_done_or_forced(course):
    refused = invoke("solution", "add")
    assert refused.exit_code == 2 and "not done yet" in refused.output
    assert "a + b" in invoke("solution", "add", "--force").output
    solve(course, "add")
    invoke("run", "add")
    assert "a + b" in invoke("solution", "add").output


def test_read_renders_the_section_page(course):
    assert "Some reading" in invoke("read", "basics").output
    assert "More reading" in invoke("read", "0.1").output
    bad = invoke("read", "nope")
    assert bad.exit_code == 2 and "sections: basics, more" in bad.output


def test_malformed_manifest_is_one_line_and_exit_2(course):
    manifest = course / "exercises.toml"
    manifest.write_text(manifest.read_text().replace("difficulty = 2", "dificulty = 2"))
    result = invoke("list")
    assert result.exit_code == 2
    assert 'unknown key "dificulty"; did you mean "difficulty"?' in result.output
    assert "Traceback" not in result.output


def test_outside_the_workspace(tmp_path, monkeypatch):
    monkeypatch.delenv("ARENA_WORKSPACE", raising=False)
    monkeypatch.chdir(tmp_path)
    result = invoke("list")
    assert result.exit_code == 2 and "no arena course here" in result.output and "exercises.toml" in result.output


def test_damaged_progress_is_reported_kept_and_rebuilt_by_verify(course):
    solve(course, "add")
    invoke("run", "add")
    state_path(course).write_text("{ garbage")
    listing = invoke("list")
    assert listing.exit_code == 0 and "damaged" in listing.output
    assert list(state_path(course).parent.glob("state.json.damaged-*"))
    invoke("verify")
    data = json.loads(invoke("list", "--json").output)
    assert [d["name"] for d in data if d["done"]] == ["add"]


def test_dev_sync_and_quick_check(course):
    (course / "exercises/basics/add.py").write_text("drift\n")
    check = invoke("dev", "check", "--quick")
    assert check.exit_code == 1 and "run `arena dev sync`" in check.output
    assert "1 exercise file(s) written" in invoke("dev", "sync").output
    assert invoke("dev", "check", "--quick").exit_code == 0


@pytest.mark.parametrize("broken, words", [
    ("stub-passes", "the untouched stub passes"),
    ("solution-fails", "the reference solution does not pass"),
])
def test_dev_check_runs_solutions_and_stubs(course, broken, words):
    if broken == "stub-passes":
        (course / "tests/more/test_clip.py").write_text("def test_nothing():\n    assert True\n")
    else:
        path = course / "solutions/more/clip.py"
        path.write_text(path.read_text().replace("max(low, min(high, value))", "value"))
        invoke("dev", "sync")
    result = invoke("dev", "check", "--section", "more")
    assert result.exit_code == 1 and words in result.output


def test_doctor_reports_each_check(course):
    result = invoke("doctor")
    for name in ("python", "torch", "transformer_lens", "workspace", "offline", "watch"):
        assert name in result.output
    assert str(course) in result.output


def test_run_show_draws_the_checks_pictures(course):
    (course / "exercises/more/clip.py").write_text((course / "solutions/more/clip.py").read_text())
    result = invoke("run", "clip", "--show")
    assert result.exit_code == 0
    assert "clip picture" in result.output and "clip scores" in result.output and "0.90 *" in result.output
    assert "clip picture" not in invoke("run", "clip").output


def test_dev_check_names_orphan_files_with_brackets_intact(course):
    (course / "solutions/more/stray.py").write_text("x = 1\n")
    result = invoke("dev", "check", "--quick")
    assert result.exit_code == 1 and "add an [[exercises]] entry" in result.output


def test_zoo_lists_every_model_with_size_and_sections(course):
    from arena_cli.zoo import names

    result = invoke("zoo")
    assert result.exit_code == 0
    for name in names():
        assert name in result.output
    assert "missing" not in result.output and "1.2 TransformerLens" in result.output


def test_zoo_train_unknown_model_is_one_clear_line(course):
    result = invoke("dev", "zoo", "train", "nosuch")
    assert result.exit_code == 1 and "unknown zoo model 'nosuch'" in result.output and "Traceback" not in result.output


@pytest.mark.parametrize("args", [["list"], ["hint", "mean"], ["hint"], ["--help"], ["list", "--json"]])
def test_read_only_commands_import_neither_torch_nor_pydantic(course, args):
    # Their start-up time is a target (<= 250 ms, `arena dev bench`); torch costs ~1.5 s and
    # pydantic (pulled in by Typer's coercion of an untouched parameter) ~60 ms.
    import os
    import subprocess
    import sys

    probe = (
        "import sys\n"
        "from arena_cli.cli import app\n"
        f"try:\n    app({args!r})\nexcept SystemExit:\n    pass\n"
        "print('IMPORTED', sorted(m for m in ('torch', 'pydantic', 'transformer_lens') if m in sys.modules))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=course, env=dict(os.environ, ARENA_WORKSPACE=str(course)), capture_output=True, text=True, timeout=60
    )
    assert "IMPORTED []" in done.stdout, done.stdout[-400:] + done.stderr[-400:]
    assert "usage" in done.stdout.lower() or "mean" in done.stdout or "add" in done.stdout
