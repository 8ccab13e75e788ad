"""`arena dev check`: the whole course is consistent, every stub fails, every solution passes,
and every entry of the wrong-answer bank (`arena_cli.bank`) is rejected (and named where it says so)."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console
from rich.markup import escape

from arena_cli.authoring import expected_stub
from arena_cli.errors import ManifestError
from arena_cli.hints import read_levels
from arena_cli.manifest import Exercise, Manifest, load_manifest
from arena_cli.results import Status
from arena_cli.runner import Runner
from arena_cli.stubs import MarkerError, make_stub

MIN_HINT_LEVELS = 2


@dataclass(frozen=True)
class Problem:
    where: str
    what: str

    def __str__(self) -> str:
        return f"{self.where}: {self.what}"


def static_problems(root: Path, manifest: Manifest) -> list[Problem]:
    """Everything that can be checked without running code."""
    problems: list[Problem] = []
    known = {(e.section, e.name) for e in manifest.exercises}
    for folder, pattern, strip in (("solutions", "*/*.py", ""), ("tests", "*/test_*.py", "test_")):
        for path in sorted((root / folder).glob(pattern)):
            if path.parent.name == "runner" or path.name.startswith("_"):
                continue
            if (path.parent.name, path.stem[len(strip):]) not in known:
                problems.append(Problem(str(path.relative_to(root)), "not listed in exercises.toml; add an [[exercises]] entry or remove the file"))
    for exercise in manifest.exercises:
        problems.extend(exercise_file_problems(root, exercise))
    return problems


def exercise_file_problems(root: Path, exercise: Exercise) -> list[Problem]:
    problems: list[Problem] = []
    solution = root / exercise.solution_path
    try:
        stub = make_stub(solution.read_text(encoding="utf-8"), source=str(exercise.solution_path))
    except MarkerError as error:
        return [Problem(exercise.name, str(error))]
    if stub.blocks == 0:
        problems.append(Problem(exercise.name, f"{exercise.solution_path} has no # BEGIN SOLUTION block: nothing for the learner to write"))
    learner = root / exercise.path
    if not learner.exists() or learner.read_text(encoding="utf-8") != stub.text:
        problems.append(Problem(exercise.name, f"{exercise.path} differs from the stub generated from its solution; run `arena dev sync`"))
    levels = read_levels(root / exercise.hint_path)
    if len(levels) < MIN_HINT_LEVELS:
        problems.append(Problem(exercise.name, f"{exercise.hint_path} has {len(levels)} hint level(s); write at least {MIN_HINT_LEVELS}, separated by a line holding only ---"))
    return problems


def write_stubs(root: Path, manifest: Manifest, target: Path) -> None:
    """Pristine stubs of every exercise under `target/<section>/<name>.py`."""
    for exercise in manifest.exercises:
        path = target / exercise.section / f"{exercise.name}.py"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(expected_stub(root, root / exercise.solution_path), encoding="utf-8")


def solution_problems(runner: Runner, root: Path, exercise: Exercise) -> list[Problem]:
    result = runner.run(exercise, exercise_root=root / "solutions")
    if result.passed:
        return []
    detail = result.message or "; ".join(f"{t.name}: {t.message.splitlines()[0] if t.message else ''}" for t in result.failures[:3])
    return [Problem(exercise.name, f"the reference solution does not pass its checks ({result.status.value}): {detail}")]


def stub_problems(runner: Runner, exercise: Exercise, stub_root: Path) -> list[Problem]:
    result = runner.run(exercise, exercise_root=stub_root)
    if result.status is Status.FAILED:
        return []
    if result.status is Status.PASSED:
        return [Problem(exercise.name, "the untouched stub passes its checks: they test nothing the learner writes")]
    return [Problem(exercise.name, f"the untouched stub should fail its checks cleanly, but the run was {result.status.value}: {result.message}")]


def bank_static_problems(root: Path, manifest: Manifest, *, section: str | None = None) -> list[Problem]:
    """Bank problems found without running: too few entries, malformed first lines, strays."""
    from arena_cli import bank

    return [Problem(where, what) for where, what in bank.static_problems(root, manifest, section=section)]


def bank_run_problems(root: Path, manifest: Manifest, *, section: str | None = None, out: Console | None = None) -> list[Problem]:
    """Run every bank entry (of one section) through warm workers: each must be rejected, and
    named where its second line says so."""
    from arena_cli import bank

    entries = bank.find_entries(root, section=section)

    def report(verdict: "bank.Verdict") -> None:
        if out is not None:
            mark = "[red]x[/red]" if verdict.problems() else ("[green]named[/green]" if verdict.named else "[green]ok[/green]")
            out.print(f"{mark} bank {escape(verdict.entry.id)}", highlight=False)

    verdicts = bank.run_bank(root, manifest, entries, on_verdict=report)
    problems = [Problem(f"{BANK_PREFIX}{v.entry.id}", what) for v in verdicts for what in v.problems()]
    if out is not None and verdicts:
        named = sum(v.named for v in verdicts)
        rejected = sum(v.rejected for v in verdicts)
        out.print(f"wrong-answer bank: {len(verdicts)} entries, {rejected} rejected, {named} named")
    return problems


BANK_PREFIX = "tests/wrong_answers/"


def run_dev_check(
    root: Path, out: Console, *, section: str | None = None, run_checks: bool = True, run_bank: bool = True
) -> list[Problem]:
    try:
        manifest = load_manifest(root)
    except ManifestError as error:
        out.print(f"[red]x[/red] {escape(str(error))}")
        return [Problem("exercises.toml", str(error))]
    problems = static_problems(root, manifest) + bank_static_problems(root, manifest, section=section)
    exercises = [e for e in manifest.exercises if section is None or e.section == section]
    if run_checks:
        from arena_cli.runner import make_runner

        runner = make_runner(root)
        try:
            with tempfile.TemporaryDirectory(prefix="arena-stubs-") as folder:
                stub_root = Path(folder)
                write_stubs(root, manifest, stub_root)
                for exercise in exercises:
                    found = solution_problems(runner, root, exercise) + stub_problems(runner, exercise, stub_root)
                    problems.extend(found)
                    mark = "[red]x[/red]" if found else "[green]ok[/green]"
                    out.print(f"{mark} {exercise.section}/{exercise.name}")
        finally:
            runner.close()
        if run_bank:
            problems.extend(bank_run_problems(root, manifest, section=section, out=out))
    for problem in problems:
        out.print(f"[red]problem[/red] {escape(str(problem))}", highlight=False)
    checked = len(exercises)
    out.print(f"{checked} exercises checked, {len(problems)} problem(s)" + (" (checks not run: --quick)" if not run_checks else "" if run_bank else " (bank not run: --no-bank)"))
    return problems
