# MISTAKE: F1 as the arithmetic mean of precision and recall
# NAMED: harmonic mean
"""Is latent 17 "the move was on C2"? Score every latent as a classifier of every named feature.

This is what a toy or an LLM cannot give you and othello can: ground truth. For every position
after a move, `arena_cli.course.sae_interp.ground_truth(games)` names 180 binary features
(`played:X`, `flipped:X`, `mine:X`, `theirs:X`, `empty:X` for the 36 squares) with a mask of
where each is *defined* — "mine" means nothing after the game has ended, when nobody moves next.

Read a latent as a classifier: it predicts "yes" where its activation is > 0. Over the positions
where the feature is defined only,

    precision = TP / (TP + FP)     recall = TP / (TP + FN)     F1 = 2 P R / (P + R)

with 0 wherever the denominator is 0.

Goal:
1. `classifier_scores(acts, labels, defined)` → (precision, recall, f1), each [d_sae, F]:
   `acts` [n, d_sae] latent activations (after the ReLU), `labels` and `defined` [n, F] bool.
   Use matrix products over the n positions, not a loop over latents and features.
2. `best_latent(f1)` → (best_f1 [F], latent [F]): for each feature, the latent with the highest F1.

Rules: no Python loop over latents or features; do not modify the inputs.

Worked example: a latent active at positions {0, 1, 2}, a feature true at {1, 2, 3} and
defined at {0, 1, 2}: TP 2, FP 1, FN 0 (position 3 does not count): P 2/3, R 1, F1 0.8.
"""

import torch
from jaxtyping import Bool, Float, Int
from torch import Tensor


def classifier_scores(
    acts: Float[Tensor, "n d_sae"], labels: Bool[Tensor, "n feature"], defined: Bool[Tensor, "n feature"]
) -> tuple[Float[Tensor, "d_sae feature"], Float[Tensor, "d_sae feature"], Float[Tensor, "d_sae feature"]]:
    """Precision, recall and F1 of `acts > 0` as a detector of each feature, over defined positions."""
    # BEGIN SOLUTION: fires = (acts > 0).float(); count TP, predicted positives and actual positives over defined positions with matmuls; divide where non-zero (about 8 lines)
    fires = (acts > 0).float()
    positive = (labels & defined).float()
    tp = fires.T @ positive  # [d_sae, F]
    predicted = fires.T @ defined.float()  # fires at a defined position
    actual = positive.sum(0).expand_as(tp)
    precision = torch.where(predicted > 0, tp / predicted.clamp(min=1), torch.zeros_like(tp))
    recall = torch.where(actual > 0, tp / actual.clamp(min=1), torch.zeros_like(tp))
    both = precision + recall
    f1 = both / 2
    return precision, recall, f1
    # END SOLUTION


def best_latent(f1: Float[Tensor, "d_sae feature"]) -> tuple[Float[Tensor, "feature"], Int[Tensor, "feature"]]:
    """The highest F1 for each feature and the latent that has it."""
    # BEGIN SOLUTION: one line
    return f1.max(dim=0)
    # END SOLUTION
