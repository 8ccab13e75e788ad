"""Sampling, part 3: top-p (nucleus) sampling, keep the most likely tokens up to mass p.

Goal: write `top_p_filter(logits, p)`. In every row, sort the tokens from most to least likely
and keep the shortest prefix of that order whose total probability (softmax of the row) is at
least p; set the logits of all other tokens to -inf. In other words: go down the sorted list
adding probabilities, and stop right *after* the token at which the running total first reaches
p. That boundary token is kept; nothing after it is.

Rules: `sort`, `softmax`, `cumsum`, and `scatter` (or indexing with the sort order) to put the
decision back in the original token order. We recommend no Python loop over rows or tokens
(the checks do not look for one). Do not modify
`logits` in place. The first (most likely) token is always kept.

Worked example (p = 0.75), one row with probabilities
    token:        0     1     2     3
    probability:  0.30  0.05  0.50  0.15
    sorted:       2 (0.50), 0 (0.30), 3 (0.15), 1 (0.05)
    running sum:  0.50,     0.80,     0.95,     1.00
    0.80 is the first total >= 0.75, so tokens 2 and 0 are kept: [log .3, -inf, log .5, -inf]

Why: when the model is sure, the nucleus is one or two tokens; when it is unsure, it is wide.
The cut adapts to the distribution, where top-k's fixed k cannot.
"""

import torch
from jaxtyping import Float
from torch import Tensor


def top_p_filter(logits: Float[Tensor, "batch d_vocab"], p: float) -> Float[Tensor, "batch d_vocab"]:
    """`logits` with every token outside the nucleus of mass `p` set to -inf."""
    # BEGIN SOLUTION: sort descending; a token is dropped when the mass *before* it already reaches p; scatter the decision back; masked_fill (about 6 lines)
    sorted_logits, order = logits.sort(dim=-1, descending=True)  # [batch, d_vocab] each
    sorted_probs = sorted_logits.softmax(dim=-1)
    mass_before = sorted_probs.cumsum(dim=-1) - sorted_probs  # total probability of the more likely tokens
    drop_sorted = mass_before >= p
    drop = drop_sorted.scatter(dim=-1, index=order, src=drop_sorted)  # back to the original token order
    return logits.masked_fill(drop, float("-inf"))
    # END SOLUTION
