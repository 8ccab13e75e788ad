# MISTAKE: Never shuffles: batches in the data's order.
# NAMED: the batches are not shuffled
"""Fine-tune a pretrained network to a new task: freeze the body, train a new head.

Goal: the shipped ResNet (a `PretrainedResNet`, torchvision-style names: `conv1`, `bn1`,
`layer1` .. `layer3`, and the head `fc`) recognises the digits 0 to 4. Teach it the digits 5 to
9 by training a new last layer only:

- `freeze_body(model)`: set `requires_grad = False` on every parameter of `model` (autograd then
  computes no gradients for them, and nothing can train them);
- `replace_head(model, n_classes)`: put a fresh `nn.Linear(model.fc.in_features, n_classes)`
  in `model.fc` (a new layer's parameters require gradients: it is the only trainable part);
- `train_head(model, images, labels, config)`: train `model.fc` with
  `torch.optim.Adam(model.fc.parameters(), lr=config.lr)` and `F.cross_entropy`, for
  `config.epochs` epochs of shuffled batches of `config.batch_size` (a `torch.Generator` seeded
  by `config.seed`); return the loss of every step. Keep the model in **eval mode** the whole
  time: in training mode a batch norm normalises with the batch's statistics *and updates its
  running statistics*, so the body would change even though none of its parameters do.

Why it works: the body has learned features of handwritten strokes (edges, loops, corners)
that are useful beyond the five digits it was trained on; a linear layer on top of them is
enough to tell the new digits apart, and training the head's 325 numbers instead of the body's
77 104 needs few images and little time. It breaks down when the new task needs features the body never learned
(say, colour, or much larger images): then unfreeze the later groups too, with a small
learning rate.

Optional speed-up: the body is frozen, so its output for an image never changes; you could
compute `model.features(images)` once and train `model.fc` on those. The plain loop is fast
enough here.

Rules: `torch.optim.Adam`, `torch.nn.functional.cross_entropy`, `torch.randperm`.

Worked example:
    >>> model = load_pretrained_resnet()
    >>> freeze_body(model); replace_head(model, 5)
    >>> [name for name, p in model.named_parameters() if p.requires_grad]
    ['fc.weight', 'fc.bias']
"""

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from jaxtyping import Float, Int
from torch import Tensor, nn

from arena_cli.course.cnn import PretrainedResNet, load_pretrained_resnet  # noqa: F401  (for the example)


@dataclass(frozen=True)
class FinetuneConfig:
    epochs: int = 8
    batch_size: int = 32
    lr: float = 5e-2
    seed: int = 0


def freeze_body(model: nn.Module) -> None:
    """Make every parameter of `model` untrainable."""
    # BEGIN SOLUTION: requires_grad_(False) on every parameter (about 2 lines)
    for parameter in model.parameters():
        parameter.requires_grad_(False)
    # END SOLUTION


def replace_head(model: PretrainedResNet, n_classes: int) -> None:
    """Replace `model.fc` by a new, trainable linear layer with `n_classes` outputs."""
    # BEGIN SOLUTION: a new nn.Linear(model.fc.in_features, n_classes) in model.fc (about 1 line)
    model.fc = nn.Linear(model.fc.in_features, n_classes)
    # END SOLUTION


def train_head(
    model: PretrainedResNet,
    images: Float[Tensor, "n 1 8 8"],
    labels: Int[Tensor, "n"],
    config: FinetuneConfig = FinetuneConfig(),
) -> list[float]:
    """Train `model.fc` on (images, labels), the rest untouched; the loss of every step."""
    losses: list[float] = []
    # BEGIN SOLUTION: model.eval() (batch norm keeps its running statistics); Adam over model.fc's parameters; shuffled batches: cross_entropy, zero_grad, backward, step, log (about 11 lines)
    model.eval()  # not model.train(): batch norm would update its running statistics
    optimiser = torch.optim.Adam(model.fc.parameters(), lr=config.lr)
    generator = torch.Generator().manual_seed(config.seed)
    for _ in range(config.epochs):
        for batch in torch.arange(len(images)).split(config.batch_size):
            loss = F.cross_entropy(model(images[batch]), labels[batch])
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            losses.append(loss.item())
    # END SOLUTION
    return losses
