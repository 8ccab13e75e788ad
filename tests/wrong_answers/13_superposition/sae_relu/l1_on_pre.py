# MISTAKE: the L1 penalty is taken on the pre-activations
# NAMED: the L1 penalty is taken on the pre-activations
"""A ReLU sparse autoencoder, the same as SAELens' StandardSAE.

The toy model stores more features than it has dimensions, so its hidden activations h are
sparse sums of non-orthogonal directions. A sparse autoencoder (SAE) tries to undo that: it
encodes h into many more latents than h has dimensions, penalised to be sparse, and decodes them
back. If it works, each latent's decoder row is one of the planted feature directions.

Parameters (SAELens' names and layout): W_enc [d_in, d_sae], b_enc [d_sae], W_dec [d_sae, d_in]
(row j is latent j's direction), b_dec [d_in].

Goal:
1. `encode(x)`: z = ReLU((x − b_dec) W_enc + b_enc). Subtracting b_dec first centres the input
   on the point the decoder adds back, so b_dec is "the mean input" and the latents code the
   deviations from it.
2. `decode(z)`: x̂ = z W_dec + b_dec.
3. `training_losses(x)`: a dict with
   - "mse_loss": the squared error summed over d_in, averaged over the batch;
   - "l1_loss": l1_coefficient × (Σⱼ zⱼ ‖W_dec[j]‖) averaged over the batch. Weighting each
     latent by its decoder row's norm stops the SAE from cheating the penalty by shrinking z
     and growing W_dec (with unit-norm rows it is the plain L1 norm of z);
   - "loss": their sum.
   All three are scalars. These are SAELens' `StandardTrainingSAE` losses: the checks load your
   weights into SAELens and compare.

Worked example (d_in 1, d_sae 2, W_enc [[1, -1]], b_enc 0, W_dec [[2], [1]], b_dec [1]):
    x = [3]  ->  x − b_dec = [2]  ->  pre [2, −2]  ->  z [2, 0]  ->  x̂ = 2·2 + 1 = [5]
    mse (5 − 3)² = 4;  l1 = coeff × 2 × ‖[2]‖ = 4 coeff
"""

import torch
from jaxtyping import Float
from torch import Tensor, nn


class ReLUSAE(nn.Module):
    def __init__(self, d_in: int, d_sae: int, l1_coefficient: float, generator: torch.Generator) -> None:
        super().__init__()
        self.l1_coefficient = l1_coefficient
        W_dec = torch.randn(d_sae, d_in, generator=generator)
        W_dec = W_dec / W_dec.norm(dim=1, keepdim=True)
        self.W_dec = nn.Parameter(W_dec)
        self.W_enc = nn.Parameter(W_dec.T.clone())  # tied at the start, free afterwards
        self.b_enc = nn.Parameter(torch.zeros(d_sae))
        self.b_dec = nn.Parameter(torch.zeros(d_in))

    def encode(self, x: Float[Tensor, "batch d_in"]) -> Float[Tensor, "batch d_sae"]:
        # BEGIN SOLUTION: ReLU((x - b_dec) @ W_enc + b_enc) (about 1 line)
        return torch.relu((x - self.b_dec) @ self.W_enc + self.b_enc)
        # END SOLUTION

    def decode(self, z: Float[Tensor, "batch d_sae"]) -> Float[Tensor, "batch d_in"]:
        # BEGIN SOLUTION: z @ W_dec + b_dec (about 1 line)
        return z @ self.W_dec + self.b_dec
        # END SOLUTION

    def forward(self, x: Float[Tensor, "batch d_in"]) -> Float[Tensor, "batch d_in"]:
        return self.decode(self.encode(x))

    def training_losses(self, x: Float[Tensor, "batch d_in"]) -> dict[str, Tensor]:
        # BEGIN SOLUTION: z, x_hat; mse summed over d_in and averaged; l1 of z weighted by W_dec row norms; their sum (about 5 lines)
        z = self.encode(x)
        x_hat = self.decode(z)
        mse = ((x_hat - x) ** 2).sum(dim=-1).mean()
        pre = (x - self.b_dec) @ self.W_enc + self.b_enc
        l1 = self.l1_coefficient * (pre.abs() * self.W_dec.norm(dim=1)).sum(dim=-1).mean()
        return {"mse_loss": mse, "l1_loss": l1, "loss": mse + l1}
        # END SOLUTION
