import pytest
import torch

from arena_cli.course.superposition import trained_toys
from arena_cli.testing import assert_close, assert_unchanged, load_exercise, show_heatmap

ex = load_exercise(__file__)

SPARSITY = torch.tensor([0.5, 0.8, 0.95])


def replay(seed, batch, n_feat, n_pair_draws):
    g = torch.Generator().manual_seed(seed)
    values = torch.rand(batch, len(SPARSITY), n_feat, generator=g)
    return values, [torch.rand(batch, len(SPARSITY), n_feat // 2, generator=g) for _ in range(n_pair_draws)]


def interleave(a, b):
    return torch.stack([a, b], dim=-1).flatten(-2)


@pytest.mark.parametrize("seed, batch, n_feat", [(0, 50, 4), (1, 7, 10)], ids=["50x4", "7x10"])
def test_correlated_replays_the_draws(seed, batch, n_feat):
    values, (pair,) = replay(seed, batch, n_feat, 1)
    S = SPARSITY[:, None]
    on = pair >= S
    sparsity = SPARSITY.clone()
    got = ex.correlated_batch(batch, sparsity, n_feat, torch.Generator().manual_seed(seed))
    assert_unchanged(SPARSITY, sparsity, name="sparsity")
    assert_close(got, values * interleave(on, on), atol=0, name=f"correlated_batch({batch}, S, {n_feat})", mistakes={
        "the pair mask is repeated with .repeat (0, 1, 0, 1 …) instead of .repeat_interleave: features 2k and 2k+1 share a draw":
            values * on.repeat(1, 1, 2),
        "sparsity read as the probability of being non-zero: the pair is on where its draw is >= S":
            lambda: values * interleave(pair < S, pair < S),
    })


@pytest.mark.parametrize("seed, batch, n_feat", [(2, 50, 4), (3, 9, 8)], ids=["50x4", "9x8"])
def test_anticorrelated_replays_the_draws(seed, batch, n_feat):
    values, (pair, side) = replay(seed, batch, n_feat, 2)
    S = SPARSITY[:, None]
    fires, first = pair < 2 * (1 - S), side < 0.5
    got = ex.anticorrelated_batch(batch, SPARSITY.clone(), n_feat, torch.Generator().manual_seed(seed))
    assert_close(got, values * interleave(fires & first, fires & ~first), atol=0, name=f"anticorrelated_batch({batch}, S, {n_feat})", mistakes={
        "the pair fires with probability 1 - S, so each feature is on only half as often: the pair fires where its draw is < 2 (1 - S)":
            values * interleave((pair < 1 - S) & first, (pair < 1 - S) & ~first),
        "the sides are swapped: the FIRST feature of a firing pair is on where the side draw is < 0.5":
            values * interleave(fires & ~first, fires & first),
        "both features of a firing pair are on: at most one may be": values * interleave(fires, fires),
    })


def test_statistics_of_both_generators():
    sparsity = torch.tensor([0.6, 0.9])
    c = ex.correlated_batch(20000, sparsity, 6, torch.Generator().manual_seed(4)) > 0
    a = ex.anticorrelated_batch(20000, sparsity, 6, torch.Generator().manual_seed(5)) > 0
    for name, on in (("correlated", c), ("anticorrelated", a)):
        assert_close(on.float().mean(dim=(0, 2)), 1 - sparsity, atol=0.01, name=f"{name}: P(feature non-zero) per instance (1 - S)")
    assert bool((c[..., 0::2] == c[..., 1::2]).all()), "correlated: the two features of a pair must be on together or off together"
    assert not bool((a[..., 0::2] & a[..., 1::2]).any()), "anticorrelated: the two features of a pair are never on together"
    co = lambda on: (on[:, 1].float().T @ on[:, 1].float()) / on.shape[0]  # noqa: E731 [feat, feat] for S = 0.9
    show_heatmap(co(c), title="correlated: P(i and j both on), S=0.9", vmin=0, vmax=0.1)
    show_heatmap(co(a), title="anticorrelated: P(i and j both on), S=0.9", vmin=0, vmax=0.1)


def test_the_geometry_they_produce():
    # the shipped runs trained 4 features in 2 dimensions on these generators (the reference ones)
    runs = trained_toys()
    for name in ("correlated", "anticorrelated"):
        W = runs[name]["W"][1]  # sparsity 0.95
        show_heatmap(W.T @ W, title=f"WᵀW, {name} pairs (0,1) and (2,3), S=0.95", vmin=-1.1, vmax=1.1, scale="diverging")
    # measured: correlated partners are orthogonal (|W₀·W₁| < 0.05) and antipodal to the other pair;
    # anti-correlated partners are antipodal (W₀·W₁ ≈ −1)
    Wc, Wa = runs["correlated"]["W"][1], runs["anticorrelated"]["W"][1]
    assert abs(float(Wc[:, 0] @ Wc[:, 1])) < 0.05 and float(Wa[:, 0] @ Wa[:, 1]) < -0.9
