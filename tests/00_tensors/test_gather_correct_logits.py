import numpy as np
import torch
from hypothesis import Phase, given, settings
from hypothesis import strategies as st

from arena_cli.testing import assert_close, assert_unchanged, load_exercise, mistake

ex = load_exercise(__file__)

# reproducible draws; no `explain` phase (it re-runs a failing test for seconds to annotate it)
PROPERTY = settings(
    derandomize=True, max_examples=25, deadline=None, phases=(Phase.explicit, Phase.generate, Phase.shrink)
)

GATHER_DIM0 = ("you gathered along the batch axis (dim=0), reading logits[labels[b], b]; gather along the class "
               "axis (dim=-1) with labels[:, None]")


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
        mistakes={GATHER_DIM0: lambda: logits.gather(0, labels[None, :])[0]},
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
    assert_close(ex.correct_logits(logits, labels), expected, name="correct_logits of logits[b, c] = 100 b + c", mistakes={
        GATHER_DIM0: lambda: logits.gather(0, labels[None, :])[0]})


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


def test_does_not_use_integer_array_indexing(monkeypatch):
    logits = torch.randn(5, 7, generator=torch.Generator().manual_seed(2))
    labels = torch.tensor([6, 0, 3, 3, 1])
    tokens_logits = torch.randn(2, 3, 7, generator=torch.Generator().manual_seed(3))
    tokens = torch.tensor([[1, 2, 6], [0, 0, 5]])
    expected = (logits[torch.arange(5), labels], tokens_logits.gather(-1, tokens[..., None])[..., 0])
    plain_getitem = torch.Tensor.__getitem__

    def getitem(self, index):
        parts = index if isinstance(index, tuple) else (index,)
        if any(isinstance(part, (torch.Tensor, list)) and not (isinstance(part, torch.Tensor) and part.dtype == torch.bool and part.ndim == 0) for part in parts):
            raise mistake("integer-array indexing (`logits[rows, labels]`) is the next exercise; "
                          "this one asks for torch.gather")
        return plain_getitem(self, index)

    monkeypatch.setattr(torch.Tensor, "__getitem__", getitem)
    assert_close(ex.correct_logits(logits, labels), expected[0], name="correct_logits")
    assert_close(ex.correct_token_logits(tokens_logits, tokens), expected[1], name="correct_token_logits")


def test_inputs_are_unchanged():
    # a function that shifts, rescales or clamps its argument in place changes the caller's tensor
    g = torch.Generator().manual_seed(0)
    correct_logits_logits = torch.randn(3, 5, generator=g)
    correct_logits_labels = torch.tensor([4, 0, 2])
    correct_logits_logits_before = correct_logits_logits.clone()
    correct_logits_labels_before = correct_logits_labels.clone()
    ex.correct_logits(correct_logits_logits, correct_logits_labels)
    assert_unchanged(correct_logits_logits_before, correct_logits_logits, name="logits (of correct_logits)")
    assert_unchanged(correct_logits_labels_before, correct_logits_labels, name="labels (of correct_logits)")
    correct_token_logits_logits = torch.randn(2, 3, 5, generator=g)
    correct_token_logits_tokens = torch.tensor([[1, 4, 0], [2, 2, 3]])
    correct_token_logits_logits_before = correct_token_logits_logits.clone()
    correct_token_logits_tokens_before = correct_token_logits_tokens.clone()
    ex.correct_token_logits(correct_token_logits_logits, correct_token_logits_tokens)
    assert_unchanged(correct_token_logits_logits_before, correct_token_logits_logits, name="logits (of correct_token_logits)")
    assert_unchanged(correct_token_logits_tokens_before, correct_token_logits_tokens, name="tokens (of correct_token_logits)")


def test_common_mistakes_on_a_fixed_input():
    g = torch.Generator().manual_seed(5)
    logits, tokens = torch.randn(2, 4, 6, generator=g), torch.tensor([[1, 5, 0, 2], [3, 3, 4, 0]])
    want = logits.gather(-1, tokens[..., None])[..., 0]
    assert_close(ex.correct_token_logits(logits, tokens), want, name="correct_token_logits of [2, 4, 6]", mistakes={
        "each position read the logit of the next position's token: gather with `tokens` itself, not shifted":
            lambda: logits.gather(-1, tokens.roll(-1, dims=-1)[..., None])[..., 0],
    })
