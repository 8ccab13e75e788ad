# MISTAKE: pairs rows (0,1), (2,3), ...: the constant with cos 1
# NAMED: the rows are paired wrongly
"""The embedding, seen in the Fourier basis: a few frequencies carry it.

Goal: the zoo's `grokking` model reads the tokens `a b =` and predicts (a + b) mod 113. Its
number embeddings `W_E[:p]` ([p, d_model]; row p is `=`, leave it out) are d_model functions
of the number. In the Fourier basis (grok_fourier_basis, [p, p]) most of their norm sits on a
handful of frequencies: the model has learnt to represent each number by a few waves.

1. `embedding_coefficients(model, basis)`: the Fourier coefficients of W_E[:p] along the
   number axis, [p, d_model] (row i is basis row i: const, cos 1, sin 1, …).
2. `frequency_norms(coefficients)`: [p // 2], the squared norm of each frequency k = 1 … 56:
   the cos row and the sin row together (entry k - 1 is frequency k; the constant left out).
3. `key_frequencies(norms, k)`: the k frequencies with the largest norms (counted from 1, in
   increasing order) and the share of the total (frequency > 0) norm they hold.

Rules: torch; no `torch.fft` (the checks use it), no `arena_cli.zoo.grokking.frequency_norms`
or `key_frequencies` (the checks compare with them).

Worked example (p = 5: 2 frequencies): coefficients rows [const, cos1, sin1, cos2, sin2] of
[[9], [1], [2], [0], [3]] give norms [1 + 4, 0 + 9] = [5, 9]; key_frequencies(norms, 1) =
([2], 9 / 14).
"""

import einops
from jaxtyping import Float
from torch import Tensor


def embedding_coefficients(model, basis: Float[Tensor, "p p"]) -> Float[Tensor, "p d_model"]:
    """Fourier coefficients of the number embeddings along the number axis."""
    # BEGIN SOLUTION: W_E without its last row, transformed along axis 0 (2 lines)
    p = basis.shape[0]
    return einops.einsum(basis, model.W_E[:p], "k x, x d -> k d")
    # END SOLUTION


def frequency_norms(coefficients: Float[Tensor, "p d"]) -> Float[Tensor, " half"]:
    """Squared norm per frequency 1 … p // 2 (cos and sin rows together)."""
    # BEGIN SOLUTION: square, sum over d; then rows 1::2 plus rows 2::2 (2 lines)
    power = coefficients.pow(2).sum(dim=-1)  # [p]
    return power[0:-1:2] + power[1::2]
    # END SOLUTION


def key_frequencies(norms: Float[Tensor, " half"], k: int) -> tuple[list[int], float]:
    """The k strongest frequencies (from 1, sorted) and their share of the norm."""
    # BEGIN SOLUTION: topk; indices + 1; share = their sum over the total (3 lines)
    top = norms.topk(k)
    frequencies = sorted(int(i) + 1 for i in top.indices)
    return frequencies, float(top.values.sum() / norms.sum())
    # END SOLUTION
