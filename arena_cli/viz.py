"""Pictures in the terminal: every kind of figure of `arena_cli.figures`, drawn to fit.

A check calls one of the `show_*` functions of `arena_cli.testing`; the figure travels as plain
data in the run's report and is drawn here, by pure functions from data to Rich renderables.
In colour, a cell is a coloured block (white to blue for a sequential scale, blue-white-red for
a diverging one centred on 0); without colour (NO_COLOR, not a terminal) a cell is a shade
character, or a signed digit on a diverging scale, so the picture still reads in a log.
Whatever does not fit the terminal is cut, with a note; `arena view` and `arena run --html`
draw all of it.
"""

from __future__ import annotations

import math
from typing import Any, Iterable, Sequence

from rich.console import Console, ConsoleOptions, Group, RenderableType, RenderResult
from rich.table import Table
from rich.text import Text

SHADES = " .:-=+*#%@"
MAX_LABEL = 8
MAX_SIDE = 48  # a heatmap shows at most its last MAX_SIDE rows and columns (fewer if narrow)
MAX_BARS = 30
MAX_SEQUENCES = 8
MAX_TOKENS = 64  # per sequence, a window around the highlighted token
PLOT_HEIGHT = 10
MAX_PLOT_WIDTH = 72
MARKERS = "*o+x#@%&"
MISSING = "??"  # a cell with no number (nan or inf in the check's data)
ELSEWHERE = "`arena view` shows all of it"


def _clip(value: float, low: float, high: float) -> float:
    if high <= low:
        return 0.0
    return min(max((value - low) / (high - low), 0.0), 1.0)


def _label(text: str, limit: int = MAX_LABEL) -> str:
    text = str(text).replace("\n", "\\n")
    return text if len(text) <= limit else text[: limit - 1] + "~"


def _number(value: Any) -> float | None:
    if value is None:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _fmt(value: float | None) -> str:
    return "nan" if value is None else f"{value:.3g}"


def _colour(console: Console) -> bool:
    """Draw with colours? Not without a colour system, nor under NO_COLOR (which strips them)."""
    return console.color_system is not None and not console.no_color


# ----- one cell of a grid ----------------------------------------------------------------------
def sequential_rgb(level: float) -> tuple[int, int, int]:
    """0 -> white, 1 -> deep blue."""
    shade = int(255 - 200 * level)
    return shade, shade, 255


def diverging_rgb(signed: float) -> tuple[int, int, int]:
    """-1 -> blue, 0 -> white, +1 -> red."""
    fade = int(255 - 200 * min(abs(signed), 1.0))
    return (fade, fade, 255) if signed < 0 else (255, fade, fade)


def _signed(value: float, vmin: float, vmax: float) -> float:
    """A value on a diverging scale as -1..1, with 0 at 0."""
    if value >= 0:
        return min(value / vmax, 1.0) if vmax > 0 else 0.0
    return -min(value / vmin, 1.0) if vmin < 0 else 0.0


def cell(value: Any, vmin: float, vmax: float, scale: str, colour: bool, width: int = 2, mark: str = "") -> Text:
    """One cell, `width` characters wide; `mark` (e.g. a board's piece) is drawn inside it."""
    number = _number(value)
    if number is None:
        body = mark.center(width)[:width] if mark else MISSING.center(width)[:width]
        return Text(body, style="on grey35" if colour else "")
    if scale == "diverging":
        signed = _signed(number, vmin, vmax)
        if colour:
            red, green, blue = diverging_rgb(signed)
            return Text(mark.center(width)[:width], style=f"{'black ' if mark else ''}on rgb({red},{green},{blue})")
        digit = min(int(abs(signed) * 10), 9)
        glyph = "." if digit == 0 else ("+" if signed > 0 else "-") + str(digit)
        body = mark.center(width)[:width] if mark else glyph.rjust(2).ljust(width)
        return Text(body)
    level = _clip(number, vmin, vmax)
    if colour:
        red, green, blue = sequential_rgb(level)
        ink = ("white " if level > 0.6 else "black ") if mark else ""
        return Text(mark.center(width)[:width], style=f"{ink}on rgb({red},{green},{blue})")
    shade = SHADES[min(int(level * len(SHADES)), len(SHADES) - 1)]
    return Text(mark.center(width, shade)[:width] if mark else shade * width)


