import pytest
import torch

from arena_cli.testing import assert_close, assert_unchanged, load_exercise

ex = load_exercise(__file__)


def penalised(logits: torch.Tensor, tokens: torch.Tensor, penalty: float) -> torch.Tensor:
    """The definition with plain loops."""
    out = logits.clone().numpy()
    for b, row in enumerate(tokens.tolist()):
        for t in row:
            out[b, t] -= penalty
    return torch.tensor(out)


def penalty_mistakes(logits, tokens, penalty):
    counts = torch.zeros_like(logits).scatter_add(-1, tokens, torch.ones_like(tokens, dtype=logits.dtype))
    batch_counts = counts.sum(0, keepdim=True).expand_as(counts)
    return {
        "each seen token loses the penalty once (a presence penalty); the frequency penalty is penalty * count":
            lambda: logits - penalty * (counts > 0).to(logits.dtype),
        "the counts are taken over the whole batch; each row counts its own sequence only":
            lambda: logits - penalty * batch_counts,
        "the penalty is added; it is subtracted (seen tokens become less likely)": lambda: logits + penalty * counts,
        "the count is divided by the sequence length; subtract penalty * count":
            lambda: logits - penalty * counts / tokens.shape[1],
    }


def test_worked_example():
    got = ex.apply_frequency_penalty(torch.ones(1, 4), torch.tensor([[2, 0, 2, 2]]), 0.5)
    assert_close(got, torch.tensor([[0.5, 1.0, -0.5, 1.0]]), name="penalised logits of the worked example",
                 mistakes=penalty_mistakes(torch.ones(1, 4), torch.tensor([[2, 0, 2, 2]]), 0.5))


@pytest.mark.parametrize(
    "batch,seq,vocab,penalty", [(1, 1, 5, 1.0), (3, 20, 6, 0.3), (4, 50, 30, 2.0)],
    ids=["one_token", "many_repeats", "full_alphabet"],
)
def test_matches_counting_loops(batch, seq, vocab, penalty):
    generator = torch.Generator().manual_seed(seq)
    logits = torch.randn(batch, vocab, generator=generator)
    tokens = torch.randint(0, vocab, (batch, seq), generator=generator)
    original, original_tokens = logits.clone(), tokens.clone()
    got = ex.apply_frequency_penalty(logits, tokens, penalty)
    assert_unchanged(original, logits, name="logits")
    assert_unchanged(original_tokens, tokens, name="tokens")
    assert_close(got, penalised(original, tokens, penalty), atol=1e-5, name=f"penalised logits, penalty {penalty}",
                 mistakes=penalty_mistakes(original, tokens, penalty))


def test_each_row_counts_only_its_own_tokens():
    tokens = torch.tensor([[0, 0, 0], [1, 2, 3]])
    got = ex.apply_frequency_penalty(torch.zeros(2, 4), tokens, 1.0)
    expected = torch.tensor([[-3.0, 0.0, 0.0, 0.0], [0.0, -1.0, -1.0, -1.0]])
    assert_close(got, expected, name="penalty of rows [0, 0, 0] and [1, 2, 3]",
                 mistakes=penalty_mistakes(torch.zeros(2, 4), tokens, 1.0))


def test_penalty_grows_with_the_count_not_just_presence():
    tokens = torch.tensor([[4] * 7 + [1]])
    got = ex.apply_frequency_penalty(torch.zeros(1, 5), tokens, 0.25)
    assert_close(got, torch.tensor([[0.0, -0.25, 0.0, 0.0, -1.75]]), name="token 4 seen 7 times, token 1 once",
                 mistakes=penalty_mistakes(torch.zeros(1, 5), tokens, 0.25))


def test_zero_penalty_changes_nothing():
    generator = torch.Generator().manual_seed(0)
    logits = torch.randn(2, 8, generator=generator)
    tokens = torch.randint(0, 8, (2, 10), generator=generator)
    assert_close(ex.apply_frequency_penalty(logits, tokens, 0.0), logits, name="logits with penalty 0")
