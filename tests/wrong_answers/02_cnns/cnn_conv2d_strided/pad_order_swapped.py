# MISTAKE: Passes F.pad the height padding first (F.pad lists the last axis first).
# NAMED: F.pad was given the height padding first
"""A 2D convolution with stride and padding, from `torch.as_strided`.

Goal: `conv2d(x, weights, stride, padding)` equals
`torch.nn.functional.conv2d(x, weights, stride=stride, padding=padding)`, where `stride` and
`padding` are each an int (the same for both axes) or a pair `(for height, for width)`:

- `padding = (p_h, p_w)`: `p_h` rows of zeros above *and* below, `p_w` columns left *and* right;
- `stride = (s_h, s_w)`: the kernel moves `s_h` rows down and `s_w` columns right at a time,
      out[b, o, i, j] = sum over c, kh, kw of x_padded[b, c, i*s_h + kh, j*s_w + kw] * weights[o, c, kh, kw];
- output size per axis: `(size + 2 * p - kernel) // s + 1`.

This is the convolution a ResNet uses: a 3x3 kernel with padding 1 keeps the size (stride 1) or
halves it (stride 2).

Rules: `force_pair` (given), `torch.nn.functional.pad` for the zero padding, `Tensor.stride`,
`as_strided` and one einsum; no `torch.nn.functional.conv2d`, `torch.conv2d`, `unfold`, no
Python loops.

Worked example:
    >>> x = torch.ones(1, 1, 4, 4)
    >>> conv2d(x, torch.ones(1, 1, 3, 3), stride=2, padding=1)   # windows at the corners see 4 ones
    tensor([[[[4., 6.],
              [6., 9.]]]])
"""

import einops
import torch.nn.functional as F
from jaxtyping import Float
from torch import Tensor

IntOrPair = int | tuple[int, int]


def force_pair(value: IntOrPair) -> tuple[int, int]:
    """3 -> (3, 3); (1, 2) -> (1, 2)."""
    if isinstance(value, int):
        return (value, value)
    if len(value) != 2:
        raise ValueError(f"expected an int or a pair of ints, got {value!r}")
    return (int(value[0]), int(value[1]))


def conv2d(
    x: Float[Tensor, "batch in_channels height width"],
    weights: Float[Tensor, "out_channels in_channels kernel_height kernel_width"],
    stride: IntOrPair = 1,
    padding: IntOrPair = 0,
) -> Float[Tensor, "batch out_channels output_height output_width"]:
    """Like torch.nn.functional.conv2d(x, weights, stride=stride, padding=padding)."""
    # BEGIN SOLUTION: force_pair both; pad (left, right, top, bottom) = (p_w, p_w, p_h, p_h); output sizes; as_strided with strides (s_b, s_c, s_h * stride_h, s_w * stride_w, s_h, s_w); einsum (about 12 lines)
    stride_h, stride_w = force_pair(stride)
    pad_h, pad_w = force_pair(padding)
    x = F.pad(x, (pad_h, pad_h, pad_w, pad_w))  # F.pad lists the last axis first
    batch, in_channels, height, width = x.shape
    kernel_height, kernel_width = weights.shape[-2:]
    output_height = (height - kernel_height) // stride_h + 1
    output_width = (width - kernel_width) // stride_w + 1
    s_batch, s_channel, s_height, s_width = x.stride()
    windows = x.as_strided(
        size=(batch, in_channels, output_height, output_width, kernel_height, kernel_width),
        stride=(s_batch, s_channel, s_height * stride_h, s_width * stride_w, s_height, s_width),
    )  # [b, c, out_h, out_w, k_h, k_w]
    return einops.einsum(windows, weights, "b c i j kh kw, o c kh kw -> b o i j")
    # END SOLUTION
