# MISTAKE: Uses an identity shortcut whenever the channels match, even with a stride.
# NAMED: the shortcut is the identity although the stride is not 1
"""The residual block of a ResNet.

Goal: `ResidualBlock(in_feats, out_feats, first_stride)` computes `relu(left(x) + right(x))`:

- `self.left`, an `nn.Sequential` of exactly these five layers, in this order:
      0: Conv2d(in_feats, out_feats, 3x3, stride=first_stride, padding=1, no bias)
      1: BatchNorm2d(out_feats)
      2: ReLU
      3: Conv2d(out_feats, out_feats, 3x3, stride=1, padding=1, no bias)
      4: BatchNorm2d(out_feats)
- `self.right`, the shortcut:
    * `nn.Identity()` when `first_stride == 1` and `in_feats == out_feats` (x can be added as is);
    * otherwise an `nn.Sequential` of
      0: Conv2d(in_feats, out_feats, 1x1, stride=first_stride, no bias), 1: BatchNorm2d(out_feats)
      which brings x to the shape of `left(x)`.
- a ReLU after the sum (not before it: the block's output is non-negative, and the sum of the
  two branches is what gets rectified).

Why it works: the block only has to learn the *change* `left(x)` to its input. At
initialisation `left` is small, the block is close to the identity (before the final ReLU), and
gradients flow to early layers through the shortcut, which makes deep stacks trainable.

The names matter: a later exercise loads a pretrained checkpoint into these layers by name
(`left.0.weight`, `left.1.running_mean`, `right.0.weight`, ...).

Rules: torch's own `nn.Conv2d` (with `bias=False`), `nn.BatchNorm2d`, `nn.ReLU`,
`nn.Sequential`, `nn.Identity`.

Worked example:
    >>> block = ResidualBlock(16, 32, first_stride=2)
    >>> block(torch.zeros(5, 16, 8, 8)).shape
    torch.Size([5, 32, 4, 4])
    >>> sorted(k for k in block.state_dict() if k.endswith("weight"))
    ['left.0.weight', 'left.1.weight', 'left.3.weight', 'left.4.weight', 'right.0.weight', 'right.1.weight']
"""

from jaxtyping import Float
from torch import Tensor, nn


class ResidualBlock(nn.Module):
    def __init__(self, in_feats: int, out_feats: int, first_stride: int = 1):
        super().__init__()
        # BEGIN SOLUTION: self.left = Sequential(conv3x3 stride first_stride, BN, ReLU, conv3x3, BN); self.right = Identity or Sequential(conv1x1 stride first_stride, BN); a ReLU (about 15 lines)
        self.left = nn.Sequential(
            nn.Conv2d(in_feats, out_feats, kernel_size=3, stride=first_stride, padding=1, bias=False),
            nn.BatchNorm2d(out_feats),
            nn.ReLU(),
            nn.Conv2d(out_feats, out_feats, kernel_size=3, stride=1, padding=1, bias=False),
            nn.BatchNorm2d(out_feats),
        )
        if in_feats == out_feats:
            self.right: nn.Module = nn.Identity()
        else:  # the shortcut must match left's channels and size
            self.right = nn.Sequential(
                nn.Conv2d(in_feats, out_feats, kernel_size=1, stride=first_stride, bias=False),
                nn.BatchNorm2d(out_feats),
            )
        self.relu = nn.ReLU()
        # END SOLUTION

    def forward(self, x: Float[Tensor, "batch in_feats height width"]) -> Float[Tensor, "batch out_feats out_height out_width"]:
        # BEGIN SOLUTION: relu of left(x) + right(x) (about 1 line)
        return self.relu(self.left(x) + self.right(x))
        # END SOLUTION
