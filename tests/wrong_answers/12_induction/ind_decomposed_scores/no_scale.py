# MISTAKE: Forgets the 1/sqrt(d_head) scale.
# NAMED: not divided by sqrt(d_head)
"""Which pairs of components make an induction head attend?

The attention score of a layer-1 head is q . k / sqrt(d_head). With the queries and keys split
into parts by component (the previous exercise: 7 parts each, summing to q and k), the score
splits into 7 x 7 terms, one per (query component, key component) pair:

    scores[cq, ck, b, i, j] = q_parts[cq, b, i] . k_parts[ck, b, j] / sqrt(d_head)

and summing over both component axes gives back the head's scores (before masking).

Goal:
1. `decomposed_scores(q_parts, k_parts)`: [q_component, k_component, batch, q_pos, k_pos],
   no mask.
2. `pair_strength(scores)`: how much each pair *varies*: the standard deviation (torch's
   default, unbiased) of its entries over the batch and all causal (j <= i) query-key pairs.
   Output [q_component, k_component]. A pair whose term is almost the same everywhere cannot
   decide where the head looks, however large it is; one that varies a lot does.

Rules: torch / einops.

Worked example (what you should find): with the token embedding on the query side, the key
component that varies most is the previous-token head's output: "I am A" matched against "the
token before me was A". That is K-composition, seen in the activations.
"""

import math

import einops
import torch
from jaxtyping import Float
from torch import Tensor


def decomposed_scores(
    q_parts: Float[Tensor, "q_comp batch pos d_head"], k_parts: Float[Tensor, "k_comp batch pos d_head"]
) -> Float[Tensor, "q_comp k_comp batch q_pos k_pos"]:
    """The attention scores split by (query component, key component), unmasked."""
    # BEGIN SOLUTION: one einsum over d_head keeping both component axes, divided by sqrt(d_head) (about 2 lines)
    scores = einops.einsum(q_parts, k_parts, "cq b i e, ck b j e -> cq ck b i j")
    return scores
    # END SOLUTION


def pair_strength(scores: Float[Tensor, "q_comp k_comp batch q_pos k_pos"]) -> Float[Tensor, "q_comp k_comp"]:
    """Standard deviation of each pair's term over the batch and the causal (j <= i) positions."""
    # BEGIN SOLUTION: boolean lower-triangular mask [pos, pos]; scores[..., mask] flattens to [cq, ck, batch, n]; std over the last two axes (about 3 lines)
    n = scores.shape[-1]
    causal = torch.ones(n, n, dtype=torch.bool).tril()
    return scores[..., causal].flatten(start_dim=2).std(dim=-1)
    # END SOLUTION
