# MISTAKE: name_movers ignores the ratio to the attention on S1.
# NAMED: the ratio was ignored
"""Discovering the heads' roles from where they look.

Patching said *which* heads matter; their attention patterns say *what they do*. In an IOI
circuit one looks for heads that, at the end position, attend to the indirect object (name
movers: they copy the name they attend to), heads that at the end attend to the second mention
of the subject (they bring "who the subject is" to the end), and heads that at S2 look back at
the first mention S1 (duplicate-token heads).

Goal:
1. `role_scores(cache, io_pos, s1_pos, s2_pos, end)` -> dict of [n_layers, n_heads] tensors, the
   mean over prompts of the attention probability
   "end_to_io" (query end, key IO), "end_to_s1", "end_to_s2", and "s2_to_s1" (query S2, key S1).
   `cache["pattern", layer]` is [batch, head, query_pos, key_pos]. IO and S1 swap places between
   ABBA and BABA prompts: use each prompt's own positions.
2. `name_movers(scores, min_attention=0.5, ratio=3.0)`: the (layer, head) pairs, sorted, whose
   end_to_io exceeds `min_attention` and `ratio` times their end_to_s1.
3. `subject_heads(scores, min_attention=0.8)`: the sorted (layer, head) pairs whose end_to_s2
   exceeds `min_attention`.

Rules: plain indexing into the cached patterns.

Worked example: a head whose pattern row at the end is [0, 0, 0, 0, 0.7, 0, 0.1, ...] on an ABBA
prompt (IO at 4, S1 at 6) has end_to_io 0.7 and end_to_s1 0.1: a name mover (0.7 > 0.5 and > 3 x 0.1).
"""

import torch
from jaxtyping import Float, Int
from torch import Tensor
from transformer_lens import ActivationCache


def role_scores(
    cache: ActivationCache, io_pos: Int[Tensor, "batch"], s1_pos: Int[Tensor, "batch"],
    s2_pos: Int[Tensor, "batch"], end: Int[Tensor, "batch"],
) -> dict[str, Float[Tensor, "layer head"]]:
    """Mean attention of every head between the positions of the IOI roles."""
    # BEGIN SOLUTION: per layer, pattern[rows, :, query[rows], key[rows]] for each (query, key) pair, mean over the batch (about 10 lines)
    rows = torch.arange(len(end))
    pairs = {"end_to_io": (end, io_pos), "end_to_s1": (end, s1_pos), "end_to_s2": (end, s2_pos), "s2_to_s1": (s2_pos, s1_pos)}
    n_layers = cache.model.cfg.n_layers
    scores = {}
    for name, (query, key) in pairs.items():
        per_layer = []
        for layer in range(n_layers):
            pattern = cache["pattern", layer]  # [batch, head, query, key]
            per_layer.append(pattern[rows, :, query, key].mean(dim=0))  # [head]
        scores[name] = torch.stack(per_layer)
    return scores
    # END SOLUTION


def name_movers(scores: dict[str, Tensor], min_attention: float = 0.5, ratio: float = 3.0) -> list[tuple[int, int]]:
    """Heads that at the end attend to IO, strongly and far more than to S1."""
    # BEGIN SOLUTION: a boolean mask from end_to_io and end_to_s1, then its nonzero indices as tuples (about 3 lines)
    io, s1 = scores["end_to_io"], scores["end_to_s1"]
    mask = io > min_attention
    return sorted((int(l), int(h)) for l, h in mask.nonzero().tolist())
    # END SOLUTION


def subject_heads(scores: dict[str, Tensor], min_attention: float = 0.8) -> list[tuple[int, int]]:
    """Heads that at the end attend to the second mention of the subject."""
    # BEGIN SOLUTION: the nonzero indices of end_to_s2 > min_attention (about 2 lines)
    mask = scores["end_to_s2"] > min_attention
    return sorted((int(l), int(h)) for l, h in mask.nonzero().tolist())
    # END SOLUTION
