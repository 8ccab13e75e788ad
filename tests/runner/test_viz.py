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


# ----- every kind of the figure model, in colour and in plain text ----------------------------------
import re

import pytest

from arena_cli import figures as F
from arena_cli.viz import MAX_BARS, MAX_SEQUENCES, MAX_TOKENS, MISSING, diverging_rgb, figures_group, sequential_rgb

ANSI = re.compile(r"\x1b\[[0-9;]*m")


def render(figure, *, colour=False, width=120):
    buffer = io.StringIO()
    Console(file=buffer, width=width, force_terminal=colour, color_system="truecolor" if colour else None).print(figure_view(figure))
    return buffer.getvalue()


def every_kind():
    return [
        F.heatmap([[0.0, 0.5], [1.0, None]], ["a", "b"], ["x", "y"], title="seq", x_label="key", y_label="query"),
        F.heatmap([[-2.0, 0.0], [1.0, 2.0]], scale="diverging", vmin=None, vmax=None, title="div"),
        F.head_scores([[0.1, 0.9], [0.4, 0.2]], threshold=0.5, title="scores"),
        F.lines({"train": [3.0, 2.0, 1.0], "test": [3.0, 2.5, 2.2]}, x=[0, 10, 20], title="loss", x_label="step", y_label="nats"),
        F.bars(["a", "b"], [1.0, -0.5], title="bars"),
        F.scatter({"pts": ([0, 1, 2], [1, 3, 2])}, title="scatter"),
        F.board([[0.1, 0.9], [0.5, None]], [["B", ""], ["", "W"]], title="board", rows="AB", cols="12"),
        F.tokens([{"tokens": ["The", " cat"], "values": [0.1, 0.9], "highlight": 1, "label": "ctx"}], title="tokens"),
    ]


@pytest.mark.parametrize("figure", every_kind(), ids=lambda f: f["kind"] + ":" + f["title"])
@pytest.mark.parametrize("width", [40, 120])
def test_every_kind_draws_within_the_width_with_its_title(figure, width):
    for colour in (False, True):
        text = render(figure, colour=colour, width=width)
        plain = ANSI.sub("", text)
        assert figure["title"] in plain
        assert "cannot be drawn" not in plain and "unknown kind" not in plain
        assert max(len(line) for line in plain.splitlines()) <= width, plain
        assert ("\x1b[" in text) is colour, "plain output has no escape codes; colour output has them"


