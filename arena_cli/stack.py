"""The library versions the course is written against, checked without importing them.

TransformerLens is held below 4 because SAELens 6 (sections 1.3 and 1.4) requires
`transformer-lens<4`; whoever lifts the pin must first check that SAELens allows it.
Reading versions from package metadata costs milliseconds, so `arena watch` can check before it
starts the worker, and a learner who upgraded a library by hand gets one line, not a traceback.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import metadata

# package -> (lowest allowed version, first version not allowed), as in pyproject.toml
REQUIRED: dict[str, tuple[tuple[int, ...], tuple[int, ...]]] = {
    "transformer_lens": ((3, 9), (4,)),
    "sae-lens": ((6, 54), (7,)),
}
FIX = 'python -m pip install "transformer_lens>=3.9,<4" "sae-lens>=6.54,<7"'


@dataclass(frozen=True)
class StackProblem:
    package: str
    installed: str | None  # None: not installed
    needed: str

    def __str__(self) -> str:
        have = f"{self.package} {self.installed} is installed" if self.installed else f"{self.package} is not installed"
        return f"{have}, this course needs {self.needed}; fix it with: {FIX}"


def version_tuple(text: str) -> tuple[int, ...]:
    """(3, 9, 0) from "3.9.0" or "3.9.0rc1": the leading numbers, up to the first that is not one."""
    import re

    parts = []
    for piece in text.split("."):
        digits = re.match(r"\d+", piece)
        if digits is None:
            break
        parts.append(int(digits.group()))
        if digits.end() < len(piece):  # "0rc1": a pre-release suffix ends the release number
            break
    return tuple(parts)


def installed_version(package: str) -> str | None:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


def _needed(low: tuple[int, ...], high: tuple[int, ...]) -> str:
    return f">={'.'.join(map(str, low))},<{'.'.join(map(str, high))}"


def problems(versions: dict[str, str | None] | None = None) -> list[StackProblem]:
    """What is wrong with the installed versions (pass `versions` to check others, e.g. in tests)."""
    found = []
    for package, (low, high) in REQUIRED.items():
        version = versions.get(package) if versions is not None else installed_version(package)
        if version is None or not (low <= version_tuple(version) < high):
            found.append(StackProblem(package, version, _needed(low, high)))
    return found
