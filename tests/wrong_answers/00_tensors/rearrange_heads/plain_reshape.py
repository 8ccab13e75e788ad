# MISTAKE: Reshapes to [batch, head, pos, d_head] without moving the head axis.
# NAMED: a plain reshape does not move the head axis
"""Split and merge attention heads with `einops.rearrange`.

Goal: a transformer keeps one vector of size `d_model = n_heads * d_head` per position and
treats it as `n_heads` smaller vectors, one per attention head. Write the two reshapes that move
between the two views:

- `split_heads`: `[batch, pos, (head d_head)]` -> `[batch, head, pos, d_head]`
- `merge_heads`: the exact inverse, `[batch, head, pos, d_head]` -> `[batch, pos, (head d_head)]`

The heads are stored one after the other along the last axis: head 0 owns entries
`0 .. d_head-1`, head 1 owns `d_head .. 2*d_head-1`, and so on.

Rules: one `einops.rearrange` call per function; no `view`, `reshape`, `permute`, `transpose`.

Worked example (`rearrange` splits an axis with parentheses and names the new sizes):
    >>> x = torch.arange(6).reshape(1, 6)
    >>> einops.rearrange(x, "b (three two) -> b three two", two=2)
    tensor([[[0, 1],
             [2, 3],
             [4, 5]]])

Why it matters: every attention implementation, and every hook on `hook_z` in TransformerLens,
uses exactly this layout.
"""

import einops
import torch
from jaxtyping import Float
from torch import Tensor


def split_heads(x: Float[Tensor, "batch pos d_model"], n_heads: int) -> Float[Tensor, "batch head pos d_head"]:
    """Cut the last axis into `n_heads` consecutive chunks and move the head axis before `pos`."""
    # BEGIN SOLUTION: one einops.rearrange: split the last axis as (head d_head), move head before pos (about 1 line)
    return x.reshape(x.shape[0], n_heads, x.shape[1], x.shape[2] // n_heads)
    # END SOLUTION


def merge_heads(z: Float[Tensor, "batch head pos d_head"]) -> Float[Tensor, "batch pos d_model"]:
    """Undo `split_heads`: put the heads back side by side along the last axis."""
    # BEGIN SOLUTION: one einops.rearrange, the pattern of split_heads read backwards (about 1 line)
    return einops.rearrange(z, "batch head pos d_head -> batch pos (head d_head)")
    # END SOLUTION
