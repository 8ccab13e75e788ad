# MISTAKE: Gives every block the first stride.
# NAMED: every block was given first_stride
"""A group of residual blocks: the stage of a ResNet that works at one resolution.

Goal: `BlockGroup(n_blocks, in_feats, out_feats, first_stride)` holds `self.blocks`, an
`nn.Sequential` of `n_blocks` residual blocks, and runs them one after the other:

- block 0: `ResidualBlock(in_feats, out_feats, first_stride)`: the only one that changes the
  number of channels and (with `first_stride=2`) halves the height and width;
- blocks 1 .. n_blocks-1: `ResidualBlock(out_feats, out_feats, 1)`: shapes unchanged, so their
  shortcuts are identities.

A ResNet is a few such groups, each with more channels and a smaller image than the one before.

Rules: use `ResidualBlock` from `arena_cli.course.cnn` (the block of the previous exercise);
keep the attribute name `blocks` (checkpoints are loaded by name: `blocks.1.left.0.weight`).

Worked example:
    >>> group = BlockGroup(3, in_feats=16, out_feats=32, first_stride=2)
    >>> len(group.blocks), group(torch.zeros(4, 16, 8, 8)).shape
    (3, torch.Size([4, 32, 4, 4]))
"""

from jaxtyping import Float
from torch import Tensor, nn

from arena_cli.course.cnn import ResidualBlock


class BlockGroup(nn.Module):
    def __init__(self, n_blocks: int, in_feats: int, out_feats: int, first_stride: int = 1):
        super().__init__()
        # BEGIN SOLUTION: self.blocks = nn.Sequential of one ResidualBlock(in, out, first_stride) and n_blocks - 1 ResidualBlock(out, out, 1) (about 4 lines)
        self.blocks = nn.Sequential(
            ResidualBlock(in_feats, out_feats, first_stride),
            *[ResidualBlock(out_feats, out_feats, first_stride) for _ in range(n_blocks - 1)],
        )
        # END SOLUTION

    def forward(self, x: Float[Tensor, "batch in_feats height width"]) -> Float[Tensor, "batch out_feats out_height out_width"]:
        # BEGIN SOLUTION: the blocks in order (about 1 line)
        return self.blocks(x)
        # END SOLUTION
