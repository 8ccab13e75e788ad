# MISTAKE: the k smallest pre-activations are kept
# NAMED: the k smallest are kept
"""TopK SAEs (Gao et al., 2024): choose the sparsity instead of penalising for it.

A TopK SAE keeps, for every input, only its k largest pre-activations (through a ReLU) and zeros
the rest. L0 is then at most k by construction: no L1 coefficient to tune, no shrinkage from a
penalty. Its weak spot is dead latents: a latent that is never in anyone's top k gets no
gradient at all. The *auxiliary loss* gives them one: let the top k_aux **dead** latents try to
reconstruct what the live ones missed.

Goal:
1. `topk_activation(pre, k)`: for each row of pre [batch, d_sae], keep the k largest entries
   passed through a ReLU, zeros elsewhere (`torch.topk` along the latent axis, then `scatter`).
2. `TopKSAE.encode` z = topk_activation((x − b_dec) W_enc + b_enc, k); `decode` as before. These
   match SAELens' `TopKSAE`.
3. `topk_aux_loss(sae, x, x_hat, pre, dead, coefficient)`, SAELens' `TopKTrainingSAE` auxiliary
   loss:
   - with no dead latent, 0 (a scalar tensor);
   - k_aux = d_in // 2, scale = min(n_dead / k_aux, 1), then k_aux = min(k_aux, n_dead);
   - the residual the live latents left, e = (x − x̂), detached;
   - the top-k_aux of the pre-activations *among dead latents only* (live ones set to −inf
     before `topk`), kept as they are (no ReLU), zeros elsewhere: z_aux [batch, d_sae];
   - ê = z_aux W_dec, **without** b_dec (b_dec is already in x̂, hence in e's complement);
   - coefficient × scale × ‖ê − e‖² summed over d_in, averaged over the batch.

Worked example (k = 2): pre [[0.5, -1.0, 2.0, 0.1]] -> z [[0.5, 0, 2.0, 0]]
"""

import torch
from jaxtyping import Bool, Float
from torch import Tensor, nn


def topk_activation(pre: Float[Tensor, "batch d_sae"], k: int) -> Float[Tensor, "batch d_sae"]:
    # BEGIN SOLUTION: torch.topk over the last axis; scatter the ReLU'd values into zeros (about 3 lines)
    values, indices = torch.topk(pre, k, dim=-1, largest=False)
    return torch.zeros_like(pre).scatter(-1, indices, torch.relu(values))
    # END SOLUTION


class TopKSAE(nn.Module):
    def __init__(self, d_in: int, d_sae: int, k: int) -> None:
        super().__init__()
        self.k = k
        self.W_enc = nn.Parameter(torch.zeros(d_in, d_sae))
        self.b_enc = nn.Parameter(torch.zeros(d_sae))
        self.W_dec = nn.Parameter(torch.zeros(d_sae, d_in))
        self.b_dec = nn.Parameter(torch.zeros(d_in))

    def pre(self, x: Float[Tensor, "batch d_in"]) -> Float[Tensor, "batch d_sae"]:
        return (x - self.b_dec) @ self.W_enc + self.b_enc

    def encode(self, x: Float[Tensor, "batch d_in"]) -> Float[Tensor, "batch d_sae"]:
        # BEGIN SOLUTION: topk_activation of the pre-activations (about 1 line)
        return topk_activation(self.pre(x), self.k)
        # END SOLUTION

    def decode(self, z: Float[Tensor, "batch d_sae"]) -> Float[Tensor, "batch d_in"]:
        return z @ self.W_dec + self.b_dec

    def forward(self, x: Float[Tensor, "batch d_in"]) -> Float[Tensor, "batch d_in"]:
        return self.decode(self.encode(x))


def topk_aux_loss(
    sae: TopKSAE, x: Float[Tensor, "batch d_in"], x_hat: Float[Tensor, "batch d_in"], pre: Float[Tensor, "batch d_sae"],
    dead: Bool[Tensor, "d_sae"], coefficient: float,
) -> Tensor:
    # BEGIN SOLUTION: k_aux and scale; detached residual; topk of pre with live latents at -inf; scatter; z_aux @ W_dec; coefficient * scale * mse (about 12 lines)
    n_dead = int(dead.sum())
    if n_dead == 0:
        return x_hat.new_tensor(0.0)
    k_aux = x.shape[-1] // 2
    scale = min(n_dead / k_aux, 1.0)
    k_aux = min(k_aux, n_dead)
    residual = (x - x_hat).detach()
    dead_pre = torch.where(dead[None], pre, -torch.inf)
    top = dead_pre.topk(k_aux, dim=-1)
    z_aux = torch.zeros_like(pre).scatter(-1, top.indices, top.values)
    recons = z_aux @ sae.W_dec
    return coefficient * scale * ((recons - residual) ** 2).sum(dim=-1).mean()
    # END SOLUTION
