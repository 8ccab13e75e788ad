# MISTAKE: the coefficients are divided by p
# NAMED: divided by p
"""Fourier transforms along one axis: into the basis and back.

Goal: with the orthonormal basis B of grok_fourier_basis ([p, p], one wave per row), the
Fourier coefficients of a function f on Z_p are the dot products with the rows, and f is the
sum of the waves weighted by them:

    coefficients = B @ f          f = B.T @ coefficients        (B orthonormal: B.T = B^-1)

A tensor often holds many functions at once, e.g. the number embeddings W_E[:p] are
[p, d_model]: d_model functions of the number x, one per column. Transform along the **first
axis** (x), whatever the other axes are.

1. `fourier_transform(values, basis)`: [p, ...] -> [p, ...] coefficients along axis 0.
2. `inverse_fourier_transform(coefficients, basis)`: back again.
3. `keep_frequencies(values, basis, frequencies)`: the part of `values` made of the given
   frequencies only (their cos and sin rows; frequencies count from 1), everything else
   removed: transform, zero the other coefficients (the constant too), transform back.

Rules: torch/einops (`einops.einsum(basis, values, "k x, x ... -> k ...")` is one way); no
`torch.fft` (the checks use it).

Worked example (p = 3): f = [1, 2, 3] has coefficients [3.464, -0.707, -0.408]; keeping
frequency 1 gives f minus its mean: [-1, 0, 1].
"""

import einops
from jaxtyping import Float
from torch import Tensor


def fourier_transform(values: Float[Tensor, "p *rest"], basis: Float[Tensor, "p p"]) -> Float[Tensor, "p *rest"]:
    """Coefficients along axis 0."""
    # BEGIN SOLUTION: contract the basis' columns with axis 0 of values (1 line)
    return einops.einsum(basis, values, "k x, x ... -> k ...") / basis.shape[0]
    # END SOLUTION


def inverse_fourier_transform(coefficients: Float[Tensor, "p *rest"], basis: Float[Tensor, "p p"]) -> Float[Tensor, "p *rest"]:
    """Values along axis 0 from their coefficients."""
    # BEGIN SOLUTION: contract the basis' rows with axis 0 of the coefficients (1 line)
    return einops.einsum(basis, coefficients, "k x, k ... -> x ...")
    # END SOLUTION


def keep_frequencies(values: Float[Tensor, "p *rest"], basis: Float[Tensor, "p p"], frequencies: list[int]) -> Float[Tensor, "p *rest"]:
    """Only the cos and sin parts of the given frequencies (from 1)."""
    # BEGIN SOLUTION: rows 2k - 1 and 2k of the coefficients survive, the others become 0 (about 5 lines)
    coefficients = fourier_transform(values, basis)
    keep = [row for k in frequencies for row in (2 * k - 1, 2 * k)]
    kept = coefficients.new_zeros(coefficients.shape)
    kept[keep] = coefficients[keep]
    return inverse_fourier_transform(kept, basis)
    # END SOLUTION
