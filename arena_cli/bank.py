"""The wrong-answer bank: plausible wrong answers that the checks must reject (and name).

Layout: `tests/wrong_answers/<section>/<exercise>/<slug>.py`, each a full copy of
`solutions/<section>/<exercise>.py` with one learner-like mistake. The first line says which:

    # MISTAKE: <one sentence>

and, when the check recognises the mistake, the second line gives a piece of the failure
message that proves it was named (usually part of the `Likely mistake: ...` sentence):

    # NAMED: <a substring of the failure message>

An entry runs like the author check runs a solution: a temporary root holds a copy of
`solutions/<section>/` with the exercise's file replaced by the entry, and the exercise's checks
run against it (`ARENA_EXERCISE_ROOT`) through a `Runner`, normally the warm worker, so a bank of
hundreds of entries costs the checks' own compute plus a few tens of milliseconds each.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, Sequence

from arena_cli.manifest import Exercise, Manifest
from arena_cli.results import RunResult, Status
from arena_cli.runner import Runner

BANK_DIR = Path("tests") / "wrong_answers"
MISTAKE_HEADER = "# MISTAKE:"
NAMED_HEADER = "# NAMED:"
MIN_ENTRIES = 3
# Statuses that count as "the checks rejected it". BROKEN (does not import) and MISSING are
# problems of the entry itself: a wrong answer in the bank must run.
REJECTED = (Status.FAILED, Status.TIMEOUT, Status.CRASHED)


@dataclass(frozen=True)
class Entry:
    section: str
    exercise: str
    slug: str
    path: Path  # absolute
    mistake: str | None  # None when the first line is malformed
    named: str | None
    header_problem: str | None  # what is wrong with the first two lines, if anything

    @property
    def id(self) -> str:
        return f"{self.section}/{self.exercise}/{self.slug}"


def parse_header(text: str) -> tuple[str | None, str | None, str | None]:
    """(mistake, named, problem) from an entry's first two lines."""
    lines = text.splitlines()
    first = lines[0] if lines else ""
    if not first.startswith(MISTAKE_HEADER) or not first[len(MISTAKE_HEADER):].strip():
        return None, None, f"the first line must be `{MISTAKE_HEADER} <one sentence>`, got {first[:60]!r}"
    mistake_text = first[len(MISTAKE_HEADER):].strip()
    named = None
    if len(lines) > 1 and lines[1].startswith("# NAMED"):
        if not lines[1].startswith(NAMED_HEADER) or not lines[1][len(NAMED_HEADER):].strip():
            return mistake_text, None, f"the second line must be `{NAMED_HEADER} <substring of the message>`, got {lines[1][:60]!r}"
        named = lines[1][len(NAMED_HEADER):].strip()
    return mistake_text, named, None


def find_entries(root: Path, *, section: str | None = None, exercise: str | None = None) -> list[Entry]:
    """Every bank entry under `root/tests/wrong_answers`, sorted, optionally one section/exercise."""
    entries = []
    base = root / BANK_DIR
    for path in sorted(base.glob("*/*/*.py")):
        if path.name.startswith("_"):
            continue
        sec, name = path.parent.parent.name, path.parent.name
        if (section is not None and sec != section) or (exercise is not None and name != exercise):
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            entries.append(Entry(sec, name, path.stem, path, None, None, f"cannot be read: {error}"))
            continue
        entries.append(Entry(sec, name, path.stem, path, *parse_header(text)))
    return entries


@dataclass(frozen=True)
class Verdict:
    entry: Entry
    result: RunResult

    @property
    def rejected(self) -> bool:
        return self.result.status in REJECTED

    @property
    def message(self) -> str:
        """Every failure message of the run, joined (where NAMED text is looked for)."""
        parts = [self.result.message] + [t.message for t in self.result.failures]
        return "\n".join(p for p in parts if p)

    @property
    def named(self) -> bool:
        return self.entry.named is not None and self.entry.named in self.message

    def problems(self) -> list[str]:
        """What is wrong with this entry or with the checks it exposes (empty: all good)."""
        status = self.result.status
        if status is Status.PASSED:
            return [f"the wrong answer passes the checks ({self.entry.mistake}); strengthen tests/{self.entry.section}/test_{self.entry.exercise}.py"]
        if status in (Status.BROKEN, Status.MISSING):
            return [f"the entry does not run ({status.value}): {self.result.message.splitlines()[0] if self.result.message else ''}"]
        if status is Status.CANCELLED:
            return ["the run was cancelled"]
        if self.entry.named is not None and not self.named:
            first = self.message.splitlines()[0] if self.message else "(no message)"
            return [f"rejected, but the failure message lacks the NAMED text {self.entry.named!r}; it begins: {first[:120]}"]
        return []


