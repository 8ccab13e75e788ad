import numpy as np
import pytest
import torch

from arena_cli.course import backprop as bp
from arena_cli.testing import assert_close, assert_unchanged, load_exercise, mistake

ex = load_exercise(__file__)

SHAPES = [(), (5,), (3, 4), (2, 3, 2)]
SHAPE_IDS = ["scalar", "vector", "matrix", "3d"]


def torch_grads(f, inputs, grad_out):
    leaves = [torch.tensor(a, dtype=torch.float64, requires_grad=True) for a in inputs]
    return [g.numpy() for g in torch.autograd.grad(f(*leaves), leaves, torch.tensor(grad_out))]


@pytest.mark.parametrize("shape", SHAPES, ids=SHAPE_IDS)
def test_negative_back(shape):
    rng = np.random.default_rng(len(shape))
    x, grad_out = rng.normal(size=shape), rng.normal(size=shape)
    (want,) = torch_grads(torch.neg, [x], grad_out)
    assert_close(ex.negative_back(grad_out, -x, x), want, atol=1e-12, name=f"negative_back on shape {shape}")


@pytest.mark.parametrize("shape", SHAPES, ids=SHAPE_IDS)
def test_exp_back(shape):
    rng = np.random.default_rng(10 + len(shape))
    x, grad_out = rng.normal(size=shape), rng.normal(size=shape)
    (want,) = torch_grads(torch.exp, [x], grad_out)
    assert_close(
        ex.exp_back(grad_out, np.exp(x), x),
        want,
        atol=1e-12,
        rtol=1e-10,
        name=f"exp_back on shape {shape}",
    )


DIVIDE_SHAPES = {
    "same_shape": ((3, 4), (3, 4)),
    "y_broadcast": ((2, 3, 4), (3, 1)),
    "x_broadcast": ((4,), (3, 4)),
    "both_stretched": ((3, 1), (1, 3)),
}


@pytest.mark.parametrize("x_shape, y_shape", DIVIDE_SHAPES.values(), ids=DIVIDE_SHAPES.keys())
def test_divide_back(x_shape, y_shape):
    rng = np.random.default_rng(len(x_shape) + 7 * len(y_shape))
    x = rng.normal(size=x_shape)
    y = rng.uniform(0.5, 2.0, size=y_shape) * rng.choice([-1.0, 1.0], size=y_shape)
    out = x / y
    grad_out = rng.normal(size=out.shape)
    want_x, want_y = torch_grads(torch.div, [x, y], grad_out)
    assert_close(
        ex.divide_back0(grad_out, out, x, y),
        want_x,
        atol=1e-12,
        rtol=1e-10,
        name=f"divide_back0 (x {x_shape}, y {y_shape})",
    )
    assert_close(
        ex.divide_back1(grad_out, out, x, y),
        want_y,
        atol=1e-12,
        rtol=1e-10,
        name=f"divide_back1 (x {x_shape}, y {y_shape})",
    )


def test_divide_by_and_into_a_python_number():
    rng = np.random.default_rng(3)
    x = rng.uniform(0.5, 2.0, size=(2, 3))
    grad_out = rng.normal(size=(2, 3))
    (want0,) = torch_grads(lambda t: t / 4.0, [x], grad_out)
    (want1,) = torch_grads(lambda t: 4.0 / t, [x], grad_out)
    assert_close(ex.divide_back0(grad_out, x / 4.0, x, 4.0), want0, atol=1e-12, name="divide_back0 for x / 4")
    assert_close(ex.divide_back1(grad_out, 4.0 / x, 4.0, x), want1, atol=1e-12, name="divide_back1 for 4 / x")


def test_exp_back_reuses_out():
    # a deliberately "wrong" out reveals whether exp_back recomputes exp(x) instead of using it
    x = np.array([0.0, 1.0, 2.0])
    fake_out = np.array([5.0, 6.0, 7.0])
    got = ex.exp_back(np.ones(3), fake_out, x)
    assert_close(
        got,
        fake_out,
        atol=1e-12,
        name="exp_back(ones, out=[5, 6, 7], x): should equal grad_out * out",
    )


def test_inside_the_engine_on_a_diamond():
    # your functions replace the engine's for the duration of this test
    rng = np.random.default_rng(4)
    a_np, b_np = rng.normal(size=(3, 4)), rng.uniform(0.5, 2.0, size=(4,))
    overrides = {
        (np.negative, 0): ex.negative_back,
        (np.exp, 0): ex.exp_back,
        (np.true_divide, 0): ex.divide_back0,
        (np.true_divide, 1): ex.divide_back1,
    }
    with bp.overriding_backward(overrides):
        a, b = bp.Tensor(a_np, requires_grad=True), bp.Tensor(b_np, requires_grad=True)
        h = (-a).exp()
        ((h / b + 2.0 / (h + b)) * h).sum().backward()
    ta, tb = torch.tensor(a_np, requires_grad=True), torch.tensor(b_np, requires_grad=True)
    th = (-ta).exp()
    ((th / tb + 2.0 / (th + tb)) * th).sum().backward()
    assert_close(a.grad, ta.grad, atol=1e-10, rtol=1e-8, name="gradient of a through neg, exp and divide")
    assert_close(b.grad, tb.grad, atol=1e-10, rtol=1e-8, name="gradient of b through neg, exp and divide")


def test_common_mistakes_on_a_fixed_input():
    rng = np.random.default_rng(5)
    x, y, g = rng.normal(size=(2, 3)), rng.uniform(0.5, 2.0, size=(2, 3)), rng.normal(size=(2, 3))
    before = (x.copy(), y.copy(), g.copy())
    exp_out, div_out = np.exp(x), x / y
    assert_close(ex.negative_back(g, -x, x), -g, name="negative_back", mistakes={
        "the gradient passed through unchanged; d(-x)/dx = -1 flips its sign": g})
    assert_close(ex.exp_back(g, exp_out, x), g * exp_out, name="exp_back", mistakes={
        "you multiplied by x; the derivative of exp(x) is exp(x), which is `out`": lambda: g * x})
    assert_close(ex.divide_back0(g, div_out, x, y), g / y, name="divide_back0", mistakes={
        "you multiplied by y; d(x/y)/dx = 1/y": lambda: g * y})
    assert_close(ex.divide_back1(g, div_out, x, y), -g * x / y**2, name="divide_back1", mistakes={
        "the minus sign is missing: d(x/y)/dy = -x / y**2": lambda: g * x / y**2,
        "you used `out` (= x/y) where x belongs: d(x/y)/dy = -x / y**2": lambda: -g * div_out / y**2})
    for b, a, what in zip(before, (x, y, g), ("x", "y", "grad_out")):
        assert_unchanged(b, a, name=what)
