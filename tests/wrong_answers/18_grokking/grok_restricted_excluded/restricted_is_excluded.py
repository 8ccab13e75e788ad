# MISTAKE: the restricted loss uses the logits without their key part
# NAMED: that is the loss of the logits without the key part
"""Restricted and excluded loss: is the model using the key frequencies, and only them?

Goal: two progress measures of grokking (Nanda et al., 2023), both computed from the final
logits [p * p, p] over every input (rows a * p + b in all_pairs order, columns the answer c):

- For each key frequency k the model's algorithm writes, into the logit of every answer c,
  something along the two functions of the *input* cos(w_k (a + b)) and sin(w_k (a + b))
  (w_k = 2 pi k / p), vectors of length p * p. Normalise each to unit length: together they
  are `trig_directions`, [p * p, 2K], orthonormal columns.
- Project the logits onto them, for every c separately (the projection acts on the input
  axis, the p * p rows): `P = D @ (D.T @ logits)`.
- **Restricted loss**: the cross-entropy of the projection P alone, on **all** inputs. Low
  when the key-frequency algorithm alone predicts the answers.
- **Excluded loss**: the cross-entropy of `logits - P`, on the **training** inputs only. It
  stays low while the model can still fit its training data by memorising, without the key
  frequencies, and rises as memorisation is removed.

1. `trig_directions(frequencies, p)`: [p * p, 2K], columns cos k1, sin k1, cos k2, … of a + b,
   each of unit norm.
2. `restricted_loss(logits, labels, frequencies)`: float.
3. `excluded_loss(logits, labels, frequencies, train_idx)`: float (rows `train_idx` only).

Rules: torch, `torch.nn.functional.cross_entropy`.

Worked example: for the final zoo model with its key frequencies, the restricted loss is about
0.01 (the algorithm alone is nearly perfect) and the excluded loss about 9 on the training
data (worse than the uniform guess, ln 113 = 4.7: nothing memorised is left).
"""

import math

import torch
import torch.nn.functional as F
from jaxtyping import Float, Int
from torch import Tensor


def trig_directions(frequencies: list[int], p: int) -> Float[Tensor, "pairs directions"]:
    """Unit vectors cos(w(a + b)), sin(w(a + b)) over all pairs, per frequency."""
    # BEGIN SOLUTION: a + b for every row a * p + b; a cos and a sin column per frequency, each divided by its norm (about 7 lines)
    a = torch.arange(p).repeat_interleave(p)
    b = torch.arange(p).repeat(p)
    columns = []
    for k in frequencies:
        angle = (2 * math.pi * k / p) * (a + b).double()
        for wave in (torch.cos(angle), torch.sin(angle)):
            columns.append(wave / wave.norm())
    return torch.stack(columns, dim=1).float()
    # END SOLUTION


def _projection(logits: Float[Tensor, "pairs p"], frequencies: list[int]) -> Float[Tensor, "pairs p"]:
    # BEGIN SOLUTION: D @ (D.T @ logits), along the input axis (2 lines)
    d = trig_directions(frequencies, logits.shape[-1])
    return d @ (d.T @ logits)
    # END SOLUTION


def restricted_loss(logits: Float[Tensor, "pairs p"], labels: Int[Tensor, " pairs"], frequencies: list[int]) -> float:
    """Cross-entropy of the key-frequency part of the logits, on every input."""
    # BEGIN SOLUTION: (1 line)
    return float(F.cross_entropy(logits - _projection(logits, frequencies), labels))
    # END SOLUTION


def excluded_loss(
    logits: Float[Tensor, "pairs p"], labels: Int[Tensor, " pairs"], frequencies: list[int], train_idx: Int[Tensor, " n_train"]
) -> float:
    """Cross-entropy of the logits without their key-frequency part, on the training inputs."""
    # BEGIN SOLUTION: (2 lines)
    rest = logits - _projection(logits, frequencies)
    return float(F.cross_entropy(rest[train_idx], labels[train_idx]))
    # END SOLUTION
