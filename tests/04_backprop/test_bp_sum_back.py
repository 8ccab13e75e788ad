import numpy as np
import pytest
import torch

from arena_cli.course import backprop as bp
from arena_cli.testing import assert_close, assert_unchanged, load_exercise, mistake

ex = load_exercise(__file__)


def check(shape, dim, keepdim, seed):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=shape)
    out = bp.sum_forward(x, dim=dim, keepdim=keepdim)
    grad_out = rng.normal(size=np.shape(out))
    leaf = torch.tensor(x, requires_grad=True)
    t_out = leaf.sum() if dim is None else leaf.sum(dim=dim, keepdim=keepdim)
    if dim is None and keepdim:
        t_out = t_out.reshape((1,) * len(shape))
    (want,) = torch.autograd.grad(t_out, leaf, torch.tensor(grad_out))
    got = ex.sum_back(grad_out, out, x, dim=dim, keepdim=keepdim)
    n_summed = x.ndim if dim is None else len((dim,) if isinstance(dim, int) else dim)
    assert_close(got, want.numpy(), atol=1e-12, name=f"sum_back for x {shape}, dim={dim}, keepdim={keepdim}", mistakes={
        "the summed axes were put back at the end; put each back where it was (np.expand_dims(grad_out, dims))":
            lambda: np.broadcast_to(np.reshape(grad_out, np.shape(grad_out) + (1,) * n_summed), x.shape)})
    assert isinstance(got, np.ndarray) and got.flags.writeable, "return a fresh, writable array (copy a broadcast view)"


CASES = {
    "all_axes_of_a_matrix": ((3, 4), None, False),
    "all_axes_keepdim": ((3, 4), None, True),
    "all_axes_of_a_cube": ((3, 3, 3), None, False),
    "rows_of_a_square": ((3, 3), 0, False),
    "columns_of_a_square": ((3, 3), 1, False),  # grad_out (3,) broadcasts along the wrong axis unless expanded
    "columns_of_a_square_keepdim": ((3, 3), 1, True),
    "middle_axis": ((2, 3, 4), 1, False),
    "middle_axis_of_a_cube": ((2, 2, 2), 1, False),
    "last_axis_negative": ((2, 3, 4), -1, False),
    "negative_middle_axis": ((3, 3, 3), -2, False),
    "two_axes": ((2, 3, 4, 5), (1, 3), False),
    "two_axes_keepdim": ((2, 3, 4, 5), (1, 3), True),
    "two_axes_of_a_hypercube": ((2, 2, 2, 2), (0, 2), False),
    "two_negative_axes": ((2, 3, 4), (-1, -3), False),
    "axes_given_out_of_order": ((3, 3, 3), (2, 0), False),
    "vector_to_scalar": ((5,), 0, False),
}


@pytest.mark.parametrize("shape, dim, keepdim", CASES.values(), ids=CASES.keys())
def test_matches_torch_autograd(shape, dim, keepdim):
    check(shape, dim, keepdim, seed=len(shape) + (0 if dim is None else 3))


def test_worked_example():
    got = ex.sum_back(np.array([1.0, 2.0]), np.zeros(2), np.zeros((2, 3)), dim=1)
    assert_close(got, np.array([[1.0, 1.0, 1.0], [2.0, 2.0, 2.0]]), atol=0, name="the docstring's example")


def test_inside_the_engine():
    rng = np.random.default_rng(11)
    x_np = rng.normal(size=(3, 3, 3))
    with bp.overriding_backward({(bp.sum_forward, 0): ex.sum_back}):
        x = bp.Tensor(x_np, requires_grad=True)
        rows = x.sum(dim=2)  # [3, 3]
        total = (rows * x.sum(dim=0) + x.sum(dim=(0, 1), keepdim=True)).sum()
        total.backward()
    tx = torch.tensor(x_np, requires_grad=True)
    (tx.sum(dim=2) * tx.sum(dim=0) + tx.sum(dim=(0, 1), keepdim=True)).sum().backward()
    assert_close(x.grad, tx.grad, atol=1e-10, name="gradient of x through several sums")


def test_common_mistakes_on_a_fixed_input():
    rng = np.random.default_rng(5)
    x = rng.normal(size=(2, 3, 4))
    g = rng.normal(size=(2, 4))
    want = np.broadcast_to(g[:, None, :], x.shape)
    got = ex.sum_back(g, x.sum(1), x, dim=1)
    assert_close(got, want, name="sum_back over dim 1", mistakes={
        "you divided by the number of summed elements (that is mean's backward); sum passes grad_out unchanged":
            lambda: want / 3})
    if isinstance(got, np.ndarray) and not got.flags.writeable:
        raise mistake("the result is np.broadcast_to's read-only view; return a copy (.copy()) so it can be added to")
