"""Composition scores: which layer-0 heads do the layer-1 heads read from? (from weights alone)

A layer-1 head reads the residual stream, which holds what layer-0 heads wrote. If a layer-0
head's OV circuit writes into the subspace that a layer-1 head's keys read, the two *compose*:
K-composition. Measure it by how much of the product survives:

    score(W_A, W_B) = ||W_A @ W_B||_F / (||W_A||_F * ||W_B||_F)          (Frobenius norms)

which is 1 when W_A's output space lines up with W_B's input space and 0 when they are
orthogonal; without the denominator it would only say how *big* the matrices are.

For layer-0 head i (OV circuit W_OV[i]) and layer-1 head j (QK circuit W_QK[j]):
- K-composition: the key side reads the layer-0 output:  W_A = W_OV[i], W_B = W_QK[j].T
- Q-composition: the query side reads it:                W_A = W_OV[i], W_B = W_QK[j]
- V-composition: the values read it:                     W_A = W_OV[i], W_B = W_OV_layer1[j]

Goal:
1. `composition_score(W_A, W_B)`: batched over any leading axes (they broadcast), for
   FactoredMatrix arguments. Output: a tensor with the broadcast leading shape.
2. `k_composition_scores(model)`, `q_composition_scores(model)`, `v_composition_scores(model)`:
   [layer-0 head, layer-1 head] tables (4 x 4 here), each computed in one batched call
   (index the heads with `[:, None]` and `[None, :]` so that they broadcast).

LayerNorm is ignored (a common approximation; see the reading page for what this score can
and cannot tell you).

Rules: FactoredMatrix (`model.OV`, `model.QK` are [layer, head, d_model, d_model] factored
matrices: `@`, `.T`, `.norm()`); we recommend no Python loops over heads (the checks compare values only).

Worked example: score(I, I) for the d x d identity = ||I|| / (||I|| ||I||) = 1 / sqrt(d).
"""

import torch
from jaxtyping import Float
from torch import Tensor
from transformer_lens import FactoredMatrix


def composition_score(W_A: FactoredMatrix, W_B: FactoredMatrix) -> Float[Tensor, "..."]:
    """||W_A W_B||_F / (||W_A||_F ||W_B||_F), batched over leading axes."""
    raise NotImplementedError('(W_A @ W_B).norm() divided by W_A.norm() * W_B.norm() (about 1 line)')


def k_composition_scores(model) -> Float[Tensor, "head0 head1"]:
    """K-composition of every layer-0 head (rows) with every layer-1 head (columns)."""
    raise NotImplementedError('composition_score(model.OV[0][:, None], model.QK[1].T[None, :]) (about 1 line)')


def q_composition_scores(model) -> Float[Tensor, "head0 head1"]:
    """Q-composition of every layer-0 head (rows) with every layer-1 head (columns)."""
    raise NotImplementedError('as K-composition, without the transpose (about 1 line)')


def v_composition_scores(model) -> Float[Tensor, "head0 head1"]:
    """V-composition of every layer-0 head (rows) with every layer-1 head (columns)."""
    raise NotImplementedError('the layer-1 OV circuits instead of the QK ones (about 1 line)')
