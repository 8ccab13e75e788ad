"""A linear probe by least squares: is the board written linearly in the residual stream?

A probe is a linear map from a residual vector to a guess of one property, here the state of
every square (0 empty, 1 mine, 2 theirs). Fit it by ridge regression on one-hot targets: with
X = [acts, 1] (a column of ones appended *last*, for the bias) of shape [n, d + 1] and Y the
one-hot states flattened to [n, square * 3], the weights

    W = (Xᵀ X + ridge · n · I)⁻¹ Xᵀ Y              # [d + 1, square * 3], then viewed [d + 1, square, 3]

minimise the mean squared error plus ridge · |W|² (the bias row is penalised too — simpler,
and harmless with this much data). The prediction for a square is the state with the largest score.

Goal: `fit_linear_probe(acts, states, ridge)` → [d_model + 1, square, 3] (bias row last) and
`probe_predict(weights, acts)` → [n, square] in {0, 1, 2}. `ridge` may be 0 (plain least squares).

Rules: torch; solve the linear system (`torch.linalg.solve`), in float64 for accuracy, and
return float32 weights. No `np.linalg.lstsq` or scikit-learn: write the normal equations.

Worked example: one square, and acts that say "is it empty?" and "is it mine?" (d = 2,
acts = one_hot(states, 3)[:, :2]). With ridge 0 the probe is exact: empty = a0, mine = a1,
theirs = 1 - a0 - a1, so W[:, 0] = [[1, 0, -1], [0, 1, -1], [0, 0, 1]] (rows: a0, a1, bias).
"""

import torch
import torch.nn.functional as F
from jaxtyping import Float, Int
from torch import Tensor


def fit_linear_probe(
    acts: Float[Tensor, "n d_model"], states: Int[Tensor, "n square"], ridge: float
) -> Float[Tensor, "d_model_plus_1 square 3"]:
    """Ridge least-squares probe of every square at once; the bias is the last row."""
    raise NotImplementedError('append a ones column, one-hot and flatten the targets, solve the ridge normal equations in float64 (about 5 lines)')


def probe_predict(weights: Float[Tensor, "d_model_plus_1 square 3"], acts: Float[Tensor, "n d_model"]) -> Int[Tensor, "n square"]:
    """The probe's guess for every square: the state with the largest score."""
    raise NotImplementedError('scores = [acts, 1] @ weights over d, argmax over the 3 states (about 2 lines)')
