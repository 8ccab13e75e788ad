# MISTAKE: Uses a sigmoid instead of a ReLU.
# NAMED: there is no ReLU between the two linear layers
"""A small multi-layer perceptron for the 8x8 digits.

Goal: `SimpleMLP(in_features=64, hidden=100, n_classes=10)` takes a batch of images
`[batch, 1, 8, 8]` (or any `[batch, ...]` whose trailing axes hold `in_features` numbers) and
returns one logit per class, `[batch, n_classes]`:

    flatten -> linear(in_features, hidden) -> relu -> linear(hidden, n_classes)

No ReLU after the last layer: the logits feed a softmax/cross-entropy, which needs negative
values too.

Rules: from here on use torch's own `nn.Flatten`, `nn.Linear`, `nn.ReLU` (you have built them);
the two linear layers must have biases. `nn.Sequential` is the shortest way.

Worked example:
    >>> model = SimpleMLP()
    >>> model(torch.zeros(32, 1, 8, 8)).shape
    torch.Size([32, 10])
    >>> sum(p.numel() for p in model.parameters())   # 64*100 + 100 + 100*10 + 10
    7510
"""

from jaxtyping import Float
from torch import Tensor, nn


class SimpleMLP(nn.Module):
    def __init__(self, in_features: int = 64, hidden: int = 100, n_classes: int = 10):
        super().__init__()
        # BEGIN SOLUTION: store an nn.Sequential of Flatten, Linear(in_features, hidden), ReLU, Linear(hidden, n_classes) (about 6 lines)
        self.layers = nn.Sequential(
            nn.Flatten(),
            nn.Linear(in_features, hidden),
            nn.Sigmoid(),
            nn.Linear(hidden, n_classes),
        )
        # END SOLUTION

    def forward(self, x: Float[Tensor, "batch *features"]) -> Float[Tensor, "batch n_classes"]:
        # BEGIN SOLUTION: run x through the layers (about 1 line)
        return self.layers(x)
        # END SOLUTION
