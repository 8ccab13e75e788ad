import pytest
import torch

from arena_cli.testing import assert_close, load_exercise

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
