# MISTAKE: Reads the patches column by column (nw nh).
# NAMED: patches were read column by column
"""Lay images out as a grid, and cut an image into patches, with `einops.rearrange`.

Goal: two reshapes that come up whenever images meet deep learning.

- `image_grid`: a batch of `n_rows * n_cols` images `[batch, channel, height, width]` becomes
  one big image `[channel, n_rows * height, n_cols * width]`. Images fill the grid row by row:
  image 0 top-left, image 1 to its right, ..., image `n_cols` starts the second row.
- `patchify`: each image `[channel, height, width]` is cut into non-overlapping `patch x patch`
  squares, read row by row (left to right, then top to bottom); each square is flattened in the
  order (channel, row inside the patch, column inside the patch). This is how a vision
  transformer turns an image into a sequence of tokens.

Rules: one `einops.rearrange` per function; no `view`, `reshape`, `permute`, `unfold`, `cat`,
`stack`, and no Python loops. You may assume the sizes divide evenly.

Worked example (a parenthesised group on the *output* side merges axes; the left name varies
slowest):
    >>> x = torch.tensor([[1, 2], [3, 4]])          # [row, col]
    >>> einops.rearrange(x, "row col -> (col row)")
    tensor([1, 3, 2, 4])

Why it matters: the same "split one axis, merge two others" move appears in attention heads,
patch embeddings and every visualisation of a batch of activations.
"""

import einops
import torch
from jaxtyping import Float
from torch import Tensor


def image_grid(
    images: Float[Tensor, "batch channel height width"], n_rows: int
) -> Float[Tensor, "channel grid_h grid_w"]:
    """Arrange `images` in `n_rows` rows of `batch // n_rows` images each, filled row by row."""
    # BEGIN SOLUTION: one rearrange: split batch as (row col), then merge (row height) and (col width) (about 1 line)
    return einops.rearrange(images, "(row col) c h w -> c (row h) (col w)", row=n_rows)
    # END SOLUTION


def patchify(
    images: Float[Tensor, "batch channel height width"], patch: int
) -> Float[Tensor, "batch n_patches patch_dim"]:
    """Cut every image into `patch x patch` squares; return `[batch, n_patches, channel * patch * patch]`."""
    # BEGIN SOLUTION: one rearrange: split height and width as (n p), then merge the grid axes and the patch axes (about 1 line)
    return einops.rearrange(
        images, "b c (nh ph) (nw pw) -> b (nw nh) (c ph pw)", ph=patch, pw=patch
    )
    # END SOLUTION
