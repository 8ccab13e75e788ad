# MISTAKE: patches the residual stream after layer L (resid_post) instead of before it.
# NAMED: (hook_resid_post) was patched
"""Activation patching, from scratch: the residual stream, attention and MLP outputs.

Activation patching asks "where does the model keep the information that tells clean from
corrupted?". Run the *corrupted* prompts, but overwrite one activation with its value from the
*clean* run, and see how much of the clean behaviour comes back (the normalised metric: 0 =
nothing, 1 = all of it). Here clean and corrupted differ only in the name at S2, so a patch
that restores everything says "at this point, the difference lives here".

Goal (every function runs the clean prompts once with a cache, then one corrupted run per patch,
and returns `metric` of the patched logits as Python floats in a tensor):
1. `patch_resid_pre(model, clean_tokens, corrupted_tokens, metric)` -> [n_layers, pos]: entry
   [L, p] patches `blocks.{L}.hook_resid_pre` at position p only (every prompt of the batch).
2. `patch_layer_output(model, clean_tokens, corrupted_tokens, metric, component)` -> [n_layers]:
   entry [L] patches `blocks.{L}.hook_{component}` (component "attn_out" or "mlp_out") at every
   position at once.

Rules: `model.run_with_cache` and `model.run_with_hooks` with your own hook functions; no
`transformer_lens.patching` (the checks compare with it). A hook must not change the cache.

Worked example: patching resid_pre of layer 0 at S2 (position 12) puts the clean token's
embedding there: everything downstream is as in the clean run, so the entry is 1.0.
"""

from typing import Callable

import torch
from jaxtyping import Float, Int
from torch import Tensor


def patch_resid_pre(
    model, clean_tokens: Int[Tensor, "batch pos"], corrupted_tokens: Int[Tensor, "batch pos"],
    metric: Callable[[Tensor], Tensor],
) -> Float[Tensor, "layer pos"]:
    """Metric after patching the clean residual stream before layer L at position p."""
    # BEGIN SOLUTION: cache the clean run; for each layer and position, a hook that copies the clean value at that position into the corrupted run (about 12 lines)
    _, clean_cache = model.run_with_cache(clean_tokens)
    n_layers, n_pos = model.cfg.n_layers, corrupted_tokens.shape[1]
    out = torch.zeros(n_layers, n_pos)
    for layer in range(n_layers):
        name = f"blocks.{layer}.hook_resid_post"
        clean = clean_cache[name]
        for pos in range(n_pos):
            def hook(act, hook, pos=pos):
                act = act.clone()
                act[:, pos] = clean[:, pos]
                return act

            out[layer, pos] = metric(model.run_with_hooks(corrupted_tokens, fwd_hooks=[(name, hook)])).item()
    return out
    # END SOLUTION


def patch_layer_output(
    model, clean_tokens: Int[Tensor, "batch pos"], corrupted_tokens: Int[Tensor, "batch pos"],
    metric: Callable[[Tensor], Tensor], component: str,
) -> Float[Tensor, "layer"]:
    """Metric after patching the clean `component` ("attn_out" or "mlp_out") of layer L at every position."""
    # BEGIN SOLUTION: cache the clean run; per layer, a hook that returns the clean activation (about 8 lines)
    _, clean_cache = model.run_with_cache(clean_tokens)
    out = torch.zeros(model.cfg.n_layers)
    for layer in range(model.cfg.n_layers):
        name = f"blocks.{layer}.hook_{component}"
        clean = clean_cache[name]
        logits = model.run_with_hooks(corrupted_tokens, fwd_hooks=[(name, lambda act, hook, clean=clean: clean.clone())])
        out[layer] = metric(logits).item()
    return out
    # END SOLUTION
