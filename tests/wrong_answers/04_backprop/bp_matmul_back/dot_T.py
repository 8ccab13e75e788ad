# MISTAKE: Uses y.T (reverses every axis) instead of swapping the last two axes.
# NAMED: y.T reverses every axis
"""The backward functions of matrix multiplication, batched.

Goal: write `matmul_back0` and `matmul_back1`, the backward functions of `out = x @ y`
(`np.matmul`) with respect to `x` and to `y`.

For matrices, x [n, k] @ y [k, m] = out [n, m], and out[i, j] = sum_l x[i, l] y[l, j]. So
x[i, l] affects the whole row out[i, :], with weights y[l, :]: dL/dx[i, l] = sum_j grad_out[i, j]
y[l, j], which is a matrix product of grad_out with y transposed. Work out dL/dy the same way;
then check the shapes: each gradient has its argument's shape, and that fixes which side each
transpose goes on.

Batches: both arguments have at least 2 axes; the last two are the matrix axes and any leading
ones are batch axes that broadcast (x [b, n, k] @ y [k, m] is allowed: y is used by every batch
element). So
  - transpose only the last two axes (`np.swapaxes(a, -1, -2)`; `.T` would reverse *all* axes);
  - a batch-broadcast argument collects the sum over the batch: `unbroadcast` (imported) to its
    shape at the end.

Rules: numpy and `unbroadcast` only, no loops, no einsum.

Worked example:
    >>> x, y = np.ones((2, 3)), np.arange(12.0).reshape(3, 4)
    >>> matmul_back0(np.ones((2, 4)), x @ y, x, y)
    array([[ 6., 22., 38.],
           [ 6., 22., 38.]])
"""

import numpy as np
from jaxtyping import Float

from arena_cli.course.backprop import unbroadcast

Arr = np.ndarray


def matmul_back0(
    grad_out: Float[Arr, "*batch n m"],
    out: Float[Arr, "*batch n m"],
    x: Float[Arr, "*bx n k"],
    y: Float[Arr, "*by k m"],
) -> Float[Arr, "*bx n k"]:
    """dL/dx for out = x @ y."""
    # BEGIN SOLUTION: grad_out @ (y with its last two axes swapped), unbroadcast to x's shape (about 1 line)
    return unbroadcast(grad_out @ y.T, x.shape)  # [*batch, n, m] @ [*by, m, k]
    # END SOLUTION


def matmul_back1(
    grad_out: Float[Arr, "*batch n m"],
    out: Float[Arr, "*batch n m"],
    x: Float[Arr, "*bx n k"],
    y: Float[Arr, "*by k m"],
) -> Float[Arr, "*by k m"]:
    """dL/dy for out = x @ y."""
    # BEGIN SOLUTION: (x with its last two axes swapped) @ grad_out, unbroadcast to y's shape (about 1 line)
    return unbroadcast(np.swapaxes(x, -1, -2) @ grad_out, y.shape)  # [*bx, k, n] @ [*batch, n, m]
    # END SOLUTION
