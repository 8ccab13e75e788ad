"""Pure functions from results and progress to Rich renderables (tested as text)."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

from rich.console import Group, RenderableType
from rich.panel import Panel
from rich.rule import Rule
from rich.text import Text

from arena_cli.links import link_text, path_text
from arena_cli.manifest import Exercise, Manifest
from arena_cli.progress import Progress, Tally, current_exercise, tally
from arena_cli.results import RunResult, Status, TestOutcome

MAX_FAILURES_SHOWN = 4
BAR_WIDTH = 30


def progress_bar(count: Tally, *, label: str = "Progress", width: int = BAR_WIDTH) -> Text:
    filled = round(width * count.fraction)
    text = Text(f"{label} ")
    text.append("#" * filled, style="green")
    text.append("-" * (width - filled), style="dim")
    text.append(f" {count.done}/{count.total} ({count.fraction:.0%})")
    return text


def difficulty_stars(level: int) -> str:
    return "*" * level + "." * (5 - level)


def exercise_heading(exercise: Exercise, manifest: Manifest) -> Text:
    section = manifest.section(exercise.section)
    text = Text()
    text.append(exercise.name, style="bold")
    text.append(f"  ({section.title if section else exercise.section}, difficulty {exercise.difficulty}/5, ~{exercise.minutes} min)", style="dim")
    text.append("\n")
    text.append_text(path_text(exercise.path))
    return text


def _failure(test: TestOutcome) -> RenderableType:
    lines = Text()
    lines.append("x ", style="red bold")
    lines.append(test.name, style="bold")
    if test.location:
        lines.append("  ")
        lines.append_text(path_text(test.location.path, test.location.line))
    lines.append("\n")
    lines.append(test.message.rstrip() + "\n")
    if test.output.strip():
        lines.append("your code printed:\n", style="dim")
        lines.append(test.output.rstrip() + "\n", style="dim")
    return lines


def result_view(result: RunResult) -> RenderableType:
    """What a run found: the verdict, then what to fix, each with a path:line to open."""
    parts: list[RenderableType] = []
    total = len(result.tests)
    passed = sum(t.passed for t in result.tests)
    timing = f"{result.wall_time:.2f} s"
    if result.status is Status.PASSED:
        parts.append(Text(f"PASSED  all {total} checks of {result.exercise} pass ({timing})", style="green bold"))
        return Group(*parts)
    if result.status is Status.FAILED and result.not_started:
        message = result.tests[0].message
        where = result.tests[0].location
        text = Text("NOT STARTED  ", style="yellow bold")
        text.append(f"{result.exercise}: replace each `raise NotImplementedError` with your code.\n")
        if where:
            text.append("first one: ", style="cyan")
            text.append_text(path_text(where.path, where.line))
            text.append("  ")
        text.append(message)
        return text
    if result.status is Status.FAILED:
        parts.append(Text(f"FAILED  {total - passed} of {total} checks of {result.exercise} fail ({timing})", style="red bold"))
        failures = result.failures
        counts = Counter((t.message, t.location) for t in failures)
        shown = 0
        seen: set[tuple[str, object]] = set()
        for test in failures:
            key = (test.message, test.location)
            if key in seen:
                continue
            seen.add(key)
            if shown == MAX_FAILURES_SHOWN:
                break
            shown += 1
            parts.append(_failure(test))
            if counts[key] > 1:
                parts.append(Text(f"  (and {counts[key] - 1} more checks with the same message)", style="dim"))
        hidden = len(counts) - shown
        if hidden > 0:
            parts.append(Text(f"... and {hidden} more kinds of failure; fix these first", style="dim"))
        return Group(*parts)
    titles = {
        Status.BROKEN: "BROKEN  the exercise could not be loaded",
        Status.TIMEOUT: "TIMEOUT",
        Status.CRASHED: "CRASHED",
        Status.MISSING: "MISSING",
        Status.CANCELLED: "CANCELLED",
    }
    text = Text(titles[result.status] + "\n", style="red bold")
    if result.location:
        text.append_text(path_text(result.location.path, result.location.line))
        text.append("  ")
    text.append(result.message.rstrip() + "\n")
    if result.output.strip() and result.status is not Status.BROKEN:
        text.append("output:\n", style="dim")
        text.append(result.output.rstrip()[-1500:] + "\n", style="dim")
    return text


def figures_view(result: RunResult) -> RenderableType | None:
    """The pictures the checks recorded, if any (drawn by arena_cli.viz)."""
    if not result.figures:
        return None
    from arena_cli.viz import figure_view

    return Group(*(figure_view(figure) for figure in result.figures))


def status_mark(exercise: Exercise, progress: Progress, current: Exercise | None) -> Text:
    if progress.is_done(exercise.name):
        return Text("done", style="green")
    if current is not None and exercise.name == current.name:
        return Text("> current", style="yellow bold")
    return Text("pending", style="dim")


def aligned_columns(header: list[str], rows: list[list[Text | str]], *, right: frozenset[int] = frozenset()) -> Text:
    """Rows as lines of padded cells: what a borderless Table draws, at a tenth of its cost
    (`arena list` prints ~100 rows and must start in well under 250 ms)."""
    cells = [[Text(header_cell, style="bold") for header_cell in header]]
    cells += [[cell if isinstance(cell, Text) else Text(cell) for cell in row] for row in rows]
    widths = [max(cell.cell_len for cell in column) for column in zip(*cells)]
    lines = Text(overflow="fold")  # a narrow terminal wraps a row rather than hide its file
    for number, row in enumerate(cells):
        if number:
            lines.append("\n")
        for index, (cell, width) in enumerate(zip(row, widths)):
            gap = " " * (width - cell.cell_len)
            last = index == len(row) - 1
            if index in right:
                lines.append(gap)
            lines.append_text(cell)
            if index not in right and not last:
                lines.append(gap)
            if not last:
                lines.append("  ")
    return lines


def list_view(manifest: Manifest, progress: Progress) -> RenderableType:
    current = current_exercise(manifest, progress)
    parts: list[RenderableType] = []
    for section in manifest.sections:
        exercises = manifest.exercises_in(section.id)
        if not exercises:
            continue
        # The section's folder (one per section, by the file contract) is said once, so a row
        # fits 80 columns with its file name.
        folder = exercises[0].path.parent
        rows: list[list[Text | str]] = [
            [
                status_mark(exercise, progress, current),
                exercise.name,
                difficulty_stars(exercise.difficulty),
                str(exercise.minutes),
                link_text(exercise.path.name, exercise.path),
            ]
            for exercise in exercises
        ]
        parts.append(Rule(Text(section.title, style="bold"), align="left"))
        bar = progress_bar(tally(manifest, progress, section.id), label="section")
        bar.append(f"   {folder.as_posix()}/", style="cyan")
        parts.append(bar)
        parts.append(aligned_columns(["status", "exercise", "level", "min", "file"], rows, right=frozenset({3})))
    parts.append(Text(""))
    parts.append(progress_bar(tally(manifest, progress), label="course "))
    return Group(*parts)


def list_json(manifest: Manifest, progress: Progress, root: Path) -> list[dict]:
    current = current_exercise(manifest, progress)
    return [
        {
            "name": e.name,
            "section": e.section,
            "path": str(e.path),
            "absolute_path": str(root / e.path),
            "done": progress.is_done(e.name),
            "current": current is not None and e.name == current.name,
            "difficulty": e.difficulty,
            "minutes": e.minutes,
            "hint_levels_revealed": progress.hint_level(e.name),
        }
        for e in manifest.exercises
    ]


# `code` and **bold** spans of a hint line
_INLINE = re.compile(r"`([^`]+)`|\*\*([^*]+)\*\*")


def _inline(line: str) -> Text:
    """`code` and **bold** spans of one Markdown line as styled text; everything else verbatim."""
    text = Text()
    last = 0
    for match in _INLINE.finditer(line):
        text.append(line[last : match.start()])
        code, bold = match.groups()
        text.append(code if code is not None else bold, style="bold cyan" if code is not None else "bold")
        last = match.end()
    text.append(line[last:])
    return text


def markdown_lite(source: str) -> RenderableType:
    """Hints' Markdown drawn without `rich.markdown` (which costs `arena hint` ~250 ms of imports:
    markdown-it and pygments): paragraphs, `- ` bullets, `#` headings, inline `code` and **bold**,
    and fenced code blocks shown verbatim, indented, in one colour."""
    blocks: list[Text] = []
    paragraph: list[str] = []  # consecutive text lines are one paragraph, re-wrapped by Rich

    def flush() -> None:
        if paragraph:
            blocks.append(_inline(" ".join(line.strip() for line in paragraph)))
            paragraph.clear()

    in_code = False
    for raw in source.strip("\n").splitlines():
        if raw.lstrip().startswith("```"):
            flush()
            in_code = not in_code
            continue
        if in_code:
            blocks.append(Text("    " + raw, style="cyan"))
        elif not raw.strip():
            flush()
            blocks.append(Text(""))
        elif raw.startswith("#"):
            flush()
            blocks.append(Text(raw.lstrip("#").strip(), style="bold underline"))
        elif raw.lstrip().startswith(("- ", "* ")):
            flush()
            indent = len(raw) - len(raw.lstrip())
            paragraph.append(" " * indent + "• " + raw.lstrip()[2:])
        else:
            paragraph.append(raw)
    flush()
    return Group(*blocks)


def hint_view(exercise: Exercise, levels: list[str], shown: int) -> RenderableType:
    """The first `shown` hint levels, the newest last."""
    shown = max(1, min(shown, len(levels)))
    parts: list[RenderableType] = []
    for index in range(shown):
        title = f"hint {index + 1}/{len(levels)} for {exercise.name}"
        parts.append(Panel(markdown_lite(levels[index]), title=title, title_align="left", border_style="yellow" if index + 1 == shown else "dim"))
    if shown < len(levels):
        parts.append(Text("Ask again for the next level.", style="dim"))
    else:
        parts.append(Text("That was the last hint. `arena solution` shows the reference once the exercise passes.", style="dim"))
    return Group(*parts)


def reading_view(text: str) -> RenderableType:
    from rich.markdown import Markdown

    return Markdown(text)


def solution_view(source: str, path: Path) -> RenderableType:
    from rich.syntax import Syntax

    return Group(Text(str(path), style="cyan"), Syntax(source, "python", line_numbers=True, word_wrap=False))


def message_panel(text: str, *, title: str, style: str = "blue") -> RenderableType:
    return Panel(Text(text), title=title, title_align="left", border_style=style)


def verify_line(exercise: Exercise, result: RunResult) -> Text:
    mark, style = ("ok  ", "green") if result.passed else ("FAIL", "red")
    line = Text(f"{mark} ", style=style)
    line.append(f"{exercise.name:<32}")
    if not result.passed:
        detail = {Status.FAILED: f"{len(result.failures)} of {len(result.tests)} checks fail"}.get(result.status, result.status.value)
        if result.not_started:
            detail = "not started"
        line.append(f" {detail}", style="dim")
    return line


KEYS_HELP = "n next  h hint  l list  r re-run  c check all  x reset  q quit"


def watch_footer(manifest: Manifest, progress: Progress, note: str = "") -> RenderableType:
    parts: list[RenderableType] = [Rule(style="dim"), progress_bar(tally(manifest, progress), label="course")]
    if note:
        parts.append(Text(note, style="yellow"))
    parts.append(Text(KEYS_HELP, style="dim"))
    return Group(*parts)
