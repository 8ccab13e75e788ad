import functools
import math

import pytest
import torch
import torch.nn.functional as F

from arena_cli.course.transformer import Config, tl_model
from arena_cli.testing import assert_close, assert_unchanged, forbidder, load_exercise

ex = load_exercise(__file__)


def log_prob_mistakes(logits, tokens):
    def pick(log_probs, index):
        return log_probs.gather(-1, index[..., None])[..., 0]

    return {
        "the logits at p are matched with the token at p (no shift); position p predicts tokens[:, p + 1]":
            lambda: pick(logits[:, :-1].log_softmax(-1), tokens[:, :-1]),
        "the logits at p + 1 are matched with the token at p + 1; the prediction for token p + 1 sits at position p":
            lambda: pick(logits[:, 1:].log_softmax(-1), tokens[:, 1:]),
        "the log_softmax is over the position axis; it must be over the vocabulary (dim=-1)":
            lambda: pick(logits[:, :-1].log_softmax(1), tokens[:, 1:]),
        "softmax(...).log() underflows to -inf for large logits; use log_softmax":
            lambda: pick(logits[:, :-1].softmax(-1).log(), tokens[:, 1:]),
        "the sign is flipped: these are log-probabilities, which are <= 0":
            lambda: -pick(logits[:, :-1].log_softmax(-1), tokens[:, 1:]),
    }


def loss_mistakes(logits, tokens):
    log_probs = logits[:, :-1].log_softmax(-1).gather(-1, tokens[:, 1:, None])[..., 0]
    return {
        "the loss is the sum of the per-token losses; it is their mean": lambda: -log_probs.sum(),
        "the sign is flipped: the loss is minus the mean log-probability": lambda: log_probs.mean(),
        "the loss averages the log-probabilities over the batch only (then sums positions)": lambda: -log_probs.mean(0).sum(),
    }


def test_worked_example():
    logits = torch.tensor([[[0.0, 0.0], [2.0, 0.0], [9.0, 9.0]]])
    tokens = torch.tensor([[1, 1, 0]])
    expected = torch.tensor([[-math.log(2), 2 - math.log(math.exp(2) + 1)]])
    assert_close(ex.next_token_log_probs(logits, tokens), expected, atol=1e-6, name="log-probs of the worked example",
                 mistakes=log_prob_mistakes(logits, tokens))
    assert_close(ex.lm_cross_entropy(logits, tokens), -expected.mean(), atol=1e-6, name="loss of the worked example",
                 mistakes=loss_mistakes(logits, tokens))


@pytest.mark.parametrize("shape", [(1, 2, 3), (4, 10, 7), (2, 33, 50)], ids=["two_positions", "small", "wide_vocab"])
def test_log_probs_match_torch_cross_entropy(shape):
    batch, pos, vocab = shape
    torch.manual_seed(pos)
    logits = 4 * torch.randn(shape)
    tokens = torch.randint(0, vocab, (batch, pos))
    expected = -F.cross_entropy(logits[:, :-1].reshape(-1, vocab), tokens[:, 1:].reshape(-1), reduction="none")
    before = (logits.clone(), tokens.clone())
    got = ex.next_token_log_probs(logits, tokens)
    assert_unchanged(before[0], logits, name="logits")
    assert_unchanged(before[1], tokens, name="tokens")
    assert_close(got, expected.reshape(batch, pos - 1), atol=1e-5, rtol=1e-5, name="next-token log-probs [batch, pos - 1]",
                 mistakes=log_prob_mistakes(logits, tokens))
    assert_close(ex.lm_cross_entropy(logits, tokens), -expected.mean(), atol=1e-5, rtol=1e-5, name="mean cross-entropy",
                 mistakes=loss_mistakes(logits, tokens))


def test_loss_is_a_scalar_tensor():
    torch.manual_seed(0)
    loss = ex.lm_cross_entropy(torch.randn(2, 5, 4), torch.randint(0, 4, (2, 5)))
    assert isinstance(loss, torch.Tensor) and loss.shape == (), f"expected a 0-dimensional tensor, got {loss!r}"


def test_stable_with_huge_logits():
    logits = torch.tensor([[[1000.0, 0.0], [0.0, 1000.0], [0.0, 0.0]]])
    tokens = torch.tensor([[0, 1, 0]])
    # position 0 predicts token 1 with logit 0 vs 1000: log-prob -1000; position 1 predicts 0 likewise
    assert_close(ex.next_token_log_probs(logits, tokens), torch.tensor([[-1000.0, -1000.0]]), rtol=1e-5,
                 name="log-probs with logits of 1000 (use log_softmax, not softmax().log())",
                 mistakes=log_prob_mistakes(logits, tokens))


def test_follows_the_rules(monkeypatch):
    torch.manual_seed(5)
    logits, tokens = torch.randn(2, 6, 7), torch.randint(0, 7, (2, 6))
    expected = -F.cross_entropy(logits[:, :-1].reshape(-1, 7), tokens[:, 1:].reshape(-1), reduction="none").reshape(2, 5)
    forbidder(monkeypatch)("torch.nn.functional.cross_entropy", "torch.nn.functional.nll_loss", "torch.nn.CrossEntropyLoss",
                           "torch.nn.NLLLoss")
    assert_close(ex.next_token_log_probs(logits, tokens), expected, atol=1e-5, name="log-probs with log_softmax and gather")
    assert_close(ex.lm_cross_entropy(logits, tokens), -expected.mean(), atol=1e-5, name="loss with log_softmax and gather")


TL_CFG = Config(d_model=32, d_vocab=50, n_ctx=16, d_head=8, n_heads=4, d_mlp=64, n_layers=1)


@functools.cache
def tl_bridge():
    return tl_model(TL_CFG, seed=14)


@pytest.mark.parametrize("seq_len", [2, 16])
def test_matches_transformer_lens_loss(seq_len):
    cfg = TL_CFG
    bridge = tl_bridge()
    torch.manual_seed(seq_len)
    tokens = torch.randint(0, cfg.d_vocab, (3, seq_len))
    with torch.no_grad():
        logits = bridge(tokens)
        tl_loss = bridge(tokens, return_type="loss")
        tl_per_token = bridge(tokens, return_type="loss", loss_per_token=True)
    assert_close(ex.next_token_log_probs(logits, tokens), -tl_per_token, atol=1e-5, rtol=1e-5,
                 name="log-probs vs TransformerLens's per-token loss")
    assert_close(ex.lm_cross_entropy(logits, tokens), tl_loss, atol=1e-5, rtol=1e-5, name="loss vs TransformerLens's loss")
