# MISTAKE: the auxiliary loss uses a detached decoder (the paper's choice, not SAELens')
# NAMED: the auxiliary loss uses a detached decoder
"""A gated SAE (Rajamanoharan et al., 2024), the same as SAELens' GatedSAE.

The L1 penalty does two jobs at once in a ReLU SAE: it decides *which* latents fire, and it
shrinks *how much* they fire (every active latent is pulled toward 0, so reconstructions come
out too small: "shrinkage"). A gated SAE splits the two:

- the gate path decides which latents are on: π_gate = (x − b_dec) W_enc + b_gate, on where > 0;
- the magnitude path decides how much: π_mag = (x − b_dec) (W_enc ⊙ exp(r_mag)) + b_mag, which
  shares W_enc with the gate (each latent's column rescaled by exp(r_mag[j])), so the gated SAE
  has barely more parameters than a ReLU one;
- z = 1[π_gate > 0] ⊙ ReLU(π_mag); x̂ = z W_dec + b_dec.

The step 1[π_gate > 0] has no gradient, so the gate is trained by its own losses:
- "l1_loss": l1_coefficient × Σⱼ ReLU(π_gate)ⱼ ‖W_dec[j]‖, averaged over the batch (the sparsity
  penalty sits on the gate, not on z, so it does not shrink the magnitudes);
- "auxiliary_reconstruction_loss": how well the gate alone reconstructs x,
  ‖ReLU(π_gate) W_dec + b_dec − x‖² summed over d_in, averaged over the batch;
- "mse_loss" as before ‖x̂ − x‖², and "loss" the sum of all three.
(The paper stops the auxiliary loss's gradient into the decoder; SAELens does not, and the checks
compare with SAELens' `GatedTrainingSAE`, so neither do you.)

Parameters (SAELens' names): W_enc [d_in, d_sae], b_gate, r_mag, b_mag [d_sae], W_dec
[d_sae, d_in], b_dec [d_in].

Worked example (d_in 1, d_sae 1, W_enc [[1]], b_gate 0, r_mag [ln 2], b_mag [-1], W_dec [[1]],
b_dec [0]):  x = [3] -> π_gate 3 (on), π_mag 3·2 − 1 = 5 -> z = [5], x̂ = [5]
"""

import torch
from jaxtyping import Float
from torch import Tensor, nn


class GatedSAE(nn.Module):
    def __init__(self, d_in: int, d_sae: int, l1_coefficient: float) -> None:
        super().__init__()
        self.l1_coefficient = l1_coefficient
        self.W_enc = nn.Parameter(torch.zeros(d_in, d_sae))
        self.b_gate = nn.Parameter(torch.zeros(d_sae))
        self.r_mag = nn.Parameter(torch.zeros(d_sae))
        self.b_mag = nn.Parameter(torch.zeros(d_sae))
        self.W_dec = nn.Parameter(torch.zeros(d_sae, d_in))
        self.b_dec = nn.Parameter(torch.zeros(d_in))

    def gate_pre(self, x: Float[Tensor, "batch d_in"]) -> Float[Tensor, "batch d_sae"]:
        # BEGIN SOLUTION: (x - b_dec) @ W_enc + b_gate (about 1 line)
        return (x - self.b_dec) @ self.W_enc + self.b_gate
        # END SOLUTION

    def encode(self, x: Float[Tensor, "batch d_in"]) -> Float[Tensor, "batch d_sae"]:
        # BEGIN SOLUTION: the gate (gate_pre > 0) times ReLU of the magnitude path with W_enc * exp(r_mag) (about 3 lines)
        active = (self.gate_pre(x) > 0).to(x.dtype)
        magnitude = (x - self.b_dec) @ (self.W_enc * self.r_mag.exp()) + self.b_mag
        return active * torch.relu(magnitude)
        # END SOLUTION

    def decode(self, z: Float[Tensor, "batch d_sae"]) -> Float[Tensor, "batch d_in"]:
        return z @ self.W_dec + self.b_dec

    def forward(self, x: Float[Tensor, "batch d_in"]) -> Float[Tensor, "batch d_in"]:
        return self.decode(self.encode(x))

    def training_losses(self, x: Float[Tensor, "batch d_in"]) -> dict[str, Tensor]:
        # BEGIN SOLUTION: mse of forward; ReLU(gate_pre) for the l1 (weighted by W_dec row norms) and the auxiliary reconstruction; their sum (about 7 lines)
        mse = ((self(x) - x) ** 2).sum(dim=-1).mean()
        gate = torch.relu(self.gate_pre(x))
        l1 = self.l1_coefficient * (gate * self.W_dec.norm(dim=1)).sum(dim=-1).mean()
        aux = ((gate @ self.W_dec.detach() + self.b_dec.detach() - x) ** 2).sum(dim=-1).mean()
        return {"mse_loss": mse, "l1_loss": l1, "auxiliary_reconstruction_loss": aux, "loss": mse + l1 + aux}
        # END SOLUTION
