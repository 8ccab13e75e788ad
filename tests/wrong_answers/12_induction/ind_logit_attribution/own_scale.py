# MISTAKE: Normalises each component by its own standard deviation instead of the frozen cached scale.
# NAMED: divided by its own scale
"""Direct logit attribution: which component pushed up the correct next token?

Goal: split the logit of the correct next token into one number per component of the residual
stream. In an attention-only model the final residual stream is a plain sum:

    resid_final = embed + pos_embed + (every head's result, 2 layers x 4 heads) + bias
    (bias = b_O of layer 0 + b_O of layer 1)

and the logits are `ln_final(resid_final) @ W_U + b_U`. LayerNorm is not linear, so we state
how it is treated: its *scale* (the standard deviation it divides by, cached as
`cache["scale"]`, [batch, pos, 1]) is taken as fixed — read from the cache, not recomputed
per component. With the scale frozen, LayerNorm is affine, and each component c contributes

    attr_c[b, p] = ((c[b, p] - mean_d c[b, p]) / scale[b, p]) * w_ln  .  W_U[:, tokens[b, p+1]]

(`w_ln = model.ln_final.w`). What is left over does not depend on any component:
`model.ln_final.b . W_U[:, t] + b_U[t]`. So the attributions plus that constant add up to the
model's logit for the correct token, exactly: the checks test that.

1. `residual_components(cache, model)`: [component, batch, pos, d_model] in the order
   embed, pos_embed, L0H0 … L0H3, L1H0 … L1H3, bias (11 components), from `cache["embed"]`,
   `cache["pos_embed"]`, the heads' results (z @ W_O, as in ind_head_results) and `model.b_O`.
2. `logit_attribution(components, cache, model, tokens)`: [batch, pos - 1, component], the
   attribution of every component to the token that comes *next* (position p predicts p + 1).

Rules: torch/einops only; don't call `stack_head_results`, `get_full_resid_decomposition` or
`logit_attrs` (the checks compare with them).

Worked example (what you should find): on repeated random tokens, the first copy gets almost
nothing from any component (it is unpredictable); on the second copy the layer-1 heads (the
induction heads) add several units of logit to the correct token between them.
"""

import einops
import torch
from jaxtyping import Float, Int
from torch import Tensor
from transformer_lens import ActivationCache


def residual_components(cache: ActivationCache, model) -> Float[Tensor, "component batch pos d_model"]:
    """embed, pos_embed, every head's result (layer-major), and the summed output biases."""
    # BEGIN SOLUTION: per layer einsum z with W_O into [head, batch, pos, d_model]; stack embed, pos_embed, heads, bias broadcast (about 8 lines)
    embed = cache["embed"]  # [batch, pos, d_model]
    heads = [
        einops.einsum(cache["z", layer], model.W_O[layer], "b p h e, h e d -> h b p d")
        for layer in range(model.cfg.n_layers)
    ]
    bias = model.b_O.sum(dim=0).expand_as(embed)  # [batch, pos, d_model]
    return torch.cat([embed[None], cache["pos_embed"][None], *heads, bias[None]], dim=0)
    # END SOLUTION


def logit_attribution(
    components: Float[Tensor, "component batch pos d_model"],
    cache: ActivationCache,
    model,
    tokens: Int[Tensor, "batch pos"],
) -> Float[Tensor, "batch pos_minus_1 component"]:
    """Each component's contribution to the logit of the next token, with the final LN scale frozen."""
    # BEGIN SOLUTION: centre over d_model, divide by cache["scale"], times ln_final.w; dot with W_U columns of tokens[:, 1:] (about 5 lines)
    centred = components - components.mean(dim=-1, keepdim=True)
    normalised = centred / (centred.pow(2).mean(dim=-1, keepdim=True) + model.cfg.eps).sqrt() * model.ln_final.w
    directions = model.W_U[:, tokens[:, 1:]]  # [d_model, batch, pos-1]
    return einops.einsum(normalised[:, :, :-1], directions, "c b p d, d b p -> b p c")
    # END SOLUTION
