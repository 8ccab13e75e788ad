# MISTAKE: Only handles -1 as a negative axis (other negative axes treated as counted from the start+1).
# NAMED: a negative axis other than -1 was converted wrongly
"""Flatten: merge a run of consecutive axes into one.

Goal: `Flatten(start_dim, end_dim)(x)` merges the axes `start_dim` to `end_dim` of `x`, both
*included*, into one axis and keeps the others, exactly like `torch.nn.Flatten`. Negative axes
count from the end (`-1` is the last axis); an axis outside `[-ndim, ndim)` raises an
`IndexError` and a `start_dim` that comes after `end_dim` (once both are non-negative) raises a
`RuntimeError`, as torch does. A 0-d tensor counts as shape (1,). The default `Flatten()` turns a batch of images
`[batch, channels, height, width]` into the rows `[batch, channels * height * width]` that a
linear layer takes.

Rules: shape arithmetic (`x.shape`, `math.prod`) and `reshape`; no `torch.flatten`,
`Tensor.flatten`, `torch.nn.Flatten`, `einops`. The input may be non-contiguous (a transposed
view, say): `view` refuses those, `reshape` copies when it must.

Worked example:
    >>> Flatten()(torch.zeros(32, 3, 8, 8)).shape
    torch.Size([32, 192])
    >>> Flatten(start_dim=0, end_dim=1)(torch.zeros(2, 3, 5)).shape
    torch.Size([6, 5])
"""

import math

from jaxtyping import Float
from torch import Tensor, nn


class Flatten(nn.Module):
    def __init__(self, start_dim: int = 1, end_dim: int = -1):
        super().__init__()
        self.start_dim = start_dim
        self.end_dim = end_dim

    def forward(self, x: Float[Tensor, "..."]) -> Float[Tensor, "..."]:
        # BEGIN SOLUTION: check both axes are in [-ndim, ndim) (IndexError) and make them non-negative, refuse start after end (RuntimeError), then reshape to shape[:start] + (product of shape[start:end+1],) + shape[end+1:] (about 10 lines)
        shape = tuple(x.shape) if x.ndim else (1,)  # torch treats a 0-d tensor as shape (1,)
        ndim = len(shape)
        for dim in (self.start_dim, self.end_dim):
            if not -ndim <= dim < ndim:
                raise IndexError(f"Dimension out of range (expected to be in range of [{-ndim}, {ndim - 1}], but got {dim})")
        start = self.start_dim if self.start_dim >= 0 else (ndim - 1 if self.start_dim == -1 else -self.start_dim)
        end = self.end_dim % ndim
        if start > end:
            raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
        merged = math.prod(shape[start : end + 1])  # end_dim is included
        return x.reshape(*shape[:start], merged, *shape[end + 1 :])
        # END SOLUTION

    def extra_repr(self) -> str:
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"
