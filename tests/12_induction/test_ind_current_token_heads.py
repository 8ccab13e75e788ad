import pytest
import torch
from transformer_lens import ActivationCache

from arena_cli.testing import assert_close, assert_unchanged, load_exercise, mistake, show_head_scores
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
    layer1 = torch.stack([first, first, own])[None].expand(2, 3, n, n).clone()
    layer1[1, 0] = own  # batch items differ, so averaging over the wrong axis shows
    patterns = [layer0, layer1]
    before = [p.clone() for p in patterns]
    scores = ex.current_token_scores(fake_cache(patterns), 2)
    for b, a in zip(before, patterns):
        assert_unchanged(b, a, name="the cached patterns")
    expected = torch.tensor([[1.0, 1 / n, 1 / n], [(1 / n + 1) / 2, 1 / n, 1.0]])  # query 0 attends to itself in every head
    diag = [p.diagonal(dim1=-2, dim2=-1) for p in patterns]  # [batch, head, pos]
    assert_close(scores, expected, atol=1e-6, name="current-token scores of hand-made patterns", mistakes={
        "query 0 is left out; average over all query positions (query 0 can only attend to itself)":
            lambda: torch.stack([d[..., 1:].mean(dim=(0, -1)) for d in diag]),
        "the mean is over the head axis instead of the batch": lambda: torch.stack([d.mean(dim=(1, -1)) for d in diag]),
        "the scores are sums over the queries; take the mean": lambda: torch.stack([d.sum(-1).mean(0) for d in diag]),
        "this is the previous-token score (diagonal at offset -1); the current token is the main diagonal":
            lambda: torch.stack([p.diagonal(offset=-1, dim1=-2, dim2=-1).mean(dim=(0, -1)) for p in patterns]),
    })


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


def test_heads_above_orders_layer_first_where_orders_differ():
    scores = torch.tensor([[0.1, 0.9, 0.6], [0.95, 0.2, 0.7]])
    before = scores.clone()
    got = ex.heads_above(scores, 0.5)
    assert_unchanged(before, scores, name="scores")
    expected = [(0, 1), (0, 2), (1, 0), (1, 2)]
    known = {
        "the pairs are ordered head first; the order is layer first, then head": [(1, 0), (0, 1), (0, 2), (1, 2)],
        "the pairs are sorted by score; the order is layer first, then head": [(1, 0), (0, 1), (1, 2), (0, 2)],
        "a score equal to the threshold counts; heads_above is strict (>)": None,
    }
    for sentence, value in known.items():
        if value is not None and got == value:
            raise mistake(sentence, f"heads_above returned {got}, expected {expected}")
    assert got == expected, f"heads_above(scores, 0.5) returned {got}, expected {expected}"
    if ex.heads_above(torch.tensor([[0.5, 0.2]]), 0.5) == [(0, 0)]:
        raise mistake("a score equal to the threshold counts; heads_above is strict (>)")
