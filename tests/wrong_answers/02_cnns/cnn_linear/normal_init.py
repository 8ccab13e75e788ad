# MISTAKE: Initialises with a normal distribution of std bound.
# NAMED: the values were drawn from a normal distribution with std 1/sqrt(fan_in)
"""A linear (fully connected) layer: `y = x @ W.T + b`, with PyTorch's initialisation.

Goal: a `Linear(in_features, out_features, bias=True)` module that behaves like
`torch.nn.Linear`:

- `self.weight`: an `nn.Parameter` of shape `[out_features, in_features]` (the same layout as
  torch's, so weights can be copied between the two);
- `self.bias`: an `nn.Parameter` of shape `[out_features]`, or `None` when `bias=False`;
- both drawn uniformly from `[-1/sqrt(in_features), +1/sqrt(in_features)]`, with torch's random
  number generator (so `torch.manual_seed` makes the layer reproducible);
- `forward` maps `[*batch, in_features]` to `[*batch, out_features]` for any number of leading
  axes.

Why that bound: each output sums `in_features` products. With weights of variance `1/(3 n_in)`
(the variance of a uniform on `[-a, a]` is `a²/3`), an output's variance stays of the order of
its inputs' whatever the width, so deep stacks neither explode nor vanish at the start of
training. The bound depends on the *fan-in* (`in_features`), not on `out_features`.

Rules: `torch.empty(...).uniform_(...)`, `torch.rand`, arithmetic, `@` or `einops.einsum`;
no `torch.nn.Linear`, `torch.nn.functional.linear`, no `torch.nn.init`.

Worked example:
    >>> layer = Linear(3, 2)
    >>> layer.weight.shape, layer.bias.shape
    (torch.Size([2, 3]), torch.Size([2]))
    >>> layer(torch.ones(5, 3)).shape
    torch.Size([5, 2])
"""

import math

import einops
import torch
from jaxtyping import Float
from torch import Tensor, nn


class Linear(nn.Module):
    def __init__(self, in_features: int, out_features: int, bias: bool = True):
        super().__init__()
        self.in_features = in_features
        self.out_features = out_features
        # BEGIN SOLUTION: bound = 1/sqrt(in_features); weight [out, in] and bias [out] (or None) as nn.Parameters drawn from uniform(-bound, bound) (about 3 lines)
        bound = 1 / math.sqrt(in_features)  # fan-in, whatever the number of outputs
        self.weight = nn.Parameter(torch.empty(out_features, in_features).normal_(0, bound))
        self.bias = nn.Parameter(torch.empty(out_features).uniform_(-bound, bound)) if bias else None
        # END SOLUTION

    def forward(self, x: Float[Tensor, "*batch in_features"]) -> Float[Tensor, "*batch out_features"]:
        # BEGIN SOLUTION: contract the last axis of x with the in-axis of the weight, then add the bias if there is one (about 2 lines)
        out = einops.einsum(x, self.weight, "... d_in, d_out d_in -> ... d_out")  # [*batch, out]
        return out if self.bias is None else out + self.bias
        # END SOLUTION

    def extra_repr(self) -> str:
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"
