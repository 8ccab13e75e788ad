# MISTAKE: Computes the patterns with run_with_cache, which this exercise forbids.
# NAMED: not with run_with_cache
"""Induction scores, computed inside a hook.

Goal: on repeated tokens (`<bos>`, a copy of `half_len` tokens at positions 1 … half_len, then
the same copy at half_len+1 … 2*half_len), measure for every head how much each query of the
second copy attends to the token *after* the earlier occurrence of its own token:

    query i = half_len + 1 … 2*half_len holds the same token as position i - half_len;
    the token that followed it sits at key  j = i - half_len + 1.

The induction score of a head is that attention, averaged over the batch and over those
`half_len` queries. (Attending to key i - half_len, the earlier occurrence itself, is what a
"duplicate-token" head does; that is not it.)

Instead of caching every pattern, compute the score while the model runs:
1. `induction_score_hook(pattern, hook, half_len, scores)`: a forward hook on a layer's
   `hook_pattern` ([batch, head, q_pos, k_pos]); write that layer's scores into row
   `hook.layer()` of `scores` ([layer, head]); return nothing (the pattern is left as it is).
2. `induction_scores(model, tokens, half_len)`: make a zero [layer, head] tensor, run the model
   with `model.run_with_hooks(tokens, return_type=None, fwd_hooks=[(name_filter, hook_fn)])`,
   where `name_filter` picks the names that end in "hook_pattern" and `hook_fn` is your hook with
   `half_len` and `scores` bound (`functools.partial`); return the tensor.

Rules: no `run_with_cache` (the checks forbid it here). `torch.diagonal(offset=...)` picks the
(i, i - d) entries.

Worked example (half_len 3, tokens <bos> A B C A B C at positions 0 … 6):
    query 4 (A) -> key 2 (B),  query 5 (B) -> key 3 (C),  query 6 (C) -> key 4 (A)
"""

from functools import partial

import torch
from jaxtyping import Float, Int
from torch import Tensor
from transformer_lens.hook_points import HookPoint


def induction_score_hook(
    pattern: Float[Tensor, "batch head q_pos k_pos"],
    hook: HookPoint,
    half_len: int,
    scores: Float[Tensor, "layer head"],
) -> None:
    """Write this layer's induction score per head into `scores[hook.layer()]`."""
    # BEGIN SOLUTION: the diagonal at offset -(half_len - 1), keep its entries for queries half_len+1 …, mean over batch and them (about 3 lines)
    stripe = pattern.diagonal(offset=-(half_len - 1), dim1=-2, dim2=-1)  # [batch, head, k]: query = k + half_len - 1
    second_copy = stripe[..., 2:]  # keys 2 … half_len+1, i.e. queries half_len+1 … 2*half_len
    scores[hook.layer()] = second_copy.mean(dim=(0, -1))
    # END SOLUTION


def induction_scores(model, tokens: Int[Tensor, "batch seq"], half_len: int) -> Float[Tensor, "layer head"]:
    """Induction score of every head on `tokens`, computed in hooks (no cache)."""
    # BEGIN SOLUTION: zeros [n_layers, n_heads], run_with_hooks with a name filter and partial(induction_score_hook, ...) (about 6 lines)
    scores = torch.zeros(model.cfg.n_layers, model.cfg.n_heads)
    _, cache = model.run_with_cache(tokens)
    model.run_with_hooks(
        tokens,
        return_type=None,
        fwd_hooks=[(lambda name: name.endswith("hook_pattern"), partial(induction_score_hook, half_len=half_len, scores=scores))],
    )
    return scores
    # END SOLUTION
