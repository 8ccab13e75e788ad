"""The `arena` command line: each command loads, calls the core, renders, exits with a code.

Exit codes: 0 success, 1 the checks fail / something is pending, 2 bad input (unknown name,
malformed manifest, no workspace), 130 interrupted. Known errors become one line on stderr.
Commands that only read (list, hint, read) never import torch.
"""

from __future__ import annotations

import functools
import json
import os
import sys
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable, Optional, TypeVar

import typer
from rich.console import Console
from rich.markup import escape

from arena_cli import render
from arena_cli.errors import ArenaError, UsageError
from arena_cli.hints import read_levels
from arena_cli.manifest import Exercise, Manifest, load_manifest
from arena_cli.progress import Progress, Tally, advance, current_exercise, record_result, reveal_hint, select
from arena_cli.quick_typer import QuickCommand, QuickGroup
from arena_cli.results import RunResult
from arena_cli.state import ensure_gitignored, load_state, update_state
from arena_cli.workspace import find_workspace

app = typer.Typer(
    cls=QuickGroup,
    name="arena",
    help="An offline course in deep learning and mechanistic interpretability. Run `arena` to start.",
    no_args_is_help=False,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)
dev_app = typer.Typer(cls=QuickGroup, help="Tools for course authors.", no_args_is_help=True, pretty_exceptions_enable=False)
zoo_dev_app = typer.Typer(cls=QuickGroup, help="Reproduce the model zoo's checkpoints.", no_args_is_help=True, pretty_exceptions_enable=False)
app.add_typer(dev_app, name="dev")
dev_app.add_typer(zoo_dev_app, name="zoo")

F = TypeVar("F", bound=Callable[..., object])


def console() -> Console:
    return Console(highlight=False, soft_wrap=False)


def err_console() -> Console:
    return Console(stderr=True, highlight=False, soft_wrap=True)


def boundary(command: F) -> F:
    """The one error boundary: a known error is one line on stderr and its exit code."""

    @functools.wraps(command)
    def wrapper(*args: object, **kwargs: object) -> object:
        try:
            return command(*args, **kwargs)
        except ArenaError as error:
            err_console().print(f"[red]error:[/red] {escape(str(error))}", markup=True, highlight=False)
            raise typer.Exit(error.exit_code) from None
        except KeyboardInterrupt:
            err_console().print("interrupted")
            raise typer.Exit(130) from None

    return wrapper  # type: ignore[return-value]


@dataclass
class Course:
    """What almost every command needs: the workspace, its manifest and the learner's progress."""

    root: Path
    manifest: Manifest
    progress: Progress
    notice: str | None
    damaged: bool

    def exercise(self, name: str | None) -> Exercise:
        if name is None:
            current = current_exercise(self.manifest, self.progress)
            if current is None:
                raise UsageError("every exercise is done; name one, e.g. `arena run einsum_trace`")
            return current
        found = self.manifest.get(name)
        if found is None:
            close = self.manifest.closest_names(name)
            suggestion = f"; did you mean {' or '.join(close)}?" if close else "; `arena list` shows them all"
            raise UsageError(f'no exercise is named "{name}"{suggestion}')
        return found

    unsaved_told: bool = False
    update_notice: str | None = None  # what a pulled course version changed (told once)

    def update(self, change: Callable[[Progress], Progress]) -> Progress:
        """Save a change of progress. When the state folder cannot be written the change is kept
        for this command and one line says how to fix the folder (the verdict is still shown)."""
        from arena_cli.state import StateUnwritable, update_state_noting

        try:
            self.progress, notice = update_state_noting(self.root, self.manifest, change, known=self.progress)
        except StateUnwritable as error:
            self.progress = change(self.progress)
            if not self.unsaved_told:
                self.unsaved_told = True
                err_console().print(f"[yellow]note:[/yellow] {escape(str(error))}", markup=True)
            return self.progress
        if notice:
            err_console().print(f"[yellow]note:[/yellow] {escape(notice)}", markup=True)
        return self.progress

    def finish_rebuild(self) -> None:
        """Every exercise was just re-checked (arena verify): a pending rebuild is complete."""
        from arena_cli.state import StateUnwritable, finish_rebuild

        try:
            self.progress = finish_rebuild(self.root, self.manifest, self.progress.done)
            self.damaged = False
        except StateUnwritable:
            pass  # already told by update()


