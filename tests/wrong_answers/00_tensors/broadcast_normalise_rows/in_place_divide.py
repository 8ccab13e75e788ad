# MISTAKE: Divides the input in place (x /= ...), changing the caller's tensor.
# NAMED: in place; compute a new tensor
"""Normalise every row of a tensor at once, by broadcasting.

Goal: two row-wise normalisations of a tensor `[*batch, d]` (any number of leading axes; the
"row" is always the last axis):

- `rows_sum_to_one(x)`: divide every row by its sum, so each row sums to 1 (the inputs are
  positive, like unnormalised probabilities);
- `standardise_rows(x, eps)`: subtract each row's mean and divide by
  `sqrt(variance + eps)`, where the variance is the *population* variance of the row (divide
  by `d`, not `d - 1`). This is layer normalisation without its learned scale and shift.

Rules: reductions with `keepdim=True` (or indexing with `None`) and elementwise ops; no
`torch.nn.functional` (`normalize`, `layer_norm`), no `torch.var`/`Tensor.var`/`std` (compute the
variance yourself), no Python loops.

Worked example (`keepdim=True` keeps the reduced axis with size 1, so the result broadcasts
against the input along the right axis):
    >>> x = torch.tensor([[1., 3.], [2., 6.]])
    >>> x.sum(dim=-1, keepdim=True)      # [2, 1]
    tensor([[4.],
            [8.]])
    >>> x - x.mean(dim=-1, keepdim=True)
    tensor([[-1.,  1.],
            [-2.,  2.]])

Where it breaks: without `keepdim`, `x.sum(dim=-1)` has shape `[n]` and is aligned with the
*last* axis of `x`: an error when `n != d`, and a silently wrong answer when `n == d`.
"""

import torch
from jaxtyping import Float
from torch import Tensor


def rows_sum_to_one(x: Float[Tensor, "*batch d"]) -> Float[Tensor, "*batch d"]:
    """Divide every row (last axis) by its sum."""
    # BEGIN SOLUTION: divide by the row sums taken with keepdim=True (about 1 line)
    x /= x.sum(dim=-1, keepdim=True)
    return x
    # END SOLUTION


def standardise_rows(x: Float[Tensor, "*batch d"], eps: float = 1e-5) -> Float[Tensor, "*batch d"]:
    """`(x - mean) / sqrt(var + eps)` along the last axis, with the population variance."""
    # BEGIN SOLUTION: centre with the row mean, variance = mean of squared centred values, then divide (about 3 lines)
    centred = x - x.mean(dim=-1, keepdim=True)  # [*batch, d]
    variance = (centred**2).mean(dim=-1, keepdim=True)  # [*batch, 1]
    return centred / (variance + eps).sqrt()
    # END SOLUTION
