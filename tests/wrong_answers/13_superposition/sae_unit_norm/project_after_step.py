# MISTAKE: the gradient is projected after the optimiser step (too late)
# NAMED: the gradient is projected after optimizer.step()
"""Keeping the decoder's rows at unit norm while training.

The L1 penalty of a plain ReLU SAE can be cheated: halve a latent and double its decoder row and
the reconstruction is the same but the penalty halves. Fixing every decoder row at norm 1 closes
that door (and makes latent magnitudes comparable). Two pieces do it, around each optimiser step:

- before the step, remove from each row's gradient its component *along* the row,
  g ← g − (g·ŵ) ŵ with ŵ = w/‖w‖, so the step moves the row (to first order) along the sphere;
- after the step, renormalise each row to norm 1 (the step still leaves the sphere a little, to
  second order).

From here on the SAEs are SAELens' own training classes: `sae` is a `StandardTrainingSAE`, its
decoder `sae.W_dec` [d_sae, d_in] holds one latent's direction per **row**, and
`sae.training_forward_pass(step_input)` returns the losses (`.loss` is the total).

Goal:
1. `normalise_decoder_(sae)`: scale each row of `sae.W_dec` to unit norm, in place.
2. `project_decoder_grad_(sae)`: remove from `sae.W_dec.grad` each row's component parallel to
   that row, in place.
3. `train_step(sae, optimizer, x, l1_coefficient)`: one step: zero the gradients, the forward
   pass (use `step_input(x, {"l1": l1_coefficient})`), backward on `.loss`, project, optimiser
   step, normalise. Return the loss as a Python float.

Rules: in-place updates under `torch.no_grad()` (e.g. `W.data` or `W.div_(...)`).

Worked example (one row w = [3, 4], gradient g = [1, 0]):
    normalised w = [0.6, 0.8];  g·ŵ = 0.6;  projected g = [1, 0] − 0.6 [0.6, 0.8] = [0.64, −0.48]
"""

import torch
from torch import Tensor

from arena_cli.course.superposition import step_input


@torch.no_grad()
def normalise_decoder_(sae) -> None:
    # BEGIN SOLUTION: divide W_dec by its row norms (dim=1, keepdim) in place (about 1 line)
    sae.W_dec.div_(sae.W_dec.norm(dim=1, keepdim=True))
    # END SOLUTION


@torch.no_grad()
def project_decoder_grad_(sae) -> None:
    # BEGIN SOLUTION: unit rows; the gradient's component along each row; subtract it from W_dec.grad in place (about 3 lines)
    unit = sae.W_dec / sae.W_dec.norm(dim=1, keepdim=True)
    parallel = (sae.W_dec.grad * unit).sum(dim=1, keepdim=True) * unit
    sae.W_dec.grad.sub_(parallel)
    # END SOLUTION


def train_step(sae, optimizer: torch.optim.Optimizer, x: Tensor, l1_coefficient: float) -> float:
    # BEGIN SOLUTION: zero_grad; training_forward_pass(step_input(...)).loss; backward; project; step; normalise; return loss.item() (about 7 lines)
    optimizer.zero_grad()
    loss = sae.training_forward_pass(step_input(x, {"l1": l1_coefficient})).loss
    loss.backward()
    optimizer.step()
    project_decoder_grad_(sae)
    normalise_decoder_(sae)
    return loss.item()
    # END SOLUTION
