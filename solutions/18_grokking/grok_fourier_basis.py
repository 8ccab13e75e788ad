"""The Fourier basis of Z_p: the coordinates a modular-arithmetic model thinks in.

Goal: functions on Z_p = {0, 1, …, p-1} (p odd) are vectors of length p. A basis of waves:

    row 0            the constant            1 / sqrt(p)
    row 2k - 1       cos(2 pi k x / p) * sqrt(2 / p)      for k = 1 … (p - 1) / 2
    row 2k           sin(2 pi k x / p) * sqrt(2 / p)

Frequencies count from **1** (frequency 0 is the constant row), each frequency has a cos row
followed by its sin row, and the scaling makes the rows **orthonormal**: `B @ B.T = I`. (The
constant has norm sqrt(p) before scaling, each cos and sin wave sqrt(p / 2).)

1. `fourier_basis(p)`: the [p, p] matrix B, rows as above, x along the columns.
2. `fourier_labels(p)`: the row names `["const", "cos 1", "sin 1", "cos 2", …]`.

The checks compare with `torch.fft.rfft`: for a real vector v, `B @ v` holds
rfft(v)[0] / sqrt(p) and, for each k, sqrt(2/p) * Re rfft(v)[k] and -sqrt(2/p) * Im rfft(v)[k].

Rules: torch (`torch.arange`, `torch.cos`, `torch.sin`); no `torch.fft` (the checks use it).

Worked example (p = 3: one frequency):
    B = [[0.577, 0.577, 0.577],      const
         [0.816, -0.408, -0.408],    cos 1 = sqrt(2/3) * cos(2 pi x / 3)
         [0.0, 0.707, -0.707]]       sin 1 = sqrt(2/3) * sin(2 pi x / 3)
"""

import math

import torch
from jaxtyping import Float
from torch import Tensor


def fourier_basis(p: int) -> Float[Tensor, "p p"]:
    """Rows const, cos 1, sin 1, …, orthonormal."""
    # BEGIN SOLUTION: x = arange(p); first row ones / sqrt(p); for each k a cos and a sin row times sqrt(2 / p) (about 6 lines)
    x = torch.arange(p, dtype=torch.float64)
    rows = [torch.ones(p, dtype=torch.float64) / math.sqrt(p)]
    for k in range(1, p // 2 + 1):
        angle = 2 * math.pi * k * x / p
        rows += [torch.cos(angle) * math.sqrt(2 / p), torch.sin(angle) * math.sqrt(2 / p)]
    return torch.stack(rows).float()
    # END SOLUTION


def fourier_labels(p: int) -> list[str]:
    """["const", "cos 1", "sin 1", …]."""
    # BEGIN SOLUTION: one "cos k" and one "sin k" per frequency 1 … p // 2 (1 line)
    return ["const"] + [f"{kind} {k}" for k in range(1, p // 2 + 1) for kind in ("cos", "sin")]
    # END SOLUTION
