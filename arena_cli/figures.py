"""The figure model: a figure is plain data (a dict that survives JSON), described once here.

Checks and exercises call the `show_*` functions of `arena_cli.testing`, which build a figure with
the constructors below and queue it for the runner; the run's report carries it as JSON, and two
renderers draw it: the terminal (`arena_cli.viz`, what fits) and the offline page (all of it).

Every figure has `kind` and `title`; the other fields, per kind:

- heatmap:     values [rows][cols], rows, cols (labels), vmin, vmax, scale ("sequential" or
               "diverging": a diverging scale is centred on 0), x_label, y_label
- head_scores: values [layer][head], threshold (cells at or above it are marked), rows, cols
- lines:       x (shared x values), series {name: [y...]}, x_label, y_label, log_y, note
- bars:        labels, values, x_label, y_label
- scatter:     series {name: {"x": [...], "y": [...], "labels": [...] or None}}, x_label, y_label
- board:       values [rows][cols] (per-cell numbers, may be None), marks [rows][cols] (short
               strings drawn in the cell, "" for none), vmin, vmax, scale, rows, cols (labels)
- tokens:      sequences [{"tokens": [str], "values": [float], "highlight": int or None,
               "label": str}], vmin, vmax (the "top-activating contexts" view)
"""

from __future__ import annotations

import math
from typing import Any, Mapping, Sequence

MAX_CELLS = 200 * 200  # larger grids are downsampled (with a note) before they are queued
MAX_POINTS = 5000  # per line-plot series, likewise
SCALES = ("sequential", "diverging")


def _floats(values: Any) -> list:
    """Nested lists of floats (None for nan/inf, which JSON cannot carry) from a tensor, an array or lists."""
    if hasattr(values, "detach"):
        values = values.detach().cpu().tolist()
    elif hasattr(values, "tolist"):
        values = values.tolist()
    if isinstance(values, (list, tuple)):
        return [_floats(v) for v in values]
    if values is None:
        return None  # type: ignore[return-value]
    number = float(values)
    return number if math.isfinite(number) else None  # type: ignore[return-value]


def _grid(values: Any, what: str) -> list[list[Any]]:
    grid = _floats(values)
    if not isinstance(grid, list) or any(not isinstance(row, list) for row in grid):
        raise ValueError(f"{what}: expected a 2-D grid of numbers")
    return grid


def _downsample(grid: list[list[Any]], rows: list[str], cols: list[str]) -> tuple[list, list, list, str]:
    """Keep every k-th row and column so the grid holds at most MAX_CELLS cells; say so in a note."""
    n_rows, n_cols = len(grid), max((len(r) for r in grid), default=0)
    if n_rows * n_cols <= MAX_CELLS:
        return grid, rows, cols, ""
    step = math.ceil(math.sqrt(n_rows * n_cols / MAX_CELLS))
    kept_rows = list(range(0, n_rows, step))
    kept_cols = list(range(0, n_cols, step))
    note = f"downsampled from {n_rows} x {n_cols}: every {step}th row and column"
    return (
        [[grid[r][c] for c in kept_cols] for r in kept_rows],
        [rows[r] for r in kept_rows] if rows else rows,
        [cols[c] for c in kept_cols] if cols else cols,
        note,
    )


def _range(grid: list[list[Any]], vmin: float | None, vmax: float | None, scale: str) -> tuple[float, float]:
    finite = [v for row in grid for v in row if v is not None]
    if scale == "diverging":
        bound = max((abs(v) for v in finite), default=1.0) or 1.0
        return (-bound if vmin is None else vmin), (bound if vmax is None else vmax)
    low = min(finite, default=0.0) if vmin is None else vmin
    high = max(finite, default=1.0) if vmax is None else vmax
    return float(low), float(high)


def heatmap(
    values: Any,
    rows: Sequence[Any] | None = None,
    cols: Sequence[Any] | None = None,
    *,
    title: str = "",
    vmin: float | None = 0.0,
    vmax: float | None = 1.0,
    scale: str = "sequential",
    x_label: str = "",
    y_label: str = "",
) -> dict[str, Any]:
    if scale not in SCALES:
        raise ValueError(f"scale must be one of {SCALES}, got {scale!r}")
    grid = _grid(values, "heatmap")
    rows = [str(r) for r in rows] if rows is not None else [str(i) for i in range(len(grid))]
    cols = [str(c) for c in cols] if cols is not None else [str(i) for i in range(len(grid[0]) if grid else 0)]
    grid, rows, cols, note = _downsample(grid, rows, cols)
    low, high = _range(grid, vmin, vmax, scale)
    return {"kind": "heatmap", "title": title, "values": grid, "rows": rows, "cols": cols, "vmin": low,
            "vmax": high, "scale": scale, "x_label": x_label, "y_label": y_label, "note": note}


