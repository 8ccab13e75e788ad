import pytest
import torch

from arena_cli.testing import assert_close, assert_unchanged, load_exercise, mistake, show_bars

ex = load_exercise(__file__)

SPARSITY = torch.tensor([0.0, 0.5, 0.9, 0.99])


def draws(seed, batch, n_inst, n_feat):
    """The two draws the rules name, replayed from a fresh generator of the same seed."""
    g = torch.Generator().manual_seed(seed)
    shape = (batch, n_inst, n_feat)
    return torch.rand(shape, generator=g), torch.rand(shape, generator=g)


@pytest.mark.parametrize("n_features, decay", [(5, 0.9), (8, 0.5), (3, 1.0)], ids=["decay_0.9", "decay_0.5", "uniform"])
def test_importance_is_decay_to_the_power_i(n_features, decay):
    expected = torch.tensor([decay**i for i in range(n_features)], dtype=torch.float32)
    got = ex.feature_importance(n_features, decay)
    assert_close(got, expected, atol=1e-7, name=f"feature_importance({n_features}, {decay})", check_dtype=True, mistakes={
        "the powers start at 1: the first feature must have importance decay ** 0 = 1": expected * decay,
        "importance decreasing linearly (1 - decay * i) instead of geometrically (decay ** i)":
            lambda: 1 - decay * torch.arange(n_features, dtype=torch.float32),
    })


@pytest.mark.parametrize("seed, batch, n_feat", [(0, 64, 5), (1, 200, 3), (7, 1, 12)], ids=["64x5", "200x3", "one_row"])
def test_batch_replays_the_two_draws(seed, batch, n_feat):
    values, coins = draws(seed, batch, len(SPARSITY), n_feat)
    expected = values * (coins >= SPARSITY[:, None])
    sparsity = SPARSITY.clone()
    got = ex.generate_batch(batch, sparsity, n_feat, torch.Generator().manual_seed(seed))
    assert_unchanged(SPARSITY, sparsity, name="sparsity")
    assert_close(got, expected, atol=0, name=f"generate_batch({batch}, S={SPARSITY.tolist()}, {n_feat})", mistakes={
        "sparsity read as the probability of being NON-zero: a feature is zero with probability S, so keep it where draw >= S":
            values * (coins < SPARSITY[:, None]),
        "the draws taken in the other order: first the values, then the coins": coins * (values >= SPARSITY[:, None]),
        "one coin per instance and batch row, shared by all features: every feature needs its own draw":
            values * (coins[..., :1] >= SPARSITY[:, None]),
        "values in [-1, 1]: features are uniform in [0, 1]": (2 * values - 1) * (coins >= SPARSITY[:, None]),
    })


def test_zero_fraction_follows_the_sparsity_of_each_instance():
    # independent of the draw order: over 20 000 features per instance, the fraction of zeros is S
    sparsity = torch.tensor([0.1, 0.3, 0.6, 0.95])
    batch = ex.generate_batch(4000, sparsity, 5, torch.Generator().manual_seed(3))
    assert tuple(batch.shape) == (4000, 4, 5), f"expected shape (batch 4000, inst 4, feat 5), got {tuple(batch.shape)}"
    zeros = (batch == 0).float().mean(dim=(0, 2))
    show_bars([f"S={s:g}" for s in sparsity.tolist()], zeros, title="fraction of zero features per instance",
              x_label="instance", y_label="P(x = 0)")
    if torch.allclose(zeros, 1 - sparsity, atol=0.02):
        raise mistake("sparsity read as the probability of being NON-zero", f"fraction of zeros per instance {zeros.tolist()}")
    assert_close(zeros, sparsity, atol=0.02, name="fraction of zero features per instance (should be its sparsity)")
    nonzero = batch[batch > 0]
    assert float(nonzero.min()) >= 0 and float(nonzero.max()) <= 1, "non-zero features must lie in [0, 1]"
    assert_close(nonzero.mean(), 0.5, atol=0.02, name="mean of the non-zero features (uniform in [0, 1])")
