# MISTAKE: Uses >= instead of > in heads_above.
# NAMED: heads_above is strict
"""Head detectors, part 1: current-token heads.

Goal: score every head by how much it attends to the query's *own* position, and list the heads
whose score is above a threshold.

1. `current_token_scores(cache, n_layers)`: for each layer and head, the attention from each
   position to itself, averaged over the batch and over all query positions. Read the patterns
   from the cache (`cache["pattern", layer]`: [batch, head, query_pos, key_pos]).
   Output [layer, head].
2. `heads_above(scores, threshold)`: the `(layer, head)` pairs whose score is strictly above
   `threshold`, in order (layer first, then head), as a list of tuples of Python ints.

Rules: torch only (`torch.diagonal` is handy). This is the score TransformerLens'
`head_detector.detect_head` computes with the identity matrix as its detection pattern; the
checks compare with it, and draw the scores.

Worked example (one layer, one head, 3 positions, batch 1):
    pattern = [[1.0, 0.0, 0.0],
               [0.4, 0.6, 0.0],
               [0.2, 0.3, 0.5]]
    score = mean(1.0, 0.6, 0.5) = 0.7
    heads_above(torch.tensor([[0.7, 0.1]]), 0.5) == [(0, 0)]
"""

import torch
from jaxtyping import Float
from torch import Tensor
from transformer_lens import ActivationCache


def current_token_scores(cache: ActivationCache, n_layers: int) -> Float[Tensor, "layer head"]:
    """Mean attention of each head from every position to itself."""
    # BEGIN SOLUTION: per layer, take the main diagonal of the pattern and average over batch and queries; stack (about 4 lines)
    scores = []
    for layer in range(n_layers):
        pattern = cache["pattern", layer]  # [batch, head, q_pos, k_pos]
        scores.append(pattern.diagonal(dim1=-2, dim2=-1).mean(dim=(0, -1)))  # [head]
    return torch.stack(scores)
    # END SOLUTION


def heads_above(scores: Float[Tensor, "layer head"], threshold: float) -> list[tuple[int, int]]:
    """The (layer, head) pairs whose score is strictly above `threshold`, layer-major order."""
    # BEGIN SOLUTION: torch.nonzero (or argwhere) of scores > threshold, as tuples of ints (about 1 line)
    return [(int(layer), int(head)) for layer, head in torch.nonzero(scores >= threshold)]
    # END SOLUTION
