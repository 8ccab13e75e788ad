"""Find the course workspace: the folder that holds `exercises.toml`."""

from __future__ import annotations

import os
from pathlib import Path

from arena_cli.errors import WorkspaceNotFound

MANIFEST_NAME = "exercises.toml"
WORKSPACE_ENV = "ARENA_WORKSPACE"
STATE_DIR = ".arena"


def find_workspace(start: Path | None = None) -> Path:
    """The nearest folder at or above `start` (default: the current one) with an `exercises.toml`.

    `ARENA_WORKSPACE` overrides the search (useful for editors' task runners).
    """
    override = os.environ.get(WORKSPACE_ENV)
    if override:
        root = Path(override).expanduser().resolve()
        if not (root / MANIFEST_NAME).is_file():
            raise WorkspaceNotFound(
                f"{WORKSPACE_ENV}={override} has no {MANIFEST_NAME}; point it at the course folder "
                "(the clone of the arena repository) or unset it"
            )
        return root
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / MANIFEST_NAME).is_file():
            return folder
    raise WorkspaceNotFound(
        f"no arena course here: {here} and its parents have no {MANIFEST_NAME}. "
        "Run arena from the folder you cloned the course into (e.g. `cd arena && arena`)"
    )
