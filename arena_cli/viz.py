"""Pictures in the terminal: attention-pattern heatmaps and per-head score grids.

A check calls `arena_cli.testing.show_heatmap(...)` or `show_head_scores(...)`; the figure travels
as plain data in the run's report and is drawn here, by pure functions from data to Rich
renderables. In colour, a cell is a coloured block; without colour (NO_COLOR, not a terminal)
it is a shade character, so the picture still reads in a log.
"""

from __future__ import annotations

from typing import Any, Sequence

from rich.console import Console, ConsoleOptions, Group, RenderableType, RenderResult
from rich.table import Table
from rich.text import Text

SHADES = " .:-=+*#%@"
MAX_LABEL = 8
MAX_SIDE = 48  # larger matrices are cut to their last MAX_SIDE rows/columns


def _clip(value: float, low: float, high: float) -> float:
    if high <= low:
        return 0.0
    return min(max((value - low) / (high - low), 0.0), 1.0)


def _label(text: str) -> str:
    text = text.replace("\n", "\\n")
    return text if len(text) <= MAX_LABEL else text[: MAX_LABEL - 1] + "~"


class Heatmap:
    """A matrix with labelled rows (queries) and columns (keys); values scaled to [vmin, vmax]."""

    def __init__(
        self,
        values: Sequence[Sequence[float]],
        rows: Sequence[str],
        cols: Sequence[str],
        *,
        title: str = "",
        vmin: float = 0.0,
        vmax: float = 1.0,
    ) -> None:
        start_r = max(0, len(values) - MAX_SIDE)
        start_c = max(0, len(cols) - MAX_SIDE)
        self.values = [list(row[start_c:]) for row in values[start_r:]]
        self.rows = [_label(r) for r in rows[start_r:]]
        self.cols = [_label(c) for c in cols[start_c:]]
        self.title = title
        self.vmin, self.vmax = vmin, vmax

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        colour = console.color_system is not None
        width = max((len(r) for r in self.rows), default=0)
        if self.title:
            yield Text(self.title, style="bold")
        # column labels written vertically, one character per line
        height = max((len(c) for c in self.cols), default=0)
        for line in range(height):
            header = Text(" " * (width + 1))
            for col in self.cols:
                header.append((col[line] if line < len(col) else " ") + " ", style="dim")
            yield header
        for label, row in zip(self.rows, self.values):
            text = Text()
            text.append(label.rjust(width) + " ", style="dim")
            for value in row:
                level = _clip(float(value), self.vmin, self.vmax)
                if colour:
                    shade = int(255 - 200 * level)
                    text.append("  ", style=f"on rgb({shade},{shade},255)")
                else:
                    text.append(SHADES[min(int(level * len(SHADES)), len(SHADES) - 1)] * 2)
            yield text
        yield Text(f"scale: {self.vmin:g} (light) to {self.vmax:g} (dark)", style="dim")


def head_scores(
    scores: Sequence[Sequence[float]], *, title: str = "", threshold: float | None = None, rows: str = "layer", cols: str = "head"
) -> RenderableType:
    """A layer x head grid of scores; cells at or above `threshold` are marked."""
    table = Table(title=title or None, title_justify="left", box=None, pad_edge=False)
    table.add_column(rows, justify="right", style="dim")
    n_heads = max((len(row) for row in scores), default=0)
    for head in range(n_heads):
        table.add_column(f"{cols} {head}", justify="right")
    for layer, row in enumerate(scores):
        cells = []
        for value in row:
            marked = threshold is not None and value >= threshold
            cells.append(Text(f"{value:6.2f}" + (" *" if marked else "  "), style="bold green" if marked else ""))
        table.add_row(str(layer), *cells)
    if threshold is None:
        return table
    return Group(table, Text(f"* at or above {threshold:g}", style="dim"))


def figure_view(figure: dict[str, Any]) -> RenderableType:
    """Draw one figure as recorded by `arena_cli.testing`."""
    kind = figure.get("kind")
    if kind == "heatmap":
        return Heatmap(figure["values"], figure["rows"], figure["cols"], title=figure.get("title", ""), vmin=figure.get("vmin", 0.0), vmax=figure.get("vmax", 1.0))
    if kind == "head_scores":
        return head_scores(
            figure["values"], title=figure.get("title", ""), threshold=figure.get("threshold"),
            rows=figure.get("rows", "layer"), cols=figure.get("cols", "head"),
        )
    return Text(f"(a figure of unknown kind {kind!r})", style="dim")
