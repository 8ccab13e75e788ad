import json
import os

import pytest

from arena_cli.manifest import load_manifest
from arena_cli.progress import Progress
from arena_cli.state import load_state, save_state, state_path, update_state


def test_round_trip(course):
    manifest = load_manifest(course)
    save_state(course, Progress(done=frozenset({"add"}), current="mean", hints={"add": 2}))
    loaded = load_state(course, manifest)
    assert loaded.progress == Progress(done=frozenset({"add"}), current="mean", hints={"add": 2})
    assert loaded.notice is None and not loaded.damaged


def test_missing_file_is_a_fresh_start(course):
    loaded = load_state(course, load_manifest(course))
    assert loaded.progress == Progress() and loaded.notice is None


@pytest.mark.parametrize(
    "content",
    ["{not json", "[1, 2]", '{"version": 1, "done": "add"}', '{"version": 1, "hints": {"add": -1}}', '{"version": 0}', ""],
    ids=["invalid-json", "not-an-object", "done-not-a-list", "negative-hint", "unknown-version", "empty"],
)
def test_damaged_file_is_kept_aside_and_reported(course, content):
    path = state_path(course)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(content)
    loaded = load_state(course, load_manifest(course))
    assert loaded.damaged and loaded.progress == Progress()
    assert "damaged" in loaded.notice and "re-checking" in loaded.notice
    kept = [p for p in path.parent.iterdir() if p.name.startswith("state.json.damaged-")]
    assert len(kept) == 1 and kept[0].read_text() == content, "the damaged file must be kept, never lost"
    # in its place: a record that progress must be rebuilt, which every later command sees
    assert json.loads(path.read_text())["rebuild"] == kept[0].name
    again = load_state(course, load_manifest(course))
    assert again.damaged and "rebuilt" in again.notice and kept[0].name in again.notice


def test_unknown_exercises_are_dropped_with_a_notice(course):
    path = state_path(course)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"version": 1, "done": ["add", "renamed"], "current": None, "hints": {}}))
    loaded = load_state(course, load_manifest(course))
    assert loaded.progress.done == {"add"}
    assert "renamed" in loaded.notice


def test_write_is_atomic_when_interrupted(course, monkeypatch):
    save_state(course, Progress(done=frozenset({"add"})))
    before = state_path(course).read_text()

    def fail(*args):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", fail)
    with pytest.raises(OSError):
        save_state(course, Progress(done=frozenset({"add", "mean"})))
    assert state_path(course).read_text() == before
    assert not [p for p in state_path(course).parent.iterdir() if p.name.endswith(".tmp")], "temp file left behind"


def test_update_reads_the_latest_file(course):
    manifest = load_manifest(course)
    save_state(course, Progress(hints={"add": 1}))
    update_state(course, manifest, lambda p: Progress(done=p.done | {"mean"}, current=p.current, hints=p.hints))
    assert load_state(course, manifest).progress == Progress(done=frozenset({"mean"}), hints={"add": 1})
