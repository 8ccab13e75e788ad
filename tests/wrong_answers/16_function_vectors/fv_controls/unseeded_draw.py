# MISTAKE: draws the random vector without the generator it was given
# NAMED: the draw ignores the generator
"""Controls: is it the task in the function vector, or just any push of that size?

A vector added to the residual stream changes the model's output whatever it holds, so the
rise in zero-shot accuracy means something only next to controls that keep everything but
the task: the same operation with **another task's** function vector (same kind of vector,
wrong task), and with a **random vector of the same norm** (same size, no task). The
function vector should lift accuracy on its own task's prompts; the controls should not.

Goal:
1. `random_like(vector, generator)`: a random direction (a standard normal draw of the same
   shape, made with `generator`) rescaled to the norm of `vector`.
2. `control_accuracies(model, vectors, zero_shot, answers, layer, generator)`: `vectors` holds
   one function vector per task [task, d_model]; `zero_shot[t]`, `answers[t]` the zero-shot
   prompts of task t and their answers. For each task t, the accuracy on its prompts with
   (a) nothing added, (b) its own vector, (c) the next task's vector, `vectors[(t + 1) % n]`,
   (d) `random_like(vectors[t], generator)`, each added at the last position before block
   `layer`. Returns a dict of four lists (one float per task) under the keys "none",
   "function_vector", "other_task", "random"; draw the random vectors in task order.

Rules: TransformerLens hooks.

Worked example: random_like(tensor([3., 4.]), g) has norm 5 and a direction drawn from g.
"""

import torch
from jaxtyping import Float, Int
from torch import Tensor


def random_like(vector: Float[Tensor, " d_model"], generator: torch.Generator) -> Float[Tensor, " d_model"]:
    """A random vector with the norm of `vector`."""
    # BEGIN SOLUTION: torch.randn(vector.shape, generator=...), scaled to vector.norm() (about 2 lines)
    direction = torch.randn(vector.shape)
    return direction / direction.norm() * vector.norm()
    # END SOLUTION


def _steered_accuracy(model, tokens: Tensor, answers: Tensor, vector: Tensor | None, layer: int) -> float:
    def add(resid, hook):
        resid = resid.clone()
        resid[:, -1] += vector
        return resid

    hooks = [] if vector is None else [(f"blocks.{layer}.hook_resid_pre", add)]
    logits = model.run_with_hooks(tokens, fwd_hooks=hooks)
    return (logits[:, -1].argmax(-1) == answers).float().mean().item()


def control_accuracies(
    model, vectors: Float[Tensor, "task d_model"], zero_shot: list[Tensor], answers: list[Tensor],
    layer: int, generator: torch.Generator,
) -> dict[str, list[float]]:
    """Per task: accuracy with nothing, its own vector, the next task's vector, a random vector."""
    # BEGIN SOLUTION: loop over tasks, four _steered_accuracy calls each (None, own, next task's, random_like) (about 8 lines)
    n = len(vectors)
    result: dict[str, list[float]] = {"none": [], "function_vector": [], "other_task": [], "random": []}
    for t in range(n):
        result["none"].append(_steered_accuracy(model, zero_shot[t], answers[t], None, layer))
        result["function_vector"].append(_steered_accuracy(model, zero_shot[t], answers[t], vectors[t], layer))
        result["other_task"].append(_steered_accuracy(model, zero_shot[t], answers[t], vectors[(t + 1) % n], layer))
        result["random"].append(_steered_accuracy(model, zero_shot[t], answers[t], random_like(vectors[t], generator), layer))
    return result
    # END SOLUTION
