# MISTAKE: uses f(clean) - f(corrupted)
# NAMED: wrong way round
"""Which latents carry the difference between two games? Exact patching, then its linear estimate.

Take a clean and a corrupted input (two games that differ in one move). Splice the SAE in at its
hook with its *error term*: x → decode(f) + (x − decode(f(x))), the error held at its clean
value, so that the model's output is unchanged until a latent is edited. The metric is the
logit of move token `target` at position `pos` (row 0 of the batch).

- exact patching of latent i: in the clean run, set latent i at position `pos` to its value in
  the corrupted run; effect_i = metric(patched) − metric(clean). A latent with the same value in
  both runs has effect 0 (do not run it).
- attribution patching: one backward pass instead of one forward pass per latent,
  effect_i ≈ ∂metric/∂f_i · (f_i(corrupted) − f_i(clean)), the gradient taken in the *clean* run.

Goal: `exact_effects(...)` and `attribution_effects(...)`, each [d_sae], for position `pos`.
The checks turn autograd off; switch it on inside your function with `torch.enable_grad()`.

Rules: hooks through `model.run_with_hooks`; do not modify the inputs.

Worked example: where the model is nearly linear in a latent the two agree; where a latent's
edit pushes another across its ReLU, or the softmax saturates, they do not — compare them.
"""

import torch
from jaxtyping import Float, Int
from torch import Tensor


def _latents(model, sae, tokens):
    with torch.no_grad():
        _, cache = model.run_with_cache(tokens, names_filter=lambda n: n == sae.cfg.metadata.hook_name)
        return sae.encode(cache[sae.cfg.metadata.hook_name])


def exact_effects(
    model, sae, clean: Int[Tensor, "1 seq"], corrupt: Int[Tensor, "1 seq"], pos: int, target: int
) -> Float[Tensor, "d_sae"]:
    """metric(clean with latent i at `pos` patched from the corrupted run) − metric(clean), per latent."""
    # BEGIN SOLUTION: latents of both runs; a splice hook (decode(f) + clean error) that can overwrite one latent at `pos`; one run per latent that differs (about 18 lines)
    hook_name = sae.cfg.metadata.hook_name
    f_clean, f_corr = _latents(model, sae, clean)[0, pos], _latents(model, sae, corrupt)[0, pos]

    def run(latent=None):
        def hook(x, hook):
            f = sae.encode(x)
            error = x - sae.decode(f)
            if latent is not None:
                f = f.clone()
                f[:, pos, latent] = f_corr[latent]
            return sae.decode(f) + error

        with torch.no_grad():
            return float(model.run_with_hooks(clean, fwd_hooks=[(hook_name, hook)])[0, pos, target])

    base = run()
    effects = torch.zeros(sae.cfg.d_sae)
    for i in (f_clean != f_corr).nonzero().flatten().tolist():
        effects[i] = run(i) - base
    return effects
    # END SOLUTION


def attribution_effects(
    model, sae, clean: Int[Tensor, "1 seq"], corrupt: Int[Tensor, "1 seq"], pos: int, target: int
) -> Float[Tensor, "d_sae"]:
    """∂metric/∂f (clean run) · (f(corrupted) − f(clean)) at position `pos`, per latent."""
    # BEGIN SOLUTION: in the clean run, make the latents a leaf that requires grad inside the splice hook; backward from the metric; multiply by the difference (about 14 lines)
    hook_name = sae.cfg.metadata.hook_name
    f_corr = _latents(model, sae, corrupt)[0, pos]
    saved = {}

    def hook(x, hook):
        f = sae.encode(x).detach().requires_grad_(True)
        saved["f"] = f
        return sae.decode(f) + (x - sae.decode(sae.encode(x))).detach()

    with torch.enable_grad():
        logits = model.run_with_hooks(clean, fwd_hooks=[(hook_name, hook)])
        logits[0, pos, target].backward()
    f = saved["f"]
    return (f.grad[0, pos] * (f.detach()[0, pos] - f_corr)).detach()
    # END SOLUTION
