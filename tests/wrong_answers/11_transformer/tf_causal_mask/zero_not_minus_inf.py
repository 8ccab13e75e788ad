# MISTAKE: Sets the future scores to 0 instead of -inf.
# NAMED: set to 0 instead of -inf
"""The causal mask: a position may only attend to itself and to earlier positions.

Goal: write `apply_causal_mask`. Attention scores have shape [batch, n_heads, query_pos, key_pos]:
entry (q, k) says how much query position q wants to read from key position k. A language model
predicts the next token, so position q must not see any k > q (the future, which contains the
answer). Return a new tensor equal to the scores, except that every entry with k > q is -inf.
After a softmax over key_pos those entries become exactly 0.

Rules: build the mask with `torch.triu` / `torch.tril` (or compare two `arange`s), then
`masked_fill` or `torch.where`. Do not modify `attn_scores` in place.

Worked example (one batch, one head, 3 positions):
    [[1., 2., 3.],          [[1., -inf, -inf],
     [4., 5., 6.],    ->     [4.,   5., -inf],
     [7., 8., 9.]]           [7.,   8.,   9.]]

Why -inf and not 0: softmax turns a score of 0 into a weight of exp(0) = 1 (times a constant),
not into 0. Only -inf (or a number so negative that exp underflows) removes a position.
"""

import torch
from jaxtyping import Float
from torch import Tensor


def apply_causal_mask(
    attn_scores: Float[Tensor, "batch n_heads query_pos key_pos"],
) -> Float[Tensor, "batch n_heads query_pos key_pos"]:
    """`attn_scores` with every key after its query set to -inf."""
    # BEGIN SOLUTION: a boolean [query_pos, key_pos] mask that is True strictly above the diagonal, then masked_fill with -inf (about 3 lines)
    q_len, k_len = attn_scores.shape[-2:]
    future = torch.triu(torch.ones(q_len, k_len, dtype=torch.bool, device=attn_scores.device), diagonal=1)
    return attn_scores.masked_fill(future, 0.0)
    # END SOLUTION
