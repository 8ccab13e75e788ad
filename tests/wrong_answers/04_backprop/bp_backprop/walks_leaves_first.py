# MISTAKE: Walks the sorted graph from the leaves up (reversed), before any gradient reached them.
# NAMED: a node was visited before any gradient reached it
"""Backpropagation: walk the recorded graph backwards and fill in the leaves' gradients.

Goal: write `backprop(end, end_grad=None)`: for every leaf Tensor that requires grad and that
`end` depends on, *add* d(end)/d(leaf), weighted by `end_grad`, to `leaf.grad`.

What you have (from the engine, see bp_tensor_graph and bp_topological_sort):
  - `sorted_computational_graph(end)`: every tensor `end` depends on (itself included), `end`
    first and every tensor before its parents;
  - for a non-leaf `t`: `t.creator.func`, `.args`, `.kwargs` and `.parents` ({position: Tensor});
  - `get_backward(func, position)`: the backward function `back(grad_out, out, *args, **kwargs)`.

The algorithm. Keep a dict from Tensor to "the gradient of `end` with respect to it, so far",
starting with `{end: end_grad}` (`end_grad` defaults to an array of ones shaped like `end`).
Walk the sorted graph. When you reach a tensor, every path into it has been walked already
(that is what the order guarantees), so its entry is complete:
  - if it is a leaf (`creator is None`): add the gradient to its `.grad` (set it if `.grad` is
    None) -- adding, so that two calls of backprop accumulate, as in torch;
  - otherwise, for each parent: compute that parent's share with the backward function and
    *add* it to the parent's entry in the dict. A tensor used twice (`x * x`, a diamond) gets a
    share from each use: overwriting would lose one.
Non-leaf tensors keep `.grad = None` (torch does the same unless asked).

Rules: numpy and the imported helpers. Raise an error if `end.requires_grad` is False.

Worked example:
    >>> x = Tensor([1.0, 2.0, 3.0], requires_grad=True)
    >>> backprop((x * x).sum())          # d/dx sum(x^2) = 2x, through one node used twice
    >>> x.grad
    array([2., 4., 6.])
"""

import numpy as np
from jaxtyping import Float

from arena_cli.course.backprop import Tensor, get_backward, sorted_computational_graph

Arr = np.ndarray


def backprop(end: Tensor, end_grad: Float[Arr, "*end_shape"] | None = None) -> None:
    """Accumulate d(end)/d(leaf) (weighted by end_grad, default ones) into every leaf's .grad."""
    if not end.requires_grad:
        raise RuntimeError("backprop: `end` does not require grad, so there is no graph to walk")
    # BEGIN SOLUTION: a dict Tensor -> gradient starting at {end: end_grad or ones}; walk sorted_computational_graph(end): leaves add to .grad, other nodes add each parent's share (from get_backward) into the dict (about 12 lines)
    start = np.ones_like(end.array) if end_grad is None else np.asarray(end_grad, dtype=np.float64)
    grads: dict[Tensor, Arr] = {end: start}
    for node in reversed(sorted_computational_graph(end)):
        grad = grads.pop(node)
        if node.creator is None:
            node.grad = np.array(grad, dtype=np.float64) if node.grad is None else node.grad + grad
            continue
        creator = node.creator
        for position, parent in creator.parents.items():
            share = get_backward(creator.func, position)(grad, node.array, *creator.args, **creator.kwargs)
            grads[parent] = grads[parent] + share if parent in grads else share
    # END SOLUTION