def load_course() -> Course:
    root = find_workspace()
    manifest = load_manifest(root)
    from arena_cli import links

    links.set_root(root)  # printed paths link to the workspace's files (OSC 8, on terminals)
    from arena_cli.course_update import reconcile  # a pulled course version: progress follows, nothing lost

    update_notice = reconcile(root, manifest)
    if update_notice:
        err_console().print(f"[yellow]course updated:[/yellow] {escape(update_notice)}", markup=True)
    loaded = load_state(root, manifest)
    course = Course(root, manifest, loaded.progress, loaded.notice, loaded.damaged)
    course.update_notice = update_notice
    if loaded.damaged and loaded.notice:  # every command says it, and what re-checks
        err_console().print(
            f"[yellow]note:[/yellow] {escape(loaded.notice)} `arena watch` and `arena verify` re-check them; until then "
            "done exercises show as pending.",
            markup=True,
        )
        course.notice = None
    return course


def announce(course: Course, out: Console) -> None:
    """Tell the learner about a damaged progress file once, and rebuild it by re-checking."""
    if course.notice:
        err_console().print(f"[yellow]note:[/yellow] {escape(course.notice)}", markup=True)
    if course.damaged:
        from arena_cli.rebuild import rebuild_progress

        progress = rebuild_progress(course.root, course.manifest, out)
        course.progress = progress
        course.damaged = False


def _print_version(value: bool) -> None:
    if value:
        from arena_cli import __version__

        print(f"arena {__version__}")
        raise typer.Exit(0)


@app.callback(invoke_without_command=True)
def default(
    ctx: typer.Context,
    version: bool = typer.Option(False, "--version", help="Print arena's version and exit.", is_eager=True, callback=_print_version),
) -> None:
    """With no command, `arena` starts `arena watch`."""
    if ctx.invoked_subcommand is None:
        watch(poll=False, edit_cmd=None)


def warn_about_stack() -> None:
    """One line per library of the wrong version (e.g. TransformerLens 4 upgraded by hand); the
    exercises that do not need it still work, so this warns and goes on."""
    from arena_cli import stack

    for problem in stack.problems():
        err_console().print(f"[yellow]note:[/yellow] {escape(str(problem))}", markup=True, highlight=False)


@app.command(cls=QuickCommand)
@boundary
def watch(
    poll: bool = typer.Option(False, "--poll", help="Poll for changes (for WSL on /mnt, network drives)."),
    edit_cmd: Optional[str] = typer.Option(
        None, "--edit-cmd", metavar="CMD", help="Open each exercise in your editor when it becomes current, e.g. \"code -g {path}\" (default: $ARENA_EDITOR; none if unset)."
    ),
) -> None:
    """Re-run the current exercise's checks on every save. Keys: n h l r c x q."""
    from arena_cli.editor import editor_command
    from arena_cli.watch import watch_loop

    course = load_course()
    ensure_gitignored(course.root)
    warn_about_stack()
    out = console()
    announce(course, out)
    note = f"course updated: {course.update_notice}" if course.update_notice else ""  # stays on the watch's screen
    raise typer.Exit(watch_loop(course.root, course.manifest, out, poll=poll, edit_cmd=editor_command(edit_cmd), note=note))


@app.command("list", cls=QuickCommand)
@boundary
def list_(as_json: bool = typer.Option(False, "--json", help="Print a JSON array instead of a table.")) -> None:
    """Every exercise, grouped by section, with your progress."""
    course = load_course()
    if course.notice:
        err_console().print(f"[yellow]note:[/yellow] {escape(course.notice)} Run `arena verify` to rebuild it.", markup=True)
    if as_json:
        print(json.dumps(render.list_json(course.manifest, course.progress, course.root), indent=2))
        return
    console().print(render.list_view(course.manifest, course.progress))


@app.command(cls=QuickCommand)
@boundary
def hint(
    name: Optional[str] = typer.Argument(None, help="Exercise name (default: the current one)."),
    show_all: bool = typer.Option(False, "--all", help="Show every level at once."),
) -> None:
    """Reveal one more hint level for an exercise each time you ask."""
    course = load_course()
    exercise = course.exercise(name)
    levels = read_levels(course.root / exercise.hint_path)
    if not levels:
        raise ArenaError(f"{exercise.hint_path} has no hints; restore it with `git checkout {exercise.hint_path}`")
    if show_all:
        progress = course.update(lambda p: _reveal_all(p, exercise.name, len(levels)))
        shown = progress.hint_level(exercise.name)
    else:
        progress = course.update(lambda p: reveal_hint(p, exercise.name, len(levels))[0])
        shown = progress.hint_level(exercise.name)
    console().print(render.hint_view(exercise, levels, shown))


