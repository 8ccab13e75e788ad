"""Shared scaffolding for section 02_cnns (CNNs & ResNets).

- The data: scikit-learn's 8x8 handwritten digits, which install with the package (no network),
  as tensors, with one fixed held-out test split that nothing in the section trains on.
- Reference ResNet parts that later exercises build on, written with `torch.nn` layers and the
  parameter names the exercises use: `ResidualBlock`, `BlockGroup`, `DigitsResNet`.
- `PretrainedResNet`: the same architecture with torchvision-style names (`conv1`, `layer2.0.bn1`,
  `fc`, ...), the layout of the shipped checkpoint, and `load_pretrained_resnet()` to load it.
- Oracles for the checks: the residual block and the whole ResNet computed with
  `torch.nn.functional` alone, reading parameters by name from a state dict.

The checkpoint is made by `python -m arena_cli.course.train_cnn_checkpoint`: a ResNet trained on
the digits 0 to 4 only, so that section's last exercise can fine-tune it to the digits 5 to 9.
"""

from __future__ import annotations

import functools
import importlib.util
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

DATA_DIR = Path(__file__).parent / "data"
CHECKPOINT_PATH = DATA_DIR / "digits_resnet.pt"

PRETRAIN_CLASSES = (0, 1, 2, 3, 4)  # what the checkpoint was trained to recognise
FINETUNE_CLASSES = (5, 6, 7, 8, 9)  # what the fine-tuning exercise teaches it
TEST_FRACTION = 0.2
SPLIT_SEED = 0


# ---------------------------------------------------------------------------------------------
# Data
# ---------------------------------------------------------------------------------------------


@functools.cache
def _digits_arrays() -> tuple[np.ndarray, np.ndarray]:
    """All 1797 digits: images [n, 8, 8] scaled to [0, 1] and labels [n] (read-only arrays).

    Reads the CSV that `sklearn.datasets.load_digits()` reads, without importing
    `sklearn.datasets` (which pulls in SciPy and costs seconds); falls back to `load_digits()`.
    """
    spec = importlib.util.find_spec("sklearn")
    csv = Path(spec.origin).parent / "datasets" / "data" / "digits.csv.gz" if spec and spec.origin else None
    if csv is not None and csv.is_file():
        table = np.loadtxt(csv, delimiter=",")
        images, labels = table[:, :-1].reshape(-1, 8, 8), table[:, -1]
    else:  # pragma: no cover - a scikit-learn that moved its data file
        from sklearn.datasets import load_digits

        digits = load_digits()
        images, labels = digits.images, digits.target
    images = (images / 16.0).astype(np.float32)  # pixel intensities are 0..16
    labels = labels.astype(np.int64)
    images.flags.writeable = False
    labels.flags.writeable = False
    return images, labels


@functools.cache
def _split_indices() -> dict[str, np.ndarray]:
    n = len(_digits_arrays()[1])
    order = np.random.default_rng(SPLIT_SEED).permutation(n)
    n_test = round(n * TEST_FRACTION)
    return {"test": np.sort(order[:n_test]), "train": np.sort(order[n_test:]), "all": np.arange(n)}


def load_digits_tensors(
    split: str = "train", classes: tuple[int, ...] | None = None
) -> tuple[Tensor, Tensor]:
    """The 8x8 digits as `(images [n, 1, 8, 8] float32 in [0, 1], labels [n] int64)`.

    split: "train" (80 %), "test" (the fixed held-out 20 %: never train on it) or "all".
    classes: keep only these digits; the labels then become positions in `classes`
        (with `classes=(5, 6, 7, 8, 9)` a 7 gets the label 2).
    Fresh tensors each call: change them freely.
    """
    if split not in ("train", "test", "all"):
        raise ValueError(f"split must be 'train', 'test' or 'all', got {split!r}")
    images, labels = _digits_arrays()
    index = _split_indices()[split]
    images, labels = images[index], labels[index]
    if classes is not None:
        keep = np.isin(labels, classes)
        images = images[keep]
        labels = np.array([classes.index(int(label)) for label in labels[keep]], dtype=np.int64)
    return torch.tensor(images).unsqueeze(1), torch.tensor(labels, dtype=torch.int64)


