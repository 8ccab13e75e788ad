# MISTAKE: measures on the prompts of task a instead of the composed task d
# NAMED: the accuracies were measured on the prompts of task a
"""Composing function vectors: vector arithmetic on tasks.

The zoo's tasks are a grid: a *map* of the alphabet (`copy`, `cipher1` …) and a *case* for the
output (lower, or upper). `upper` is (copy, upper), `cipher2` is (cipher2, lower),
`upper_cipher2` is (cipher2, upper). If the model's function vectors add up like the grid, then

    FV(upper) + FV(cipher2) - FV(copy)

keeps the case part of `upper` and the map part of `cipher2` (the copy part and the lower part
cancel), and should make zero-shot prompts do `upper_cipher2`, a task none of the three vectors
was built from (Todd et al. 2023 found such parallelograms in language models). The generator
lists the compositions it defines in `arena_cli.zoo.icl.COMPOSITIONS`:
(a, b, c) -> d means FV(a) + FV(b) - FV(c) should do task d.

Goal:
1. `compose(vectors, a, b, c)`: vectors[a] + vectors[b] - vectors[c] (task indices): [d_model].
2. `composition_accuracy(model, vectors, compositions, zero_shot, answers, layer)`:
   `compositions` is a list of (a, b, c, d) task indices; `zero_shot[d]`, `answers[d]` the
   zero-shot prompts of task d. For each composition, the accuracy on task d's prompts with
   (1) the composed vector, (2) vectors[a] alone, (3) vectors[b] alone, each added at the
   last position before block `layer`: a list of dicts with keys "composed", "a", "b".

Rules: TransformerLens hooks.

Worked example: with vectors [[1, 0], [0, 1], [1, 1]], compose(vectors, 0, 1, 2) = [0, 0].
"""

import torch
from jaxtyping import Float
from torch import Tensor


def compose(vectors: Float[Tensor, "task d_model"], a: int, b: int, c: int) -> Float[Tensor, " d_model"]:
    """FV(a) + FV(b) - FV(c)."""
    # BEGIN SOLUTION: one line of vector arithmetic
    return vectors[a] + vectors[b] - vectors[c]
    # END SOLUTION


def _steered_accuracy(model, tokens: Tensor, answers: Tensor, vector: Tensor, layer: int) -> float:
    def add(resid, hook):
        resid = resid.clone()
        resid[:, -1] += vector
        return resid

    logits = model.run_with_hooks(tokens, fwd_hooks=[(f"blocks.{layer}.hook_resid_pre", add)])
    return (logits[:, -1].argmax(-1) == answers).float().mean().item()


def composition_accuracy(
    model, vectors: Float[Tensor, "task d_model"], compositions: list[tuple[int, int, int, int]],
    zero_shot: list[Tensor], answers: list[Tensor], layer: int,
) -> list[dict[str, float]]:
    """Accuracy on the composed task with the composed vector and with each part alone."""
    # BEGIN SOLUTION: per (a, b, c, d): _steered_accuracy on task d's prompts with compose(...), vectors[a], vectors[b] (about 8 lines)
    results = []
    for a, b, c, d in compositions:
        tokens, truth = zero_shot[a], answers[a]
        results.append(dict(
            composed=_steered_accuracy(model, tokens, truth, compose(vectors, a, b, c), layer),
            a=_steered_accuracy(model, tokens, truth, vectors[a], layer),
            b=_steered_accuracy(model, tokens, truth, vectors[b], layer),
        ))
    return results
    # END SOLUTION
