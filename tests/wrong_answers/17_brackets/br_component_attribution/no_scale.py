# MISTAKE: the attributions forget the frozen LayerNorm scale
# NAMED: the LayerNorm scale is missing
"""Which component pushes towards "unbalanced"? Decompose the verdict along the direction.

Goal: the residual stream at position 0 just before `ln_final` is a sum of the outputs of
every component:

    resid = embed + pos_embed + (each head's result, 3 layers x 2 heads)
          + (each MLP's output, 3 layers) + bias         (bias = the b_O of the 3 layers)

A head's result is its z times its slice of W_O (without b_O); an MLP's output
(`cache["mlp_out", layer]`) already includes its own output bias b_out. With the final
LayerNorm's scale frozen (br_unbalanced_direction), the logit difference is affine in resid,
so it splits into one term per component plus a constant that belongs to none:

    diff = sum_c (c . d) / scale  +  ln_final.b . u + b_U[0] - b_U[1]

1. `residual_components(cache, model)`: [12, batch, d_model], the components at position 0
   in the order embed, pos_embed, L0H0, L0H1, MLP0, L1H0, L1H1, MLP1, L2H0, L2H1, MLP2, bias.
2. `component_attribution(components, cache, model)`: [batch, 12], each component's term
   (c . d) / scale, with d the centred unbalanced direction and scale `cache["scale"]` at
   position 0.

The checks compare with TransformerLens (`get_full_resid_decomposition`, `apply_ln_to_stack`),
add your terms up to the model's own logit difference, and remove one component at a time
from the final residual stream (with the scale held fixed) to see the logit difference move by
exactly your term.

Rules: torch/einops; not `get_full_resid_decomposition`, `decompose_resid` or
`apply_ln_to_stack` (the checks use them).

Worked example (what you should find): on unbalanced strings the last MLPs (MLP1, MLP2) push
strongly towards "unbalanced"; on balanced strings head L2H0 pushes strongly the other way.
"""

import einops
import torch
from jaxtyping import Float
from torch import Tensor
from transformer_lens import ActivationCache

from arena_cli.zoo.brackets import BALANCED, UNBALANCED


def residual_components(cache: ActivationCache, model) -> Float[Tensor, "component batch d_model"]:
    """The 12 components of the final residual stream at position 0."""
    # BEGIN SOLUTION: per layer: z[:, 0] @ W_O per head, then mlp_out[:, 0]; embed, pos_embed first, summed b_O last (about 10 lines)
    parts = [cache["embed"][:, 0], cache["pos_embed"][:, 0]]
    for layer in range(model.cfg.n_layers):
        heads = einops.einsum(cache["z", layer][:, 0], model.W_O[layer], "b h e, h e d -> h b d")
        parts += [*heads, cache["mlp_out", layer][:, 0]]
    parts.append(model.b_O.sum(dim=0).expand_as(parts[0]))
    return torch.stack(parts)
    # END SOLUTION


def component_attribution(
    components: Float[Tensor, "component batch d_model"], cache: ActivationCache, model
) -> Float[Tensor, "batch component"]:
    """(c . d) / scale for every component c, with the final LayerNorm scale frozen."""
    # BEGIN SOLUTION: the centred direction d = w * u - mean; dot every component with d, divide by cache["scale"][:, 0] (about 5 lines)
    u = model.W_U[:, UNBALANCED] - model.W_U[:, BALANCED]
    d = model.ln_final.w * u
    d = d - d.mean()
    scale = cache["scale"][:, 0, 0]  # [batch]
    return (components @ d).T
    # END SOLUTION
