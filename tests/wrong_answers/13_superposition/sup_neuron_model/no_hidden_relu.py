# MISTAKE: the hidden ReLU is left out (the plain toy model)
# NAMED: the hidden ReLU is missing
"""A privileged basis: put a ReLU on the hidden layer and count what each neuron stores.

In the toy model so far the hidden space has no preferred directions: rotate W by any
orthogonal matrix and the model computes the same thing, so "hidden dimension 0" means nothing.
A ReLU on the hidden layer, h = ReLU(W x), breaks that symmetry: now each hidden dimension is a
*neuron*, and we can ask what it stores. With few, dense features each neuron tends to store one
feature (monosemantic); as the features get sparser, neurons store several (polysemantic).

Goal:
1. `NeuronModel.forward(x)`: h = ReLU(W x), x' = ReLU(Wᵀ h + b_final) per instance.
2. `features_per_neuron(W, threshold)`: [inst, d_hidden] int64, the number of features whose
   weight into the neuron, W[k, n, i], is > threshold. Only positive weights count: a negative
   weight can never make the neuron fire for that feature alone.
3. `neuron_counts(W, threshold)`: [inst, 2] int64, per instance the number of monosemantic
   neurons (exactly one such feature) and polysemantic ones (two or more); dead neurons (none)
   count in neither.

Rules: no Python loops over neurons or features.

Worked example (1 instance, 2 neurons, 3 features, threshold 0.3):
    W = [[0.9, 0.1, -0.8],      ->  features per neuron [1, 2]  ->  counts [[1, 1]]
         [0.5, 0.6,  0.0]]
"""

import torch
from jaxtyping import Float, Int
from torch import Tensor

from arena_cli.course.superposition import ToyModel


class NeuronModel(ToyModel):
    def forward(self, x: Float[Tensor, "batch inst feat"]) -> Float[Tensor, "batch inst feat"]:
        # BEGIN SOLUTION: h = ReLU(einsum(W, x)), out = ReLU(einsum(W, h) + b_final) (about 3 lines)
        h = torch.einsum("ihf,bif->bih", self.W, x)
        return torch.relu(torch.einsum("ihf,bih->bif", self.W, h) + self.b_final)
        # END SOLUTION


def features_per_neuron(W: Float[Tensor, "inst d_hidden feat"], threshold: float) -> Int[Tensor, "inst d_hidden"]:
    # BEGIN SOLUTION: count W > threshold along the feature axis (about 1 line)
    return (W > threshold).sum(dim=-1)
    # END SOLUTION


def neuron_counts(W: Float[Tensor, "inst d_hidden feat"], threshold: float) -> Int[Tensor, "inst 2"]:
    # BEGIN SOLUTION: from features_per_neuron: (== 1).sum and (>= 2).sum over neurons, stacked (about 2 lines)
    per_neuron = features_per_neuron(W, threshold)
    return torch.stack([(per_neuron == 1).sum(dim=-1), (per_neuron >= 2).sum(dim=-1)], dim=-1)
    # END SOLUTION
