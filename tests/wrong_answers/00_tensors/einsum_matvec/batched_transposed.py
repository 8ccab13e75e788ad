# MISTAKE: Batched: contracts over the row index (mat.T @ vec).
# NAMED: this is mats.T @ vecs
"""Matrix-vector products with einsum, single and batched.

Goal: `matvec(mat, vec)[i] = sum_j mat[i, j] * vec[j]`, and the same for a whole batch of
matrices and vectors at once: `batched_matvec(mats, vecs)[b, i] = sum_j mats[b, i, j] * vecs[b, j]`.

Rules: one `einops.einsum` per function; no `@`, `torch.matmul`, `torch.mv`, `torch.bmm`, no
Python loops.

Worked example (einops.einsum names axes with words, separated by spaces; an index missing on
the output side is summed over):
    >>> einops.einsum(torch.tensor([1., 2.]), torch.tensor([3., 4.]), "j, j ->")
    tensor(11.)
    >>> mat = torch.tensor([[1., 2.], [3., 4.]])
    >>> einops.einsum(mat, "i j -> i")        # row sums
    tensor([3., 7.])

Why it matters: a linear layer applied to one input is a matrix-vector product; a batch axis
that appears on every side of an einsum is carried along untouched.
"""

import einops
import torch
from jaxtyping import Float
from torch import Tensor


def matvec(mat: Float[Tensor, "m n"], vec: Float[Tensor, "n"]) -> Float[Tensor, "m"]:
    """`mat @ vec`, written as an einsum."""
    # BEGIN SOLUTION: one einops.einsum: the shared index is summed, the row index is kept (about 1 line)
    return einops.einsum(mat, vec, "i j, j -> i")
    # END SOLUTION


def batched_matvec(mats: Float[Tensor, "batch m n"], vecs: Float[Tensor, "batch n"]) -> Float[Tensor, "batch m"]:
    """One matrix-vector product per batch element."""
    # BEGIN SOLUTION: the same einsum with a batch index on every side (about 1 line)
    return einops.einsum(mats, vecs, "b j i, b j -> b i")
    # END SOLUTION
