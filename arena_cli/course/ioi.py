"""Shared scaffolding for section 1.5, "Indirect object identification & patching".

- `model()`: the zoo's `ioi` model (a TransformerBridge, loaded once per process).
- `prompts(n, seed)`: an `IOIBatch` of clean prompts and their corrupted twins (see
  `arena_cli.zoo.ioi.ioi_batch`): tokens, corrupted tokens, IO / S / C token ids, the IO, S1, S2
  and end positions, ABBA or BABA, and every position's class.
- `normalised_metric(model, batch)`: the patching metric of this section as a function of
  logits: the mean IO - S logit difference, 0 at the corrupted run and 1 at the clean one.
- `set_weights(model, name, value)` for the hand-built models of the checks.

Everything in this section patches *clean* activations into the *corrupted* run (denoising):
a patch that restores the whole clean behaviour scores 1, one that changes nothing scores 0.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Callable

import torch

from arena_cli.zoo import ioi as definition
from arena_cli.zoo.ioi import IOIBatch, ioi_batch, logit_diff

POSITION_LABELS = [f"{i}:{c}" for i, c in enumerate(definition.POSITION_CLASSES)]
HEAD_LABELS = [f"H{h}" for h in range(4)]
LAYER_LABELS = [f"L{l}" for l in range(3)]


@lru_cache(maxsize=1)
def model():
    from arena_cli.zoo import load

    return load("ioi")


def prompts(n: int = 8, seed: int = 0) -> IOIBatch:
    return ioi_batch(n, torch.Generator().manual_seed(seed))


def normalised_metric(model, batch: IOIBatch) -> Callable[[torch.Tensor], torch.Tensor]:
    """logits -> (mean logit diff - corrupted's) / (clean's - corrupted's), a 0-dim tensor."""
    with torch.no_grad():
        clean = logit_diff(model(batch.tokens), batch).mean()
        corrupted = logit_diff(model(batch.corrupted), batch).mean()

    def metric(logits: torch.Tensor) -> torch.Tensor:
        return (logit_diff(logits, batch).mean() - corrupted) / (clean - corrupted)

    return metric


def run_with_cache(model, tokens: torch.Tensor):
    """`model.run_with_cache(tokens)` without autograd (for values computed when a check is imported)."""
    with torch.no_grad():
        return model.run_with_cache(tokens)


def run(model, tokens: torch.Tensor) -> torch.Tensor:
    """`model(tokens)` without autograd."""
    with torch.no_grad():
        return model(tokens)


def set_weights(model, values: dict[str, torch.Tensor]) -> None:
    """Overwrite entries of a bridge's state dict (TransformerLens names) in place."""
    state = model.state_dict()
    for name, value in values.items():
        state[name] = value.to(state[name].dtype).reshape(state[name].shape)
    model.load_state_dict(state)


__all__ = ["IOIBatch", "POSITION_LABELS", "model", "prompts", "normalised_metric", "logit_diff", "run", "run_with_cache", "set_weights"]
