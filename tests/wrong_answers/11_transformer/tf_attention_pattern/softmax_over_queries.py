# MISTAKE: Takes the softmax over the query axis.
# NAMED: the softmax is over the query axis
"""Multi-head attention, part 1: queries, keys, values, scores and the attention pattern.

Goal: write three methods of `Attention`, with TransformerLens's shapes and conventions:

1. `project_qkv(x)`: for each head h, q = x @ W_Q[h] + b_Q[h] (and the same for k, v).
   Input [batch, pos, d_model]; each output [batch, pos, n_heads, d_head].
2. `attn_scores(q, k)`: score[b, h, i, j] = q[b, i, h] . k[b, j, h] / sqrt(d_head), then the
   causal mask (use `apply_causal_mask`, the function you wrote in tf_causal_mask).
   Output [batch, n_heads, query_pos, key_pos].
3. `attn_pattern(scores)`: a softmax over key_pos, so that every query's weights sum to 1.

Rules: `einops.einsum` (or `torch.einsum`) for the products; `torch.softmax`. No
`torch.nn.MultiheadAttention`, no `torch.nn.functional.scaled_dot_product_attention`.

Worked example (1 head, d_head 4, so the scale is sqrt(4) = 2):
    q at position 1 = [1, 0, 2, 0], k at positions 0, 1 = [2, 0, 1, 0], [0, 0, 0, 3]
    scores of query 1 = [(2 + 2) / 2, 0 / 2, -inf, ...] = [2, 0, -inf, ...]
    pattern of query 1 = softmax([2, 0]) = [0.881, 0.119, 0, ...]

Why divide by sqrt(d_head): q . k sums d_head products, so with unit-variance entries its
standard deviation grows like sqrt(d_head); without the division a wide head's softmax saturates
into a one-hot and its gradients vanish.
"""

import math

import einops
import torch
from jaxtyping import Float
from torch import Tensor, nn

from arena_cli.course.transformer import Config, apply_causal_mask


class Attention(nn.Module):
    def __init__(self, cfg: Config):
        super().__init__()
        self.cfg = cfg
        h, d, e = cfg.n_heads, cfg.d_model, cfg.d_head
        self.W_Q = nn.Parameter(torch.randn(h, d, e) * cfg.init_range)  # [n_heads, d_model, d_head]
        self.W_K = nn.Parameter(torch.randn(h, d, e) * cfg.init_range)
        self.W_V = nn.Parameter(torch.randn(h, d, e) * cfg.init_range)
        self.W_O = nn.Parameter(torch.randn(h, e, d) * cfg.init_range)  # [n_heads, d_head, d_model] (next exercise)
        self.b_Q = nn.Parameter(torch.zeros(h, e))  # [n_heads, d_head]
        self.b_K = nn.Parameter(torch.zeros(h, e))
        self.b_V = nn.Parameter(torch.zeros(h, e))
        self.b_O = nn.Parameter(torch.zeros(d))  # [d_model] (next exercise)

    def project_qkv(
        self, x: Float[Tensor, "batch pos d_model"]
    ) -> tuple[
        Float[Tensor, "batch pos n_heads d_head"],
        Float[Tensor, "batch pos n_heads d_head"],
        Float[Tensor, "batch pos n_heads d_head"],
    ]:
        """The queries, keys and values of every head."""
        # BEGIN SOLUTION: three einsums "batch pos d_model, n_heads d_model d_head -> batch pos n_heads d_head", each plus its bias (about 4 lines)
        project = "batch pos d_model, n_heads d_model d_head -> batch pos n_heads d_head"
        q = einops.einsum(x, self.W_Q, project) + self.b_Q
        k = einops.einsum(x, self.W_K, project) + self.b_K
        v = einops.einsum(x, self.W_V, project) + self.b_V
        return q, k, v
        # END SOLUTION

    def attn_scores(
        self, q: Float[Tensor, "batch q_pos n_heads d_head"], k: Float[Tensor, "batch k_pos n_heads d_head"]
    ) -> Float[Tensor, "batch n_heads q_pos k_pos"]:
        """Scaled, causally masked dot products of every query with every key, per head."""
        # BEGIN SOLUTION: einsum over d_head into [batch, n_heads, q_pos, k_pos], divide by sqrt(d_head), apply_causal_mask (about 2 lines)
        scores = einops.einsum(q, k, "batch q_pos h e, batch k_pos h e -> batch h q_pos k_pos")
        return apply_causal_mask(scores / math.sqrt(self.cfg.d_head))
        # END SOLUTION

    def attn_pattern(
        self, scores: Float[Tensor, "batch n_heads q_pos k_pos"]
    ) -> Float[Tensor, "batch n_heads q_pos k_pos"]:
        """Attention weights: for every query, a probability distribution over the keys."""
        # BEGIN SOLUTION: softmax over the key axis (about 1 line)
        return scores.softmax(dim=-2)
        # END SOLUTION
