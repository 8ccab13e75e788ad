# MISTAKE: Clips the input in place in relu_forward.
# NAMED: in place; compute a new tensor
"""ReLU as a new operation of the engine: forward, backward, registration.

Goal: write `relu_forward(x)` (numpy: max(x, 0) elementwise) and `relu_back(grad_out, out, x)`.

Below them, two lines at module level make ReLU part of the engine: `differentiable` turns the
numpy forward into a tensor function that records its creator, and `register_backward` tells
backprop which backward function belongs to argument 0 of `relu_forward`. Any new operation
gets into the engine the same way.

Why not just `maximum(x, 0.0)`? With this engine's tie rule (half to each side) its gradient at
exactly `x == 0` would be 0.5. torch's `relu` uses 0 there (the subgradient at the kink that
keeps dead units dead), and so must yours: gradient 1 where x > 0, 0 where x <= 0.
Exact zeros are common in practice (inputs that are ReLU outputs already, padding, sparse data).

Rules: numpy only, no loops.

Worked example:
    >>> relu_back(np.ones(3), None, np.array([-1.0, 0.0, 2.0]))
    array([0., 0., 1.])
"""

import numpy as np
from jaxtyping import Float

from arena_cli.course.backprop import differentiable, register_backward

Arr = np.ndarray


def relu_forward(x: Float[Arr, "*shape"]) -> Float[Arr, "*shape"]:
    """max(x, 0), elementwise."""
    # BEGIN SOLUTION: np.maximum against 0.0 (about 1 line)
    np.maximum(x, 0.0, out=x)
    return x
    # END SOLUTION


def relu_back(
    grad_out: Float[Arr, "*shape"], out: Float[Arr, "*shape"], x: Float[Arr, "*shape"]
) -> Float[Arr, "*shape"]:
    """dL/dx for out = relu(x): grad_out where x > 0, else 0 (also at x == 0)."""
    # BEGIN SOLUTION: grad_out times the mask x > 0 (about 1 line)
    return grad_out * (x > 0)
    # END SOLUTION


relu = differentiable(relu_forward)
register_backward(relu_forward, 0, relu_back)
