# MISTAKE: Forgets the 1/sqrt(d_head) scale.
# NAMED: not divided by sqrt(d_head)
"""Where does the previous-token head look? Its positional QK pattern.

A previous-token head must attend from position i to position i - 1 whatever the tokens are,
so it should do it from the positional embeddings alone. Compute the pattern a layer-0 head
would have if the token embeddings were all zero:

    x      = ln1(W_pos[:n_pos])                     # the block's LayerNorm, with its w and b
    q      = x @ W_Q[0, h] + b_Q[0, h]              # [n_pos, d_head]; k likewise with W_K, b_K
    scores = q @ k.T / sqrt(d_head), -inf above the diagonal
    pattern = softmax over keys                     # [n_pos, n_pos]

LayerNorm here: centre each row over d_model, divide by sqrt(mean of squares + eps)
(`model.cfg.eps`), then `* model.blocks[0].ln1.w + model.blocks[0].ln1.b`. The positional
embedding is `model.pos_embed.W_pos` ([n_ctx, d_model]); TransformerLens 3.9's bridge has no
top-level `model.W_pos` (it has `W_E`, `W_U`, `W_Q`, ... but not that one).

Goal: `positional_pattern(model, head, n_pos)`. This is exactly the layer-0 pattern of a
sequence of `n_pos` tokens with the token embeddings switched off (the checks run the model
with a hook that zeroes `hook_embed` and compare), and they draw the previous-token head's.

Rules: torch / einops; no forward pass of the model.

Worked example (what you should find): for the previous-token head, every row i >= 1 has
its largest entry at column i - 1.
"""

import math

import einops
import torch
from jaxtyping import Float
from torch import Tensor


def positional_pattern(model, head: int, n_pos: int) -> Float[Tensor, "q_pos k_pos"]:
    """Layer-0 attention pattern of `head` from the positional embeddings alone."""
    # BEGIN SOLUTION: LayerNorm of W_pos[:n_pos], q and k with biases, scaled scores, causal mask, softmax (about 10 lines)
    ln = model.blocks[0].ln1
    x = model.pos_embed.W_pos[:n_pos]  # [n_pos, d_model]
    x = x - x.mean(dim=-1, keepdim=True)
    x = x / (x.pow(2).mean(dim=-1, keepdim=True) + model.cfg.eps).sqrt() * ln.w + ln.b
    q = einops.einsum(x, model.W_Q[0, head], "p d, d e -> p e") + model.b_Q[0, head]
    k = einops.einsum(x, model.W_K[0, head], "p d, d e -> p e") + model.b_K[0, head]
    scores = q @ k.T
    future = torch.ones(n_pos, n_pos, dtype=torch.bool).triu(diagonal=1)
    return scores.masked_fill(future, float("-inf")).softmax(dim=-1)
    # END SOLUTION
