import functools
import math

import pytest
import torch
import torch.nn.functional as F

from arena_cli.course.transformer import Config, load_tl_weights, tl_model
from arena_cli.testing import assert_close, assert_unchanged, forbidder, load_exercise

ex = load_exercise(__file__)


def gelu_mistakes(x):
    return {
        "this is the exact (erf) GELU; gelu_new is the tanh approximation 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))":
            lambda: F.gelu(x),
        "this is ReLU; the activation is GPT-2's gelu_new": lambda: x.relu(),
        "the factor 0.5 is missing from gelu_new": lambda: 2 * F.gelu(x, approximate="tanh"),
        "the cube is missing from gelu_new: x + 0.044715 * x**3 inside the tanh":
            lambda: 0.5 * x * (1 + torch.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x))),
        "x is squared inside the tanh where gelu_new has the cube: x + 0.044715 * x**3":
            lambda: 0.5 * x * (1 + torch.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x**2))),
    }

CFG = Config(d_model=32, d_vocab=50, n_ctx=16, d_head=8, n_heads=4, d_mlp=64, n_layers=2)


def test_gelu_new_matches_torch_tanh_gelu():
    # the exact (erf) GELU differs from this one by up to ~5e-4 around |x| = 2
    x = torch.linspace(-8, 8, 2001)
    before = x.clone()
    got = ex.gelu_new(x)
    assert_unchanged(before, x, name="x")
    assert_close(got, F.gelu(x, approximate="tanh"), atol=2e-6, rtol=1e-5, name="gelu_new on [-8, 8]",
                 mistakes=gelu_mistakes(x))


def test_gelu_new_worked_example():
    got = ex.gelu_new(torch.tensor([0.0, 1.0, -1.0]))
    assert_close(got, torch.tensor([0.0, 0.841192, -0.158808]), atol=1e-5, name="gelu_new([0, 1, -1])")


def test_gelu_new_keeps_the_shape():
    torch.manual_seed(0)
    x = torch.randn(2, 3, 5)
    assert_close(ex.gelu_new(x), F.gelu(x, approximate="tanh"), atol=2e-6, rtol=1e-5, name="gelu_new of a [2, 3, 5] tensor")


@functools.cache
def oracle(seq_len: int):
    bridge = tl_model(CFG, seed=8)
    torch.manual_seed(seq_len)
    with torch.no_grad():
        _, cache = bridge.run_with_cache(torch.randint(0, CFG.d_vocab, (3, seq_len)))
    return bridge, cache


@pytest.mark.parametrize("layer", [0, 1], ids=["layer_0", "layer_1"])
@pytest.mark.parametrize("seq_len", [1, 12], ids=["one_position", "twelve_positions"])
def test_matches_transformer_lens(layer, seq_len):
    bridge, cache = oracle(seq_len)
    mlp = load_tl_weights(ex.MLP(CFG), bridge.blocks[layer].mlp)
    x = cache[f"blocks.{layer}.ln2.hook_out"]
    before = x.clone()
    with torch.no_grad():
        got = mlp(x)
    assert_unchanged(before, x, name="x")
    assert_close(got, cache[f"blocks.{layer}.hook_mlp_out"], atol=1e-5, rtol=1e-4,
                 name=f"MLP output vs TransformerLens's blocks.{layer}.hook_mlp_out", mistakes=mlp_mistakes(mlp, x))


def mlp_mistakes(mlp, x):
    W_in, b_in, W_out, b_out = (p.detach() for p in (mlp.W_in, mlp.b_in, mlp.W_out, mlp.b_out))
    gelu = lambda t: F.gelu(t, approximate="tanh")  # noqa: E731
    return {
        "the bias b_in is missing: pre = x @ W_in + b_in": lambda: gelu(x @ W_in) @ W_out + b_out,
        "the bias b_out is missing: out = post @ W_out + b_out": lambda: gelu(x @ W_in + b_in) @ W_out,
        "the activation is applied to the output as well; only the hidden layer goes through gelu_new":
            lambda: gelu(gelu(x @ W_in + b_in) @ W_out + b_out),
        "the MLP uses the exact (erf) GELU; use gelu_new": lambda: F.gelu(x @ W_in + b_in) @ W_out + b_out,
        "the MLP uses ReLU; use gelu_new": lambda: (x @ W_in + b_in).relu() @ W_out + b_out,
    }


def test_follows_the_rules(monkeypatch):
    torch.manual_seed(4)
    mlp = ex.MLP(CFG)
    x = torch.randn(2, 3, CFG.d_model) * 20
    with torch.no_grad():
        expected = F.gelu(x @ mlp.W_in + mlp.b_in, approximate="tanh") @ mlp.W_out + mlp.b_out
    forbidder(monkeypatch)("torch.nn.functional.gelu", "torch.nn.GELU", "torch.nn.Linear")
    with torch.no_grad():
        assert_close(mlp(x), expected, atol=1e-4, rtol=1e-4, name="MLP output with gelu_new written by hand")


def test_gradient_reaches_every_weight(assert_gradient_reaches_every_parameter):
    torch.manual_seed(5)
    mlp = ex.MLP(CFG)
    assert_gradient_reaches_every_parameter(mlp, mlp(torch.randn(2, 3, CFG.d_model)))


def test_large_inputs_reach_the_nonlinearity():
    # scaled-up inputs put the pre-activations where GELU's two versions and ReLU all differ
    torch.manual_seed(1)
    mlp = ex.MLP(CFG)
    with torch.no_grad():
        for p in mlp.parameters():
            p.copy_(torch.randn_like(p) * 0.5)
    x = torch.randn(2, 4, CFG.d_model)
    pre = x @ mlp.W_in + mlp.b_in
    expected = F.gelu(pre, approximate="tanh") @ mlp.W_out + mlp.b_out
    assert_close(mlp(x), expected, atol=1e-4, rtol=1e-4, name="MLP output on large inputs", mistakes=mlp_mistakes(mlp, x))
