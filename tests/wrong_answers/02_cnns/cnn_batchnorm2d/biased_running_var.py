# MISTAKE: Updates running_var with the biased batch variance.
# NAMED: running_var was updated with the biased variance
"""Batch normalisation for images, `BatchNorm2d`, in training and in evaluation mode.

Goal: a module that behaves exactly like `torch.nn.BatchNorm2d(num_features, eps, momentum)`.
For an input `[batch, channels, height, width]`, each channel is normalised on its own:

    y = (x - mean) / sqrt(var + eps) * weight + bias        (weight, bias: one per channel)

- Training mode (`self.training`): `mean` and `var` are those of the current batch, taken per
  channel over the batch, height and width axes; `var` is the *biased* variance (divide by the
  count `n = batch * height * width`). The running estimates are then updated, without
  gradients:
      running_mean <- (1 - momentum) * running_mean + momentum * mean
      running_var  <- (1 - momentum) * running_var  + momentum * var * n / (n - 1)
  (the running variance uses the *unbiased* variance, dividing by `n - 1`), and
  `num_batches_tracked` goes up by one. A small momentum means a slow, smooth average: the
  weight of the new batch is `momentum`, not `1 - momentum`.
- Evaluation mode: `mean` and `var` are the running estimates; nothing is updated. A prediction
  then depends on its own image only, not on which other images share its batch.

State (names and shapes as in torch, so that checkpoints load):
`weight` (ones) and `bias` (zeros): `nn.Parameter`s `[channels]`; `running_mean` (zeros) and
`running_var` (ones): float buffers `[channels]`; `num_batches_tracked`: an int64 buffer, 0.
Register buffers with `self.register_buffer(name, tensor)`: they move with `.to()` and are
saved in the `state_dict`, but the optimiser does not train them.

Rules: tensor arithmetic, `mean`, `var` (mind its `unbiased`/`correction` argument), `sqrt`;
no `torch.nn.functional.batch_norm`, `torch.batch_norm`, `torch.nn.BatchNorm2d`.

Worked example:
    >>> bn = BatchNorm2d(3)                  # a new module is in training mode
    >>> x = torch.randn(8, 3, 4, 4) * 5 + 2   # every channel: mean about 2, std about 5
    >>> y = bn(x)                            # every channel of y: mean 0, std 1
    >>> bn.running_mean                      # 0.1 * each channel's batch mean: about 0.2 each
    >>> bn.eval()
    >>> y = bn(x)                            # now normalised with the running estimates
"""

import torch
from jaxtyping import Float
from torch import Tensor, nn


class BatchNorm2d(nn.Module):
    running_mean: Tensor
    running_var: Tensor
    num_batches_tracked: Tensor

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float = 0.1):
        super().__init__()
        self.num_features = num_features
        self.eps = eps
        self.momentum = momentum
        # BEGIN SOLUTION: weight (ones) and bias (zeros) as nn.Parameters; buffers running_mean (zeros), running_var (ones), num_batches_tracked (tensor(0), int64) (about 5 lines)
        self.weight = nn.Parameter(torch.ones(num_features))
        self.bias = nn.Parameter(torch.zeros(num_features))
        self.register_buffer("running_mean", torch.zeros(num_features))
        self.register_buffer("running_var", torch.ones(num_features))
        self.register_buffer("num_batches_tracked", torch.tensor(0, dtype=torch.long))
        # END SOLUTION

    def forward(self, x: Float[Tensor, "batch channels height width"]) -> Float[Tensor, "batch channels height width"]:
        # BEGIN SOLUTION: training: batch mean and biased var over (0, 2, 3), then update the running stats under no_grad (unbiased var); eval: the running stats; normalise, scale, shift (about 12 lines)
        if self.training:
            mean = x.mean(dim=(0, 2, 3))  # [channels]
            var = x.var(dim=(0, 2, 3), unbiased=False)  # [channels], biased: normalises this batch
            n = x.numel() // x.shape[1]
            with torch.no_grad():
                self.running_mean.mul_(1 - self.momentum).add_(self.momentum * mean)
                self.running_var.mul_(1 - self.momentum).add_(self.momentum * var)
                self.num_batches_tracked += 1
        else:
            mean, var = self.running_mean, self.running_var
        per_channel = (1, -1, 1, 1)  # broadcast [channels] over [batch, channels, height, width]
        x_hat = (x - mean.reshape(per_channel)) / torch.sqrt(var.reshape(per_channel) + self.eps)
        return x_hat * self.weight.reshape(per_channel) + self.bias.reshape(per_channel)
        # END SOLUTION

    def extra_repr(self) -> str:
        return f"{self.num_features}, eps={self.eps}, momentum={self.momentum}"
