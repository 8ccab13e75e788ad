import numpy as np
import pytest
import torch

from arena_cli.course import backprop as bp
from arena_cli.testing import assert_close, assert_unchanged, load_exercise

ex = load_exercise(__file__)


def torch_grad(f, x, grad_out):
    leaf = torch.tensor(x, requires_grad=True)
    (grad,) = torch.autograd.grad(f(leaf), leaf, torch.tensor(grad_out))
    return grad.numpy()


RESHAPES = {
    "flatten": ((2, 3, 4), (24,)),
    "split_an_axis": ((6, 4), (2, 3, 4)),
    "merge_and_split": ((2, 3, 4), (4, 6)),
    "with_minus_one": ((3, 4), (-1, 2)),
    "scalar_to_1x1": ((), (1, 1)),
    "to_a_column": ((3, 3), (9, 1)),
}


@pytest.mark.parametrize("shape, new_shape", RESHAPES.values(), ids=RESHAPES.keys())
def test_reshape_back(shape, new_shape):
    rng = np.random.default_rng(len(shape) + len(new_shape))
    x = rng.normal(size=shape)
    out = np.reshape(x, new_shape)
    grad_out = rng.normal(size=out.shape)
    want = torch_grad(lambda t: t.reshape(new_shape), x, grad_out)
    before = grad_out.copy()
    got = ex.reshape_back(grad_out, out, x, new_shape)
    assert_unchanged(before, grad_out, name="grad_out")
    assert_close(
        got,
        want,
        atol=0,
        name=f"reshape_back {shape} -> {new_shape}",
        mistakes={
            "you reshaped in column-major (Fortran) order; reshape keeps numpy's row-major order, "
            "so reshape back the same way": lambda: np.reshape(grad_out, x.shape, order="F"),
        },
    )


PERMUTES = {
    "transpose_2d": ((3, 5), (1, 0)),
    "identity": ((2, 3, 4), (0, 1, 2)),
    "cycle_120": ((2, 3, 4), (1, 2, 0)),
    "cycle_201": ((2, 3, 4), (2, 0, 1)),
    "cycle_on_a_cube": ((3, 3, 3), (1, 2, 0)),  # shapes cannot catch a wrong inverse here
    "swap_outer": ((2, 3, 4), (2, 1, 0)),
    "four_axes": ((2, 3, 4, 5), (3, 0, 2, 1)),
    "four_axes_hypercube": ((2, 2, 2, 2), (1, 3, 0, 2)),
    "negative_dims": ((2, 3, 4), (-1, 0, 1)),
    "negative_dims_on_a_cube": ((3, 3, 3), (-2, -1, 0)),
    "mixed_signs_four_axes": ((2, 3, 4, 5), (-1, 0, -2, 1)),
}


@pytest.mark.parametrize("shape, dims", PERMUTES.values(), ids=PERMUTES.keys())
def test_permute_back(shape, dims):
    rng = np.random.default_rng(sum(dims) + len(shape))
    x = rng.normal(size=shape)
    out = np.transpose(x, dims)
    grad_out = rng.normal(size=out.shape)
    want = torch_grad(lambda t: t.permute(*dims), x, grad_out)
    before = grad_out.copy()
    got = ex.permute_back(grad_out, out, x, dims)
    assert_unchanged(before, grad_out, name="grad_out")
    assert_close(
        got,
        want,
        atol=0,
        name=f"permute_back {shape} by {dims}",
        mistakes={
            "you permuted grad_out by `dims` itself; undoing a permutation needs its inverse, "
            "np.argsort(dims)": lambda: np.transpose(grad_out, dims),
            "np.argsort of negative dims is not the inverse permutation; make each dim "
            "non-negative first (d % x.ndim)": lambda: np.transpose(grad_out, np.argsort(dims)),
        },
    )


def test_inside_the_engine():
    rng = np.random.default_rng(5)
    x_np, w_np = rng.normal(size=(2, 3, 4)), rng.normal(size=(4, 6))
    overrides = {(bp.reshape_forward, 0): ex.reshape_back, (bp.permute_forward, 0): ex.permute_back}
    with bp.overriding_backward(overrides):
        x, w = bp.Tensor(x_np, requires_grad=True), bp.Tensor(w_np, requires_grad=True)
        y = x.permute(1, 2, 0).reshape(12, 2) * w.reshape(12, 2)
        (y * y).sum().backward()
    tx, tw = torch.tensor(x_np, requires_grad=True), torch.tensor(w_np, requires_grad=True)
    ty = tx.permute(1, 2, 0).reshape(12, 2) * tw.reshape(12, 2)
    (ty * ty).sum().backward()
    assert_close(x.grad, tx.grad, atol=1e-10, name="gradient of x through permute and reshape")
    assert_close(w.grad, tw.grad, atol=1e-10, name="gradient of w through reshape")