def test_no_color_draws_shades_not_invisible_blocks(monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")
    buffer = io.StringIO()
    Console(file=buffer, width=80, force_terminal=True).print(figure_view(F.heatmap([[0.0, 1.0]])))
    assert SHADES[-1] * 2 in buffer.getvalue() and "\x1b[48" not in buffer.getvalue()


def test_diverging_heatmap_is_blue_below_zero_red_above_and_white_at_zero():
    figure = F.heatmap([[-2.0, 0.0, 2.0]], scale="diverging", vmin=None, vmax=None)
    assert (figure["vmin"], figure["vmax"]) == (-2.0, 2.0)
    text = render(figure, colour=True)
    blue, white, red = (f"\x1b[48;2;{r};{g};{b}m" for r, g, b in (diverging_rgb(-1), diverging_rgb(0), diverging_rgb(1)))
    assert diverging_rgb(-1) == (55, 55, 255) and diverging_rgb(1) == (255, 55, 55) and diverging_rgb(0) == (255, 255, 255)
    assert text.index(blue) < text.index(white) < text.index(red)
    assert "blue" in ANSI.sub("", text) and "red" in ANSI.sub("", text)


def test_plain_diverging_heatmap_writes_signed_tenths():
    lines = render(F.heatmap([[-2.0, -0.1, 1.0, 2.0]], scale="diverging", vmin=None, vmax=None)).splitlines()
    row = next(line for line in lines if line.startswith("0 "))
    assert row.split() == ["0", "-9", ".", "+5", "+9"]


def test_missing_values_are_marked_and_explained():
    text = render(F.heatmap([[float("nan"), 1.0]]))
    assert MISSING in text and "no number" in text


def test_axis_labels_and_the_downsampling_note_are_shown():
    big = F.heatmap([[0.5] * 300 for _ in range(300)], x_label="key position", y_label="query position")
    text = render(big)
    assert "downsampled from 300 x 300" in text
    assert "rows: query position, columns: key position" in text


def test_a_wide_heatmap_is_cut_to_the_width_with_a_note():
    text = render(F.heatmap([[1.0] * 30 for _ in range(3)]), width=30)
    assert "showing last 14 of 30 columns" in text and "arena view" in text
    assert max(len(line) for line in text.splitlines()) <= 30


def test_lines_have_a_marker_per_series_a_legend_and_axis_ticks():
    figure = F.lines({"train": [4.0, 1.0], "test": [3.0, 2.0]}, x=[0, 100], x_label="step", y_label="loss")
    text = render(figure)
    plot = text.splitlines()
    assert plot[0].lstrip().startswith("4 |*") and "o" not in plot[0]
    assert any(line.lstrip().startswith("1 |") and line.rstrip().endswith("*") for line in plot)
    assert any(line.lstrip().startswith("|o") for line in plot), "test starts at 3, below train's 4"
    assert "* train" in text and "o test" in text and "x: step, y: loss" in text
    assert "0" in plot[11] and plot[11].rstrip().endswith("100")


def test_log_scale_lines_label_their_ticks_in_data_units():
    text = render(F.lines({"loss": [100.0, 10.0, 1.0]}, log_y=True))
    assert text.splitlines()[0].lstrip().startswith("100 |") and text.splitlines()[9].lstrip().startswith("1 |") and "log" in text


def test_lines_drop_non_finite_points_with_a_note():
    text = render(F.lines({"loss": [1.0, float("nan"), 0.5]}))
    assert "1 points without a finite value" in text


def test_bars_grow_left_for_negatives_and_are_cut_with_a_note():
    text = render(F.bars(["up", "down"], [2.0, -2.0]))
    up, down = text.splitlines()[:2]
    assert up.index("|") < up.index("#") and down.index("#") < down.index("|")
    many = render(F.bars([f"b{i}" for i in range(40)], list(range(40))))
    assert f"first {MAX_BARS} of 40 bars" in many and "b35" not in many


def test_board_draws_marks_in_labelled_cells():
    text = render(F.board(None, [["B", "W"], ["", "B"]], rows="AB", cols="12"))
    lines = text.splitlines()
    assert lines[0].split() == ["1", "2"]
    assert lines[1].split() == ["A", "B", "W"] and lines[2].split() == ["B", ".", "B"]


def test_board_values_colour_the_cells():
    text = render(F.board([[0.0, 1.0]], [["", "X"]], vmin=0, vmax=1), colour=True)
    assert "\x1b[48;2;255;255;255m" in text and ";48;2;55;55;255m" in text and "X" in text


def test_tokens_show_levels_and_the_highlighted_token():
    figure = F.tokens([{"tokens": ["The", " cat"], "values": [0.0, 1.0], "highlight": 1, "label": "ctx 3"}])
    plain = render(figure)
    assert "ctx 3: The:0 >> cat:9<<" in plain
    colour = render(figure, colour=True)
    r, g, b = sequential_rgb(1.0)
    assert f"48;2;{r};{g};{b}m" in colour and "\x1b[1;4" in colour  # bold underline on the highlight


def test_long_token_sequences_show_a_window_around_the_highlight():
    tokens = [f"t{i}" for i in range(200)]
    text = render(F.tokens([{"tokens": tokens, "values": [0.0] * 200, "highlight": 150}]))
    assert ">>t150:0<<" in text and "t10:" not in text and f"{MAX_TOKENS} of 200 tokens" in text
    many = render(F.tokens([{"tokens": ["a"], "values": [1.0]}] * 12))
    assert f"first {MAX_SEQUENCES} of 12 sequences" in many


def test_a_malformed_figure_is_one_line_not_a_traceback():
    text = render({"kind": "heatmap", "values": [[1.0, "x"]], "rows": ["a"], "cols": ["a", "b"], "vmin": 0, "vmax": 1, "title": "t"})
    assert text.count("\n") <= 8  # drawn (a non-number is a missing cell) or one line
    broken = render({"kind": "lines", "series": {"s": 5}})
    assert "cannot be drawn" in broken and len(broken.splitlines()) == 1


def test_figures_group_draws_them_in_order():
    buffer = io.StringIO()
    Console(file=buffer, width=100, color_system=None).print(figures_group(every_kind()))
    text = buffer.getvalue()
    position = 0
    for figure in every_kind():
        position = text.index(figure["title"], position) + 1


def test_a_very_long_curve_is_thinned_with_a_note():
    figure = F.lines({"loss": [1.0 / (1 + i) for i in range(20_000)]})
    assert len(figure["series"]["loss"]) <= F.MAX_POINTS + 1 and figure["series"]["loss"][-1] == 1.0 / 20_000
    assert "thinned from 20000 points" in render(figure)
