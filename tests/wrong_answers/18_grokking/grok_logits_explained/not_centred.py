# MISTAKE: the logits are not centred over c
# NAMED: the logits are not centred
"""How much of the logits do the key frequencies explain?

Goal: if the model computes what grok_trig_identity says, its logits over every input and
every answer c are close to a sum of waves of a + b - c:

    logits[a, b, c] ≈ const(a, b) + sum over key k of  alpha_k cos(w_k (a + b - c)) + beta_k sin(w_k (a + b - c))

(w_k = 2 pi k / p). A constant per input (a, b) never changes a softmax, so first remove it:
centre the logits over c. The functions cos(w (a + b - c)), sin(w (a + b - c)) over the whole
[p, p, p] grid are orthogonal to each other (for different k, and cos vs sin) and to the
centred logits' constant part, so projecting onto each is one dot product:

    part along D = (<L, D> / <D, D>) D        explained share = sum of |part|² / |L|²

1. `sum_difference_waves(k, p)`: (cos(w(a + b - c)), sin(w(a + b - c))), each [p, p, p].
2. `explained_share(logits, frequencies)`: logits [p * p, p] (rows in all_pairs order, a * p
   + b; columns c), the share of the centred logits' squared norm that the cos and sin waves
   of the given frequencies explain together.

Rules: torch.

Worked example: logits that are exactly 2 cos(w_3 (a + b - c)) + 5 have share 1 for
frequencies [3] and share 0 for [2].
"""

import math

import torch
from jaxtyping import Float
from torch import Tensor


def sum_difference_waves(k: int, p: int) -> tuple[Float[Tensor, "p p p"], Float[Tensor, "p p p"]]:
    """cos and sin of w (a + b - c) on the [a, b, c] grid."""
    # BEGIN SOLUTION: broadcast arange(p) over three axes; one angle tensor; cos and sin (4 lines)
    x = torch.arange(p, dtype=torch.float64)
    angle = (2 * math.pi * k / p) * (x[:, None, None] + x[None, :, None] - x[None, None, :])
    return torch.cos(angle).float(), torch.sin(angle).float()
    # END SOLUTION


def explained_share(logits: Float[Tensor, "pairs p"], frequencies: list[int]) -> float:
    """Share of the centred logits explained by the key frequencies' waves of a + b - c."""
    # BEGIN SOLUTION: reshape to [p, p, p]; centre over c; for each wave D add <L, D>² / <D, D>; divide by |L|² (about 9 lines)
    p = logits.shape[-1]
    grid = logits.reshape(p, p, p).double()
    explained = 0.0
    for k in frequencies:
        for wave in sum_difference_waves(k, p):
            wave = wave.double()
            explained += float((grid * wave).sum()) ** 2 / float(wave.pow(2).sum())
    return explained / float(grid.pow(2).sum())
    # END SOLUTION
