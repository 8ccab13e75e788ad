"""What each head writes into the residual stream.

Goal: a layer's attention output (`cache["attn_out", layer]`, [batch, pos, d_model]) is a sum
over its heads plus one bias. Split it:

    result[b, p, h] = z[b, p, h] @ W_O[layer, h]          # [d_model] per head
    attn_out[b, p]  = sum over h of result[b, p, h] + b_O[layer]

where `z = cache["z", layer]` ([batch, pos, head, d_head]: each head's attention-weighted
values) and `model.W_O` is [layer, head, d_head, d_model].

1. `head_results(cache, model, layer)`: [batch, pos, head, d_model].
2. `attn_out_from_heads(results, model, layer)`: put them back together: [batch, pos, d_model].

Why: this split is the first step of every "which head did it" analysis below (direct logit
attribution, decomposing queries and keys). TransformerLens computes the same thing in
`cache.stack_head_results`; the checks compare with it (don't call it here).

Rules: we recommend one `einops.einsum` for the results (the checks compare values only); don't call
`stack_head_results` (the checks make it fail).

Worked example (1 head, d_head 2, d_model 3):
    z = [1, 2],  W_O = [[1, 0, 0], [0, 1, 1]]  ->  result = [1, 2, 2]
"""

import einops
from jaxtyping import Float
from torch import Tensor
from transformer_lens import ActivationCache


def head_results(cache: ActivationCache, model, layer: int) -> Float[Tensor, "batch pos head d_model"]:
    """Each head's output z @ W_O at every position."""
    # BEGIN SOLUTION: einsum of cache["z", layer] with model.W_O[layer], summing d_head only (about 2 lines)
    z = cache["z", layer]  # [batch, pos, head, d_head]
    return einops.einsum(z, model.W_O[layer], "b p h e, h e d -> b p h d")
    # END SOLUTION


def attn_out_from_heads(
    results: Float[Tensor, "batch pos head d_model"], model, layer: int
) -> Float[Tensor, "batch pos d_model"]:
    """The layer's attention output: the heads' results summed, plus the output bias."""
    # BEGIN SOLUTION: sum over the head axis, add model.b_O[layer] (about 1 line)
    return results.sum(dim=2) + model.b_O[layer]
    # END SOLUTION
