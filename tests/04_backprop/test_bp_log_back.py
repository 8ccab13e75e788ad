import numpy as np
import pytest
import torch

from arena_cli.testing import assert_close, assert_unchanged, load_exercise, mistake

ex = load_exercise(__file__)


def torch_log_grad(x: np.ndarray, grad_out: np.ndarray) -> np.ndarray:
    leaf = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    (grad,) = torch.autograd.grad(torch.log(leaf), leaf, torch.tensor(grad_out, dtype=torch.float64))
    return grad.numpy()


@pytest.mark.parametrize("shape", [(), (5,), (3, 4), (2, 3, 4)], ids=["scalar", "vector", "matrix", "3d"])
def test_matches_torch_autograd(shape):
    rng = np.random.default_rng(len(shape))
    x = rng.uniform(0.1, 5.0, size=shape)
    grad_out = rng.normal(size=shape)
    got = ex.log_back(grad_out, np.log(x), x)
    assert_close(got, torch_log_grad(x, grad_out), atol=1e-12, rtol=1e-10, name=f"log_back on shape {shape}")


def test_scales_grad_out_not_just_the_local_derivative():
    # grad_out far from 1: an answer that returns 1/x alone ignores the chain rule
    x = np.array([0.5, 2.0, 10.0])
    grad_out = np.array([3.0, -7.0, 0.25])
    got = ex.log_back(grad_out, np.log(x), x)
    assert_close(got, torch_log_grad(x, grad_out), atol=1e-12, name="log_back with grad_out = [3, -7, 0.25]")


def test_uses_the_input_not_the_output():
    # log(e) = 1: dividing by out instead of x would give grad_out / 1 here
    x = np.array([np.e, np.e**2, 0.3])
    grad_out = np.ones(3)
    got = ex.log_back(grad_out, np.log(x), x)
    assert_close(got, torch_log_grad(x, grad_out), atol=1e-12, name="log_back at x = [e, e^2, 0.3]")


def test_common_mistakes_on_a_fixed_input():
    rng = np.random.default_rng(5)
    x, g = rng.uniform(0.5, 3.0, size=(2, 3)), rng.normal(size=(2, 3))
    assert_close(ex.log_back(g, np.log(x), x), g / x, name="log_back", mistakes={
        "you multiplied by x; the derivative of log(x) is 1/x": lambda: g * x,
        "you divided by out = log(x); divide by x": lambda: g / np.log(x),
        "grad_out was ignored: multiply 1/x by the incoming gradient": lambda: 1 / x})
