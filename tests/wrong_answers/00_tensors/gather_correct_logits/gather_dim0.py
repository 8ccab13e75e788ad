# MISTAKE: Gathers along the batch axis (dim 0) instead of the class axis.
# NAMED: you gathered along the batch axis (dim=0)
"""Pick the logit of the correct class with `torch.gather`.

Goal: a classifier outputs one row of logits per example, `[batch, n_classes]`, and the labels
say which class is correct, `[batch]`. Return the logit of the correct class of every example:
`out[b] = logits[b, labels[b]]`. Then do the same for a language model, whose logits have one
row per position, `[batch, pos, vocab]`, with one correct token per position, `[batch, pos]`.

Rules: `torch.gather` (or `Tensor.gather`), plus `unsqueeze`/`squeeze` or indexing with `None`;
no integer-array indexing such as `logits[rows, labels]` (that is the next exercise), no
`torch.take_along_dim`, no one-hot masks, no Python loops.

How `gather` reads: `torch.gather(src, dim, index)` returns a tensor shaped like `index`, with
`out[i][j] = src[i][index[i][j]]` for `dim=1` -- the index replaces the coordinate along `dim`,
every other coordinate is kept. `index` must have as many axes as `src`.

Worked example:
    >>> src = torch.tensor([[10, 11, 12], [20, 21, 22]])
    >>> torch.gather(src, 1, torch.tensor([[2], [0]]))
    tensor([[12],
            [20]])

Why it matters: the cross-entropy loss, the log-probability of a sampled token and the logit
difference of interpretability papers all start by picking one logit per row.
"""

import torch
from jaxtyping import Float, Int
from torch import Tensor


def correct_logits(logits: Float[Tensor, "batch n_classes"], labels: Int[Tensor, "batch"]) -> Float[Tensor, "batch"]:
    """`out[b] = logits[b, labels[b]]`."""
    # BEGIN SOLUTION: gather along the class axis with labels made [batch, 1], then drop that axis (about 1 line)
    return logits.gather(dim=0, index=labels.unsqueeze(0).clamp(max=logits.shape[0] - 1)).squeeze(0)
    # END SOLUTION


def correct_token_logits(
    logits: Float[Tensor, "batch pos vocab"], tokens: Int[Tensor, "batch pos"]
) -> Float[Tensor, "batch pos"]:
    """`out[b, p] = logits[b, p, tokens[b, p]]`."""
    # BEGIN SOLUTION: the same gather on the vocabulary axis; tokens made [batch, pos, 1] (about 1 line)
    return logits.gather(dim=-1, index=tokens.unsqueeze(-1)).squeeze(-1)
    # END SOLUTION
