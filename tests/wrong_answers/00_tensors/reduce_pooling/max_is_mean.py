# MISTAKE: Uses 'mean' in max_pool.
# NAMED: this is the mean of each block
"""Max-pooling and mean-pooling over blocks with `einops.reduce`.

Goal: shrink a batch of images `[batch, channel, height, width]` by a factor `k` in both
directions, each output pixel summarising one non-overlapping `k x k` block of the input:

- `max_pool`: the largest value of the block;
- `mean_pool`: the average of the block.

Rules: one `einops.reduce` per function; no `torch.nn.functional` (no `max_pool2d`,
`avg_pool2d`), no `unfold`, no Python loops. You may assume `height` and `width` are multiples
of `k`.

Worked example (`reduce` splits an axis like `rearrange`, then reduces every name that is
missing on the output side):
    >>> x = torch.tensor([[1., 5., 2., 0.],
    ...                   [3., 4., 8., 6.]])
    >>> einops.reduce(x, "row (block k) -> row block", "max", k=2)
    tensor([[5., 2.],
            [4., 8.]])

Why it matters: pooling is a CNN's way of trading resolution for reach, and a pattern like
`(h k)` -- the block index varying slowest, the offset inside the block fastest -- is how you
say "contiguous blocks" in einops.
"""

import einops
import torch
from jaxtyping import Float
from torch import Tensor


def max_pool(x: Float[Tensor, "batch channel height width"], k: int) -> Float[Tensor, "batch channel out_h out_w"]:
    """The maximum of every non-overlapping `k x k` block."""
    # BEGIN SOLUTION: one einops.reduce with "max", splitting height as (h k1) and width as (w k2) (about 1 line)
    return einops.reduce(x, "b c (h k1) (w k2) -> b c h w", "mean", k1=k, k2=k)
    # END SOLUTION


def mean_pool(x: Float[Tensor, "batch channel height width"], k: int) -> Float[Tensor, "batch channel out_h out_w"]:
    """The mean of every non-overlapping `k x k` block."""
    # BEGIN SOLUTION: the same pattern as max_pool, reduced with "mean" (about 1 line)
    return einops.reduce(x, "b c (h k1) (w k2) -> b c h w", "mean", k1=k, k2=k)
    # END SOLUTION
