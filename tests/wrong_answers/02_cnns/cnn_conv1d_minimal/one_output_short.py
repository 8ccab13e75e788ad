# MISTAKE: Computes width - kernel_width outputs (one too few).
# NAMED: one output too few
"""A 1D convolution built from `torch.as_strided`: no padding, stride 1.

Goal: `conv1d_minimal(x, weights)` equals `torch.nn.functional.conv1d(x, weights)`:

    out[b, o, i] = sum over c, k of  x[b, c, i + k] * weights[o, c, k]

for `i` in `0 .. width - kernel_width`. Note the `+ k`: like every deep-learning library,
torch "convolves" without flipping the kernel (mathematicians call this cross-correlation).

The trick: build a *view* `windows[b, c, i, k] = x[b, c, i + k]` without copying anything, then
contract it with the weights in one einsum. A tensor is a block of memory plus one stride per
axis (how many elements to jump to move one step along that axis, `x.stride()`).
`x.as_strided(size, stride)` makes a view with any sizes and strides you like over the same
memory. Moving one step along `i` or along `k` both move one step along x's width axis, so
both new axes get the width stride.

Rules: `Tensor.stride`, `Tensor.as_strided` / `torch.as_strided`, `einops.einsum` (or
`torch.einsum`); no `torch.nn.functional.conv1d`, `torch.conv1d`, `unfold`, no Python loops.
Take the strides from `x.stride()` rather than computing them from the shape: the input may be a
non-contiguous view.

Worked example:
    >>> x = torch.arange(5.0).reshape(1, 1, 5)          # [[[0, 1, 2, 3, 4]]]
    >>> conv1d_minimal(x, torch.tensor([[[1.0, 0.0, -1.0]]]))
    tensor([[[-2., -2., -2.]]])                          # x[i] - x[i + 2]
"""

import einops
from jaxtyping import Float
from torch import Tensor


def conv1d_minimal(
    x: Float[Tensor, "batch in_channels width"],
    weights: Float[Tensor, "out_channels in_channels kernel_width"],
) -> Float[Tensor, "batch out_channels output_width"]:
    """Like torch.nn.functional.conv1d(x, weights) with stride 1 and no padding."""
    # BEGIN SOLUTION: output width = width - kernel_width + 1; as_strided view [batch, in_channels, output_width, kernel_width] with strides (s_b, s_c, s_w, s_w); einsum with the weights (about 6 lines)
    batch, in_channels, width = x.shape
    kernel_width = weights.shape[-1]
    output_width = width - kernel_width
    s_batch, s_channel, s_width = x.stride()
    windows = x.as_strided(
        size=(batch, in_channels, output_width, kernel_width),
        stride=(s_batch, s_channel, s_width, s_width),
    )  # [batch, in_channels, output_width, kernel_width]: windows[..., i, k] = x[..., i + k]
    return einops.einsum(windows, weights, "b c i k, o c k -> b o i")
    # END SOLUTION
