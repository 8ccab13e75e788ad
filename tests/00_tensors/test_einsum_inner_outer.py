import torch
from hypothesis import Phase, given, settings
from hypothesis import strategies as st

from arena_cli.testing import assert_close, assert_unchanged, load_exercise

ex = load_exercise(__file__)

# reproducible draws; no `explain` phase (it re-runs a failing test for seconds to annotate it)
PROPERTY = settings(
    derandomize=True, max_examples=25, deadline=None, phases=(Phase.explicit, Phase.generate, Phase.shrink)
)
PRODUCT_BUILTINS = (
    "torch.dot", "torch.inner", "torch.outer", "torch.ger", "torch.matmul", "torch.mm", "torch.bmm",
    "torch.Tensor.__matmul__", "torch.Tensor.dot", "torch.Tensor.outer", "torch.linalg.vecdot",
)


@PROPERTY
@given(n=st.integers(1, 8), seed=st.integers(0, 2**16))
def test_inner_matches_torch_dot(n, seed):
    gen = torch.Generator().manual_seed(seed)
    u, v = torch.randn(n, generator=gen), torch.randn(n, generator=gen)
    assert_close(ex.inner(u, v), torch.dot(u, v), atol=1e-5, rtol=1e-4, name=f"inner of two vectors of length {n}")


@PROPERTY
@given(batch=st.integers(1, 5), n=st.integers(1, 6), seed=st.integers(0, 2**16))
def test_batched_inner_matches_torch_vecdot(batch, n, seed):
    gen = torch.Generator().manual_seed(seed)
    u, v = torch.randn(batch, n, generator=gen), torch.randn(batch, n, generator=gen)
    assert_close(
        ex.batched_inner(u, v),
        torch.linalg.vecdot(u, v),
        atol=1e-5,
        rtol=1e-4,
        name=f"batched_inner of {batch} pairs of length {n}",
    )


@PROPERTY
@given(m=st.integers(1, 6), n=st.integers(1, 6), seed=st.integers(0, 2**16))
def test_outer_matches_torch_outer(m, n, seed):
    gen = torch.Generator().manual_seed(seed)
    u, v = torch.randn(m, generator=gen), torch.randn(n, generator=gen)
    assert_close(ex.outer(u, v), torch.outer(u, v), name=f"outer of lengths {m} and {n}")


@PROPERTY
@given(batch=st.integers(1, 4), m=st.integers(1, 5), n=st.integers(1, 5), seed=st.integers(0, 2**16))
def test_batched_outer_matches_torch_outer_per_row(batch, m, n, seed):
    gen = torch.Generator().manual_seed(seed)
    u, v = torch.randn(batch, m, generator=gen), torch.randn(batch, n, generator=gen)
    assert_close(
        ex.batched_outer(u, v),
        torch.vmap(torch.outer)(u, v),
        name=f"batched_outer of {batch} pairs, lengths {m} and {n}",
    )


def test_inner_returns_a_scalar_tensor():
    result = ex.inner(torch.tensor([1.0, 2.0, 3.0]), torch.tensor([4.0, 5.0, 6.0]))
    assert isinstance(result, torch.Tensor), f"expected a tensor, got {type(result).__name__}"
    assert result.shape == (), f"expected a 0-dimensional tensor, got shape {tuple(result.shape)}"
    assert_close(result, torch.tensor(32.0), name="inner([1, 2, 3], [4, 5, 6]) = 4 + 10 + 18")


def test_outer_rows_follow_the_first_argument():
    u, v = torch.tensor([1.0, 10.0]), torch.tensor([1.0, 2.0, 3.0])
    assert_close(ex.outer(u, v), torch.outer(u, v), name="outer([1, 10], [1, 2, 3])")
    # square and non-symmetric: a transposed answer has the right shape and the wrong values
    assert_close(ex.outer(u, v[:2]), torch.outer(u, v[:2]), name="outer([1, 10], [1, 2])")


