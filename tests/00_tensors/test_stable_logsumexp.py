import torch
from hypothesis import Phase, given, settings
from hypothesis import strategies as st

from arena_cli.testing import assert_close, assert_unchanged, load_exercise

ex = load_exercise(__file__)

# reproducible draws; no `explain` phase (it re-runs a failing test for seconds to annotate it)
PROPERTY = settings(
    derandomize=True, max_examples=25, deadline=None, phases=(Phase.explicit, Phase.generate, Phase.shrink)
)
LOGSUMEXP_BUILTINS = (
    "torch.logsumexp", "torch.Tensor.logsumexp", "torch.special.logsumexp",
    "torch.softmax", "torch.Tensor.softmax", "torch.nn.functional.softmax", "torch.special.softmax",
    "torch.log_softmax", "torch.Tensor.log_softmax", "torch.nn.functional.log_softmax", "torch.special.log_softmax",
)

NO_KEEPDIM = ("the row max lost its axis (amax without keepdim=True), so `x - max` subtracted it along the "
              "wrong axis; keep it as [*batch, 1] so each row is shifted by its own max")


def no_keepdim_variant(x):
    """logsumexp with the max taken without keepdim: x - max broadcasts max[j] along each row."""
    row_max = x.amax(dim=-1)
    return (x - row_max).exp().sum(dim=-1).log() + row_max


@PROPERTY
@given(
    batch=st.lists(st.integers(1, 4), min_size=0, max_size=2),
    n=st.integers(1, 8),
    scale=st.sampled_from([0.1, 1.0, 30.0, 300.0]),
    offset=st.floats(-1000.0, 1000.0),
    seed=st.integers(0, 2**16),
)
def test_matches_torch_logsumexp(batch, n, scale, offset, seed):
    x = scale * torch.randn(*batch, n, generator=torch.Generator().manual_seed(seed)) + offset
    assert_close(
        ex.logsumexp(x),
        torch.logsumexp(x, dim=-1),
        atol=1e-3,
        rtol=1e-5,
        name=f"logsumexp of shape {tuple(x.shape)}, values near {offset:.4g}",
        mistakes={NO_KEEPDIM: lambda: no_keepdim_variant(x)},
    )


def test_large_values_do_not_overflow():
    # exp(1000) is inf in float32 and float64: the naive formula returns inf here
    x = torch.tensor([[1000.0, 1000.0], [1000.0, 990.0], [1001.0, 1002.0]])
    assert_close(
        ex.logsumexp(x),
        torch.logsumexp(x, dim=-1),
        atol=1e-3,
        rtol=1e-5,
        name="logsumexp of values around 1000",
    )
    assert_close(
        ex.logsumexp(x.double()),
        torch.logsumexp(x.double(), dim=-1),
        name="logsumexp of values around 1000 in float64",
    )


def test_very_negative_values_do_not_underflow():
    # exp(-1000) is 0: the naive formula returns log(0) = -inf here
    x = torch.tensor([[-1000.0, -1000.0, -1000.0], [-1000.0, -1010.0, -995.0]])
    assert_close(
        ex.logsumexp(x),
        torch.logsumexp(x, dim=-1),
        atol=1e-3,
        rtol=1e-5,
        name="logsumexp of values around -1000",
    )


def test_rows_on_very_different_scales_each_get_their_own_shift():
    # one maximum for the whole tensor (1000) sends the second row to exp(-2000) = 0
    x = torch.tensor([[1000.0, 999.0], [-1000.0, -999.0]])
    assert_close(
        ex.logsumexp(x),
        torch.logsumexp(x, dim=-1),
        atol=1e-3,
        rtol=1e-5,
        name="logsumexp of rows near +1000 and -1000",
    )


def test_reduces_the_last_axis_of_a_batch():
    x = torch.randn(2, 3, 5, generator=torch.Generator().manual_seed(0))
    assert_close(ex.logsumexp(x), torch.logsumexp(x, dim=-1), name="logsumexp of shape (2, 3, 5)")
    square = torch.randn(4, 4, generator=torch.Generator().manual_seed(1))
    assert_close(ex.logsumexp(square), torch.logsumexp(square, dim=-1), name="logsumexp of a 4x4 matrix, over rows",
                 mistakes={NO_KEEPDIM: lambda: no_keepdim_variant(square)})


def test_masked_entries_count_as_zero():
    x = torch.tensor([[0.0, float("-inf"), 0.0], [float("-inf"), 5.0, float("-inf")]])
    assert_close(ex.logsumexp(x), torch.logsumexp(x, dim=-1), name="logsumexp with -inf (masked) entries")


def test_does_not_call_a_logsumexp_or_softmax_builtin(forbid):
    x = torch.randn(3, 4, generator=torch.Generator().manual_seed(0))
    expected = torch.logsumexp(x, dim=-1)
    forbid(*LOGSUMEXP_BUILTINS)
    assert_close(ex.logsumexp(x), expected, name="logsumexp")


def test_inputs_are_unchanged():
    # a function that shifts, rescales or clamps its argument in place changes the caller's tensor
    g = torch.Generator().manual_seed(0)
    logsumexp_x = 100 * torch.randn(3, 5, generator=g)
    logsumexp_x_before = logsumexp_x.clone()
    ex.logsumexp(logsumexp_x)
    assert_unchanged(logsumexp_x_before, logsumexp_x, name="x (of logsumexp)")


def test_common_mistakes_on_a_fixed_input():
    x = 100 * torch.randn(3, 4, generator=torch.Generator().manual_seed(5))
    row_max = x.amax(-1)
    assert_close(ex.logsumexp(x), torch.logsumexp(x, -1), atol=1e-3, name="logsumexp of values near +-200", mistakes={
        "the row max was not added back after logsumexp of the shifted values": lambda: torch.logsumexp(x, -1) - row_max,
        "exp overflowed to inf: subtract each row's max before exponentiating": lambda: x.exp().sum(-1).log(),
        "this is the row max alone; add log(sum(exp(x - max)))": lambda: row_max,
    })
