# MISTAKE: Uses different indices for u and v in batched_inner (product of sums).
# NAMED: u and v got different indices
"""Inner and outer products with einsum, single and batched.

Goal:
- `inner(u, v) = sum_i u[i] * v[i]` (a 0-dimensional tensor);
- `batched_inner(u, v)[b] = sum_i u[b, i] * v[b, i]`;
- `outer(u, v)[i, j] = u[i] * v[j]`;
- `batched_outer(u, v)[b, i, j] = u[b, i] * v[b, j]`.

Rules: one `einops.einsum` per function; no `@`, `torch.dot`, `torch.outer`, `torch.ger`,
`torch.matmul`, no indexing with `None`, no Python loops.

Worked example (an index kept on the output side is *not* summed: this is elementwise):
    >>> einops.einsum(torch.tensor([1., 2.]), torch.tensor([3., 4.]), "i, i -> i")
    tensor([3., 8.])

Why it matters: inner and outer products are the two extremes of einsum -- every shared index
summed, or no index shared at all. The update of a weight matrix by one example is an outer
product; a logit is an inner product.
"""

import einops
import torch
from jaxtyping import Float
from torch import Tensor


def inner(u: Float[Tensor, "n"], v: Float[Tensor, "n"]) -> Float[Tensor, ""]:
    """The dot product of two vectors."""
    # BEGIN SOLUTION: one einops.einsum with nothing on the output side (about 1 line)
    return einops.einsum(u, v, "i, i ->")
    # END SOLUTION


def batched_inner(u: Float[Tensor, "batch n"], v: Float[Tensor, "batch n"]) -> Float[Tensor, "batch"]:
    """One dot product per row."""
    # BEGIN SOLUTION: inner's einsum with a batch index kept on the output side (about 1 line)
    return einops.einsum(u, v, "b i, b j -> b")
    # END SOLUTION


def outer(u: Float[Tensor, "m"], v: Float[Tensor, "n"]) -> Float[Tensor, "m n"]:
    """Every entry of `u` times every entry of `v`."""
    # BEGIN SOLUTION: one einops.einsum with two different indices, both kept (about 1 line)
    return einops.einsum(u, v, "i, j -> i j")
    # END SOLUTION


def batched_outer(u: Float[Tensor, "batch m"], v: Float[Tensor, "batch n"]) -> Float[Tensor, "batch m n"]:
    """One outer product per row."""
    # BEGIN SOLUTION: outer's einsum with a batch index on every side (about 1 line)
    return einops.einsum(u, v, "b i, b j -> b i j")
    # END SOLUTION
