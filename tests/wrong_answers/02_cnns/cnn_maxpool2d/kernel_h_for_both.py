# MISTAKE: Uses the kernel height for both kernel axes.
# NAMED: the kernel height was used for both kernel axes
"""2D max pooling from `torch.as_strided`.

Goal: `maxpool2d(x, kernel_size, stride, padding)` equals
`torch.nn.functional.max_pool2d(x, kernel_size, stride=stride, padding=padding)`:
each output is the largest value of one `kernel_size` window of one channel. `kernel_size`,
`stride` and `padding` are ints or `(height, width)` pairs; `stride=None` means "the same as
`kernel_size`" (non-overlapping windows), as in torch.

Padding for a max is not zeros: pad with `-inf`, which never wins a max. (With zeros, a window
of negative values at the border would return 0, a value that is not in the image.) As in
torch, `padding` is at most half the kernel size, so no window is padding only.

Output size per axis: `(size + 2 * padding - kernel) // stride + 1`.

Rules: `force_pair` (given), `torch.nn.functional.pad` (with `value=float("-inf")`),
`Tensor.stride`, `as_strided`, `amax`; no `torch.nn.functional.max_pool2d`,
`torch.max_pool2d`, `torch.nn.MaxPool2d`, `unfold`, no Python loops.

Worked example:
    >>> x = torch.tensor([[[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0], [7.0, 8.0, 9.0]]]])
    >>> maxpool2d(x, kernel_size=2, stride=1)
    tensor([[[[5., 6.],
              [8., 9.]]]])
"""

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


def maxpool2d(
    x: Float[Tensor, "batch channels height width"],
    kernel_size: IntOrPair,
    stride: IntOrPair | None = None,
    padding: IntOrPair = 0,
) -> Float[Tensor, "batch channels output_height output_width"]:
    """Like torch.nn.functional.max_pool2d(x, kernel_size, stride=stride, padding=padding)."""
    # BEGIN SOLUTION: stride defaults to kernel_size; pad with -inf on both sides of each axis; as_strided view [b, c, out_h, out_w, k_h, k_w]; amax over the two kernel axes (about 12 lines)
    kernel_height, kernel_width = force_pair(kernel_size)
    kernel_width = kernel_height
    stride_h, stride_w = force_pair(kernel_size if stride is None else stride)
    pad_h, pad_w = force_pair(padding)
    x = F.pad(x, (pad_w, pad_w, pad_h, pad_h), value=float("-inf"))
    batch, channels, height, width = x.shape
    output_height = (height - kernel_height) // stride_h + 1
    output_width = (width - kernel_width) // stride_w + 1
    s_batch, s_channel, s_height, s_width = x.stride()
    windows = x.as_strided(
        size=(batch, channels, output_height, output_width, kernel_height, kernel_width),
        stride=(s_batch, s_channel, s_height * stride_h, s_width * stride_w, s_height, s_width),
    )  # [b, c, out_h, out_w, k_h, k_w]
    return windows.amax(dim=(-2, -1))
    # END SOLUTION
