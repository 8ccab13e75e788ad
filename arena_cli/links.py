"""Exercise paths and failure locations as terminal hyperlinks (OSC 8).

A path is always printed as text an editor's terminal can open (`path` or `path:line`); where
the output is a terminal, Rich also wraps it in an OSC 8 hyperlink to the absolute `file://`
URL, so a click opens the file. Rich leaves the link out when the output is not a terminal, so
piped output, CI logs and `--json` stay plain. `ARENA_LINKS=0` turns links off for terminals
that print OSC 8 instead of ignoring it; `TERM=dumb` and the Linux console get none either.
"""

from __future__ import annotations

import os
from pathlib import Path
from rich.style import Style
from rich.text import Text

_root: Path | None = None


def set_root(root: Path | None) -> None:
    """The workspace that relative paths are relative to (set once per command)."""
    global _root
    _root = root


def enabled() -> bool:
    if os.environ.get("ARENA_LINKS", "").strip() == "0":
        return False
    return os.environ.get("TERM", "") not in ("dumb", "linux")


def file_url(path: str | Path, root: Path | None = None) -> str | None:
    """The file:// URL of a workspace path (None when no workspace is known)."""
    from urllib.parse import quote

    target = Path(path)
    base = root if root is not None else _root
    if not target.is_absolute():
        if base is None:
            return None
        target = base / target
    try:
        host = os.uname().nodename  # the OSC 8 convention: a terminal opens only its own machine's files
    except AttributeError:  # pragma: no cover - Windows
        host = ""
    return f"file://{host}{quote(target.as_posix())}"


def link_text(label: str, path: str | Path, *, style: str = "cyan", root: Path | None = None) -> Text:
    """`label` in `style`, linked to `path` where links are on."""
    url = file_url(path, root) if enabled() else None
    return Text(label, style=Style.parse(style) + Style(link=url) if url else style)


def path_text(path: str | Path, line: int | None = None, *, style: str = "cyan", root: Path | None = None) -> Text:
    """`path` or `path:line`, linked to the file."""
    shown = Path(path).as_posix()
    return link_text(f"{shown}:{line}" if line else shown, path, style=style, root=root)
