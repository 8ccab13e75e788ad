# MISTAKE: patches the heads at every position
# NAMED: at every position
"""Intervene and read in one forward pass, the way nnsight traces do.

Interpretability on large models is mostly written with nnsight: inside
`with model.trace(tokens):` you edit a module's output (`model.blocks[1].hook_resid_pre.output[:, -1] += fv`)
and `.save()` any value computed *after* the edit, all in one forward pass (the same code can
run on a remote server). TransformerLens does the same with a context manager that keeps hooks
attached: `with model.hooks(fwd_hooks=[...]):` every run inside it is intervened on, and
`run_with_cache` inside it caches the intervened activations.

Goal: the two experiments of this section, each in one pass.
1. `steered_run(model, tokens, vector, layer, read)`: add `vector` at the last position of the
   residual stream entering block `layer` and, in the same pass, return the logits and the
   activations named in `read` (hook names) *as the intervened model computes them*: a
   (logits, {name: tensor}) pair.
2. `patched_heads_run(model, tokens, mean_z, heads)`: replace the z of every head in `heads`
   (a list of (layer, head)) at the last position by `mean_z[layer, head]`, all at once, and
   return the logits.

Rules: TransformerLens hooks (`model.hooks`, `run_with_cache`, `run_with_hooks`); one forward
pass per call; return new tensors from hooks.

Worked example: reading "blocks.1.hook_resid_pre" after adding v there at layer 1 gives the
clean residual plus v at the last position; reading "blocks.0.hook_resid_pre" gives the clean one.
"""

from functools import partial

import torch
from jaxtyping import Float, Int
from torch import Tensor


def steered_run(
    model, tokens: Int[Tensor, "batch seq"], vector: Float[Tensor, " d_model"], layer: int, read: list[str]
) -> tuple[Float[Tensor, "batch seq vocab"], dict[str, Tensor]]:
    """Logits and the activations in `read`, with `vector` added at the last position before block `layer`."""
    # BEGIN SOLUTION: a hook adding the vector at [:, -1]; inside `with model.hooks(fwd_hooks=...)`, run_with_cache with names_filter=read (about 8 lines)
    def add(resid: Float[Tensor, "batch seq d_model"], hook) -> Float[Tensor, "batch seq d_model"]:
        resid = resid.clone()
        resid[:, -1] += vector
        return resid

    with model.hooks(fwd_hooks=[(f"blocks.{layer}.hook_resid_pre", add)]):
        logits, cache = model.run_with_cache(tokens, names_filter=lambda name: name in read)
    return logits, {name: cache[name] for name in read}
    # END SOLUTION


def _patch_heads(z: Tensor, hook, heads: list[int], values: Tensor) -> Tensor:
    z = z.clone()
    z[:, :, heads] = values
    return z


def patched_heads_run(
    model, tokens: Int[Tensor, "batch seq"], mean_z: Float[Tensor, "layer head d_head"], heads: list[tuple[int, int]]
) -> Float[Tensor, "batch seq vocab"]:
    """Logits with every head in `heads` patched to its mean z at the last position, in one pass."""
    # BEGIN SOLUTION: one hook per layer that has heads to patch (group the heads by layer), one run_with_hooks (about 6 lines)
    hooks = []
    for layer in sorted({layer for layer, _ in heads}):
        in_layer = [head for l, head in heads if l == layer]
        hooks.append((f"blocks.{layer}.attn.hook_z", partial(_patch_heads, heads=in_layer, values=mean_z[layer, in_layer])))
    return model.run_with_hooks(tokens, fwd_hooks=hooks)
    # END SOLUTION
