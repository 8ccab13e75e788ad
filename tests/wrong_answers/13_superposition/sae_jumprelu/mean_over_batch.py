# MISTAKE: the threshold gradient is averaged over the batch
# NAMED: averaged over the batch
"""JumpReLU SAEs (Rajamanoharan et al., 2024) and their straight-through estimator.

A JumpReLU latent is zero below a learned threshold θ and the identity above it:
JumpReLU(x) = x · 1[x > θ]. It lets the SAE ignore small, noisy pre-activations without
shrinking the large ones, and it can penalise the number of active latents (L0) directly:
L0 = Σⱼ 1[xⱼ > θⱼ]. The trouble: both are step functions of θ, whose derivative is 0 almost
everywhere (and infinite at the jump), so θ would never learn.

The fix is a *pseudo-derivative* used only in the backward pass. Replace the jump's Dirac delta
by a rectangle kernel of bandwidth ε: K(u) = 1 if −1/2 < u < 1/2 else 0, and

    ∂ Step(x, θ) / ∂θ      ≈ −(1/ε) · K((x − θ)/ε)
    ∂ JumpReLU(x, θ) / ∂θ  ≈ −(θ/ε) · K((x − θ)/ε)        (the jump's height at x = θ is θ)
    ∂ JumpReLU(x, θ) / ∂x  =  1[x > θ]                      (the true derivative)
    ∂ Step(x, θ) / ∂x      :  none (return None: DeepMind's estimator, SAELens' default)

Only pre-activations within ε/2 of their threshold send a gradient to it. The gradients of θ
are summed over the batch (inputs are [batch, d_sae], θ is [d_sae]).

Goal:
1. `rectangle(u)`.
2. `JumpReLU` and `Step` as `torch.autograd.Function`s: `forward(ctx, x, threshold, bandwidth)`
   and `backward(ctx, grad_output)` returning (grad_x, grad_threshold, None).
3. `JumpReLUSAE`: `encode` z = JumpReLU((x − b_dec) W_enc + b_enc, θ, ε); and `training_losses`:
   "mse_loss" (as before), "l0_loss" = l0_coefficient × Σⱼ Step(pre, θ, ε)ⱼ averaged over the
   batch, "loss" their sum. These match SAELens' `JumpReLUTrainingSAE` (sparsity mode "step").

Where the true derivatives exist (every |x − θ| > ε/2), the pseudo-derivatives equal them (0 for
θ, 1[x > θ] for x): the checks run `torch.autograd.gradcheck` there.

Worked example (ε = 0.1, θ = 0.5, grad_output 1):
    x = 0.52: JumpReLU 0.52; ∂/∂x 1; ∂/∂θ −0.5/0.1 = −5   (|x − θ| = 0.02 < 0.05)
    x = 0.70: JumpReLU 0.70; ∂/∂x 1; ∂/∂θ 0               (too far from the threshold)
    x = 0.48: JumpReLU 0;    ∂/∂x 0; ∂/∂θ −5
"""

from typing import Any

import torch
from jaxtyping import Float
from torch import Tensor, nn


def rectangle(u: Tensor) -> Tensor:
    # BEGIN SOLUTION: 1 where -0.5 < u < 0.5, else 0, in u's dtype (about 1 line)
    return ((u > -0.5) & (u < 0.5)).to(u.dtype)
    # END SOLUTION


class JumpReLU(torch.autograd.Function):
    @staticmethod
    def forward(ctx: Any, x: Tensor, threshold: Tensor, bandwidth: float) -> Tensor:
        # BEGIN SOLUTION: save x and threshold (and the bandwidth on ctx); return x * (x > threshold) (about 3 lines)
        ctx.save_for_backward(x, threshold)
        ctx.bandwidth = bandwidth
        return x * (x > threshold).to(x.dtype)
        # END SOLUTION

    @staticmethod
    def backward(ctx: Any, grad_output: Tensor) -> tuple[Tensor, Tensor, None]:
        # BEGIN SOLUTION: grad_x = (x > threshold) * grad_output; grad_threshold = sum over dim 0 of -(threshold / ε) * rectangle((x - threshold) / ε) * grad_output (about 5 lines)
        x, threshold = ctx.saved_tensors
        eps = ctx.bandwidth
        grad_x = (x > threshold).to(x.dtype) * grad_output
        grad_threshold = (-(threshold / eps) * rectangle((x - threshold) / eps) * grad_output).mean(dim=0)
        return grad_x, grad_threshold, None
        # END SOLUTION


class Step(torch.autograd.Function):
    @staticmethod
    def forward(ctx: Any, x: Tensor, threshold: Tensor, bandwidth: float) -> Tensor:
        # BEGIN SOLUTION: save x and threshold (and the bandwidth); return (x > threshold) in x's dtype (about 3 lines)
        ctx.save_for_backward(x, threshold)
        ctx.bandwidth = bandwidth
        return (x > threshold).to(x.dtype)
        # END SOLUTION

    @staticmethod
    def backward(ctx: Any, grad_output: Tensor) -> tuple[None, Tensor, None]:
        # BEGIN SOLUTION: no gradient for x; grad_threshold = sum over dim 0 of -(1 / ε) * rectangle((x - threshold) / ε) * grad_output (about 4 lines)
        x, threshold = ctx.saved_tensors
        eps = ctx.bandwidth
        grad_threshold = (-(1.0 / eps) * rectangle((x - threshold) / eps) * grad_output).sum(dim=0)
        return None, grad_threshold, None
        # END SOLUTION


class JumpReLUSAE(nn.Module):
    def __init__(self, d_in: int, d_sae: int, bandwidth: float, l0_coefficient: float) -> None:
        super().__init__()
        self.bandwidth, self.l0_coefficient = bandwidth, l0_coefficient
        self.W_enc = nn.Parameter(torch.zeros(d_in, d_sae))
        self.b_enc = nn.Parameter(torch.zeros(d_sae))
        self.threshold = nn.Parameter(torch.full((d_sae,), 0.01))
        self.W_dec = nn.Parameter(torch.zeros(d_sae, d_in))
        self.b_dec = nn.Parameter(torch.zeros(d_in))

    def pre(self, x: Float[Tensor, "batch d_in"]) -> Float[Tensor, "batch d_sae"]:
        return (x - self.b_dec) @ self.W_enc + self.b_enc

    def encode(self, x: Float[Tensor, "batch d_in"]) -> Float[Tensor, "batch d_sae"]:
        # BEGIN SOLUTION: JumpReLU.apply on the pre-activations (about 1 line)
        return JumpReLU.apply(self.pre(x), self.threshold, self.bandwidth)
        # END SOLUTION

    def decode(self, z: Float[Tensor, "batch d_sae"]) -> Float[Tensor, "batch d_in"]:
        return z @ self.W_dec + self.b_dec

    def forward(self, x: Float[Tensor, "batch d_in"]) -> Float[Tensor, "batch d_in"]:
        return self.decode(self.encode(x))

    def training_losses(self, x: Float[Tensor, "batch d_in"]) -> dict[str, Tensor]:
        # BEGIN SOLUTION: mse of forward; l0 = coefficient * Step.apply(pre, threshold, ε) summed over latents, averaged; their sum (about 4 lines)
        mse = ((self(x) - x) ** 2).sum(dim=-1).mean()
        l0 = self.l0_coefficient * Step.apply(self.pre(x), self.threshold, self.bandwidth).sum(dim=-1).mean()
        return {"mse_loss": mse, "l0_loss": l0, "loss": mse + l0}
        # END SOLUTION
