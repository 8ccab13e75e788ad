# MISTAKE: Multiplies by y instead of dividing in divide_back0.
# NAMED: you multiplied by y; d(x/y)/dx
"""More backward functions: negation, exp and division.

Goal: write the backward functions of `np.negative(x)`, `np.exp(x)` and `np.true_divide(x, y)`
(the last one for each of its two arguments). Signature as always: `back(grad_out, out, *inputs)`,
returning a gradient of the shape of the argument it is for.

Hints of substance, not of code:
  - `exp` is its own derivative, and the forward pass already computed it: `out` is `exp(x)`.
  - `x / y` may broadcast, and either side may be a plain number; finish with `unbroadcast`
    (imported from the engine) to the argument's shape, as in bp_multiply_back.
  - d(x / y)/dy = -x / y**2.

Rules: numpy and `unbroadcast` only, no loops. Do not call `np.exp` in `exp_back`: reuse `out`.

Worked example:
    >>> divide_back1(np.ones(2), None, np.array([1.0, 6.0]), np.array([2.0, 3.0]))
    array([-0.25      , -0.66666667])
"""

import numpy as np
from jaxtyping import Float

from arena_cli.course.backprop import unbroadcast

Arr = np.ndarray


def negative_back(
    grad_out: Float[Arr, "*shape"], out: Float[Arr, "*shape"], x: Float[Arr, "*shape"]
) -> Float[Arr, "*shape"]:
    """dL/dx for out = -x."""
    # BEGIN SOLUTION: the derivative of -x is -1 (about 1 line)
    return -grad_out
    # END SOLUTION


def exp_back(
    grad_out: Float[Arr, "*shape"], out: Float[Arr, "*shape"], x: Float[Arr, "*shape"]
) -> Float[Arr, "*shape"]:
    """dL/dx for out = exp(x), reusing `out`."""
    # BEGIN SOLUTION: the derivative of exp(x) is exp(x), which is `out` (about 1 line)
    return grad_out * out
    # END SOLUTION


def divide_back0(grad_out: Float[Arr, "*out"], out: Float[Arr, "*out"], x: Arr, y: Arr | float) -> Arr:
    """dL/dx for out = x / y (the shape of x)."""
    # BEGIN SOLUTION: d(x/y)/dx = 1/y, then unbroadcast to x's shape (about 1 line)
    return unbroadcast(grad_out * y, np.shape(x))
    # END SOLUTION


def divide_back1(grad_out: Float[Arr, "*out"], out: Float[Arr, "*out"], x: Arr | float, y: Arr) -> Arr:
    """dL/dy for out = x / y (the shape of y)."""
    # BEGIN SOLUTION: d(x/y)/dy = -x / y**2, then unbroadcast to y's shape (about 1 line)
    return unbroadcast(-grad_out * x / np.square(y), np.shape(y))
    # END SOLUTION
