import functools
import math

import pytest
import torch

from arena_cli.course.transformer import Config, load_tl_weights, tl_model
from arena_cli.testing import assert_close, assert_unchanged, load_exercise

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


def apply_mask(scores):
    n_q, n_k = scores.shape[-2:]
    return scores.masked_fill(torch.ones(n_q, n_k, dtype=torch.bool).triu(diagonal=1), float("-inf"))


def score_mistakes(cfg, q, k):
    dot = torch.einsum("bqhe,bkhe->bhqk", q, k)
    return {
        "the scores are not divided by sqrt(d_head)": lambda: apply_mask(dot),
        "the scores are divided by d_head; divide by sqrt(d_head)": lambda: apply_mask(dot / cfg.d_head),
        "the scores are divided by sqrt(d_model); the scale is sqrt(d_head)": lambda: apply_mask(dot / math.sqrt(cfg.d_model)),
        "d_head is taken as d_model // n_heads; use cfg.d_head (TransformerLens allows n_heads * d_head != d_model)":
            lambda: apply_mask(dot / math.sqrt(cfg.d_model // cfg.n_heads)),
        "the causal mask is missing: call apply_causal_mask on the scaled scores": lambda: dot / math.sqrt(cfg.d_head),
    }


def run_both(cfg_name: str, seq_len: int = 9):
    bridge, cache = oracle(cfg_name, seq_len)
    attn = load_tl_weights(ex.Attention(CONFIGS[cfg_name]), bridge.blocks[0].attn)
    return CONFIGS[cfg_name], attn, cache


@pytest.mark.parametrize("cfg_name", CONFIGS)
def test_queries_keys_values_match_transformer_lens(cfg_name):
    _, attn, cache = run_both(cfg_name)
    x = cache["blocks.0.ln1.hook_out"]
    before = x.clone()
    with torch.no_grad():
        q, k, v = attn.project_qkv(x)
    assert_unchanged(before, x, name="x")
    for name, mine in [("q", q), ("k", k), ("v", v)]:
        W, b = getattr(attn, f"W_{name.upper()}").detach(), getattr(attn, f"b_{name.upper()}").detach()
        assert_close(mine, cache[f"blocks.0.attn.hook_{name}"], atol=1e-5, rtol=1e-4,
                     name=f"{name} [batch, pos, n_heads, d_head] vs TransformerLens's hook_{name}", mistakes={
            f"the bias b_{name.upper()} is missing: {name} = x @ W_{name.upper()}[h] + b_{name.upper()}[h]":
                lambda: torch.einsum("bpd,hde->bphe", x, W),
            **{f"{name} was computed with W_{o} and b_{o}; each of q, k, v has its own weights":
               (lambda o=o: torch.einsum("bpd,hde->bphe", x, getattr(attn, f"W_{o}").detach()) + getattr(attn, f"b_{o}").detach())
               for o in "QKV" if o != name.upper()},
        })


@pytest.mark.parametrize("cfg_name", CONFIGS)
def test_scores_are_scaled_masked_dot_products(cfg_name):
    # TransformerLens 3.9's bridge (as 4.3's) has hook_attn_scores hold the pattern, not the scores, so the expected
    # scores are computed here from its q and k: q . k / sqrt(d_head) on and below the diagonal
    cfg, attn, cache = run_both(cfg_name, seq_len=7)
    q, k = cache["blocks.0.attn.hook_q"], cache["blocks.0.attn.hook_k"]
    q_before, k_before = q.clone(), k.clone()
    scores = attn.attn_scores(q, k)
    assert_unchanged(q_before, q, name="q")
    assert_unchanged(k_before, k, name="k")
    expected = torch.einsum("bqhe,bkhe->bhqk", q, k) / math.sqrt(cfg.d_head)
    assert_close(scores, apply_mask(expected), atol=1e-5, rtol=1e-4, name="scaled, masked scores",
                 mistakes=score_mistakes(cfg, q, k))
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
    scores = attn.attn_scores(q, k)
    before = scores.clone()
    pattern = attn.attn_pattern(scores)
    assert_unchanged(before, scores, name="scores")
    assert_close(pattern, cache["blocks.0.attn.hook_pattern"], atol=1e-6, rtol=1e-4,
                 name="attention pattern vs TransformerLens's hook_pattern", mistakes={
        "the softmax is over the query axis; it must be over the keys (dim=-1), so each query's weights sum to 1":
            lambda: before.softmax(dim=-2),
    })


def test_pattern_rows_sum_to_one_over_keys():
    torch.manual_seed(0)
    attn = ex.Attention(CONFIGS["4_heads_of_8"])
    scores = torch.randn(2, 4, 6, 6).tril() + torch.triu(torch.full((6, 6), float("-inf")), diagonal=1)
    pattern = attn.attn_pattern(scores)
    assert_close(pattern.sum(dim=-1), torch.ones(2, 4, 6), name="sum of each query's weights over the keys",
                 mistakes={"the softmax is over the query axis; it must be over the keys (dim=-1), so each query's weights sum to 1":
                           scores.softmax(dim=-2).sum(dim=-1)})
