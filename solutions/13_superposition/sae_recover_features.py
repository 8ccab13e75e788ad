"""Does the SAE find the planted features?

On real models nobody knows the true features, so SAEs are judged by proxies. On the toy model
we do know them: the 12 columns of its W are the directions the features were written along, and
an SAE trained on h = W x "recovers" feature i if some latent's decoder row points the same way.

Goal (decoder W_dec [d_sae, d_in], true directions `features` [n_features, d_in], any norms):
1. `cosine_matrix(W_dec, features)`: [d_sae, n_features], the cosine similarity of every decoder
   row with every true direction.
2. `best_match(W_dec, features)`: for each true feature, the largest |cosine| over the latents
   and the index of that latent: (values [n_features] float, indices [n_features] int64). The
   absolute value, as SAELens' metrics do: a direction and its negative span the same line.
3. `fraction_recovered(W_dec, features, threshold)`: the fraction of true features whose best
   |cosine| is >= threshold, a Python float.

SAELens computes related numbers (`sae_lens.util.cosine_similarities`, and the mean correlation
coefficient `sae_lens.synthetic.evals.mean_correlation_coefficient`, which matches latents to
features one-to-one); the checks compare with them.

Worked example (2 latents, 2 features in 2 dimensions):
    W_dec = [[2, 0], [0, -1]], features = [[1, 0], [1, 1]]
    cosines [[1, 0.707], [0, -0.707]]; best |cos| [1, 0.707] at latents [0, 0]
    fraction_recovered(threshold 0.9) = 0.5
"""

import torch
from jaxtyping import Float, Int
from torch import Tensor


def cosine_matrix(W_dec: Float[Tensor, "d_sae d_in"], features: Float[Tensor, "feat d_in"]) -> Float[Tensor, "d_sae feat"]:
    # BEGIN SOLUTION: normalise the rows of both (norms clamped at 1e-8), then a matrix product (about 3 lines)
    a = W_dec / W_dec.norm(dim=1, keepdim=True).clamp(min=1e-8)
    b = features / features.norm(dim=1, keepdim=True).clamp(min=1e-8)
    return a @ b.T
    # END SOLUTION


def best_match(W_dec: Float[Tensor, "d_sae d_in"], features: Float[Tensor, "feat d_in"]) -> tuple[Float[Tensor, "feat"], Int[Tensor, "feat"]]:
    # BEGIN SOLUTION: |cosine_matrix|.max over the latent axis (dim 0) (about 2 lines)
    best = cosine_matrix(W_dec, features).abs().max(dim=0)
    return best.values, best.indices
    # END SOLUTION


def fraction_recovered(W_dec: Float[Tensor, "d_sae d_in"], features: Float[Tensor, "feat d_in"], threshold: float) -> float:
    # BEGIN SOLUTION: the mean of (best |cos| >= threshold), as a float (about 1 line)
    return (best_match(W_dec, features)[0] >= threshold).float().mean().item()
    # END SOLUTION
