from arena_cli.testing import load_exercise

ex = load_exercise(__file__)


def test_clips_above():
    assert ex.clip(5, 0, 1) == 1


def test_keeps_inside():
    assert ex.clip(0.5, 0, 1) == 0.5


def test_draws_a_picture():
    from arena_cli.testing import show_heatmap, show_head_scores

    show_heatmap([[ex.clip(v, 0, 1) for v in (-1, 0.5, 2)]] * 2, ["q1", "q2"], ["lo", "mid", "hi"], title="clip picture")
    show_head_scores([[0.1, 0.9]], title="clip scores", threshold=0.5)
