"""The algorithm: cos w(a + b) from cos wa, sin wa, cos wb, sin wb.

Goal: the embedding gives the model, for each key frequency k (w = 2 pi k / p), the waves
cos(wa), sin(wa) and cos(wb), sin(wb). To predict c = (a + b) mod p it needs waves of the
*sum*, and trigonometry makes them from products of the parts:

    cos(w(a + b)) = cos(wa) cos(wb) - sin(wa) sin(wb)
    sin(w(a + b)) = sin(wa) cos(wb) + cos(wa) sin(wb)

A ReLU neuron can compute such products approximately (a ReLU of a sum of waves has product
terms), and a linear readout of many neurons of the same frequency can add them up. Then the
unembedding turns cos(w(a + b)), sin(w(a + b)) into logits cos(w(a + b - c)), largest at
c = a + b mod p.

1. `sum_waves(k, p)`: (cos(w(a + b)), sin(w(a + b))), each [p, p] (a rows, b columns), built
   **only** from the 1D waves cos(wx), sin(wx) (x = 0 … p-1) with the identities above (outer
   products).
2. `readout_r2(neurons, target)`: how well a linear readout of the neurons reproduces a target
   over every pair: fit `target ≈ neurons @ coef + bias` by least squares (float64), return
   R² = 1 - residual sum of squares / total sum of squares (around the target's mean).
   `neurons` is [p * p, n], `target` [p * p] (both in all_pairs row order).

The checks find that the neurons of frequency k (grok_neuron_frequencies) reproduce
cos(w(a + b)) and sin(w(a + b)) with R² > 0.9, and that the other neurons do not.

Rules: torch (`torch.outer`, `torch.linalg.lstsq`); in `sum_waves`, no cos or sin of a + b.

Worked example: sum_waves(1, 4) gives cos(pi (a + b) / 2): row a = 1 is [0, -1, 0, 1].
"""

import math

import torch
from jaxtyping import Float
from torch import Tensor


def sum_waves(k: int, p: int) -> tuple[Float[Tensor, "p p"], Float[Tensor, "p p"]]:
    """cos(w(a + b)) and sin(w(a + b)) from the 1D waves, w = 2 pi k / p."""
    raise NotImplementedError('cos and sin of w x for x = arange(p); the two identities with torch.outer (4 lines)')


def readout_r2(neurons: Float[Tensor, "pairs n"], target: Float[Tensor, " pairs"]) -> float:
    """R² of the least-squares fit target ≈ neurons @ coef + bias."""
    raise NotImplementedError('append a column of ones; lstsq in float64; R² from the residual (about 6 lines)')
