import pytest
import torch
from sae_lens.saes.jumprelu_sae import JumpReLU as OracleJumpReLU
from sae_lens.saes.jumprelu_sae import Step as OracleStep

from arena_cli.course.superposition import random_sae_params, step_input, to_saelens
from arena_cli.testing import assert_close, load_exercise

ex = load_exercise(__file__)

D_IN, D_SAE = 4, 12


def rect(u):
    return ((u > -0.5) & (u < 0.5)).to(u.dtype)


def inputs(seed, eps, dtype=torch.float32):
    """Pre-activations [batch, d_sae] of which many lie within eps/2 of their threshold."""
    g = torch.Generator().manual_seed(seed)
    threshold = (torch.rand(D_SAE, generator=g) * 0.5 + 0.1).to(dtype)
    near = threshold + (torch.rand(32, D_SAE, generator=g).to(dtype) - 0.5) * 2 * eps  # within ±eps
    far = torch.randn(32, D_SAE, generator=g).to(dtype)
    near[0] = threshold  # exactly at the threshold: the jump is strict, so these are off
    return torch.cat([near, far]), threshold, torch.randn(64, D_SAE, generator=g).to(dtype)


def grads(fn, x, threshold, eps, grad_output):
    x, threshold = x.clone().requires_grad_(True), threshold.clone().requires_grad_(True)
    out = fn(x, threshold, eps)
    out.backward(grad_output)
    return out.detach(), x.grad, threshold.grad


def test_rectangle():
    u = torch.tensor([-0.7, -0.5, -0.49, 0.0, 0.49, 0.5, 0.7])
    assert_close(ex.rectangle(u), torch.tensor([0.0, 0.0, 1.0, 1.0, 1.0, 0.0, 0.0]), name="rectangle(u) (open interval -1/2 < u < 1/2)")


def test_worked_example():
    x = torch.tensor([[0.52, 0.70, 0.48]], requires_grad=True)
    threshold = torch.full((3,), 0.5, requires_grad=True)
    out = ex.JumpReLU.apply(x, threshold, 0.1)
    out.sum().backward()
    assert_close(out, torch.tensor([[0.52, 0.70, 0.0]]), atol=1e-6, name="JumpReLU forward, worked example")
    assert_close(x.grad, torch.tensor([[1.0, 1.0, 0.0]]), atol=1e-6, name="∂/∂x, worked example")
    assert_close(threshold.grad, torch.tensor([-5.0, 0.0, -5.0]), atol=1e-5, name="∂/∂θ, worked example")


@pytest.mark.parametrize("eps", [0.05, 0.2], ids=["eps_0.05", "eps_0.2"])
def test_jumprelu_matches_saelens(eps):
    x, threshold, g_out = inputs(0, eps)
    out, gx, gt = grads(ex.JumpReLU.apply, x, threshold, eps, g_out)
    o_out, o_gx, o_gt = grads(lambda a, b, e: OracleJumpReLU.apply(a, b, e, False), x, threshold, eps, g_out)
    assert_close(out, o_out, atol=1e-6, name="JumpReLU forward vs SAELens", mistakes={
        "the output is the step 1[x > θ]: JumpReLU passes x itself above the threshold": (x > threshold).float(),
        "x >= θ used: the jump is strict, x > θ": x * (x >= threshold),
    })
    assert_close(gx, o_gx, atol=1e-6, name="JumpReLU ∂/∂x vs SAELens", mistakes={
        "∂/∂x passes the gradient everywhere: it is 1[x > θ] · grad_output": g_out,
        "∂/∂x adds the threshold's pseudo-derivative (Anthropic's variant): DeepMind's (SAELens' default) is 1[x > θ] only":
            (x > threshold) * g_out + (threshold / eps) * rect((x - threshold) / eps) * g_out,
    })
    u = x - threshold
    assert_close(gt, o_gt, atol=1e-4, rtol=1e-4, name=f"JumpReLU ∂/∂θ (pseudo-derivative, ε={eps}) vs SAELens", mistakes={
        "the kernel's width is wrong: K((x − θ)/ε), divide x − θ by the bandwidth": (-(threshold / eps) * rect(u) * g_out).sum(0),
        "the kernel's height is wrong: the pseudo-derivative is −(θ/ε) K(...), the 1/ε is missing": (-threshold * rect(u / eps) * g_out).sum(0),
        "the sign is wrong: raising θ lowers the output, so ∂/∂θ ≈ −(θ/ε) K((x − θ)/ε)": ((threshold / eps) * rect(u / eps) * g_out).sum(0),
        "the factor θ is missing: the jump at x = θ has height θ, so ∂/∂θ ≈ −(θ/ε) K": (-(1 / eps) * rect(u / eps) * g_out).sum(0),
        "the threshold's gradient is averaged over the batch: sum it": (-(threshold / eps) * rect(u / eps) * g_out).mean(0),
    })


