# MISTAKE: Sets the rate of the first parameter group only.
# NAMED: only the first parameter group got the scheduled rate
"""A learning-rate schedule: linear warm-up, then cosine decay.

Goal: (1) compute the learning rate of step t (counting from 0) of the schedule most
transformer training runs use, and (2) apply any schedule in a training loop.

    t <  warmup_steps:            lr = base_lr * (s + (1 - s) * t / warmup_steps)
                                        (a straight line from s * base_lr up to base_lr)
    warmup_steps <= t < total:    k = t - warmup_steps,  K = total_steps - warmup_steps
                                  lr = min_lr + (base_lr - min_lr) * (1 + cos(pi * k / K)) / 2
    t >= total_steps:             lr = min_lr   (the cosine's own value at k = K)

with s = `start_factor` and 0 <= warmup_steps <= total_steps. When warmup_steps equals
total_steps there is no cosine at all: warm-up, then min_lr from step total_steps on (never a
division by K = 0). Warm-up protects the first steps, when Adam's second-moment estimates
are still noisy and the weights are random; the cosine then lowers the rate smoothly, so that
the end of training averages out the noise of the gradient steps. With warmup_steps = 0 the
schedule is the cosine alone.

This is what `torch.optim.lr_scheduler.SequentialLR` computes from `LinearLR(start_factor=s,
total_iters=warmup_steps)` followed by `CosineAnnealingLR(T_max=K, eta_min=min_lr)`: the checks
compare with it.

Rules: `math` only for (1). For (2), set the rate of *every* parameter group of the optimiser
(`optimizer.param_groups[i]["lr"]`) to `schedule(t)` before step t.

Worked example:
    >>> [round(warmup_cosine_lr(t, 1.0, 2, 6, min_lr=0.0, start_factor=0.5), 3) for t in range(8)]
    [0.5, 0.75, 1.0, 0.854, 0.5, 0.146, 0.0, 0.0]
"""

import math
from collections.abc import Callable, Iterable

import torch
from torch import Tensor, nn


def warmup_cosine_lr(
    step: int,
    base_lr: float,
    warmup_steps: int,
    total_steps: int,
    min_lr: float = 0.0,
    start_factor: float = 0.1,
) -> float:
    """The learning rate of step `step` (0-based) of linear warm-up then cosine decay."""
    # BEGIN SOLUTION: three cases: inside the warm-up, inside the cosine, past the end (about 7 lines)
    if step < warmup_steps:
        return base_lr * (start_factor + (1 - start_factor) * step / warmup_steps)
    if step >= total_steps:  # also covers warmup_steps == total_steps, where K = 0
        return min_lr
    progress = (step - warmup_steps) / (total_steps - warmup_steps)
    return min_lr + (base_lr - min_lr) * (1 + math.cos(math.pi * progress)) / 2
    # END SOLUTION


def train_with_schedule(
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    batches: Iterable[tuple[Tensor, Tensor]],
    schedule: Callable[[int], float],
) -> None:
    """One step per batch (mean squared error), step t using learning rate schedule(t)."""
    # BEGIN SOLUTION: for each (t, batch): set every param group's "lr" to schedule(t), then zero_grad / mse loss / backward / step (about 7 lines)
    for t, (x, y) in enumerate(batches):
        optimizer.param_groups[0]["lr"] = schedule(t)
        optimizer.zero_grad()
        nn.functional.mse_loss(model(x), y).backward()
        optimizer.step()
    # END SOLUTION
