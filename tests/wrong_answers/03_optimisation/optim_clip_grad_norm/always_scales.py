# MISTAKE: Scales every gradient to max_norm even when the norm is already below it.
# NAMED: gradients already within max_norm were scaled up
"""Gradient clipping by global norm.

Goal: rescale the gradients of a set of parameters, in place, so that their *combined* norm is
at most `max_norm`, as `torch.nn.utils.clip_grad_norm_` does, and return the combined norm
measured before clipping. The combined ("global") norm treats all gradients as one long vector:

    total = || (||g_1||, ||g_2||, ..., ||g_k||) ||        (every norm of order `norm_type`)
    coefficient = min(1, max_norm / (total + 1e-6))
    every g_i *= coefficient

Scaling all gradients by one number keeps the direction of the update and only shortens it:
a rare huge gradient (a loss spike) cannot throw the parameters far away. Clipping each tensor
on its own would change the direction.

Rules: any torch (no `torch.nn.utils.clip_grad_norm_`). Skip parameters whose `.grad` is None.
`norm_type` is a p >= 1 or `math.inf` (then the norm is the largest absolute value).
`torch.linalg.vector_norm(x, ord)` computes a norm of any order. Never scale gradients up.

Worked example (gradients (3, 4) and (12): global 2-norm 13; clipped to norm 6.5, all halved):
    >>> a, b = torch.zeros(2, requires_grad=True), torch.zeros(1, requires_grad=True)
    >>> a.grad, b.grad = torch.tensor([3.0, 4.0]), torch.tensor([12.0])
    >>> clip_grad_norm([a, b], max_norm=6.5), a.grad, b.grad
    (tensor(13.), tensor([1.5000, 2.0000]), tensor([6.0000]))
"""

from collections.abc import Iterable

import torch
from jaxtyping import Float
from torch import Tensor


@torch.no_grad()
def clip_grad_norm(
    params: Iterable[Tensor], max_norm: float, norm_type: float = 2.0
) -> Float[Tensor, ""]:
    """Scale the gradients of `params` in place to a global norm <= max_norm; return the
    global norm from before the scaling."""
    # BEGIN SOLUTION: collect the existing grads, take the norm of their norms, compute the coefficient clamped to 1, multiply every grad in place (about 8 lines)
    grads = [p.grad for p in params if p.grad is not None]
    if not grads:
        return torch.tensor(0.0)
    norms = torch.stack([torch.linalg.vector_norm(g, norm_type) for g in grads])
    total = torch.linalg.vector_norm(norms, norm_type)
    coefficient = max_norm / (total + 1e-6)
    for g in grads:
        g.mul_(coefficient)
    return total
    # END SOLUTION
