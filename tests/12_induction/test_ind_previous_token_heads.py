import pytest
import torch
from transformer_lens import ActivationCache

from arena_cli.testing import assert_close, assert_unchanged, load_exercise, show_head_scores
from arena_cli.zoo import load
from arena_cli.zoo.induction import repeated_tokens

ex = load_exercise(__file__)
model = load("induction")


def random_tokens(batch: int, pos: int, seed: int) -> torch.Tensor:
    tokens = torch.randint(3, 103, (batch, pos), generator=torch.Generator().manual_seed(seed))
    tokens[:, 0] = 0  # <bos>
    return tokens


INPUTS = {
    "random_4x24": lambda: random_tokens(4, 24, 0),
    "random_2x40": lambda: random_tokens(2, 40, 3),
    "repeated_3x(1+2x10)": lambda: repeated_tokens(3, 10, torch.Generator().manual_seed(1)),
}


def fake_cache(patterns: list[torch.Tensor]) -> ActivationCache:
    return ActivationCache({f"blocks.{l}.attn.hook_pattern": p for l, p in enumerate(patterns)}, model=None)


@pytest.mark.parametrize("make_tokens", INPUTS.values(), ids=INPUTS.keys())
def test_scores_match_transformer_lens_detect_head(make_tokens, detect):
    tokens = make_tokens()
    pos = tokens.shape[1]
    _, cache = model.run_with_cache(tokens)
    scores = ex.previous_token_scores(cache, model.cfg.n_layers)
    # detect_head divides by all pos queries; yours by the pos - 1 that have a previous token
    expected = detect(model, tokens, "previous_token_head") * pos / (pos - 1)
    assert_close(scores, expected, atol=1e-5, name="previous-token scores [layer, head] vs detect_head")


def test_scores_on_hand_made_patterns():
    n = 4
    prev = torch.zeros(n, n)
    prev[0, 0] = 1.0
    prev[torch.arange(1, n), torch.arange(n - 1)] = 1.0
    half = torch.tril(torch.ones(n, n))
    half = half / half.sum(dim=-1, keepdim=True)  # uniform over the visible keys
    own = torch.eye(n)
    # batch item 0 and 1 differ, so averaging over the wrong axis shows
    layer0 = torch.stack([torch.stack([prev, own]), torch.stack([half, prev])])  # [batch 2, head 2, n, n]
    before = layer0.clone()
    scores = ex.previous_token_scores(fake_cache([layer0]), 1)
    assert_unchanged(before, layer0, name="the cached pattern")
    uniform_prev = (1 / 2 + 1 / 3 + 1 / 4) / 3  # query i gives 1 / (i + 1) to key i - 1
    expected = torch.tensor([[(1.0 + uniform_prev) / 2, (0.0 + 1.0) / 2]])
    prev = layer0.diagonal(offset=-1, dim1=-2, dim2=-1)  # [batch, head, n - 1]
    assert_close(scores, expected, atol=1e-6, name="previous-token scores of hand-made patterns", mistakes={
        "the sum is divided by all pos queries (detect_head's scale); divide by the pos - 1 queries that have a previous token":
            prev.sum(-1).mean(0)[None] / n,
        "the diagonal above the main one was read (offset +1, the next token); the previous token is offset -1":
            layer0.diagonal(offset=1, dim1=-2, dim2=-1).mean(dim=(0, -1))[None],
        "the mean is over the head axis instead of the batch": prev.mean(dim=(1, -1))[None],
        "this is the current-token score (main diagonal); the previous token is offset -1":
            layer0.diagonal(dim1=-2, dim2=-1).mean(dim=(0, -1))[None],
    })


def test_finds_the_same_heads_as_detect_head(detect, gap_thresholds):
    tokens = random_tokens(4, 30, 4)
    _, cache = model.run_with_cache(tokens)
    scores = ex.previous_token_scores(cache, model.cfg.n_layers)
    expected = detect(model, tokens, "previous_token_head")
    for threshold in gap_thresholds(expected):
        oracle = [(l, h) for l in range(2) for h in range(4) if expected[l, h] > threshold]
        got = ex.heads_above(scores, threshold)
        assert got == oracle, (
            f"at threshold {threshold:.3f} (on detect_head's scale) you found {got}, detect_head finds {oracle}"
        )
    best = divmod(int(expected.argmax()), 4)
    assert ex.heads_above(scores, 0.7) == [best], (
        f"the model has one strong previous-token head, {best}; at 0.7 you found {ex.heads_above(scores, 0.7)}"
    )
    show_head_scores(scores, title="previous-token scores (layer rows, head columns)", threshold=0.7)
