"""The wrong-answer bank (tests/wrong_answers/): every entry is rejected by its exercise's checks,
and every entry with a `# NAMED:` line gets a failure message containing that text.

All selected entries run once, up front, through `arena_cli.bank.run_bank` (warm workers,
`ARENA_BANK_JOBS` of them in parallel); each parametrised test then reads its verdict. The first
tests check the bank machinery itself on the small fixture course.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from arena_cli import bank
from arena_cli.cli import app
from arena_cli.manifest import load_manifest

ROOT = Path(__file__).resolve().parents[2]
MANIFEST = load_manifest(ROOT)
ENTRIES = bank.find_entries(ROOT)


# ---- the machinery, on the fixture course -------------------------------------------------


def test_parse_header_reads_mistake_and_named():
    assert bank.parse_header("# MISTAKE: off by one\n# NAMED: Likely mistake: off\nx = 1\n") == (
        "off by one", "Likely mistake: off", None)
    assert bank.parse_header("# MISTAKE: off by one\nx = 1\n") == ("off by one", None, None)
    assert bank.parse_header('"""doc"""\n')[2].startswith("the first line must be")
    assert bank.parse_header("# MISTAKE:\n")[2].startswith("the first line must be")
    assert bank.parse_header("# MISTAKE: m\n# NAMED:\n")[2].startswith("the second line must be")


def test_fixture_bank_is_complete_and_rejected(course):
    manifest = load_manifest(course)
    assert bank.static_problems(course, manifest) == []
    verdicts = bank.run_bank(course, manifest, bank.find_entries(course), jobs=1)
    assert len(verdicts) == 9
    assert all(v.rejected and not v.problems() for v in verdicts), [v.problems() for v in verdicts]
    assert {v.entry.slug for v in verdicts if v.named} == {"subtracts", "multiplies", "n_minus_one", "sum_only"}


def test_static_problems_name_each_kind(course):
    folder = course / "tests/wrong_answers/more/clip"
    (folder / "unclipped.py").unlink()
    (folder / "bad_header.py").write_text('"""no header"""\n' + (course / "solutions/more/clip.py").read_text())
    (folder / "same.py").write_text("# MISTAKE: none at all\n" + (course / "solutions/more/clip.py").read_text())
    stray = course / "tests/wrong_answers/more/nosuch/x.py"
    stray.parent.mkdir()
    stray.write_text("# MISTAKE: x\n")
    problems = dict(bank.static_problems(course, load_manifest(course)))
    assert "first line must be" in problems["tests/wrong_answers/more/clip/bad_header.py"]
    assert "identical to the solution" in problems["tests/wrong_answers/more/clip/same.py"]
    assert "no such exercise" in problems["tests/wrong_answers/more/nosuch/x.py"]
    (folder / "same.py").unlink()
    (folder / "bad_header.py").unlink()
    problems = dict(bank.static_problems(course, load_manifest(course)))
    assert "has 2 entries; add at least 3" in problems["clip"]


def test_dev_check_reports_a_passing_entry_and_a_missing_name(course):
    folder = course / "tests/wrong_answers/more/clip"
    solution = (course / "solutions/more/clip.py").read_text()
    # passes the fixture's checks, which never clip from below
    (folder / "no_lower_bound.py").write_text("# MISTAKE: forgets the lower bound\n" + solution.replace("max(low, min(high, value))", "min(high, value)"))
    shutil.copyfile(folder / "unclipped.py", folder / "unclipped_named.py")
    text = (folder / "unclipped_named.py").read_text().splitlines(keepends=True)
    (folder / "unclipped_named.py").write_text(text[0] + "# NAMED: a sentence the check never says\n" + "".join(text[1:]))
    result = CliRunner().invoke(app, ["dev", "check", "--section", "more"])
    assert result.exit_code == 1
    assert "no_lower_bound: the wrong answer passes the checks" in result.output
    assert "lacks the NAMED text 'a sentence the check never says'" in result.output
    assert "wrong-answer bank: 5 entries, 4 rejected" in result.output
    skipped = CliRunner().invoke(app, ["dev", "check", "--section", "more", "--no-bank"])
    assert skipped.exit_code == 0 and "bank not run" in skipped.output


# ---- the course's own bank ----------------------------------------------------------------


def test_bank_layout_and_counts():
    problems = [f"{where}: {what}" for where, what in bank.static_problems(ROOT, MANIFEST)]
    assert not problems, "\n".join(problems)


@pytest.fixture(scope="module")
def verdicts(request):
    """Run every bank entry this session selected, once, in parallel warm workers."""
    selected = [
        item.callspec.params["entry"]
        for item in request.session.items
        if getattr(item, "callspec", None) is not None and "entry" in item.callspec.params
        and item.originalname == "test_wrong_answer_is_rejected"
    ]
    return {v.entry.id: v for v in bank.run_bank(ROOT, MANIFEST, selected)}


@pytest.mark.parametrize("entry", ENTRIES, ids=[e.id for e in ENTRIES])
def test_wrong_answer_is_rejected(verdicts, entry):
    assert entry.header_problem is None, entry.header_problem
    verdict = verdicts[entry.id]
    problems = verdict.problems()
    assert not problems, f"{entry.id}: " + "; ".join(problems)
