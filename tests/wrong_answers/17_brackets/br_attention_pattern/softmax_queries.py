# MISTAKE: softmax over the query axis
# NAMED: softmax over the query axis
"""Where do the heads look? The attention pattern of a bidirectional model, with padding.

Goal: recompute the attention pattern of a layer from its cached queries and keys
(`cache["q", layer]`, `cache["k", layer]`, each [batch, pos, head, d_head]) and the
attention mask [batch, pos] (1 on real tokens, 0 on `<pad>`):

    score[b, h, i, j] = q[b, i, h] . k[b, j, h] / sqrt(d_head)
    score = -inf where key j is padding (mask[b, j] == 0)
    pattern = softmax over the key axis j

Unlike the language models of 1.1 and 1.2, this classifier is **not causal**: a query reads
keys before *and after* it. Only padding is hidden. (Padding queries still attend to the real
tokens; nothing reads their output.)

1. `attention_pattern(q, k, mask)`: [batch, head, query_pos, key_pos].
2. `attention_from_start(pattern, head)`: the row of query position 0 (`<start>`, where the
   class is read) for one head: [batch, key_pos].

Rules: `torch.einsum`/`einops.einsum`, `masked_fill`, `softmax`.

Worked example (1 head, d_head 4 so the scale is 2, 3 positions, the last one padding):
    q at position 0 = [2, 0, 0, 0]; k = [0,0,0,0], [1,0,0,0], [9,0,0,0]
    scores of query 0 = [0, 1, -inf]   pattern of query 0 = [0.269, 0.731, 0]
"""

import math

import torch
from jaxtyping import Float, Int
from torch import Tensor


def attention_pattern(
    q: Float[Tensor, "batch pos head d_head"],
    k: Float[Tensor, "batch pos head d_head"],
    mask: Int[Tensor, "batch pos"],
) -> Float[Tensor, "batch head q_pos k_pos"]:
    """Bidirectional attention with the padding keys masked."""
    # BEGIN SOLUTION: einsum over d_head, divide by sqrt(d_head), -inf where mask[b, j] == 0 (broadcast over heads and queries), softmax over keys (about 4 lines)
    scores = torch.einsum("bqhe,bkhe->bhqk", q, k) / math.sqrt(q.shape[-1])
    padding = (mask == 0)[:, None, None, :]  # [batch, 1, 1, key_pos]
    return scores.masked_fill(padding, float("-inf")).softmax(dim=-2)
    # END SOLUTION


def attention_from_start(pattern: Float[Tensor, "batch head q_pos k_pos"], head: int) -> Float[Tensor, "batch k_pos"]:
    """What query position 0 of `head` attends to."""
    # BEGIN SOLUTION: index the head and query 0 (1 line)
    return pattern[:, head, 0]
    # END SOLUTION
