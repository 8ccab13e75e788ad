# MISTAKE: restricted and excluded loss swapped
# NAMED: the restricted and excluded losses are swapped
"""Progress measures along training: what the 20 snapshots say.

Goal: the zoo ships 20 snapshots of the grokking model, evenly spaced from step 0 to step 3500
(`arena_cli.course.grokking.history()`: each has `.step`, `.metrics` with its train/test loss
and accuracy, and `.weights`, a dict of float32 tensors). Measure each one:

- its training and test loss (already in `.metrics`: "train_loss", "test_loss");
- its restricted and excluded loss with the final model's key frequencies
  (grok_restricted_excluded; the two functions are given below);
- its **weight norm**: the L2 norm of all its parameters together, sqrt of the sum of every
  squared entry of every tensor (weight decay pulls on it; watch it during the clean-up).

1. `weight_norm(weights)`: float.
2. `measures_along_training(snapshots, frequencies, train_idx)`: a dict of 1D float tensors,
   one entry per snapshot, oldest first: "step", "train_loss", "test_loss",
   "restricted_loss", "excluded_loss", "weight_norm".

`forward_all_pairs(weights)` (from `arena_cli.course.grokking`) returns the logits over every
pair [p * p, p] (and the neurons) of a snapshot's weights.

Rules: torch.

Worked example: weight_norm({"x": tensor([3., 0.]), "y": tensor([[4.]])}) = 5.0.
"""

import math

import torch
import torch.nn.functional as F
from jaxtyping import Float, Int
from torch import Tensor

from arena_cli.course.grokking import forward_all_pairs
from arena_cli.zoo.grokking import all_pairs


def _directions(frequencies: list[int], p: int) -> Float[Tensor, "pairs directions"]:
    a = torch.arange(p).repeat_interleave(p)
    b = torch.arange(p).repeat(p)
    columns = []
    for k in frequencies:
        angle = (2 * math.pi * k / p) * (a + b).double()
        columns += [wave / wave.norm() for wave in (torch.cos(angle), torch.sin(angle))]
    return torch.stack(columns, dim=1).float()


def restricted_and_excluded(logits, labels, frequencies, train_idx) -> tuple[float, float]:
    """(restricted loss on all inputs, excluded loss on the training inputs), as in grok_restricted_excluded."""
    d = _directions(frequencies, logits.shape[-1])
    projection = d @ (d.T @ logits)
    restricted = F.cross_entropy(projection, labels)
    excluded = F.cross_entropy((logits - projection)[train_idx], labels[train_idx])
    return float(restricted), float(excluded)


def weight_norm(weights: dict[str, Tensor]) -> float:
    """L2 norm of all the parameters together."""
    # BEGIN SOLUTION: sum of squares over every tensor, then one square root (1 line)
    return math.sqrt(sum(float(w.pow(2).sum()) for w in weights.values()))
    # END SOLUTION


def measures_along_training(snapshots, frequencies: list[int], train_idx: Int[Tensor, " n_train"]) -> dict[str, Tensor]:
    """step, train_loss, test_loss, restricted_loss, excluded_loss, weight_norm per snapshot."""
    _, labels = all_pairs()
    # BEGIN SOLUTION: one forward per snapshot; collect the six numbers; torch.tensor of each list (about 12 lines)
    rows: dict[str, list[float]] = {k: [] for k in ("step", "train_loss", "test_loss", "restricted_loss", "excluded_loss", "weight_norm")}
    for snapshot in snapshots:
        logits, _ = forward_all_pairs(snapshot.weights)
        excluded, restricted = restricted_and_excluded(logits, labels, frequencies, train_idx)
        rows["step"].append(snapshot.step)
        rows["train_loss"].append(snapshot.metrics["train_loss"])
        rows["test_loss"].append(snapshot.metrics["test_loss"])
        rows["restricted_loss"].append(restricted)
        rows["excluded_loss"].append(excluded)
        rows["weight_norm"].append(weight_norm(snapshot.weights))
    return {k: torch.tensor(v, dtype=torch.float32) for k, v in rows.items()}
    # END SOLUTION
