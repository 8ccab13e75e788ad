import numpy as np
import pytest
import torch

from arena_cli.course import backprop as bp
from arena_cli.testing import assert_close, assert_unchanged, load_exercise, mistake

ex = load_exercise(__file__)


def torch_max_grads(x, y, grad_out):
    tx, ty = torch.tensor(x, requires_grad=True), torch.tensor(y, requires_grad=True)
    gx, gy = torch.autograd.grad(torch.maximum(tx, ty), (tx, ty), torch.tensor(grad_out))
    return gx.numpy(), gy.numpy()


SHAPES = {
    "same_shape": ((4, 5), (4, 5)),
    "y_broadcast": ((2, 3, 4), (4,)),
    "x_broadcast": ((3, 1), (2, 3, 4)),
    "both_stretched": ((3, 1), (1, 3)),
}


@pytest.mark.parametrize("x_shape, y_shape", SHAPES.values(), ids=SHAPES.keys())
def test_matches_torch_with_many_ties(x_shape, y_shape):
    # small integers make ties frequent: torch gives each input half of grad_out at a tie
    rng = np.random.default_rng(len(x_shape) * 3 + len(y_shape))
    x = rng.integers(-2, 3, size=x_shape).astype(np.float64)
    y = rng.integers(-2, 3, size=y_shape).astype(np.float64)
    out = np.maximum(x, y)
    grad_out = rng.normal(size=out.shape)
    assert np.any(np.broadcast_to(x, out.shape) == np.broadcast_to(y, out.shape)), "test data should contain ties"
    want_x, want_y = torch_max_grads(x, y, grad_out)
    assert_close(
        ex.maximum_back0(grad_out, out, x, y),
        want_x,
        atol=1e-12,
        name=f"maximum_back0 (x {x_shape}, y {y_shape})",
    )
    assert_close(
        ex.maximum_back1(grad_out, out, x, y),
        want_y,
        atol=1e-12,
        name=f"maximum_back1 (x {x_shape}, y {y_shape})",
    )


def test_without_ties():
    rng = np.random.default_rng(5)
    x, y = rng.normal(size=(3, 4)), rng.normal(size=(3, 4))
    grad_out = rng.normal(size=(3, 4))
    want_x, want_y = torch_max_grads(x, y, grad_out)
    out = np.maximum(x, y)
    assert_close(ex.maximum_back0(grad_out, out, x, y), want_x, atol=1e-12, name="maximum_back0 without ties")
    assert_close(ex.maximum_back1(grad_out, out, x, y), want_y, atol=1e-12, name="maximum_back1 without ties")


def test_ties_split_the_gradient_in_half():
    x = np.array([1.0, 2.0, 3.0])
    y = np.array([3.0, 2.0, 1.0])
    grad_out = np.array([10.0, 10.0, 10.0])
    want_x, want_y = torch_max_grads(x, y, grad_out)  # [0, 5, 10] and [10, 5, 0]
    out = np.maximum(x, y)
    assert_close(
        ex.maximum_back0(grad_out, out, x, y),
        want_x,
        atol=0,
        name="maximum_back0 at [smaller, tie, larger]",
    )
    assert_close(
        ex.maximum_back1(grad_out, out, x, y),
        want_y,
        atol=0,
        name="maximum_back1 at [larger, tie, smaller]",
    )


def test_against_a_python_number():
    # maximum(x, 0.0) with zeros in x: the ties are at exactly 0
    x = np.array([[-1.0, 0.0, 2.0], [0.0, 3.0, -0.5]])
    grad_out = np.arange(1.0, 7.0).reshape(2, 3)
    tx = torch.tensor(x, requires_grad=True)
    (want0,) = torch.autograd.grad(torch.maximum(tx, torch.tensor(0.0, dtype=torch.float64)), tx, torch.tensor(grad_out))
    (want1,) = torch.autograd.grad(torch.maximum(torch.tensor(0.0, dtype=torch.float64), tx), tx, torch.tensor(grad_out))
    assert_close(
        ex.maximum_back0(grad_out, np.maximum(x, 0.0), x, 0.0),
        want0,
        atol=0,
        name="maximum_back0 for maximum(x, 0.0)",
    )
    assert_close(
        ex.maximum_back1(grad_out, np.maximum(0.0, x), 0.0, x),
        want1,
        atol=0,
        name="maximum_back1 for maximum(0.0, x)",
    )


def test_inside_the_engine():
    rng = np.random.default_rng(8)
    a_np = rng.integers(-2, 3, size=(3, 4)).astype(np.float64)
    b_np = rng.integers(-2, 3, size=(4,)).astype(np.float64)
    overrides = {(np.maximum, 0): ex.maximum_back0, (np.maximum, 1): ex.maximum_back1}
    with bp.overriding_backward(overrides):
        a, b = bp.Tensor(a_np, requires_grad=True), bp.Tensor(b_np, requires_grad=True)
        m = bp.maximum(a, b)
        (m * bp.maximum(m, a * 2.0)).sum().backward()
    ta, tb = torch.tensor(a_np, requires_grad=True), torch.tensor(b_np, requires_grad=True)
    tm = torch.maximum(ta, tb)
    (tm * torch.maximum(tm, ta * 2.0)).sum().backward()
    assert_close(a.grad, ta.grad, atol=1e-10, name="gradient of a through two maximums")
    assert_close(b.grad, tb.grad, atol=1e-10, name="gradient of b through two maximums")


def test_common_mistakes_on_a_fixed_input():
    x = np.array([1.0, 2.0, 3.0, 2.0])
    y = np.array([2.0, 2.0, 1.0, 5.0])  # a tie at index 1
    g = np.array([1.0, 10.0, 100.0, 1000.0])
    out = np.maximum(x, y)
    assert_close(ex.maximum_back0(g, out, x, y), np.array([0.0, 5.0, 100.0, 0.0]), name="maximum_back0", mistakes={
        "a tie gave x the whole gradient; at x == y each side gets half": np.array([0.0, 10.0, 100.0, 0.0]),
        "a tie gave no gradient; at x == y each side gets half": np.array([0.0, 0.0, 100.0, 0.0])})
    assert_close(ex.maximum_back1(g, out, x, y), np.array([1.0, 5.0, 0.0, 1000.0]), name="maximum_back1", mistakes={
        "maximum_back1 used maximum_back0's mask (x > y); y gets the gradient where y > x": np.array([0.0, 5.0, 100.0, 0.0]),
        "a tie gave y the whole gradient; at x == y each side gets half": np.array([1.0, 10.0, 0.0, 1000.0]),
        "a tie gave no gradient; at x == y each side gets half": np.array([1.0, 0.0, 0.0, 1000.0])})