def head_scores(values: Any, *, title: str = "", threshold: float | None = None, rows: str = "layer", cols: str = "head") -> dict[str, Any]:
    return {"kind": "head_scores", "title": title, "values": _grid(values, "head scores"), "threshold": threshold, "rows": rows, "cols": cols}


def lines(
    series: Mapping[str, Any], x: Any = None, *, title: str = "", x_label: str = "", y_label: str = "", log_y: bool = False
) -> dict[str, Any]:
    curves = {str(name): _floats(ys) for name, ys in series.items()}
    length = max((len(ys) for ys in curves.values()), default=0)
    xs = _floats(x) if x is not None else list(range(length))
    note = ""
    if length > MAX_POINTS:  # a curve of every training step: keep every k-th point (and the last)
        step = math.ceil(length / MAX_POINTS)
        kept = sorted(set(range(0, length, step)) | {length - 1})
        xs = [xs[i] for i in kept if i < len(xs)]
        curves = {name: [ys[i] for i in kept if i < len(ys)] for name, ys in curves.items()}
        note = f"thinned from {length} points: every {step}th point"
    return {"kind": "lines", "title": title, "x": xs, "series": curves, "x_label": x_label, "y_label": y_label, "log_y": log_y,
            "note": note}


def bars(labels: Sequence[Any], values: Any, *, title: str = "", x_label: str = "", y_label: str = "") -> dict[str, Any]:
    numbers = _floats(values)
    if len(numbers) != len(labels):
        raise ValueError(f"bars: {len(labels)} labels for {len(numbers)} values")
    return {"kind": "bars", "title": title, "labels": [str(l) for l in labels], "values": numbers, "x_label": x_label, "y_label": y_label}


def scatter(series: Mapping[str, Any], *, title: str = "", x_label: str = "", y_label: str = "") -> dict[str, Any]:
    """`series` maps a name to (xs, ys) or (xs, ys, point labels)."""
    points = {}
    for name, data in series.items():
        xs, ys, *rest = data
        points[str(name)] = {"x": _floats(xs), "y": _floats(ys), "labels": [str(l) for l in rest[0]] if rest else None}
    return {"kind": "scatter", "title": title, "series": points, "x_label": x_label, "y_label": y_label}


def board(
    values: Any = None, marks: Sequence[Sequence[str]] | None = None, *, title: str = "",
    vmin: float | None = None, vmax: float | None = None, scale: str = "sequential",
    rows: Sequence[Any] | None = None, cols: Sequence[Any] | None = None,
) -> dict[str, Any]:
    """`rows` / `cols` label the board's rows and columns (e.g. "A".."H" and 1..8; default 0, 1, ...)."""
    if values is None and marks is None:
        raise ValueError("board: give per-cell values, marks, or both")
    if scale not in SCALES:
        raise ValueError(f"scale must be one of {SCALES}, got {scale!r}")
    grid = _grid(values, "board") if values is not None else [[None] * len(row) for row in marks]  # type: ignore[union-attr]
    labels = [[str(m) for m in row] for row in marks] if marks is not None else [[""] * len(row) for row in grid]
    low, high = _range(grid, vmin, vmax, scale)
    n_cols = max((len(row) for row in grid), default=0)
    row_labels = [str(r) for r in rows] if rows is not None else [str(i) for i in range(len(grid))]
    col_labels = [str(c) for c in cols] if cols is not None else [str(i) for i in range(n_cols)]
    return {"kind": "board", "title": title, "values": grid, "marks": labels, "vmin": low, "vmax": high, "scale": scale,
            "rows": row_labels, "cols": col_labels}


def tokens(
    sequences: Sequence[Mapping[str, Any]], *, title: str = "", vmin: float | None = None, vmax: float | None = None
) -> dict[str, Any]:
    """Each sequence: {"tokens": [...], "values": [...], "highlight": index or None, "label": ""}."""
    rows = []
    for seq in sequences:
        toks = [str(t) for t in seq["tokens"]]
        vals = _floats(seq["values"])
        if len(toks) != len(vals):
            raise ValueError(f"tokens: {len(toks)} tokens for {len(vals)} values")
        rows.append({"tokens": toks, "values": vals, "highlight": seq.get("highlight"), "label": str(seq.get("label", ""))})
    low, high = _range([r["values"] for r in rows], vmin, vmax, "sequential")
    return {"kind": "tokens", "title": title, "sequences": rows, "vmin": low, "vmax": high}


KINDS = ("heatmap", "head_scores", "lines", "bars", "scatter", "board", "tokens")
