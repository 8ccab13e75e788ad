"""`arena zoo`: the table of zoo models (imports no torch)."""

from __future__ import annotations

from rich.console import RenderableType
from rich.table import Table
from rich.text import Text


def human_size(size: int) -> str:
    if size == 0:
        return "missing"
    return f"{size / 1024:.0f} KB" if size < 2**20 else f"{size / 2**20:.1f} MB"


def zoo_view() -> RenderableType:
    from arena_cli.zoo import catalogue

    table = Table(title="The model zoo (trained by this project, shipped offline)", title_justify="left")
    table.add_column("model", style="bold")
    table.add_column("size", justify="right")
    table.add_column("params", justify="right")
    table.add_column("demonstrates")
    table.add_column("used in")
    for entry in catalogue():
        size = Text(human_size(entry.size_bytes), style="red" if entry.size_bytes == 0 else "")
        table.add_row(entry.name, size, f"{entry.n_params:,}", entry.description, ", ".join(entry.sections))
    from arena_cli.zoo import sae_catalogue

    for sae_set in sae_catalogue():
        size = Text(human_size(sae_set.size_bytes), style="red" if sae_set.size_bytes == 0 else "")
        table.add_row(f"{sae_set.name} ({sae_set.kind} on {sae_set.model})", size, f"{len(sae_set.saes)} {sae_set.kind}", sae_set.description, ", ".join(sae_set.sections))
    return table
