"""Activation patching per head: over all positions, and position by position.

A layer's attention output is the sum of its heads' outputs, and each head's output is a linear
function of its `z` ([batch, pos, head, d_head], the hook `blocks.{L}.attn.hook_z`). Patching one
head's z from the clean run into the corrupted one asks: does this head carry the difference?
Doing it at one position at a time says *where* it carries it.

Goal (clean run cached once; one corrupted run per patch; `metric` of the patched logits):
1. `patch_head_all_pos(model, clean_tokens, corrupted_tokens, metric)` -> [n_layers, n_heads]:
   head (L, H)'s z patched at every position.
2. `patch_head_by_pos(model, clean_tokens, corrupted_tokens, metric, positions)` ->
   [n_layers, len(positions), n_heads]: head (L, H)'s z patched at position `positions[i]` only.

Rules: hooks on `hook_z` written by you; no `transformer_lens.patching`. Leave the cache alone.

Worked example: in this model L0H0 attends from the end to S2 and copies the subject there,
so patching its z at the end alone gives about 1.0, and at any other position about 0.
"""

from typing import Callable, Sequence

import torch
from jaxtyping import Float, Int
from torch import Tensor


def patch_head_all_pos(
    model, clean_tokens: Int[Tensor, "batch pos"], corrupted_tokens: Int[Tensor, "batch pos"],
    metric: Callable[[Tensor], Tensor],
) -> Float[Tensor, "layer head"]:
    """Metric after patching head (L, H)'s clean z at every position."""
    raise NotImplementedError('cache the clean run; per layer and head, a hook on hook_z copying z[:, :, head] (about 10 lines)')


def patch_head_by_pos(
    model, clean_tokens: Int[Tensor, "batch pos"], corrupted_tokens: Int[Tensor, "batch pos"],
    metric: Callable[[Tensor], Tensor], positions: Sequence[int],
) -> Float[Tensor, "layer n_positions head"]:
    """Metric after patching head (L, H)'s clean z at position positions[i] only."""
    raise NotImplementedError('as above with one more loop over positions; the hook copies z[:, pos, head] (about 12 lines)')
