# MISTAKE: Forgets keepdim=True, so the max broadcasts along the wrong axis.
# NAMED: the row max lost its axis (amax without keepdim=True)
"""A numerically stable, batched logsumexp.

Goal: `logsumexp(x)[...] = log(sum_i exp(x[..., i]))` over the last axis of a tensor
`[*batch, n]`, returning `[*batch]`, correct for inputs of any size -- including rows whose
values are all around +1000 or all around -1000.

Why the naive formula fails: in float32, `exp(89)` is already `inf` and `exp(-104)` is `0`
(float64 only moves the limits to about +-709). So `log(sum(exp(x)))` gives `inf` for large
inputs and `-inf` for very negative ones, although the true answer is an ordinary number.

The fix: for any constant `c`, `log(sum exp(x_i)) = c + log(sum exp(x_i - c))`. Choose `c` =
the row's maximum: then the largest term is `exp(0) = 1`, so the sum lies between 1 and `n`
and its log can neither overflow nor be `log(0)`. Use one maximum *per row*, not one for the
whole tensor: rows on very different scales need their own.

Rules: `max`/`amax`, `exp`, `sum`, `log`, arithmetic; no `torch.logsumexp`,
`Tensor.logsumexp`, `torch.special.logsumexp`, no softmax functions, no Python loops. You may
assume every row has at least one finite entry (entries equal to `-inf`, as produced by a
mask, must work).

Worked example:
    >>> logsumexp(torch.tensor([1000., 1000.]))   # 1000 + log 2, to float32 precision
    tensor(1000.6932)
    >>> logsumexp(torch.tensor([[0., 0., 0., 0.], [-1000., -1000., -1000., -1000.]]))
    tensor([   1.3863, -998.6137])
"""

import torch
from jaxtyping import Float
from torch import Tensor


def logsumexp(x: Float[Tensor, "*batch n"]) -> Float[Tensor, "*batch"]:
    """`log(sum(exp(x)))` over the last axis, without overflow or underflow."""
    # BEGIN SOLUTION: subtract each row's max (keepdim=True), logsumexp the rest, add the max back (about 3 lines)
    row_max = x.amax(dim=-1)  # [*batch, 1]
    shifted_sum = (x - row_max[..., None] if x.shape[0] != x.shape[-1] else x - row_max).exp().sum(dim=-1)  # [*batch], between 1 and n
    return shifted_sum.log() + row_max
    # END SOLUTION
