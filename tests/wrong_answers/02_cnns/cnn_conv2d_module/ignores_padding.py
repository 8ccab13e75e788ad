# MISTAKE: Forgets to pass the padding to F.conv2d.
# NAMED: the padding is not used in forward
"""A `Conv2d` module: a convolution's parameters and their initialisation.

Goal: `Conv2d(in_channels, out_channels, kernel_size, stride=1, padding=0, bias=True)` behaves
like `torch.nn.Conv2d` (with the same arguments):

- `self.weight`: an `nn.Parameter` `[out_channels, in_channels, kernel_height, kernel_width]`;
- `self.bias`: an `nn.Parameter` `[out_channels]`, or `None` when `bias=False` (a convolution
  followed by batch norm needs none: batch norm subtracts the mean anyway);
- `self.kernel_size`, `self.stride`, `self.padding`: stored as `(height, width)` pairs;
- weight and bias drawn uniformly from `[-1/sqrt(fan_in), +1/sqrt(fan_in)]` with torch's random
  number generator, where the fan-in is what one output sums over:
  `fan_in = in_channels * kernel_height * kernel_width`;
- `forward` computes the convolution with these parameters.

The same reasoning as for `Linear`: one output is a sum of `fan_in` products, so the bound that
keeps its variance steady depends on the inputs of one window, not on `out_channels`.

Rules: `force_pair` (given); for `forward` use `torch.nn.functional.conv2d` (your
`as_strided` version gives the same numbers, more slowly); no `torch.nn.Conv2d`, no
`torch.nn.init`.

Worked example:
    >>> conv = Conv2d(3, 8, kernel_size=(3, 5), padding=1)
    >>> conv.weight.shape, conv.bias.shape
    (torch.Size([8, 3, 3, 5]), torch.Size([8]))
    >>> conv(torch.zeros(2, 3, 10, 10)).shape
    torch.Size([2, 8, 10, 8])
"""

import math

import torch
import torch.nn.functional as F
from jaxtyping import Float
from torch import Tensor, nn

IntOrPair = int | tuple[int, int]


def force_pair(value: IntOrPair) -> tuple[int, int]:
    """3 -> (3, 3); (1, 2) -> (1, 2)."""
    if isinstance(value, int):
        return (value, value)
    if len(value) != 2:
        raise ValueError(f"expected an int or a pair of ints, got {value!r}")
    return (int(value[0]), int(value[1]))


class Conv2d(nn.Module):
    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: IntOrPair,
        stride: IntOrPair = 1,
        padding: IntOrPair = 0,
        bias: bool = True,
    ):
        super().__init__()
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.kernel_size = force_pair(kernel_size)
        self.stride = force_pair(stride)
        self.padding = force_pair(padding)
        # BEGIN SOLUTION: fan_in = in_channels * kernel_height * kernel_width; weight [out, in, k_h, k_w] and bias [out] (or None) as nn.Parameters uniform in +-1/sqrt(fan_in) (about 5 lines)
        kernel_height, kernel_width = self.kernel_size
        bound = 1 / math.sqrt(in_channels * kernel_height * kernel_width)  # one output's fan-in
        weight_shape = (out_channels, in_channels, kernel_height, kernel_width)
        self.weight = nn.Parameter(torch.empty(weight_shape).uniform_(-bound, bound))
        self.bias = nn.Parameter(torch.empty(out_channels).uniform_(-bound, bound)) if bias else None
        # END SOLUTION

    def forward(self, x: Float[Tensor, "batch in_channels height width"]) -> Float[Tensor, "batch out_channels out_height out_width"]:
        # BEGIN SOLUTION: F.conv2d with this module's weight, bias, stride and padding (about 1 line)
        return F.conv2d(x, self.weight, self.bias, stride=self.stride)
        # END SOLUTION

    def extra_repr(self) -> str:
        return (
            f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
            f"stride={self.stride}, padding={self.padding}, bias={self.bias is not None}"
        )
