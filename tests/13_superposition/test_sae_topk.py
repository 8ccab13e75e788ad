import pytest
import torch
from sae_lens.saes.topk_sae import TopK as OracleTopK

from arena_cli.course.superposition import random_sae_params, step_input, to_saelens
from arena_cli.testing import assert_close, assert_unchanged, load_exercise

ex = load_exercise(__file__)

D_IN, D_SAE = 6, 12


def test_worked_example():
    assert_close(ex.topk_activation(torch.tensor([[0.5, -1.0, 2.0, 0.1]]), 2), torch.tensor([[0.5, 0.0, 2.0, 0.0]]),
                 name="topk_activation, worked example (k = 2)")


@pytest.mark.parametrize("k", [1, 3, 12], ids=["k1", "k3", "k_all"])
def test_topk_activation_matches_saelens(k):
    g = torch.Generator().manual_seed(k)
    pre = torch.randn(D_SAE, D_SAE, generator=g)  # square on purpose: a top-k over the batch axis has the right shape
    before = pre.clone()
    got = ex.topk_activation(pre, k)
    assert_unchanged(before, pre, name="pre")
    want = OracleTopK(k)(pre)
    wrong_axis = torch.zeros_like(pre).scatter(0, pre.topk(k, dim=0).indices, pre.topk(k, dim=0).values.relu())
    assert_close(got, want, atol=0, name=f"topk_activation(pre, k={k}) vs SAELens TopK", mistakes={
        "the top k is taken over the batch axis (dim 0): each input keeps its own k largest latents (dim -1)": wrong_axis,
        "the ReLU is missing: the kept values pass through a ReLU (a negative top-k value becomes 0)":
            torch.zeros_like(pre).scatter(-1, pre.topk(k).indices, pre.topk(k).values),
        "the k smallest are kept: topk keeps the largest": torch.zeros_like(pre).scatter(
            -1, pre.topk(k, largest=False).indices, pre.topk(k, largest=False).values.relu()),
        "the pre-activations are ReLU'd and kept whole, without a top k": pre.relu(),
    })


def setup(seed, k):
    g = torch.Generator().manual_seed(seed)
    p = random_sae_params("topk", D_IN, D_SAE, g)
    sae = ex.TopKSAE(D_IN, D_SAE, k)
    sae.load_state_dict(p)
    return sae, p, torch.randn(40, D_IN, generator=g) + 0.3


@pytest.mark.parametrize("k", [2, 5])
def test_encode_decode_match_saelens_topk_sae(k):
    sae, p, x = setup(0, k)
    oracle = to_saelens("topk", p, k=k)
    with torch.no_grad():
        assert_close(sae.encode(x), oracle.encode(x), atol=1e-5, name=f"encode (k={k}) vs SAELens TopKSAE", mistakes={
            "the decoder bias is not subtracted before encoding": lambda: to_saelens("topk", p, k=k, apply_b_dec_to_input=False).encode(x),
        })
        assert_close(sae(x), oracle(x), atol=1e-5, name=f"forward (k={k}) vs SAELens TopKSAE")


def aux_variant(p, x, x_hat, pre, dead, coef, *, bias=False, live=False, scale=True, relu=False):
    n_dead = int(dead.sum())
    k_aux = D_IN // 2
    s = min(n_dead / k_aux, 1.0) if scale else 1.0
    k_aux = min(k_aux, n_dead)
    masked = pre if live else torch.where(dead[None], pre, -torch.inf)
    top = masked.topk(k_aux)
    values = top.values.relu() if relu else top.values
    z = torch.zeros_like(pre).scatter(-1, top.indices, values)
    recons = z @ p["W_dec"] + (p["b_dec"] if bias else 0)
    return coef * s * ((recons - (x - x_hat)) ** 2).sum(-1).mean()


@pytest.mark.parametrize("dead_idx, coef", [([1, 4], 1.0), ([0, 2, 3, 5, 7, 8, 11], 0.5)], ids=["2_dead", "7_dead"])
def test_aux_loss_matches_saelens(dead_idx, coef):
    sae, p, x = setup(1, 3)
    dead = torch.zeros(D_SAE, dtype=torch.bool)
    dead[dead_idx] = True
    oracle = to_saelens("topk", p, training=True, k=3, aux_loss_coefficient=coef)
    with torch.no_grad():
        pre = (x - p["b_dec"]) @ p["W_enc"] + p["b_enc"]
        x_hat = oracle(x)
        want = oracle.calculate_topk_aux_loss(sae_in=x, sae_out=x_hat, hidden_pre=pre, dead_neuron_mask=dead)
        got = ex.topk_aux_loss(sae, x, x_hat, pre, dead, coef)
    args = (p, x, x_hat, pre, dead, coef)
    assert_close(got, want, atol=1e-5, name=f"topk_aux_loss ({len(dead_idx)} dead, coefficient {coef}) vs SAELens", mistakes={
        "the auxiliary reconstruction adds b_dec: ê = z_aux W_dec, without the bias": lambda: aux_variant(*args, bias=True),
        "live latents take part in the auxiliary top-k: mask them to −inf first": lambda: aux_variant(*args, live=True),
        "the scale min(n_dead / k_aux, 1) is missing": lambda: aux_variant(*args, scale=False),
        "a ReLU is applied to the auxiliary latents: SAELens keeps the dead latents' pre-activations as they are":
            lambda: aux_variant(*args, relu=True),
    })


def test_aux_loss_is_zero_without_dead_latents_and_reaches_the_decoder():
    sae, p, x = setup(2, 3)
    pre = sae.pre(x).detach()
    x_hat = sae(x).detach()
    got = ex.topk_aux_loss(sae, x, x_hat, pre, torch.zeros(D_SAE, dtype=torch.bool), 1.0)
    assert_close(got, 0.0, name="topk_aux_loss with no dead latent")
    dead = torch.zeros(D_SAE, dtype=torch.bool)
    dead[[3, 6]] = True
    oracle = to_saelens("topk", p, training=True, k=3)
    out = oracle.training_forward_pass(step_input(x, {}, dead))
    out.losses["auxiliary_reconstruction_loss"].backward()
    x_hat_live = sae(x)  # not detached: the residual must be detached inside topk_aux_loss
    ex.topk_aux_loss(sae, x, x_hat_live, sae.pre(x).detach(), dead, 1.0).backward()
    assert sae.W_dec.grad is not None, "no gradient reached W_dec from the auxiliary loss"
    assert_close(sae.W_dec.grad, oracle.W_dec.grad, atol=1e-4, name="gradient of the auxiliary loss w.r.t. W_dec vs SAELens "
                 "(is the residual detached?)")
