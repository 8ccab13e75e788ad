# MISTAKE: Sums absolute differences (L1) instead of the Euclidean distance.
# NAMED: sum of absolute differences
"""Pairwise Euclidean distances by broadcasting.

Goal: given points `x` `[n, dim]` and `y` `[m, dim]`, return the `[n, m]` matrix of distances
`dist[i, j] = sqrt(sum_k (x[i, k] - y[j, k]) ** 2)`, then use it to find, for every point of
`x`, the index of its nearest point in `y`.

Rules: broadcasting and elementwise ops (`-`, `**`, `.sum`, `.sqrt`, `.argmin`, indexing with
`None` or `unsqueeze`); no `torch.cdist`, `torch.nn.functional.pairwise_distance`,
`torch.linalg.norm`, `torch.norm`, no Python loops.

Broadcasting, in one line: two shapes are aligned from the right; each pair of sizes must be
equal or one of them 1, and a size-1 axis is stretched (without copying) to match the other.

Worked example:
    >>> col = torch.tensor([[0.], [10.]])   # [2, 1]
    >>> row = torch.tensor([1., 2., 3.])     # [3], seen as [1, 3]
    >>> col + row                            # [2, 3]
    tensor([[ 1.,  2.,  3.],
            [11., 12., 13.]])

Why it matters: nearest neighbours, k-means, RBF kernels and attention all start from a matrix
of pairwise comparisons, and broadcasting builds it without a loop.
"""

import torch
from jaxtyping import Float, Int
from torch import Tensor


def pairwise_distances(x: Float[Tensor, "n dim"], y: Float[Tensor, "m dim"]) -> Float[Tensor, "n m"]:
    """Euclidean distance between every row of `x` and every row of `y`."""
    # BEGIN SOLUTION: make x [n, 1, dim] and y [1, m, dim], subtract, square, sum over dim, sqrt (about 2 lines)
    diff = x[:, None, :] - y[None, :, :]  # [n, m, dim]
    return diff.abs().sum(dim=-1)
    # END SOLUTION


def nearest_neighbour(x: Float[Tensor, "n dim"], y: Float[Tensor, "m dim"]) -> Int[Tensor, "n"]:
    """For every row of `x`, the index of the closest row of `y`."""
    # BEGIN SOLUTION: argmin of pairwise_distances over the axis of y (about 1 line)
    return pairwise_distances(x, y).argmin(dim=1)
    # END SOLUTION
