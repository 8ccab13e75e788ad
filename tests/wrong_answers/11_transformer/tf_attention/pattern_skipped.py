# MISTAKE: In forward, mixes the values with the raw scores (no softmax).
# NAMED: mixed with the raw (masked) scores
"""Multi-head attention, part 2: mix the values, project back, and the whole forward pass.

Goal: write three methods of `Attention`. It inherits `project_qkv`, `attn_scores` and
`attn_pattern` (what you wrote in tf_attention_pattern) and the parameters from the reference
class in `arena_cli.course.transformer`.

1. `mix_values(pattern, v)`: z[b, i, h] = sum over key positions j of pattern[b, h, i, j] * v[b, j, h].
   Each query position gets a weighted average of the value vectors it attends to, per head.
   Output [batch, query_pos, n_heads, d_head] (TransformerLens calls it `hook_z`).
2. `project_out(z)`: out = sum over heads h of z[:, :, h] @ W_O[h], plus b_O. Output
   [batch, pos, d_model]: the heads write into the residual stream independently and add up.
3. `forward(x)`: q, k, v -> scores -> pattern -> z -> out.

Rules: `einops.einsum` (or `torch.einsum`). No `torch.nn.MultiheadAttention`, no
`scaled_dot_product_attention`.

Worked example (1 head, d_head 1):
    pattern of query 2 = [0.5, 0.25, 0.25], v at positions 0, 1, 2 = [4], [8], [0]
    -> z at position 2 = 0.5 * 4 + 0.25 * 8 + 0.25 * 0 = [4]

Summing z @ W_O over heads is the same as concatenating the heads' z and multiplying by one big
matrix, which is how most implementations (and TransformerLens's `o` layer) do it.
"""

import einops
from jaxtyping import Float
from torch import Tensor

from arena_cli.course.transformer import Attention as ReferenceAttention


class Attention(ReferenceAttention):
    def mix_values(
        self, pattern: Float[Tensor, "batch n_heads q_pos k_pos"], v: Float[Tensor, "batch k_pos n_heads d_head"]
    ) -> Float[Tensor, "batch q_pos n_heads d_head"]:
        """For every query and head, the pattern-weighted sum of the values."""
        # BEGIN SOLUTION: one einsum that sums over k_pos (about 1 line)
        return einops.einsum(pattern, v, "batch h q_pos k_pos, batch k_pos h e -> batch q_pos h e")
        # END SOLUTION

    def project_out(self, z: Float[Tensor, "batch pos n_heads d_head"]) -> Float[Tensor, "batch pos d_model"]:
        """Map every head's z back to d_model with W_O, sum over heads, add b_O."""
        # BEGIN SOLUTION: one einsum that sums over n_heads and d_head, plus b_O (about 1 line)
        return einops.einsum(z, self.W_O, "batch pos h e, h e d_model -> batch pos d_model") + self.b_O
        # END SOLUTION

    def forward(self, x: Float[Tensor, "batch pos d_model"]) -> Float[Tensor, "batch pos d_model"]:
        # BEGIN SOLUTION: chain project_qkv, attn_scores, attn_pattern, mix_values, project_out (about 3 lines)
        q, k, v = self.project_qkv(x)  # each [batch, pos, n_heads, d_head]
        pattern = self.attn_scores(q, k).nan_to_num(neginf=0.0)  # [batch, n_heads, pos, pos]
        return self.project_out(self.mix_values(pattern, v))
        # END SOLUTION
