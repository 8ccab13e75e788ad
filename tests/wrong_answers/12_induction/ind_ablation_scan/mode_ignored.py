# MISTAKE: Always zero-ablates, whatever the mode.
# NAMED: the mode is ignored
"""Loss change per head: ablate every head in turn.

Goal: `loss_increase_per_head(model, tokens, mode)`: for every layer and head, the model's mean
next-token loss on `tokens` with that one head ablated, minus the clean loss.
Output [layer, head] (positive: the model got worse without the head).

- mode "zero": the head's z is replaced by 0;
- mode "mean": the head's z is replaced by its mean over the batch and positions of a clean run
  on the same `tokens` (cache the z of that run once, not once per head).

This file stands alone: write the hook again here (a few lines; it returns a new tensor and
leaves its input alone). The checks draw the table.

Rules: `run_with_hooks` / `run_with_cache` and torch; one forward pass per head (8 here) plus the
clean one.

Worked example (what you should find on repeated random tokens): one layer-0 head stands out:
the previous-token head. Without it the induction heads cannot find their keys.
"""

from functools import partial

import torch
from jaxtyping import Float, Int
from torch import Tensor
from transformer_lens.hook_points import HookPoint


def replace_head_hook(
    z: Float[Tensor, "batch pos head d_head"], hook: HookPoint, head: int, value: Float[Tensor, "d_head"]
) -> Float[Tensor, "batch pos head d_head"]:
    """A copy of `z` with head `head` set to `value` at every batch item and position."""
    # BEGIN SOLUTION: clone, assign value to the head's slice, return (about 3 lines)
    ablated = z.clone()
    ablated[:, :, head] = value
    return ablated
    # END SOLUTION


def loss_increase_per_head(model, tokens: Int[Tensor, "batch seq"], mode: str) -> Float[Tensor, "layer head"]:
    """Ablated loss minus clean loss, for every head; mode is "zero" or "mean"."""
    # BEGIN SOLUTION: clean loss and z cache once; loop layers and heads, run_with_hooks on hook_z with the replacement value; subtract (about 14 lines)
    n_layers, n_heads, d_head = model.cfg.n_layers, model.cfg.n_heads, model.cfg.d_head
    clean_loss, cache = model.run_with_cache(
        tokens, return_type="loss", names_filter=lambda name: name.endswith("hook_z")
    )
    increase = torch.zeros(n_layers, n_heads)
    for layer in range(n_layers):
        means = cache["z", layer].mean(dim=(0, 1))  # [head, d_head]
        for head in range(n_heads):
            value = torch.zeros(d_head)
            hook_fn = partial(replace_head_hook, head=head, value=value)
            loss = model.run_with_hooks(
                tokens, return_type="loss", fwd_hooks=[(f"blocks.{layer}.attn.hook_z", hook_fn)]
            )
            increase[layer, head] = loss.item() - clean_loss.item()
    return increase
    # END SOLUTION
