# MISTAKE: Adds 1 at the picked positions instead of grad_out.
# NAMED: you added 1 at the picked positions
"""The backward function of indexing, integer arrays included.

Goal: write `getitem_back(grad_out, out, x, index)`, the backward function of the engine's
`getitem_forward(x, index)` = `x[index]`.

`index` is anything numpy accepts: an int, a slice, an integer array, or a tuple of these (for
example `(np.arange(4), targets)` picks one element per row, the way cross-entropy picks the
logit of the right class). `out = x[index]` copies some elements of `x`; elements that were not
picked get gradient 0; an element picked once gets the gradient of its copy.

The trap: integer arrays may pick the *same* element several times (`x[[0, 0, 2]]`). Its
gradient is then the sum of the gradients of all its copies, and `grad[index] += grad_out` does
not add them up: numpy evaluates `grad[index] + grad_out` first, then writes each position,
so for a repeated index the last write wins. `np.add.at(grad, index, grad_out)` adds every copy.

Rules: numpy only, no Python loops.

Worked example:
    >>> getitem_back(np.array([1.0, 2.0, 3.0]), None, np.zeros(4), np.array([0, 0, 2]))
    array([3., 0., 3., 0.])
"""

from typing import Any

import numpy as np
from jaxtyping import Float

Arr = np.ndarray


def getitem_back(
    grad_out: Arr, out: Arr, x: Float[Arr, "*shape"], index: Any
) -> Float[Arr, "*shape"]:
    """dL/dx for out = x[index]."""
    # BEGIN SOLUTION: zeros of x's shape, then np.add.at(grad, index, grad_out) so repeated indices add up (about 3 lines)
    grad = np.zeros(x.shape, dtype=np.float64)
    np.add.at(grad, index, np.ones_like(grad_out))
    return grad
    # END SOLUTION
