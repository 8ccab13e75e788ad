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
    scale=st.sampled_from([0.1, 1.0, 10.0, 100.0]),
    offset=st.floats(-1000.0, 1000.0),
    seed=st.integers(0, 2**16),
)
def test_matches_torch_softmax(batch, n, scale, offset, seed):
    x = scale * torch.randn(*batch, n, generator=torch.Generator().manual_seed(seed)) + offset
    assert_close(
        ex.softmax(x),
        torch.softmax(x, dim=-1),
        atol=1e-6,
        rtol=1e-3,
        name=f"softmax of shape {tuple(x.shape)}, values near {offset:.4g}",
    )


def test_softmax_is_taken_over_the_last_axis():
    # 3 rows of 5: each *row* must sum to 1; a softmax over the rows has the same shape
    x = torch.randn(3, 5, generator=torch.Generator().manual_seed(0))
    assert_close(ex.softmax(x), torch.softmax(x, dim=-1), name="softmax of a 3x5 matrix")
    square = torch.randn(4, 4, generator=torch.Generator().manual_seed(1))
    assert_close(ex.softmax(square), torch.softmax(square, dim=-1), name="softmax of a 4x4 matrix")
    assert_close(ex.softmax(square).sum(dim=-1), torch.ones(4), name="row sums of softmax of a 4x4 matrix")


def test_large_values_do_not_give_nan():
    # exp(1000) = inf, and inf / inf = nan: subtract the row maximum first. (rtol 1e-3: float32
    # holds numbers near 1000 only to about 1e-4, so correct methods differ by that much.)
    x = torch.tensor([[1000.0, 1000.0], [1000.0, 999.0], [-1000.0, -1001.0]])
    assert_close(ex.softmax(x), torch.softmax(x, dim=-1), rtol=1e-3, name="softmax of values around +-1000")


def test_masked_entries_get_probability_zero():
    x = torch.tensor([[0.0, float("-inf"), 0.0], [float("-inf"), 3.0, float("-inf")]])
    assert_close(ex.softmax(x), torch.softmax(x, dim=-1), name="softmax with -inf (masked) entries")


def test_does_not_call_a_softmax_builtin(forbid):
    x = torch.randn(3, 4, generator=torch.Generator().manual_seed(0))
    expected = torch.softmax(x, dim=-1)
    forbid(*SOFTMAX_BUILTINS)
    assert_close(ex.softmax(x), expected, name="softmax")


def test_inputs_are_unchanged():
    # a function that shifts, rescales or clamps its argument in place changes the caller's tensor
    g = torch.Generator().manual_seed(0)
    softmax_x = 100 * torch.randn(3, 5, generator=g)
    softmax_x_before = softmax_x.clone()
    ex.softmax(softmax_x)
    assert_unchanged(softmax_x_before, softmax_x, name="x (of softmax)")


def test_common_mistakes_on_a_fixed_input():
    x = torch.randn(3, 4, generator=torch.Generator().manual_seed(5))
    assert_close(ex.softmax(x), torch.softmax(x, -1), name="softmax of a 3x4 matrix", mistakes={
        "this softmax runs over the first axis; each row (the last axis) must sum to 1":
            lambda: (x - x.amax(-1, keepdim=True)).exp() / (x - x.amax(-1, keepdim=True)).exp().sum(0, keepdim=True),
    })
    large = torch.stack([100 * x[0], 100 * x[1] - 2000, 100 * x[2] + 2000])
    assert_close(ex.softmax(large), torch.softmax(large, -1), name="softmax of rows far apart", mistakes={
        "exp overflowed to inf (inf / inf = nan): subtract each row's max before exponentiating":
            lambda: large.exp() / large.exp().sum(-1, keepdim=True),
        "you subtracted the global max; rows far below it underflow to 0 / 0: subtract each row's own max":
            lambda: (large - large.max()).exp() / (large - large.max()).exp().sum(-1, keepdim=True),
    })
