# MISTAKE: Adds eps inside the square root.
# NAMED: eps was added inside the square root
"""RMSprop: divide each step by a running root-mean-square of the gradient.

Goal: write `RMSprop.step` so that it moves the parameters exactly as `torch.optim.RMSprop` does
(the checks compare every parameter after every step). For each parameter p with gradient g,
torch computes (v, g_avg and b all start at zero):

    g = g + weight_decay * p                    (if weight_decay != 0)
    v = alpha * v + (1 - alpha) * g^2           a running mean of the squared gradient
    if centered:                                subtract the squared running mean of g:
        g_avg = alpha * g_avg + (1 - alpha) * g     divide by a running *standard deviation*
        denominator = sqrt(v - g_avg^2) + eps
    else:
        denominator = sqrt(v) + eps
    if momentum > 0:
        b = momentum * b + g / denominator
        p = p - lr * b
    else:
        p = p - lr * g / denominator

Rules: tensor arithmetic only (no torch.optim). State lives in `self.square_avg`,
`self.grad_avg` and `self.momentum_buffer` (one zero tensor per parameter, made in __init__).
Skip parameters whose `.grad` is None. Note where eps goes: added *after* the square root.

Worked example (first step, alpha = 0.99: v = 0.01 g^2, so the step is lr * g / (0.1 |g|) = 10 lr
in the direction of -g, whatever the size of g):
    >>> p = torch.nn.Parameter(torch.tensor([1.0, 1.0])); p.grad = torch.tensor([4.0, -0.001])
    >>> RMSprop([p], lr=0.01).step(); p
    Parameter containing: tensor([0.9000, 1.1000], requires_grad=True)
"""

from collections.abc import Iterable

import torch
from torch import Tensor


class RMSprop:
    def __init__(
        self,
        params: Iterable[Tensor],
        lr: float = 0.01,
        alpha: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        momentum: float = 0.0,
        centered: bool = False,
    ):
        self.params = list(params)
        self.lr = lr
        self.alpha = alpha
        self.eps = eps
        self.weight_decay = weight_decay
        self.momentum = momentum
        self.centered = centered
        self.square_avg = [torch.zeros_like(p) for p in self.params]
        self.grad_avg = [torch.zeros_like(p) for p in self.params]
        self.momentum_buffer = [torch.zeros_like(p) for p in self.params]

    def zero_grad(self) -> None:
        for p in self.params:
            p.grad = None

    @torch.no_grad()
    def step(self) -> None:
        """Update every parameter that has a gradient, in place."""
        # BEGIN SOLUTION: for each parameter with a .grad: weight decay, update the square average (and the gradient average if centered), build the denominator, then step with or without the momentum buffer (about 18 lines)
        for i, p in enumerate(self.params):
            if p.grad is None:
                continue
            g = p.grad
            if self.weight_decay != 0:
                g = g + self.weight_decay * p
            v = self.alpha * self.square_avg[i] + (1 - self.alpha) * g**2
            self.square_avg[i] = v
            if self.centered:
                g_avg = self.alpha * self.grad_avg[i] + (1 - self.alpha) * g
                self.grad_avg[i] = g_avg
                denominator = (v - g_avg**2).sqrt() + self.eps
            else:
                denominator = (v + self.eps).sqrt()
            if self.momentum > 0:
                buffer = self.momentum * self.momentum_buffer[i] + g / denominator
                self.momentum_buffer[i] = buffer
                p -= self.lr * buffer
            else:
                p -= self.lr * g / denominator
        # END SOLUTION
