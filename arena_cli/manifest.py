"""Parse and validate `exercises.toml` into frozen dataclasses.

Every problem is a `ManifestError` whose one-line message names the entry and the fix. The
fields are documented at the top of `exercises.toml` itself.
"""

from __future__ import annotations

import difflib
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10 and older
    import tomli as tomllib

from arena_cli.errors import ManifestError
from arena_cli.workspace import MANIFEST_NAME

FORMAT_VERSION = 1
DEFAULT_TIMEOUT = 60
NAME_PATTERN = re.compile(r"^[a-z][a-z0-9_]*$")
SECTION_PATTERN = re.compile(r"^[A-Za-z0-9_]+$")

TOP_KEYS = {"format_version", "welcome_message", "final_message", "sections", "exercises"}
SECTION_KEYS = {"id", "title", "reading"}
EXERCISE_KEYS = {"name", "section", "difficulty", "minutes", "timeout", "requires", "renamed_from"}


@dataclass(frozen=True)
class Section:
    id: str
    title: str
    reading: Path  # relative to the workspace


@dataclass(frozen=True)
class Exercise:
    name: str
    section: str
    difficulty: int
    minutes: int
    timeout: int = DEFAULT_TIMEOUT
    requires: tuple[str, ...] = ()
    renamed_from: tuple[str, ...] = ()  # earlier names: a learner's done mark follows the rename

    @property
    def path(self) -> Path:
        """The learner's file, relative to the workspace."""
        return Path("exercises") / self.section / f"{self.name}.py"

    @property
    def solution_path(self) -> Path:
        return Path("solutions") / self.section / f"{self.name}.py"

    @property
    def test_path(self) -> Path:
        return Path("tests") / self.section / f"test_{self.name}.py"

    @property
    def hint_path(self) -> Path:
        return Path("hints") / self.section / f"{self.name}.md"


@dataclass(frozen=True)
class Manifest:
    format_version: int
    welcome_message: str
    final_message: str
    sections: tuple[Section, ...]
    exercises: tuple[Exercise, ...]
    _by_name: dict[str, Exercise] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        self._by_name.update({exercise.name: exercise for exercise in self.exercises})

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(exercise.name for exercise in self.exercises)

    def get(self, name: str) -> Exercise | None:
        return self._by_name.get(name)

    def section(self, section_id: str) -> Section | None:
        return next((s for s in self.sections if s.id == section_id), None)

    def exercises_in(self, section_id: str) -> tuple[Exercise, ...]:
        return tuple(e for e in self.exercises if e.section == section_id)

    def closest_names(self, name: str, count: int = 3) -> list[str]:
        return difflib.get_close_matches(name, self.names, n=count, cutoff=0.5)


def _suggest(key: str, allowed: set[str]) -> str:
    close = difflib.get_close_matches(key, sorted(allowed), n=1)
    return f'did you mean "{close[0]}"?' if close else f"allowed keys: {', '.join(sorted(allowed))}"


def _check_keys(table: dict[str, Any], allowed: set[str], where: str) -> None:
    for key in table:
        if key not in allowed:
            raise ManifestError(f'{MANIFEST_NAME}: {where}: unknown key "{key}"; {_suggest(key, allowed)}')


def _require(table: dict[str, Any], key: str, kind: type | tuple[type, ...], where: str) -> Any:
    if key not in table:
        raise ManifestError(f'{MANIFEST_NAME}: {where}: missing required key "{key}"')
    value = table[key]
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        expected = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
        raise ManifestError(
            f'{MANIFEST_NAME}: {where}: "{key}" must be a {expected}, got {value!r}'
        )
    return value


def _int_in(table: dict[str, Any], key: str, low: int, high: int, where: str, default: int | None = None) -> int:
    if key not in table and default is not None:
        return default
    value = _require(table, key, int, where)
    if not low <= value <= high:
        raise ManifestError(f'{MANIFEST_NAME}: {where}: "{key}" = {value} is out of range; use {low} to {high}')
    return value


def _renamed_from(raw: dict[str, Any], where: str) -> tuple[str, ...]:
    names = raw.get("renamed_from", [])
    if not isinstance(names, list) or not all(isinstance(n, str) and NAME_PATTERN.match(n) for n in names):
        raise ManifestError(f'{MANIFEST_NAME}: {where}: "renamed_from" must be a list of earlier exercise names, e.g. ["old_name"]')
    return tuple(names)


