"""Rebuild lost progress by re-checking: every exercise the learner changed is run again."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console
from rich.markup import escape

from arena_cli import render
from arena_cli.files import is_modified
from arena_cli.manifest import Manifest
from arena_cli.progress import Progress
from arena_cli.state import StateUnwritable, finish_rebuild, load_state


def rebuild_progress(root: Path, manifest: Manifest, out: Console) -> Progress:
    """Untouched stubs cannot pass, so only files that differ from the original are run.

    Hint levels and the current exercise (kept from the damaged file where readable) stay; the
    record that a rebuild is due is cleared only once every changed exercise was re-checked."""
    from arena_cli.runner import make_runner

    changed = [e for e in manifest.exercises if is_modified(root, e)]
    done: set[str] = set()
    if changed:
        out.print(f"Re-checking the {len(changed)} exercise(s) you have changed...")
        runner = make_runner(root)
        try:
            for exercise in changed:
                result = runner.run(exercise)
                if result.passed:
                    done.add(exercise.name)
                out.print(render.verify_line(exercise, result))
        finally:
            runner.close()
    try:
        return finish_rebuild(root, manifest, frozenset(done))
    except StateUnwritable as error:
        out.print(f"[yellow]note:[/yellow] {escape(str(error))}")
        kept = load_state(root, manifest).progress
        return Progress(done=frozenset(done), current=kept.current, hints=dict(kept.hints))
