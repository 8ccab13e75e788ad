import pytest
import torch
from hypothesis import Phase, given, settings
from hypothesis import strategies as st

from arena_cli.testing import assert_close, assert_unchanged, load_exercise

ex = load_exercise(__file__)

# reproducible draws; no `explain` phase (it re-runs a failing test for seconds to annotate it)
PROPERTY = settings(
    derandomize=True, max_examples=25, deadline=None, phases=(Phase.explicit, Phase.generate, Phase.shrink)
)
SOFTMAX_BUILTINS = (
    "torch.softmax", "torch.Tensor.softmax", "torch.nn.functional.softmax", "torch.special.softmax",
    "torch.log_softmax", "torch.Tensor.log_softmax", "torch.nn.functional.log_softmax", "torch.special.log_softmax",
    "torch.logsumexp", "torch.Tensor.logsumexp", "torch.special.logsumexp",
)


@PROPERTY
@given(
    batch=st.lists(st.integers(1, 4), min_size=0, max_size=2),
    n=st.integers(1, 8),
    scale=st.sampled_from([0.1, 1.0, 30.0, 300.0]),
    offset=st.floats(-1000.0, 1000.0),
    seed=st.integers(0, 2**16),
)
def test_matches_torch_log_softmax(batch, n, scale, offset, seed):
    x = scale * torch.randn(*batch, n, generator=torch.Generator().manual_seed(seed)) + offset
    assert_close(
        ex.log_softmax(x),
        torch.log_softmax(x, dim=-1),
        atol=1e-3,
        rtol=1e-5,
        name=f"log_softmax of shape {tuple(x.shape)}, values near {offset:.4g}",
    )


def test_very_negative_logits_stay_finite():
    # the probability of the second class is exp(-1000): 0 in float32 and float64, so
    # log(softmax(x)) gives -inf where the answer is -1000
    x = torch.tensor([[0.0, -1000.0], [5.0, -200.0]])
    assert_close(
        ex.log_softmax(x),
        torch.log_softmax(x, dim=-1),
        atol=1e-3,
        rtol=1e-6,
        name="log_softmax with very negative logits",
    )
    assert_close(
        ex.log_softmax(x.double()),
        torch.log_softmax(x.double(), dim=-1),
        name="log_softmax with very negative logits, float64",
    )


def test_large_logits_do_not_overflow():
    x = torch.tensor([[1000.0, 1000.0, 998.0], [1000.0, -1000.0, 0.0]])
    assert_close(
        ex.log_softmax(x),
        torch.log_softmax(x, dim=-1),
        atol=1e-3,
        rtol=1e-6,
        name="log_softmax of values around 1000",
    )


def test_log_softmax_is_taken_over_the_last_axis():
    x = torch.randn(3, 5, generator=torch.Generator().manual_seed(0))
    assert_close(ex.log_softmax(x), torch.log_softmax(x, dim=-1), name="log_softmax of a 3x5 matrix")
    square = torch.randn(4, 4, generator=torch.Generator().manual_seed(1))
    assert_close(ex.log_softmax(square), torch.log_softmax(square, dim=-1), name="log_softmax of a 4x4 matrix")


# numpy warns while assert_close subtracts -inf from -inf; the comparison itself handles infinities
@pytest.mark.filterwarnings("ignore:invalid value encountered in subtract:RuntimeWarning")
def test_masked_entries_stay_minus_infinity():
    x = torch.tensor([[0.0, float("-inf"), 0.0]])
    assert_close(ex.log_softmax(x), torch.log_softmax(x, dim=-1), name="log_softmax with a -inf (masked) entry")


def test_does_not_call_a_softmax_builtin(forbid):
    x = torch.randn(3, 4, generator=torch.Generator().manual_seed(0))
    expected = torch.log_softmax(x, dim=-1)
    forbid(*SOFTMAX_BUILTINS)
    assert_close(ex.log_softmax(x), expected, name="log_softmax")


def test_inputs_are_unchanged():
    # a function that shifts, rescales or clamps its argument in place changes the caller's tensor
    g = torch.Generator().manual_seed(0)
    log_softmax_x = 100 * torch.randn(3, 5, generator=g)
    log_softmax_x_before = log_softmax_x.clone()
    ex.log_softmax(log_softmax_x)
    assert_unchanged(log_softmax_x_before, log_softmax_x, name="x (of log_softmax)")


def test_common_mistakes_on_a_fixed_input():
    x = torch.randn(3, 4, generator=torch.Generator().manual_seed(5))
    norm = x.exp().sum(-1, keepdim=True).log()
    shifted = x - x.amax(-1, keepdim=True)
    assert_close(ex.log_softmax(x), x - norm, atol=1e-5, name="log_softmax of a 3x4 matrix", mistakes={
        "this was normalised over the first axis; normalise over the last":
            lambda: shifted - shifted.exp().sum(0, keepdim=True).log(),
        "the log normaliser was added; subtract it": lambda: shifted + shifted.exp().sum(-1, keepdim=True).log(),
    })
    large = 200 * x
    assert_close(ex.log_softmax(large), torch.log_softmax(large, -1), atol=1e-3, name="log_softmax of values near +-500", mistakes={
        "log(softmax(x)) gives -inf where a probability underflows to 0; compute x - max - log(sum(exp(x - max)))":
            lambda: torch.softmax(large, -1).log(),
        "exp overflowed to inf: subtract each row's max before exponentiating": lambda: large - large.exp().sum(-1, keepdim=True).log(),
    })
