# MISTAKE: Shuffles with the global RNG instead of the seeded generator.
# NAMED: shuffled with the global RNG
"""Train a classifier on the 8x8 digits, holding out a validation split.

Goal: three functions that make up a training loop.

- `train_val_split(n_items, val_fraction, seed)`: shuffle `0 .. n_items-1` with a
  `torch.Generator` seeded by `seed`; the first `int(n_items * val_fraction)` shuffled indices
  are the validation set, the rest the training set. Same seed, same split.
- `evaluate(model, images, labels, batch_size)`: the fraction of images whose largest logit is
  the right class. Run the model in evaluation mode (`model.eval()`: layers such as batch norm
  and dropout behave differently there) and without building an autograd graph
  (`torch.inference_mode()` or `torch.no_grad()`), in batches of `batch_size`; every image
  counts once, also those of a short last batch.
- `train(model, images, labels, config)`: split with `train_val_split(len(images),
  config.val_fraction, config.seed)`, make one `torch.optim.Adam(model.parameters(),
  lr=config.lr)`, then for each of `config.epochs` epochs:
    * `model.train()`, shuffle the *training* indices (a `torch.Generator` seeded by
      `config.seed`, made once before the first epoch) and walk through them in batches of
      `config.batch_size` (the last batch may be smaller);
    * per batch: logits, `F.cross_entropy` (the mean over the batch), clear the old gradients,
      backward, optimiser step; append `loss.item()` to `history.train_losses`;
    * after the epoch: append `evaluate(...)` on the validation images to
      `history.val_accuracies`.
  The validation images are never trained on: they tell you how the model does on images it
  has not fitted, which the training loss cannot.

Why clear gradients: `backward` *adds* into `.grad`. Without `optimiser.zero_grad()` each step
would follow the sum of all gradients so far.

Worked example:
    >>> train_idx, val_idx = train_val_split(10, 0.3, seed=0)
    >>> len(train_idx), len(val_idx)
    (7, 3)
"""

from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from jaxtyping import Float, Int
from torch import Tensor, nn


@dataclass(frozen=True)
class TrainConfig:
    epochs: int = 5
    batch_size: int = 32
    lr: float = 1e-2
    val_fraction: float = 0.2
    seed: int = 0


@dataclass
class History:
    train_losses: list[float] = field(default_factory=list)  # one per optimiser step
    val_accuracies: list[float] = field(default_factory=list)  # one per epoch


def train_val_split(n_items: int, val_fraction: float, seed: int) -> tuple[Int[Tensor, "n_train"], Int[Tensor, "n_val"]]:
    """(training indices, validation indices): a seeded random split of range(n_items)."""
    # BEGIN SOLUTION: torch.randperm with a seeded torch.Generator; the first int(n_items * val_fraction) go to validation (about 3 lines)
    order = torch.randperm(n_items, generator=torch.Generator().manual_seed(seed))
    n_val = int(n_items * val_fraction)
    return order[n_val:], order[:n_val]
    # END SOLUTION


def evaluate(
    model: nn.Module,
    images: Float[Tensor, "n *image"],
    labels: Int[Tensor, "n"],
    batch_size: int = 256,
) -> float:
    """Accuracy of `model` on (images, labels), in eval mode and without gradients."""
    # BEGIN SOLUTION: model.eval(); under torch.inference_mode() count argmax == label over batches; divide by len(images) (about 7 lines)
    model.eval()
    correct = 0
    with torch.inference_mode():
        for start in range(0, len(images), batch_size):
            logits = model(images[start : start + batch_size])  # [batch, n_classes]
            correct += (logits.argmax(dim=-1) == labels[start : start + batch_size]).sum().item()
    return correct / len(images)
    # END SOLUTION


def train(
    model: nn.Module,
    images: Float[Tensor, "n *image"],
    labels: Int[Tensor, "n"],
    config: TrainConfig = TrainConfig(),
) -> History:
    """Train `model` in place with Adam; return the losses and validation accuracies."""
    history = History()
    # BEGIN SOLUTION: split; Adam; per epoch: model.train(), shuffled batches of training indices (zero_grad, cross_entropy, backward, step, log loss), then evaluate on the validation set (about 15 lines)
    train_idx, val_idx = train_val_split(len(images), config.val_fraction, config.seed)
    optimiser = torch.optim.Adam(model.parameters(), lr=config.lr)
    generator = torch.Generator().manual_seed(config.seed)
    for _ in range(config.epochs):
        model.train()  # evaluate() left it in eval mode
        shuffled = train_idx[torch.randperm(len(train_idx))]
        for batch in shuffled.split(config.batch_size):
            loss = F.cross_entropy(model(images[batch]), labels[batch])
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            history.train_losses.append(loss.item())
        history.val_accuracies.append(evaluate(model, images[val_idx], labels[val_idx]))
    # END SOLUTION
    return history
