import math

import pytest
import torch
import torch.nn.functional as F

from arena_cli.testing import assert_close, assert_unchanged, forbidder, load_exercise
from arena_cli.zoo import load
from arena_cli.zoo.induction import repeated_tokens

ex = load_exercise(__file__)
model = load("induction")

SHAPES = {"batch_1_pos_2": (1, 2, 5), "batch_3_pos_9": (3, 9, 11), "batch_2_pos_30_vocab_103": (2, 30, 103)}


@pytest.mark.parametrize("batch, pos, vocab", SHAPES.values(), ids=SHAPES.keys())
def test_matches_cross_entropy_on_random_logits(batch, pos, vocab):
    gen = torch.Generator().manual_seed(pos)
    logits = torch.randn(batch, pos, vocab, generator=gen) * 3
    tokens = torch.randint(0, vocab, (batch, pos), generator=gen)
    expected = F.cross_entropy(logits[:, :-1].reshape(-1, vocab), tokens[:, 1:].reshape(-1), reduction="none")
    before = (logits.clone(), tokens.clone())
    got = ex.per_token_loss(logits, tokens)
    assert_unchanged(before[0], logits, name="logits")
    assert_unchanged(before[1], tokens, name="tokens")
    pick = lambda lp, t: -lp.gather(-1, t[..., None])[..., 0]  # noqa: E731
    assert_close(got, expected.reshape(batch, pos - 1), atol=1e-5,
                 name="loss[b, p] of predicting tokens[b, p + 1] from logits[b, p]", mistakes={
        "no shift: the loss at p must be of tokens[p + 1] (the next token), read from logits[p]":
            lambda: pick(logits[:, :-1].log_softmax(-1), tokens[:, :-1]),
        "the logits at p + 1 were used for token p + 1; the prediction of token p + 1 is made at position p":
            lambda: pick(logits[:, 1:].log_softmax(-1), tokens[:, 1:]),
        "the sign is flipped: the loss is minus the log-probability": lambda: -pick(logits[:, :-1].log_softmax(-1), tokens[:, 1:]),
        "the log_softmax is over the position axis; take it over the vocabulary":
            lambda: pick(logits[:, :-1].log_softmax(1), tokens[:, 1:]),
    })


def test_follows_the_rules(monkeypatch):
    gen = torch.Generator().manual_seed(4)
    logits, tokens = torch.randn(2, 6, 9, generator=gen), torch.randint(0, 9, (2, 6), generator=gen)
    expected = F.cross_entropy(logits[:, :-1].reshape(-1, 9), tokens[:, 1:].reshape(-1), reduction="none").reshape(2, 5)
    forbidder(monkeypatch)("torch.nn.functional.cross_entropy", "torch.nn.functional.nll_loss")
    assert_close(ex.per_token_loss(logits, tokens), expected, atol=1e-5, name="per-token loss with log_softmax and gather")


def test_matches_the_models_own_per_token_loss():
    tokens = repeated_tokens(4, 15, torch.Generator().manual_seed(0))
    expected = model(tokens, return_type="loss", loss_per_token=True)
    assert_close(ex.per_token_loss(model(tokens), tokens), expected, atol=1e-5,
                 name="per-token loss vs model(tokens, return_type='loss', loss_per_token=True)")


@pytest.mark.parametrize("half_len", [2, 7, 20])
def test_copies_average_the_right_positions(half_len):
    # a distinct value per position shows exactly which positions went into each mean
    losses = torch.arange(2 * half_len, dtype=torch.float32)[None].repeat(3, 1)
    losses[1] += 100.0
    before = losses.clone()
    first, second = ex.loss_on_copies(losses, half_len)
    assert_unchanged(before, losses, name="losses")
    expected_first = sum(range(half_len)) / half_len + 100 / 3  # tokens 1 … half_len sit at 0 … half_len-1
    expected_second = sum(range(half_len + 1, 2 * half_len)) / (half_len - 1) + 100 / 3
    assert isinstance(first, float) and isinstance(second, float), "return two Python floats"
    mean = lambda a, b: float(before[:, a:b].mean())  # noqa: E731
    assert_close(first, expected_first, atol=1e-4, name=f"first-copy loss (half_len {half_len})", mistakes={
        "the first copy is read one index too late: the loss of token t sits at index t - 1 (tokens 1 … half_len at 0 … half_len-1)":
            lambda: mean(1, half_len + 1),
        "the first copy leaves out its first token; tokens 1 … half_len all count": lambda: mean(1, half_len),
    })
    assert_close(second, expected_second, atol=1e-4,
                 name=f"second-copy loss (half_len {half_len}; the first token of the repeat is left out)", mistakes={
        "the second copy includes the start of the repeat (token half_len + 1), which is not predictable":
            lambda: mean(half_len, 2 * half_len),
        "the second copy is read one index too early: tokens half_len+2 … sit at indices half_len+1 …":
            lambda: mean(half_len, 2 * half_len - 1),
    })


def test_the_model_predicts_the_repeat():
    half_len = 20
    tokens = repeated_tokens(8, half_len, torch.Generator().manual_seed(1))
    first, second = ex.loss_on_copies(ex.per_token_loss(model(tokens), tokens), half_len)
    assert first > 0.8 * math.log(100), f"first copy: loss {first:.2f}, but random tokens cannot be predicted"
    assert second < 0.5, f"second copy: loss {second:.2f}; the zoo model predicts repeats well"