# ---------------------------------------------------------------------------------------------
# Reference ResNet parts (the names the exercises use)
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ResNetConfig:
    """The shape of a small ResNet for 8x8 images; the defaults are the shipped checkpoint's."""

    in_channels: int = 1  # grey-scale images
    stem_features: int = 16  # channels after the first 3x3 convolution
    n_blocks_per_group: tuple[int, ...] = (1, 1, 1)
    out_features_per_group: tuple[int, ...] = (16, 32, 64)
    first_strides_per_group: tuple[int, ...] = (1, 2, 2)  # 8x8 -> 8x8 -> 4x4 -> 2x2
    n_classes: int = len(PRETRAIN_CLASSES)


class ResidualBlock(nn.Module):
    """relu(left(x) + right(x)): two 3x3 convolutions on the left, identity or a 1x1 projection
    on the right. `first_stride` applies to the first convolution and to the projection."""

    def __init__(self, in_feats: int, out_feats: int, first_stride: int = 1):
        super().__init__()
        self.left = nn.Sequential(
            nn.Conv2d(in_feats, out_feats, 3, stride=first_stride, padding=1, bias=False),
            nn.BatchNorm2d(out_feats),
            nn.ReLU(),
            nn.Conv2d(out_feats, out_feats, 3, stride=1, padding=1, bias=False),
            nn.BatchNorm2d(out_feats),
        )
        if first_stride == 1 and in_feats == out_feats:
            self.right: nn.Module = nn.Identity()
        else:
            self.right = nn.Sequential(
                nn.Conv2d(in_feats, out_feats, 1, stride=first_stride, bias=False),
                nn.BatchNorm2d(out_feats),
            )
        self.relu = nn.ReLU()

    def forward(self, x: Tensor) -> Tensor:
        return self.relu(self.left(x) + self.right(x))


class BlockGroup(nn.Module):
    """`n_blocks` residual blocks; only the first changes the channel count and the size."""

    def __init__(self, n_blocks: int, in_feats: int, out_feats: int, first_stride: int = 1):
        super().__init__()
        self.blocks = nn.Sequential(
            ResidualBlock(in_feats, out_feats, first_stride),
            *(ResidualBlock(out_feats, out_feats, 1) for _ in range(n_blocks - 1)),
        )

    def forward(self, x: Tensor) -> Tensor:
        return self.blocks(x)


class DigitsResNet(nn.Module):
    """stem (conv 3x3, batch norm, relu) -> block groups -> head (global average, flatten, linear)."""

    def __init__(self, config: ResNetConfig = ResNetConfig()):
        super().__init__()
        self.config = config
        self.stem = nn.Sequential(
            nn.Conv2d(config.in_channels, config.stem_features, 3, padding=1, bias=False),
            nn.BatchNorm2d(config.stem_features),
            nn.ReLU(),
        )
        in_features = (config.stem_features, *config.out_features_per_group[:-1])
        self.groups = nn.Sequential(
            *(
                BlockGroup(n, i, o, s)
                for n, i, o, s in zip(
                    config.n_blocks_per_group,
                    in_features,
                    config.out_features_per_group,
                    config.first_strides_per_group,
                )
            )
        )
        self.head = nn.Sequential(
            nn.AdaptiveAvgPool2d((1, 1)),
            nn.Flatten(),
            nn.Linear(config.out_features_per_group[-1], config.n_classes),
        )

    def forward(self, x: Tensor) -> Tensor:
        return self.head(self.groups(self.stem(x)))


# ---------------------------------------------------------------------------------------------
# The checkpoint's layout: the same network with torchvision-style names
# ---------------------------------------------------------------------------------------------


