# MISTAKE: Contracts a's columns with b's columns (a @ b.T).
# NAMED: this is a @ b.T
"""Matrix products with einsum: plain, batched, and attention scores.

Goal:
- `matmul(a, b)[i, k] = sum_j a[i, j] * b[j, k]`;
- `batched_matmul(a, b)[n, i, k] = sum_j a[n, i, j] * b[n, j, k]`;
- `attention_scores(q, k)[b, h, q, k] = sum_d q[b, q, h, d] * k[b, k, h, d]`: every query
  vector dotted with every key vector, per batch element and per head. Note the layouts: the
  inputs are `[batch, pos, head, d_head]` (as TransformerLens stores them), the output is
  `[batch, head, query_pos, key_pos]`.

Rules: one `einops.einsum` per function; no `@`, `torch.matmul`, `torch.bmm`, `transpose`,
`permute`, no Python loops.

Worked example (the output pattern may order the axes any way you like, and an einsum can
transpose on the fly):
    >>> a = torch.tensor([[1., 2.], [3., 4.]])
    >>> einops.einsum(a, torch.ones(2, 2), "i j, i k -> j k")   # a.T @ ones
    tensor([[4., 4.],
            [6., 6.]])

Why it matters: attention scores are exactly `attention_scores`; writing them as one einsum
saves a transpose, a reshape and most of the bugs.
"""

import einops
import torch
from jaxtyping import Float
from torch import Tensor


def matmul(a: Float[Tensor, "m n"], b: Float[Tensor, "n p"]) -> Float[Tensor, "m p"]:
    """`a @ b`, written as an einsum."""
    # BEGIN SOLUTION: one einops.einsum; the inner index is summed (about 1 line)
    return einops.einsum(a, b, "i j, k j -> i k")
    # END SOLUTION


def batched_matmul(a: Float[Tensor, "batch m n"], b: Float[Tensor, "batch n p"]) -> Float[Tensor, "batch m p"]:
    """One matrix product per batch element."""
    # BEGIN SOLUTION: matmul's einsum with a batch index on every side (about 1 line)
    return einops.einsum(a, b, "batch i j, batch j k -> batch i k")
    # END SOLUTION


def attention_scores(
    q: Float[Tensor, "batch query_pos head d_head"], k: Float[Tensor, "batch key_pos head d_head"]
) -> Float[Tensor, "batch head query_pos key_pos"]:
    """Dot product of every query with every key, per batch element and head."""
    # BEGIN SOLUTION: one einops.einsum with distinct names for the query and key positions (about 3 lines)
    return einops.einsum(
        q, k, "batch q_pos head d, batch k_pos head d -> batch head q_pos k_pos"
    )
    # END SOLUTION
