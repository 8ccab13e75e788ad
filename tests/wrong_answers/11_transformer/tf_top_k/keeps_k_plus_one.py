# MISTAKE: Takes topk(k + 1), keeping one token too many.
# NAMED: one logit too many is kept
"""Sampling, part 2: top-k, sample only among the k most likely tokens.

Goal: write `top_k_filter(logits, k)`: return a copy of `logits` in which, in every row, all but
the k largest logits are set to -inf. Sampling from the result (with the sampler of the
previous exercise) then never picks a token outside the k most likely ones, and picks the k in
proportion to their original probabilities (the softmax renormalises them).

Rules: `torch.topk` and `masked_fill` / `torch.where` (or `scatter`). Do not modify `logits` in
place. You may assume that the logits of a row are all different.

Worked example (k = 2):
    [[1., 5., 3., 2.],          [[-inf, 5., 3., -inf],
     [0., -1., 4., 8.]]    ->    [-inf, -inf, 4., 8.]]

Why: the long tail of unlikely tokens holds a lot of probability in total; sampling from it
now and then derails a generation. Top-k cuts the tail at a fixed size, whatever the shape of
the distribution, which is its weakness: k = 40 is too many when the model is sure and too few
when it is not (top-p, next, adapts).
"""

import torch
from jaxtyping import Float
from torch import Tensor


def top_k_filter(logits: Float[Tensor, "batch d_vocab"], k: int) -> Float[Tensor, "batch d_vocab"]:
    """`logits` with all but the k largest of each row set to -inf."""
    # BEGIN SOLUTION: the k-th largest value of each row via topk, then masked_fill the smaller ones with -inf (about 2 lines)
    kth_largest = logits.topk(min(k + 1, logits.shape[-1]), dim=-1).values[:, -1:]
    return logits.masked_fill(logits < kth_largest, float("-inf"))
    # END SOLUTION
