import pytest
import torch
import torch.nn.functional as F
from torch import nn

from arena_cli.testing import assert_close, assert_unchanged, load_exercise

ex = load_exercise(__file__)


@pytest.mark.parametrize("shape", [(7,), (3, 5), (2, 3, 4, 5)], ids=["vector", "matrix", "batch_of_images"])
def test_matches_torch_relu(shape):
    x = torch.randn(shape, generator=torch.Generator().manual_seed(len(shape)))
    assert_close(ex.ReLU()(x), F.relu(x), name=f"ReLU of a random tensor of shape {shape}")


def test_zero_and_infinities():
    x = torch.tensor([float("-inf"), -3.0, -1e-30, 0.0, 1e-30, 2.5, float("inf")])
    assert_close(ex.ReLU()(x), F.relu(x), atol=0, rtol=0, name="ReLU of [-inf, -3, -1e-30, 0, 1e-30, 2.5, inf]")


def test_is_a_module():
    assert isinstance(ex.ReLU(), nn.Module), "ReLU must subclass torch.nn.Module"


def test_does_not_change_its_input():
    x = torch.randn(4, 6, generator=torch.Generator().manual_seed(1))
    before = x.clone()
    ex.ReLU()(x)
    assert_close(x, before, atol=0, rtol=0, name="the input after calling ReLU (it must not be changed in place)")


def test_gradient_is_one_where_positive_and_zero_where_negative():
    generator = torch.Generator().manual_seed(2)
    x = torch.randn(5, 7, generator=generator, requires_grad=True)
    upstream = torch.randn(5, 7, generator=generator)
    out = ex.ReLU()(x)
    assert out.requires_grad, "the output does not require grad: keep it connected to autograd (no detach, no numpy)"
    (out * upstream).sum().backward()
    assert_close(x.grad, upstream * (x.detach() > 0), name="gradient of sum(ReLU(x) * upstream) with respect to x")


def test_does_not_use_torch_relu(forbid):
    x = torch.randn(3, 4, generator=torch.Generator().manual_seed(3))
    expected = F.relu(x)
    forbid("torch.relu", "torch.nn.functional.relu", "torch.Tensor.relu", "torch.nn.ReLU.forward")
    assert_close(ex.ReLU()(x), expected, name="ReLU without torch's relu")


def test_common_mistakes_on_a_fixed_input():
    x = torch.randn(3, 4, generator=torch.Generator().manual_seed(5))
    before = x.clone()
    got = ex.ReLU()(x)
    assert_unchanged(before, x, name="x")
    assert_close(got, torch.relu(x), atol=0, name="ReLU of a 3x4 matrix", mistakes={
        "this is |x|; ReLU replaces negative values by 0": lambda: x.abs(),
        "this is a leaky ReLU; negative values become exactly 0": lambda: F.leaky_relu(x, 0.01),
    })
