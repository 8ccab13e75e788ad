from arena_cli.testing import load_exercise

ex = load_exercise(__file__)


def test_adds_small_numbers():
    assert ex.add(2, 3) == 5, f"add(2, 3) returned {ex.add(2, 3)!r}, expected 5"


def test_adds_negative_numbers():
    assert ex.add(-2, -3) == -5
