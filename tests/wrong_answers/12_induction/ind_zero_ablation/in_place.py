# MISTAKE: Zeroes the head in the z it was given and returns it.
# NAMED: changed its argument `z` in place
"""Hooks that intervene: zero-ablating one head.

Goal: measure how much the model needs one head, by running it with that head's output
switched off.

1. `zero_ablation_hook(z, hook, head)`: a forward hook on a layer's `hook_z`
   ([batch, pos, head, d_head], each head's attention-weighted values, before W_O). Return a
   *new* tensor equal to `z` with head `head` set to 0 at every position. A hook's return value
   replaces the activation; the `z` you are given must be left as it is (it may be held
   elsewhere, e.g. in a cache someone made before, and editing it in place would silently
   change their data).
2. `zero_ablated_loss(model, tokens, layer, head)`: the model's mean next-token loss on
   `tokens` with that head zero-ablated, as a Python float. Use
   `model.run_with_hooks(tokens, return_type="loss", fwd_hooks=[(name, hook_fn)])`; it removes
   the hook when it returns, so the model is clean again afterwards.

Zeroing z removes the head's result z @ W_O; the layer's bias b_O stays.

Rules: torch only; `functools.partial` to bind `head`. No in-place edits of `z`.

Worked example (what you should find on repeated random tokens): ablating the layer-0
previous-token head raises the loss a lot (the induction heads lose their keys); ablating a
head that does little barely moves it.
"""

from functools import partial

import torch
from jaxtyping import Float, Int
from torch import Tensor
from transformer_lens.hook_points import HookPoint


def zero_ablation_hook(
    z: Float[Tensor, "batch pos head d_head"], hook: HookPoint, head: int
) -> Float[Tensor, "batch pos head d_head"]:
    """A copy of `z` with head `head` zeroed."""
    # BEGIN SOLUTION: clone z, set the head's slice to 0, return the clone (about 3 lines)
    z[:, :, head] = 0.0
    return z
    # END SOLUTION


def zero_ablated_loss(model, tokens: Int[Tensor, "batch seq"], layer: int, head: int) -> float:
    """Mean next-token loss with head `head` of layer `layer` zero-ablated."""
    # BEGIN SOLUTION: run_with_hooks on f"blocks.{layer}.attn.hook_z" with partial(zero_ablation_hook, head=head), return_type="loss"; .item() (about 3 lines)
    hook_fn = partial(zero_ablation_hook, head=head)
    loss = model.run_with_hooks(tokens, return_type="loss", fwd_hooks=[(f"blocks.{layer}.attn.hook_z", hook_fn)])
    return loss.item()
    # END SOLUTION
