import numpy as np
import pytest
import torch

from arena_cli.course.transformer import sample_from_logits
from arena_cli.testing import assert_close, assert_unchanged, load_exercise, mistake

ex = load_exercise(__file__)

N_DRAWS = 20_000
# the worked example: sorted, the probabilities are 0.50 (token 2), 0.30 (0), 0.15 (3), 0.05 (1)
PROBS = torch.tensor([0.30, 0.05, 0.50, 0.15])


def kept(filtered: torch.Tensor) -> torch.Tensor:
    return ~torch.isneginf(filtered)


def top_p_mistakes(logits, p):
    """The logits the usual wrong nucleus filters return."""
    inf = float("-inf")

    def unsort(drop_sorted, order):
        return logits.masked_fill(drop_sorted.scatter(-1, order, drop_sorted), inf)

    sorted_logits, order = logits.sort(dim=-1, descending=True)
    probs = sorted_logits.softmax(-1)
    cumulative = probs.cumsum(-1)
    up_sorted, up_order = logits.sort(dim=-1)
    return {
        "the boundary token is dropped (cumulative >= p); the token at which the total first reaches p is kept":
            lambda: unsort(cumulative >= p, order),
        "the boundary token is dropped (cumulative > p); the token at which the total first reaches p is kept":
            lambda: unsort(cumulative > p, order),
        "a token is kept while the mass before it is <= p (`>` where `>=` is meant): a total equal to p already reaches p":
            lambda: unsort((cumulative - probs) > p, order),
        "the decision, made in sorted order, was applied to the unsorted logits: scatter it back with the sort order":
            lambda: logits.masked_fill((cumulative - probs) >= p, inf),
        "the tokens are sorted from least to most likely; sort descending":
            lambda: unsort((up_sorted.softmax(-1).cumsum(-1) - up_sorted.softmax(-1)) >= p, up_order),
        "the dropped logits are set to 0; set them to -inf": lambda: logits.masked_fill(
            ((cumulative - probs) >= p).scatter(-1, order, (cumulative - probs) >= p), 0.0),
    }


def nucleus(probs: np.ndarray, p: float) -> np.ndarray:
    """The definition, one row at a time: the shortest most-likely prefix of mass >= p."""
    order = np.argsort(-probs)
    total, keep = 0.0, np.zeros(len(probs), dtype=bool)
    for token in order:
        keep[token] = True
        total += probs[token]
        if total >= p:
            break
    return keep


@pytest.mark.parametrize(
    "p,expected_kept",
    [
        (0.75, [True, False, True, False]),
        (0.79, [True, False, True, False]),
        (0.81, [True, False, True, True]),
        (0.40, [False, False, True, False]),
        (0.97, [True, True, True, True]),
    ],
    ids=[
        "worked_example",
        "boundary_token_reaching_p_is_kept",
        "nothing_after_the_boundary_token",
        "first_token_alone_reaches_p",
        "needs_every_token",
    ],
)
def test_cuts_at_the_boundary_token(p, expected_kept):
    logits = PROBS.log()[None]
    filtered = ex.top_p_filter(logits, p)
    assert_close(filtered, logits.masked_fill(~torch.tensor([expected_kept]), float("-inf")),
                 name=f"top-p logits at p={p} for probabilities {PROBS.tolist()}", mistakes=top_p_mistakes(logits, p))
    assert_close(kept(filtered), torch.tensor([expected_kept]),
                 name=f"tokens kept at p={p} for probabilities {PROBS.tolist()} (kept = not -inf)")
    assert_close(filtered[kept(filtered)], logits[kept(filtered)], name="the kept logits (unchanged)")


@pytest.mark.parametrize("p,n_kept", [(0.25, 1), (0.5, 2), (0.75, 3)])
def test_a_total_exactly_equal_to_p_reaches_it(p, n_kept):
    # 8 equal logits: probabilities exactly 1/8 and running totals exactly 1/8, 2/8, ... in float32,
    # so the total lands exactly on p. "Reaches" means >=: the token that makes the total equal p is
    # the last one kept. (Which of the tied tokens are kept does not matter, only how many.)
    filtered = ex.top_p_filter(torch.zeros(1, 8), p)
    mistakes = top_p_mistakes(torch.zeros(1, 8), p)
    n_got = int(kept(filtered).sum())
    for sentence, variant in mistakes.items():
        if n_got != 2 * n_kept and int(kept(variant()).sum()) == n_got:
            raise mistake(sentence, f"with 8 equally likely tokens and p={p}, {2 * n_kept} tokens should be kept; {n_got} were")
    assert int(kept(filtered).sum()) == 2 * n_kept, (
        f"with 8 equally likely tokens and p={p}, exactly {2 * n_kept} tokens reach a total of {p}; "
        f"{int(kept(filtered).sum())} were kept"
    )


@pytest.mark.parametrize("p", [0.3, 0.6, 0.9])
def test_matches_the_definition_on_random_rows(p):
    generator = torch.Generator().manual_seed(int(p * 10))
    logits = 2 * torch.randn(64, 20, generator=generator)
    original = logits.clone()
    filtered = ex.top_p_filter(logits, p)
    assert_unchanged(original, logits, name="logits")
    probs = original.double().softmax(-1).numpy()
    # skip rows whose running total lands within 1e-4 of p, where float rounding could go either way
    sorted_cum = np.cumsum(-np.sort(-probs, axis=-1), axis=-1)
    clear = np.abs(sorted_cum - p).min(axis=-1) > 1e-4
    expected = torch.tensor(np.stack([nucleus(row, p) for row in probs]))
    rows = torch.tensor(clear)
    assert_close(kept(filtered)[rows], expected[rows], name=f"tokens kept at p={p} on random rows",
                 mistakes={sentence: (lambda v=v: kept(v())[rows]) for sentence, v in top_p_mistakes(original, p).items()})
    assert_close(logits, original, name="the logits passed in (must not be modified in place)")


def test_tiny_p_is_greedy():
    torch.manual_seed(0)
    logits = torch.randn(40, 10)
    filtered = ex.top_p_filter(logits, 1e-4)
    assert_close(kept(filtered).sum(-1), torch.ones(40, dtype=torch.long), name="number of tokens kept at p=0.0001")
    assert_close(filtered.argmax(-1), logits.argmax(-1), name="the token kept at p=0.0001 (the most likely)")


def test_samples_stay_in_the_nucleus_with_renormalised_frequencies(assert_frequencies):
    # nucleus at p=0.81: tokens 2, 0 and 3 (mass 0.95), renormalised to 0.50/0.95, 0.30/0.95, 0.15/0.95
    logits = PROBS.log().expand(N_DRAWS, 4)
    samples = sample_from_logits(ex.top_p_filter(logits, 0.81), torch.Generator().manual_seed(0))
    assert 1 not in samples.tolist(), "top-p sampling at p=0.81 drew token 1, which is outside the nucleus"
    assert_frequencies(samples, torch.tensor([0.30, 0.0, 0.50, 0.15]) / 0.95, f"{N_DRAWS} samples at p=0.81")
