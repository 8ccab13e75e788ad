import pytest
import torch

from arena_cli.testing import assert_close, load_exercise, mistake, show_bars
from arena_cli.zoo import grokking as G

ex = load_exercise(__file__)
P = G.P


@pytest.fixture(scope="module")
def spectrum(final_forward, basis):
    """The 2D spectrum of all 512 neurons, via torch.fft-derived basis: [i, j, neuron]."""
    grid = final_forward[1].view(P, P, -1)
    along_a = torch.einsum("ia,ab...->ib...", basis, grid)
    return torch.einsum("jb,ib...->ij...", basis, along_a)


def reference(spectrum, *, include_mean=False, products_only=False, linear_only=False):
    power = spectrum.pow(2)
    total = power.sum((0, 1)) - (0 if include_mean else power[0, 0])
    out = []
    for k in range(1, P // 2 + 1):
        rows = [0, 2 * k - 1, 2 * k]
        block = power[rows][:, rows].clone()
        block[0, 0] = 0
        if products_only:
            block[0, :] = 0
            block[:, 0] = 0
        if linear_only:
            block[1:, 1:] = 0
        out.append(block.sum((0, 1)) / total)
    return torch.stack(out)


def test_fractions(spectrum):
    want = reference(spectrum)
    got = ex.frequency_fractions(spectrum)
    assert_close(got, want, atol=1e-4, name="frequency_fractions [56, 512]",
                 mistakes={"the neuron's mean [const, const] is in the total: leave it out of both": lambda: reference(spectrum, include_mean=True),
                           "only the products [cos/sin k, cos/sin k] count: the terms with the constant (a or b alone) belong to k too":
                               lambda: reference(spectrum, products_only=True),
                           "only the terms in a or b alone count: the products of a and b belong to k too":
                               lambda: reference(spectrum, linear_only=True)})


def test_worked_example():
    s = torch.zeros(5, 5, 1)
    s[0, 0, 0], s[1, 1, 0], s[0, 3, 0] = 7.0, 3.0, 1.0
    frequency, fraction = ex.neuron_frequencies(s)
    assert int(frequency[0]) == 1 and abs(float(fraction[0]) - 0.9) < 1e-6, (
        f"worked example: got frequency {int(frequency[0])}, fraction {float(fraction[0]):.3f}; expected 1, 0.9")


def test_neuron_frequencies_and_clusters(spectrum, keys):
    fractions = reference(spectrum)
    want_fraction, index = fractions.max(0)
    want = index + 1
    frequency, fraction = ex.neuron_frequencies(spectrum)
    if torch.equal(frequency.long(), index.long()):
        raise mistake("frequencies count from 1: entry k - 1 of the fractions is frequency k")
    assert_close(frequency.long(), want, name="best frequency of each neuron")
    assert_close(fraction, want_fraction, atol=1e-4, name="fraction explained by the best frequency")
    for threshold in (0.5, 0.9):
        kept = want[want_fraction > threshold]
        want_sizes = {int(k): int((kept == k).sum()) for k in kept.unique()}
        got = ex.cluster_sizes(frequency, fraction, threshold)
        every = {int(k): int((want == k).sum()) for k in want.unique()}
        if got != want_sizes and got == every:
            raise mistake("cluster_sizes ignored the threshold: count only the neurons whose fraction is > threshold",
                          f"cluster_sizes(threshold={threshold}) = {got}, expected {want_sizes}")
        assert got == want_sizes, f"cluster_sizes(threshold={threshold}) = {got}, expected {want_sizes}"
    sizes = ex.cluster_sizes(frequency, fraction, 0.5)
    show_bars([f"k={k}" for k in sizes], list(sizes.values()), title="neurons per frequency (fraction > 0.5)", y_label="neurons")
    big = {k for k, n in sizes.items() if n >= 50}
    assert big <= set(keys) and len(big) >= 3, f"the large neuron clusters {sorted(big)} should be key frequencies of the embedding {keys}"
    assert float(want_fraction.median()) > 0.8
