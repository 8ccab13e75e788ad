# MISTAKE: Multiplies by x instead of dividing.
# NAMED: you multiplied by x; the derivative of log(x)
"""The backward function of log: your first vector-Jacobian product.

Goal: write `log_back`, the backward function of `out = np.log(x)`.

The engine of this section gives every operation one *backward function* per input. It is called
during backpropagation as `back(grad_out, out, *inputs)` and receives
    grad_out  dL/d(out): the gradient of the final scalar L with respect to this op's output
              (same shape as `out`),
    out       the output that the forward pass computed (some ops reuse it),
    inputs    exactly what the forward pass got,
and returns dL/d(input), the same shape as that input. For an elementwise op the chain rule says
dL/dx = grad_out * d(out)/dx, element by element; nobody ever builds the full Jacobian.

Rules: numpy only, no Python loops.

Worked example:
    >>> log_back(np.array([1.0, 3.0]), np.log([2.0, 4.0]), np.array([2.0, 4.0]))
    array([0.5 , 0.75])
"""

import numpy as np
from jaxtyping import Float

Arr = np.ndarray


def log_back(
    grad_out: Float[Arr, "*shape"], out: Float[Arr, "*shape"], x: Float[Arr, "*shape"]
) -> Float[Arr, "*shape"]:
    """dL/dx for out = log(x), given grad_out = dL/d(out)."""
    # BEGIN SOLUTION: the derivative of log(x) is 1/x; scale grad_out by it (about 1 line)
    return grad_out * x
    # END SOLUTION
