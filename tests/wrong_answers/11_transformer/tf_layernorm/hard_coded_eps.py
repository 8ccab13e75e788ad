# MISTAKE: Hard-codes eps = 1e-5 instead of reading cfg.layer_norm_eps.
# NAMED: eps is hard-coded
"""LayerNorm: normalise each position's residual vector, then scale and shift it.

Goal: write `LayerNorm.forward`. For every position separately, take the vector `x` of length
d_model and return

    (x - mean(x)) / sqrt(var(x) + eps) * w + b

where `mean` and `var` are taken over the d_model axis, `var` is the *biased* variance (divide by
d_model, not d_model - 1, like TransformerLens and `torch.nn.LayerNorm`), and `eps` is
`cfg.layer_norm_eps`, added *inside* the square root.

Rules: plain tensor arithmetic (`mean`, `pow`, `sqrt`, ...). No `torch.nn.functional.layer_norm`,
no `torch.nn.LayerNorm`, no `torch.var`/`torch.std` (their default is the unbiased variance).

Worked example (w = 1, b = 0, eps tiny):
    x = [1., 2., 3., 6.]   mean 3, biased variance (4 + 1 + 0 + 9) / 4 = 3.5
    -> [-2, -1, 0, 3] / sqrt(3.5) = [-1.069, -0.535, 0.000, 1.604]

The checks copy the weights of a TransformerLens model into your module and compare your output
with its `ln_final` and `blocks.0.ln1` activations.
"""

import torch
from jaxtyping import Float
from torch import Tensor, nn

from arena_cli.course.transformer import Config


class LayerNorm(nn.Module):
    def __init__(self, cfg: Config):
        super().__init__()
        self.eps = cfg.layer_norm_eps
        self.w = nn.Parameter(torch.ones(cfg.d_model))  # the scale, one per feature
        self.b = nn.Parameter(torch.zeros(cfg.d_model))  # the shift, one per feature

    def forward(self, residual: Float[Tensor, "batch pos d_model"]) -> Float[Tensor, "batch pos d_model"]:
        # BEGIN SOLUTION: centre over the last axis, divide by sqrt(biased variance + eps), then * w + b (about 3 lines)
        centred = residual - residual.mean(dim=-1, keepdim=True)  # [batch, pos, d_model]
        scale = (centred.pow(2).mean(dim=-1, keepdim=True) + 1e-5).sqrt()
        return centred / scale * self.w + self.b
        # END SOLUTION
