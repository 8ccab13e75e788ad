# MISTAKE: applies the coefficient twice (coefficient squared)
# NAMED: applied twice
"""Steering by activation addition: a contrast pair's difference, added with a coefficient.

Function vectors are found by patching heads; activation addition (Turner et al. 2023) asks
for less: two prompts that differ only in the behaviour you want (a *contrast pair*), the
difference of their residual streams at one layer, and that difference added, times a
coefficient, to the residual stream of other prompts. Here the behaviour is the case of the
output: the zoo's generator marks a token uppercase with `arena_cli.zoo.icl.is_upper`. The
positive prompts are few-shot prompts of `upper` (a -> A …), the negative ones the same inputs
under `copy` (a -> a …): they differ in the case of their outputs and nothing else.

The direction is positive minus negative: adding it pushes towards the positive behaviour,
and a negative coefficient pushes away. The coefficient scales the vector once.

Goal:
1. `contrast_vector(model, positive, negative, layer)`: the mean over the pairs of the
   residual stream entering block `layer` at the last position, positive minus negative:
   [d_model].
2. `steer(model, tokens, vector, coefficient, layer)`: the logits of `tokens` with
   `coefficient * vector` added to the residual stream entering block `layer` at the last
   position.
3. `behaviour_by_coefficient(model, tokens, vector, coefficients, layer)`: for each
   coefficient, the fraction of prompts whose top prediction at the last position is an
   uppercase letter (use `is_upper`): a list of Python floats.

Rules: TransformerLens hooks; return new tensors from hooks.

Worked example: last-position residuals [2, 1] (positive) and [0, 1] (negative) give the
vector [2, 0]; with coefficient 0.5 the residual [1, 1] of a prompt becomes [2, 1].
"""

import torch
from jaxtyping import Float, Int
from torch import Tensor

from arena_cli.zoo.icl import is_upper


def contrast_vector(
    model, positive: Int[Tensor, "batch seq"], negative: Int[Tensor, "batch seq"], layer: int
) -> Float[Tensor, " d_model"]:
    """Mean last-position residual entering block `layer`: positive minus negative."""
    # BEGIN SOLUTION: cache hook_resid_pre of both batches, [:, -1].mean(0) of each, subtract (about 5 lines)
    name = f"blocks.{layer}.hook_resid_pre"
    _, pos_cache = model.run_with_cache(positive, names_filter=lambda hook_name: hook_name == name)
    _, neg_cache = model.run_with_cache(negative, names_filter=lambda hook_name: hook_name == name)
    return pos_cache[name][:, -1].mean(0) - neg_cache[name][:, -1].mean(0)
    # END SOLUTION


def steer(
    model, tokens: Int[Tensor, "batch seq"], vector: Float[Tensor, " d_model"], coefficient: float, layer: int
) -> Float[Tensor, "batch seq vocab"]:
    """Logits with coefficient * vector added before block `layer` at the last position."""
    # BEGIN SOLUTION: a hook that clones the residual and adds coefficient * vector at [:, -1] (about 5 lines)
    def add(resid: Float[Tensor, "batch seq d_model"], hook) -> Float[Tensor, "batch seq d_model"]:
        resid = resid.clone()
        resid[:, -1] += coefficient * (coefficient * vector)
        return resid

    return model.run_with_hooks(tokens, fwd_hooks=[(f"blocks.{layer}.hook_resid_pre", add)])
    # END SOLUTION


def behaviour_by_coefficient(
    model, tokens: Int[Tensor, "batch seq"], vector: Float[Tensor, " d_model"], coefficients: list[float], layer: int
) -> list[float]:
    """Fraction of uppercase top predictions at the last position, for each coefficient."""
    # BEGIN SOLUTION: steer with each coefficient, argmax at -1, is_upper, mean (about 3 lines)
    return [
        is_upper(steer(model, tokens, vector, c, layer)[:, -1].argmax(-1)).float().mean().item()
        for c in coefficients
    ]
    # END SOLUTION
