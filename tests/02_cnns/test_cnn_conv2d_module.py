import math

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from arena_cli.testing import assert_close, load_exercise

ex = load_exercise(__file__)


def make_conv(*args, seed=0, **kwargs):
    torch.manual_seed(seed)
    return ex.Conv2d(*args, **kwargs)


def test_parameters_have_torch_layout():
    conv = make_conv(3, 8, (3, 5), stride=2, padding=(1, 0))
    assert isinstance(conv.weight, nn.Parameter), "weight must be an nn.Parameter"
    assert conv.weight.shape == (8, 3, 3, 5), f"weight: expected [out, in, k_h, k_w] = (8, 3, 3, 5), got {tuple(conv.weight.shape)}"
    assert isinstance(conv.bias, nn.Parameter) and conv.bias.shape == (8,), "bias: expected an nn.Parameter of shape (8,)"
    assert (conv.kernel_size, conv.stride, conv.padding) == ((3, 5), (2, 2), (1, 0)), "store kernel_size, stride, padding as pairs"


def test_without_bias_there_is_no_bias_parameter():
    conv = make_conv(3, 8, 3, bias=False)
    assert conv.bias is None, "with bias=False, self.bias must be None"
    assert [name for name, _ in conv.named_parameters()] == ["weight"], "with bias=False the only parameter is 'weight'"


@pytest.mark.parametrize(
    "kwargs",
    [dict(kernel_size=3), dict(kernel_size=3, stride=2, padding=1), dict(kernel_size=(2, 3), stride=(1, 2), padding=(1, 0), bias=False)],
    ids=["3x3", "3x3_stride_2_padding_1", "uneven_no_bias"],
)
def test_forward_matches_torch_conv2d(kwargs):
    conv = make_conv(3, 4, **kwargs)
    with torch.no_grad():  # values far from the initial range: a forgotten bias shows
        conv.weight.copy_(torch.randn(conv.weight.shape))
        if conv.bias is not None:
            conv.bias.copy_(3 * torch.randn(4))
    x = torch.randn(2, 3, 7, 8)
    expected = F.conv2d(x, conv.weight, conv.bias, stride=kwargs.get("stride", 1), padding=kwargs.get("padding", 0))
    stride = kwargs.get("stride", 1)
    assert_close(conv(x), expected, atol=1e-5, name=f"Conv2d(3, 4, {kwargs}) on a [2, 3, 7, 8] input", mistakes={
        "the padding is not used in forward; pass padding=self.padding to F.conv2d":
            lambda: F.conv2d(x, conv.weight, conv.bias, stride=stride),
        "the stride is not used in forward; pass stride=self.stride to F.conv2d":
            lambda: F.conv2d(x, conv.weight, conv.bias, padding=kwargs.get("padding", 0)),
    })


# fan-in 4 * 3 * 5 = 60 against a fan-out of 64 * 15 = 960, and the other way round; a 3x5 kernel
# tells k_h * k_w from k_h * k_h, and including the kernel from leaving it out
@pytest.mark.parametrize("in_channels, out_channels", [(4, 64), (64, 4)], ids=["few_inputs", "many_inputs"])
def test_init_is_uniform_within_one_over_sqrt_fan_in(in_channels, out_channels, assert_uniform_init):
    conv = make_conv(in_channels, out_channels, (3, 5), seed=in_channels)
    bound = 1 / math.sqrt(in_channels * 3 * 5)
    assert_uniform_init(conv.weight, bound, f"Conv2d({in_channels}, {out_channels}, (3, 5)).weight")
    if out_channels >= 64:
        assert_uniform_init(conv.bias, bound, f"Conv2d({in_channels}, {out_channels}, (3, 5)).bias")
    else:
        assert conv.bias.abs().max() <= bound * (1 + 1e-6), "the bias is outside +-1/sqrt(fan_in)"


def test_init_follows_torch_manual_seed():
    a, b, c = make_conv(2, 3, 3, seed=1), make_conv(2, 3, 3, seed=1), make_conv(2, 3, 3, seed=2)
    assert_close(a.weight, b.weight, atol=0, rtol=0, name="weights of two layers made after torch.manual_seed(1)")
    assert not torch.equal(a.weight, c.weight), "different seeds gave the same weights: use torch's random generator"


def test_does_not_use_torch_conv2d_module(forbid):
    forbid("torch.nn.Conv2d.__init__", "torch.nn.init.kaiming_uniform_", "torch.nn.init.uniform_")
    conv = make_conv(2, 3, 3)
    assert conv.weight.shape == (3, 2, 3, 3)
