import numpy as np
import pytest
import torch

from arena_cli.testing import assert_close, assert_unchanged, load_exercise, mistake

ex = load_exercise(__file__)


def torch_mul_grads(x: np.ndarray, y: np.ndarray, grad_out: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    tx = torch.tensor(x, requires_grad=True)
    ty = torch.tensor(y, requires_grad=True)
    gx, gy = torch.autograd.grad(tx * ty, (tx, ty), torch.tensor(grad_out))
    return gx.numpy(), gy.numpy()


SHAPES = {
    "same_shape": ((3, 4), (3, 4)),
    "y_broadcast_on_the_left": ((2, 3, 4), (4,)),
    "x_broadcast_on_the_left": ((4,), (2, 3, 4)),
    "both_stretched": ((2, 1), (1, 3)),
    "size_1_axes_and_new_axes": ((3, 1, 2), (2, 1, 4, 1)),
    "square_broadcast": ((3,), (3, 3)),
    "scalar_array": ((), (2, 2)),
}


@pytest.mark.parametrize("x_shape, y_shape", SHAPES.values(), ids=SHAPES.keys())
def test_matches_torch_autograd(x_shape, y_shape):
    rng = np.random.default_rng(len(x_shape) * 10 + len(y_shape))
    x, y = rng.normal(size=x_shape), rng.normal(size=y_shape)
    out = x * y
    grad_out = rng.normal(size=out.shape)
    want_x, want_y = torch_mul_grads(x, y, grad_out)
    assert_close(
        ex.multiply_back0(grad_out, out, x, y),
        want_x,
        atol=1e-12,
        rtol=1e-10,
        name=f"multiply_back0 (x {x_shape}, y {y_shape})",
    )
    assert_close(
        ex.multiply_back1(grad_out, out, x, y),
        want_y,
        atol=1e-12,
        rtol=1e-10,
        name=f"multiply_back1 (x {x_shape}, y {y_shape})",
    )


def test_other_argument_is_a_python_number():
    rng = np.random.default_rng(3)
    x = rng.normal(size=(2, 3))
    grad_out = rng.normal(size=(2, 3))
    tx = torch.tensor(x, requires_grad=True)
    (want_x,) = torch.autograd.grad(tx * 2.5, tx, torch.tensor(grad_out))
    (want_y,) = torch.autograd.grad(2.5 * tx, tx, torch.tensor(grad_out))
    assert_close(
        ex.multiply_back0(grad_out, x * 2.5, x, 2.5),
        want_x,
        atol=1e-12,
        name="multiply_back0 for x * 2.5",
    )
    assert_close(
        ex.multiply_back1(grad_out, 2.5 * x, 2.5, x),
        want_y,
        atol=1e-12,
        name="multiply_back1 for 2.5 * x",
    )


def test_common_mistakes_on_a_fixed_input():
    rng = np.random.default_rng(5)
    x, y, g = rng.normal(size=(2, 3)), rng.normal(size=(2, 3)), rng.normal(size=(2, 3))
    assert_close(ex.multiply_back0(g, x * y, x, y), g * y, name="multiply_back0", mistakes={
        "you multiplied by x; d(x*y)/dx = y": lambda: g * x,
        "grad_out passed through without the other factor: multiply by y": g})
    assert_close(ex.multiply_back1(g, x * y, x, y), g * x, name="multiply_back1", mistakes={
        "you multiplied by y; d(x*y)/dy = x": lambda: g * y})
