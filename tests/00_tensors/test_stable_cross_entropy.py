import torch
import torch.nn.functional as F
from hypothesis import Phase, given, settings
from hypothesis import strategies as st

from arena_cli.testing import assert_close, assert_unchanged, load_exercise

ex = load_exercise(__file__)

# reproducible draws; no `explain` phase (it re-runs a failing test for seconds to annotate it)
PROPERTY = settings(
    derandomize=True, max_examples=25, deadline=None, phases=(Phase.explicit, Phase.generate, Phase.shrink)
)
LOSS_BUILTINS = (
    "torch.nn.functional.cross_entropy", "torch.nn.functional.nll_loss",
    "torch.softmax", "torch.Tensor.softmax", "torch.nn.functional.softmax", "torch.special.softmax",
    "torch.log_softmax", "torch.Tensor.log_softmax", "torch.nn.functional.log_softmax", "torch.special.log_softmax",
    "torch.logsumexp", "torch.Tensor.logsumexp", "torch.special.logsumexp",
)


@PROPERTY
@given(
    batch=st.integers(1, 8),
    n_classes=st.integers(1, 8),
    scale=st.sampled_from([0.1, 1.0, 10.0, 100.0]),
    seed=st.integers(0, 2**16),
)
def test_matches_torch_cross_entropy(batch, n_classes, scale, seed):
    gen = torch.Generator().manual_seed(seed)
    logits = scale * torch.randn(batch, n_classes, generator=gen)
    labels = torch.randint(0, n_classes, (batch,), generator=gen)
    assert_close(
        ex.cross_entropy(logits, labels),
        F.cross_entropy(logits, labels),
        atol=1e-4,
        rtol=1e-4,
        name=f"cross_entropy of {batch} rows of {n_classes} classes",
    )


def test_averages_over_the_batch_rather_than_summing():
    gen = torch.Generator().manual_seed(0)
    logits, labels = torch.randn(6, 4, generator=gen), torch.tensor([0, 3, 1, 1, 2, 0])
    assert_close(ex.cross_entropy(logits, labels), F.cross_entropy(logits, labels), name="cross_entropy of 6 examples")
    # duplicating the batch must not change a mean
    assert_close(
        ex.cross_entropy(logits.repeat(2, 1), labels.repeat(2)), F.cross_entropy(logits, labels),
        name="cross_entropy of the same 6 examples twice",
    )


def test_uniform_logits_give_log_n_classes():
    logits, labels = torch.zeros(3, 5), torch.tensor([0, 4, 2])
    assert_close(
        ex.cross_entropy(logits, labels),
        torch.log(torch.tensor(5.0)),
        name="cross_entropy of all-zero logits, 5 classes",
    )


def test_picks_the_label_along_the_class_axis():
    # 5 examples, 7 classes; labels are valid row numbers too but never equal their own row
    logits = torch.randn(5, 7, generator=torch.Generator().manual_seed(1))
    labels = torch.tensor([3, 0, 4, 1, 2])
    assert_close(
        ex.cross_entropy(logits, labels),
        F.cross_entropy(logits, labels),
        name="cross_entropy, 5 examples of 7 classes",
    )


def test_correct_class_far_below_the_best_gives_a_large_finite_loss():
    # softmax of the correct class is exp(-1000) = 0: log(softmax) would give an infinite loss
    logits = torch.tensor([[0.0, -1000.0], [2.0, 1.0]])
    labels = torch.tensor([1, 0])
    assert_close(
        ex.cross_entropy(logits, labels),
        F.cross_entropy(logits, labels),
        atol=1e-3,
        rtol=1e-6,
        name="cross_entropy with a correct class 1000 below the best",
    )


def test_large_logits_do_not_overflow():
    logits = torch.tensor([[1000.0, 999.0, 998.0], [1000.0, 1000.0, -1000.0]])
    labels = torch.tensor([2, 1])
    assert_close(
        ex.cross_entropy(logits, labels),
        F.cross_entropy(logits, labels),
        atol=1e-3,
        rtol=1e-5,
        name="cross_entropy of logits around 1000",
    )


def test_returns_a_scalar_tensor():
    logits = torch.randn(4, 3, generator=torch.Generator().manual_seed(2))
    result = ex.cross_entropy(logits, torch.tensor([0, 1, 2, 0]))
    assert isinstance(result, torch.Tensor), f"expected a tensor, got {type(result).__name__}"
    assert result.shape == (), (
        f"expected a 0-dimensional tensor (the mean over the batch), got shape {tuple(result.shape)}"
    )


def test_does_not_call_a_loss_or_softmax_builtin(forbid):
    gen = torch.Generator().manual_seed(0)
    logits, labels = torch.randn(4, 6, generator=gen), torch.tensor([5, 0, 2, 3])
    expected = F.cross_entropy(logits, labels)
    forbid(*LOSS_BUILTINS)
    assert_close(ex.cross_entropy(logits, labels), expected, name="cross_entropy")


def test_inputs_are_unchanged():
    # a function that shifts, rescales or clamps its argument in place changes the caller's tensor
    g = torch.Generator().manual_seed(0)
    cross_entropy_logits = 100 * torch.randn(4, 5, generator=g)
    cross_entropy_labels = torch.tensor([4, 0, 2, 2])
    cross_entropy_logits_before = cross_entropy_logits.clone()
    cross_entropy_labels_before = cross_entropy_labels.clone()
    ex.cross_entropy(cross_entropy_logits, cross_entropy_labels)
    assert_unchanged(cross_entropy_logits_before, cross_entropy_logits, name="logits (of cross_entropy)")
    assert_unchanged(cross_entropy_labels_before, cross_entropy_labels, name="labels (of cross_entropy)")


def test_common_mistakes_on_a_fixed_input():
    g = torch.Generator().manual_seed(5)
    logits, labels = torch.randn(4, 5, generator=g), torch.tensor([4, 0, 2, 2])
    log_probs = logits - logits.exp().sum(-1, keepdim=True).log()
    correct = log_probs[torch.arange(4), labels]
    shifted = logits - logits.amax(-1, keepdim=True)
    assert_close(ex.cross_entropy(logits, labels), F.cross_entropy(logits, labels), name="cross_entropy of 4 rows", mistakes={
        "the losses were summed over the batch; average them": lambda: -correct.sum(),
        "the minus sign is missing: the loss is the *negative* mean log-probability": lambda: correct.mean(),
        "the log-softmax was normalised over the batch axis; normalise each row over its classes":
            lambda: -(shifted - shifted.exp().sum(0, keepdim=True).log())[torch.arange(4), labels].mean(),
    })
    large = 1000 * logits
    assert_close(ex.cross_entropy(large, labels), F.cross_entropy(large, labels), atol=1e-3, rtol=1e-3,
                 name="cross_entropy of logits near +-1000", mistakes={
        "exp overflowed to inf: subtract each row's max before exponentiating":
            lambda: -(large - large.exp().sum(-1, keepdim=True).log())[torch.arange(4), labels].mean(),
    })
