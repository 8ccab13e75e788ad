import functools

import pytest
import torch

from arena_cli.course.transformer import Config, load_tl_weights, tl_model
from arena_cli.testing import assert_close, load_exercise

ex = load_exercise(__file__)

CONFIGS = {
    "4_heads_of_8": Config(d_model=32, d_vocab=50, n_ctx=16, d_head=8, n_heads=4, d_mlp=64, n_layers=2),
    "3_heads_of_16": Config(d_model=40, d_vocab=50, n_ctx=16, d_head=16, n_heads=3, d_mlp=64, n_layers=2),
}


@functools.cache
def oracle(cfg_name: str, seq_len: int):
    bridge = tl_model(CONFIGS[cfg_name], seed=seq_len)
    torch.manual_seed(seq_len)
    with torch.no_grad():
        _, cache = bridge.run_with_cache(torch.randint(0, CONFIGS[cfg_name].d_vocab, (3, seq_len)))
    return bridge, cache


def run_both(cfg_name: str, seq_len: int, layer: int = 0):
    bridge, cache = oracle(cfg_name, seq_len)
    attn = load_tl_weights(ex.Attention(CONFIGS[cfg_name]), bridge.blocks[layer].attn)
    return attn, cache


def test_worked_example():
    attn = ex.Attention(Config(d_model=4, d_head=1, n_heads=1))
    pattern = torch.tensor([[[[1.0, 0.0, 0.0], [0.5, 0.5, 0.0], [0.5, 0.25, 0.25]]]])
    v = torch.tensor([4.0, 8.0, 0.0]).reshape(1, 3, 1, 1)
    z = attn.mix_values(pattern, v)
    assert_close(z, torch.tensor([4.0, 6.0, 4.0]).reshape(1, 3, 1, 1), name="z of the worked example")


@pytest.mark.parametrize("cfg_name", CONFIGS)
def test_z_matches_transformer_lens(cfg_name):
    attn, cache = run_both(cfg_name, seq_len=6)
    z = attn.mix_values(cache["blocks.0.attn.hook_pattern"], cache["blocks.0.attn.hook_v"])
    assert_close(z, cache["blocks.0.attn.hook_z"], atol=1e-5, rtol=1e-4,
                 name="z [batch, pos, n_heads, d_head] vs TransformerLens's hook_z")


@pytest.mark.parametrize("cfg_name", CONFIGS)
def test_project_out_matches_transformer_lens(cfg_name):
    attn, cache = run_both(cfg_name, seq_len=6)
    out = attn.project_out(cache["blocks.0.attn.hook_z"])
    assert_close(out, cache["blocks.0.hook_attn_out"], atol=1e-5, rtol=1e-4,
                 name="project_out(z) vs TransformerLens's hook_attn_out")


@pytest.mark.parametrize("cfg_name", CONFIGS)
@pytest.mark.parametrize("seq_len", [1, 6, 16], ids=["one_position", "six_positions", "full_context"])
@pytest.mark.parametrize("layer", [0, 1], ids=["layer_0", "layer_1"])
def test_forward_matches_transformer_lens(cfg_name, seq_len, layer):
    attn, cache = run_both(cfg_name, seq_len=seq_len, layer=layer)
    out = attn(cache[f"blocks.{layer}.ln1.hook_out"])
    assert_close(out, cache[f"blocks.{layer}.hook_attn_out"], atol=1e-5, rtol=1e-4,
                 name=f"Attention output vs TransformerLens's blocks.{layer}.hook_attn_out")


def test_earlier_positions_ignore_later_ones():
    # causality end to end: changing the last position must not change any earlier output
    torch.manual_seed(0)
    attn = ex.Attention(CONFIGS["4_heads_of_8"])
    x = torch.randn(1, 8, 32)
    x_changed = x.clone()
    x_changed[0, -1] = torch.randn(32)
    assert_close(attn(x_changed)[0, :-1], attn(x)[0, :-1], atol=1e-6, name="outputs at positions 0..6 after changing position 7")
