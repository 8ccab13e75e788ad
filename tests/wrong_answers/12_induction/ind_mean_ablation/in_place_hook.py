# MISTAKE: Writes the mean into the z it was given.
# NAMED: changed its argument `z` in place
"""Mean-ablating a head, without harming the cache you were given.

Zero is an arbitrary value for a head's output: a head might always write a large constant that
later layers rely on, and zeroing it then measures "the model breaks when its inputs look
strange" rather than "the model uses this head's information". Mean ablation replaces the
head's output by its *average* over a reference data set instead, which keeps the constant part
and removes only what varies with the input.

Goal:
1. `mean_z(cache, layer)`: the mean of `cache["z", layer]` over the batch *and* the positions:
   [head, d_head].
2. `mean_ablation_hook(z, hook, head, mean)`: a new tensor equal to `z` with head `head`
   replaced by `mean[head]` at every batch item and position. Leave `z` as it is.
3. `mean_ablated_loss(model, tokens, cache, layer, head)`: the mean next-token loss on `tokens`
   with that head mean-ablated, the means taken from `cache` (a clean run you were given).
   Python float.

The cache must come back unchanged: the checks compare every cached tensor before and after.
A tensor you read from a cache is the cache's own storage, so writing into it (or into a view of
it) corrupts the cache for whoever uses it next.

Rules: torch only; no in-place edits of `z` or of anything read from the cache.

Worked example (1 head, d_head 1, batch 1, 3 positions):
    z[..., 0, 0] = [1, 2, 6]  ->  mean = 3  ->  ablated z[..., 0, 0] = [3, 3, 3]
"""

from functools import partial

import torch
from jaxtyping import Float, Int
from torch import Tensor
from transformer_lens import ActivationCache
from transformer_lens.hook_points import HookPoint


def mean_z(cache: ActivationCache, layer: int) -> Float[Tensor, "head d_head"]:
    """Mean of layer `layer`'s z over the batch and the positions."""
    # BEGIN SOLUTION: cache["z", layer].mean over dims 0 and 1 (about 1 line)
    return cache["z", layer].mean(dim=(0, 1))
    # END SOLUTION


def mean_ablation_hook(
    z: Float[Tensor, "batch pos head d_head"], hook: HookPoint, head: int, mean: Float[Tensor, "head d_head"]
) -> Float[Tensor, "batch pos head d_head"]:
    """A copy of `z` with head `head` replaced by its mean."""
    # BEGIN SOLUTION: clone z, assign mean[head] (it broadcasts) to the head's slice, return the clone (about 3 lines)
    z[:, :, head] = mean[head]
    return z
    # END SOLUTION


def mean_ablated_loss(
    model, tokens: Int[Tensor, "batch seq"], cache: ActivationCache, layer: int, head: int
) -> float:
    """Mean next-token loss with head `head` of layer `layer` replaced by its mean over `cache`."""
    # BEGIN SOLUTION: mean_z from the cache, run_with_hooks on the layer's hook_z with partial(mean_ablation_hook, ...), .item() (about 4 lines)
    hook_fn = partial(mean_ablation_hook, head=head, mean=mean_z(cache, layer))
    loss = model.run_with_hooks(tokens, return_type="loss", fwd_hooks=[(f"blocks.{layer}.attn.hook_z", hook_fn)])
    return loss.item()
    # END SOLUTION
