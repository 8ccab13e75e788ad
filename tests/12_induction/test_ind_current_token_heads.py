import pytest
import torch
from transformer_lens import ActivationCache

from arena_cli.testing import assert_close, load_exercise, show_head_scores
from arena_cli.zoo import load

ex = load_exercise(__file__)
model = load("induction")


def random_tokens(batch: int, pos: int, seed: int) -> torch.Tensor:
    tokens = torch.randint(3, 103, (batch, pos), generator=torch.Generator().manual_seed(seed))
    tokens[:, 0] = 0  # <bos>
    return tokens


def repeated(batch: int, half: int, seed: int) -> torch.Tensor:
    tokens = random_tokens(batch, 1 + half, seed)
    return torch.cat([tokens, tokens[:, 1:]], dim=1)


INPUTS = {"random_4x24": lambda: random_tokens(4, 24, 0), "repeated_3x(1+2x10)": lambda: repeated(3, 10, 1)}


def fake_cache(patterns: list[torch.Tensor]) -> ActivationCache:
    return ActivationCache({f"blocks.{l}.attn.hook_pattern": p for l, p in enumerate(patterns)}, model=None)


@pytest.mark.parametrize("make_tokens", INPUTS.values(), ids=INPUTS.keys())
def test_scores_match_transformer_lens_detect_head(make_tokens, detect):
    tokens = make_tokens()
    _, cache = model.run_with_cache(tokens)
    scores = ex.current_token_scores(cache, model.cfg.n_layers)
    expected = detect(model, tokens, torch.eye(tokens.shape[1]))
    assert_close(scores, expected, atol=1e-5, name="current-token scores [layer, head] vs detect_head")


def test_scores_on_hand_made_patterns():
    # head 0 attends to itself, head 1 to the previous position, head 2 to position 0
    n = 5
    own = torch.eye(n)
    prev = torch.zeros(n, n)
    prev[0, 0] = 1.0
    prev[torch.arange(1, n), torch.arange(n - 1)] = 1.0
    first = torch.zeros(n, n)
    first[:, 0] = 1.0
    layer0 = torch.stack([own, prev, first])[None].expand(2, 3, n, n)
    layer1 = torch.stack([first, first, own])[None].expand(2, 3, n, n)
    scores = ex.current_token_scores(fake_cache([layer0, layer1]), 2)
    expected = torch.tensor([[1.0, 1 / n, 1 / n], [1 / n, 1 / n, 1.0]])  # query 0 attends to itself in every head
    assert_close(scores, expected, atol=1e-6, name="current-token scores of hand-made patterns")


def test_heads_above_is_strict_and_ordered():
    scores = torch.tensor([[0.9, 0.2, 0.5], [0.5000001, 0.1, 0.7]])
    got = ex.heads_above(scores, 0.5)
    assert got == [(0, 0), (1, 0), (1, 2)], f"heads_above(scores, 0.5) returned {got}"
    assert all(type(l) is int and type(h) is int for l, h in got), "return tuples of Python ints"
    assert ex.heads_above(scores, 0.95) == [], "no head is above 0.95"


def test_finds_the_same_heads_as_detect_head(detect, gap_thresholds):
    tokens = random_tokens(4, 24, 2)
    _, cache = model.run_with_cache(tokens)
    scores = ex.current_token_scores(cache, model.cfg.n_layers)
    expected = detect(model, tokens, torch.eye(tokens.shape[1]))
    for threshold in gap_thresholds(expected):
        oracle = [(l, h) for l in range(2) for h in range(4) if expected[l, h] > threshold]
        got = ex.heads_above(scores, threshold)
        assert got == oracle, f"at threshold {threshold:.3f} you found {got}, detect_head finds {oracle}"
    show_head_scores(scores, title="current-token scores (layer rows, head columns)", threshold=0.1)
