import functools
import math

import pytest
import torch
import torch.nn.functional as F

from arena_cli.course.transformer import Config, tl_model
from arena_cli.testing import assert_close, load_exercise

ex = load_exercise(__file__)


def test_worked_example():
    logits = torch.tensor([[[0.0, 0.0], [2.0, 0.0], [9.0, 9.0]]])
    tokens = torch.tensor([[1, 1, 0]])
    expected = torch.tensor([[-math.log(2), 2 - math.log(math.exp(2) + 1)]])
    assert_close(ex.next_token_log_probs(logits, tokens), expected, atol=1e-6, name="log-probs of the worked example")
    assert_close(ex.lm_cross_entropy(logits, tokens), -expected.mean(), atol=1e-6, name="loss of the worked example")


@pytest.mark.parametrize("shape", [(1, 2, 3), (4, 10, 7), (2, 33, 50)], ids=["two_positions", "small", "wide_vocab"])
def test_log_probs_match_torch_cross_entropy(shape):
    batch, pos, vocab = shape
    torch.manual_seed(pos)
    logits = 4 * torch.randn(shape)
    tokens = torch.randint(0, vocab, (batch, pos))
    expected = -F.cross_entropy(logits[:, :-1].reshape(-1, vocab), tokens[:, 1:].reshape(-1), reduction="none")
    got = ex.next_token_log_probs(logits, tokens)
    assert_close(got, expected.reshape(batch, pos - 1), atol=1e-5, rtol=1e-5, name="next-token log-probs [batch, pos - 1]")
    assert_close(ex.lm_cross_entropy(logits, tokens), -expected.mean(), atol=1e-5, rtol=1e-5, name="mean cross-entropy")


def test_loss_is_a_scalar_tensor():
    torch.manual_seed(0)
    loss = ex.lm_cross_entropy(torch.randn(2, 5, 4), torch.randint(0, 4, (2, 5)))
    assert isinstance(loss, torch.Tensor) and loss.shape == (), f"expected a 0-dimensional tensor, got {loss!r}"


def test_stable_with_huge_logits():
    logits = torch.tensor([[[1000.0, 0.0], [0.0, 1000.0], [0.0, 0.0]]])
    tokens = torch.tensor([[0, 1, 0]])
    # position 0 predicts token 1 with logit 0 vs 1000: log-prob -1000; position 1 predicts 0 likewise
    assert_close(ex.next_token_log_probs(logits, tokens), torch.tensor([[-1000.0, -1000.0]]), rtol=1e-5,
                 name="log-probs with logits of 1000 (use log_softmax, not softmax().log())")


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
