# MISTAKE: correlated pairs on where the draw is < S (sparsity as P(non-zero))
# NAMED: sparsity read as the probability of being non-zero
"""Correlated and anti-correlated features, and what they do to the geometry.

Superposition is cheap when features rarely fire together: an antipodal pair (Wⱼ = −Wᵢ) costs
nothing as long as i and j are never on at once, because the ReLU removes the negative
interference. So the statistics of *co-occurrence* shape the geometry:

- features that always fire together (correlated) would interfere constantly if they shared a
  direction: the model keeps them orthogonal, and puts *other* features antipodal to them;
- features that never fire together (anti-correlated) are ideal antipodal partners.

Goal: two generators like `generate_batch` (features uniform in [0, 1]), with the features in
pairs (0, 1), (2, 3), … (n_features is even). Both keep each feature's probability of being
non-zero at 1 − S, so only the co-occurrence changes.
1. `correlated_batch`: both features of a pair are non-zero together, or both zero.
   Draws: values (batch, inst, feat), then one draw per pair (batch, inst, feat // 2); the pair
   is on where its draw is >= S.
2. `anticorrelated_batch`: at most one feature of a pair is non-zero. Draws: values
   (batch, inst, feat), then the pair draws (batch, inst, feat // 2) (the pair fires where its
   draw is < 2 (1 − S)), then the side draws (batch, inst, feat // 2) (the first feature of a
   firing pair where its side draw is < 0.5, else the second). This needs S >= 1/2.

Rules: exactly these draws, in this order, all with `torch.rand(..., generator=generator)`.

Worked example (1 instance, S = 0.9, 2 features, one row): values [0.3, 0.8];
    correlated: pair draw 0.95 -> [0.3, 0.8];  pair draw 0.5 -> [0, 0]
    anticorrelated: pair draw 0.1 (< 0.2, fires), side draw 0.7 -> [0, 0.8]
"""

import torch
from jaxtyping import Float
from torch import Tensor


def correlated_batch(
    batch_size: int, sparsity: Float[Tensor, "inst"], n_features: int, generator: torch.Generator
) -> Float[Tensor, "batch inst feat"]:
    # BEGIN SOLUTION: values, one draw per pair compared with sparsity, repeat_interleave(2) the mask over features (about 4 lines)
    n_inst = sparsity.shape[0]
    values = torch.rand(batch_size, n_inst, n_features, generator=generator)
    on = torch.rand(batch_size, n_inst, n_features // 2, generator=generator) < sparsity[:, None]
    return values * on.repeat_interleave(2, dim=-1)
    # END SOLUTION


def anticorrelated_batch(
    batch_size: int, sparsity: Float[Tensor, "inst"], n_features: int, generator: torch.Generator
) -> Float[Tensor, "batch inst feat"]:
    # BEGIN SOLUTION: values, pair draws (< 2(1-S)), side draws (< 0.5); interleave (fires & first, fires & ~first) (about 6 lines)
    n_inst = sparsity.shape[0]
    values = torch.rand(batch_size, n_inst, n_features, generator=generator)
    fires = torch.rand(batch_size, n_inst, n_features // 2, generator=generator) < 2 * (1 - sparsity[:, None])
    first = torch.rand(batch_size, n_inst, n_features // 2, generator=generator) < 0.5
    mask = torch.stack([fires & first, fires & ~first], dim=-1).flatten(-2)
    return values * mask
    # END SOLUTION
