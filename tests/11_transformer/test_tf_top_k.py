import pytest
import torch

from arena_cli.course.transformer import sample_from_logits
from arena_cli.testing import assert_close, assert_unchanged, load_exercise

ex = load_exercise(__file__)

N_DRAWS = 20_000


def kept_mask(filtered: torch.Tensor) -> torch.Tensor:
    return ~torch.isneginf(filtered)


def top_k_mistakes(logits, k):
    inf = float("-inf")
    kth = logits.topk(k, dim=-1).values[:, -1:]
    return {
        "one logit too few is kept (`<=` where `<` is meant): the k-th largest logit itself stays":
            lambda: logits.masked_fill(logits <= kth, inf),
        "one logit too many is kept: keep exactly the k largest of each row":
            lambda: logits.masked_fill(logits < logits.topk(k + 1, dim=-1).values[:, -1:], inf),
        "the k largest logits were removed instead of kept": lambda: logits.masked_fill(logits >= kth, inf),
        "the threshold is taken over the whole batch; each row keeps its own k largest":
            lambda: logits.masked_fill(logits < kth.min(), inf),
        "the dropped logits are set to 0; set them to -inf so that they are never sampled":
            lambda: logits.masked_fill(logits < kth, 0.0),
    }


def test_worked_example():
    logits = torch.tensor([[1.0, 5.0, 3.0, 2.0], [0.0, -1.0, 4.0, 8.0]])
    filtered = ex.top_k_filter(logits, 2)
    assert_close(filtered, logits.masked_fill(torch.tensor([[True, False, False, True], [True, True, False, False]]), float("-inf")),
                 name="top-2 of the worked example", mistakes=top_k_mistakes(logits, 2))
    assert_close(kept_mask(filtered), torch.tensor([[False, True, True, False], [False, False, True, True]]),
                 name="which logits top-2 keeps (the others must be -inf)")
    assert_close(filtered[kept_mask(filtered)], torch.tensor([5.0, 3.0, 4.0, 8.0]), name="the kept logits (unchanged)")


@pytest.mark.parametrize("k", [1, 3, 10, 30])
def test_keeps_exactly_the_k_largest_of_each_row(k):
    torch.manual_seed(k)
    logits = torch.randn(6, 30)
    original = logits.clone()
    filtered = ex.top_k_filter(logits, k)
    assert_unchanged(original, logits, name="logits")
    expected = torch.zeros(6, 30, dtype=torch.bool).scatter(-1, torch.topk(original, k, dim=-1).indices, True)
    assert_close(filtered, original.masked_fill(~expected, float("-inf")), name=f"top-{k} filtered logits",
                 mistakes=top_k_mistakes(original, k))
    assert_close(kept_mask(filtered), expected, name=f"which logits top-{k} keeps")
    assert_close(filtered[expected], original[expected], name=f"the logits top-{k} keeps (unchanged)")
    assert_close(logits, original, name="the logits passed in (must not be modified in place)")


def test_k_one_is_greedy():
    torch.manual_seed(0)
    logits = torch.randn(50, 12)
    samples = sample_from_logits(ex.top_k_filter(logits, 1), torch.Generator().manual_seed(0))
    assert_close(samples, logits.argmax(dim=-1), name="samples with top-1 vs the argmax")


@pytest.mark.parametrize("k", [2, 4])
def test_samples_stay_in_the_top_k_with_renormalised_frequencies(k, assert_frequencies):
    logits = torch.tensor([0.5, 2.0, -1.0, 1.5, 1.0, 0.0])
    filtered = ex.top_k_filter(logits.expand(N_DRAWS, 6), k)
    samples = sample_from_logits(filtered, torch.Generator().manual_seed(k))
    top = set(torch.topk(logits, k).indices.tolist())
    outside = set(samples.tolist()) - top
    assert not outside, f"top-{k} sampling drew tokens outside the {k} largest: {sorted(outside)}"
    expected = torch.full((6,), float("-inf"))
    expected[list(top)] = logits[list(top)]
    assert_frequencies(samples, expected.softmax(-1), f"{N_DRAWS} samples with top-{k}")
