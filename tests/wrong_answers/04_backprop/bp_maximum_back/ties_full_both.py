# MISTAKE: Gives ties the whole gradient on both sides.
# NAMED: a tie gave x the whole gradient
"""The backward functions of elementwise maximum, and what to do with ties.

Goal: write `maximum_back0` and `maximum_back1`, the backward functions of
`out = np.maximum(x, y)` with respect to `x` and to `y` (they may broadcast; either may be a
plain number, as in `maximum(x, 0.0)`).

Where `x > y`, the output is `x`: all of `grad_out` goes to `x`, none to `y`; where `y > x`,
the other way round. Where `x == y` the function has a kink and no derivative, so any choice is a
convention. This engine follows torch's (`torch.maximum`): **a tie splits the gradient equally,
half to each input.** (A convention with a nice property: the two shares always add up to
`grad_out`, and they are what you get by averaging "all to x" and "all to y".)

Rules: numpy and `unbroadcast` (imported from the engine) only, no loops.

Worked example:
    >>> x, y = np.array([1.0, 2.0, 3.0]), np.array([3.0, 2.0, 1.0])
    >>> maximum_back0(np.ones(3), np.maximum(x, y), x, y)
    array([0. , 0.5, 1. ])
"""

import numpy as np
from jaxtyping import Float

from arena_cli.course.backprop import unbroadcast

Arr = np.ndarray


def maximum_back0(
    grad_out: Float[Arr, "*out"], out: Float[Arr, "*out"], x: Arr, y: Arr | float
) -> Arr:
    """dL/dx for out = np.maximum(x, y); ties give x half of grad_out."""
    # BEGIN SOLUTION: weight 1 where x > y, 0.5 where x == y, 0 elsewhere; multiply by grad_out and unbroadcast to x's shape (about 2 lines)
    share = np.where(x >= y, 1.0, 0.0)
    return unbroadcast(grad_out * share, np.shape(x))
    # END SOLUTION


def maximum_back1(
    grad_out: Float[Arr, "*out"], out: Float[Arr, "*out"], x: Arr | float, y: Arr
) -> Arr:
    """dL/dy for out = np.maximum(x, y); ties give y half of grad_out."""
    # BEGIN SOLUTION: the mirror image of maximum_back0 (about 2 lines)
    share = np.where(y >= x, 1.0, 0.0)
    return unbroadcast(grad_out * share, np.shape(y))
    # END SOLUTION
