from arena_cli.testing import load_exercise

ex = load_exercise(__file__)


def test_clips_above():
    assert ex.clip(5, 0, 1) == 1


def test_keeps_inside():
    assert ex.clip(0.5, 0, 1) == 0.5
