# MISTAKE: Averages over the head axis instead of the batch.
# NAMED: the mean is over the head axis
"""Head detectors, part 2: previous-token heads.

Goal: score every head by how much it attends from each position to the position just before
it. The first half of an induction circuit is such a head: it writes "the token before me was
A" into every position.

`previous_token_scores(cache, n_layers)`: for each layer and head, the attention from position
i to position i - 1, averaged over the batch and over the query positions that *have* a
previous position (i = 1 … pos-1; position 0 has none). Output [layer, head].

`heads_above` is given (you wrote it in ind_current_token_heads).

Rules: torch only (`torch.diagonal` takes an `offset`). TransformerLens' `detect_head` with
"previous_token_head" computes the same sum but divides by all `pos` queries, so its score is
yours times (pos - 1) / pos; the checks compare with it, and draw the scores.

Worked example (one head, 3 positions, batch 1):
    pattern = [[1.0, 0.0, 0.0],
               [0.9, 0.1, 0.0],
               [0.1, 0.7, 0.2]]
    score = mean(0.9, 0.7) = 0.8
"""

import torch
from jaxtyping import Float
from torch import Tensor
from transformer_lens import ActivationCache


def previous_token_scores(cache: ActivationCache, n_layers: int) -> Float[Tensor, "layer head"]:
    """Mean attention of each head from every position i >= 1 to position i - 1."""
    # BEGIN SOLUTION: per layer, the diagonal at offset -1 of the pattern, averaged over batch and queries; stack (about 4 lines)
    scores = []
    for layer in range(n_layers):
        pattern = cache["pattern", layer]  # [batch, head, q_pos, k_pos]
        scores.append(pattern.diagonal(offset=-1, dim1=-2, dim2=-1).mean(dim=(1, -1)))  # [head]
    return torch.stack(scores)
    # END SOLUTION


def heads_above(scores: Float[Tensor, "layer head"], threshold: float) -> list[tuple[int, int]]:
    """The (layer, head) pairs whose score is strictly above `threshold`, layer-major order."""
    return [(int(layer), int(head)) for layer, head in torch.nonzero(scores > threshold)]
