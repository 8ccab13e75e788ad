# MISTAKE: Draws full-rank d_model x d_model matrices instead of rank-d_head products.
# NAMED: full-rank d_model x d_model
"""Is a composition score big? Compare with random matrices.

A composition score of 0.2 means nothing on its own: two *random* matrices already score about
1 / sqrt(d_model) (in d dimensions, a random subspace overlaps any other a little). Estimate
that baseline with matrices built like a head's circuits: each the product of a
[d_model, d_head] and a [d_head, d_model] matrix of independent standard normal entries.

Goal: `random_composition_baseline(d_model, d_head, n_samples, generator)`: draw `n_samples`
independent pairs (W_A, W_B) of such random rank-d_head matrices, and return the mean of their
composition scores ||W_A W_B||_F / (||W_A||_F ||W_B||_F) as a Python float. Batch it: draw all
samples at once (a leading axis of size n_samples), use `FactoredMatrix`, no Python loop.
Draw the four factors in this order, one `torch.randn(..., generator=generator)` call each (the
checks replay the same draws): W_A's left [n_samples, d_model, d_head], W_A's right
[n_samples, d_head, d_model], then W_B's left and right.

Then compare (the checks do): the previous-token head's K-composition with each induction head
sits far above this baseline.

Rules: torch (`torch.randn(..., generator=generator)`) and FactoredMatrix.

Worked example (what you should find): for d_model 64 the baseline is about 0.125 = 1/8;
for d_model 16 about 0.25.
"""

import torch
from transformer_lens import FactoredMatrix


def random_composition_baseline(d_model: int, d_head: int, n_samples: int, generator: torch.Generator) -> float:
    """Mean composition score of n_samples random pairs of rank-d_head d_model x d_model matrices."""
    # BEGIN SOLUTION: four randn factors with a leading n_samples axis; two FactoredMatrix; normalised product norm; mean (about 6 lines)
    def draw(*shape: int) -> torch.Tensor:
        return torch.randn(n_samples, *shape, generator=generator)

    W_A = FactoredMatrix(draw(d_model, d_model), torch.eye(d_model))
    W_B = FactoredMatrix(draw(d_model, d_model), torch.eye(d_model))
    scores = (W_A @ W_B).norm() / (W_A.norm() * W_B.norm())  # [n_samples]
    return scores.mean().item()
    # END SOLUTION
