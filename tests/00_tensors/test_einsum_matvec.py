import torch
from hypothesis import Phase, given, settings
from hypothesis import strategies as st

from arena_cli.testing import assert_close, assert_unchanged, load_exercise

ex = load_exercise(__file__)

# reproducible draws; no `explain` phase (it re-runs a failing test for seconds to annotate it)
PROPERTY = settings(
    derandomize=True, max_examples=25, deadline=None, phases=(Phase.explicit, Phase.generate, Phase.shrink)
)
MATMUL_BUILTINS = (
    "torch.matmul",
    "torch.mv",
    "torch.mm",
    "torch.bmm",
    "torch.Tensor.__matmul__",
    "torch.Tensor.matmul",
    "torch.Tensor.mv",
)


@PROPERTY
@given(m=st.integers(1, 6), n=st.integers(1, 6), seed=st.integers(0, 2**16))
def test_matvec_matches_torch_mv(m, n, seed):
    gen = torch.Generator().manual_seed(seed)
    mat, vec = torch.randn(m, n, generator=gen), torch.randn(n, generator=gen)
    assert_close(ex.matvec(mat, vec), torch.mv(mat, vec), atol=1e-5, rtol=1e-4, name=f"matvec of a {m}x{n} matrix")


@PROPERTY
@given(batch=st.integers(1, 4), m=st.integers(1, 5), n=st.integers(1, 5), seed=st.integers(0, 2**16))
def test_batched_matvec_matches_torch_bmm(batch, m, n, seed):
    gen = torch.Generator().manual_seed(seed)
    mats, vecs = torch.randn(batch, m, n, generator=gen), torch.randn(batch, n, generator=gen)
    expected = torch.bmm(mats, vecs.unsqueeze(-1)).squeeze(-1)
    assert_close(
        ex.batched_matvec(mats, vecs),
        expected,
        atol=1e-5,
        rtol=1e-4,
        name=f"batched_matvec of {batch} {m}x{n} matrices",
    )


def test_matvec_sums_along_rows_not_columns():
    # a square, non-symmetric matrix: summing over the wrong index gives the right shape and wrong values
    mat = torch.tensor([[1.0, 2.0], [30.0, 40.0]])
    vec = torch.tensor([1.0, 10.0])
    assert_close(ex.matvec(mat, vec), torch.mv(mat, vec), name="matvec([[1, 2], [30, 40]], [1, 10])")


def test_batched_matvec_pairs_each_matrix_with_its_own_vector():
    mats = torch.stack([torch.eye(3), 2 * torch.eye(3)])
    vecs = torch.tensor([[1.0, 2.0, 3.0], [10.0, 20.0, 30.0]])
    assert_close(
        ex.batched_matvec(mats, vecs),
        torch.bmm(mats, vecs.unsqueeze(-1)).squeeze(-1),
        name="batched_matvec([I, 2I], vecs)",
    )


def test_uses_einsum_not_a_matmul_builtin(forbid):
    gen = torch.Generator().manual_seed(0)
    mats, vecs = torch.randn(2, 3, 4, generator=gen), torch.randn(2, 4, generator=gen)
    expected_single = torch.mv(mats[0], vecs[0])
    expected_batched = torch.bmm(mats, vecs.unsqueeze(-1)).squeeze(-1)
    forbid(*MATMUL_BUILTINS)
    assert_close(ex.matvec(mats[0], vecs[0]), expected_single, atol=1e-5, rtol=1e-4, name="matvec")
    assert_close(ex.batched_matvec(mats, vecs), expected_batched, atol=1e-5, rtol=1e-4, name="batched_matvec")


def test_inputs_are_unchanged():
    # a function that shifts, rescales or clamps its argument in place changes the caller's tensor
    g = torch.Generator().manual_seed(0)
    matvec_mat = torch.randn(2, 3, generator=g)
    matvec_vec = torch.randn(3, generator=g)
    matvec_mat_before = matvec_mat.clone()
    matvec_vec_before = matvec_vec.clone()
    ex.matvec(matvec_mat, matvec_vec)
    assert_unchanged(matvec_mat_before, matvec_mat, name="mat (of matvec)")
    assert_unchanged(matvec_vec_before, matvec_vec, name="vec (of matvec)")
    batched_matvec_mats = torch.randn(2, 2, 3, generator=g)
    batched_matvec_vecs = torch.randn(2, 3, generator=g)
    batched_matvec_mats_before = batched_matvec_mats.clone()
    batched_matvec_vecs_before = batched_matvec_vecs.clone()
    ex.batched_matvec(batched_matvec_mats, batched_matvec_vecs)
    assert_unchanged(batched_matvec_mats_before, batched_matvec_mats, name="mats (of batched_matvec)")
    assert_unchanged(batched_matvec_vecs_before, batched_matvec_vecs, name="vecs (of batched_matvec)")


def test_common_mistakes_on_a_fixed_input():
    g = torch.Generator().manual_seed(5)
    mat, vec = torch.randn(3, 3, generator=g), torch.randn(3, generator=g)
    assert_close(ex.matvec(mat, vec), mat @ vec, atol=1e-5, rtol=1e-4, name="matvec of a 3x3 matrix", mistakes={
        "this is mat.T @ vec: sum over the matrix's column index ('i j, j -> i')": lambda: mat.T @ vec,
    })
    mats, vecs = torch.randn(2, 3, 3, generator=g), torch.randn(2, 3, generator=g)
    want = (mats @ vecs[..., None])[..., 0]
    assert_close(ex.batched_matvec(mats, vecs), want, atol=1e-5, rtol=1e-4, name="batched_matvec of 2 pairs", mistakes={
        "this is mats.T @ vecs: sum over each matrix's column index": lambda: (mats.transpose(-1, -2) @ vecs[..., None])[..., 0],
        "the vectors got their own batch index, so every matrix met the sum of all vectors; use 'b' for both":
            lambda: mats @ vecs.sum(0),
    })