def scale_note(vmin: float, vmax: float, scale: str, colour: bool, missing: bool) -> Text:
    if scale == "diverging":
        if colour:
            text = f"scale: {vmin:g} (blue) to 0 (white) to {vmax:g} (red)"
        else:
            text = f"scale: -9 = {vmin:g}, . = 0, +9 = {vmax:g} (each digit a tenth of the way)"
    else:
        text = f"scale: {vmin:g} (light) to {vmax:g} (dark)"
    if missing:
        text += f"; {MISSING} = no number (nan)"
    return Text(text, style="dim")


def _cut_note(what: str, shown: int, total: int, which: str = "last") -> str:
    return f"{which} {shown} of {total} {what}"


def _notes(parts: list[str]) -> Iterable[Text]:
    if parts:
        yield Text("showing " + ", ".join(parts) + f"; {ELSEWHERE}", style="dim")


# ----- heatmap ---------------------------------------------------------------------------------
class Heatmap:
    """A matrix with labelled rows (queries) and columns (keys); values scaled to [vmin, vmax]."""

    def __init__(
        self,
        values: Sequence[Sequence[Any]],
        rows: Sequence[str],
        cols: Sequence[str],
        *,
        title: str = "",
        vmin: float = 0.0,
        vmax: float = 1.0,
        scale: str = "sequential",
        x_label: str = "",
        y_label: str = "",
        note: str = "",
    ) -> None:
        self.all_values = [list(row) for row in values]
        self.all_rows = [str(r) for r in rows] or [str(i) for i in range(len(values))]
        n_cols = max((len(r) for r in values), default=0)
        self.all_cols = [str(c) for c in cols] or [str(i) for i in range(n_cols)]
        self.title = title
        self.vmin, self.vmax = float(vmin), float(vmax)
        self.scale = scale
        self.x_label, self.y_label = x_label, y_label
        self.note = note

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        colour = _colour(console)
        n_rows, n_cols = len(self.all_values), len(self.all_cols)
        start_r = max(0, n_rows - MAX_SIDE)
        rows = [_label(r) for r in self.all_rows[start_r:]]
        width = max((len(r) for r in rows), default=0)
        step = 3 if self.scale == "diverging" and not colour else 2  # room for a signed digit and a gap
        fit = max(1, (options.max_width - width - 1) // step)
        shown_cols = min(MAX_SIDE, fit, n_cols)
        start_c = n_cols - shown_cols
        cols = [_label(c) for c in self.all_cols[start_c:]]
        if self.title:
            yield Text(self.title, style="bold")
        if self.note:
            yield Text(self.note, style="dim")
        # column labels written vertically, one character per line
        height = max((len(c) for c in cols), default=0)
        for line in range(height):
            header = Text(" " * (width + 1))
            for col in cols:
                header.append((col[line] if line < len(col) else " ").ljust(step), style="dim")
            yield header
        missing = False
        for label, row in zip(rows, self.all_values[start_r:]):
            text = Text()
            text.append(label.rjust(width) + " ", style="dim")
            for value in row[start_c:]:
                missing = missing or _number(value) is None
                text.append_text(cell(value, self.vmin, self.vmax, self.scale, colour, width=step))
            yield text
        axes = [part for part in (f"rows: {self.y_label}" if self.y_label else "", f"columns: {self.x_label}" if self.x_label else "") if part]
        if axes:
            yield Text(", ".join(axes), style="dim")
        yield scale_note(self.vmin, self.vmax, self.scale, colour, missing)
        cut = []
        if start_r:
            cut.append(_cut_note("rows", n_rows - start_r, n_rows))
        if start_c:
            cut.append(_cut_note("columns", shown_cols, n_cols))
        yield from _notes(cut)


# ----- head scores -----------------------------------------------------------------------------
class HeadScores:
    """A layer x head grid of scores; cells at or above `threshold` are marked."""

    CELL = 9  # "  0.95 *" plus a gap

    def __init__(self, scores: Sequence[Sequence[Any]], *, title: str = "", threshold: float | None = None, rows: str = "layer", cols: str = "head") -> None:
        self.scores = [list(row) for row in scores]
        self.title, self.threshold, self.rows, self.cols = title, threshold, rows, cols

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        n_heads = max((len(row) for row in self.scores), default=0)
        header = max(len(f"{self.cols} {n_heads - 1}"), 7) + 1
        fit = max(1, (options.max_width - len(self.rows) - 2) // header)
        shown = min(n_heads, fit)
        if self.title:  # above the table, not as its title: a table's title wraps at the table's width
            yield Text(self.title, style="bold")
        table = Table(box=None, pad_edge=False)
        table.add_column(self.rows, justify="right", style="dim")
        for head in range(shown):
            table.add_column(f"{self.cols} {head}", justify="right")
        for layer, row in enumerate(self.scores):
            cells = []
            for value in row[:shown]:
                number = _number(value)
                marked = self.threshold is not None and number is not None and number >= self.threshold
                body = "   nan" if number is None else f"{number:6.2f}"
                cells.append(Text(body + (" *" if marked else "  "), style="bold green" if marked else ""))
            table.add_row(str(layer), *cells)
        yield table
        if self.threshold is not None:
            yield Text(f"* at or above {self.threshold:g}", style="dim")
        if shown < n_heads:
            yield from _notes([_cut_note(f"{self.cols} columns", shown, n_heads, "first")])


def head_scores(
    scores: Sequence[Sequence[float]], *, title: str = "", threshold: float | None = None, rows: str = "layer", cols: str = "head"
) -> RenderableType:
    return HeadScores(scores, title=title, threshold=threshold, rows=rows, cols=cols)


# ----- lines and scatter: a character canvas ---------------------------------------------------
def _ticks(value: float) -> str:
    return f"{value:.3g}"


class Plot:
    """Series of points on a character canvas: lines joined column by column, or bare points.

    Each series has its own marker, so the plot reads without colour; in colour each series also
    has its own colour."""

    STYLES = ("blue", "red", "green", "magenta", "cyan", "yellow", "bright_black", "bright_blue")

    def __init__(
        self,
        series: Sequence[tuple[str, Sequence[Any], Sequence[Any]]],
        *,
        joined: bool,
        title: str = "",
        x_label: str = "",
        y_label: str = "",
        log_y: bool = False,
    ) -> None:
        self.series = [(name, list(xs), list(ys)) for name, xs, ys in series]
        self.joined, self.title, self.x_label, self.y_label, self.log_y = joined, title, x_label, y_label, log_y

    def _points(self) -> tuple[list[tuple[str, list[tuple[float, float]]]], int]:
        dropped = 0
        out = []
        for name, xs, ys in self.series:
            points = []
            for x, y in zip(xs, ys):
                fx, fy = _number(x), _number(y)
                if fy is not None and self.log_y:
                    fy = math.log10(fy) if fy > 0 else None
                if fx is None or fy is None:
                    dropped += 1
                    continue
                points.append((fx, fy))
            out.append((name, points))
        return out, dropped

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        colour = _colour(console)
        if self.title:
            yield Text(self.title, style="bold")
        named, dropped = self._points()
        every = [p for _, points in named for p in points]
        if not every:
            yield Text("(nothing to plot: no finite values)", style="dim")
            return
        x_low, x_high = min(p[0] for p in every), max(p[0] for p in every)
        y_low, y_high = min(p[1] for p in every), max(p[1] for p in every)
        if y_high == y_low:
            y_low, y_high = y_low - 0.5, y_high + 0.5
        if x_high == x_low:
            x_low, x_high = x_low - 0.5, x_high + 0.5
        label = (lambda v: _ticks(10**v)) if self.log_y else _ticks
        height = PLOT_HEIGHT
        middle = height // 2
        ticks = {0: label(y_high), middle: label(y_high - (y_high - y_low) * middle / (height - 1)), height - 1: label(y_low)}
        gutter = max(len(t) for t in ticks.values()) + 1
        width = max(8, min(MAX_PLOT_WIDTH, options.max_width - gutter - 1))
        canvas: list[list[tuple[str, str]]] = [[(" ", "")] * width for _ in range(height)]

        def column(x: float) -> int:
            return min(width - 1, max(0, round((x - x_low) / (x_high - x_low) * (width - 1))))

        def row(y: float) -> int:
            return min(height - 1, max(0, round((y_high - y) / (y_high - y_low) * (height - 1))))

        for index, (name, points) in enumerate(named):
            mark, style = MARKERS[index % len(MARKERS)], self.STYLES[index % len(self.STYLES)] if colour else ""
            if self.joined and len(points) > 1:
                ordered = sorted(points)
                for col in range(column(ordered[0][0]), column(ordered[-1][0]) + 1):
                    x = x_low + (x_high - x_low) * col / (width - 1)
                    # linear interpolation between the neighbouring points
                    after = next((i for i, p in enumerate(ordered) if p[0] >= x), len(ordered) - 1)
                    before = max(after - 1, 0)
                    (x0, y0), (x1, y1) = ordered[before], ordered[after]
                    y = y0 if x1 == x0 else y0 + (y1 - y0) * (x - x0) / (x1 - x0)
                    canvas[row(y)][col] = (mark, style)
            else:
                for x, y in points:
                    canvas[row(y)][column(x)] = (mark, style)
        for number, line in enumerate(canvas):
            tick = ticks.get(number, "")
            text = Text()
            text.append(tick.rjust(gutter - 1) + " |", style="dim")
            for char, style in line:
                text.append(char, style=style)
            yield text
        axis = Text(" " * gutter + "+" + "-" * (width - 1), style="dim")
        yield axis
        left, right = _ticks(x_low), _ticks(x_high)
        yield Text(" " * gutter + left + right.rjust(width - len(left)), style="dim")
        axes = []
        if self.x_label:
            axes.append(f"x: {self.x_label}")
        if self.y_label:
            axes.append(f"y: {self.y_label}" + (" (log scale)" if self.log_y else ""))
        elif self.log_y:
            axes.append("y on a log scale")
        if axes:
            yield Text(", ".join(axes), style="dim")
        legend = Text()
        for index, (name, _) in enumerate(named):
            if index:
                legend.append("   ")
            legend.append(MARKERS[index % len(MARKERS)], style=self.STYLES[index % len(self.STYLES)] if colour else "")
            legend.append(f" {name}")
        if len(named) > 1 or (named and named[0][0]):
            yield legend
        if dropped:
            yield Text(f"{dropped} points without a finite value are not drawn", style="dim")


def lines_view(figure: dict[str, Any]) -> RenderableType:
    xs = figure.get("x") or []
    series = [(name, xs if xs else list(range(len(ys))), ys) for name, ys in (figure.get("series") or {}).items()]
    return Plot(series, joined=True, title=figure.get("title", ""), x_label=figure.get("x_label", ""), y_label=figure.get("y_label", ""), log_y=bool(figure.get("log_y")))


def scatter_view(figure: dict[str, Any]) -> RenderableType:
    series = [(name, data.get("x") or [], data.get("y") or []) for name, data in (figure.get("series") or {}).items()]
    return Plot(series, joined=False, title=figure.get("title", ""), x_label=figure.get("x_label", ""), y_label=figure.get("y_label", ""))


# ----- bars ------------------------------------------------------------------------------------
class Bars:
    """One horizontal bar per label; negative values grow to the left of a zero line."""

    def __init__(self, labels: Sequence[str], values: Sequence[Any], *, title: str = "", x_label: str = "", y_label: str = "") -> None:
        self.labels, self.values = [str(l) for l in labels], list(values)
        self.title, self.x_label, self.y_label = title, x_label, y_label

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        colour = _colour(console)
        if self.title:
            yield Text(self.title, style="bold")
        shown = list(zip(self.labels, self.values))[:MAX_BARS]
        numbers = [_number(v) for _, v in shown]
        finite = [n for n in numbers if n is not None]
        name_width = min(max((len(l) for l, _ in shown), default=0), 16)
        value_width = max((len(_fmt(n)) for n in numbers), default=3)
        room = max(10, min(60, options.max_width - name_width - value_width - 4))
        negative = any(n < 0 for n in finite)
        positive = any(n > 0 for n in finite) or not negative
        bound = max((abs(n) for n in finite), default=1.0) or 1.0
        left = room // 2 if negative and positive else (room if negative else 0)
        right = room - left
        block = "█" if colour else "#"
        for (label, _), number in zip(shown, numbers):
            text = Text()
            text.append(_label(label, 16).rjust(name_width) + " ", style="dim")
            if number is None:
                text.append(" " * left + "|" + " " * right + " nan")
                yield text
                continue
            size = round(abs(number) / bound * (left if number < 0 else right))
            if number < 0:
                text.append(" " * (left - size))
                text.append(block * size, style="red" if colour else "")
                text.append("|" + " " * right)
            else:
                text.append(" " * left + ("|" if left else ""))
                text.append(block * size, style="blue" if colour else "")
                text.append(" " * (right - size))
            text.append(" " + _fmt(number))
            yield text
        axes = []
        if self.x_label:
            axes.append(f"bars: {self.x_label}")
        if self.y_label:
            axes.append(f"length: {self.y_label}")
        if axes:
            yield Text(", ".join(axes), style="dim")
        if len(self.labels) > MAX_BARS:
            yield from _notes([_cut_note("bars", MAX_BARS, len(self.labels), "first")])


# ----- board -----------------------------------------------------------------------------------
class Board:
    """A grid of cells, each coloured by its value and/or holding a short mark (a piece)."""

    def __init__(
        self, values: Sequence[Sequence[Any]], marks: Sequence[Sequence[str]], *, title: str = "",
        vmin: float = 0.0, vmax: float = 1.0, scale: str = "sequential", rows: Sequence[str] | None = None,
        cols: Sequence[str] | None = None,
    ) -> None:
        self.values, self.marks = [list(r) for r in values], [[str(m) for m in r] for r in marks]
        self.title, self.vmin, self.vmax, self.scale = title, float(vmin), float(vmax), scale
        n_rows = max(len(self.values), len(self.marks))
        n_cols = max([len(r) for r in self.values] + [len(r) for r in self.marks] + [0])
        self.rows = [str(r) for r in rows] if rows else [str(i) for i in range(n_rows)]
        self.cols = [str(c) for c in cols] if cols else [str(i) for i in range(n_cols)]

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        colour = _colour(console)
        width = 3
        gutter = max((len(_label(r, 4)) for r in self.rows), default=1)
        fit = max(1, (options.max_width - gutter - 1) // width)
        shown = min(len(self.cols), fit)
        if self.title:
            yield Text(self.title, style="bold")
        header = Text(" " * (gutter + 1), style="dim")
        for col in self.cols[:shown]:
            header.append(_label(col, width).center(width), style="dim")
        yield header
        has_values = any(_number(v) is not None for row in self.values for v in row)
        for index, label in enumerate(self.rows):
            values = self.values[index] if index < len(self.values) else []
            marks = self.marks[index] if index < len(self.marks) else []
            text = Text()
            text.append(_label(label, 4).rjust(gutter) + " ", style="dim")
            for col in range(shown):
                value = values[col] if col < len(values) else None
                mark = marks[col] if col < len(marks) else ""
                if not has_values:
                    style = "black on rgb(200,225,200)" if colour else ""
                    text.append((_label(mark, width) or ".").center(width), style=style)
                else:
                    text.append_text(cell(value, self.vmin, self.vmax, self.scale, colour, width=width, mark=_label(mark, width)))
            yield text
        if has_values:
            yield scale_note(self.vmin, self.vmax, self.scale, colour, False)
        if shown < len(self.cols):
            yield from _notes([_cut_note("columns", shown, len(self.cols), "first")])


# ----- tokens ----------------------------------------------------------------------------------
def _token_text(token: str) -> str:
    return token.replace("\n", "\\n").replace("\t", "\\t")


class Tokens:
    """Token sequences with a value per token: the "top-activating contexts" view.

    In colour, each token's background shows its value and the highlighted token is underlined;
    without colour, each token carries its level as a digit (`cat:7` = 70 % of the way from vmin
    to vmax) and the highlighted one is wrapped in >> <<."""

    def __init__(self, sequences: Sequence[dict[str, Any]], *, title: str = "", vmin: float = 0.0, vmax: float = 1.0) -> None:
        self.sequences, self.title, self.vmin, self.vmax = list(sequences), title, float(vmin), float(vmax)

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        colour = _colour(console)
        diverging = self.vmin < 0 < self.vmax
        scale = "diverging" if diverging else "sequential"
        if self.title:
            yield Text(self.title, style="bold")
        cut = []
        for seq in self.sequences[:MAX_SEQUENCES]:
            tokens, values = list(seq.get("tokens") or []), list(seq.get("values") or [])
            highlight = seq.get("highlight")
            start = 0
            if len(tokens) > MAX_TOKENS:
                centre = highlight if isinstance(highlight, int) else len(tokens) - 1
                start = min(max(0, centre - MAX_TOKENS // 2), len(tokens) - MAX_TOKENS)
                cut.append(f"{MAX_TOKENS} of {len(tokens)} tokens of a sequence")
            text = Text(overflow="fold")
            if seq.get("label"):
                text.append(str(seq["label"]) + ": ", style="dim")
            if start:
                text.append("... ", style="dim")
            for index in range(start, min(len(tokens), start + MAX_TOKENS)):
                token = _token_text(tokens[index])
                number = _number(values[index]) if index < len(values) else None
                chosen = index == highlight
                if colour:
                    piece = cell(number, self.vmin, self.vmax, scale, True, width=len(token), mark=token)
                    if chosen:
                        piece.stylize("bold underline")
                    text.append_text(piece)
                else:
                    if number is None:
                        level = "?"
                    elif diverging:
                        signed = _signed(number, self.vmin, self.vmax)
                        level = ("+" if signed >= 0 else "-") + str(min(int(abs(signed) * 10), 9))
                    else:
                        level = str(min(int(_clip(number, self.vmin, self.vmax) * 10), 9))
                    piece = f"{token}:{level}"
                    text.append((f">>{piece}<<" if chosen else piece) + " ")
            if start + MAX_TOKENS < len(tokens):
                text.append(" ...", style="dim")
            yield text
        if colour:
            yield scale_note(self.vmin, self.vmax, scale, True, False)
        elif diverging:
            yield Text(f"token:-9 = {self.vmin:g}, token:+9 = {self.vmax:g}; >>token<< is the one highlighted", style="dim")
        else:
            yield Text(f"token:0 = {self.vmin:g}, token:9 = {self.vmax:g}; >>token<< is the one highlighted", style="dim")
        if len(self.sequences) > MAX_SEQUENCES:
            cut.append(f"first {MAX_SEQUENCES} of {len(self.sequences)} sequences")
        yield from _notes(cut)


# ----- dispatch --------------------------------------------------------------------------------
class _Guarded:
    """A figure whose data is malformed becomes one dim line, never a traceback in the verdict."""

    def __init__(self, inner: RenderableType, kind: Any) -> None:
        self.inner, self.kind = inner, kind

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        try:
            segments = list(console.render(self.inner, options))
        except Exception as error:  # noqa: BLE001 - a check's bad figure must not hide the verdict
            yield Text(f"(a {self.kind} figure that cannot be drawn: {type(error).__name__}: {error})", style="dim")
        else:
            yield from segments


def figure_view(figure: dict[str, Any]) -> RenderableType:
    """Draw one figure as recorded by `arena_cli.testing` (see `arena_cli.figures`)."""
    kind = figure.get("kind")
    drawn = _figure_view(figure)
    if isinstance(drawn, Text):
        return drawn
    note = figure.get("note")
    if note and kind != "heatmap":  # a heatmap prints its note under the title
        return Group(_Guarded(drawn, kind), Text(str(note), style="dim"))
    return _Guarded(drawn, kind)


def _figure_view(figure: dict[str, Any]) -> RenderableType:
    kind = figure.get("kind")
    title = figure.get("title", "")
    try:
        if kind == "heatmap":
            return Heatmap(
                figure["values"], figure.get("rows") or [], figure.get("cols") or [], title=title,
                vmin=figure.get("vmin", 0.0), vmax=figure.get("vmax", 1.0), scale=figure.get("scale", "sequential"),
                x_label=figure.get("x_label", ""), y_label=figure.get("y_label", ""), note=figure.get("note", ""),
            )
        if kind == "head_scores":
            return head_scores(
                figure["values"], title=title, threshold=figure.get("threshold"),
                rows=figure.get("rows", "layer"), cols=figure.get("cols", "head"),
            )
        if kind == "lines":
            return lines_view(figure)
        if kind == "scatter":
            return scatter_view(figure)
        if kind == "bars":
            return Bars(figure.get("labels") or [], figure.get("values") or [], title=title, x_label=figure.get("x_label", ""), y_label=figure.get("y_label", ""))
        if kind == "board":
            return Board(
                figure.get("values") or [], figure.get("marks") or [], title=title, vmin=figure.get("vmin", 0.0),
                vmax=figure.get("vmax", 1.0), scale=figure.get("scale", "sequential"), rows=figure.get("rows"),
                cols=figure.get("cols"),
            )
        if kind == "tokens":
            return Tokens(figure.get("sequences") or [], title=title, vmin=figure.get("vmin", 0.0), vmax=figure.get("vmax", 1.0))
    except (KeyError, TypeError, ValueError) as error:
        return Text(f"(a {kind} figure that cannot be drawn: {error})", style="dim")
    return Text(f"(a figure of unknown kind {kind!r})", style="dim")


def figures_group(figures: Sequence[dict[str, Any]]) -> RenderableType:
    return Group(*(figure_view(f) for f in figures))
