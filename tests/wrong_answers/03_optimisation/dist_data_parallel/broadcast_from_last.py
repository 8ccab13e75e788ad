# MISTAKE: Broadcasts from the last rank instead of src.
# NAMED: every rank got rank 3's (the last rank's) weights
"""Data-parallel training: each rank computes gradients on its slice of the batch.

Goal: train one model on several processes so that the result equals training on one process
with the whole batch. Every rank holds a full copy of the model; per step:

    1. rank r takes its slice of the batch: x.chunk(world_size)[r] (and the same for y)
    2. forward, mean-squared-error loss on the slice, backward: local gradients
    3. average the gradients over ranks: all-reduce (sum), then divide by world_size
    4. every rank takes the same SGD step, p -= lr * p.grad, so the copies stay equal

Why it works: with equal slices, the mean loss over the whole batch is the average of the
slices' mean losses, so its gradient is the average of the slices' gradients. The copies
must also *start* equal: broadcast rank 0's parameters before training.

Three functions; `train_data_parallel` uses the other two. `dist.broadcast` and
`dist.all_reduce` are allowed here (you built both already).

Rules: mean-squared error (`nn.functional.mse_loss`), plain SGD by hand (no torch.optim), the
batch size is a multiple of world_size. The checks give every rank a differently initialised
model and compare each rank's final parameters with single-process training (torch.optim.SGD)
of rank 0's initial model on the whole batches; they also record what each rank's model sees.

Worked example (2 ranks, a batch of 4 rows x0..x3):
    rank 0 computes gradients on x0, x1; rank 1 on x2, x3;
    after the all-reduce both hold (g_rank0 + g_rank1) / 2 = the gradient of the full batch.
"""

from collections.abc import Iterable

import torch
import torch.distributed as dist
from torch import Tensor, nn


def broadcast_parameters(model: nn.Module, src: int = 0) -> None:
    """Overwrite every parameter of `model` with rank `src`'s values, in place."""
    # BEGIN SOLUTION: dist.broadcast each parameter's data (about 2 lines)
    for p in model.parameters():
        dist.broadcast(p.data, src=dist.get_world_size() - 1)
    # END SOLUTION


def average_gradients(model: nn.Module) -> None:
    """Replace every parameter's .grad by its average over all ranks, in place."""
    # BEGIN SOLUTION: all-reduce each existing .grad, then divide by the world size (about 5 lines)
    world_size = dist.get_world_size()
    for p in model.parameters():
        if p.grad is not None:
            dist.all_reduce(p.grad)
            p.grad /= world_size
    # END SOLUTION


def train_data_parallel(
    model: nn.Module, batches: Iterable[tuple[Tensor, Tensor]], lr: float
) -> None:
    """Synchronise the model, then one SGD step per (x, y) batch on this rank's slice."""
    # BEGIN SOLUTION: broadcast the parameters; per batch: take your chunk, zero the grads, mse backward, average_gradients, p -= lr * p.grad under no_grad (about 12 lines)
    rank, world_size = dist.get_rank(), dist.get_world_size()
    broadcast_parameters(model)
    for x, y in batches:
        x_local, y_local = x.chunk(world_size)[rank], y.chunk(world_size)[rank]
        model.zero_grad()
        nn.functional.mse_loss(model(x_local), y_local).backward()
        average_gradients(model)
        with torch.no_grad():
            for p in model.parameters():
                p -= lr * p.grad
    # END SOLUTION
