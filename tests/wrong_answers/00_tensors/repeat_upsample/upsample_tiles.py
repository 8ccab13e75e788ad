# MISTAKE: Puts the copy axes before h and w in upsample (tiles instead of blocks).
# NAMED: this tiles the image
"""Copy data along new or existing axes with `einops.repeat`.

Goal: two ways of making an image bigger by copying, which differ only in the order of the
names inside one parenthesised group.

- `upsample_nearest`: every pixel of `[batch, channel, height, width]` becomes a `k x k` block
  of copies, giving `[batch, channel, k * height, k * width]` (nearest-neighbour upsampling).
- `tile`: the whole `[height, width]` image is repeated like floor tiles, `reps_h` times down and
  `reps_w` times across, giving `[reps_h * height, reps_w * width]` (like `numpy.tile`).

Rules: one `einops.repeat` per function; no `repeat_interleave`, `Tensor.repeat`, `expand`,
`tile`, `interpolate`, `cat`, and no Python loops.

Worked example (a name that appears only on the output side is a new axis, filled by copies):
    >>> v = torch.tensor([1, 2, 3])
    >>> einops.repeat(v, "x -> (x copy)", copy=2)
    tensor([1, 1, 2, 2, 3, 3])
    >>> einops.repeat(v, "x -> (copy x)", copy=2)
    tensor([1, 2, 3, 1, 2, 3])

Why it matters: `repeat` is how you broadcast explicitly, e.g. a positional embedding copied
over the batch, or a per-head bias copied over positions.
"""

import einops
import torch
from jaxtyping import Float
from torch import Tensor


def upsample_nearest(
    x: Float[Tensor, "batch channel height width"], k: int
) -> Float[Tensor, "batch channel up_h up_w"]:
    """Replace every pixel by a `k x k` block of copies of it."""
    # BEGIN SOLUTION: one einops.repeat; the copy axes go *after* height and width inside the groups (about 1 line)
    return einops.repeat(x, "b c h w -> b c (k1 h) (k2 w)", k1=k, k2=k)
    # END SOLUTION


def tile(image: Float[Tensor, "height width"], reps_h: int, reps_w: int) -> Float[Tensor, "tiled_h tiled_w"]:
    """Repeat the whole image `reps_h` times down and `reps_w` times across."""
    # BEGIN SOLUTION: one einops.repeat; the copy axes go *before* height and width inside the groups (about 1 line)
    return einops.repeat(image, "h w -> (rh h) (rw w)", rh=reps_h, rw=reps_w)
    # END SOLUTION
