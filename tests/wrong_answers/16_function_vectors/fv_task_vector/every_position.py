# MISTAKE: writes the task vector at every position
# NAMED: every position was replaced
"""The task vector: what a few-shot prompt leaves in the residual stream at its last position.

After a few examples the model knows the task, and at the last position (where it predicts)
that knowledge has to be somewhere in the residual stream. Average the residual stream there
over many few-shot prompts of one task: what the prompts' different inputs contribute averages
out, what they share (the task) stays. Write that mean into a zero-shot prompt (`<bos> x`) at
the same layer and position, and if the average holds the task, the model performs it on x.
Doing it at every layer says where along the model the task is carried by the last position
(Hendel et al. 2023 call this mean a task vector).

Goal:
1. `mean_last_resid(model, tokens, layer)`: the mean over the prompts of the residual stream
   entering block `layer` (`blocks.{layer}.hook_resid_pre`) at the last position: [d_model].
2. `patch_last_resid(model, tokens, vector, layer)`: the logits of `tokens` with the residual
   stream entering block `layer` *replaced* by `vector` at the last position only.
3. `task_vector_accuracy(model, few_shot, zero_shot, answers)`: for every layer 0 … n_layers-1,
   the accuracy on `zero_shot` (answers `answers`) with the task vector of `few_shot` patched
   in at that layer: a list of Python floats.

Rules: TransformerLens hooks (`run_with_cache`, `run_with_hooks`); return new tensors from hooks.

Worked example: with 2 prompts whose last-position residuals at a layer are [1, 0] and [3, 2],
the task vector is [2, 1]; patching it into `<bos> x` sets that position's residual to [2, 1]
and leaves position 0 (`<bos>`) alone.
"""

import torch
from jaxtyping import Float, Int
from torch import Tensor


def mean_last_resid(model, tokens: Int[Tensor, "batch seq"], layer: int) -> Float[Tensor, " d_model"]:
    """Mean over the prompts of blocks.{layer}.hook_resid_pre at the last position."""
    # BEGIN SOLUTION: run_with_cache (a names_filter keeps it small), take [:, -1], mean over the batch (about 3 lines)
    name = f"blocks.{layer}.hook_resid_pre"
    _, cache = model.run_with_cache(tokens, names_filter=lambda hook_name: hook_name == name)
    return cache[name][:, -1].mean(0)
    # END SOLUTION


def patch_last_resid(
    model, tokens: Int[Tensor, "batch seq"], vector: Float[Tensor, " d_model"], layer: int
) -> Float[Tensor, "batch seq vocab"]:
    """Logits with the last position's residual entering block `layer` replaced by `vector`."""
    # BEGIN SOLUTION: a hook on blocks.{layer}.hook_resid_pre that clones and sets [:, -1] = vector (about 5 lines)
    def replace_last(resid: Float[Tensor, "batch seq d_model"], hook) -> Float[Tensor, "batch seq d_model"]:
        resid = resid.clone()
        resid[:, :] = vector
        return resid

    return model.run_with_hooks(tokens, fwd_hooks=[(f"blocks.{layer}.hook_resid_pre", replace_last)])
    # END SOLUTION


def task_vector_accuracy(
    model, few_shot: Int[Tensor, "batch seq"], zero_shot: Int[Tensor, "batch 2"], answers: Int[Tensor, " batch"]
) -> list[float]:
    """Zero-shot accuracy with the few-shot task vector patched in, at each layer."""
    # BEGIN SOLUTION: for each layer: mean_last_resid of few_shot, patch_last_resid into zero_shot, accuracy at -1 (about 5 lines)
    accuracies = []
    for layer in range(model.cfg.n_layers):
        logits = patch_last_resid(model, zero_shot, mean_last_resid(model, few_shot, layer), layer)
        accuracies.append((logits[:, -1].argmax(-1) == answers).float().mean().item())
    return accuracies
    # END SOLUTION
