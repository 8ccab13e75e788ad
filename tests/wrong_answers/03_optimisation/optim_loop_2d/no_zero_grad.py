# MISTAKE: Never zeroes the gradient (they accumulate).
# NAMED: the gradients were never cleared
"""The optimisation loop, on a function of two variables.

Goal: minimise `fn(point)` over a point in the plane with a `torch.optim` optimiser, and return
the path the point takes. The loop is the one every training run in this course uses:

    zero the gradients -> compute the loss -> backpropagate -> let the optimiser step

Rules: any torch. Make the optimiser with `make_optimizer([point])`, where `point` is your own
leaf tensor with `requires_grad=True` (start from a copy of `start`: do not modify `start`).
The returned path holds `n_steps + 1` rows: the start, then the point after every step. Rows
must be detached copies (a row that is a view of `point` changes when `point` moves).

Worked example (plain SGD on the bowl x^2 + y^2: each step multiplies the point by 1 - 2 lr):
    >>> bowl = lambda p: p[0] ** 2 + p[1] ** 2
    >>> optimise(bowl, torch.tensor([1.0, 2.0]), lambda ps: torch.optim.SGD(ps, lr=0.25), 2)
    tensor([[1.0000, 2.0000],
            [0.5000, 1.0000],
            [0.2500, 0.5000]])

Try it on `valley` below (a long narrow ravine, the shape many loss surfaces have near a
minimum): plain SGD zig-zags across it, while momentum builds up speed along it.
"""

from collections.abc import Callable

import torch
from jaxtyping import Float
from torch import Tensor


def valley(point: Float[Tensor, "2"]) -> Float[Tensor, ""]:
    """A ravine 20 times steeper across (y) than along (x); the minimum is at (0, 0)."""
    return 0.05 * point[0] ** 2 + point[1] ** 2


def optimise(
    fn: Callable[[Tensor], Tensor],
    start: Float[Tensor, "2"],
    make_optimizer: Callable[[list[Tensor]], torch.optim.Optimizer],
    n_steps: int,
) -> Float[Tensor, "n_points 2"]:
    """Minimise `fn` from `start` for `n_steps` steps; return the n_steps + 1 points visited."""
    # BEGIN SOLUTION: copy `start` into a leaf with requires_grad, make the optimiser, then n_steps times zero_grad / backward / step, recording detached clones (about 10 lines)
    point = start.detach().clone().requires_grad_(True)
    optimizer = make_optimizer([point])
    path = [point.detach().clone()]
    for _ in range(n_steps):
        fn(point).backward()
        optimizer.step()
        path.append(point.detach().clone())
    return torch.stack(path)  # [n_steps + 1, 2]
    # END SOLUTION
