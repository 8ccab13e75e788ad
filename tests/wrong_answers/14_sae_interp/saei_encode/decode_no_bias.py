# MISTAKE: leaves b_dec out of the reconstruction
# NAMED: b_dec is left out of the reconstruction
"""Open an SAE up: compute its latents and its reconstruction from its weights.

The SAEs of this section are SAELens `StandardSAE`s trained on the residual stream of the
zoo's othello model (`arena_cli.zoo.othello_saes.load_sae("resid3")`). Its parameters:
`W_enc` [d_in, d_sae], `b_enc` [d_sae], `W_dec` [d_sae, d_in], `b_dec` [d_in]. With
`cfg.apply_b_dec_to_input` (true here) it reads

    f(x) = ReLU((x − b_dec) @ W_enc + b_enc)        the latent activations
    x̂(f) = f @ W_dec + b_dec                         the reconstruction

Goal: `encode(sae, x)` → f [..., d_sae] and `decode(sae, f)` → x̂ [..., d_in], from the weights
alone, for any number of leading dimensions. Everything later in the section reads latents
this way; SAELens' `sae.encode` / `sae.decode` are what the checks compare with.

Rules: do not call `sae.encode`, `sae.decode` or `sae(...)`; do not modify the inputs.

Worked example: a latent whose encoder column is e₀ and whose bias is −1 reads
ReLU(x₀ − b_dec₀ − 1): 0 for x₀ − b_dec₀ = 0.5, 2 for x₀ − b_dec₀ = 3.
"""

import torch
from jaxtyping import Float
from torch import Tensor


def encode(sae, x: Float[Tensor, "... d_in"]) -> Float[Tensor, "... d_sae"]:
    """The latent activations f(x), after the ReLU."""
    # BEGIN SOLUTION: subtract b_dec, multiply by W_enc, add b_enc, ReLU (1-2 lines)
    return torch.relu((x - sae.b_dec) @ sae.W_enc + sae.b_enc)
    # END SOLUTION


def decode(sae, f: Float[Tensor, "... d_sae"]) -> Float[Tensor, "... d_in"]:
    """The reconstruction x̂ = f @ W_dec + b_dec."""
    # BEGIN SOLUTION: one line
    return f @ sae.W_dec
    # END SOLUTION
