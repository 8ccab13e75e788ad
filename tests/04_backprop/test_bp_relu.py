import numpy as np
import pytest
import torch

from arena_cli.course import backprop as bp
from arena_cli.testing import assert_close, assert_unchanged, load_exercise, mistake

ex = load_exercise(__file__)


@pytest.mark.parametrize("shape", [(7,), (3, 4), (2, 3, 4)], ids=["vector", "matrix", "3d"])
def test_forward_matches_torch(shape):
    x = np.random.default_rng(len(shape)).normal(size=shape)
    assert_close(
        ex.relu_forward(x),
        torch.relu(torch.tensor(x)),
        atol=0,
        name=f"relu_forward on shape {shape}",
    )


@pytest.mark.parametrize("shape", [(7,), (3, 4), (2, 3, 4)], ids=["vector", "matrix", "3d"])
def test_backward_matches_torch(shape):
    rng = np.random.default_rng(10 + len(shape))
    x = rng.normal(size=shape)
    x[rng.random(size=shape) < 0.3] = 0.0  # exact zeros: torch's gradient there is 0
    grad_out = rng.normal(size=shape)
    leaf = torch.tensor(x, requires_grad=True)
    (want,) = torch.autograd.grad(torch.relu(leaf), leaf, torch.tensor(grad_out))
    got = ex.relu_back(grad_out, np.maximum(x, 0.0), x)
    assert_close(got, want, atol=0, name=f"relu_back on shape {shape} (with exact zeros)")


def test_gradient_at_zero_is_zero():
    got = ex.relu_back(np.array([5.0, 5.0, 5.0]), np.array([0.0, 0.0, 1.0]), np.array([-1.0, 0.0, 1.0]))
    assert_close(
        got,
        np.array([0.0, 0.0, 5.0]),
        atol=0,
        name="relu_back at x = [-1, 0, 1] (torch: 0 at x == 0)",
    )


def test_is_part_of_the_engine():
    rng = np.random.default_rng(3)
    x_np, w_np = rng.normal(size=(5, 3)), rng.normal(size=(3, 4))
    x_np[0, :] = 0.0
    x, w = bp.Tensor(x_np, requires_grad=True), bp.Tensor(w_np, requires_grad=True)
    out = ex.relu(x @ w) + ex.relu(x) @ w
    assert out.creator is not None, "ex.relu must record a creator: keep `relu = differentiable(relu_forward)`"
    (out * out).sum().backward()
    tx, tw = torch.tensor(x_np, requires_grad=True), torch.tensor(w_np, requires_grad=True)
    t_out = torch.relu(tx @ tw) + torch.relu(tx) @ tw
    (t_out * t_out).sum().backward()
    assert_close(out.array, t_out, atol=1e-12, name="relu(x @ w) + relu(x) @ w")
    assert_close(x.grad, tx.grad, atol=1e-10, name="gradient of x through your relu")
    assert_close(w.grad, tw.grad, atol=1e-10, name="gradient of w through your relu")


def test_common_mistakes_on_a_fixed_input():
    x = np.array([[-1.5, 0.0, 2.0], [3.0, -0.5, 0.0]])
    g = np.array([[1.0, 2.0, -3.0], [-4.0, 5.0, 6.0]])
    before = x.copy()
    out = ex.relu_forward(x)
    assert_unchanged(before, x, name="x")
    assert_close(out, np.maximum(x, 0.0), name="relu_forward", mistakes={"this is |x|; ReLU replaces negatives by 0": np.abs(x)})
    assert_close(ex.relu_back(g, np.maximum(x, 0.0), x), g * (x > 0), name="relu_back (x == 0 gets gradient 0)", mistakes={
        "x == 0 got gradient 1 (x >= 0); like torch, the gradient at 0 is 0 (mask x > 0)": g * (x >= 0),
        "the mask came from grad_out; it comes from the input: grad_out * (x > 0)": g * (g > 0)})
