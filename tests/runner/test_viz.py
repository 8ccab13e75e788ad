import io

from rich.console import Console

from arena_cli.viz import SHADES, Heatmap, figure_view, head_scores


def text_of(renderable, colour: bool = False) -> str:
    buffer = io.StringIO()
    Console(file=buffer, width=120, force_terminal=colour, color_system="truecolor" if colour else None).print(renderable)
    return buffer.getvalue()


def test_plain_heatmap_uses_shades_and_labels():
    text = text_of(Heatmap([[0.0, 1.0], [0.5, 0.0]], ["q0", "q1"], ["ab", "cd"], title="pattern"))
    lines = text.splitlines()
    assert lines[0] == "pattern"
    assert lines[1].split() == ["a", "c"] and lines[2].split() == ["b", "d"], "column labels are written vertically"
    assert lines[3] == "q0   " + SHADES[-1] * 2
    assert lines[4].startswith("q1 " + SHADES[5] * 2)


def test_colour_heatmap_uses_backgrounds():
    text = text_of(Heatmap([[0.0, 1.0]], ["q"], ["k1", "k2"]), colour=True)
    assert "\x1b[48;2;255;255;255m" in text and "\x1b[48;2;55;55;255m" in text


def test_values_outside_the_scale_are_clipped_and_big_matrices_cut():
    big = [[2.0] * 60 for _ in range(60)]
    text = text_of(Heatmap(big, [str(i) for i in range(60)], [str(i) for i in range(60)]))
    assert "59 " + SHADES[-1] * 96 in text and "\n11 " not in text


def test_head_scores_mark_those_above_threshold():
    text = text_of(head_scores([[0.1, 0.95], [0.8, 0.2]], title="induction", threshold=0.8))
    assert "induction" in text and "0.95 *" in text and "0.80 *" in text and "0.10  " in text


def test_unknown_figures_do_not_break_rendering():
    assert "unknown kind" in text_of(figure_view({"kind": "sparkle"}))


def test_head_scores_axes_can_be_named():
    text = text_of(figure_view({"kind": "head_scores", "values": [[0.5]], "rows": "L0 head", "cols": "L1 head"}))
    assert "L0 head" in text and "L1 head 0" in text
