"""What the zoo's SAE and transcoder sets share when they are trained: one CPU thread (the
weights depend on it bit for bit), the games they read and the positions kept, the seeded batch
order, and the metrics file beside them."""

from __future__ import annotations

import contextlib
import json
import time
from pathlib import Path
from typing import Any, Iterator

import torch


@contextlib.contextmanager
def on_one_thread() -> Iterator[None]:
    old = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(old)


def othello_inputs(n_games: int, seed: int) -> torch.Tensor:
    """[game, 32]: `<bos> m1 … m31` of random legal games, the model's input."""
    from arena_cli.zoo import othello

    return othello.random_games(n_games, torch.Generator().manual_seed(seed)).tokens()[:, :-1]


def move_positions(tokens: torch.Tensor) -> torch.Tensor:
    """[game, pos] bool: the positions holding a move (not `<bos>`, not padding)."""
    from arena_cli.zoo import othello

    keep = tokens != othello.PAD
    keep[:, 0] = False
    return keep


class Shuffled:
    """Batches of rows drawn without replacement from a fixed tensor, reshuffled by a seeded
    generator each epoch: SAELens' data provider for the SAEs, row indices for the transcoders."""

    def __init__(self, acts: torch.Tensor, batch: int, seed: int) -> None:
        self.acts, self.batch = acts, batch
        self.g = torch.Generator().manual_seed(seed)
        self.order, self.at = torch.randperm(len(acts), generator=self.g), 0

    def __iter__(self):
        return self

    def __next__(self) -> torch.Tensor:
        if self.at + self.batch > len(self.acts):
            self.order, self.at = torch.randperm(len(self.acts), generator=self.g), 0
        idx = self.order[self.at : self.at + self.batch]
        self.at += self.batch
        return self.acts[idx]


def write_metrics(out: Path, result: dict[str, Any], started: float) -> dict[str, Any]:
    """Add the total time, write `metrics.json` under `out`, return the result."""
    result["train_seconds"] = round(time.time() - started, 1)
    out.mkdir(parents=True, exist_ok=True)
    (out / "metrics.json").write_text(json.dumps(result, indent=2))
    return result
