"""Rebuild lost progress by re-checking: every exercise the learner changed is run again."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console

from arena_cli import render
from arena_cli.files import is_modified
from arena_cli.manifest import Manifest
from arena_cli.progress import Progress, record_result


def rebuild_progress(root: Path, manifest: Manifest, out: Console) -> Progress:
    """Untouched stubs cannot pass, so only files that differ from the original are run."""
    from arena_cli.runner import make_runner

    changed = [e for e in manifest.exercises if is_modified(root, e)]
    progress = Progress()
    if not changed:
        return progress
    out.print(f"Re-checking the {len(changed)} exercise(s) you have changed...")
    runner = make_runner(root)
    try:
        for exercise in changed:
            result = runner.run(exercise)
            progress = record_result(progress, exercise.name, result.passed)
            out.print(render.verify_line(exercise, result))
    finally:
        runner.close()
    return progress
