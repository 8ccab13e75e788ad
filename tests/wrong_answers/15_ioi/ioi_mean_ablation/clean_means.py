# MISTAKE: takes the means over the clean prompts instead of the corrupted ones.
# NAMED: taken over the clean prompts
"""Validating a circuit: mean-ablate everything else, measure what is left (faithfulness).

A circuit is a claim: "these heads do the task". Test it by removing every head *outside* it
and checking the model still does the task. Removing means mean ablation over the corrupted
distribution: a head's z at a position is replaced by its average over the corrupted prompts
at positions of the same *class* (the same word of the template: "IO", "S1", "S2", "end",
"went", ...; `batch.position_class`, [batch, pos], indexes `POSITION_CLASSES`). Averaging per
class keeps what the head does at that kind of position in general, and the corrupted
distribution has no answer in it, so only what tells IO from S is removed. MLPs stay as they are.

    faithfulness = logit diff (circuit kept, every other head mean-ablated) / logit diff (full model)

Goal:
1. `class_means(z, position_class, n_classes)` -> [n_classes, head, d_head]: the mean of
   z ([batch, pos, head, d_head]) over every (prompt, position) pair of each class.
2. `circuit_logit_diff(model, batch, circuit)` -> float: the mean IO - S logit difference on the
   clean prompts with every head not in `circuit` (a set of (layer, head)) mean-ablated, the
   means taken from the corrupted prompts (`batch.corrupted`) by class.
3. `faithfulness(model, batch, circuit)` -> float: that over the full model's logit difference.

Rules: hooks on `hook_z`; `arena_cli.zoo.ioi.logit_diff(logits, batch)` gives per-prompt
logit differences.

Worked example (2 prompts, 2 positions, 1 head, d_head 1; classes [[0, 1], [1, 0]]):
    z = [[1, 2], [3, 5]]  ->  class 0: mean(1, 5) = 3,  class 1: mean(2, 3) = 2.5
"""

import torch
from jaxtyping import Float, Int
from torch import Tensor

from arena_cli.zoo.ioi import IOIBatch, logit_diff


def class_means(
    z: Float[Tensor, "batch pos head d_head"], position_class: Int[Tensor, "batch pos"], n_classes: int
) -> Float[Tensor, "n_classes head d_head"]:
    """Mean of z over all (prompt, position) pairs of each class."""
    # BEGIN SOLUTION: for each class, the mean of z[position_class == c] over its rows (about 4 lines)
    out = torch.zeros(n_classes, *z.shape[2:])
    for c in range(n_classes):
        out[c] = z[position_class == c].mean(dim=0)
    return out
    # END SOLUTION


def circuit_logit_diff(model, batch: IOIBatch, circuit: set[tuple[int, int]]) -> float:
    """Mean logit diff on the clean prompts, heads outside `circuit` mean-ablated (corrupted means, by class)."""
    # BEGIN SOLUTION: cache the corrupted run; a hook per layer replacing heads outside the circuit by class_means(...)[position_class] (about 14 lines)
    n_classes = int(batch.position_class.max()) + 1
    _, corrupted_cache = model.run_with_cache(batch.tokens)

    def ablate(z, hook, layer):
        means = class_means(corrupted_cache["z", layer], batch.position_class, n_classes)[batch.position_class]
        z = z.clone()
        for head in range(model.cfg.n_heads):
            if (layer, head) not in circuit:
                z[:, :, head] = means[:, :, head]
        return z

    hooks = [(f"blocks.{layer}.attn.hook_z", lambda z, hook, layer=layer: ablate(z, hook, layer)) for layer in range(model.cfg.n_layers)]
    return logit_diff(model.run_with_hooks(batch.tokens, fwd_hooks=hooks), batch).mean().item()
    # END SOLUTION


def faithfulness(model, batch: IOIBatch, circuit: set[tuple[int, int]]) -> float:
    """The circuit's logit difference over the full model's."""
    # BEGIN SOLUTION: circuit_logit_diff / the full model's mean logit diff (about 2 lines)
    full = logit_diff(model(batch.tokens), batch).mean().item()
    return circuit_logit_diff(model, batch, circuit) / full
    # END SOLUTION
