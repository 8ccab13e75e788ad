import functools
import math

import pytest
import torch

from arena_cli.course.transformer import Config, load_tl_weights, tl_model
from arena_cli.testing import assert_close, load_exercise

ex = load_exercise(__file__)

# two shapes: d_head * n_heads equal to d_model, and not (TransformerLens allows both)
CONFIGS = {
    "4_heads_of_8": Config(d_model=32, d_vocab=50, n_ctx=16, d_head=8, n_heads=4, d_mlp=64, n_layers=1),
    "3_heads_of_16": Config(d_model=40, d_vocab=50, n_ctx=16, d_head=16, n_heads=3, d_mlp=64, n_layers=1),
}


@functools.cache
def oracle(cfg_name: str, seq_len: int):
    bridge = tl_model(CONFIGS[cfg_name], seed=seq_len)
    torch.manual_seed(seq_len)
    with torch.no_grad():
        _, cache = bridge.run_with_cache(torch.randint(0, CONFIGS[cfg_name].d_vocab, (2, seq_len)))
    return bridge, cache


def run_both(cfg_name: str, seq_len: int = 9):
    bridge, cache = oracle(cfg_name, seq_len)
    attn = load_tl_weights(ex.Attention(CONFIGS[cfg_name]), bridge.blocks[0].attn)
    return CONFIGS[cfg_name], attn, cache


@pytest.mark.parametrize("cfg_name", CONFIGS)
def test_queries_keys_values_match_transformer_lens(cfg_name):
    _, attn, cache = run_both(cfg_name)
    q, k, v = attn.project_qkv(cache["blocks.0.ln1.hook_out"])
    for name, mine in [("q", q), ("k", k), ("v", v)]:
        assert_close(mine, cache[f"blocks.0.attn.hook_{name}"], atol=1e-5, rtol=1e-4,
                     name=f"{name} [batch, pos, n_heads, d_head] vs TransformerLens's hook_{name}")


@pytest.mark.parametrize("cfg_name", CONFIGS)
def test_scores_are_scaled_masked_dot_products(cfg_name):
    # TransformerLens 4.3's hook_attn_scores holds the pattern, not the scores, so the expected
    # scores are computed here from its q and k: q . k / sqrt(d_head) on and below the diagonal
    cfg, attn, cache = run_both(cfg_name, seq_len=7)
    q, k = cache["blocks.0.attn.hook_q"], cache["blocks.0.attn.hook_k"]
    scores = attn.attn_scores(q, k)
    expected = torch.einsum("bqhe,bkhe->bhqk", q, k) / math.sqrt(cfg.d_head)
    assert scores.shape == expected.shape, (
        f"scores should be [batch, n_heads, q_pos, k_pos] = {tuple(expected.shape)}, got {tuple(scores.shape)}"
    )
    past = torch.ones(7, 7, dtype=torch.bool).tril().expand_as(expected)
    assert_close(scores[past], expected[past], atol=1e-5, rtol=1e-4, name="scores at keys <= query")
    assert_close(torch.isneginf(scores), ~past, name="where the scores are -inf (the keys after the query)")


def test_worked_example_scale():
    cfg = Config(d_model=4, d_head=4, n_heads=1)
    attn = ex.Attention(cfg)
    q = torch.zeros(1, 2, 1, 4)
    k = torch.zeros(1, 2, 1, 4)
    q[0, 1, 0] = torch.tensor([1.0, 0.0, 2.0, 0.0])
    k[0, 0, 0] = torch.tensor([2.0, 0.0, 1.0, 0.0])
    k[0, 1, 0] = torch.tensor([0.0, 0.0, 0.0, 3.0])
    scores = attn.attn_scores(q, k)
    assert_close(scores[0, 0, 1], torch.tensor([2.0, 0.0]), name="scores of query 1 in the worked example")


@pytest.mark.parametrize("cfg_name", CONFIGS)
@pytest.mark.parametrize("seq_len", [1, 9, 16], ids=["one_position", "nine_positions", "full_context"])
def test_pattern_matches_transformer_lens(cfg_name, seq_len):
    _, attn, cache = run_both(cfg_name, seq_len=seq_len)
    q, k, _ = attn.project_qkv(cache["blocks.0.ln1.hook_out"])
    pattern = attn.attn_pattern(attn.attn_scores(q, k))
    assert_close(pattern, cache["blocks.0.attn.hook_pattern"], atol=1e-6, rtol=1e-4,
                 name="attention pattern vs TransformerLens's hook_pattern")


def test_pattern_rows_sum_to_one_over_keys():
    torch.manual_seed(0)
    attn = ex.Attention(CONFIGS["4_heads_of_8"])
    scores = torch.randn(2, 4, 6, 6).tril() + torch.triu(torch.full((6, 6), float("-inf")), diagonal=1)
    pattern = attn.attn_pattern(scores)
    assert_close(pattern.sum(dim=-1), torch.ones(2, 4, 6), name="sum of each query's weights over the keys")
