import functools

import pytest
import torch
import torch.nn.functional as F

from arena_cli.course.transformer import Config, load_tl_weights, tl_model
from arena_cli.testing import assert_close, load_exercise

ex = load_exercise(__file__)

CFG = Config(d_model=32, d_vocab=50, n_ctx=16, d_head=8, n_heads=4, d_mlp=64, n_layers=2)


def test_gelu_new_matches_torch_tanh_gelu():
    # the exact (erf) GELU differs from this one by up to ~5e-4 around |x| = 2
    x = torch.linspace(-8, 8, 2001)
    assert_close(ex.gelu_new(x), F.gelu(x, approximate="tanh"), atol=2e-6, rtol=1e-5, name="gelu_new on [-8, 8]")


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
    assert_close(mlp(cache[f"blocks.{layer}.ln2.hook_out"]), cache[f"blocks.{layer}.hook_mlp_out"], atol=1e-5, rtol=1e-4,
                 name=f"MLP output vs TransformerLens's blocks.{layer}.hook_mlp_out")


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
    assert_close(mlp(x), expected, atol=1e-4, rtol=1e-4, name="MLP output on large inputs")
