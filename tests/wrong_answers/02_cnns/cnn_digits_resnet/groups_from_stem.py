# MISTAKE: Feeds every group the stem's channel count (in_features not chained).
# NAMED: every group takes the stem's channel count as its input
"""A small ResNet for 8x8 digit images.

Goal: `DigitsResNet(config)` maps images `[batch, in_channels, height, width]` to logits
`[batch, n_classes]` through three named parts:

- `self.stem`, an `nn.Sequential` of
      0: Conv2d(in_channels, stem_features, 3x3, stride 1, padding 1, no bias)
      1: BatchNorm2d(stem_features)
      2: ReLU
- `self.groups`, an `nn.Sequential` of one `BlockGroup` per entry of the config's lists: group
  `g` has `n_blocks_per_group[g]` blocks, `out_features_per_group[g]` output channels and the
  first stride `first_strides_per_group[g]`; its input channels are the previous group's output
  channels (the first group's: `stem_features`);
- `self.head`, an `nn.Sequential` of
      0: AdaptiveAvgPool2d((1, 1))   (the mean over height and width: one number per channel)
      1: Flatten
      2: Linear(out_features_per_group[-1], n_classes)

The full-size ResNets for photos add a 7x7 stride-2 convolution and a max pool to the stem to
shrink a 224x224 image quickly; an 8x8 digit is small already, so this stem keeps its size.
With the default config the image goes 8x8 (16 channels) -> 8x8 (16) -> 4x4 (32) -> 2x2 (64)
-> 64 averages -> 5 logits.

Rules: `BlockGroup` from `arena_cli.course.cnn` and torch's own layers; keep the names above
(the next exercise loads a checkpoint into them by name).

Worked example:
    >>> model = DigitsResNet(ResNetConfig())
    >>> model(torch.zeros(7, 1, 8, 8)).shape
    torch.Size([7, 5])
    >>> list(model.state_dict())[:2]
    ['stem.0.weight', 'stem.1.weight']
"""

from jaxtyping import Float
from torch import Tensor, nn

from arena_cli.course.cnn import BlockGroup, ResNetConfig


class DigitsResNet(nn.Module):
    def __init__(self, config: ResNetConfig = ResNetConfig()):
        super().__init__()
        self.config = config
        # BEGIN SOLUTION: self.stem (conv 3x3 padding 1 no bias, BN, ReLU); self.groups (one BlockGroup per group, chaining the channel counts); self.head (AdaptiveAvgPool2d((1, 1)), Flatten, Linear) (about 20 lines)
        self.stem = nn.Sequential(
            nn.Conv2d(config.in_channels, config.stem_features, kernel_size=3, padding=1, bias=False),
            nn.BatchNorm2d(config.stem_features),
            nn.ReLU(),
        )
        in_features = [config.stem_features] * len(config.out_features_per_group)
        self.groups = nn.Sequential(
            *[
                BlockGroup(n_blocks, in_feats, out_feats, first_stride)
                for n_blocks, in_feats, out_feats, first_stride in zip(
                    config.n_blocks_per_group,
                    in_features,
                    config.out_features_per_group,
                    config.first_strides_per_group,
                )
            ]
        )
        self.head = nn.Sequential(
            nn.AdaptiveAvgPool2d((1, 1)),
            nn.Flatten(),
            nn.Linear(config.out_features_per_group[-1], config.n_classes),
        )
        # END SOLUTION

    def forward(self, x: Float[Tensor, "batch channels height width"]) -> Float[Tensor, "batch n_classes"]:
        # BEGIN SOLUTION: stem, then groups, then head (about 1 line)
        return self.head(self.groups(self.stem(x)))
        # END SOLUTION
