# MISTAKE: one coin per instance and batch row shared by all features
# NAMED: one coin per instance and batch row
"""Synthetic sparse features, for many toy models at once.

The toy models of superposition (Elhage et al., 2022) are trained on made-up data where every
"feature" is a number we control: it is zero most of the time (its *sparsity* S is the
probability that it is zero) and, when it is not, uniform in [0, 1]. Some features matter more
than others: each has an *importance* Iᵢ that weights its reconstruction error. To see how the
geometry changes with sparsity we train many independent models ("instances") side by side,
each on data of its own sparsity, in one batched tensor.

Goal:
1. `feature_importance(n_features, decay)`: Iᵢ = decay ** i for i = 0 … n_features-1 (the
   first feature matters most), float32 [feat].
2. `generate_batch(batch_size, sparsity, n_features, generator)`: [batch, instance, feature],
   where `sparsity[k]` is the probability that a feature of instance k is **zero**.

Rules: draw exactly twice from `generator`, in this order, each of shape
(batch_size, n_instances, n_features):
  - `values = torch.rand(shape, generator=generator)`   (the magnitudes)
  - `draws = torch.rand(shape, generator=generator)`    (one coin per feature)
and keep a value where its draw is >= the instance's sparsity (that happens with probability
1 - S), zero elsewhere. The checks replay the same generator, so the order matters.

Worked example (1 instance with S = 0.5, 3 features):
    values = [0.2, 0.9, 0.4], draws = [0.7, 0.1, 0.5]  ->  [0.2, 0.0, 0.4]
"""

import torch
from jaxtyping import Float
from torch import Tensor


def feature_importance(n_features: int, decay: float) -> Float[Tensor, "feat"]:
    """decay ** i for each feature i (float32)."""
    # BEGIN SOLUTION: decay to the power of torch.arange(n_features), as float32 (about 1 line)
    return decay ** torch.arange(n_features, dtype=torch.float32)
    # END SOLUTION


def generate_batch(
    batch_size: int, sparsity: Float[Tensor, "inst"], n_features: int, generator: torch.Generator
) -> Float[Tensor, "batch inst feat"]:
    """Features uniform in [0, 1], each zero with probability sparsity[instance]."""
    # BEGIN SOLUTION: two torch.rand draws of shape (batch, inst, feat) in the order given; keep values where draws >= sparsity[:, None] (about 4 lines)
    shape = (batch_size, sparsity.shape[0], n_features)
    values = torch.rand(shape, generator=generator)
    draws = torch.rand(shape, generator=generator)[..., :1]
    return values * (draws >= sparsity[:, None])
    # END SOLUTION
