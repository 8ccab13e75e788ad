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


def first_column(pos: int) -> torch.Tensor:
    pattern = torch.zeros(pos, pos)
    pattern[:, 0] = 1.0
    return pattern


INPUTS = {
    "random_4x24": lambda: random_tokens(4, 24, 0),
    "repeated_3x(1+2x10)": lambda: repeated_tokens(3, 10, torch.Generator().manual_seed(1)),
}


@pytest.mark.parametrize("make_tokens", INPUTS.values(), ids=INPUTS.keys())
def test_scores_match_transformer_lens_detect_head(make_tokens, detect):
    tokens = make_tokens()
    _, cache = model.run_with_cache(tokens)
    scores = ex.first_token_scores(cache, model.cfg.n_layers)
    expected = detect(model, tokens, first_column(tokens.shape[1]))
    assert_close(scores, expected, atol=1e-5, name="first-token scores [layer, head] vs detect_head")


def test_scores_on_hand_made_patterns():
    n = 4
    first = first_column(n)
    last = torch.eye(n)  # each query on its own position: only query 0 is on position 0
    layer0 = torch.stack([torch.stack([first, last, last]), torch.stack([last, last, first])])  # [batch 2, head 3]
    layer0[1, 1] = torch.tril(torch.ones(n, n)) / torch.arange(1, n + 1)[:, None]  # uniform over the visible keys
    cache = ActivationCache({"blocks.0.attn.hook_pattern": layer0}, model=None)
    before = layer0.clone()
    scores = ex.first_token_scores(cache, 1)
    assert_unchanged(before, layer0, name="the cached pattern")
    uniform = sum(1 / (i + 1) for i in range(n)) / n
    expected = torch.tensor([[(1 + 1 / n) / 2, (1 / n + uniform) / 2, (1 / n + 1) / 2]])
    assert_close(scores, expected, atol=1e-6, name="first-token scores of hand-made patterns", mistakes={
        "query 0 is left out; every query counts, position 0 included": layer0[..., 1:, 0].mean(dim=(0, -1))[None],
        "row 0 of the pattern was read (what query 0 attends to); the score is column 0 (attention *to* position 0)":
            layer0[..., 0, :].mean(dim=(0, -1))[None],
        "the mean is over the head axis instead of the batch": layer0[..., 0].mean(dim=(1, -1))[None],
    })


def test_finds_the_same_heads_as_detect_head(detect, gap_thresholds):
    tokens = random_tokens(4, 30, 5)
    _, cache = model.run_with_cache(tokens)
    scores = ex.first_token_scores(cache, model.cfg.n_layers)
    expected = detect(model, tokens, first_column(tokens.shape[1]))
    for threshold in gap_thresholds(expected):
        oracle = [(l, h) for l in range(2) for h in range(4) if expected[l, h] > threshold]
        got = ex.heads_above(scores, threshold)
        assert got == oracle, f"at threshold {threshold:.3f} you found {got}, detect_head finds {oracle}"
    show_head_scores(scores, title="first-token (<bos>) scores on random tokens", threshold=0.3)
