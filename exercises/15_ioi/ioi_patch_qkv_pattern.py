"""Patching a head's queries, keys, values and attention pattern.

Once a head matters, the next question is *which of its inputs* carries the difference. A
head reads the residual stream three times: as queries (where it looks from), keys (what it
looks at) and values (what it copies). Its attention pattern is a function of queries and keys
only: softmax(q k^T / sqrt(d_head)) under the causal mask.

Goal (all positions, one head at a time; `metric` of the patched corrupted run):
0. `patch_heads(model, clean_cache, corrupted_tokens, metric, names)`: the loop both use, with
   the clean activations of every hook point in `names` (e.g. ["q"]) patched in one run.
1. `patch_head_input(model, clean_tokens, corrupted_tokens, metric, which)` -> [n_layers, n_heads]
   with `which` one of "q", "k", "v": patch `blocks.{L}.attn.hook_{which}` ([batch, pos, head,
   d_head]) of head H from the clean run.
2. `patch_head_pattern(model, clean_tokens, corrupted_tokens, metric)` -> [n_layers, n_heads]: the
   head attends as in the clean run (its pattern is the clean pattern), while its values stay
   corrupted. On this model's TransformerBridge, `hook_pattern` only *reports* the pattern (what
   a hook returns there is not used; `transformer_lens.patching`'s pattern patcher returns 0
   everywhere here): patch the two things the pattern is made of, q and k, in the same run.

Rules: your own hooks; no `transformer_lens.patching`.

Worked example: the name movers (L1H0, L1H2) read which name is the subject through their
queries: patching their q alone restores about 0.25 and 0.35, their k and v nothing.
"""

from typing import Callable

import torch
from jaxtyping import Float, Int
from torch import Tensor


def patch_heads(model, clean_cache, corrupted_tokens: Int[Tensor, "batch pos"], metric, names: list[str]) -> Float[Tensor, "layer head"]:
    """[n_layers, n_heads]: head (L, H) patched from `clean_cache` at `blocks.{L}.attn.hook_{name}` for every name in `names`, in one run."""
    raise NotImplementedError('per layer and head, one hook that copies [:, :, head] from the clean cache, used for every hook point in names (about 12 lines)')


def patch_head_input(
    model, clean_tokens: Int[Tensor, "batch pos"], corrupted_tokens: Int[Tensor, "batch pos"],
    metric: Callable[[Tensor], Tensor], which: str,
) -> Float[Tensor, "layer head"]:
    """Metric after patching head (L, H)'s clean queries, keys or values (`which`) at every position."""
    raise NotImplementedError('cache the clean run; per layer and head a hook on hook_{which} copying [:, :, head] (about 2 lines with patch_heads)')


def patch_head_pattern(
    model, clean_tokens: Int[Tensor, "batch pos"], corrupted_tokens: Int[Tensor, "batch pos"],
    metric: Callable[[Tensor], Tensor],
) -> Float[Tensor, "layer head"]:
    """Metric after giving head (L, H) its clean attention pattern (its values stay corrupted)."""
    raise NotImplementedError('patch q and k of the same head together, in one run (about 3 lines)')
