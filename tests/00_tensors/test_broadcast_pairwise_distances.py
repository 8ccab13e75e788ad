import torch
from hypothesis import Phase, given, settings
from hypothesis import strategies as st

from arena_cli.testing import assert_close, assert_unchanged, load_exercise

ex = load_exercise(__file__)

# reproducible draws; no `explain` phase (it re-runs a failing test for seconds to annotate it)
PROPERTY = settings(
    derandomize=True, max_examples=25, deadline=None, phases=(Phase.explicit, Phase.generate, Phase.shrink)
)
NORM_BUILTINS = (
    "torch.cdist", "torch.norm", "torch.Tensor.norm", "torch.linalg.norm", "torch.linalg.vector_norm",
    "torch.nn.functional.pairwise_distance", "torch.pairwise_distance", "torch.dist",
)


def exact_cdist(x, y):
    # cdist's default may use a matrix-product shortcut that is less precise; ask for the direct one
    return torch.cdist(x, y, compute_mode="donot_use_mm_for_euclid_dist")


@PROPERTY
@given(n=st.integers(1, 6), m=st.integers(1, 6), dim=st.integers(1, 5), seed=st.integers(0, 2**16))
def test_pairwise_distances_match_torch_cdist(n, m, dim, seed):
    gen = torch.Generator().manual_seed(seed)
    x, y = torch.randn(n, dim, generator=gen), torch.randn(m, dim, generator=gen)
    assert_close(
        ex.pairwise_distances(x, y),
        exact_cdist(x, y),
        atol=1e-5,
        rtol=1e-4,
        name=f"distances between {n} and {m} points in {dim}-d",
    )


@PROPERTY
@given(n=st.integers(1, 6), m=st.integers(1, 6), dim=st.integers(1, 5), seed=st.integers(0, 2**16))
def test_nearest_neighbour_matches_argmin_of_torch_cdist(n, m, dim, seed):
    gen = torch.Generator().manual_seed(seed)
    x, y = torch.randn(n, dim, generator=gen), torch.randn(m, dim, generator=gen)
    expected = exact_cdist(x, y).argmin(dim=1)  # random points: ties have probability zero
    assert_close(ex.nearest_neighbour(x, y), expected, name=f"nearest of {m} points for each of {n} points")


def test_distance_is_the_square_root_of_the_sum_of_squares():
    x = torch.tensor([[0.0, 0.0], [1.0, 1.0]])
    y = torch.tensor([[3.0, 4.0], [1.0, 1.0], [1.0, 2.0]])
    expected = torch.tensor([[5.0, 2.0**0.5, 5.0**0.5], [13.0**0.5, 0.0, 1.0]])  # 3-4-5 triangle and friends
    assert_close(ex.pairwise_distances(x, y), expected, name="distances of 2 points to 3 points")


def test_rows_are_points_of_x_and_columns_points_of_y():
    # same number of points on both sides: a transposed answer has the right shape, wrong values
    gen = torch.Generator().manual_seed(3)
    x, y = torch.randn(4, 3, generator=gen), torch.randn(4, 3, generator=gen) + 2.0
    assert_close(
        ex.pairwise_distances(x, y),
        exact_cdist(x, y),
        atol=1e-5,
        rtol=1e-4,
        name="distances between 4 and 4 points",
    )
    assert_close(ex.nearest_neighbour(x, y), exact_cdist(x, y).argmin(dim=1), name="nearest neighbours, 4 and 4 points")


def test_distance_to_itself_is_zero():
    x = torch.randn(5, 3, generator=torch.Generator().manual_seed(4))
    assert_close(
        torch.diagonal(ex.pairwise_distances(x, x)),
        torch.zeros(5),
        atol=1e-6,
        name="diagonal of the distances of x to itself",
    )


def test_does_not_call_a_norm_or_distance_builtin(forbid):
    gen = torch.Generator().manual_seed(0)
    x, y = torch.randn(3, 4, generator=gen), torch.randn(5, 4, generator=gen)
    expected = exact_cdist(x, y)
    forbid(*NORM_BUILTINS)
    assert_close(ex.pairwise_distances(x, y), expected, atol=1e-5, rtol=1e-4, name="distances between 3 and 5 points")


def test_inputs_are_unchanged():
    # a function that shifts, rescales or clamps its argument in place changes the caller's tensor
    g = torch.Generator().manual_seed(0)
    pairwise_distances_x = torch.randn(3, 2, generator=g)
    pairwise_distances_y = torch.randn(4, 2, generator=g)
    pairwise_distances_x_before = pairwise_distances_x.clone()
    pairwise_distances_y_before = pairwise_distances_y.clone()
    ex.pairwise_distances(pairwise_distances_x, pairwise_distances_y)
    assert_unchanged(pairwise_distances_x_before, pairwise_distances_x, name="x (of pairwise_distances)")
    assert_unchanged(pairwise_distances_y_before, pairwise_distances_y, name="y (of pairwise_distances)")
    nearest_neighbour_x = torch.randn(3, 2, generator=g)
    nearest_neighbour_y = torch.randn(4, 2, generator=g)
    nearest_neighbour_x_before = nearest_neighbour_x.clone()
    nearest_neighbour_y_before = nearest_neighbour_y.clone()
    ex.nearest_neighbour(nearest_neighbour_x, nearest_neighbour_y)
    assert_unchanged(nearest_neighbour_x_before, nearest_neighbour_x, name="x (of nearest_neighbour)")
    assert_unchanged(nearest_neighbour_y_before, nearest_neighbour_y, name="y (of nearest_neighbour)")


def test_common_mistakes_on_a_fixed_input():
    g = torch.Generator().manual_seed(5)
    x, y = torch.randn(3, 2, generator=g), torch.randn(4, 2, generator=g)
    diff = x[:, None] - y[None]
    want = (diff**2).sum(-1).sqrt()
    assert_close(ex.pairwise_distances(x, y), want, name="distances of 3 points to 4 points", mistakes={
        "these are squared distances: take the square root of the sum of squares": lambda: (diff**2).sum(-1),
        "this is the sum of absolute differences (L1); the distance is the Euclidean one": lambda: diff.abs().sum(-1),
    })
    assert_close(ex.nearest_neighbour(x, y), want.argmin(1), name="nearest of 4 points for each of 3", mistakes={
        "you took the farthest point (argmax); the nearest has the smallest distance": lambda: want.argmax(1),
    })
