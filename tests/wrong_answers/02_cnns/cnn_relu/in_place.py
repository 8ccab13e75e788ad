# MISTAKE: Clamps the input in place.
# NAMED: in place; compute a new tensor
"""ReLU, the rectified linear unit, as a `torch.nn.Module`.

Goal: `ReLU()(x)` returns `max(x, 0)` elementwise, for a tensor of any shape. It is the
non-linearity between the layers of every network in this section: without it, a stack of
linear layers is just one linear layer.

Rules: elementwise tensor operations (`torch.maximum`, `clamp`, `where`, comparisons, arithmetic);
no `torch.relu`, `torch.nn.functional.relu`, `torch.nn.ReLU`. Do not change the input in place
(`clamp_`, `x[x < 0] = 0`): the caller may still need it, and autograd needs it for the backward
pass. The output must keep the gradient flowing (no `.detach()`, no round trip through numpy).

Worked example:
    >>> ReLU()(torch.tensor([-2.0, 0.0, 3.0]))
    tensor([0., 0., 3.])
"""

import torch
from jaxtyping import Float
from torch import Tensor, nn


class ReLU(nn.Module):
    def forward(self, x: Float[Tensor, "*shape"]) -> Float[Tensor, "*shape"]:
        """max(x, 0) elementwise; a new tensor, `x` untouched."""
        # BEGIN SOLUTION: keep the positive entries and replace the negative ones by 0, out of place (about 1 line)
        return x.clamp_(min=0.0)
        # END SOLUTION
