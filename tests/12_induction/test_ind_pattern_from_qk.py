import math

import pytest
import torch
from transformer_lens.head_detector import detect_head

from arena_cli.testing import assert_close, assert_unchanged, load_exercise, show_heatmap
from arena_cli.zoo import load

ex = load_exercise(__file__)
model = load("induction")


def random_tokens(batch: int, pos: int, seed: int) -> torch.Tensor:
    tokens = torch.randint(3, 103, (batch, pos), generator=torch.Generator().manual_seed(seed))
    tokens[:, 0] = 0  # <bos>
    return tokens


CASES = {"batch_1_pos_5": (1, 5), "batch_3_pos_17": (3, 17), "batch_2_pos_64": (2, 64)}


@pytest.mark.parametrize("layer", [0, 1], ids=["layer_0", "layer_1"])
@pytest.mark.parametrize("shape", CASES.values(), ids=CASES.keys())
def test_matches_the_cached_pattern(shape, layer):
    _, cache = model.run_with_cache(random_tokens(*shape, seed=sum(shape) + layer))
    pattern = ex.attention_pattern(cache["q", layer], cache["k", layer])
    assert_close(pattern, cache["pattern", layer], atol=1e-5,
                 name=f"layer-{layer} pattern [batch, head, q_pos, k_pos] vs cache['pattern', {layer}]",
                 mistakes=pattern_mistakes(cache["q", layer], cache["k", layer]))


def pattern_mistakes(q, k):
    d = q.shape[-1]
    dot = torch.einsum("bqhe,bkhe->bhqk", q, k)
    n = q.shape[1]
    future = torch.ones(n, n, dtype=torch.bool).triu(diagonal=1)
    masked = lambda s: s.masked_fill(future, float("-inf"))  # noqa: E731
    return {
        "the scores are not divided by sqrt(d_head)": lambda: masked(dot).softmax(-1),
        "the scores are divided by d_head; divide by sqrt(d_head)": lambda: masked(dot / d).softmax(-1),
        "d_head is hard-coded as 16 (the zoo model's); read it from q.shape[-1]": lambda: masked(dot / 4).softmax(-1),
        "the softmax is over the query axis; take it over the keys (dim=-1)": lambda: masked(dot / math.sqrt(d)).softmax(-2),
        "the causal mask is missing: keys after the query get -inf": lambda: (dot / math.sqrt(d)).softmax(-1),
        "the diagonal is masked too: a position may attend to itself":
            lambda: (dot / math.sqrt(d)).masked_fill(torch.ones(n, n, dtype=torch.bool).triu(), float("-inf")).softmax(-1),
    }


def test_worked_example():
    q = torch.zeros(1, 2, 1, 4)
    k = torch.zeros(1, 2, 1, 4)
    q[0, 1, 0, 0] = 2.0
    k[0, 0, 0, 0] = 1.0
    expected = torch.tensor([[1.0, 0.0], [math.e / (math.e + 1), 1 / (math.e + 1)]])
    before = (q.clone(), k.clone())
    got = ex.attention_pattern(q, k)
    assert_unchanged(before[0], q, name="q")
    assert_unchanged(before[1], k, name="k")
    assert_close(got[0, 0], expected, atol=1e-6, name="pattern of the worked example (scale sqrt(4) = 2)",
                 mistakes={s: (lambda v=v: v()[0, 0]) for s, v in pattern_mistakes(q, k).items()})


def test_equal_scores_spread_evenly_over_the_visible_keys():
    # all scores equal: query i sees keys 0 … i, each with weight 1 / (i + 1), and no later key
    pattern = ex.attention_pattern(torch.ones(2, 6, 3, 8), torch.ones(2, 6, 3, 8))
    expected = torch.tril(torch.ones(6, 6)) / torch.arange(1, 7)[:, None]
    assert_close(pattern, expected.expand(2, 3, 6, 6), atol=1e-6, name="pattern with all scores equal")


def test_shows_the_previous_token_pattern():
    text = "t1 t2 t3 t4 t5 t6 t1 t2 t3 t4 t5"
    _, cache = model.run_with_cache(model.to_tokens(text))
    pattern = ex.attention_pattern(cache["q", 0], cache["k", 0])
    assert_close(pattern, cache["pattern", 0], atol=1e-5, name="layer-0 pattern")
    head = int(detect_head(model, text, "previous_token_head")[0].argmax())
    labels = model.to_str_tokens(text)
    show_heatmap(pattern[0, head], labels, labels, title=f"layer 0, head {head}: the previous-token head (query rows, key columns)")


def test_scale_follows_d_head_of_the_input():
    # d_head 9 (scale 3): nothing here is the zoo model's size
    gen = torch.Generator().manual_seed(3)
    q, k = torch.randn(2, 5, 3, 9, generator=gen), torch.randn(2, 5, 3, 9, generator=gen)
    scores = torch.einsum("bqhe,bkhe->bhqk", q, k) / 3.0
    expected = scores.masked_fill(torch.ones(5, 5, dtype=torch.bool).triu(diagonal=1), float("-inf")).softmax(-1)
    assert_close(ex.attention_pattern(q, k), expected, atol=1e-6, name="pattern with d_head 9", mistakes=pattern_mistakes(q, k))
