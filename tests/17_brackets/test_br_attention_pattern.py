import math

import pytest
import torch

from arena_cli.testing import assert_close, assert_unchanged, load_exercise, show_heatmap
from arena_cli.zoo import brackets as B

ex = load_exercise(__file__)


def variants(q, k, mask):
    scores = torch.einsum("bqhe,bkhe->bhqk", q, k)
    pad = (mask == 0)[:, None, None, :]
    n = q.shape[1]
    causal = torch.ones(n, n, dtype=torch.bool).triu(1)
    scaled = scores / math.sqrt(q.shape[-1])
    return {
        "this model is bidirectional: do not hide later keys (no causal mask), only padding":
            lambda: scaled.masked_fill(pad | causal, float("-inf")).softmax(-1),
        "the padding keys are not masked: -inf where mask[b, j] == 0":
            lambda: scaled.softmax(-1),
        "the mask is applied to the queries (rows) instead of the keys (columns)":
            lambda: scaled.masked_fill((mask == 0)[:, None, :, None], float("-inf")).softmax(-1).nan_to_num(0.0),
        "the scale 1/sqrt(d_head) is missing":
            lambda: scores.masked_fill(pad, float("-inf")).softmax(-1),
        "softmax over the query axis: it runs over the keys (the last axis)":
            lambda: scaled.masked_fill(pad, float("-inf")).softmax(-2),
    }


@pytest.mark.parametrize("layer", [0, 1, 2], ids=["layer_0", "layer_1", "layer_2"])
def test_matches_the_cached_pattern(run, layer):
    tokens, mask, logits, cache = run
    q, k = cache["q", layer], cache["k", layer]
    before = mask.clone()
    got = ex.attention_pattern(q, k, mask)
    assert_close(got, cache["pattern", layer], atol=1e-5,
                 name=f"layer-{layer} pattern [batch, head, q_pos, k_pos] (160 padded strings) vs cache['pattern', {layer}]",
                 mistakes=variants(q, k, mask))
    assert_unchanged(before, mask, name="mask")


def test_worked_example():
    q = torch.zeros(1, 3, 1, 4)
    k = torch.zeros(1, 3, 1, 4)
    q[0, 0, 0, 0] = 2.0
    k[0, 1, 0, 0], k[0, 2, 0, 0] = 1.0, 9.0
    mask = torch.tensor([[1, 1, 0]])
    got = ex.attention_pattern(q, k, mask)[0, 0, 0]
    assert_close(got, torch.tensor([1 / (1 + math.e), math.e / (1 + math.e), 0.0]), atol=1e-6,
                 name="query 0 of the worked example", mistakes=variants(q, k, mask))


@pytest.mark.parametrize("head", [0, 1], ids=["head_0", "head_1"])
def test_attention_from_start(run, head):
    tokens, mask, logits, cache = run
    pattern = cache["pattern", 2]
    assert_close(ex.attention_from_start(pattern, head), pattern[:, head, 0], atol=0,
                 name=f"layer-2 head-{head} row of query 0",
                 mistakes={"that is column 0 (who attends to <start>), not row 0 (what <start> attends to)": lambda: pattern[:, head, :, 0],
                           "that is the other head": lambda: pattern[:, 1 - head, 0]})


def test_figure_head_2_0_on_an_input(model):
    string = "(()())())(()"
    tokens, mask = B.encode([string])
    _, cache = model.run_with_cache(tokens, attention_mask=mask)
    got = ex.attention_pattern(cache["q", 2], cache["k", 2], mask)
    assert_close(got, cache["pattern", 2], atol=1e-5, name=f"layer-2 pattern on {string!r}")
    labels = ["<start>"] + list(string)
    show_heatmap(got[0, 0], labels, labels, title=f"head L2H0 on {string!r} (query rows, key columns)")
    row = ex.attention_from_start(got, 0)[0]
    assert abs(float(row.sum()) - 1) < 1e-5
