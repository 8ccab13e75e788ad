# MISTAKE: Takes the softmax over the query axis.
# NAMED: the softmax is over the query axis
"""Recompute an attention pattern from the cached queries and keys.

Goal: given the queries and keys a layer's heads computed (`cache["q", layer]`,
`cache["k", layer]`, each [batch, pos, head, d_head]), return the attention pattern
[batch, head, query_pos, key_pos] that the model itself cached (`cache["pattern", layer]`):

    score[b, h, i, j] = q[b, i, h] . k[b, j, h] / sqrt(d_head)
    score = -inf where j > i            (a position never reads a later one)
    pattern = softmax over the key axis j

Doing this once by hand is how you check that you understand what a hook point holds. The
checks also draw the pattern of a layer-0 head that attends to the previous token.

Rules: `einops.einsum` or `torch.einsum` for the products; `torch.softmax`. No
`scaled_dot_product_attention`.

Worked example (1 head, d_head 4, so the scale is 2):
    q at position 1 = [2, 0, 0, 0]; k at positions 0, 1 = [1, 0, 0, 0], [0, 0, 0, 0]
    scores of query 1 = [1, 0]   pattern of query 1 = softmax([1, 0]) = [0.731, 0.269]
    query 0 sees only key 0:     pattern of query 0 = [1, 0]
"""

import math

import einops
import torch
from jaxtyping import Float
from torch import Tensor


def attention_pattern(
    q: Float[Tensor, "batch pos head d_head"], k: Float[Tensor, "batch pos head d_head"]
) -> Float[Tensor, "batch head q_pos k_pos"]:
    """The causal attention pattern of every head, from its queries and keys."""
    # BEGIN SOLUTION: einsum over d_head, divide by sqrt(d_head), mask j > i with -inf, softmax over keys (about 5 lines)
    scores = einops.einsum(q, k, "b q_pos h e, b k_pos h e -> b h q_pos k_pos") / math.sqrt(q.shape[-1])
    n = q.shape[1]
    future = torch.ones(n, n, dtype=torch.bool, device=q.device).triu(diagonal=1)  # key after query
    return scores.masked_fill(future, float("-inf")).softmax(dim=-2)
    # END SOLUTION
