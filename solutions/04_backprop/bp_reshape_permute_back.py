"""Backward functions that move elements around: reshape and permute.

Goal: write `reshape_back` and `permute_back`, the backward functions of the engine's
`reshape_forward(x, shape)` (= `np.reshape(x, shape)`) and `permute_forward(x, dims)`
(= `np.transpose(x, dims)`, torch's `x.permute(*dims)`).

Neither op changes any value: each element of the output *is* one element of the input, moved.
So the gradient of each input element is the gradient of the output element it became, and the
backward function only has to move `grad_out`'s elements back to where they came from.

  - reshape keeps the elements in the same (row-major) order, so moving back is reshaping back.
  - permute sends input axis `dims[i]` to output axis `i`. Undoing it is another permute, but
    with the *inverse* permutation, which differs from `dims` in general: for dims = (1, 2, 0),
    output axis 0 is input axis 1, so the gradient's axis 1 must come from grad_out's axis 0.

`dims` may hold negative axes, counted from the end as numpy and torch do: (-1, 0, 1) on a 3-d
array is (2, 0, 1).

Rules: numpy only, no loops over elements.

Worked example:
    >>> x = np.zeros((2, 3, 4))
    >>> permute_back(np.ones((3, 4, 2)), None, x, (1, 2, 0)).shape
    (2, 3, 4)
"""

import numpy as np
from jaxtyping import Float

Arr = np.ndarray


def reshape_back(
    grad_out: Float[Arr, "*new_shape"],
    out: Float[Arr, "*new_shape"],
    x: Float[Arr, "*shape"],
    shape: tuple[int, ...],
) -> Float[Arr, "*shape"]:
    """dL/dx for out = np.reshape(x, shape)."""
    # BEGIN SOLUTION: reshape grad_out back to x's shape (about 1 line)
    return np.reshape(grad_out, x.shape)
    # END SOLUTION


def permute_back(grad_out: Arr, out: Arr, x: Arr, dims: tuple[int, ...]) -> Arr:
    """dL/dx for out = np.transpose(x, dims)."""
    # BEGIN SOLUTION: transpose grad_out by the inverse permutation of dims (np.argsort of dims made non-negative) (about 2 lines)
    dims = [d % x.ndim for d in dims]  # a negative dim counts from the end, as in np.transpose
    return np.transpose(grad_out, np.argsort(dims))
    # END SOLUTION
