import pytest
import torch

from arena_cli.course import sae_interp as si
from arena_cli.testing import assert_close, assert_unchanged, load_exercise, mistake, show_bars
from arena_cli.zoo import load
from arena_cli.zoo.othello_saes import load_sae

ex = load_exercise(__file__)
model = load("othello")
TOKENS = si.model_input(si.games(48, seed=5))


def saelens_losses(sae, tokens):
    """SAELens' own evaluation (sae_lens.evals.get_recons_loss): per-token losses, averaged."""
    from sae_lens.evals import get_recons_loss
    from sae_lens.training.activation_scaler import ActivationScaler

    out = get_recons_loss(sae, model, ActivationScaler(), tokens, compute_kl=False, compute_ce_loss=True)
    clean, spliced, zero = (float(out[k].mean()) for k in ("ce_loss_without_sae", "ce_loss_with_sae", "ce_loss_with_ablation"))
    return dict(clean=clean, spliced=spliced, zero=zero, recovered=(zero - spliced) / (zero - clean))


def test_l0_and_explained_variance():
    g = torch.Generator().manual_seed(0)
    acts = torch.relu(torch.randn(50, 30, generator=g) - 0.5)
    x = torch.randn(50, 8, generator=g) * 3 + 5  # far from zero mean: the mean matters
    x_hat = x + 0.7 * torch.randn(50, 8, generator=g)
    copies = acts.clone(), x.clone(), x_hat.clone()
    got_l0 = ex.l0(acts)
    got_ev = ex.explained_variance(x, x_hat)
    for before, arg, name in zip(copies, (acts, x, x_hat), ("acts", "x", "x_hat")):
        assert_unchanged(before, arg, name=name)
    assert_close(got_l0, (acts > 0).sum() / 50, name="L0", mistakes={
        "L0 is the mean count of active latents per position, not the fraction of latents active": (acts > 0).float().mean(),
        "L0 counts active latents, not the sum of their activations": acts.sum(-1).mean()})
    resid = (x - x_hat).pow(2).sum()
    assert_close(got_ev, 1 - resid / (x - x.mean(0)).pow(2).sum(), atol=1e-5, name="explained variance", mistakes={
        "the total sum of squares is taken about 0, not about the mean activation": 1 - resid / x.pow(2).sum(),
        "this is the fraction of variance unexplained; explained variance is 1 minus it": resid / (x - x.mean(0)).pow(2).sum()})


@pytest.mark.parametrize("name", ["resid2", "resid3_narrow"])
def test_losses_match_saelens_evaluation(name):
    sae = load_sae(name)
    before = TOKENS.clone()
    got = ex.spliced_losses(model, sae, TOKENS)
    assert_unchanged(before, TOKENS, name="tokens")
    left = [n for n, hp in model.hook_dict.items() if hp.fwd_hooks]
    if left:
        raise mistake("hooks are left on the model after the call; use run_with_hooks", f"still hooked: {left}")
    expected = saelens_losses(sae, TOKENS)
    for key in ("clean", "spliced", "zero"):
        assert_close(torch.tensor(got[key]), torch.tensor(expected[key]), atol=1e-4, name=f"{key} loss", mistakes={
            "the clean and zero-ablated losses are swapped": torch.tensor(expected[{"clean": "zero", "zero": "clean"}.get(key, key)]),
        })
    r = expected["recovered"]
    c, s, z = expected["clean"], expected["spliced"], expected["zero"]
    assert_close(torch.tensor(got["recovered"]), torch.tensor(r), atol=1e-4, name="loss recovered", mistakes={
        "clean and zero-ablation losses are swapped in the ratio: recovered = (zero − spliced) / (zero − clean)": torch.tensor((c - s) / (c - z)),
        "the ratio is the loss lost, (spliced − clean) / (zero − clean); recovered is 1 minus that": torch.tensor((s - c) / (z - c)),
    })
    show_bars(["clean", "SAE spliced", "zero-ablated"], [c, s, z], title=f"{name}: next-move loss (recovered {r:.3f})", y_label="cross-entropy")
