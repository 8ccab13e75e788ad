# MISTAKE: Writes x**2 where the formula has x**3.
# NAMED: x is squared inside the tanh
"""The MLP: a position-wise two-layer network with GPT-2's GELU in between.

Goal: write `gelu_new` and `MLP.forward`.

1. `gelu_new(x)`: the tanh approximation of GELU used by GPT-2 and by TransformerLens's
   act_fn "gelu_new", elementwise:
       0.5 * x * (1 + tanh(sqrt(2 / pi) * (x + 0.044715 * x**3)))
   (The "exact" GELU, x * Phi(x) with the normal CDF Phi, differs from it by up to ~5e-4;
   a model trained with one and run with the other is subtly wrong, so the checks tell them apart.)
2. `MLP.forward(x)`: pre = x @ W_in + b_in   [batch, pos, d_mlp]
                      post = gelu_new(pre)
                      out = post @ W_out + b_out   [batch, pos, d_model]
   Every position is processed on its own: no information moves between positions here.

Rules: `torch.tanh`, arithmetic and `einops.einsum` (or `@`). No `torch.nn.functional.gelu`,
no `torch.nn.GELU`, no `torch.nn.Linear`.

Worked example: gelu_new(0) = 0, gelu_new(1) = 0.8412, gelu_new(-1) = -0.1588,
gelu_new(x) is close to x for large x and close to 0 for very negative x.
"""

import math

import einops
import torch
from jaxtyping import Float
from torch import Tensor, nn

from arena_cli.course.transformer import Config


def gelu_new(x: Float[Tensor, "..."]) -> Float[Tensor, "..."]:
    """GPT-2's GELU (tanh approximation), elementwise."""
    # BEGIN SOLUTION: write the formula from the docstring with torch.tanh (about 1 line)
    return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x.pow(2))))
    # END SOLUTION


class MLP(nn.Module):
    def __init__(self, cfg: Config):
        super().__init__()
        self.W_in = nn.Parameter(torch.randn(cfg.d_model, cfg.d_mlp) * cfg.init_range)  # [d_model, d_mlp]
        self.b_in = nn.Parameter(torch.zeros(cfg.d_mlp))
        self.W_out = nn.Parameter(torch.randn(cfg.d_mlp, cfg.d_model) * cfg.init_range)  # [d_mlp, d_model]
        self.b_out = nn.Parameter(torch.zeros(cfg.d_model))

    def forward(self, x: Float[Tensor, "batch pos d_model"]) -> Float[Tensor, "batch pos d_model"]:
        # BEGIN SOLUTION: project in with W_in and b_in, gelu_new, project out with W_out and b_out (about 3 lines)
        pre = einops.einsum(x, self.W_in, "batch pos d_model, d_model d_mlp -> batch pos d_mlp") + self.b_in
        post = gelu_new(pre)  # [batch, pos, d_mlp]
        return einops.einsum(post, self.W_out, "batch pos d_mlp, d_mlp d_model -> batch pos d_model") + self.b_out
        # END SOLUTION
