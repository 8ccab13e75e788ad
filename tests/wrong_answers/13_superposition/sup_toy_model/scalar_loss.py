# MISTAKE: the loss is summed over instances into a scalar
# NAMED: the instances are summed into one number
"""The toy model of superposition, x' = ReLU(Wᵀ W x + b), many instances at once.

n features are squeezed into d_hidden < n dimensions by W [d_hidden, feat] and read back out by
Wᵀ, with a bias and a ReLU after. Column Wᵢ is feature i's direction in the hidden space; the
matrix WᵀW [feat, feat] shows at a glance which features got their own dimension (1 on the
diagonal, 0 beside it) and which share (off-diagonal entries).

Every instance k is its own model with its own W[k] and b_final[k]; they are stored stacked:
W [inst, d_hidden, feat], b_final [inst, feat], and a batch is x [batch, inst, feat].

Goal:
1. `ToyModel.forward(x)`: h = W x per instance ([batch, inst, d_hidden]), then
   x' = ReLU(Wᵀ h + b_final) ([batch, inst, feat]). The weights are made for you.
2. `importance_weighted_loss(out, x, importance)`: per instance, the mean over the batch of
   Σᵢ Iᵢ (xᵢ − x'ᵢ)²; [inst]. `importance` is [feat] (or [inst, feat]: it broadcasts).
   (The training loop sums it over instances: the instances do not interact.)

Rules: einsum (or batched matmul) over the instance axis; no Python loop over instances.

Worked example (1 instance, d_hidden 1, 2 features, W = [[1, -1]], b = [0, 0]):
    x = [0.5, 0]  ->  h = [0.5]  ->  Wᵀh = [0.5, -0.5]  ->  x' = [0.5, 0]   (the ReLU hides the
    antipodal partner's interference)
"""

import einops
import torch
from jaxtyping import Float
from torch import Tensor, nn

from arena_cli.course.superposition import init_toy_weights


class ToyModel(nn.Module):
    W: Float[Tensor, "inst d_hidden feat"]
    b_final: Float[Tensor, "inst feat"]

    def __init__(self, n_instances: int, n_features: int, d_hidden: int, generator: torch.Generator) -> None:
        super().__init__()
        weights, bias = init_toy_weights(n_instances, n_features, d_hidden, generator)
        self.W = nn.Parameter(weights)
        self.b_final = nn.Parameter(bias)

    def forward(self, x: Float[Tensor, "batch inst feat"]) -> Float[Tensor, "batch inst feat"]:
        # BEGIN SOLUTION: two einsums over the instance axis, then ReLU(... + b_final) (about 3 lines)
        h = einops.einsum(self.W, x, "inst hid feat, batch inst feat -> batch inst hid")
        out = einops.einsum(self.W, h, "inst hid feat, batch inst hid -> batch inst feat")
        return torch.relu(out + self.b_final)
        # END SOLUTION


def importance_weighted_loss(
    out: Float[Tensor, "batch inst feat"], x: Float[Tensor, "batch inst feat"], importance: Tensor
) -> Float[Tensor, "inst"]:
    """Per instance: mean over the batch of the importance-weighted squared error summed over features."""
    # BEGIN SOLUTION: importance * (x - out) ** 2, sum over features, mean over the batch (about 1 line)
    return (importance * (x - out) ** 2).sum(dim=-1).mean(dim=0).sum()
    # END SOLUTION
