import pytest
import torch

from arena_cli.testing import assert_close, load_exercise, mistake
from arena_cli.zoo import induction as zoo_induction
from arena_cli.zoo import load

ex = load_exercise(__file__)
model = load("induction")

SHAPES = {"batch_1_half_1": (1, 1), "batch_2_half_5": (2, 5), "batch_8_half_31": (8, 31)}


@pytest.mark.parametrize("batch, half_len", SHAPES.values(), ids=SHAPES.keys())
def test_bos_then_the_draw_twice(batch, half_len):
    seed = 100 * batch + half_len
    tokens = ex.repeated_tokens(batch, half_len, torch.Generator().manual_seed(seed))
    half = torch.randint(3, 103, (batch, half_len), generator=torch.Generator().manual_seed(seed))
    expected = torch.cat([torch.zeros(batch, 1, dtype=torch.long), half, half], dim=1)
    g = torch.Generator().manual_seed(seed)
    two_draws = torch.cat([torch.zeros(batch, 1, dtype=torch.long), torch.randint(3, 103, (batch, half_len), generator=g),
                           torch.randint(3, 103, (batch, half_len), generator=g)], dim=1)
    with_specials = torch.randint(0, 103, (batch, half_len), generator=torch.Generator().manual_seed(seed))
    mistakes = {
        "the second copy is a second draw; it must repeat the first copy (draw once, use it twice)": two_draws,
        "the random tokens include <bos>, <pad> and <unk>; draw ordinary tokens only (FIRST_ORDINARY … D_VOCAB - 1)":
            torch.cat([torch.zeros(batch, 1, dtype=torch.long), with_specials, with_specials], dim=1),
        "<bos> is missing at the start": torch.cat([half, half], dim=1),
        "<bos> is put between the copies too; it comes once, at the start":
            torch.cat([torch.zeros(batch, 1, dtype=torch.long), half, torch.zeros(batch, 1, dtype=torch.long), half], dim=1),
    }
    for sentence, value in mistakes.items():
        if tuple(tokens.shape) == tuple(value.shape) and torch.equal(tokens, value):
            raise mistake(sentence)
    assert isinstance(tokens, torch.Tensor) and tokens.dtype == torch.long, "return a torch.long tensor"
    assert tuple(tokens.shape) == (batch, 1 + 2 * half_len), (
        f"expected shape {(batch, 1 + 2 * half_len)} (<bos> + two copies), got {tuple(tokens.shape)}"
    )
    assert_close(tokens, expected, name="tokens (<bos>, then one torch.randint draw of the half, twice)")


def test_second_copy_repeats_the_first_and_bos_leads():
    tokens = ex.repeated_tokens(4, 12, torch.Generator().manual_seed(7))
    assert bool((tokens[:, 0] == 0).all()), "every row starts with <bos> (id 0)"
    assert_close(tokens[:, 13:], tokens[:, 1:13], name="second copy (positions 13 … 24) vs first (1 … 12)")
    assert int(tokens[:, 1:].min()) >= 3, "only ordinary tokens (ids 3 … 102) after <bos>: no <bos>, <pad> or <unk>"


def test_more_than_two_copies():
    # n_repeats (default 2) copies of the same draw after <bos>
    for n_repeats in (1, 3, 4):
        tokens = ex.repeated_tokens(2, 5, torch.Generator().manual_seed(n_repeats), n_repeats=n_repeats)
        half = torch.randint(3, 103, (2, 5), generator=torch.Generator().manual_seed(n_repeats))
        expected = torch.cat([torch.zeros(2, 1, dtype=torch.long)] + [half] * n_repeats, dim=1)
        if tuple(tokens.shape) == (2, 11) and n_repeats != 2:
            raise mistake(f"n_repeats={n_repeats} was ignored: the draw must appear n_repeats times")
        assert_close(tokens, expected, name=f"<bos> and {n_repeats} copies of the draw")


def test_is_written_here_not_borrowed_from_the_zoo(monkeypatch):
    # the zoo's own helper is a solution to the default case: this exercise asks you to write it
    def borrowed(*args, **kwargs):
        raise AssertionError("the zoo's repeated_tokens does it for you: write this one yourself (one torch.randint, torch.cat)")

    monkeypatch.setattr(zoo_induction, "repeated_tokens", borrowed)
    for name, value in vars(ex).items():
        if callable(value) and getattr(value, "__module__", "") == "arena_cli.zoo.induction" and value.__name__ == "repeated_tokens":
            monkeypatch.setattr(ex, name, borrowed)
    tokens = ex.repeated_tokens(2, 4, torch.Generator().manual_seed(0))
    assert tuple(tokens.shape) == (2, 9), f"expected shape (2, 9), got {tuple(tokens.shape)}"


def test_the_generator_decides():
    a = ex.repeated_tokens(3, 10, torch.Generator().manual_seed(1))
    torch.manual_seed(12345)  # the global generator must not matter
    b = ex.repeated_tokens(3, 10, torch.Generator().manual_seed(1))
    c = ex.repeated_tokens(3, 10, torch.Generator().manual_seed(2))
    assert torch.equal(a, b), "the same generator seed must give the same tokens: pass generator= to torch.randint"
    assert not torch.equal(a, c), "different generator seeds gave the same tokens"


def test_reads_as_a_repeated_text():
    tokens = ex.repeated_tokens(1, 6, torch.Generator().manual_seed(3))
    words = model.to_str_tokens(tokens[0])
    assert words[0] == "<bos>" and words[1:7] == words[7:], f"the model's tokenizer reads {words}"
