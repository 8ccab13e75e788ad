# MISTAKE: Rounds the output width up (one window past the end).
# NAMED: the output width was rounded up
"""A 1D convolution with stride and padding, from `torch.as_strided`.

Goal: `conv1d(x, weights, stride, padding)` equals
`torch.nn.functional.conv1d(x, weights, stride=stride, padding=padding)`:

- padding: `padding` zeros on *both* ends of each signal first;
- stride: the kernel moves `stride` positions at a time,
      out[b, o, i] = sum over c, k of  x_padded[b, c, i * stride + k] * weights[o, c, k];
- output width: `(width + 2 * padding - kernel_width) // stride + 1` (windows that would run
  past the end are dropped).

With `as_strided` a stride is free: a step along the output axis `i` now jumps `stride`
elements of the input, a step along `k` still one.

Rules: `torch.nn.functional.pad` is allowed for the zero padding (you wrote it in cnn_padding),
then `Tensor.stride`, `as_strided` and one einsum as in `cnn_conv1d_minimal`; no
`torch.nn.functional.conv1d`, `torch.conv1d`, `unfold`, no Python loops.

Worked example:
    >>> x = torch.arange(1.0, 6.0).reshape(1, 1, 5)                # [[[1, 2, 3, 4, 5]]]
    >>> conv1d(x, torch.tensor([[[1.0, 1.0]]]), stride=2, padding=1)
    tensor([[[1., 5., 9.]]])                                        # 0+1, 2+3, 4+5
"""

import einops
import torch.nn.functional as F
from jaxtyping import Float
from torch import Tensor


def conv1d(
    x: Float[Tensor, "batch in_channels width"],
    weights: Float[Tensor, "out_channels in_channels kernel_width"],
    stride: int = 1,
    padding: int = 0,
) -> Float[Tensor, "batch out_channels output_width"]:
    """Like torch.nn.functional.conv1d(x, weights, stride=stride, padding=padding)."""
    # BEGIN SOLUTION: pad both ends with zeros; output width = (padded width - kernel) // stride + 1; as_strided with strides (s_b, s_c, s_w * stride, s_w); einsum (about 8 lines)
    x = F.pad(x, (padding, padding))  # [batch, in_channels, width + 2 * padding]
    batch, in_channels, width = x.shape
    kernel_width = weights.shape[-1]
    output_width = -(-(width - kernel_width) // stride) + 1
    s_batch, s_channel, s_width = x.stride()
    windows = x.as_strided(
        size=(batch, in_channels, output_width, kernel_width),
        stride=(s_batch, s_channel, s_width * stride, s_width),
    )  # windows[..., i, k] = x[..., i * stride + k]
    return einops.einsum(windows, weights, "b c i k, o c k -> b o i")
    # END SOLUTION
