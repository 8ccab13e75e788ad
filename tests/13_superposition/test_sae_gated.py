import math

import pytest
import torch

from arena_cli.course.superposition import random_sae_params, step_input, to_saelens
from arena_cli.testing import assert_close, assert_unchanged, load_exercise

ex = load_exercise(__file__)

D_IN, D_SAE = 4, 12


def setup(seed, l1=0.4):
    g = torch.Generator().manual_seed(seed)
    params = random_sae_params("gated", D_IN, D_SAE, g)
    sae = ex.GatedSAE(D_IN, D_SAE, l1)
    sae.load_state_dict(params)
    x = torch.randn(64, D_IN, generator=g) + 0.3
    return sae, params, x


@pytest.mark.parametrize("seed", [0, 1])
def test_encode_matches_saelens_gated_sae(seed):
    sae, p, x = setup(seed)
    oracle = to_saelens("gated", p)
    before = x.clone()
    with torch.no_grad():
        got = sae.encode(x)
        assert_unchanged(before, x, name="x")
        c = x - p["b_dec"]
        gate, mag = c @ p["W_enc"] + p["b_gate"], c @ (p["W_enc"] * p["r_mag"].exp()) + p["b_mag"]
        assert_close(got, oracle.encode(x), atol=1e-5, name="encode(x) vs SAELens GatedSAE.encode", mistakes={
            "the decoder bias is not subtracted before encoding": lambda: to_saelens("gated", p, apply_b_dec_to_input=False).encode(x),
            "the magnitude path uses W_enc * r_mag: the shared weights are rescaled by exp(r_mag)":
                (gate > 0) * torch.relu(c @ (p["W_enc"] * p["r_mag"]) + p["b_mag"]),
            "the magnitude path has no ReLU: z = 1[π_gate > 0] ReLU(π_mag)": (gate > 0) * mag,
            "the gate is ReLU(π_gate) instead of the step 1[π_gate > 0]": torch.relu(gate) * torch.relu(mag),
            "the magnitude path uses b_gate: it has its own bias b_mag":
                (gate > 0) * torch.relu(c @ (p["W_enc"] * p["r_mag"].exp()) + p["b_gate"]),
        })
        assert_close(sae(x), oracle(x), atol=1e-5, name="forward vs SAELens GatedSAE")


@pytest.mark.parametrize("l1", [0.4, 1.5])
def test_losses_match_saelens_gated_training_sae(l1):
    sae, p, x = setup(2, l1)
    oracle = to_saelens("gated", p, training=True, l1_coefficient=l1)
    want = oracle.training_forward_pass(step_input(x, {"l1": l1}))
    got = sae.training_losses(x)
    keys = ("mse_loss", "l1_loss", "auxiliary_reconstruction_loss")
    assert set(got) >= {*keys, "loss"}, f"training_losses must return {keys} and loss; got {sorted(got)}"
    with torch.no_grad():
        c = x - p["b_dec"]
        gate = c @ p["W_enc"] + p["b_gate"]
        z = oracle.encode(x)
        norms = p["W_dec"].norm(dim=1)
        assert_close(got["mse_loss"], want.losses["mse_loss"], atol=1e-5, name="mse_loss vs SAELens")
        assert_close(got["l1_loss"], want.losses["l1_loss"], atol=1e-5, name=f"l1_loss (coefficient {l1}) vs SAELens", mistakes={
            "the L1 penalty is on z: in a gated SAE it is on the gate's ReLU(π_gate)": l1 * (z * norms).sum(-1).mean(),
            "the L1 penalty is on the raw gate pre-activations: take ReLU(π_gate)": l1 * (gate.abs() * norms).sum(-1).mean(),
            "the L1 penalty is not weighted by the decoder rows' norms": l1 * torch.relu(gate).sum(-1).mean(),
        })
        assert_close(got["auxiliary_reconstruction_loss"], want.losses["auxiliary_reconstruction_loss"], atol=1e-5,
                     name="auxiliary_reconstruction_loss vs SAELens", mistakes={
            "the auxiliary reconstruction leaves out b_dec: ReLU(π_gate) W_dec + b_dec": ((torch.relu(gate) @ p["W_dec"] - x) ** 2).sum(-1).mean(),
            "the auxiliary reconstruction uses z: it reconstructs from the gate, ReLU(π_gate)":
                ((z @ p["W_dec"] + p["b_dec"] - x) ** 2).sum(-1).mean(),
        })
        assert_close(got["loss"], want.loss, atol=1e-5, name="loss (sum of the three) vs SAELens")


def grads_with_detached_aux_decoder(p, x, l1):
    """The gradients of a known mistake: the auxiliary loss uses a detached W_dec and b_dec."""
    q = {k: v.detach().clone().requires_grad_(True) for k, v in p.items()}
    c = x - q["b_dec"]
    gate = torch.relu(c @ q["W_enc"] + q["b_gate"])
    z = (c @ q["W_enc"] + q["b_gate"] > 0) * torch.relu(c @ (q["W_enc"] * q["r_mag"].exp()) + q["b_mag"])
    mse = ((z @ q["W_dec"] + q["b_dec"] - x) ** 2).sum(-1).mean()
    l1_loss = l1 * (gate * q["W_dec"].norm(dim=1)).sum(-1).mean()
    aux = ((gate @ q["W_dec"].detach() + q["b_dec"].detach() - x) ** 2).sum(-1).mean()
    (mse + l1_loss + aux).backward()
    return {k: v.grad if v.grad is not None else torch.zeros_like(v) for k, v in q.items()}


def test_gradients_match_saelens():
    sae, p, x = setup(3)
    oracle = to_saelens("gated", p, training=True, l1_coefficient=0.4)
    oracle.training_forward_pass(step_input(x, {"l1": 0.4})).loss.backward()
    sae.training_losses(x)["loss"].backward()
    detached = grads_with_detached_aux_decoder(p, x, 0.4)
    for name, param in sae.named_parameters():
        assert param.grad is not None, f"no gradient reached {name}"
        assert_close(param.grad, getattr(oracle, name).grad, atol=1e-4, name=f"gradient w.r.t. {name} vs SAELens", mistakes={
            "the auxiliary loss uses a detached decoder (the Gated SAE paper's choice); SAELens, the oracle here, "
            "lets its gradient reach W_dec and b_dec": detached[name]})


def test_worked_example():
    sae = ex.GatedSAE(1, 1, 0.1)
    sae.load_state_dict({"W_enc": torch.tensor([[1.0]]), "b_gate": torch.zeros(1), "r_mag": torch.tensor([math.log(2)]),
                         "b_mag": torch.tensor([-1.0]), "W_dec": torch.tensor([[1.0]]), "b_dec": torch.zeros(1)})
    assert_close(sae.encode(torch.tensor([[3.0]])), torch.tensor([[5.0]]), atol=1e-6, name="worked example z")
