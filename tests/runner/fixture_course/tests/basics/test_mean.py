from arena_cli.testing import assert_close, load_exercise

ex = load_exercise(__file__)


def test_mean_of_three():
    assert_close(ex.mean([1.0, 2.0, 6.0]), 3.0, name="mean([1, 2, 6])")
