# MISTAKE: One-hot encodes without num_classes, so the width is max(token)+1 instead of d_vocab.
# NAMED: one_hot without num_classes is only max(token) + 1 wide
"""Token embedding: turn token ids into vectors by looking rows up in a table.

Goal: write `Embed.forward`. The embedding matrix `W_E` has one row of length d_model per token
id; the embedding of a batch of token ids [batch, pos] is the [batch, pos, d_model] tensor whose
entry (b, p) is the row `W_E[tokens[b, p]]`.

Rules: indexing (or `torch.gather` / a one-hot matmul if you prefer). No `torch.nn.Embedding`,
no `torch.nn.functional.embedding`.

Worked example:
    W_E = [[0., 0.], [1., 2.], [3., 4.]]        # d_vocab 3, d_model 2
    tokens = [[2, 1, 2]]
    -> [[[3., 4.], [1., 2.], [3., 4.]]]

Looking a row up is the same as multiplying a one-hot vector by W_E; indexing just skips the
multiplications by zero.
"""

import torch
from jaxtyping import Float, Int
from torch import Tensor, nn

from arena_cli.course.transformer import Config


class Embed(nn.Module):
    def __init__(self, cfg: Config):
        super().__init__()
        self.W_E = nn.Parameter(torch.randn(cfg.d_vocab, cfg.d_model) * cfg.init_range)  # [d_vocab, d_model]

    def forward(self, tokens: Int[Tensor, "batch pos"]) -> Float[Tensor, "batch pos d_model"]:
        # BEGIN SOLUTION: index the rows of W_E with the token ids (about 1 line)
        return torch.nn.functional.one_hot(tokens).float() @ self.W_E
        # END SOLUTION
