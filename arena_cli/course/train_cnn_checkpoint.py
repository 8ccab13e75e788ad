"""Train the small pretrained ResNet that section 02_cnns ships (`data/digits_resnet.pt`).

    python -m arena_cli.course.train_cnn_checkpoint [--out PATH]

A `PretrainedResNet` (torchvision-style names) with the default `ResNetConfig` is trained on the
training split of scikit-learn's 8x8 digits, digits 0 to 4 only, so that the last exercise of the
section can fine-tune a new head for the digits 5 to 9 on top of its frozen body. Deterministic:
seeded, deterministic algorithms, one thread; it takes well under a minute on a laptop CPU and
prints the held-out accuracy. The checkpoint is the plain state dict, about 0.3 MB.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from arena_cli.course.cnn import (
    CHECKPOINT_PATH,
    FINETUNE_CLASSES,
    PRETRAIN_CLASSES,
    PretrainedResNet,
    _digits_arrays,
    load_digits_tensors,
)

SEED = 0
EPOCHS = 20
BATCH_SIZE = 64
LR = 3e-3
WEIGHT_DECAY = 1e-4


def check_data_matches_scikit_learn() -> None:
    """The fast CSV reader of `cnn.py` must give exactly what `load_digits()` gives."""
    from sklearn.datasets import load_digits

    digits = load_digits()
    images, labels = _digits_arrays()
    assert np.array_equal(images, (digits.images / 16.0).astype(np.float32)), "digit images differ"
    assert np.array_equal(labels, digits.target), "digit labels differ"


def random_shift(images: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """Shift each image by -1, 0 or +1 pixel in each direction (zeros come in at the edges)."""
    padded = F.pad(images, (1, 1, 1, 1))
    shifts = torch.randint(0, 3, (len(images), 2), generator=generator)
    return torch.stack([p[:, dy : dy + 8, dx : dx + 8] for p, (dy, dx) in zip(padded, shifts.tolist())])


@torch.inference_mode()
def accuracy(model: torch.nn.Module, images: torch.Tensor, labels: torch.Tensor) -> float:
    model.eval()
    return (model(images).argmax(-1) == labels).float().mean().item()


@torch.inference_mode()
def linear_probe_accuracy(model: PretrainedResNet) -> float:
    """How well the frozen body's features separate the digits it never saw (least squares)."""
    model.eval()
    train_x, train_y = load_digits_tensors("train", FINETUNE_CLASSES)
    test_x, test_y = load_digits_tensors("test", FINETUNE_CLASSES)

    def design(x: torch.Tensor) -> torch.Tensor:
        feats = model.features(x).double()
        return torch.cat([feats, torch.ones(len(feats), 1, dtype=feats.dtype)], dim=1)

    targets = F.one_hot(train_y, len(FINETUNE_CLASSES)).double()
    weights = torch.linalg.lstsq(design(train_x), targets).solution
    return (design(test_x) @ weights).argmax(-1).eq(test_y).double().mean().item()


def train() -> tuple[PretrainedResNet, dict[str, float]]:
    torch.manual_seed(SEED)
    torch.use_deterministic_algorithms(True)
    torch.set_num_threads(1)
    generator = torch.Generator().manual_seed(SEED)
    images, labels = load_digits_tensors("train", PRETRAIN_CLASSES)
    test_images, test_labels = load_digits_tensors("test", PRETRAIN_CLASSES)
    model = PretrainedResNet()
    optimiser = torch.optim.AdamW(model.parameters(), lr=LR, weight_decay=WEIGHT_DECAY)
    steps = EPOCHS * -(-len(images) // BATCH_SIZE)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimiser, max_lr=LR, total_steps=steps)
    start = time.perf_counter()
    for epoch in range(EPOCHS):
        model.train()
        order = torch.randperm(len(images), generator=generator)
        for batch in order.split(BATCH_SIZE):
            loss = F.cross_entropy(model(random_shift(images[batch], generator)), labels[batch])
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            schedule.step()
        print(f"epoch {epoch + 1:2d}: last loss {loss.item():.4f}, "
              f"held-out accuracy {accuracy(model, test_images, test_labels):.4f}")
    stats = {
        "seconds": time.perf_counter() - start,
        "test_accuracy": accuracy(model, test_images, test_labels),
        "probe_accuracy_unseen_digits": linear_probe_accuracy(model),
    }
    return model.eval(), stats


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=CHECKPOINT_PATH)
    args = parser.parse_args()
    check_data_matches_scikit_learn()
    model, stats = train()
    print(
        f"trained in {stats['seconds']:.1f} s; held-out accuracy on digits 0-4: "
        f"{stats['test_accuracy']:.4f}; linear probe of the frozen body on digits 5-9: "
        f"{stats['probe_accuracy_unseen_digits']:.4f}"
    )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    torch.save(model.state_dict(), args.out)
    print(f"wrote {args.out} ({args.out.stat().st_size / 1e6:.2f} MB)")


if __name__ == "__main__":
    main()
