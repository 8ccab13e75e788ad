# MISTAKE: Numbers the parents 0, 1, ... among Tensors instead of by argument position.
# NAMED: the parents were numbered 0, 1, ... among the Tensors
"""A Tensor that records its graph: turn a numpy function into a differentiable tensor function.

Goal: write `differentiable(numpy_func)`, which returns a function on Tensors that computes
`numpy_func` and records on its result how it was made.

The engine's `Tensor` (imported below) holds
    array          a float64 numpy array,
    requires_grad  whether gradients should flow to it,
    grad           None, or the gradient that backprop stored there (leaves only),
    creator        None for a leaf (made by the user), else a `Creator` saying how it was made.
A `Creator(func, args, kwargs, parents)` holds the numpy function, the positional arguments it
was called with (numpy arrays and plain values: every Tensor replaced by its `.array`), the
keyword arguments, and `parents`: a dict from argument position to the Tensor passed there, for
those Tensor arguments that require grad. Backprop later calls the backward function of `func`
for argument `i` as `back(grad_out, out.array, *args, **kwargs)` for each `i` in `parents`.

The function you return, `tensor_func(*args, **kwargs)`, must:
  1. replace each Tensor among `args` by its array and call `numpy_func` (kwargs unchanged);
  2. wrap the result in a new `Tensor`;
  3. if grad mode is on (`is_grad_enabled()`) and at least one Tensor argument requires grad:
     set `requires_grad=True` on the result and record its `Creator`. Otherwise the result is a
     plain leaf: `requires_grad=False`, `creator=None`.
Parents are keyed by the argument's *position*: in `multiply(2.0, t)` the parent is `{1: t}`.

Rules: no numpy maths of your own: `numpy_func` does the computing.

Worked example:
    >>> multiply = differentiable(np.multiply)
    >>> a = Tensor([1.0, 2.0], requires_grad=True)
    >>> b = multiply(3.0, a)
    >>> b.array, b.requires_grad, b.creator.parents == {1: a}, b.creator.args[0]
    (array([3., 6.]), True, True, 3.0)
"""

from collections.abc import Callable
from typing import Any

import numpy as np  # noqa: F401 (the worked example uses it)

from arena_cli.course.backprop import Creator, Tensor, is_grad_enabled


def differentiable(numpy_func: Callable[..., Any]) -> Callable[..., Tensor]:
    """Return the tensor version of `numpy_func`, which records a Creator on its results."""

    def tensor_func(*args: Any, **kwargs: Any) -> Tensor:
        # BEGIN SOLUTION: unwrap Tensor args to arrays, compute, wrap in a Tensor; if grad mode is on and some Tensor arg requires grad, set requires_grad and a Creator whose parents map positions to those Tensors (about 7 lines)
        arrays = tuple(a.array if isinstance(a, Tensor) else a for a in args)
        out = Tensor(numpy_func(*arrays, **kwargs))
        parents = dict(enumerate(a for a in args if isinstance(a, Tensor) and a.requires_grad))
        if parents and is_grad_enabled():
            out.requires_grad = True
            out.creator = Creator(numpy_func, arrays, kwargs, parents)
        return out
        # END SOLUTION

    return tensor_func
