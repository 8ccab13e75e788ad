import functools
import math

import pytest
import torch

from arena_cli.course.transformer import Config, tl_model
from arena_cli.testing import assert_close, assert_unchanged, load_exercise

ex = load_exercise(__file__)


def mask_mistakes(scores):
    """The usual wrong masks, applied to `scores` [..., q, k]."""
    q_len, k_len = scores.shape[-2:]
    ones = torch.ones(q_len, k_len, dtype=torch.bool)
    return {
        "the diagonal is masked too (triu with diagonal=0): a position may attend to itself":
            lambda: scores.masked_fill(ones.triu(diagonal=0), float("-inf")),
        "the past is masked instead of the future (tril): mask the keys *after* the query, k > q":
            lambda: scores.masked_fill(ones.tril(diagonal=-1), float("-inf")),
        "the future is set to 0 instead of -inf: a 0 score still gets weight after the softmax":
            lambda: scores.masked_fill(ones.triu(diagonal=1), 0.0),
        "the future is set to a large negative number instead of -inf; use float('-inf')":
            lambda: torch.where(ones.triu(diagonal=1), torch.full_like(scores, -1e9), scores),
    }


def test_worked_example():
    masked = ex.apply_causal_mask(torch.arange(1.0, 10.0).reshape(1, 1, 3, 3))
    expected_minus_inf = torch.tensor([[[[False, True, True], [False, False, True], [False, False, False]]]])
    expected = torch.arange(1.0, 10.0).reshape(1, 1, 3, 3).masked_fill(expected_minus_inf, float("-inf"))
    assert_close(masked, expected, name="the masked 3x3 scores",
                 mistakes=mask_mistakes(torch.arange(1.0, 10.0).reshape(1, 1, 3, 3)))
    assert_close(torch.isneginf(masked), expected_minus_inf, name="where the masked 3x3 scores are -inf")
    assert_close(masked[~expected_minus_inf], torch.tensor([1.0, 4.0, 5.0, 7.0, 8.0, 9.0]), name="the scores that stay")


@pytest.mark.parametrize("shape", [(1, 1, 1, 1), (2, 3, 5, 5), (1, 2, 12, 12)], ids=["one_position", "small", "longer"])
def test_keeps_past_and_present_and_removes_future(shape):
    torch.manual_seed(shape[-1])
    scores = torch.randn(shape)
    original = scores.clone()
    masked = ex.apply_causal_mask(scores)
    assert_unchanged(original, scores, name="attn_scores")
    assert masked.shape == scores.shape, f"the mask changed the shape: {tuple(masked.shape)} != {shape}"
    expected = original.masked_fill(torch.ones(shape[-2:], dtype=torch.bool).triu(diagonal=1), float("-inf"))
    assert_close(masked, expected, name="masked scores", mistakes=mask_mistakes(original))
    q, k = torch.meshgrid(torch.arange(shape[-2]), torch.arange(shape[-1]), indexing="ij")
    future = (k > q).expand(shape)
    assert_close(masked[~future], original[~future], name="scores at keys <= query (must be unchanged)")
    assert_close(torch.isneginf(masked), future, name="where the scores are -inf (exactly at the keys > query)")


def test_does_not_modify_its_input():
    torch.manual_seed(0)
    scores = torch.randn(2, 2, 4, 4)
    original = scores.clone()
    ex.apply_causal_mask(scores)
    assert_unchanged(original, scores, name="attn_scores")


CFG = Config(d_model=32, d_vocab=50, n_ctx=16, d_head=8, n_heads=4, d_mlp=64, n_layers=1)


@functools.cache
def bridge():
    return tl_model(CFG, seed=6)


@pytest.mark.parametrize("seq_len", [3, 11])
def test_softmax_of_masked_scores_matches_transformer_lens_pattern(seq_len):
    # TransformerLens's own scores are q . k / sqrt(d_head); mask them with your function and the
    # softmax must give the attention pattern TransformerLens computed
    cfg = CFG
    torch.manual_seed(seq_len)
    with torch.no_grad():
        _, cache = bridge().run_with_cache(torch.randint(0, cfg.d_vocab, (2, seq_len)))
    q, k = cache["blocks.0.attn.hook_q"], cache["blocks.0.attn.hook_k"]
    scores = torch.einsum("bqhe,bkhe->bhqk", q, k) / math.sqrt(cfg.d_head)
    pattern = ex.apply_causal_mask(scores).softmax(dim=-1)
    assert_close(pattern, cache["blocks.0.attn.hook_pattern"], atol=1e-6, rtol=1e-4, name="softmax(masked scores) vs TransformerLens's hook_pattern")
