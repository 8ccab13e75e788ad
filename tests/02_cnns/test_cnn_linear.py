import math

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from arena_cli.testing import assert_close, load_exercise, mistake

ex = load_exercise(__file__)


def make_layer(in_features, out_features, bias=True, seed=0):
    torch.manual_seed(seed)
    return ex.Linear(in_features, out_features, bias=bias)


def test_parameters_have_torch_layout():
    layer = make_layer(5, 3)
    params = dict(layer.named_parameters())
    assert set(params) == {"weight", "bias"}, f"expected parameters 'weight' and 'bias', got {sorted(params)}"
    assert isinstance(layer.weight, nn.Parameter) and isinstance(layer.bias, nn.Parameter), "use nn.Parameter"
    assert layer.weight.shape == (3, 5), f"weight: expected shape (out, in) = (3, 5), got {tuple(layer.weight.shape)}"
    assert layer.bias.shape == (3,), f"bias: expected shape (out,) = (3,), got {tuple(layer.bias.shape)}"


def test_without_bias_there_is_no_bias_parameter():
    layer = make_layer(5, 3, bias=False)
    assert layer.bias is None, "with bias=False, self.bias must be None"
    assert [name for name, _ in layer.named_parameters()] == ["weight"], "with bias=False the only parameter is 'weight'"


@pytest.mark.parametrize("bias", [True, False], ids=["with_bias", "without_bias"])
@pytest.mark.parametrize("batch_shape", [(), (4,), (2, 3)], ids=["one_vector", "batch", "batch_and_positions"])
def test_forward_matches_torch_linear(batch_shape, bias):
    layer = make_layer(6, 4, bias=bias, seed=len(batch_shape))
    with torch.no_grad():  # values far from the initial range: a forgotten term shows
        layer.weight.copy_(torch.randn(4, 6))
        if bias:
            layer.bias.copy_(torch.randn(4) * 3)
    x = torch.randn(*batch_shape, 6)
    assert_close(
        layer(x), F.linear(x, layer.weight, layer.bias), atol=1e-5,
        name=f"Linear(6, 4, bias={bias}) on input of shape {tuple(x.shape)}",
    )


def test_gradients_match_torch_linear():
    layer = make_layer(6, 4, seed=5)
    x = torch.randn(3, 6, requires_grad=True)
    upstream = torch.randn(3, 4)
    (layer(x) * upstream).sum().backward()
    weight = layer.weight.detach().clone().requires_grad_()
    bias = layer.bias.detach().clone().requires_grad_()
    x_ref = x.detach().clone().requires_grad_()
    (F.linear(x_ref, weight, bias) * upstream).sum().backward()
    assert_close(layer.weight.grad, weight.grad, name="gradient of the weight")
    assert_close(layer.bias.grad, bias.grad, name="gradient of the bias")
    assert_close(x.grad, x_ref.grad, name="gradient of the input")


def looks_normal(values, std, false_failure=1e-9):
    """Kolmogorov-Smirnov distance of `values` to N(0, std) within the DKW bound (fails a true normal < 1e-9)."""
    ordered = values.detach().flatten().double().sort().values
    n = ordered.numel()
    cdf = 0.5 * (1 + torch.erf(ordered / (std * math.sqrt(2))))
    ranks = torch.arange(1, n + 1, dtype=torch.float64)
    distance = torch.maximum(ranks / n - cdf, cdf - (ranks - 1) / n).max().item()
    return distance <= math.sqrt(math.log(2 / false_failure) / (2 * n))


def assert_uniform_not_normal(assert_uniform_init, values, bound, what):
    try:
        assert_uniform_init(values, bound, what)
    except AssertionError as failure:
        if looks_normal(values, bound):
            raise mistake(
                "the values were drawn from a normal distribution with std 1/sqrt(fan_in); draw them from "
                "uniform(-bound, bound) (`.uniform_(-bound, bound)`)", str(failure)) from None
        raise


# in != out, so a bound computed from out_features is 4 times too large or too small
@pytest.mark.parametrize("in_features, out_features", [(256, 16), (16, 256)], ids=["wide_input", "narrow_input"])
def test_init_is_uniform_within_one_over_sqrt_fan_in(in_features, out_features, assert_uniform_init):
    layer = make_layer(in_features, out_features, seed=in_features)
    bound = 1 / math.sqrt(in_features)
    assert_uniform_not_normal(assert_uniform_init, layer.weight, bound, f"Linear({in_features}, {out_features}).weight")
    assert_uniform_not_normal(assert_uniform_init, layer.bias, bound, f"Linear({in_features}, {out_features}).bias")


def test_init_distribution_is_uniform_on_a_large_layer(assert_uniform_init):
    layer = make_layer(64, 1024, seed=7)
    assert_uniform_not_normal(assert_uniform_init, layer.weight, 1 / 8, "Linear(64, 1024).weight")
    assert_uniform_init(layer.bias, 1 / 8, "Linear(64, 1024).bias")


def test_init_follows_torch_manual_seed():
    a, b, c = make_layer(8, 8, seed=1), make_layer(8, 8, seed=1), make_layer(8, 8, seed=2)
    assert_close(a.weight, b.weight, atol=0, rtol=0, name="weights of two layers made after torch.manual_seed(1)")
    assert not torch.equal(a.weight, c.weight), (
        "layers made after different seeds have the same weights: draw them from torch's random generator"
    )
