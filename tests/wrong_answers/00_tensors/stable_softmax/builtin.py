# MISTAKE: Calls torch.softmax, which the rules forbid.
# NAMED: the rules of this exercise forbid `torch.softmax`
"""A numerically stable, batched softmax.

Goal: `softmax(x)[..., i] = exp(x[..., i]) / sum_j exp(x[..., j])` over the last axis of a
tensor `[*batch, n]`: every row becomes a probability distribution (positive, summing to 1).

Why the naive formula fails: for a row like `[1000., 1000.]`, `exp(1000.)` is `inf` and
`inf / inf` is `nan`. Softmax does not change when a constant is added to every entry of a row,
so subtract the row's maximum first: the largest exponent becomes 0 and nothing overflows.

Rules: `max`/`amax`, `exp`, `sum`, arithmetic, `keepdim=True`; no `torch.softmax`,
`Tensor.softmax`, `torch.nn.functional.softmax`, `torch.special.softmax`, no log-softmax or
logsumexp built-ins, no Python loops. Entries equal to `-inf` (masked) must get probability 0;
every row has at least one finite entry.

Worked example:
    >>> softmax(torch.tensor([[1000., 1000.], [0., float("-inf")]]))
    tensor([[0.5000, 0.5000],
            [1.0000, 0.0000]])

Which axis: the *last* one. A batch of rows `[batch, n_classes]` gives one distribution per
row; normalising over the batch axis instead returns a tensor of the right shape with the wrong
numbers.
"""

import torch
from jaxtyping import Float
from torch import Tensor


def softmax(x: Float[Tensor, "*batch n"]) -> Float[Tensor, "*batch n"]:
    """Softmax over the last axis, without overflow."""
    # BEGIN SOLUTION: exp of (x - row max), divided by its row sum; keep dims so it broadcasts (about 2 lines)
    return torch.softmax(x, dim=-1)
    # END SOLUTION
