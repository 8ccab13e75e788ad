# MISTAKE: the logit-difference direction leaves out the final LayerNorm's weight.
# NAMED: final LayerNorm's weight w is missing
"""Logit attribution by layer: where along the residual stream does IO - S appear?

The logits are `LN_final(x) @ W_U + b_U`, where x is the final residual stream at the end
position and LN_final(x) = (x - mean(x)) / scale * w + b. The logit difference IO - S is
therefore linear in the *normalised* residual stream: it is
    ((x - mean(x)) / scale) . d  +  constant,   with  d = w * (W_U[:, IO] - W_U[:, S]).
TransformerLens' way to read a partial residual stream (what has been written by layer L) is
to treat it the same way: centre it and divide by the *final* LayerNorm's scale of this run,
read from the cache (`cache["ln_final.hook_scale"]`, [batch, pos, 1]); it is one number per
prompt and position, so every component is scaled alike (this is `cache.apply_ln_to_stack`).

Goal:
1. `logit_diff_directions(model, io, s)`: d for each prompt, [batch, d_model], with `w` the
   final LayerNorm's weight (`model.ln_final.w`) and `model.W_U` [d_model, d_vocab].
2. `accumulated_attribution(cache, directions, end)`: for the residual stream before each layer
   (`blocks.{L}.hook_resid_pre`, L = 0 .. n_layers-1) and after the last one
   (`blocks.{n_layers-1}.hook_resid_post`), at each prompt's `end`: centred, divided by this
   cache's final scale at `end`, dotted with the prompt's direction: [n_layers + 1, batch].
3. `attribution_difference(clean_cache, corrupted_cache, directions, end)`: the mean over
   prompts of (clean attribution - corrupted attribution), [n_layers + 1]: which layer makes
   the difference. Each run is read with its *own* final scale.

Rules: read activations from the caches (no forward passes); no `cache.accumulated_resid` or
`cache.apply_ln_to_stack` (the checks compare with them).

Worked example (d_model 2): x = [3, 1], scale 2, d = [1, 0]  ->  ((x - 2) / 2) . d = 0.5
"""

import torch
from jaxtyping import Float, Int
from torch import Tensor
from transformer_lens import ActivationCache


def logit_diff_directions(model, io: Int[Tensor, "batch"], s: Int[Tensor, "batch"]) -> Float[Tensor, "batch d_model"]:
    """w_ln_final * (W_U[:, IO] - W_U[:, S]) for each prompt."""
    # BEGIN SOLUTION: (W_U[:, io] - W_U[:, s]).T times model.ln_final.w (about 1 line)
    return (model.W_U[:, io] - model.W_U[:, s]).T
    # END SOLUTION


def accumulated_attribution(
    cache: ActivationCache, directions: Float[Tensor, "batch d_model"], end: Int[Tensor, "batch"]
) -> Float[Tensor, "layer_plus_1 batch"]:
    """IO - S attribution of the residual stream before each layer and after the last."""
    # BEGIN SOLUTION: stack resid_pre 0..L-1 and the last resid_post at end, centre, divide by the final scale at end, dot with directions (about 8 lines)
    n_layers = cache.model.cfg.n_layers
    rows = torch.arange(len(end))
    names = [f"blocks.{layer}.hook_resid_pre" for layer in range(n_layers)] + [f"blocks.{n_layers - 1}.hook_resid_post"]
    stack = torch.stack([cache[name][rows, end] for name in names])  # [layer+1, batch, d_model]
    stack = stack - stack.mean(dim=-1, keepdim=True)
    scale = cache["ln_final.hook_scale"][rows, end]  # [batch, 1]
    return ((stack / scale) * directions).sum(dim=-1)
    # END SOLUTION


def attribution_difference(
    clean_cache: ActivationCache, corrupted_cache: ActivationCache, directions: Float[Tensor, "batch d_model"],
    end: Int[Tensor, "batch"],
) -> Float[Tensor, "layer_plus_1"]:
    """Mean over prompts of the clean minus the corrupted accumulated attribution."""
    # BEGIN SOLUTION: accumulated_attribution of each cache, subtract, mean over the batch (about 2 lines)
    diff = accumulated_attribution(clean_cache, directions, end) - accumulated_attribution(corrupted_cache, directions, end)
    return diff.mean(dim=-1)
    # END SOLUTION
