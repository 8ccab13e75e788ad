import numpy as np
import torch
from hypothesis import Phase, given, settings
from hypothesis import strategies as st

from arena_cli.testing import assert_close, load_exercise

ex = load_exercise(__file__)

# reproducible draws; no `explain` phase (it re-runs a failing test for seconds to annotate it)
PROPERTY = settings(
    derandomize=True, max_examples=25, deadline=None, phases=(Phase.explicit, Phase.generate, Phase.shrink)
)


@PROPERTY
@given(batch=st.integers(1, 6), n_classes=st.integers(1, 7), seed=st.integers(0, 2**16))
def test_correct_logits_match_numpy_take_along_axis(batch, n_classes, seed):
    gen = torch.Generator().manual_seed(seed)
    logits = torch.randn(batch, n_classes, generator=gen)
    labels = torch.randint(0, n_classes, (batch,), generator=gen)
    expected = np.take_along_axis(logits.numpy(), labels.numpy()[:, None], axis=1)[:, 0]
    assert_close(
        ex.correct_logits(logits, labels),
        expected,
        name=f"correct_logits, {batch} rows of {n_classes} classes",
    )


@PROPERTY
@given(batch=st.integers(1, 3), pos=st.integers(1, 4), vocab=st.integers(1, 6), seed=st.integers(0, 2**16))
def test_correct_token_logits_match_numpy_take_along_axis(batch, pos, vocab, seed):
    gen = torch.Generator().manual_seed(seed)
    logits = torch.randn(batch, pos, vocab, generator=gen)
    tokens = torch.randint(0, vocab, (batch, pos), generator=gen)
    expected = np.take_along_axis(logits.numpy(), tokens.numpy()[..., None], axis=2)[..., 0]
    assert_close(
        ex.correct_token_logits(logits, tokens),
        expected,
        name=f"correct_token_logits, logits {tuple(logits.shape)}",
    )


def test_correct_logits_are_taken_along_the_class_axis():
    # logits[b, c] = 100 b + c: every value says where it came from. 5 rows, 7 classes, and
    # labels that are valid row numbers too but never equal their own row, so gathering along
    # the batch axis runs without error and returns different numbers.
    logits = (100 * torch.arange(5)[:, None] + torch.arange(7)[None, :]).float()
    labels = torch.tensor([3, 0, 4, 1, 2])
    expected = torch.tensor([3.0, 100.0, 204.0, 301.0, 402.0])
    assert_close(ex.correct_logits(logits, labels), expected, name="correct_logits of logits[b, c] = 100 b + c")


def test_correct_token_logits_are_taken_along_the_vocab_axis():
    # logits[b, p, v] = 100 b + 10 p + v, vocab 5 larger than pos 3; tokens valid on every axis
    logits = (100 * torch.arange(2)[:, None, None] + 10 * torch.arange(3)[None, :, None] + torch.arange(5)).float()
    tokens = torch.tensor([[1, 2, 0], [0, 1, 1]])
    expected = np.take_along_axis(logits.numpy(), tokens.numpy()[..., None], axis=2)[..., 0]
    assert_close(
        ex.correct_token_logits(logits, tokens),
        expected,
        name="correct_token_logits of logits[b, p, v] = 100 b + 10 p + v",
    )


def test_does_not_call_take_along_dim(forbid):
    logits = torch.randn(4, 6, generator=torch.Generator().manual_seed(0))
    labels = torch.tensor([5, 0, 2, 3])
    expected = np.take_along_axis(logits.numpy(), labels.numpy()[:, None], axis=1)[:, 0]
    forbid("torch.take_along_dim", "torch.Tensor.take_along_dim")
    assert_close(ex.correct_logits(logits, labels), expected, name="correct_logits")
