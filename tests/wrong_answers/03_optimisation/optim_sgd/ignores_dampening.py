# MISTAKE: Ignores dampening.
# NAMED: dampening was ignored
"""Stochastic gradient descent with momentum, Nesterov momentum and weight decay.

Goal: write `SGD.step` so that it moves the parameters exactly as `torch.optim.SGD` does (the
checks train the same model on the same data with both and compare every parameter after
every step). For each parameter p with gradient g, torch computes:

    g = g + weight_decay * p                      (if weight_decay != 0: "L2" weight decay)
    if momentum != 0:
        b = g                                     on the first step (the buffer starts as g)
        b = momentum * b + (1 - dampening) * g    on later steps
        g = g + momentum * b    if nesterov       (look ahead: gradient plus the new velocity)
        g = b                   otherwise
    p = p - lr * g

Rules: tensor arithmetic only (no torch.optim). Keep one momentum buffer per parameter in
`self.momentum_buffers` (None until that parameter's first step). Skip parameters whose
`.grad` is None: they get no decay and no state. Do not modify `p.grad` itself.

Worked example (no momentum, no decay: one step is p - lr * g):
    >>> p = torch.nn.Parameter(torch.tensor([1.0, 2.0])); p.grad = torch.tensor([0.5, -1.0])
    >>> SGD([p], lr=0.1).step(); p
    Parameter containing: tensor([0.9500, 2.1000], requires_grad=True)

Why the first step matters: starting the buffer at zero instead of at g gives the same first
step only when dampening is 0; with dampening d the first step would be (1 - d) times too short.
"""

from collections.abc import Iterable

import torch
from torch import Tensor


class SGD:
    def __init__(
        self,
        params: Iterable[Tensor],
        lr: float,
        momentum: float = 0.0,
        dampening: float = 0.0,
        weight_decay: float = 0.0,
        nesterov: bool = False,
    ):
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum needs momentum > 0 and dampening = 0")
        self.params = list(params)
        self.lr = lr
        self.momentum = momentum
        self.dampening = dampening
        self.weight_decay = weight_decay
        self.nesterov = nesterov
        self.momentum_buffers: list[Tensor | None] = [None for _ in self.params]

    def zero_grad(self) -> None:
        for p in self.params:
            p.grad = None

    @torch.no_grad()
    def step(self) -> None:
        """Update every parameter that has a gradient, in place."""
        # BEGIN SOLUTION: for each parameter with a .grad: add weight decay, update its momentum buffer (g itself on the first step), pick the Nesterov or plain direction, then p -= lr * direction (about 15 lines)
        for i, p in enumerate(self.params):
            if p.grad is None:
                continue
            g = p.grad
            if self.weight_decay != 0:
                g = g + self.weight_decay * p
            if self.momentum != 0:
                buffer = self.momentum_buffers[i]
                if buffer is None:
                    buffer = g.clone()
                else:
                    buffer = self.momentum * buffer + g
                self.momentum_buffers[i] = buffer
                g = g + self.momentum * buffer if self.nesterov else buffer
            p -= self.lr * g
        # END SOLUTION
