import copy

from arena_cli.manifest import parse_manifest
from arena_cli.progress import (
    Progress,
    advance,
    all_done,
    current_exercise,
    first_pending,
    record_result,
    restrict_to,
    reveal_hint,
    tally,
)
from tests.runner.test_manifest import VALID

MANIFEST = parse_manifest(
    {
        **copy.deepcopy(VALID),
        "exercises": [{"name": n, "section": "s1", "difficulty": 1, "minutes": 1} for n in ("a", "b", "c", "d")],
    }
)


def test_current_is_first_pending_until_chosen():
    progress = Progress(done=frozenset({"a"}))
    assert current_exercise(MANIFEST, progress).name == "b"
    assert current_exercise(MANIFEST, Progress(done=frozenset({"a"}), current="d")).name == "d"
    assert current_exercise(MANIFEST, Progress(current="gone")).name == "a"


def test_first_pending_wraps_around_after_a_name():
    progress = Progress(done=frozenset({"a", "d"}))
    assert first_pending(MANIFEST, progress, after="c").name == "b"
    assert first_pending(MANIFEST, Progress(done=frozenset("abcd"))) is None


def test_advance_skips_done_exercises():
    progress = Progress(done=frozenset({"b"}), current="a")
    assert advance(MANIFEST, progress).current == "c"
    assert advance(MANIFEST, Progress(done=frozenset("abcd"))).current is None


def test_record_result_adds_and_removes():
    progress = record_result(Progress(), "a", True)
    assert progress.done == {"a"}
    assert record_result(progress, "a", False).done == frozenset()


def test_hint_levels_grow_and_cap():
    progress = Progress()
    progress, level = reveal_hint(progress, "a", 2)
    assert level == 1
    progress, level = reveal_hint(progress, "a", 2)
    progress, level = reveal_hint(progress, "a", 2)
    assert level == 2 and progress.hint_level("a") == 2 and progress.hint_level("b") == 0


def test_tally_and_all_done():
    progress = Progress(done=frozenset({"a", "c"}))
    assert (tally(MANIFEST, progress).done, tally(MANIFEST, progress).total) == (2, 4)
    assert not all_done(MANIFEST, progress)
    assert all_done(MANIFEST, Progress(done=frozenset("abcd")))


def test_restrict_to_drops_unknown_names():
    progress, unknown = restrict_to(MANIFEST, Progress(done=frozenset({"a", "zz"}), current="yy", hints={"xx": 1, "b": 2}))
    assert progress.done == {"a"} and progress.current is None and dict(progress.hints) == {"b": 2}
    assert unknown == ("xx", "yy", "zz")
