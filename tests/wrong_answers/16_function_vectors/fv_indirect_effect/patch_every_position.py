# MISTAKE: patches the head's mean z at every position
# NAMED: patched at every position
"""Which heads carry the task? Each head's average indirect effect (AIE).

On a prompt with shuffled labels the model can no longer tell the task, and the correct
answer's probability is low. Take one head, and at the last position replace its output by
its *mean* output over clean few-shot prompts of the same task: if that head is what moves
the task to the last position, the mean carries the task, and the correct answer's
probability goes back up. That gain, averaged over prompts and then over tasks, is the
head's average indirect effect (Todd et al. 2023). It is measured on the corrupted prompts:
on clean ones the model already knows the task and there is little to restore.

A head's output is `z @ W_O[layer, head]` with z its `hook_z` slice, so replacing z at the
last position by its mean replaces the head's output there by its mean output.

Goal:
1. `mean_head_z(model, tokens)`: for every head, the mean of its z at the **last position**
   over the prompts: [layer, head, d_head].
2. `indirect_effect(model, corrupted, answers, mean_z, layer, head)`: the mean over the
   prompts of P(answer) at the last position with head (layer, head)'s z there replaced by
   `mean_z[layer, head]`, minus the same without the patch. Python float.
3. `average_indirect_effect(model, clean, corrupted, answers)`: the lists hold one entry per
   task (clean few-shot prompts, the corrupted prompts, their answers); for every head, the
   indirect effect on each task's corrupted prompts with that task's clean mean, averaged over
   the tasks: [layer, head].

Rules: TransformerLens caches and hooks (`blocks.{layer}.attn.hook_z` is [batch, pos, head, d_head]).

Worked example: if P(answer) is 0.10 on the corrupted prompts and 0.40 with head (1, 2)
patched for task A, and 0.20 and 0.30 for task B, head (1, 2)'s AIE is (0.30 + 0.10) / 2 = 0.20.
"""

import torch
from jaxtyping import Float, Int
from torch import Tensor


def mean_head_z(model, tokens: Int[Tensor, "batch seq"]) -> Float[Tensor, "layer head d_head"]:
    """Every head's z at the last position, averaged over the prompts."""
    # BEGIN SOLUTION: cache every layer's hook_z, take [:, -1] and the mean over the batch, stack over layers (about 4 lines)
    names = [f"blocks.{layer}.attn.hook_z" for layer in range(model.cfg.n_layers)]
    _, cache = model.run_with_cache(tokens, names_filter=lambda name: name in names)
    return torch.stack([cache[name][:, -1].mean(0) for name in names])
    # END SOLUTION


def indirect_effect(
    model, corrupted: Int[Tensor, "batch seq"], answers: Int[Tensor, " batch"],
    mean_z: Float[Tensor, "layer head d_head"], layer: int, head: int,
) -> float:
    """Gain in P(answer) at the last position from patching one head's mean z there."""
    # BEGIN SOLUTION: P(answer) from softmax of the last logits, with and without a hook on hook_z that sets [:, -1, head] (about 9 lines)
    rows = torch.arange(len(answers))

    def patch(z: Float[Tensor, "batch seq head d_head"], hook) -> Float[Tensor, "batch seq head d_head"]:
        z = z.clone()
        z[:, :, head] = mean_z[layer, head]
        return z

    base = model(corrupted)[:, -1].softmax(-1)[rows, answers]
    patched = model.run_with_hooks(corrupted, fwd_hooks=[(f"blocks.{layer}.attn.hook_z", patch)])
    return (patched[:, -1].softmax(-1)[rows, answers] - base).mean().item()
    # END SOLUTION


def average_indirect_effect(
    model, clean: list[Tensor], corrupted: list[Tensor], answers: list[Tensor]
) -> Float[Tensor, "layer head"]:
    """Each head's indirect effect, averaged over the tasks."""
    # BEGIN SOLUTION: per task: mean_head_z of its clean prompts, indirect_effect of every head on its corrupted ones; mean over tasks (about 7 lines)
    effect = torch.zeros(model.cfg.n_layers, model.cfg.n_heads)
    for clean_t, corrupted_t, answers_t in zip(clean, corrupted, answers):
        mean_z = mean_head_z(model, clean_t)
        for layer in range(model.cfg.n_layers):
            for head in range(model.cfg.n_heads):
                effect[layer, head] += indirect_effect(model, corrupted_t, answers_t, mean_z, layer, head)
    return effect / len(clean)
    # END SOLUTION
