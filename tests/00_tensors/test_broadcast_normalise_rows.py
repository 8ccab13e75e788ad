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
leading_shapes = st.lists(st.integers(1, 4), min_size=0, max_size=2)
NORMALISE_BUILTINS = (
    "torch.nn.functional.normalize", "torch.nn.functional.layer_norm", "torch.layer_norm",
    "torch.var", "torch.std", "torch.var_mean", "torch.std_mean", "torch.Tensor.var", "torch.Tensor.std",
)


@PROPERTY
@given(batch=leading_shapes, d=st.integers(1, 6), seed=st.integers(0, 2**16))
def test_rows_sum_to_one_matches_l1_normalize(batch, d, seed):
    x = torch.rand(*batch, d, generator=torch.Generator().manual_seed(seed)) + 0.1  # positive
    expected = F.normalize(x, p=1.0, dim=-1)
    assert_close(ex.rows_sum_to_one(x), expected, name=f"rows_sum_to_one of shape {tuple(x.shape)}")


@PROPERTY
@given(batch=leading_shapes, d=st.integers(1, 6), seed=st.integers(0, 2**16))
def test_standardise_rows_matches_layer_norm(batch, d, seed):
    x = 3.0 * torch.randn(*batch, d, generator=torch.Generator().manual_seed(seed)) + 1.0
    expected = F.layer_norm(x, (d,), eps=1e-5)
    assert_close(
        ex.standardise_rows(x),
        expected,
        atol=1e-4,
        rtol=1e-4,
        name=f"standardise_rows of shape {tuple(x.shape)}",
    )


def test_square_input_is_normalised_along_rows():
    # n == d: a row statistic that broadcasts along the wrong axis raises no error, only wrong numbers
    x = torch.tensor([[1.0, 2.0, 3.0], [10.0, 20.0, 70.0], [4.0, 4.0, 2.0]])
    assert_close(ex.rows_sum_to_one(x), F.normalize(x, p=1.0, dim=-1), name="rows_sum_to_one of a 3x3 matrix")
    assert_close(
        ex.standardise_rows(x),
        F.layer_norm(x, (3,), eps=1e-5),
        atol=1e-4,
        rtol=1e-4,
        name="standardise_rows of a 3x3 matrix",
    )


def test_rows_sum_to_one_divides_by_the_sum_not_the_mean():
    x = torch.tensor([[1.0, 3.0], [2.0, 6.0]])
    assert_close(
        ex.rows_sum_to_one(x),
        torch.tensor([[0.25, 0.75], [0.25, 0.75]]),
        name="rows_sum_to_one([[1, 3], [2, 6]])",
    )


def test_standardise_uses_population_variance_and_eps():
    # variance of [0, 2] is 1 (divide by d = 2; dividing by d - 1 would give 2); eps = 3 makes the scale 1/2
    x = torch.tensor([[0.0, 2.0]])
    assert_close(ex.standardise_rows(x, eps=3.0), torch.tensor([[-0.5, 0.5]]), name="standardise_rows([[0, 2]], eps=3)")
    assert_close(
        ex.standardise_rows(x, eps=3.0),
        F.layer_norm(x, (2,), eps=3.0),
        name="standardise_rows vs layer_norm, eps=3",
    )


def test_constant_row_becomes_zeros():
    x = torch.full((2, 4), 7.0)
    assert_close(ex.standardise_rows(x), torch.zeros(2, 4), name="standardise_rows of constant rows")


def test_does_not_call_a_normalisation_or_variance_builtin(forbid):
    x = torch.rand(3, 5, generator=torch.Generator().manual_seed(0)) + 0.1
    expected = F.normalize(x, p=1.0, dim=-1), F.layer_norm(x, (5,), eps=1e-5)
    forbid(*NORMALISE_BUILTINS)
    assert_close(ex.rows_sum_to_one(x), expected[0], name="rows_sum_to_one")
    assert_close(ex.standardise_rows(x), expected[1], atol=1e-4, rtol=1e-4, name="standardise_rows")


def test_inputs_are_unchanged():
    # a function that shifts, rescales or clamps its argument in place changes the caller's tensor
    g = torch.Generator().manual_seed(0)
    rows_sum_to_one_x = torch.rand(3, 4, generator=g) + 0.1
    rows_sum_to_one_x_before = rows_sum_to_one_x.clone()
    ex.rows_sum_to_one(rows_sum_to_one_x)
    assert_unchanged(rows_sum_to_one_x_before, rows_sum_to_one_x, name="x (of rows_sum_to_one)")
    standardise_rows_x = torch.randn(3, 4, generator=g)
    standardise_rows_x_before = standardise_rows_x.clone()
    ex.standardise_rows(standardise_rows_x)
    assert_unchanged(standardise_rows_x_before, standardise_rows_x, name="x (of standardise_rows)")


def test_common_mistakes_on_a_fixed_input():
    g = torch.Generator().manual_seed(5)
    x = torch.rand(3, 4, generator=g) + 0.1
    assert_close(ex.rows_sum_to_one(x), x / x.sum(-1, keepdim=True), name="rows_sum_to_one of a 3x4 matrix", mistakes={
        "you divided by the column sums (dim 0); each row must sum to 1: sum over the last axis with keepdim=True":
            lambda: x / x.sum(0, keepdim=True),
    })
    y = torch.randn(3, 4, generator=g)
    centred = y - y.mean(-1, keepdim=True)
    var = (centred**2).mean(-1, keepdim=True)
    assert_close(ex.standardise_rows(y, eps=0.5), centred / (var + 0.5).sqrt(), name="standardise_rows(eps=0.5)", mistakes={
        "you used the unbiased variance (divided by d - 1); use the mean of the squared deviations":
            lambda: centred / ((centred**2).sum(-1, keepdim=True) / 3 + 0.5).sqrt(),
        "eps was added to the standard deviation; add it to the variance, inside the square root":
            lambda: centred / (var.sqrt() + 0.5),
        "the eps argument was ignored (1e-5 used); use the eps you are given":
            lambda: centred / (var + 1e-5).sqrt(),
    })
