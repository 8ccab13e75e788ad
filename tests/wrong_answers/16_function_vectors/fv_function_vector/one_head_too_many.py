# MISTAKE: builds the vector of the first n + 1 heads
# NAMED: the vector of the first n + 1 heads was built
"""The function vector: the task, carried by a few heads, added to a prompt that has no examples.

A few heads have a large average indirect effect: their mean output at the last position
carries the task. Their summed mean output is the task's *function vector* (Todd et al. 2023).
Add it to the residual stream at the last position of zero-shot prompts (`<bos> x`) at one
layer and the model performs the task on x although the prompt holds no example.

A head's output is what it adds to the residual stream: its z times its slice of W_O,
`mean_z[layer, head] @ W_O[layer, head]` ([d_model]); z alone ([d_head]) lives in another
space. The vector is added at one position, the last: the one that predicts.

Goal:
1. `function_vector(model, mean_z, heads)`: the sum over `heads` (a list of (layer, head)) of
   their mean output: [d_model].
2. `add_to_last(model, tokens, vector, layer)`: the logits of `tokens` with `vector` added to
   the residual stream entering block `layer` (`blocks.{layer}.hook_resid_pre`), at the last
   position only.
3. `accuracy_by_heads(model, mean_z, ranked, zero_shot, answers, layer, counts)`: for each n in
   `counts`, the zero-shot accuracy with the function vector of the first n heads of `ranked`
   added at `layer`: a list of Python floats.
4. `accuracy_by_layer(model, vector, zero_shot, answers)`: the zero-shot accuracy with `vector`
   added at each layer 0 … n_layers-1: a list of Python floats.

Rules: TransformerLens hooks; return new tensors from hooks.

Worked example: heads [(1, 2), (2, 0)] -> mean_z[1, 2] @ W_O[1, 2] + mean_z[2, 0] @ W_O[2, 0].
"""

import torch
from jaxtyping import Float, Int
from torch import Tensor


def function_vector(
    model, mean_z: Float[Tensor, "layer head d_head"], heads: list[tuple[int, int]]
) -> Float[Tensor, " d_model"]:
    """The summed mean outputs (after W_O) of `heads`."""
    # BEGIN SOLUTION: sum of mean_z[l, h] @ model.W_O[l, h] over the heads (about 1 line)
    return sum(mean_z[layer, head] @ model.W_O[layer, head] for layer, head in heads)
    # END SOLUTION


def add_to_last(
    model, tokens: Int[Tensor, "batch seq"], vector: Float[Tensor, " d_model"], layer: int
) -> Float[Tensor, "batch seq vocab"]:
    """Logits with `vector` added to blocks.{layer}.hook_resid_pre at the last position."""
    # BEGIN SOLUTION: a hook that clones the residual and adds the vector at [:, -1] (about 5 lines)
    def add(resid: Float[Tensor, "batch seq d_model"], hook) -> Float[Tensor, "batch seq d_model"]:
        resid = resid.clone()
        resid[:, -1] += vector
        return resid

    return model.run_with_hooks(tokens, fwd_hooks=[(f"blocks.{layer}.hook_resid_pre", add)])
    # END SOLUTION


def _accuracy(logits: Tensor, answers: Tensor) -> float:
    return (logits[:, -1].argmax(-1) == answers).float().mean().item()


def accuracy_by_heads(
    model, mean_z: Float[Tensor, "layer head d_head"], ranked: list[tuple[int, int]],
    zero_shot: Int[Tensor, "batch 2"], answers: Int[Tensor, " batch"], layer: int, counts: list[int],
) -> list[float]:
    """Zero-shot accuracy with the function vector of the top n heads, for each n in counts."""
    # BEGIN SOLUTION: for each n: function_vector of ranked[:n], add_to_last at `layer`, accuracy (about 3 lines)
    return [
        _accuracy(add_to_last(model, zero_shot, function_vector(model, mean_z, ranked[: n + 1]), layer), answers)
        for n in counts
    ]
    # END SOLUTION


def accuracy_by_layer(
    model, vector: Float[Tensor, " d_model"], zero_shot: Int[Tensor, "batch 2"], answers: Int[Tensor, " batch"]
) -> list[float]:
    """Zero-shot accuracy with `vector` added at each layer."""
    # BEGIN SOLUTION: add_to_last at every layer, accuracy of each (about 1 line)
    return [_accuracy(add_to_last(model, zero_shot, vector, layer), answers) for layer in range(model.cfg.n_layers)]
    # END SOLUTION
