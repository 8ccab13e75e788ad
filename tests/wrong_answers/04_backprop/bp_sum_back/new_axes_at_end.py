# MISTAKE: Puts the summed axes back at the end instead of where they were.
# NAMED: the summed axes were put back at the end
"""The backward function of sum, with dim=None, dim=int or a tuple, and keepdim.

Goal: write `sum_back(grad_out, out, x, dim=None, keepdim=False)`, the backward function of the
engine's `sum_forward(x, dim, keepdim)` (torch's `x.sum(dim, keepdim)`; numpy's
`np.sum(x, axis=dim, keepdims=keepdim)`).

Every element of `x` adds into exactly one output element, with derivative 1: so the gradient of
`x[i, j, k]` is `grad_out` at the output element it was summed into. Copy `grad_out` back over
the summed axes:
  - `dim=None` sums every axis: `grad_out` is a single number (shape `()`), copied everywhere.
  - `dim` may be an int or a tuple of ints, negative ones included (`-1` is the last axis of x).
  - With `keepdim=True` the summed axes are still there with size 1, and `grad_out` broadcasts
    against `x` as it is. With `keepdim=False` they are gone: put them back (size 1) at their
    positions first (`np.expand_dims` takes a tuple of axes). Broadcasting alone is not enough:
    for x of shape (3, 3) summed over dim=1, grad_out has shape (3,), and numpy would broadcast
    it along the wrong axis without complaint.
Return a new array of x's shape (`np.broadcast_to(...)` returns a read-only view: copy it).

Rules: numpy only, no loops over elements.

Worked example:
    >>> sum_back(np.array([1.0, 2.0]), None, np.zeros((2, 3)), dim=1)
    array([[1., 1., 1.],
           [2., 2., 2.]])
"""

import numpy as np
from jaxtyping import Float

Arr = np.ndarray


def sum_back(
    grad_out: Arr,
    out: Arr,
    x: Float[Arr, "*shape"],
    dim: int | tuple[int, ...] | None = None,
    keepdim: bool = False,
) -> Float[Arr, "*shape"]:
    """dL/dx for out = x.sum(dim, keepdim)."""
    # BEGIN SOLUTION: turn dim into a tuple of non-negative axes (all axes for None); without keepdim, np.expand_dims grad_out at those axes; then broadcast to x.shape and copy (about 6 lines)
    if dim is None:
        dims = tuple(range(x.ndim))
    else:
        dims = tuple(d % x.ndim for d in ((dim,) if isinstance(dim, int) else dim))
    if not keepdim:
        grad_out = grad_out.reshape(grad_out.shape + (1,) * len(dims))  # the summed axes come back with size 1
    return np.broadcast_to(grad_out, x.shape).copy()
    # END SOLUTION