@pytest.mark.parametrize("eps", [0.05, 0.2], ids=["eps_0.05", "eps_0.2"])
def test_step_matches_saelens(eps):
    x, threshold, g_out = inputs(1, eps)
    out, gx, gt = grads(ex.Step.apply, x, threshold, eps, g_out)
    o_out, _, o_gt = grads(lambda a, b, e: OracleStep.apply(a, b, e, False), x, threshold, eps, g_out)
    assert_close(out, o_out, atol=0, name="Step forward vs SAELens")
    assert gx is None or float(gx.abs().max()) == 0, "Step passes no gradient to x (return None for it)"
    u = x - threshold
    assert_close(gt, o_gt, atol=1e-3, rtol=1e-4, name=f"Step ∂/∂θ (ε={eps}) vs SAELens", mistakes={
        "the kernel's width is wrong: K((x − θ)/ε)": (-(1 / eps) * rect(u) * g_out).sum(0),
        "the sign is wrong: ∂ Step/∂θ ≈ −(1/ε) K((x − θ)/ε)": ((1 / eps) * rect(u / eps) * g_out).sum(0),
        "the 1/ε is missing": (-rect(u / eps) * g_out).sum(0),
        "Step's pseudo-derivative has a factor θ: that belongs to JumpReLU only": (-(threshold / eps) * rect(u / eps) * g_out).sum(0),
    })


def test_gradcheck_where_the_true_gradients_exist():
    eps = 0.1
    g = torch.Generator().manual_seed(2)
    threshold = torch.rand(5, generator=g, dtype=torch.float64) * 0.5 + 0.2
    x = torch.randn(6, 5, generator=g, dtype=torch.float64)
    x = torch.where((x - threshold).abs() < eps, threshold + 3 * eps, x)  # every |x − θ| > ε/2 (with room for finite differences)
    x.requires_grad_(True)
    threshold.requires_grad_(True)
    assert torch.autograd.gradcheck(lambda a, b: ex.JumpReLU.apply(a, b, eps), (x, threshold), eps=1e-6, atol=1e-5, raise_exception=False), (
        "torch.autograd.gradcheck failed for JumpReLU on inputs farther than ε/2 from their thresholds: there the true "
        "derivatives are 1[x > θ] for x and 0 for θ, and your backward must give exactly those (is the kernel's width ε?)")
    assert torch.autograd.gradcheck(lambda b: ex.Step.apply(x.detach(), b, eps), (threshold,), eps=1e-6, atol=1e-5, raise_exception=False), (
        "torch.autograd.gradcheck failed for Step's threshold gradient on inputs farther than ε/2 from their thresholds (it must be 0 there)")


def sae_setup(seed, eps=0.1, l0=0.05):
    g = torch.Generator().manual_seed(seed)
    p = random_sae_params("jumprelu", D_IN, D_SAE, g)
    sae = ex.JumpReLUSAE(D_IN, D_SAE, eps, l0)
    sae.load_state_dict(p)
    return sae, p, torch.randn(64, D_IN, generator=g) + 0.3


def test_sae_encode_matches_saelens_jumprelu_sae():
    sae, p, x = sae_setup(3)
    with torch.no_grad():
        assert_close(sae.encode(x), to_saelens("jumprelu", p).encode(x), atol=1e-5, name="encode vs SAELens JumpReLUSAE", mistakes={
            "the decoder bias is not subtracted before encoding":
                lambda: to_saelens("jumprelu", p, apply_b_dec_to_input=False).encode(x),
        })


@pytest.mark.parametrize("eps, l0", [(0.1, 0.05), (0.3, 0.5)], ids=["eps_0.1", "eps_0.3"])
def test_sae_losses_and_gradients_match_saelens(eps, l0):
    sae, p, x = sae_setup(4, eps, l0)
    oracle = to_saelens("jumprelu", p, training=True, jumprelu_bandwidth=eps, l0_coefficient=l0, jumprelu_init_threshold=0.01)
    want = oracle.training_forward_pass(step_input(x, {"l0": l0}))
    got = sae.training_losses(x)
    assert set(got) >= {"mse_loss", "l0_loss", "loss"}, f"training_losses must return mse_loss, l0_loss and loss; got {sorted(got)}"
    with torch.no_grad():
        pre = (x - p["b_dec"]) @ p["W_enc"] + p["b_enc"]
        assert_close(got["mse_loss"], want.losses["mse_loss"], atol=1e-5, name="mse_loss vs SAELens")
        assert_close(got["l0_loss"], want.losses["l0_loss"], atol=1e-5, name=f"l0_loss (coefficient {l0}) vs SAELens", mistakes={
            "the sparsity penalty is an L1 of z: a JumpReLU SAE penalises L0, the number of active latents (Step)":
                l0 * (pre * (pre > p["threshold"])).sum(-1).mean(),
        })
    want.loss.backward()
    got["loss"].backward()
    for name, param in sae.named_parameters():
        assert param.grad is not None, f"no gradient reached {name}: use JumpReLU.apply / Step.apply so the pseudo-gradients flow"
        assert_close(param.grad, getattr(oracle, name).grad, atol=1e-4, rtol=1e-4, name=f"gradient w.r.t. {name} vs SAELens")
