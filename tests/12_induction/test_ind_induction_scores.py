import pytest
import torch

from arena_cli.testing import assert_close, assert_unchanged, load_exercise, mistake, show_heatmap
from arena_cli.zoo import load
from arena_cli.zoo.induction import repeated_tokens

ex = load_exercise(__file__)
model = load("induction")


def induction_stripe(half_len: int) -> torch.Tensor:
    """1 where query i of the second copy meets key i - half_len + 1, else 0."""
    seq = 1 + 2 * half_len
    pattern = torch.zeros(seq, seq)
    queries = torch.arange(half_len + 1, seq)
    pattern[queries, queries - half_len + 1] = 1.0
    return pattern


def no_cache(*args, **kwargs):
    raise AssertionError("compute the scores in a hook with run_with_hooks, not with run_with_cache")


CASES = {"batch_2_half_5": (2, 5), "batch_4_half_12": (4, 12), "batch_3_half_25": (3, 25)}


@pytest.mark.parametrize("batch, half_len", CASES.values(), ids=CASES.keys())
def test_scores_match_detect_head_on_the_induction_stripe(batch, half_len, detect, monkeypatch):
    tokens = repeated_tokens(batch, half_len, torch.Generator().manual_seed(half_len))
    # detect_head divides by all 1 + 2 * half_len queries; the score averages over the half_len of the second copy
    expected = detect(model, tokens, induction_stripe(half_len)) * (1 + 2 * half_len) / half_len
    _, cache = model.run_with_cache(tokens)
    patterns = [cache["pattern", layer] for layer in range(2)]
    stripe = lambda p, offset, start: torch.stack([q.diagonal(offset=offset, dim1=-2, dim2=-1)[..., start:].mean(dim=(0, -1)) for q in p])  # noqa: E731
    monkeypatch.setattr(model, "run_with_cache", no_cache)
    scores = ex.induction_scores(model, tokens, half_len)
    assert_close(scores, expected, atol=1e-5, name=f"induction scores [layer, head] (half_len {half_len})", mistakes={
        "this is the duplicate-token score (key i - half_len, the earlier occurrence itself); the induction key is i - half_len + 1":
            lambda: stripe(patterns, -half_len, 1),
        "the stripe includes queries of the first copy; average over the half_len queries of the second copy only":
            lambda: stripe(patterns, -(half_len - 1), 0),
        "the stripe starts one query late; the second copy's queries are half_len+1 … 2*half_len":
            lambda: stripe(patterns, -(half_len - 1), 3),
    })


def test_hook_writes_its_layers_row_on_a_hand_made_pattern():
    class FakeHook:
        def layer(self):
            return 1

    half_len = 3  # <bos> A B C A B C
    pattern = torch.zeros(2, 2, 7, 7)
    pattern[0, 0, [4, 5, 6], [2, 3, 4]] = 1.0  # head 0, item 0: the token after the earlier occurrence
    pattern[1, 0, [4, 5, 6], [2, 3, 4]] = 0.5
    pattern[:, 1, [4, 5, 6], [1, 2, 3]] = 1.0  # head 1: the earlier occurrence itself (a duplicate-token head)
    pattern[:, 1, [1, 2, 3], [0, 0, 0]] = 1.0  # and the first copy, which must not count
    scores = torch.zeros(2, 2)
    before = pattern.clone()
    result = ex.induction_score_hook(pattern, FakeHook(), half_len, scores)
    assert_unchanged(before, pattern, name="pattern")
    assert result is None, "the hook returns nothing (returning a tensor would replace the pattern)"
    assert_close(scores, torch.tensor([[0.0, 0.0], [0.75, 0.0]]), atol=1e-6,
                 name="scores after the hook ran for layer 1")


def test_hook_uses_hook_layer_also_for_multi_digit_layers():
    class FakeHook:
        name = "blocks.12.attn.hook_pattern"

        def layer(self):
            return 12

    pattern = torch.zeros(1, 2, 7, 7)
    pattern[0, 1, [4, 5, 6], [2, 3, 4]] = 1.0
    scores = torch.zeros(14, 2)
    ex.induction_score_hook(pattern, FakeHook(), 3, scores)
    if scores[1].abs().sum() > 0 or scores[2].abs().sum() > 0:
        raise mistake("the layer was read from a character of the hook's name; use hook.layer() (layer 12 here)")
    assert_close(scores[12], torch.tensor([0.0, 1.0]), atol=1e-6, name="row 12 of the scores after the hook of layer 12")


def test_finds_the_heads_detect_head_calls_induction_heads(detect):
    half_len = 15
    tokens = repeated_tokens(4, half_len, torch.Generator().manual_seed(3))
    scores = ex.induction_scores(model, tokens, half_len)
    builtin = detect(model, tokens, "induction_head")  # at most about half_len / (1 + 2 * half_len) ~ 0.48
    ours = [(l, h) for l in range(2) for h in range(4) if scores[l, h] > 0.5]
    theirs = [(l, h) for l in range(2) for h in range(4) if builtin[l, h] > 0.2]
    assert ours == theirs and ours, f"heads with induction score > 0.5: {ours}; detect_head's induction heads: {theirs}"


def test_shows_an_induction_head():
    half_len = 8
    tokens = repeated_tokens(1, half_len, torch.Generator().manual_seed(5))  # a seed whose 8 tokens all differ
    scores = ex.induction_scores(model, tokens, half_len)
    _, cache = model.run_with_cache(tokens)
    layer, head = divmod(int(scores.argmax()), model.cfg.n_heads)
    expected = (cache["pattern", layer][0, head] * induction_stripe(half_len)).sum() / half_len
    assert_close(scores[layer, head], expected, atol=1e-5, name=f"induction score of L{layer}H{head}")
    labels = model.to_str_tokens(tokens[0])
    show_heatmap(cache["pattern", layer][0, head], labels, labels,
                 title=f"L{layer}H{head} on a repeated sequence: the stripe is the induction")
