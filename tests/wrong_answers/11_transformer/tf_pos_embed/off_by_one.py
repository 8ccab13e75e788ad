# MISTAKE: Starts at row 1 of W_pos instead of row 0.
# NAMED: off by one
"""Learned positional embedding: one vector per position, added to the token embedding.

Goal: write `PosEmbed.forward`. `W_pos` has one row per position the model can see (n_ctx rows).
For tokens of shape [batch, seq_len], return the [batch, seq_len, d_model] tensor whose entry
(b, p) is `W_pos[p]`: the first seq_len rows, the same for every sequence of the batch. The
token ids themselves do not matter here, only how many positions there are.

Rules: slicing plus `einops.repeat` (or `expand`/broadcasting). No `torch.nn.Embedding`.

Worked example:
    W_pos = [[1., 1.], [2., 2.], [3., 3.], [4., 4.]]      # n_ctx 4, d_model 2
    tokens of shape [2, 3]
    -> [[[1., 1.], [2., 2.], [3., 3.]],
        [[1., 1.], [2., 2.], [3., 3.]]]

Without it the model could not tell "the dog bit the man" from "the man bit the dog": attention
treats its inputs as a set.
"""

import einops
import torch
from jaxtyping import Float, Int
from torch import Tensor, nn

from arena_cli.course.transformer import Config


class PosEmbed(nn.Module):
    def __init__(self, cfg: Config):
        super().__init__()
        self.W_pos = nn.Parameter(torch.randn(cfg.n_ctx, cfg.d_model) * cfg.init_range)  # [n_ctx, d_model]

    def forward(self, tokens: Int[Tensor, "batch pos"]) -> Float[Tensor, "batch pos d_model"]:
        # BEGIN SOLUTION: take the first seq_len rows of W_pos and repeat them over the batch (about 2 lines)
        batch, seq_len = tokens.shape
        return einops.repeat(self.W_pos[1 : seq_len + 1], "pos d_model -> batch pos d_model", batch=batch)
        # END SOLUTION
