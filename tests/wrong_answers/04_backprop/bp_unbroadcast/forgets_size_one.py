# MISTAKE: Only sums the prepended axes, not the stretched size-1 axes.
# NAMED: the stretched size-1 axes were not summed
"""Unbroadcasting: send the gradient of a broadcast result back to the input's shape.

Goal: write `unbroadcast(grad, original_shape)`.

When numpy broadcasts an input `x` of shape `original_shape` up to a bigger shape, each element
of `x` is used many times: once for every position it was copied to. The gradient of a value
used many times is the sum of the gradients of its uses, so the gradient for `x` is `grad`
summed over every axis that broadcasting created or stretched:
  1. axes prepended on the left (broadcasting aligns shapes on the right): sum them away;
  2. axes where `original_shape` has size 1 but `grad` does not: sum them, keeping the axis
     (size 1), so the result has exactly `original_shape`.

Rules: numpy only (`.sum(axis=..., keepdims=...)`); a loop over axes is fine, over elements not.
Assume `grad.shape` is a valid broadcast of `original_shape`.

Worked example: x of shape (3, 1) broadcast against (2, 3, 4) gives a (2, 3, 4) result.
    >>> unbroadcast(np.ones((2, 3, 4)), (3, 1))
    array([[8.],
           [8.],
           [8.]])
"""

import numpy as np
from jaxtyping import Float

Arr = np.ndarray


def unbroadcast(grad: Float[Arr, "*broadcast_shape"], original_shape: tuple[int, ...]) -> Arr:
    """Sum `grad` over the axes that broadcasting added or stretched; return `original_shape`."""
    # BEGIN SOLUTION: sum away the leading grad.ndim - len(original_shape) axes, then sum with keepdims=True over the axes where original_shape is 1 (about 4 lines)
    n_prepended = grad.ndim - len(original_shape)
    grad = grad.sum(axis=tuple(range(n_prepended)))
    stretched = tuple(axis for axis, size in enumerate(original_shape) if size == 1)
    return grad
    # END SOLUTION
