import math

import pytest
import torch

from arena_cli.testing import assert_close, load_exercise, mistake, show_bars
from arena_cli.zoo import grokking as G

ex = load_exercise(__file__)
P = G.P


def test_coefficients_match_rfft(model, basis):
    got = ex.embedding_coefficients(model, basis)
    e = model.W_E[:P].double()
    spectrum = torch.fft.rfft(e, dim=0)
    want = torch.cat([spectrum[:1].real / math.sqrt(P),
                      torch.stack([spectrum[1:].real, -spectrum[1:].imag], 1).flatten(0, 1) * math.sqrt(2 / P)]).float()
    assert_close(got, want, atol=1e-4, name="coefficients of W_E[:p] [p, d_model] vs torch.fft.rfft along the number axis",
                 mistakes={"that is the inverse transform (B.T @ W_E): the coefficients are B @ W_E[:p]": lambda: basis.T @ model.W_E[:P],
                           })


def test_frequency_norms_match_the_zoo(model, basis):
    coefficients = basis @ model.W_E[:P]
    got = ex.frequency_norms(coefficients)
    # zoo.grokking.frequency_norms uses the unnormalised rfft: |rfft|^2 = (p / 2) (cos^2 + sin^2)
    want = G.frequency_norms(model.W_E[:P]) * 2 / P
    power = coefficients.pow(2).sum(-1)
    assert_close(got, want, atol=1e-3, rtol=1e-4, name="frequency_norms [56] vs zoo.grokking.frequency_norms (rescaled to the orthonormal basis)",
                 mistakes={"the rows are paired wrongly: frequency k is rows 2k-1 (cos) and 2k (sin), the constant row 0 is left out":
                               lambda: power[0:-1:2] + power[1::2],
                           "the norms are not squared: square the coefficients before summing":
                               lambda: coefficients[1::2].norm(dim=-1) + coefficients[2::2].norm(dim=-1),
                           "cos and sin must be added, not only the cos rows": lambda: power[1::2]})
    show_bars([str(k) for k in range(1, P // 2 + 1)], got.tolist(), title="embedding norm per frequency",
              x_label="frequency", y_label="squared norm")


def test_worked_example():
    coefficients = torch.tensor([[9.0], [1.0], [2.0], [0.0], [3.0]])
    assert_close(ex.frequency_norms(coefficients), torch.tensor([5.0, 9.0]), name="frequency_norms of the worked example")
    frequencies, share = ex.key_frequencies(torch.tensor([5.0, 9.0]), 1)
    assert frequencies == [2] and abs(share - 9 / 14) < 1e-6, f"key_frequencies([5, 9], 1) = {frequencies, share}, expected ([2], 0.643)"


@pytest.mark.parametrize("k", [3, 5], ids=["k3", "k5"])
def test_key_frequencies_match_the_zoo(model, basis, k):
    norms = G.frequency_norms(model.W_E[:P]) * 2 / P
    want, want_share = G.key_frequencies(model.W_E[:P], k)
    got, share = ex.key_frequencies(norms, k)
    if got != want:
        if got == [f - 1 for f in want]:
            raise mistake("frequencies count from 1: entry i of the norms is frequency i + 1", f"got {got}, expected {want}")
        raise AssertionError(f"key_frequencies(norms, {k}) = {got}, expected {want} (sorted, from 1)")
    assert_close(share, want_share, atol=1e-4, name=f"share of the norm in the top {k}",
                 mistakes={"the share is of the total norm (all frequencies), not of the largest one": float(norms.topk(k).values.sum() / norms.max())})
    if k == 5:
        assert share > 0.6, f"the top 5 frequencies should hold most of the embedding norm, got {share:.2f}"
