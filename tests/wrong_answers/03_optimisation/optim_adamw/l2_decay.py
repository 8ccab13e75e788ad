# MISTAKE: Puts the decay into the gradient (Adam's L2) instead of decoupling it.
# NAMED: Adam's L2 decay was used
"""AdamW: Adam with decoupled weight decay.

Goal: write `AdamW.step` so that it moves the parameters exactly as `torch.optim.AdamW` does
(the checks compare every parameter after every step). The only change from Adam: weight decay
does not go into the gradient. It shrinks the parameter directly, before the Adam update:

    p = p * (1 - lr * weight_decay)             decoupled decay, first
    m = beta1 * m + (1 - beta1) * g             then Adam on the raw gradient g
    v = beta2 * v + (1 - beta2) * g^2
    m_hat = m / (1 - beta1^t);  v_hat = v / (1 - beta2^t)      (t = this parameter's steps, 1 on its first)
    p = p - lr * m_hat / (sqrt(v_hat) + eps)

Why: in Adam with L2 decay, the decay term weight_decay * p is divided by sqrt(v_hat) like the
rest of g, so parameters with large gradients are barely decayed. Decoupled, every weight
shrinks by the same factor each step, as weight decay means in SGD.

Rules: tensor arithmetic only (no torch.optim). State in `self.m`, `self.v`, `self.t` (the step
count of each parameter, as torch keeps it). Skip parameters whose `.grad` is None (no decay for
them either, and no step counted).

Worked example (first step with weight_decay 0.5: shrink by 1 - 0.1 * 0.5, then move by lr):
    >>> p = torch.nn.Parameter(torch.tensor([2.0])); p.grad = torch.tensor([1.0])
    >>> AdamW([p], lr=0.1, weight_decay=0.5).step(); p
    Parameter containing: tensor([1.8000], requires_grad=True)
"""

from collections.abc import Iterable

import torch
from torch import Tensor


class AdamW:
    def __init__(
        self,
        params: Iterable[Tensor],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.01,
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
        # BEGIN SOLUTION: for each parameter with a .grad: count its step in self.t[i]; shrink p by (1 - lr * weight_decay) first, then the Adam update with the raw gradient (about 12 lines)
        for i, p in enumerate(self.params):
            if p.grad is None:
                continue
            self.t[i] += 1
            g = p.grad
            g = g + self.weight_decay * p
            self.m[i] = self.beta1 * self.m[i] + (1 - self.beta1) * g
            self.v[i] = self.beta2 * self.v[i] + (1 - self.beta2) * g**2
            m_hat = self.m[i] / (1 - self.beta1 ** self.t[i])
            v_hat = self.v[i] / (1 - self.beta2 ** self.t[i])
            p -= self.lr * m_hat / (v_hat.sqrt() + self.eps)
        # END SOLUTION