def _stdin_is_terminal() -> bool:
    """False also when stdin is closed or absent (`arena reset NAME <&-`)."""
    try:
        return bool(sys.stdin) and sys.stdin.isatty()
    except (AttributeError, ValueError, OSError):
        return False


def _reveal_all(progress: Progress, name: str, total: int) -> Progress:
    return replace(progress, hints={**progress.hints, name: total})


def _runner(course: Course, *, warm: bool):
    from arena_cli.runner import make_runner

    return make_runner(course.root, warm=warm)


@app.command(cls=QuickCommand)
@boundary
def run(
    name: Optional[str] = typer.Argument(None, help="Exercise name (default: the current one)."),
    show: bool = typer.Option(False, "--show", help="Also draw the pictures the checks make (attention patterns, head scores)."),
    html: Optional[str] = typer.Option(None, "--html", metavar="FILE", help="Also write the verdict and every figure to FILE, one self-contained page that works offline."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON document (status, every check's outcome, message, file, line, duration) instead of text."),
) -> None:
    """Run one exercise's checks once. Exit code 0 if they pass, 1 if not."""
    course = load_course()
    exercise = course.exercise(name)
    out = err_console() if as_json else console()  # with --json, stdout holds only the document
    runner = _runner(course, warm=False)
    try:
        result = runner.run(exercise)
    finally:
        runner.close()
    def remember(progress: Progress) -> Progress:
        progress = select(record_result(progress, exercise.name, result.passed), exercise.name)
        return advance(course.manifest, progress) if result.passed else progress

    if as_json:
        from arena_cli.json_results import results_document

        print(json.dumps(results_document([(exercise, result)], command="run"), indent=2))
    else:
        out.print(render.exercise_heading(exercise, course.manifest))
        out.print(render.result_view(result))
    pictures = render.figures_view(result) if show and not as_json else None
    if pictures is not None:
        out.print(pictures)
    course.update(remember)  # after the verdict is on screen: saving can fail, the verdict stays
    _publish(course, exercise, result, out, html)
    raise typer.Exit(0 if result.passed else 1)


def _publish(course: Course, exercise: Exercise, result: RunResult, out: Console, html: Optional[str]) -> None:
    """The run for `arena view` (.arena/latest.json) and, with --html, as a page of its own."""
    from arena_cli.live import publish_latest, result_payload

    publish_latest(course.root, result, exercise, course.manifest, wait=True)
    if html is None:
        return
    from arena_cli.page import PlotlyMissing, write_page

    target = Path(html).expanduser()
    try:
        write_page(target, result_payload(result, exercise, course.manifest))
    except PlotlyMissing as error:
        raise ArenaError(str(error)) from None
    except OSError as error:
        raise UsageError(f"cannot write the page to {target}: {error.strerror or error}") from None
    out.print(f"wrote {target} (a self-contained page: open it in a browser, offline)", highlight=False, soft_wrap=True)


@app.command(cls=QuickCommand)
@boundary
def view(
    port: int = typer.Option(8765, "--port", help="Preferred port (another free one is used if it is taken)."),
    open_browser: bool = typer.Option(False, "--open", help="Also open the page in the default browser."),
) -> None:
    """Serve the latest verdict and figures as a live page on 127.0.0.1; it updates after every run of `arena watch`."""
    from arena_cli.view import serve

    root = find_workspace()
    raise typer.Exit(serve(root, console(), port=port, open_browser=open_browser))


@app.command(cls=QuickCommand)
@boundary
def verify(
    as_json: bool = typer.Option(False, "--json", help="Print one JSON document with every exercise's result instead of text."),
) -> None:
    """Check every exercise in course order and update your progress. Exit 1 while any is pending."""
    course = load_course()
    out = console()
    ran: list[tuple[Exercise, RunResult]] = []
    if course.notice:
        err_console().print(f"[yellow]note:[/yellow] {escape(course.notice)}", markup=True)
    runner = _runner(course, warm=True)
    failed = 0
    try:
        for exercise in course.manifest.exercises:
            result = runner.run(exercise)
            course.update(lambda p, e=exercise, r=result: record_result(p, e.name, r.passed))
            failed += not result.passed
            if as_json:
                ran.append((exercise, result))
            else:
                out.print(render.verify_line(exercise, result))
    finally:
        runner.close()
    if course.damaged:  # every exercise was just re-checked: that was the rebuild
        course.finish_rebuild()
    total = len(course.manifest.exercises)
    if as_json:
        from arena_cli.json_results import results_document

        print(json.dumps(results_document(ran, command="verify"), indent=2))
        raise typer.Exit(1 if failed else 0)
    out.print(render.progress_bar(Tally(total - failed, total)))
    if failed:
        out.print(f"{failed} of {total} exercises still pending.")
        raise typer.Exit(1)
    out.print(course.manifest.final_message)


@app.command(cls=QuickCommand)
@boundary
def reset(
    name: Optional[str] = typer.Argument(None, help="Exercise to restore."),
    yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask for confirmation."),
    every: bool = typer.Option(False, "--all", help="Start over: restore every exercise file and clear your progress (one backup folder keeps everything replaced)."),
) -> None:
    """Restore an exercise file to its original; your version is kept in .arena/backups/."""
    from arena_cli.files import reset as reset_file

    course = load_course()
    if every:
        _reset_all(course, yes=yes, named=name)
        return
    if name is None:
        raise UsageError("name the exercise to reset, e.g. `arena reset einsum_trace`, or start over with `arena reset --all`")
    exercise = course.exercise(name)
    if not yes:
        if not _stdin_is_terminal():
            raise UsageError(f"`arena reset {exercise.name}` needs confirmation; add --yes to reset without asking")
        if not typer.confirm(f"Restore {exercise.path} to the original? Your version will be backed up", default=False):
            raise typer.Exit(1)
    saved = reset_file(course.root, exercise)
    course.update(lambda p: record_result(p, exercise.name, False))
    out = console()
    if saved:
        out.print(f"Restored {exercise.path}. Your version is saved as {saved.relative_to(course.root)}")
    else:
        out.print(f"Restored {exercise.path} (there was no file to back up).")


def _reset_all(course: Course, *, yes: bool, named: Optional[str]) -> None:
    from arena_cli.course_update import reset_all

    if named is not None:
        raise UsageError(f"`arena reset --all` resets every exercise; drop the name ({named}) or the --all")
    if not yes:
        if not _stdin_is_terminal():
            raise UsageError("`arena reset --all` needs confirmation; add --yes to reset without asking")
        total = len(course.manifest.exercises)
        if not typer.confirm(
            f"Restore all {total} exercise files and clear your progress? Every file you changed is backed up first",
            default=False,
        ):
            raise typer.Exit(1)
    done = reset_all(course.root, course.manifest)
    course.update(lambda p: Progress())
    out = console()
    if done.backup is not None:
        out.print(
            f"Restored {done.restored} exercise files and cleared your progress. Your {len(done.saved)} changed file(s) "
            f"are saved under {done.backup.relative_to(course.root)}/"
        )
    else:
        out.print(f"Restored {done.restored} exercise file(s) and cleared your progress (no file of yours needed a backup).")


@app.command(cls=QuickCommand)
@boundary
def solution(
    name: Optional[str] = typer.Argument(None, help="Exercise name (default: the current one)."),
    force: bool = typer.Option(False, "--force", help="Show it even though the exercise is not done."),
) -> None:
    """Show the reference solution of an exercise you have finished."""
    course = load_course()
    exercise = course.exercise(name)
    if not (force or course.progress.is_done(exercise.name)):
        raise UsageError(
            f"{exercise.name} is not done yet; finish it first (or `arena solution {exercise.name} --force`)"
        )
    path = course.root / exercise.solution_path
    console().print(render.solution_view(path.read_text(encoding="utf-8"), exercise.solution_path))


@app.command(cls=QuickCommand)
@boundary
def read(section: Optional[str] = typer.Argument(None, help="Section id or title number, e.g. 00_tensors or 0.0.")) -> None:
    """Read a section's introduction (default: the current exercise's section)."""
    course = load_course()
    if section is None:
        here = current_exercise(course.manifest, course.progress)
        chosen = course.manifest.section(here.section) if here else course.manifest.sections[0]
    else:
        chosen = course.manifest.section(section) or next(
            (s for s in course.manifest.sections if s.title.split()[0] == section), None
        )
        if chosen is None:
            ids = ", ".join(s.id for s in course.manifest.sections)
            raise UsageError(f'no section "{section}"; sections: {ids}')
    assert chosen is not None
    page = course.root / chosen.reading
    console().print(render.reading_view(page.read_text(encoding="utf-8")))


@app.command(cls=QuickCommand)
@boundary
def doctor() -> None:
    """Check this machine: Python, torch, CUDA, TransformerLens, workspace, offline readiness."""
    from arena_cli.doctor import diagnose, doctor_view

    checks = diagnose()
    console().print(doctor_view(checks))
    raise typer.Exit(0 if all(c.ok for c in checks) else 1)


@app.command(cls=QuickCommand)
@boundary
def zoo() -> None:
    """The model zoo: the small trained models chapter 1 studies."""
    from arena_cli.zoo_view import zoo_view

    console().print(zoo_view())


@dev_app.command("sync", cls=QuickCommand)
@boundary
def dev_sync() -> None:
    """Generate every exercises/ file from its solution."""
    from arena_cli.authoring import sync

    root = find_workspace()
    changes = sync(root)
    for change in changes:
        print(("created " if change.created else "updated ") + str(change.exercise.relative_to(root)))
    print(f"{len(changes)} exercise file(s) written" if changes else "every exercise file is up to date")


@dev_app.command("check", cls=QuickCommand)
@boundary
def dev_check(
    only: Optional[str] = typer.Option(None, "--section", help="Check one section only."),
    quick: bool = typer.Option(False, "--quick", help="Skip running the checks (files, sync, hints only)."),
    no_bank: bool = typer.Option(False, "--no-bank", help="Skip running the wrong-answer bank (tests/wrong_answers/)."),
) -> None:
    """Verify the whole course: manifest, files, sync, hints, stubs fail, solutions pass, every wrong answer in the bank is rejected."""
    from arena_cli.devcheck import run_dev_check

    root = find_workspace()
    problems = run_dev_check(root, console(), section=only, run_checks=not quick, run_bank=not no_bank)
    raise typer.Exit(1 if problems else 0)


@dev_app.command("bench", cls=QuickCommand)
@boundary
def dev_bench(
    as_json: bool = typer.Option(False, "--json", help="Print the figures as JSON."),
    runs: int = typer.Option(10, "--runs", min=3, help="Runs per measurement."),
    first_runs: int = typer.Option(3, "--first-runs", min=1, help="Fresh starts per exercise for start-to-first-verdict."),
) -> None:
    """Measure start-to-first-verdict and save-to-verdict latency (warm worker vs cold pytest), CLI start-up, worker memory."""
    from arena_cli.bench import bench_view, run_bench

    figures = run_bench(find_workspace(), runs=runs, first_runs=first_runs)
    if as_json:
        print(json.dumps(figures, indent=2))
    else:
        console().print(bench_view(figures))


@dev_app.command("times", cls=QuickCommand)
@boundary
def dev_times(
    only: Optional[str] = typer.Option(None, "--section", help="Only this section (its id, e.g. 19_world_models)."),
    repeat: int = typer.Option(2, "--repeat", min=1, help="Runs per exercise; the fastest is shown."),
    as_json: bool = typer.Option(False, "--json", help="Print the times as JSON."),
) -> None:
    """Time every exercise's checks on its solution in the warm runner (budget: 2 s to the verdict)."""
    from dataclasses import asdict

    from arena_cli.check_times import BUDGET_SECONDS, measure, times_view

    root = find_workspace()
    times = measure(root, load_manifest(root), section=only, repeat=repeat)
    if as_json:
        print(json.dumps([asdict(t) for t in times], indent=2))
    else:
        console().print(times_view(times))
    raise typer.Exit(1 if any(t.wall > BUDGET_SECONDS or t.status != "passed" for t in times) else 0)


@zoo_dev_app.command("train", cls=QuickCommand)
@boundary
def dev_zoo_train(
    name: str = typer.Argument(..., help="Model to retrain."),
    device: str = typer.Option("cpu", "--device", help="cpu or cuda."),
    out: Optional[Path] = typer.Option(None, "--out", help="Write the checkpoint here instead of the shipped location."),
) -> None:
    """Retrain a zoo model from scratch with its seeded script."""
    from arena_cli import zoo as zoo_module

    try:
        metrics = zoo_module.train(name, device=device, out=out)
    except zoo_module.ZooError as error:
        raise ArenaError(str(error)) from None
    print(json.dumps(metrics, indent=2, default=str))


def main() -> None:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    app()
