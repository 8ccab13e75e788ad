# MISTAKE: cluster_sizes ignores the threshold
# NAMED: cluster_sizes ignored the threshold
"""Each neuron listens to one frequency.

Goal: take the 2D Fourier spectrum of every neuron (grok_neuron_2d: [i, j, neuron], rows the
basis of a, columns the basis of b, both ordered const, cos 1, sin 1, …). For a frequency k,
the entries that **belong to k** are those whose row and column are both among
{const, cos k, sin k}, except [const, const] (the neuron's mean, which no frequency owns):

    [const, cos k], [const, sin k], [cos k, const], [sin k, const]       terms in b or in a alone
    [cos k, cos k], [cos k, sin k], [sin k, cos k], [sin k, sin k]       products of a and b

1. `frequency_fractions(spectrum)`: [p // 2, neuron], for k = 1 … 56 (entry k - 1), the share
   of each neuron's variance (its squared coefficients, [const, const] left out) that sits in
   the entries belonging to k.
2. `neuron_frequencies(spectrum)`: (frequency [neuron], counted from 1; fraction [neuron]) of the
   frequency that explains each neuron best.
3. `cluster_sizes(frequency, fraction, threshold)`: {k: how many neurons have frequency k and
   a fraction above `threshold`}, only frequencies with at least one such neuron.

In the trained model almost every neuron is explained at more than 80 % by one frequency, and
the neurons fall into a few clusters, one per key frequency.

Rules: torch; plain Python for the dictionary.

Worked example (p = 5, one neuron, spectrum 5 x 5 with [0, 0] = 7, [1, 1] = 3, [0, 3] = 1,
everything else 0): frequency 1 owns 9 of 10, frequency 2 owns 1 of 10; so the neuron's
frequency is 1, with fraction 0.9.
"""

import torch
from jaxtyping import Float, Int
from torch import Tensor


def frequency_fractions(spectrum: Float[Tensor, "i j neuron"]) -> Float[Tensor, "half neuron"]:
    """Share of each neuron's variance owned by each frequency 1 … p // 2."""
    # BEGIN SOLUTION: squared coefficients; total without [0, 0]; for each k the 3 x 3 block of rows/cols [0, 2k-1, 2k] minus [0, 0] (about 8 lines)
    power = spectrum.pow(2)
    total = power.sum(dim=(0, 1)) - power[0, 0]
    fractions = []
    for k in range(1, spectrum.shape[0] // 2 + 1):
        rows = [0, 2 * k - 1, 2 * k]
        owned = power[rows][:, rows].sum(dim=(0, 1)) - power[0, 0]
        fractions.append(owned / total)
    return torch.stack(fractions)
    # END SOLUTION


def neuron_frequencies(spectrum: Float[Tensor, "i j neuron"]) -> tuple[Int[Tensor, " neuron"], Float[Tensor, " neuron"]]:
    """The best frequency of each neuron (from 1) and the share it explains."""
    # BEGIN SOLUTION: max over the frequency axis; indices + 1 (2 lines)
    fraction, index = frequency_fractions(spectrum).max(dim=0)
    return index + 1, fraction
    # END SOLUTION


def cluster_sizes(frequency: Int[Tensor, " neuron"], fraction: Float[Tensor, " neuron"], threshold: float = 0.5) -> dict[int, int]:
    """How many well-explained neurons each frequency has."""
    # BEGIN SOLUTION: keep the neurons above the threshold, count their frequencies (about 3 lines)
    kept = frequency
    values, counts = kept.unique(return_counts=True)
    return {int(k): int(n) for k, n in zip(values, counts)}
    # END SOLUTION
