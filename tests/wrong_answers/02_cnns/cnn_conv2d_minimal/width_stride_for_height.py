# MISTAKE: Steps the output rows with the width stride.
# NAMED: the output rows step by the width stride
"""A 2D convolution built from `torch.as_strided`: no padding, stride 1.

Goal: `conv2d_minimal(x, weights)` equals `torch.nn.functional.conv2d(x, weights)`:

    out[b, o, i, j] = sum over c, kh, kw of  x[b, c, i + kh, j + kw] * weights[o, c, kh, kw]

for `i` in `0 .. height - kernel_height` and `j` in `0 .. width - kernel_width`. No kernel
flip (torch's convolution is a cross-correlation).

The same trick as in 1D, with two more axes: a view
`windows[b, c, i, j, kh, kw] = x[b, c, i + kh, j + kw]`. A step along `i` or `kh` is a step
down one row of the image, a step along `j` or `kw` a step right by one column; read the
matching strides from `x.stride()`.

Rules: `Tensor.stride`, `Tensor.as_strided` / `torch.as_strided`, `einops.einsum` (or
`torch.einsum`); no `torch.nn.functional.conv2d`, `torch.conv2d`, `unfold`, no Python loops.

Worked example:
    >>> x = torch.arange(9.0).reshape(1, 1, 3, 3)
    >>> conv2d_minimal(x, torch.tensor([[[[1.0, 0.0], [0.0, 0.0]]]]))   # picks the top-left
    tensor([[[[0., 1.],
              [3., 4.]]]])
"""

import einops
from jaxtyping import Float
from torch import Tensor


def conv2d_minimal(
    x: Float[Tensor, "batch in_channels height width"],
    weights: Float[Tensor, "out_channels in_channels kernel_height kernel_width"],
) -> Float[Tensor, "batch out_channels output_height output_width"]:
    """Like torch.nn.functional.conv2d(x, weights) with stride 1 and no padding."""
    # BEGIN SOLUTION: output size = size - kernel + 1 per axis; as_strided view [b, c, out_h, out_w, k_h, k_w] with strides (s_b, s_c, s_h, s_w, s_h, s_w); einsum (about 7 lines)
    batch, in_channels, height, width = x.shape
    kernel_height, kernel_width = weights.shape[-2:]
    output_height = height - kernel_height + 1
    output_width = width - kernel_width + 1
    s_batch, s_channel, s_height, s_width = x.stride()
    windows = x.as_strided(
        size=(batch, in_channels, output_height, output_width, kernel_height, kernel_width),
        stride=(s_batch, s_channel, s_width, s_width, s_height, s_width),
    )  # [b, c, out_h, out_w, k_h, k_w]
    return einops.einsum(windows, weights, "b c i j kh kw, o c kh kw -> b o i j")
    # END SOLUTION
