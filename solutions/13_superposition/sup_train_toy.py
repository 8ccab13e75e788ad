"""Training many toy models at once, and watching superposition appear.

All instances train together: one batch [batch, inst, feat] (each instance with its own
sparsity), one forward pass, the per-instance losses summed into one scalar (the instances do
not share weights, so each gets exactly the gradient of its own loss), one Adam step.

What to look for (the check trains 200 steps and draws it): at sparsity 0 the model gives its two hidden dimensions
to the two most important features and drops the rest (WᵀW is a 2×2 identity block); as the
sparsity rises, more features get stored, first as antipodal pairs (WᵢᵀWⱼ = −1), then as a
pentagon of five features in two dimensions.

Goal: `train_toy(model, sparsity, importance, steps, batch_size, lr, generator)`:
- one `torch.optim.Adam(model.parameters(), lr=lr)` for the whole run;
- each step: a fresh `generate_batch(batch_size, sparsity, n_features, generator)`, the
  per-instance `importance_weighted_loss`, zero the gradients, backward on the sum over
  instances, step;
- return the per-instance losses of every step, [steps, inst] (the loss computed before that
  step's update, detached).

Rules: draw every batch from `generator` with `generate_batch` and nothing else from it, so that
the checks' reference loop, started from the same seed, sees the same batches.
"""

import torch
from jaxtyping import Float
from torch import Tensor

from arena_cli.course.superposition import ToyModel, generate_batch, importance_weighted_loss


def train_toy(
    model: ToyModel,
    sparsity: Float[Tensor, "inst"],
    importance: Float[Tensor, "feat"],
    steps: int,
    batch_size: int,
    lr: float,
    generator: torch.Generator,
) -> Float[Tensor, "steps inst"]:
    """Adam on all instances at once; the per-instance loss of every step."""
    # BEGIN SOLUTION: Adam; per step: generate_batch, loss per instance, zero_grad, loss.sum().backward(), step; stack the detached losses (about 10 lines)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    n_features = model.W.shape[-1]
    losses = []
    for _ in range(steps):
        x = generate_batch(batch_size, sparsity, n_features, generator)
        loss = importance_weighted_loss(model(x), x, importance)
        optimizer.zero_grad()
        loss.sum().backward()
        optimizer.step()
        losses.append(loss.detach())
    return torch.stack(losses)
    # END SOLUTION
