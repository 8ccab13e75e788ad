# MISTAKE: Subtracts the penalty from the logits in place.
# NAMED: changed its argument `logits` in place
"""Sampling, part 4: a frequency penalty against repeating oneself.

Goal: write `apply_frequency_penalty(logits, tokens, penalty)`. For every row b, count how many
times each token id occurs in `tokens[b]` (the sequence so far), and subtract `penalty` times
that count from its logit:

    out[b, t] = logits[b, t] - penalty * (number of i with tokens[b, i] == t)

Each row counts its own sequence only. A token seen three times loses 3 * penalty; a token
never seen is unchanged.

Rules: `torch.bincount` per row, or better one `scatter_add_` (or a one-hot sum) for the whole
batch. Do not modify `logits` in place.

Worked example (penalty 0.5):
    logits = [[1., 1., 1., 1.]]     tokens = [[2, 0, 2, 2]]
    counts = [[1, 0, 3, 0]]
    -> [[0.5, 1., -0.5, 1.]]

This is the frequency penalty of the OpenAI API (their "presence penalty" subtracts a constant
once per seen token instead). Greedy decoding loops easily ("the the the ..."); a penalty that
grows with every repetition breaks the loop. Too large a penalty forbids the common words a
sentence needs ("the", a space) and the text falls apart.
"""

import torch
from jaxtyping import Float, Int
from torch import Tensor


def apply_frequency_penalty(
    logits: Float[Tensor, "batch d_vocab"], tokens: Int[Tensor, "batch seq"], penalty: float
) -> Float[Tensor, "batch d_vocab"]:
    """Logits minus `penalty` times each token's count in its own row of `tokens`."""
    # BEGIN SOLUTION: counts [batch, d_vocab] by scatter_add_ of ones at the token ids, then subtract penalty * counts (about 3 lines)
    ones = torch.ones_like(tokens, dtype=logits.dtype)
    counts = torch.zeros_like(logits).scatter_add_(dim=-1, index=tokens, src=ones)  # [batch, d_vocab]
    logits -= penalty * counts
    return logits
    # END SOLUTION
