# MISTAKE: Reads row 0 of the pattern instead of column 0.
# NAMED: row 0 of the pattern was read
"""Head detectors, part 3: first-token heads.

Goal: score every head by how much it attends to position 0, the `<bos>` token. A head with
nothing useful to read at a position parks its attention there: `<bos>` is always visible and
carries no information, so attending to it is the closest a head comes to "do nothing".

`first_token_scores(cache, n_layers)`: for each layer and head, the attention from every
position to position 0, averaged over the batch and over all query positions (position 0 itself
included: it can only attend to itself). Output [layer, head].

`heads_above` is given.

Rules: torch only. This equals TransformerLens' `detect_head` with a detection pattern that is
1 in column 0 and 0 elsewhere; the checks compare with it, and draw the scores.

Worked example (one head, 3 positions, batch 1):
    pattern = [[1.0, 0.0, 0.0],
               [0.4, 0.6, 0.0],
               [0.1, 0.3, 0.6]]
    score = mean(1.0, 0.4, 0.1) = 0.5
"""

import torch
from jaxtyping import Float
from torch import Tensor
from transformer_lens import ActivationCache


def first_token_scores(cache: ActivationCache, n_layers: int) -> Float[Tensor, "layer head"]:
    """Mean attention of each head from every position to position 0."""
    # BEGIN SOLUTION: per layer, the key-0 column of the pattern, averaged over batch and queries; stack (about 4 lines)
    scores = []
    for layer in range(n_layers):
        pattern = cache["pattern", layer]  # [batch, head, q_pos, k_pos]
        scores.append(pattern[..., 0, :].mean(dim=(0, -1)))  # [head]
    return torch.stack(scores)
    # END SOLUTION


def heads_above(scores: Float[Tensor, "layer head"], threshold: float) -> list[tuple[int, int]]:
    """The (layer, head) pairs whose score is strictly above `threshold`, layer-major order."""
    return [(int(layer), int(head)) for layer, head in torch.nonzero(scores > threshold)]