def static_problems(root: Path, manifest: Manifest, *, section: str | None = None) -> list[tuple[str, str]]:
    """(where, what) for bank problems found without running: too few entries, bad headers,
    entries for unknown exercises, entries identical to the solution."""
    problems: list[tuple[str, str]] = []
    entries = find_entries(root, section=section)
    known = {(e.section, e.name) for e in manifest.exercises}
    count: dict[tuple[str, str], int] = {}
    for entry in entries:
        count[(entry.section, entry.exercise)] = count.get((entry.section, entry.exercise), 0) + 1
        where = str(entry.path.relative_to(root))
        if (entry.section, entry.exercise) not in known:
            problems.append((where, "no such exercise in exercises.toml; move or remove the entry"))
            continue
        if entry.header_problem:
            problems.append((where, entry.header_problem))
        solution = root / "solutions" / entry.section / f"{entry.exercise}.py"
        if solution.exists() and _code(entry.path) == _code(solution):
            problems.append((where, "its code is identical to the solution's: write the mistake into it"))
    for exercise in manifest.exercises:
        if section is not None and exercise.section != section:
            continue
        have = count.get((exercise.section, exercise.name), 0)
        if have < MIN_ENTRIES:
            problems.append(
                (exercise.name, f"the wrong-answer bank has {have} entr{'y' if have == 1 else 'ies'}; add at least "
                 f"{MIN_ENTRIES} under {BANK_DIR / exercise.section / exercise.name}/ (one plausible mistake each)")
            )
    return problems


def _code(path: Path) -> str:
    lines = path.read_text(encoding="utf-8").splitlines()
    return "\n".join(line for line in lines if not line.startswith((MISTAKE_HEADER, NAMED_HEADER))).strip()


def _stage(root: Path, entry: Entry, folder: Path) -> Path:
    """A temp exercise root: solutions/<section>/ copied, the exercise's file replaced."""
    target = folder / entry.section
    shutil.copytree(root / "solutions" / entry.section, target, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copyfile(entry.path, target / f"{entry.exercise}.py")
    return folder


def run_entry(runner: Runner, root: Path, entry: Entry, exercise: Exercise) -> Verdict:
    with tempfile.TemporaryDirectory(prefix="arena-bank-") as folder:
        result = runner.run(exercise, exercise_root=_stage(root, entry, Path(folder)))
    return Verdict(entry, result)


def default_jobs() -> int:
    """Parallel warm workers: `ARENA_BANK_JOBS`, else half the cores (at least 1, at most 4)."""
    raw = os.environ.get("ARENA_BANK_JOBS")
    if raw:
        return max(1, int(raw))
    return max(1, min(4, (os.cpu_count() or 1) // 2))


def run_bank(
    root: Path,
    manifest: Manifest,
    entries: Iterable[Entry],
    *,
    jobs: int | None = None,
    make_runner: Callable[[], Runner] | None = None,
    on_verdict: Callable[[Verdict], None] | None = None,
) -> list[Verdict]:
    """Run every entry through warm workers (`jobs` of them in parallel); verdicts in input order.

    Entries whose exercise is not in the manifest or whose header is malformed are skipped
    (`static_problems` reports them)."""
    by_key = {(e.section, e.name): e for e in manifest.exercises}
    todo: Sequence[Entry] = [e for e in entries if (e.section, e.exercise) in by_key and e.header_problem is None]
    if not todo:
        return []
    if make_runner is None:
        from arena_cli.runner import make_runner as _make

        def make_runner() -> Runner:
            return _make(root)

    jobs = max(1, min(jobs or default_jobs(), len(todo)))
    runners = [make_runner() for _ in range(jobs)]
    for runner in runners:
        start = getattr(runner, "start", None)
        if start is not None:
            start()  # the workers import in parallel
    free = list(runners)
    lock = threading.Lock()

    def one(entry: Entry) -> Verdict:
        with lock:
            runner = free.pop()
        try:
            verdict = run_entry(runner, root, entry, by_key[(entry.section, entry.exercise)])
        finally:
            with lock:
                free.append(runner)
        if on_verdict is not None:
            on_verdict(verdict)
        return verdict

    try:
        if jobs == 1:
            return [one(entry) for entry in todo]
        with ThreadPoolExecutor(max_workers=jobs) as pool:
            return list(pool.map(one, todo))
    finally:
        for runner in runners:
            runner.close()
