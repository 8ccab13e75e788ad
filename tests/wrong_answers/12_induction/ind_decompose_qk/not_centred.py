# MISTAKE: Divides the components by the scale without centring them.
# NAMED: are not centred
"""Decomposing an induction head's queries and keys by what wrote them.

The residual stream that layer 1 reads is a sum of what came before:

    resid_pre[1] = embed + pos_embed + L0H0 + L0H1 + L0H2 + L0H3 + bias      (bias = b_O of layer 0)

and a layer-1 head's query is `ln1(resid_pre[1]) @ W_Q[1, h] + b_Q[1, h]` (keys likewise with
W_K, b_K). Freeze the LayerNorm's scale at its cached value (`cache["scale", 1, "ln1"]`,
[batch, pos, 1]) and the query becomes a sum over those 7 components:

    q_c = ((c - mean_d c) / scale * w_ln) @ W_Q[1, h]            for each component c
    and add the constants  b_ln @ W_Q[1, h] + b_Q[1, h]  to the *bias* component

(w_ln, b_ln = `model.blocks[1].ln1.w`, `.b`). The 7 parts then add up to `cache["q", 1][:, :, h]`
exactly (the checks test that).

Goal:
1. `decompose_resid_pre(cache, model)`: [component, batch, pos, d_model], components in the
   order embed, pos_embed, L0H0, L0H1, L0H2, L0H3, bias. (Head results: z @ W_O.)
2. `decompose_qk(components, cache, model, head, which)`: the parts of the queries
   (`which="q"`) or keys (`which="k"`) of layer-1 head `head`: [component, batch, pos, d_head].

Rules: torch / einops; no `get_full_resid_decomposition` or `stack_head_results` (the checks
compare with them).

Worked example (what you should find, in the next exercise): an induction head's queries come
mostly from the token embedding ("I am A") and its keys mostly from the previous-token head
("the token before me was A").
"""

import einops
import torch
from jaxtyping import Float
from torch import Tensor
from transformer_lens import ActivationCache


def decompose_resid_pre(cache: ActivationCache, model) -> Float[Tensor, "component batch pos d_model"]:
    """Layer 1's input split into embed, pos_embed, the 4 layer-0 heads, and layer 0's b_O."""
    # BEGIN SOLUTION: head results by einsum of cache["z", 0] with W_O[0] to [head, batch, pos, d_model]; cat with embed, pos_embed, b_O[0] (about 5 lines)
    embed = cache["embed"]  # [batch, pos, d_model]
    heads = einops.einsum(cache["z", 0], model.W_O[0], "b p h e, h e d -> h b p d")
    bias = model.b_O[0].expand_as(embed)
    return torch.cat([embed[None], cache["pos_embed"][None], heads, bias[None]], dim=0)
    # END SOLUTION


def decompose_qk(
    components: Float[Tensor, "component batch pos d_model"],
    cache: ActivationCache,
    model,
    head: int,
    which: str,
) -> Float[Tensor, "component batch pos d_head"]:
    """Parts of layer-1 head `head`'s queries (which="q") or keys (which="k"), one per component."""
    # BEGIN SOLUTION: pick W and b for q or k; centre, / ln1 scale, * ln1.w; einsum with W; add b_ln @ W + b to the last part (about 8 lines)
    ln = model.blocks[1].ln1
    W = (model.W_Q if which == "q" else model.W_K)[1, head]  # [d_model, d_head]
    b = (model.b_Q if which == "q" else model.b_K)[1, head]  # [d_head]
    centred = components
    normalised = centred / cache["scale", 1, "ln1"] * ln.w
    parts = einops.einsum(normalised, W, "c b p d, d e -> c b p e")
    constant = torch.zeros_like(parts)
    constant[-1] = ln.b @ W + b  # the constants go with the bias component
    return parts + constant
    # END SOLUTION
