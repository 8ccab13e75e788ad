# MISTAKE: Passes grad_out through without the other factor.
# NAMED: grad_out passed through without the other factor
"""The backward functions of multiply: one per input, with broadcasting.

Goal: write `multiply_back0` and `multiply_back1`, the backward functions of `out = x * y`
with respect to `x` (argument 0) and `y` (argument 1).

Both have the signature `back(grad_out, out, x, y)` (see bp_log_back) and return a gradient of
the shape of *their* argument. `x` and `y` may have different shapes that broadcast together,
so `grad_out` has the broadcast shape: after the chain rule, bring the result back to the
argument's shape with `unbroadcast` (imported from the engine; you wrote it in bp_unbroadcast).
One of the two may also be a plain Python number (`x * 2.0`): only the Tensor argument ever gets
a gradient, but your formula for it may use the number.

Rules: numpy and `unbroadcast` only, no loops.

Worked example: x of shape (2, 1), y of shape (3,); out = x * y has shape (2, 3).
    >>> multiply_back0(np.ones((2, 3)), None, np.array([[1.0], [2.0]]), np.array([1.0, 2.0, 3.0]))
    array([[6.],
           [6.]])
"""

import numpy as np
from jaxtyping import Float

from arena_cli.course.backprop import unbroadcast

Arr = np.ndarray


def multiply_back0(
    grad_out: Float[Arr, "*out"], out: Float[Arr, "*out"], x: Arr, y: Arr | float
) -> Arr:
    """dL/dx for out = x * y (the shape of x)."""
    # BEGIN SOLUTION: d(x*y)/dx = y: multiply grad_out by y, then unbroadcast to x's shape (about 1 line)
    return unbroadcast(grad_out, np.shape(x))
    # END SOLUTION


def multiply_back1(
    grad_out: Float[Arr, "*out"], out: Float[Arr, "*out"], x: Arr | float, y: Arr
) -> Arr:
    """dL/dy for out = x * y (the shape of y)."""
    # BEGIN SOLUTION: the mirror image of multiply_back0 (about 1 line)
    return unbroadcast(grad_out * x, np.shape(y))
    # END SOLUTION
