# MISTAKE: ablates with the mean activation instead of zeros
# NAMED: zero loss
"""Splice an SAE into the model and measure how much of the model survives it.

An SAE is only worth reading if the model still works when its reconstruction replaces the
activation it was trained on. Three numbers say how well it does:

- L0: how many latents are active (> 0) at a position, on average — the sparsity.
- explained variance: 1 − Σ‖x − x̂‖² / Σ‖x − x̄‖², sums over positions and dimensions,
  x̄ the mean activation over the positions.
- cross-entropy loss recovered: with the clean model's loss, the loss with the SAE spliced in
  (x replaced by x̂ at the hook) and the loss with the activation zero-ablated (x replaced by 0),
  recovered = (zero − spliced) / (zero − clean): 1 when the SAE costs nothing, 0 when it is
  as bad as deleting the activation.

The loss is the model's own next-token loss, `model(tokens, return_type="loss")` (every
position); the SAE's hook point is `sae.cfg.metadata.hook_name`.

Goal:
1. `l0(acts)` → scalar; `explained_variance(x, x_hat)` → scalar (x, x_hat [n, d]).
2. `spliced_losses(model, sae, tokens)` → dict with floats "clean", "spliced", "zero" and
   "recovered". Splice with a hook through `model.run_with_hooks` (`sae.decode(sae.encode(x))`
   is fine here).

Rules: do not modify the inputs; leave no hook on the model.

Worked example: clean 2.0, zero-ablated 4.0, spliced 2.5: recovered (4 − 2.5) / (4 − 2) = 0.75.
"""

import torch
from jaxtyping import Float, Int
from torch import Tensor


def l0(acts: Float[Tensor, "n d_sae"]) -> Float[Tensor, ""]:
    """Mean number of active latents per position."""
    # BEGIN SOLUTION: one line
    return (acts > 0).float().sum(-1).mean()
    # END SOLUTION


def explained_variance(x: Float[Tensor, "n d"], x_hat: Float[Tensor, "n d"]) -> Float[Tensor, ""]:
    """1 − residual sum of squares / total sum of squares about the mean."""
    # BEGIN SOLUTION: two lines
    total = (x - x.mean(0)).pow(2).sum()
    return 1 - (x - x_hat).pow(2).sum() / total
    # END SOLUTION


def spliced_losses(model, sae, tokens: Int[Tensor, "batch pos"]) -> dict[str, float]:
    """Clean, spliced and zero-ablated losses and the loss recovered."""
    # BEGIN SOLUTION: three forward passes with return_type="loss" (two with a hook), then the ratio (about 10 lines)
    hook_name = sae.cfg.metadata.hook_name
    clean = float(model(tokens, return_type="loss"))
    spliced = float(model.run_with_hooks(tokens, return_type="loss", fwd_hooks=[(hook_name, lambda x, hook: sae.decode(sae.encode(x)))]))
    zero = float(model.run_with_hooks(tokens, return_type="loss", fwd_hooks=[(hook_name, lambda x, hook: x.mean(dim=(0, 1), keepdim=True).expand_as(x))]))
    return dict(clean=clean, spliced=spliced, zero=zero, recovered=(zero - spliced) / (zero - clean))
    # END SOLUTION
