# MISTAKE: Skips the max shift: overflows for large logits.
# NAMED: the loss is not finite (inf or nan) where torch's is: exp overflowed
"""Cross-entropy from engine operations, stable for large logits.

Goal: write `cross_entropy(logits, targets)`: the mean over the batch of
`-log softmax(logits[i])[targets[i]]`, as a Tensor that backprop can differentiate. It must equal
`torch.nn.functional.cross_entropy` (value and gradient).

Per example: `loss_i = logsumexp(logits[i]) - logits[i, targets[i]]`, where
`logsumexp(z) = log(sum_j exp(z_j))`. Computed literally, `exp(1000.0)` overflows to inf. The
fix: subtract each row's maximum `m_i` first. `logsumexp(z) = m + logsumexp(z - m)`, and in the
difference `loss_i` the `m_i` cancels: `loss_i = logsumexp(z_i - m_i) - (z_i - m_i)[t_i]`.
Every exponent is then <= 0.

The maximum can be a plain numpy array (`logits.array.max(...)`), a constant for the engine:
adding a per-row constant does not change the loss, so its gradient through `m` would be zero
anyway, and the engine needs no `max` operation.

Rules: engine operations on `logits` (`-`, `.exp()`, `.sum(dim=...)`, `.log()`, indexing with
integer arrays `t[rows, cols]`, `.mean()`, ...); `.array` only for the constant maximum.

Worked example:
    >>> logits = Tensor([[0.0, 0.0], [1000.0, 0.0]], requires_grad=True)
    >>> cross_entropy(logits, np.array([0, 0])).item()    # (log 2 + 0) / 2
    0.34657359027997264
"""

import numpy as np
from jaxtyping import Int

from arena_cli.course.backprop import Tensor


def cross_entropy(logits: Tensor, targets: Int[np.ndarray, " batch"]) -> Tensor:
    """Mean cross-entropy of logits [batch, classes] against integer class targets [batch]."""
    # BEGIN SOLUTION: shift = logits.array.max(-1, keepdims=True); log-sum-exp of (logits - shift) over the last dim, minus the shifted logit picked at [arange(batch), targets]; then .mean() (about 5 lines)
    shift = 0.0
    shifted = logits - shift  # [batch, classes]
    log_norm = shifted.exp().sum(dim=-1).log()  # [batch]
    picked = shifted[np.arange(len(targets)), targets]  # [batch]
    return (log_norm - picked).mean()
    # END SOLUTION