def test_uses_einsum_not_a_product_builtin(forbid):
    gen = torch.Generator().manual_seed(0)
    u, v = torch.randn(3, 4, generator=gen), torch.randn(3, 4, generator=gen)
    expected = torch.dot(u[0], v[0]), torch.linalg.vecdot(u, v), torch.outer(u[0], v[1]), torch.vmap(torch.outer)(u, v)
    forbid(*PRODUCT_BUILTINS)
    assert_close(ex.inner(u[0], v[0]), expected[0], atol=1e-5, rtol=1e-4, name="inner")
    assert_close(ex.batched_inner(u, v), expected[1], atol=1e-5, rtol=1e-4, name="batched_inner")
    assert_close(ex.outer(u[0], v[1]), expected[2], name="outer")
    assert_close(ex.batched_outer(u, v), expected[3], name="batched_outer")


def test_inputs_are_unchanged():
    # a function that shifts, rescales or clamps its argument in place changes the caller's tensor
    g = torch.Generator().manual_seed(0)
    inner_u = torch.randn(4, generator=g)
    inner_v = torch.randn(4, generator=g)
    inner_u_before = inner_u.clone()
    inner_v_before = inner_v.clone()
    ex.inner(inner_u, inner_v)
    assert_unchanged(inner_u_before, inner_u, name="u (of inner)")
    assert_unchanged(inner_v_before, inner_v, name="v (of inner)")
    batched_inner_u = torch.randn(2, 4, generator=g)
    batched_inner_v = torch.randn(2, 4, generator=g)
    batched_inner_u_before = batched_inner_u.clone()
    batched_inner_v_before = batched_inner_v.clone()
    ex.batched_inner(batched_inner_u, batched_inner_v)
    assert_unchanged(batched_inner_u_before, batched_inner_u, name="u (of batched_inner)")
    assert_unchanged(batched_inner_v_before, batched_inner_v, name="v (of batched_inner)")
    outer_u = torch.randn(3, generator=g)
    outer_v = torch.randn(4, generator=g)
    outer_u_before = outer_u.clone()
    outer_v_before = outer_v.clone()
    ex.outer(outer_u, outer_v)
    assert_unchanged(outer_u_before, outer_u, name="u (of outer)")
    assert_unchanged(outer_v_before, outer_v, name="v (of outer)")
    batched_outer_u = torch.randn(2, 3, generator=g)
    batched_outer_v = torch.randn(2, 4, generator=g)
    batched_outer_u_before = batched_outer_u.clone()
    batched_outer_v_before = batched_outer_v.clone()
    ex.batched_outer(batched_outer_u, batched_outer_v)
    assert_unchanged(batched_outer_u_before, batched_outer_u, name="u (of batched_outer)")
    assert_unchanged(batched_outer_v_before, batched_outer_v, name="v (of batched_outer)")


def test_common_mistakes_on_a_fixed_input():
    g = torch.Generator().manual_seed(5)
    u, v = torch.randn(2, 3, generator=g), torch.randn(2, 4, generator=g)
    w = torch.randn(2, 3, generator=g)
    assert_close(ex.outer(u[0], v[0]), torch.outer(u[0], v[0]), name="outer of lengths 3 and 4", mistakes={
        "the output indices are swapped ('i, j -> j i'): rows follow the first argument": lambda: torch.outer(v[0], u[0]),
    })
    assert_close(ex.batched_inner(u, w), (u * w).sum(-1), name="batched_inner of 2 pairs", mistakes={
        "u and v got different indices ('b i, b j -> b'), which multiplies their sums; use the same index for both":
            lambda: u.sum(-1) * w.sum(-1),
    })
    assert_close(ex.batched_outer(u, v), u[:, :, None] * v[:, None, :], name="batched_outer of 2 pairs", mistakes={
        "the two output indices are swapped: 'b i, b j -> b i j'": lambda: v[:, :, None] * u[:, None, :],
    })
