import functools

import pytest
import torch

from arena_cli.course.transformer import Config, load_tl_weights, tl_model
from arena_cli.testing import assert_close, load_exercise

ex = load_exercise(__file__)

CFG = Config(d_model=32, d_vocab=50, n_ctx=16, d_head=8, n_heads=4, d_mlp=64, n_layers=2)


@functools.cache
def oracle(seq_len: int):
    bridge = tl_model(CFG, seed=9)
    torch.manual_seed(seq_len)
    with torch.no_grad():
        _, cache = bridge.run_with_cache(torch.randint(0, CFG.d_vocab, (2, seq_len)))
    return bridge, cache


@pytest.mark.parametrize("layer", [0, 1], ids=["layer_0", "layer_1"])
@pytest.mark.parametrize("seq_len", [1, 13], ids=["one_position", "thirteen_positions"])
def test_matches_transformer_lens(layer, seq_len):
    bridge, cache = oracle(seq_len)
    block = load_tl_weights(ex.TransformerBlock(CFG), bridge.blocks[layer])
    out = block(cache[f"blocks.{layer}.hook_resid_pre"])
    assert_close(out, cache[f"blocks.{layer}.hook_resid_post"], atol=1e-5, rtol=1e-4,
                 name=f"block output vs TransformerLens's blocks.{layer}.hook_resid_post")


def test_zero_sublayers_give_the_identity():
    torch.manual_seed(0)
    block = ex.TransformerBlock(CFG)
    with torch.no_grad():
        for name, p in block.named_parameters():
            if name.startswith(("attn.", "mlp.")):
                p.zero_()
    x = torch.randn(2, 5, CFG.d_model)
    assert_close(block(x), x, name="block output when attention and MLP output zero")


def test_residual_stream_is_not_normalised():
    # a large input stays large: only the sublayers' inputs are normalised
    bridge, _ = oracle(1)
    block = load_tl_weights(ex.TransformerBlock(CFG), bridge.blocks[0])
    torch.manual_seed(1)
    x = 50 * torch.randn(1, 4, CFG.d_model)
    with torch.no_grad():
        (expected,) = bridge.blocks[0](x)  # TransformerLens's block returns a 1-tuple
    assert_close(block(x), expected, atol=1e-4, rtol=1e-4, name="block output on a large input")
