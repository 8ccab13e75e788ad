"""Adam: momentum and RMSprop together, with bias correction.

Goal: write `Adam.step` so that it moves the parameters exactly as `torch.optim.Adam` does (the
checks compare every parameter after every step). With t the number of steps *this parameter*
has taken so far (1 on its first step with a gradient: torch counts steps per parameter, so a
parameter that first gets a gradient at step 3 starts at t = 1 there) and m, v starting at zero,
for each parameter p with gradient g:

    g = g + weight_decay * p                    (torch.optim.Adam's weight decay: L2, in g)
    m = beta1 * m + (1 - beta1) * g             running mean of g      ("first moment")
    v = beta2 * v + (1 - beta2) * g^2           running mean of g^2    ("second moment")
    m_hat = m / (1 - beta1^t)                   bias correction: m and v start at zero, so
    v_hat = v / (1 - beta2^t)                   early averages are too small by these factors
    p = p - lr * m_hat / (sqrt(v_hat) + eps)

Rules: tensor arithmetic only (no torch.optim). State lives in `self.m`, `self.v` (zero tensors
made in __init__) and the step counts `self.t` (one per parameter). Skip parameters whose `.grad`
is None: they neither move nor count a step.

Worked example (first step: m_hat = g and v_hat = g^2, so every coordinate moves by lr):
    >>> p = torch.nn.Parameter(torch.tensor([1.0, 1.0])); p.grad = torch.tensor([3.0, -0.01])
    >>> Adam([p], lr=0.1).step(); p
    Parameter containing: tensor([0.9000, 1.1000], requires_grad=True)

Without bias correction that first step would be lr * 0.1 / sqrt(0.001) = 3.16 lr: the
correction matters most exactly when steps are most dangerous, at the start.
"""

from collections.abc import Iterable

import torch
from torch import Tensor


class Adam:
    def __init__(
        self,
        params: Iterable[Tensor],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
    ):
        self.params = list(params)
        self.lr = lr
        self.beta1, self.beta2 = betas
        self.eps = eps
        self.weight_decay = weight_decay
        self.m = [torch.zeros_like(p) for p in self.params]
        self.v = [torch.zeros_like(p) for p in self.params]
        self.t = [0 for _ in self.params]  # steps taken by each parameter (torch counts per parameter)

    def zero_grad(self) -> None:
        for p in self.params:
            p.grad = None

    @torch.no_grad()
    def step(self) -> None:
        """Update every parameter that has a gradient, in place."""
        raise NotImplementedError("for each parameter with a .grad: count its step in self.t[i], L2 decay into g, update m and v, bias-correct both with this step's t, and step by lr * m_hat / (sqrt(v_hat) + eps) (about 12 lines)")