class BasicBlock(nn.Module):
    def __init__(self, in_feats: int, out_feats: int, stride: int = 1):
        super().__init__()
        self.conv1 = nn.Conv2d(in_feats, out_feats, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(out_feats)
        self.conv2 = nn.Conv2d(out_feats, out_feats, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(out_feats)
        self.relu = nn.ReLU()
        self.downsample: nn.Module | None = None
        if stride != 1 or in_feats != out_feats:
            self.downsample = nn.Sequential(
                nn.Conv2d(in_feats, out_feats, 1, stride=stride, bias=False),
                nn.BatchNorm2d(out_feats),
            )

    def forward(self, x: Tensor) -> Tensor:
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        shortcut = x if self.downsample is None else self.downsample(x)
        return self.relu(out + shortcut)


class PretrainedResNet(nn.Module):
    """The checkpoint's network: conv1, bn1, layer1..layerN (BasicBlocks), fc."""

    def __init__(self, config: ResNetConfig = ResNetConfig()):
        super().__init__()
        self.config = config
        self.conv1 = nn.Conv2d(config.in_channels, config.stem_features, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(config.stem_features)
        self.relu = nn.ReLU()
        in_feats = config.stem_features
        for number, (n, out_feats, stride) in enumerate(
            zip(config.n_blocks_per_group, config.out_features_per_group, config.first_strides_per_group),
            start=1,
        ):
            blocks = [BasicBlock(in_feats, out_feats, stride)]
            blocks += [BasicBlock(out_feats, out_feats) for _ in range(n - 1)]
            setattr(self, f"layer{number}", nn.Sequential(*blocks))
            in_feats = out_feats
        self.n_layers = len(config.n_blocks_per_group)
        self.fc = nn.Linear(in_feats, config.n_classes)

    def features(self, x: Tensor) -> Tensor:
        """Everything but `fc`: [batch, channels, h, w] -> [batch, out_features]."""
        x = self.relu(self.bn1(self.conv1(x)))
        for number in range(1, self.n_layers + 1):
            x = getattr(self, f"layer{number}")(x)
        return x.mean(dim=(2, 3))

    def forward(self, x: Tensor) -> Tensor:
        return self.fc(self.features(x))


def load_pretrained_state_dict() -> dict[str, Tensor]:
    """The shipped checkpoint's state dict (torchvision-style names), read with weights_only."""
    if not CHECKPOINT_PATH.is_file():
        raise FileNotFoundError(
            f"{CHECKPOINT_PATH} is missing; rebuild it with "
            "`python -m arena_cli.course.train_cnn_checkpoint`"
        )
    return torch.load(CHECKPOINT_PATH, map_location="cpu", weights_only=True)


def load_pretrained_resnet() -> PretrainedResNet:
    """A `PretrainedResNet` holding the shipped weights, in eval mode."""
    model = PretrainedResNet()
    model.load_state_dict(load_pretrained_state_dict())
    return model.eval()


# ---------------------------------------------------------------------------------------------
# Oracles for the checks: torch.nn.functional only, parameters read by name
# ---------------------------------------------------------------------------------------------


def _batch_norm(x: Tensor, params: dict[str, Tensor], prefix: str, training: bool) -> Tensor:
    # clones: in training mode F.batch_norm updates the running statistics it is given in place
    return F.batch_norm(
        x,
        params[prefix + "running_mean"].clone(),
        params[prefix + "running_var"].clone(),
        params[prefix + "weight"],
        params[prefix + "bias"],
        training=training,
        momentum=0.1,
        eps=1e-5,
    )


def residual_block_oracle(
    x: Tensor, params: dict[str, Tensor], stride: int, training: bool, prefix: str = ""
) -> Tensor:
    """A residual block with parameters `params[prefix + "left.0.weight"]` and so on."""
    left = F.conv2d(x, params[prefix + "left.0.weight"], stride=stride, padding=1)
    left = F.relu(_batch_norm(left, params, prefix + "left.1.", training))
    left = F.conv2d(left, params[prefix + "left.3.weight"], stride=1, padding=1)
    left = _batch_norm(left, params, prefix + "left.4.", training)
    if prefix + "right.0.weight" in params:
        right = F.conv2d(x, params[prefix + "right.0.weight"], stride=stride)
        right = _batch_norm(right, params, prefix + "right.1.", training)
    else:
        right = x
    return F.relu(left + right)


def block_group_oracle(
    x: Tensor, params: dict[str, Tensor], n_blocks: int, first_stride: int, training: bool, prefix: str = ""
) -> Tensor:
    for block in range(n_blocks):
        stride = first_stride if block == 0 else 1
        x = residual_block_oracle(x, params, stride, training, prefix=f"{prefix}blocks.{block}.")
    return x


def digits_resnet_oracle(x: Tensor, params: dict[str, Tensor], config: ResNetConfig, training: bool) -> Tensor:
    x = F.conv2d(x, params["stem.0.weight"], padding=1)
    x = F.relu(_batch_norm(x, params, "stem.1.", training))
    for group, (n, stride) in enumerate(zip(config.n_blocks_per_group, config.first_strides_per_group)):
        x = block_group_oracle(x, params, n, stride, training, prefix=f"groups.{group}.")
    return F.linear(x.mean(dim=(2, 3)), params["head.2.weight"], params["head.2.bias"])


def randomise_batch_norm(model: nn.Module, generator: torch.Generator) -> None:
    """Give every batch norm of `model` random weights and running statistics, so that it is not
    close to the identity and a check can tell its parts apart."""
    with torch.no_grad():
        for module in model.modules():
            if isinstance(getattr(module, "running_mean", None), Tensor):
                shape = module.weight.shape
                module.weight.copy_(1 + 0.3 * torch.randn(shape, generator=generator))
                module.bias.copy_(0.3 * torch.randn(shape, generator=generator))
                module.running_mean.copy_(0.3 * torch.randn(shape, generator=generator))
                module.running_var.copy_(0.5 + torch.rand(shape, generator=generator))


# --------------------------------------------------------------------------- training-loop twins

# The checks seed the global RNG with this right before calling a learner's training loop, so a
# loop that shuffles with the global RNG instead of its own generator can be recognised.
GLOBAL_SEED = 1234

BATCH_ORDERS = {
    "reference": "",
    "reseeded": "the batches come in the same order every epoch: seed the torch.Generator once, before the "
    "epoch loop, not inside it",
    "unshuffled": "the batches are not shuffled: draw torch.randperm(n, generator=generator) every epoch",
    "global_rng": "the batches were shuffled with the global RNG: pass generator=<your seeded torch.Generator> "
    "to torch.randperm",
    "drop_last": "the last, partial batch of each epoch was skipped: keep it (an epoch sees every example)",
    "one_epoch": "only the first epoch ran: loop `epochs` times",
}


def epoch_batches(n: int, batch_size: int, epochs: int, seed: int, variant: str = "reference") -> list[Tensor]:
    """Index batches (into range(n)) for `epochs` epochs: one torch.Generator seeded once with
    `seed`, `torch.randperm(n, generator=...)` each epoch, split into `batch_size` pieces with
    the last partial batch kept. Other `variant`s (keys of BATCH_ORDERS) are common mistakes."""
    generator = torch.Generator().manual_seed(seed)
    if variant == "global_rng":
        torch.manual_seed(GLOBAL_SEED)
    batches: list[Tensor] = []
    for _ in range(1 if variant == "one_epoch" else epochs):
        if variant == "reseeded":
            generator.manual_seed(seed)
        if variant == "unshuffled":
            order = torch.arange(n)
        elif variant == "global_rng":
            order = torch.randperm(n)
        else:
            order = torch.randperm(n, generator=generator)
        for batch in order.split(batch_size):
            if variant == "drop_last" and len(batch) < batch_size:
                continue
            batches.append(batch)
    return batches


def batch_order_mistakes(
    run: Callable[[list[Tensor]], Any], n: int, batch_size: int, epochs: int, seed: int
) -> dict[str, Callable[[], Any]]:
    """`assert_close` mistakes: for each wrong batch order, what `run(batches)` (a reference twin
    of the learner's loop, e.g. returning its losses) gives with it, computed only when needed."""
    return {
        sentence: (lambda variant=variant: run(epoch_batches(n, batch_size, epochs, seed, variant)))
        for variant, sentence in BATCH_ORDERS.items()
        if variant != "reference"
    }
