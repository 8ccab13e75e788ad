# MISTAKE: domination requires both coordinates strictly better
# NAMED: strict on both axes
"""Comparing SAE variants: sparsity against reconstruction, and the Pareto front.

An SAE trades two things: how few latents it uses per input (L0, lower is sparser and, one
hopes, more interpretable) and how well it reconstructs (explained variance, higher is better).
Any single number hides the trade-off, so SAEs are compared as points on an (L0, error) plane,
and a variant is better only if it sits on the *Pareto front*: no other SAE is at least as
sparse and at least as accurate, and strictly better at one.

Goal:
1. `mean_l0(z)`: the number of non-zero latents per input, averaged; a Python float.
2. `explained_variance(x, x_hat)`: 1 − E‖x − x̂‖² / E‖x − E[x]‖² (expectations over the batch,
   squared norms summed over d_in); a Python float. The same number as SAELens'
   `ExplainedVarianceCalculator`.
3. `pareto_front(l0s, errors)`: the indices (sorted, Python ints) of the points that no other
   point dominates; point j dominates i when l0[j] <= l0[i] and error[j] <= error[i] with at
   least one strict. Equal points do not dominate each other.

The check measures nine SAEs trained on the toy model's hidden layer (a ReLU SAE at five L1
coefficients and a TopK SAE at four k's) with your functions and draws the picture.

Worked example: l0s [1, 2, 3, 2], errors [0.5, 0.2, 0.1, 0.3] -> front [0, 1, 2]
(point 3 is dominated by point 1: as sparse, more error).
"""

import torch
from jaxtyping import Float
from torch import Tensor


def mean_l0(z: Float[Tensor, "batch d_sae"]) -> float:
    # BEGIN SOLUTION: (z != 0) summed over latents, averaged over the batch (about 1 line)
    return (z != 0).float().sum(dim=-1).mean().item()
    # END SOLUTION


def explained_variance(x: Float[Tensor, "batch d_in"], x_hat: Float[Tensor, "batch d_in"]) -> float:
    # BEGIN SOLUTION: mean squared residual norm over the mean squared deviation from the batch mean (about 3 lines)
    residual = ((x - x_hat) ** 2).sum(dim=-1).mean()
    variance = ((x - x.mean(dim=0)) ** 2).sum(dim=-1).mean()
    return (1 - residual / variance).item()
    # END SOLUTION


def pareto_front(l0s: list[float], errors: list[float]) -> list[int]:
    # BEGIN SOLUTION: keep i unless some j is <= on both and < on one (about 6 lines)
    front = []
    for i, (a, e) in enumerate(zip(l0s, errors)):
        dominated = any(b < a and f < e for b, f in zip(l0s, errors))
        if not dominated:
            front.append(i)
    return front
    # END SOLUTION
