"""Hint files: Markdown whose levels are separated by a line holding only `---`."""

from __future__ import annotations

import re
from pathlib import Path

SEPARATOR = re.compile(r"^\s*---\s*$", re.MULTILINE)


def split_levels(text: str) -> list[str]:
    """The non-empty levels of a hint file, from the concept to pseudo-code."""
    return [part.strip() for part in SEPARATOR.split(text) if part.strip()]


def read_levels(path: Path) -> list[str]:
    try:
        return split_levels(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return []
