import numpy as np
import pytest
import torch

from arena_cli.course import backprop as bp
from arena_cli.testing import assert_close, load_exercise

ex = load_exercise(__file__)


def torch_matmul_grads(x, y, grad_out):
    tx, ty = torch.tensor(x, requires_grad=True), torch.tensor(y, requires_grad=True)
    gx, gy = torch.autograd.grad(tx @ ty, (tx, ty), torch.tensor(grad_out))
    return gx.numpy(), gy.numpy()


SHAPES = {
    "rectangular": ((2, 3), (3, 4)),
    "square": ((3, 3), (3, 3)),  # shapes alone cannot catch a transpose on the wrong side
    "tall_times_wide": ((5, 2), (2, 5)),
    "inner_size_1": ((4, 1), (1, 3)),
    "batched": ((2, 3, 4), (2, 4, 5)),
    "batched_squares": ((2, 3, 3), (2, 3, 3)),
    "y_shared_by_the_batch": ((2, 3, 4), (4, 5)),
    "x_shared_by_the_batch": ((3, 4), (2, 4, 5)),
    "batch_axes_broadcast": ((2, 1, 3, 4), (3, 4, 2)),
    "batched_cubes": ((3, 3, 3), (3, 3, 3)),  # .T (reversing every axis) keeps the shape here
}
DOT_T = ("{0}.T reverses every axis, which is wrong for batched matrices; swap only the last two axes "
         "(np.swapaxes({0}, -1, -2))")


@pytest.mark.parametrize("x_shape, y_shape", SHAPES.values(), ids=SHAPES.keys())
def test_matches_torch_autograd(x_shape, y_shape):
    rng = np.random.default_rng(sum(x_shape) + 10 * sum(y_shape))
    x, y = rng.normal(size=x_shape), rng.normal(size=y_shape)
    out = x @ y
    grad_out = rng.normal(size=out.shape)
    want_x, want_y = torch_matmul_grads(x, y, grad_out)
    assert_close(
        ex.matmul_back0(grad_out, out, x, y),
        want_x,
        atol=1e-10,
        rtol=1e-10,
        name=f"matmul_back0 (x {x_shape}, y {y_shape})",
        mistakes={DOT_T.format("y"): lambda: grad_out @ y.T},
    )
    assert_close(
        ex.matmul_back1(grad_out, out, x, y),
        want_y,
        atol=1e-10,
        rtol=1e-10,
        name=f"matmul_back1 (x {x_shape}, y {y_shape})",
        mistakes={DOT_T.format("x"): lambda: x.T @ grad_out},
    )


def test_worked_example():
    x, y = np.ones((2, 3)), np.arange(12.0).reshape(3, 4)
    want_x, _ = torch_matmul_grads(x, y, np.ones((2, 4)))
    assert_close(
        ex.matmul_back0(np.ones((2, 4)), x @ y, x, y),
        want_x,
        atol=0,
        name="the docstring's example",
    )


def test_inside_the_engine_with_a_reused_weight():
    # w is used twice (two layers share it) and x is used by two paths
    rng = np.random.default_rng(4)
    x_np, w_np = rng.normal(size=(5, 3)), rng.normal(size=(3, 3))
    with bp.overriding_backward({(np.matmul, 0): ex.matmul_back0, (np.matmul, 1): ex.matmul_back1}):
        x, w = bp.Tensor(x_np, requires_grad=True), bp.Tensor(w_np, requires_grad=True)
        h = x @ w
        ((h @ w) * x).sum().backward()
    tx, tw = torch.tensor(x_np, requires_grad=True), torch.tensor(w_np, requires_grad=True)
    th = tx @ tw
    ((th @ tw) * tx).sum().backward()
    assert_close(x.grad, tx.grad, atol=1e-10, name="gradient of x through x @ w @ w")
    assert_close(w.grad, tw.grad, atol=1e-10, name="gradient of w through x @ w @ w")


def test_broadcast_gradients_are_summed_not_averaged():
    rng = np.random.default_rng(5)
    x, y = rng.normal(size=(3, 2, 4)), rng.normal(size=(4, 5))  # y broadcast over the batch of 3
    g = rng.normal(size=(3, 2, 5))
    full1 = np.swapaxes(x, -1, -2) @ g  # [3, 4, 5]: one gradient of y per batch element
    assert_close(ex.matmul_back1(g, x @ y, x, y), full1.sum(0), name="matmul_back1 with y broadcast over 3 matrices", mistakes={
        "the gradient of the broadcast y was averaged over the batch; its copies' gradients add up (unbroadcast sums)":
            lambda: full1.mean(0)})
    x2, y2 = rng.normal(size=(2, 4)), rng.normal(size=(3, 4, 5))  # x broadcast
    full0 = g @ np.swapaxes(y2, -1, -2)  # [3, 2, 4]
    assert_close(ex.matmul_back0(g, x2 @ y2, x2, y2), full0.sum(0), name="matmul_back0 with x broadcast over 3 matrices", mistakes={
        "the gradient of the broadcast x was averaged over the batch; its copies' gradients add up (unbroadcast sums)":
            lambda: full0.mean(0)})
