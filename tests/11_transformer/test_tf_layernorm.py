import functools

import pytest
import torch
import torch.nn.functional as F

from arena_cli.course.transformer import Config, load_tl_weights, tl_model
from arena_cli.testing import assert_close, assert_unchanged, forbidder, load_exercise

ex = load_exercise(__file__)

CFG = Config(d_model=32, d_vocab=50, n_ctx=16, d_head=8, n_heads=4, d_mlp=64, n_layers=2)


def mistakes(ln, x):
    """What the usual wrong LayerNorms return on `x` (w, b and eps taken from `ln`)."""
    w, b, eps = ln.w.detach(), ln.b.detach(), ln.eps
    centred = x - x.mean(dim=-1, keepdim=True)
    biased = centred.pow(2).mean(dim=-1, keepdim=True)
    d = x.shape[-1]
    return {
        "the variance divides by d_model - 1 (unbiased); LayerNorm uses the biased variance (divide by d_model)":
            lambda: centred / (biased * d / (d - 1) + eps).sqrt() * w + b,
        "eps is added outside the square root; it belongs inside: sqrt(var + eps)":
            lambda: centred / (biased.sqrt() + eps) * w + b,
        "the input is not centred before the variance (that is RMSNorm): subtract the mean first":
            lambda: x / (x.pow(2).mean(dim=-1, keepdim=True) + eps).sqrt() * w + b,
        "the shift b is missing: return ... * w + b":
            lambda: centred / (biased + eps).sqrt() * w,
        "the scale w is missing: return ... * w + b":
            lambda: centred / (biased + eps).sqrt() + b,
        "the statistics are taken over the position axis; take them over d_model (the last axis)":
            lambda: (x - x.mean(dim=1, keepdim=True)) / ((x - x.mean(dim=1, keepdim=True)).pow(2).mean(dim=1, keepdim=True) + eps).sqrt() * w + b,
    }


def random_layernorm(cfg: Config, seed: int):
    torch.manual_seed(seed)
    ln = ex.LayerNorm(cfg)
    with torch.no_grad():
        ln.w.copy_(1 + 0.5 * torch.randn(cfg.d_model))
        ln.b.copy_(torch.randn(cfg.d_model))
    return ln


@pytest.mark.parametrize(
    "shape", [(1, 1, 32), (2, 5, 32), (3, 16, 32)], ids=["one_position", "small_batch", "full_context"]
)
def test_matches_torch_layer_norm(shape):
    ln = random_layernorm(CFG, seed=shape[1])
    x = 3 * torch.randn(shape) + 1
    expected = F.layer_norm(x, (CFG.d_model,), ln.w, ln.b, eps=CFG.layer_norm_eps)
    before = x.clone()
    with torch.no_grad():
        got = ln(x)
    assert_unchanged(before, x, name="residual")
    assert_close(got, expected, atol=1e-5, rtol=1e-4, name="LayerNorm output", mistakes=mistakes(ln, before))


def test_variance_is_biased():
    # with d_model = 4, dividing by 3 instead of 4 changes the output by 15 %
    cfg = Config(d_model=4)
    ln = ex.LayerNorm(cfg)
    x = torch.tensor([[[1.0, 2.0, 3.0, 6.0]]])
    expected = F.layer_norm(x, (4,), eps=cfg.layer_norm_eps)
    assert_close(ln(x), expected, atol=1e-5, rtol=1e-4, name="LayerNorm of [1, 2, 3, 6] (biased variance)",
                 mistakes=mistakes(ln, x))


@pytest.mark.parametrize("eps", [1e-5, 1e-2], ids=["default_eps", "large_eps"])
def test_eps_inside_square_root_on_nearly_constant_input(eps):
    # the variance here (~1e-6) is smaller than eps: sqrt(var + eps) and sqrt(var) + eps differ a lot
    cfg = Config(d_model=32, layer_norm_eps=eps)
    ln = random_layernorm(cfg, seed=7)
    torch.manual_seed(0)
    x = 0.1 + 1e-3 * torch.randn(2, 3, 32)
    expected = F.layer_norm(x, (32,), ln.w, ln.b, eps=eps)
    assert_close(ln(x), expected, atol=1e-4, rtol=1e-3, name=f"LayerNorm of a nearly constant input, eps={eps}",
                 mistakes=mistakes(ln, x))


def test_uses_the_eps_of_its_config():
    # a variance of exactly 0 (a constant row): the output is b, whatever eps; a variance of 0.25
    # next to eps 0.75: the result is centred / sqrt(1) = centred, only if cfg.layer_norm_eps is used
    cfg = Config(d_model=4, layer_norm_eps=0.75)
    ln = ex.LayerNorm(cfg)
    x = torch.tensor([[[0.5, -0.5, 0.5, -0.5]]])
    assert_close(ln(x), x, atol=1e-6, name="LayerNorm with eps 0.75 of a row of variance 0.25",
                 mistakes={"eps is hard-coded; use self.eps (cfg.layer_norm_eps)": x / (0.25 + 1e-5) ** 0.5})


def test_follows_the_rules(monkeypatch):
    ln = random_layernorm(CFG, seed=3)
    x = torch.randn(2, 4, 32)
    expected = F.layer_norm(x, (CFG.d_model,), ln.w, ln.b, eps=CFG.layer_norm_eps)
    forbidder(monkeypatch)(
        "torch.nn.functional.layer_norm", "torch.layer_norm", "torch.var", "torch.std", "torch.var_mean",
        "torch.std_mean", "torch.Tensor.var", "torch.Tensor.std",
    )
    assert_close(ln(x), expected, atol=1e-5, rtol=1e-4, name="LayerNorm output with plain arithmetic")


def test_gradient_reaches_w_and_b(assert_gradient_reaches_every_parameter):
    ln = random_layernorm(CFG, seed=4)
    assert_gradient_reaches_every_parameter(ln, ln(torch.randn(2, 3, 32)))


@functools.cache
def oracle():
    bridge = tl_model(CFG, seed=3)
    torch.manual_seed(1)
    with torch.no_grad():
        _, cache = bridge.run_with_cache(torch.randint(0, CFG.d_vocab, (2, 9)))
    return bridge, cache


@pytest.mark.parametrize("hook", ["ln_final", "blocks.0.ln1", "blocks.1.ln2"])
def test_matches_transformer_lens(hook):
    bridge, cache = oracle()
    ln = load_tl_weights(ex.LayerNorm(CFG), bridge.get_submodule(hook))
    assert_close(
        ln(cache[f"{hook}.hook_in"]), cache[f"{hook}.hook_out"], atol=1e-5, rtol=1e-4,
        name=f"your LayerNorm vs TransformerLens's {hook}",
    )
