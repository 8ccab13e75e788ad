# MISTAKE: agreement returns the flat index of the worst entry, not its (row, column).
# NAMED: the flat index of the worst entry
"""Attribution patching: every patch at once, from one backward pass.

Exact activation patching costs one forward pass per patch. Attribution patching replaces it by
a first-order Taylor approximation around the corrupted run: patching activation a (corrupted
value a_c) with its clean value a_k changes the metric by about
    (a_k - a_c) . d metric / d a   (the gradient taken in the corrupted run),
summed over everything the patch touches (the prompts of the batch, the patched positions, the
activation's dimensions). One forward and one backward pass of the corrupted run give the
gradient for every activation at once.

Goal:
0. `corrupted_grads(model, corrupted_tokens, metric, names)` -> (activations, gradients): two
   dicts from hook name to the corrupted run's activation there and d metric / d activation.
1. `attribution_resid_pre(model, clean_tokens, corrupted_tokens, metric)` -> [n_layers, pos]:
   the approximation of `patch_resid_pre` (resid_pre of layer L at position p).
2. `attribution_heads(model, clean_tokens, corrupted_tokens, metric)` -> [n_layers, n_heads]: the
   approximation of patching head (L, H)'s z at every position.
3. `agreement(approx, exact)` -> (correlation, worst): the Pearson correlation of the two grids'
   entries (Python float), and the index (a tuple) of the entry where |approx - exact| is largest.

The checks run with autograd off: switch it on yourself (`with torch.enable_grad():`). Keep the
activations of the corrupted run with forward hooks, call `.retain_grad()` on them and return
them from the hook (on a TransformerBridge a hook may see a reshaped copy; only what it returns is
used downstream, so only a returned tensor gets a gradient).

Rules: one forward and one backward pass of the corrupted run (plus the clean run's cache).

Worked example (a linear metric m(a) = 2 a, a_c = 1, a_k = 4): the approximation 3 * 2 = 6 is exact.
"""

from typing import Callable

import torch
from jaxtyping import Float, Int
from torch import Tensor


def corrupted_grads(model, corrupted_tokens, metric, names: list[str]) -> tuple[dict, dict]:
    """Activations at `names` in the corrupted run and the metric's gradient with respect to them."""
    # BEGIN SOLUTION: hooks that retain_grad and keep (and return) each activation; metric(...).backward() under enable_grad (about 12 lines)
    acts: dict[str, Tensor] = {}

    def keep(act, hook, name):
        act.retain_grad()
        acts[name] = act
        return act  # on a bridge, return it: what the hook saw may be a reshaped copy, and only a returned tensor is used

    with torch.enable_grad():
        hooks = [(name, lambda act, hook, name=name: keep(act, hook, name)) for name in names]
        value = metric(model.run_with_hooks(corrupted_tokens, fwd_hooks=hooks))
        value.backward()
    grads = {name: act.grad.detach() for name, act in acts.items()}
    model.zero_grad(set_to_none=True)
    return {name: act.detach() for name, act in acts.items()}, grads
    # END SOLUTION


def attribution_resid_pre(
    model, clean_tokens: Int[Tensor, "batch pos"], corrupted_tokens: Int[Tensor, "batch pos"],
    metric: Callable[[Tensor], Tensor],
) -> Float[Tensor, "layer pos"]:
    """(clean - corrupted resid_pre) . gradient, summed over the batch and d_model, per layer and position."""
    # BEGIN SOLUTION: clean cache; corrupted activations and gradients at every resid_pre; sum (clean - corrupted) * grad over batch and d_model (about 6 lines)
    _, clean_cache = model.run_with_cache(clean_tokens)
    names = [f"blocks.{layer}.hook_resid_pre" for layer in range(model.cfg.n_layers)]
    acts, grads = corrupted_grads(model, corrupted_tokens, metric, names)
    rows = [((clean_cache[name] - acts[name]) * grads[name]).sum(dim=(0, 2)) for name in names]
    return torch.stack(rows)
    # END SOLUTION


def attribution_heads(
    model, clean_tokens: Int[Tensor, "batch pos"], corrupted_tokens: Int[Tensor, "batch pos"],
    metric: Callable[[Tensor], Tensor],
) -> Float[Tensor, "layer head"]:
    """(clean - corrupted z) . gradient, summed over the batch, positions and d_head, per head."""
    # BEGIN SOLUTION: the same at every hook_z, summed over batch, pos and d_head (about 6 lines)
    _, clean_cache = model.run_with_cache(clean_tokens)
    names = [f"blocks.{layer}.attn.hook_z" for layer in range(model.cfg.n_layers)]
    acts, grads = corrupted_grads(model, corrupted_tokens, metric, names)
    rows = [((clean_cache[name] - acts[name]) * grads[name]).sum(dim=(0, 1, 3)) for name in names]
    return torch.stack(rows)
    # END SOLUTION


def agreement(approx: Tensor, exact: Tensor) -> tuple[float, tuple[int, ...]]:
    """Pearson correlation of the entries, and the index of the largest |approx - exact|."""
    # BEGIN SOLUTION: torch.corrcoef of the flattened grids; argmax of the absolute error, unravelled (about 4 lines)
    corr = torch.corrcoef(torch.stack([approx.flatten(), exact.flatten()]))[0, 1]
    worst = torch.unravel_index((approx - exact).abs().argmax(), approx.shape)
    return float(corr), (int((approx - exact).abs().argmax()),)
    # END SOLUTION
