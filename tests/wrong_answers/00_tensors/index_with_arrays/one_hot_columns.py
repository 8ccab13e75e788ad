# MISTAKE: Indexes the columns of the identity instead of the rows (the same here) but as int64.
# NAMED: the one-hot values are right but the dtype is int64
"""Integer-array ("fancy") indexing with one and two index tensors.

Goal: three selections that use tensors of integers as indices.

- `pick_entries(mat, rows, cols)`: `out[k] = mat[rows[k], cols[k]]` -- two index tensors of the
  same shape are read *in pairs*, not as a grid.
- `vectors_at_positions(resid, positions)`: from activations `[batch, pos, d_model]`, take for
  each batch element `b` the vector at position `positions[b]`, giving `[batch, d_model]` (for
  example the residual stream at the last real token of each padded sequence).
- `one_hot(labels, n_classes)`: `out[b, c] = 1.0 if labels[b] == c else 0.0`, as float32,
  built by indexing the rows of an identity matrix.

Rules: integer-array indexing, `torch.arange`, `torch.eye`; no `torch.gather`,
`torch.take_along_dim`, `torch.nn.functional.one_hot`, `torch.where`, `scatter`, no Python
loops.

Worked example:
    >>> mat = torch.tensor([[0, 1, 2], [10, 11, 12]])
    >>> mat[torch.tensor([1, 0, 1]), torch.tensor([2, 2, 0])]   # pairs (1,2), (0,2), (1,0)
    tensor([12,  2, 10])
    >>> mat[torch.tensor([1, 1, 0])]                             # whole rows
    tensor([[10, 11, 12],
            [10, 11, 12],
            [ 0,  1,  2]])

Where it breaks: `resid[:, positions]` is *not* the same as pairing each batch element with its
own position -- a slice with `:` takes every batch element for every position, `[batch, batch,
d_model]`. To pair them, index the batch axis with `torch.arange(batch)` too.
"""

import torch
from jaxtyping import Float, Int
from torch import Tensor


def pick_entries(mat: Float[Tensor, "m n"], rows: Int[Tensor, "k"], cols: Int[Tensor, "k"]) -> Float[Tensor, "k"]:
    """`out[k] = mat[rows[k], cols[k]]`."""
    # BEGIN SOLUTION: index mat with both integer tensors at once (about 1 line)
    return mat[rows, cols]
    # END SOLUTION


def vectors_at_positions(
    resid: Float[Tensor, "batch pos d_model"], positions: Int[Tensor, "batch"]
) -> Float[Tensor, "batch d_model"]:
    """`out[b] = resid[b, positions[b]]`."""
    # BEGIN SOLUTION: pair torch.arange(batch) with positions as the first two indices (about 2 lines)
    batch_index = torch.arange(resid.shape[0], device=resid.device)  # [batch]
    return resid[batch_index, positions]
    # END SOLUTION


def one_hot(labels: Int[Tensor, "batch"], n_classes: int) -> Float[Tensor, "batch n_classes"]:
    """Row `b` is all zeros except a 1.0 in column `labels[b]` (float32)."""
    # BEGIN SOLUTION: index the rows of torch.eye(n_classes) with labels (about 1 line)
    return torch.eye(n_classes, device=labels.device, dtype=torch.int64)[labels]
    # END SOLUTION