def parse_manifest(data: dict[str, Any]) -> Manifest:
    """Validate parsed TOML data. Pure: no file access."""
    _check_keys(data, TOP_KEYS, "top level")
    version = _require(data, "format_version", int, "top level")
    if version != FORMAT_VERSION:
        raise ManifestError(
            f"{MANIFEST_NAME}: format_version {version} is not supported by this runner (it reads "
            f"{FORMAT_VERSION}); update arena with `pip install -e .` or fix the number"
        )
    welcome = _require(data, "welcome_message", str, "top level")
    final = _require(data, "final_message", str, "top level")
    raw_sections = _require(data, "sections", list, "top level")
    sections: list[Section] = []
    for index, raw in enumerate(raw_sections, start=1):
        where = f"section #{index}"
        if not isinstance(raw, dict):
            raise ManifestError(f"{MANIFEST_NAME}: {where}: must be a [[sections]] table")
        section_id = _require(raw, "id", str, where)
        where = f'section #{index} ("{section_id}")'
        _check_keys(raw, SECTION_KEYS, where)
        if not SECTION_PATTERN.match(section_id):
            raise ManifestError(f"{MANIFEST_NAME}: {where}: id must use letters, digits and underscores only")
        if any(s.id == section_id for s in sections):
            raise ManifestError(f'{MANIFEST_NAME}: {where}: duplicate section id; give each section its own id')
        sections.append(
            Section(id=section_id, title=_require(raw, "title", str, where), reading=Path(_require(raw, "reading", str, where)))
        )
    section_ids = {s.id for s in sections}
    exercises: list[Exercise] = []
    seen: dict[str, int] = {}
    for index, raw in enumerate(_require(data, "exercises", list, "top level"), start=1):
        where = f"exercise #{index}"
        if not isinstance(raw, dict):
            raise ManifestError(f"{MANIFEST_NAME}: {where}: must be an [[exercises]] table")
        name = _require(raw, "name", str, where)
        where = f'exercise #{index} ("{name}")'
        _check_keys(raw, EXERCISE_KEYS, where)
        if not NAME_PATTERN.match(name):
            raise ManifestError(
                f"{MANIFEST_NAME}: {where}: name must be lowercase letters, digits and underscores, starting with a letter"
            )
        if name in seen:
            raise ManifestError(
                f'{MANIFEST_NAME}: {where}: duplicate name, already used by exercise #{seen[name]}; rename one of them'
            )
        seen[name] = index
        section = _require(raw, "section", str, where)
        if section not in section_ids:
            hint = difflib.get_close_matches(section, sorted(section_ids), n=1)
            fix = f'did you mean "{hint[0]}"?' if hint else "add it to [[sections]] first"
            raise ManifestError(f'{MANIFEST_NAME}: {where}: unknown section "{section}"; {fix}')
        requires = raw.get("requires", [])
        if not isinstance(requires, list) or not all(isinstance(r, str) for r in requires):
            raise ManifestError(f'{MANIFEST_NAME}: {where}: "requires" must be a list of strings, e.g. ["zoo:induction"]')
        exercises.append(
            Exercise(
                name=name,
                section=section,
                difficulty=_int_in(raw, "difficulty", 1, 5, where),
                minutes=_int_in(raw, "minutes", 1, 240, where),
                timeout=_int_in(raw, "timeout", 1, 3600, where, default=DEFAULT_TIMEOUT),
                requires=tuple(requires),
                renamed_from=_renamed_from(raw, where),
            )
        )
    for exercise in exercises:
        for old in exercise.renamed_from:
            if old in seen:
                raise ManifestError(
                    f'{MANIFEST_NAME}: exercise "{exercise.name}": renamed_from "{old}" is the name of another exercise; '
                    "an earlier name must no longer be in use"
                )
    return Manifest(
        format_version=version,
        welcome_message=welcome.strip(),
        final_message=final.strip(),
        sections=tuple(sections),
        exercises=tuple(exercises),
    )


def check_files(manifest: Manifest, root: Path) -> None:
    """Every author-side file the manifest implies exists (the learner's own file may be missing:
    `arena reset` restores it, so its absence is not a manifest error)."""
    for section in manifest.sections:
        if not (root / section.reading).is_file():
            raise ManifestError(
                f'{MANIFEST_NAME}: section "{section.id}": reading page {section.reading} does not exist; create it or fix "reading"'
            )
    for exercise in manifest.exercises:
        for label, path in (
            ("solution", exercise.solution_path),
            ("check", exercise.test_path),
            ("hint", exercise.hint_path),
        ):
            if not (root / path).is_file():
                raise ManifestError(
                    f'{MANIFEST_NAME}: exercise "{exercise.name}": its {label} file {path} does not exist; '
                    "create it or fix the entry's name/section"
                )


def load_manifest(root: Path, *, verify_files: bool = True) -> Manifest:
    path = root / MANIFEST_NAME
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ManifestError(f"{path} is missing; restore it with `git checkout {MANIFEST_NAME}`") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ManifestError(f"{MANIFEST_NAME}: not valid TOML: {error}") from None
    manifest = parse_manifest(data)
    if verify_files:
        check_files(manifest, root)
    return manifest
