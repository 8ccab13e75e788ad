import math

import pytest
import torch

from arena_cli.testing import assert_close, load_exercise, show_heatmap
from arena_cli.zoo import grokking as G

ex = load_exercise(__file__)
P = G.P


def closed_form(k, p, shift=1):
    a = torch.arange(p, dtype=torch.float64)[:, None]
    b = torch.arange(p, dtype=torch.float64)[None]
    w = 2 * math.pi * k / p
    return torch.cos(w * (a + shift * b)).float(), torch.sin(w * (a + shift * b)).float()


@pytest.mark.parametrize("k,p", [(1, 4), (7, 113), (22, 113), (3, 11)], ids=["k1_p4", "k7_p113", "k22_p113", "k3_p11"])
def test_sum_waves_closed_form(k, p):
    cos, sin = ex.sum_waves(k, p)
    want_cos, want_sin = closed_form(k, p)
    diff_cos, diff_sin = closed_form(k, p, shift=-1)
    assert_close(cos, want_cos, atol=1e-5, name=f"cos(w(a+b)) for k={k}, p={p}",
                 mistakes={"the sign in the cos identity: cos(wa)cos(wb) MINUS sin(wa)sin(wb) (plus gives cos(w(a-b)))": diff_cos,
                           "w = 2 pi k / p: the frequency must be divided by p": lambda: closed_form(k * p, p)[0],
                           "those are the sin and cos swapped": want_sin})
    assert_close(sin, want_sin, atol=1e-5, name=f"sin(w(a+b)) for k={k}, p={p}",
                 mistakes={"the sin identity is sin(wa)cos(wb) PLUS cos(wa)sin(wb) (minus gives sin(w(a-b)))": diff_sin,
                           "those are the cos and sin swapped": want_cos})


def test_the_rule_no_trig_of_the_sum(monkeypatch):
    calls = []
    original = torch.cos

    def watching(x, *args, **kwargs):
        calls.append(tuple(x.shape))
        return original(x, *args, **kwargs)

    monkeypatch.setattr(torch, "cos", watching)
    ex.sum_waves(5, 13)
    assert all(len(shape) <= 1 for shape in calls), (
        f"torch.cos was called on a {max(calls, key=len)} tensor: build the [p, p] waves from 1D waves with the identities")


def reference_r2(x, y):
    x = torch.cat([x.double(), torch.ones(x.shape[0], 1, dtype=torch.float64)], 1)
    y = y.double()[:, None]
    coef = torch.linalg.lstsq(x, y).solution
    return float(1 - (y - x @ coef).pow(2).sum() / (y - y.mean()).pow(2).sum())


def test_readout_r2_on_random_data():
    g = torch.Generator().manual_seed(0)
    x = torch.randn(500, 6, generator=g)
    y = x @ torch.randn(6, generator=g) + 3.0 + 0.5 * torch.randn(500, generator=g)
    want = reference_r2(x, y)
    x_raw = x.double()
    no_bias = torch.linalg.lstsq(x_raw, y.double()[:, None]).solution
    r2_no_bias = float(1 - (y.double()[:, None] - x_raw @ no_bias).pow(2).sum() / (y - y.mean()).double().pow(2).sum())
    assert_close(ex.readout_r2(x, y), want, atol=1e-6, name="R² of a noisy linear target with an offset of 3",
                 mistakes={"the fit has no bias: append a column of ones": r2_no_bias,
                           "R² is 1 - residual / total; that is residual / total": 1 - want})


def test_neurons_of_a_frequency_compute_the_sum_waves(final_forward, basis, keys):
    post = final_forward[1]
    grid = post.view(P, P, -1)
    spectrum = torch.einsum("jb,ib...->ij...", basis, torch.einsum("ia,ab...->ib...", basis, grid)).pow(2)
    total = spectrum.sum((0, 1)) - spectrum[0, 0]
    shares = []
    for k in range(1, P // 2 + 1):
        rows = [0, 2 * k - 1, 2 * k]
        shares.append((spectrum[rows][:, rows].sum((0, 1)) - spectrum[0, 0]) / total)
    share, freq = torch.stack(shares).max(0)
    freq = freq + 1
    rows = torch.arange(0, P * P, 4)  # a quarter of the pairs is plenty for a fit of ~130 neurons
    post = post[rows]
    results = []
    for k in keys:
        mine = (freq == k) & (share > 0.5)
        if int(mine.sum()) < 20:
            continue  # a key frequency of the embedding that few neurons use
        cos, sin = (wave.flatten()[rows] for wave in ex.sum_waves(k, P))
        got = ex.readout_r2(post[:, mine], cos)
        if not results:
            assert_close(got, reference_r2(post[:, mine], cos), atol=1e-4, name=f"R² of cos(w(a+b)), k={k}, from its {int(mine.sum())} neurons")
        got_sin = ex.readout_r2(post[:, mine], sin)
        other = ex.readout_r2(post[:, (freq != k) & (share > 0.5)][:, :40], cos) if not results else 0.0
        results.append((k, got, got_sin, other))
        assert got > 0.9 and got_sin > 0.9, f"the neurons of frequency {k} should reproduce cos and sin of w(a+b) (R² {got:.3f}, {got_sin:.3f})"
        assert other < 0.6, f"40 neurons of other frequencies should not reproduce cos(w(a+b)) for k={k} (R² {other:.3f})"
    assert len(results) >= 3
    k = results[0][0]
    show_heatmap(ex.sum_waves(k, P)[0][:40, :40], list(range(40)), list(range(40)), vmin=-1, vmax=1, scale="diverging",
                 title=f"cos(w(a+b)) for k={k} (a rows, b columns; first 40)")
