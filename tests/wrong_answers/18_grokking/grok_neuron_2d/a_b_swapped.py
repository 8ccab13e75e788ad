# MISTAKE: neuron_grid puts b on the first axis
# NAMED: a and b are swapped
"""The neurons over every input, and their 2D Fourier transform.

Goal: the model's only input is a pair (a, b), so a neuron's activation at the `=` position is
a function on the p x p grid. Lay every neuron out that way, then transform **both** axes
with the Fourier basis: entry [i, j] of the result is the coefficient of (basis row i of a) x
(basis row j of b), e.g. [cos 7 of a, cos 7 of b].

1. `neuron_grid(post)`: the activations of all p² inputs in the row order of
   `zoo.grokking.all_pairs()` (row a * p + b) as [p * p, d_mlp] -> [a, b, d_mlp].
2. `fourier_transform_2d(grid, basis)`: [p, p, ...] -> [p, p, ...], the coefficients along
   axis 0 (a) **and** axis 1 (b): B @ grid @ B.T for every trailing index.
(One einsum with the basis twice is correct too, but torch may contract it in a slow order.)
3. `mean_power(spectrum)`: [p, p], the squared coefficients averaged over the trailing axis
   (over neurons): where in the 2D spectrum the neurons' variance sits.

`post` is what `model.run_with_cache(all_pairs tokens)` caches as `cache["post", 0][:, -1]`; the
checks hand it to you already computed (a forward over all 12 769 pairs takes a while).

Rules: torch/einops; no `torch.fft` (the checks use it).

Worked example (p = 3, one neuron that is 1 everywhere): its 2D transform has a single
non-zero entry, [const, const] = 3 (= sqrt(3) * sqrt(3)).
"""

import einops
from jaxtyping import Float
from torch import Tensor


def neuron_grid(post: Float[Tensor, "pairs d_mlp"]) -> Float[Tensor, "a b d_mlp"]:
    """[p * p, d_mlp] in all_pairs order (row a * p + b) -> [a, b, d_mlp]."""
    # BEGIN SOLUTION: p = sqrt of the number of rows; rearrange "(a b) n -> a b n" (2 lines)
    p = round(post.shape[0] ** 0.5)
    return einops.rearrange(post, "(b a) n -> a b n", a=p, b=p)
    # END SOLUTION


def fourier_transform_2d(grid: Float[Tensor, "a b *rest"], basis: Float[Tensor, "p p"]) -> Float[Tensor, "i j *rest"]:
    """Coefficients along both number axes."""
    # BEGIN SOLUTION: transform axis a, then axis b: two einsums (2 lines)
    along_a = einops.einsum(basis, grid, "i a, a b ... -> i b ...")
    return einops.einsum(basis, along_a, "j b, i b ... -> i j ...")
    # END SOLUTION


def mean_power(spectrum: Float[Tensor, "i j n"]) -> Float[Tensor, "i j"]:
    """Squared coefficients averaged over the last axis."""
    # BEGIN SOLUTION: (1 line)
    return spectrum.pow(2).mean(dim=-1)
    # END SOLUTION
