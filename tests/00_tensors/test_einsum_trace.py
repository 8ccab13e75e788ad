import pytest
import torch

from arena_cli.testing import assert_close, assert_unchanged, load_exercise

ex = load_exercise(__file__)


@pytest.mark.parametrize("n", [1, 2, 5, 17])
def test_matches_torch_trace(n):
    torch.manual_seed(n)
    mat = torch.randn(n, n)
    assert_close(ex.trace(mat), torch.trace(mat), name=f"trace of a random {n}x{n} matrix")


def test_uses_diagonal_not_anti_diagonal():
    # the anti-diagonal and the diagonal sum differ here: a flipped index order would show it
    mat = torch.tensor([[1.0, 10.0], [100.0, 1000.0]])
    assert_close(ex.trace(mat), torch.tensor(1001.0), name="trace([[1, 10], [100, 1000]])")


def test_returns_a_scalar_tensor():
    result = ex.trace(torch.eye(3))
    assert isinstance(result, torch.Tensor), f"expected a tensor, got {type(result).__name__}"
    assert result.shape == (), f"expected a 0-dimensional tensor, got shape {tuple(result.shape)}"


def test_uses_einsum_not_a_trace_builtin(forbid):
    mat = torch.randn(4, 4, generator=torch.Generator().manual_seed(3))
    expected = torch.trace(mat)
    forbid("torch.trace", "torch.Tensor.trace", "torch.diagonal", "torch.Tensor.diagonal", "torch.diag",
           "torch.Tensor.diag", "torch.diag_embed", "torch.eye")
    assert_close(ex.trace(mat), expected, name="trace")


def test_inputs_are_unchanged():
    # a function that shifts, rescales or clamps its argument in place changes the caller's tensor
    g = torch.Generator().manual_seed(0)
    trace_mat = torch.randn(3, 3, generator=g)
    trace_mat_before = trace_mat.clone()
    ex.trace(trace_mat)
    assert_unchanged(trace_mat_before, trace_mat, name="mat (of trace)")


def test_common_mistakes_on_a_fixed_input():
    mat = torch.randn(4, 4, generator=torch.Generator().manual_seed(5))
    assert_close(ex.trace(mat), torch.trace(mat), name="trace of a 4x4 matrix", mistakes={
        "this is the sum of every entry ('i j ->'); the trace repeats one index ('i i ->')": lambda: mat.sum(),
        "this is the anti-diagonal's sum; the trace is the main diagonal": lambda: mat.flip(0).diagonal().sum(),
    })
