# MISTAKE: the overlaps use Wᵢ·Wⱼ without normalising Wᵢ
# NAMED: is not normalised in the overlaps
"""Reading the geometry of a trained toy model: norms, superposition, feature dimensionality.

For one instance, column Wᵢ of W [d_hidden, feat] is feature i's direction. Three numbers per
feature describe how it is stored:

- its norm ‖Wᵢ‖: about 1 if the feature is represented, about 0 if the model dropped it;
- its superposition Σ_{j≠i} (Ŵᵢ·Wⱼ)², with Ŵᵢ = Wᵢ/‖Wᵢ‖: how much of other features lies along
  its direction (0 when it has a dimension to itself);
- its dimensionality Dᵢ = ‖Wᵢ‖² / Σⱼ (Ŵᵢ·Wⱼ)², the sum running over all j *including i*: the
  fraction of a hidden dimension the feature owns. A feature alone in its dimension has D = 1,
  each of an antipodal pair (Wⱼ = −Wᵢ) has 1/2, each of a pentagon's five features in a plane 2/5,
  and the D's of an instance add up to at most d_hidden.

Goal (all vectorised over instances, W [inst, d_hidden, feat]; results [inst, feat]):
1. `feature_norms(W)`.
2. `superposition(W)`.
3. `feature_dimensionality(W)`: normalise with ‖Wᵢ‖ clamped below at 1e-8 and the denominator
   clamped below at 1e-12, so that a dropped (zero) feature gets D = 0 rather than nan.
4. `antipodal_pairs(W, min_norm, max_cosine)`: per instance, the pairs (i, j), i < j, of
   represented features (both norms > min_norm) whose cosine similarity is < max_cosine
   (close to −1); a list (one per instance) of sorted lists of tuples of Python ints.

Rules: torch only; no Python loops over features in 1-3.

Worked example (one instance, d_hidden 1, W = [[1, -1, 0]]):
    norms [1, 1, 0], superposition [1, 1, 0], dimensionality [1/2, 1/2, 0], pairs [[(0, 1)]]
"""

import torch
from jaxtyping import Float
from torch import Tensor


def feature_norms(W: Float[Tensor, "inst d_hidden feat"]) -> Float[Tensor, "inst feat"]:
    # BEGIN SOLUTION: the norm over the hidden axis (about 1 line)
    return W.norm(dim=1)
    # END SOLUTION


def _overlaps(W: Tensor) -> Tensor:
    """[inst, feat i, feat j]: Ŵᵢ · Wⱼ."""
    # BEGIN SOLUTION: normalise the columns (norm clamped at 1e-8), then an einsum over the hidden axis (about 2 lines)
    return torch.einsum("ihf,ihg->ifg", W, W)
    # END SOLUTION


def superposition(W: Float[Tensor, "inst d_hidden feat"]) -> Float[Tensor, "inst feat"]:
    # BEGIN SOLUTION: squared overlaps summed over j, minus the j = i term (about 2 lines)
    squared = _overlaps(W) ** 2
    return squared.sum(dim=-1) - squared.diagonal(dim1=-2, dim2=-1)
    # END SOLUTION


def feature_dimensionality(W: Float[Tensor, "inst d_hidden feat"]) -> Float[Tensor, "inst feat"]:
    # BEGIN SOLUTION: ‖Wᵢ‖² over the squared overlaps summed over all j (clamped at 1e-12) (about 2 lines)
    denominator = (_overlaps(W) ** 2).sum(dim=-1).clamp(min=1e-12)
    return W.norm(dim=1) ** 2 / denominator
    # END SOLUTION


def antipodal_pairs(W: Float[Tensor, "inst d_hidden feat"], min_norm: float = 0.5, max_cosine: float = -0.95) -> list[list[tuple[int, int]]]:
    # BEGIN SOLUTION: cosine matrix per instance; keep i < j with both norms > min_norm and cosine < max_cosine (about 8 lines)
    norms = W.norm(dim=1)  # [inst, feat]
    W_hat = W / norms[:, None, :].clamp(min=1e-8)
    cosines = torch.einsum("ihf,ihg->ifg", W_hat, W_hat)
    pairs = []
    for k in range(W.shape[0]):
        represented = norms[k] > min_norm
        close = (cosines[k] < max_cosine) & represented[:, None] & represented[None, :]
        pairs.append([(i, j) for i, j in torch.nonzero(torch.triu(close, diagonal=1)).tolist()])
    return pairs
    # END SOLUTION
