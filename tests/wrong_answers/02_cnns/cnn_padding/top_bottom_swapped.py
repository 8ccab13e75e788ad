# MISTAKE: Puts the image at row `bottom` instead of `top` in pad2d.
# NAMED: top and bottom are swapped
"""Pad the borders of a batch of signals (1D) and images (2D) with a constant.

Goal:
- `pad1d(x, left, right, pad_value)`: `[batch, channels, width]` becomes
  `[batch, channels, left + width + right]`, with `left` copies of `pad_value` before and `right`
  after each signal;
- `pad2d(x, left, right, top, bottom, pad_value)`: `[batch, channels, height, width]` becomes
  `[batch, channels, top + height + bottom, left + width + right]`.

Both equal `torch.nn.functional.pad(x, (left, right), value=pad_value)` and
`torch.nn.functional.pad(x, (left, right, top, bottom), value=pad_value)`. A convolution with
`padding=p` pads `p` on *both* sides of each axis, so that a 3x3 kernel with padding 1 keeps the
image's size; max pooling pads with `-inf`, so that the padding never wins the max.

Rules: `Tensor.new_full` (a tensor of the same dtype and device, filled with a value) and slice
assignment; no `torch.nn.functional.pad`, `torch.nn.ZeroPad2d` and friends, no `torch.cat`.

Worked example:
    >>> pad1d(torch.tensor([[[1.0, 2.0]]]), left=1, right=2, pad_value=0.0)
    tensor([[[0., 1., 2., 0., 0.]]])
"""

from jaxtyping import Float
from torch import Tensor


def pad1d(x: Float[Tensor, "batch channels width"], left: int, right: int, pad_value: float) -> Float[Tensor, "batch channels padded_width"]:
    """x with `left` and `right` entries of `pad_value` added along the last axis."""
    # BEGIN SOLUTION: new_full of the padded shape, then copy x into the slice [left : left + width] (about 4 lines)
    batch, channels, width = x.shape
    out = x.new_full((batch, channels, left + width + right), pad_value)
    out[..., left : left + width] = x
    return out
    # END SOLUTION


def pad2d(
    x: Float[Tensor, "batch channels height width"],
    left: int,
    right: int,
    top: int,
    bottom: int,
    pad_value: float,
) -> Float[Tensor, "batch channels padded_height padded_width"]:
    """x with columns added left and right, and rows added on top and at the bottom."""
    # BEGIN SOLUTION: new_full of [batch, channels, top + height + bottom, left + width + right], then copy x into the middle (about 4 lines)
    batch, channels, height, width = x.shape
    out = x.new_full((batch, channels, top + height + bottom, left + width + right), pad_value)
    out[..., bottom : bottom + height, left : left + width] = x
    return out
    # END SOLUTION
