# MISTAKE: averages each head's z over all positions instead of reading it at `end`.
# NAMED: averaged over all positions
"""Logit attribution per head: which heads write IO - S directly?

Each head's output at a position is `z[pos, head] @ W_O[layer, head]` ([d_model]); the attention
layer's output is the sum of these plus a bias. Read through the final LayerNorm as in the
previous exercise (centre, divide by the final scale of this run at `end`, dot with the
prompt's logit-difference direction), each head gets its own direct contribution to IO - S.

Goal: `head_attribution(model, cache, directions, end)` -> [n_layers, n_heads, batch]: the
direct IO - S attribution of every head's output at each prompt's `end` position (biases
excluded, as `cache.stack_head_results` does).

Rules: read `z` from the cache (`cache["z", layer]`, [batch, pos, head, d_head]) and the weights
from `model.W_O` ([layer, head, d_head, d_model]); no `stack_head_results` / `apply_ln_to_stack`.

Worked example: a head with z @ W_O = [3, 1] at the end, final scale 2, direction [1, 0]:
    centred [1, -1] / 2 = [0.5, -0.5]  ->  attribution 0.5
"""

import torch
from jaxtyping import Float, Int
from torch import Tensor
from transformer_lens import ActivationCache


def head_attribution(
    model, cache: ActivationCache, directions: Float[Tensor, "batch d_model"], end: Int[Tensor, "batch"]
) -> Float[Tensor, "layer head batch"]:
    """Direct IO - S attribution of each head's output at `end`."""
    # BEGIN SOLUTION: per layer einsum z[rows, end] with W_O[layer] to [batch, head, d_model]; centre, divide by the final scale at end, dot with directions (about 8 lines)
    rows = torch.arange(len(end))
    scale = cache["ln_final.hook_scale"][rows, end]  # [batch, 1]
    out = []
    for layer in range(model.cfg.n_layers):
        z = cache["z", layer].mean(dim=1)  # [batch, head, d_head]
        result = torch.einsum("bhd,hdm->hbm", z, model.W_O[layer])  # [head, batch, d_model]
        result = result - result.mean(dim=-1, keepdim=True)
        out.append((result / scale * directions).sum(dim=-1))  # [head, batch]
    return torch.stack(out)
    # END SOLUTION
