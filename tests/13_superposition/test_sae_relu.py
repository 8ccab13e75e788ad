import pytest
import torch

from arena_cli.course.superposition import random_sae_params, step_input, to_saelens
from arena_cli.testing import assert_close, assert_unchanged, load_exercise

ex = load_exercise(__file__)

D_IN, D_SAE, L1 = 4, 12, 0.3


def learner_and_oracles(seed, l1=L1):
    g = torch.Generator().manual_seed(seed)
    params = random_sae_params("standard", D_IN, D_SAE, g)
    sae = ex.ReLUSAE(D_IN, D_SAE, l1, torch.Generator().manual_seed(0))
    sae.load_state_dict(params)  # SAELens' names: W_enc, b_enc, W_dec, b_dec
    x = torch.randn(64, D_IN, generator=g) * 0.8 + 0.2
    return sae, params, x


@pytest.mark.parametrize("seed", [0, 1])
def test_encode_and_decode_match_saelens_standard_sae(seed):
    sae, params, x = learner_and_oracles(seed)
    oracle = to_saelens("standard", params)
    no_b_dec = to_saelens("standard", params, apply_b_dec_to_input=False)
    before = x.clone()
    with torch.no_grad():
        z = sae.encode(x)
        assert_unchanged(before, x, name="x")
        pre = (x - params["b_dec"]) @ params["W_enc"] + params["b_enc"]
        assert_close(z, oracle.encode(x), atol=1e-5, name="encode(x) vs SAELens StandardSAE.encode", mistakes={
            "the decoder bias is not subtracted before encoding: z = ReLU((x − b_dec) W_enc + b_enc)": lambda: no_b_dec.encode(x),
            "the ReLU is missing in encode": pre,
            "b_dec is added instead of subtracted before encoding":
                lambda: torch.relu((x + params["b_dec"]) @ params["W_enc"] + params["b_enc"]),
        })
        z_in = oracle.encode(x)
        assert_close(sae.decode(z_in), oracle.decode(z_in), atol=1e-5, name="decode(z) vs SAELens StandardSAE.decode", mistakes={
            "b_dec is not added back in decode": lambda: z_in @ params["W_dec"],
        })
        assert_close(sae(x), oracle(x), atol=1e-5, name="forward (decode(encode(x))) vs SAELens")


@pytest.mark.parametrize("l1", [0.3, 2.0])
def test_losses_match_saelens_standard_training_sae(l1):
    sae, params, x = learner_and_oracles(2, l1)
    oracle = to_saelens("standard", params, training=True, l1_coefficient=l1)
    want = oracle.training_forward_pass(step_input(x, {"l1": l1}))
    got = sae.training_losses(x)
    assert set(got) >= {"mse_loss", "l1_loss", "loss"}, f"training_losses must return mse_loss, l1_loss and loss; got {sorted(got)}"
    for key in ("mse_loss", "l1_loss", "loss"):
        assert got[key].shape == (), f"{key} must be a scalar, got shape {tuple(got[key].shape)}"
    with torch.no_grad():
        z = oracle.encode(x)
        x_hat = oracle.decode(z)
        pre = (x - params["b_dec"]) @ params["W_enc"] + params["b_enc"]
        norms = params["W_dec"].norm(dim=1)
        assert_close(got["mse_loss"], want.losses["mse_loss"], atol=1e-5, name="mse_loss vs SAELens", mistakes={
            "the squared error is averaged over d_in too: sum it over d_in, average over the batch": ((x_hat - x) ** 2).mean(),
        })
        assert_close(got["l1_loss"], want.losses["l1_loss"], atol=1e-5, name=f"l1_loss (coefficient {l1}) vs SAELens", mistakes={
            "the L1 penalty is taken on the pre-activations: penalise the latents z = ReLU(pre)":
                l1 * (pre.abs() * norms).sum(-1).mean(),
            "the L1 penalty is not weighted by the decoder rows' norms ‖W_dec[j]‖": l1 * z.sum(-1).mean(),
            "the L1 coefficient is missing": (z * norms).sum(-1).mean(),
        })
        assert_close(got["loss"], want.loss, atol=1e-5, name="loss (mse + l1) vs SAELens")


def test_gradients_match_saelens():
    sae, params, x = learner_and_oracles(3)
    oracle = to_saelens("standard", params, training=True, l1_coefficient=L1)
    oracle.training_forward_pass(step_input(x, {"l1": L1})).loss.backward()
    sae.training_losses(x)["loss"].backward()
    for name, p in sae.named_parameters():
        assert p.grad is not None, f"no gradient reached {name}: compute the losses from the parameters without detaching"
        assert_close(p.grad, getattr(oracle, name).grad, atol=1e-5, name=f"gradient of the loss w.r.t. {name} vs SAELens")


def test_worked_example():
    sae = ex.ReLUSAE(1, 2, 0.5, torch.Generator().manual_seed(0))
    sae.load_state_dict({"W_enc": torch.tensor([[1.0, -1.0]]), "b_enc": torch.zeros(2), "W_dec": torch.tensor([[2.0], [1.0]]),
                         "b_dec": torch.tensor([1.0])})
    x = torch.tensor([[3.0]])
    losses = sae.training_losses(x)
    assert_close(sae(x), torch.tensor([[5.0]]), name="worked example x̂")
    assert_close(losses["mse_loss"], 4.0, name="worked example mse_loss")
    assert_close(losses["l1_loss"], 2.0, name="worked example l1_loss (coefficient 0.5)")
