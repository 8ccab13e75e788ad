# MISTAKE: Sums every entry instead of the diagonal.
# NAMED: sum of every entry
"""Trace of a square matrix with einsum.

Goal: return the sum of the diagonal of a square matrix, written as a single
`einops.einsum` call.

Rules: use `einops.einsum` only; no `torch.trace`, `torch.diagonal`, no Python loops.

Worked example:
    >>> trace(torch.tensor([[1., 2.], [3., 4.]]))
    tensor(5.)

Why it matters: a repeated index on the input side with nothing on the output side is how
einsum says "take the diagonal, then sum"; the same pattern gives attention's QK scores later.
"""

import einops
import torch
from jaxtyping import Float
from torch import Tensor


def trace(mat: Float[Tensor, "n n"]) -> Float[Tensor, ""]:
    """The sum of the diagonal of `mat` (a 0-dimensional tensor)."""
    # BEGIN SOLUTION: one einops.einsum with the same index twice on the input side (about 1 line)
    return einops.einsum(mat, "i j ->")
    # END SOLUTION
