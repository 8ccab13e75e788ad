# MISTAKE: ignores the final LayerNorm scale
# NAMED: LayerNorm's scale is ignored
"""Direct logit attribution of latents: what each active latent writes straight to the output.

A latent writes f_i · W_dec[i] into the residual stream. Part of that travels untouched along
the residual path to the final LayerNorm and the unembedding. With the LayerNorm's scale frozen
at its value in this run (the standard approximation that makes the path linear), latent i's
direct effect on the logit of token t at position p is

    DLA_i = f_i · ((W_dec[i] − mean(W_dec[i])) / scale_p) ⊙ w_ln · W_U[:, t]

mean over the d_model entries (the LayerNorm centres), scale_p = `ln_final.hook_scale` at p
(cached by `run_with_cache`), w_ln = `model.ln_final.weight`, W_U = `model.W_U` [d_model, d_vocab].

Goal: `latent_dla(model, sae, tokens, pos, target)` → [d_sae], row 0 of the batch.

Rules: do not modify the inputs.

Worked example: an inactive latent (f_i = 0) has DLA 0; doubling the scale halves every DLA.
"""

import torch
from jaxtyping import Float, Int
from torch import Tensor


def latent_dla(model, sae, tokens: Int[Tensor, "batch seq"], pos: int, target: int) -> Float[Tensor, "d_sae"]:
    """Each latent's direct effect on the logit of `target` at `pos` (frozen final LN scale)."""
    # BEGIN SOLUTION: cache the SAE's hook and ln_final.hook_scale; encode; centre W_dec rows, divide by the scale, times the LN weight, times W_U[:, target] (about 8 lines)
    hook_name = sae.cfg.metadata.hook_name
    _, cache = model.run_with_cache(tokens, names_filter=lambda n: n in (hook_name, "ln_final.hook_scale"))
    f = sae.encode(cache[hook_name][0, pos])  # [d_sae]
    scale = cache["ln_final.hook_scale"][0, pos]  # [1]
    centred = sae.W_dec - sae.W_dec.mean(-1, keepdim=True)
    per_latent = centred * model.ln_final.weight @ model.W_U[:, target]  # [d_sae]
    return f * per_latent
    # END SOLUTION
