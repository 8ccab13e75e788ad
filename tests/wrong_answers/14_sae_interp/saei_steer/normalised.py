# MISTAKE: normalises the decoder row
# NAMED: normalised
"""Steer the model with a latent: write its decoder direction into the residual stream.

A latent's decoder row `sae.W_dec[i]` is what the SAE writes when the latent fires. Adding
α · W_dec[i] to the activation the SAE reads — at its hook point, at one position — is the same
as pretending the latent fired α harder there, and the model's next-move prediction at that
position (and later ones) changes as if whatever the latent stands for had happened.

Goal: `steer(model, sae, tokens, latent, alpha, pos)` → the logits [batch, pos, d_vocab] of a
forward pass with `alpha * sae.W_dec[latent]` added to the activation at
`sae.cfg.metadata.hook_name`, at sequence position `pos` only, in every row of the batch.

Rules: a hook through `model.run_with_hooks`; never edit the activation in place; the
decoder row as it is (not normalised).

Worked example: α = 0 gives back the model's own logits; the edit never changes the logits at
positions before `pos` (attention is causal).
"""

import torch
from jaxtyping import Float, Int
from torch import Tensor


def steer(
    model, sae, tokens: Int[Tensor, "batch pos"], latent: int, alpha: float, pos: int
) -> Float[Tensor, "batch pos d_vocab"]:
    """Logits with alpha * W_dec[latent] added at the SAE's hook point, at position `pos`."""
    # BEGIN SOLUTION: a hook returning a copy of the activation with alpha * W_dec[latent] added at `pos` (about 6 lines)
    direction = alpha * sae.W_dec[latent] / sae.W_dec[latent].norm()

    def hook(x, hook):
        x = x.clone()
        x[:, pos] += direction
        return x

    return model.run_with_hooks(tokens, fwd_hooks=[(sae.cfg.metadata.hook_name, hook)])
    # END SOLUTION
