# MISTAKE: Lists a tied parameter twice (iterates named modules' own parameters).
# NAMED: is listed twice
"""Parameter groups: weight decay for weight matrices, none for biases and norms.

Goal: split a model's trainable parameters into the two groups that `torch.optim` optimisers
accept, so that weight decay shrinks only the matrices (and other tensors of 2+ dimensions:
linear and embedding weights, convolution kernels), not biases or LayerNorm gains and biases
(1-D). Decaying a bias or a norm's gain pulls it towards zero, which nothing justifies: they
do not grow with the model's capacity the way weight matrices do.

    [{"params": [...tensors with ndim >= 2...], "weight_decay": weight_decay},
     {"params": [...tensors with ndim <  2...], "weight_decay": 0.0}]

An optimiser given such a list uses each group's own settings and its defaults for the rest:
`torch.optim.AdamW(groups, lr=1e-3)`.

Rules: any torch. Leave out frozen parameters (`requires_grad=False`): they must not reach
the optimiser. Keep the order of `model.parameters()` within each group.

Worked example:
    >>> model = nn.Sequential(nn.Linear(3, 4), nn.LayerNorm(4))
    >>> [[p.shape for p in g["params"]] for g in weight_decay_groups(model, 0.1)]
    [[torch.Size([4, 3])], [torch.Size([4]), torch.Size([4]), torch.Size([4])]]
"""

from typing import Any

from torch import nn


def weight_decay_groups(model: nn.Module, weight_decay: float) -> list[dict[str, Any]]:
    """Two parameter groups: tensors of 2+ dims with `weight_decay`, the others with 0."""
    # BEGIN SOLUTION: go through model.parameters(), skip frozen ones, sort by p.ndim into two lists, return the two group dicts (about 6 lines)
    trainable = [p for m in model.modules() for p in m.parameters(recurse=False) if p.requires_grad]
    decay = [p for p in trainable if p.ndim >= 2]
    no_decay = [p for p in trainable if p.ndim < 2]
    return [
        {"params": decay, "weight_decay": weight_decay},
        {"params": no_decay, "weight_decay": 0.0},
    ]
    # END SOLUTION
