# MISTAKE: Multiplies by W_U.data, cutting the gradient to W_U.
# NAMED: no gradient reaches the parameter `W_U`
"""Unembedding: read the logits of every next token off the final residual stream.

Goal: write `Unembed.forward`: logits = x @ W_U + b_U, where x is the (final-LayerNorm-ed)
residual stream [batch, pos, d_model] and `W_U` is [d_model, d_vocab]. Entry (b, p, t) of the
result is the model's score for "token t comes after position p"; a softmax over the last axis
turns the scores into probabilities.

Rules: `einops.einsum` or `@`. No `torch.nn.Linear`.

Worked example:
    W_U = [[1., 0., -1.],        x at one position = [2., 3.]   b_U = [0., 0., 1.]
           [0., 1.,  1.]]        -> logits = [2., 3., 1. + 1.] = [2., 3., 2.]

GPT-2 ties W_U to the transpose of the embedding W_E; this course (like TransformerLens) keeps
them separate. Untied, the direct path W_E @ W_U (a token straight to next-token logits) need not
be symmetric, so it can learn "B follows A" without also learning "A follows B".
"""

import einops
import torch
from jaxtyping import Float
from torch import Tensor, nn

from arena_cli.course.transformer import Config


class Unembed(nn.Module):
    def __init__(self, cfg: Config):
        super().__init__()
        self.W_U = nn.Parameter(torch.randn(cfg.d_model, cfg.d_vocab) * cfg.init_range)  # [d_model, d_vocab]
        self.b_U = nn.Parameter(torch.zeros(cfg.d_vocab))

    def forward(self, x: Float[Tensor, "batch pos d_model"]) -> Float[Tensor, "batch pos d_vocab"]:
        # BEGIN SOLUTION: one einsum (or @) with W_U, plus b_U (about 1 line)
        return einops.einsum(x, self.W_U.data, "batch pos d_model, d_model d_vocab -> batch pos d_vocab") + self.b_U
        # END SOLUTION
