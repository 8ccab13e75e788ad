import functools

import pytest
import torch

from arena_cli.course.transformer import Config, load_tl_weights, tl_model
from arena_cli.testing import assert_close, assert_unchanged, load_exercise

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
    assert_close(z, torch.tensor([4.0, 6.0, 4.0]).reshape(1, 3, 1, 1), name="z of the worked example", mistakes={
        "the pattern is used transposed (summing over queries): z[i] = sum over keys j of pattern[i, j] * v[j]":
            torch.einsum("bhqk,bqhe->bkhe", pattern, v),
    })


@pytest.mark.parametrize("cfg_name", CONFIGS)
def test_z_matches_transformer_lens(cfg_name):
    attn, cache = run_both(cfg_name, seq_len=6)
    pattern, v = cache["blocks.0.attn.hook_pattern"], cache["blocks.0.attn.hook_v"]
    before = (pattern.clone(), v.clone())
    z = attn.mix_values(pattern, v)
    assert_unchanged(before[0], pattern, name="pattern")
    assert_unchanged(before[1], v, name="v")
    assert_close(z, cache["blocks.0.attn.hook_z"], atol=1e-5, rtol=1e-4,
                 name="z [batch, pos, n_heads, d_head] vs TransformerLens's hook_z", mistakes={
        "the pattern is used transposed (summing over queries): z[i] = sum over keys j of pattern[i, j] * v[j]":
            lambda: torch.einsum("bhqk,bqhe->bkhe", pattern, v),
    })


@pytest.mark.parametrize("cfg_name", CONFIGS)
def test_project_out_matches_transformer_lens(cfg_name):
    attn, cache = run_both(cfg_name, seq_len=6)
    z = cache["blocks.0.attn.hook_z"]
    before = z.clone()
    with torch.no_grad():
        out = attn.project_out(z)
        per_head = torch.einsum("bphe,hed->bphd", z, attn.W_O)
        b_O = attn.b_O.clone()
    assert_unchanged(before, z, name="z")
    assert_close(out, cache["blocks.0.hook_attn_out"], atol=1e-5, rtol=1e-4,
                 name="project_out(z) vs TransformerLens's hook_attn_out", mistakes={
        "the bias b_O is missing: out = sum over heads of z[h] @ W_O[h], plus b_O": lambda: per_head.sum(2),
        "the heads are averaged; their outputs add up (sum over heads)": lambda: per_head.mean(2) + b_O,
        "b_O is added once per head; it is added once, after the sum over heads": lambda: (per_head + b_O).sum(2),
    })


@pytest.mark.parametrize("cfg_name", CONFIGS)
@pytest.mark.parametrize("seq_len", [1, 6, 16], ids=["one_position", "six_positions", "full_context"])
@pytest.mark.parametrize("layer", [0, 1], ids=["layer_0", "layer_1"])
def test_forward_matches_transformer_lens(cfg_name, seq_len, layer):
    attn, cache = run_both(cfg_name, seq_len=seq_len, layer=layer)
    out = attn(cache[f"blocks.{layer}.ln1.hook_out"])
    assert_close(out, cache[f"blocks.{layer}.hook_attn_out"], atol=1e-5, rtol=1e-4,
                 name=f"Attention output vs TransformerLens's blocks.{layer}.hook_attn_out", mistakes={
        "the values are mixed with the raw (masked) scores: the pattern is the softmax of the scores over keys":
            lambda: raw_scores_mixed(attn, cache, layer),
    })


def raw_scores_mixed(attn, cache, layer):
    """The attention output with the scaled, causally masked scores (masked entries 0) in place of the pattern."""
    q, k, v = (cache[f"blocks.{layer}.attn.hook_{name}"] for name in "qkv")  # [batch, pos, head, d_head]
    with torch.no_grad():
        scores = torch.einsum("bqhe,bkhe->bhqk", q, k) / q.shape[-1] ** 0.5
        n = scores.shape[-1]
        scores = scores.masked_fill(torch.ones(n, n, dtype=torch.bool).triu(1), 0.0)
        z = torch.einsum("bhqk,bkhe->bqhe", scores, v)
        return torch.einsum("bqhe,hed->bqd", z, attn.W_O) + attn.b_O


def test_earlier_positions_ignore_later_ones():
    # causality end to end: changing the last position must not change any earlier output
    torch.manual_seed(0)
    attn = ex.Attention(CONFIGS["4_heads_of_8"])
    x = torch.randn(1, 8, 32)
    x_changed = x.clone()
    x_changed[0, -1] = torch.randn(32)
    assert_close(attn(x_changed)[0, :-1], attn(x)[0, :-1], atol=1e-6, name="outputs at positions 0..6 after changing position 7")


def test_gradient_reaches_every_weight(assert_gradient_reaches_every_parameter):
    torch.manual_seed(2)
    attn = ex.Attention(CONFIGS["3_heads_of_16"])
    with torch.no_grad():
        for p in attn.parameters():
            p.copy_(torch.randn_like(p) * 0.3)
    assert_gradient_reaches_every_parameter(attn, attn(torch.randn(2, 5, 40)))
