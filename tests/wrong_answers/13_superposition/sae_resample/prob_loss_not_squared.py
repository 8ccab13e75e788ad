# MISTAKE: inputs are picked with probability ∝ error instead of error²
# NAMED: ∝ their error, not ∝ error²
"""Dead latents, and resampling them.

Some latents of an SAE stop firing early in training and never recover: the L1 penalty pushed
their pre-activations below zero for every input, so they get no gradient from the
reconstruction. They are *dead*: a wasted slot of the dictionary. Anthropic's fix (Towards
Monosemanticity, 2023) is to find them every so often and re-initialise them toward the inputs
the SAE currently reconstructs worst.

Goal (`sae` is an SAELens `StandardTrainingSAE`: W_enc [d_in, d_sae], b_enc [d_sae],
W_dec [d_sae, d_in], b_dec [d_in]):
1. `firing_frequency(feature_acts)`: for latents [n, d_sae] collected over a window of inputs,
   the fraction of inputs on which each latent is > 0; [d_sae].
2. `dead_latents(frequency, min_frequency)`: bool [d_sae], True where frequency <= min_frequency
   (with the default 0: latents that never fired in the window).
3. `resample_dead_(sae, x, dead, generator, encoder_scale)`, in place, touching only dead latents:
   - the squared reconstruction error of each input, e = Σ (sae(x) − x)² over d_in ([n]);
   - pick one input per dead latent with probability ∝ e² (inputs reconstructed worst are picked
     most): `torch.multinomial(e ** 2, n_dead, replacement=True, generator=generator)`;
   - v = the picked input minus b_dec, normalised to unit norm;
   - for the k-th dead latent (in index order) with its v: decoder row W_dec[j] = v; encoder
     column W_enc[:, j] = v × encoder_scale × (the mean norm of the *live* latents' encoder
     columns; 1 if there are none); b_enc[j] = 0.
4. `reset_adam_state_(optimizer, sae, dead)`: zero Adam's running averages (`exp_avg`,
   `exp_avg_sq` in `optimizer.state[param]`) for the dead latents' slices of W_enc, b_enc and
   W_dec, so the old momentum does not drag the fresh weights back.

Rules: do nothing to live latents (the checks compare them bit for bit), and do not touch
`generator` except in that one multinomial call. With no dead latent, do nothing at all.
"""

import torch
from jaxtyping import Bool, Float
from torch import Tensor


def firing_frequency(feature_acts: Float[Tensor, "n d_sae"]) -> Float[Tensor, "d_sae"]:
    # BEGIN SOLUTION: the mean over inputs of (acts > 0) as float (about 1 line)
    return (feature_acts > 0).float().mean(dim=0)
    # END SOLUTION


def dead_latents(frequency: Float[Tensor, "d_sae"], min_frequency: float = 0.0) -> Bool[Tensor, "d_sae"]:
    # BEGIN SOLUTION: frequency <= min_frequency (about 1 line)
    return frequency <= min_frequency
    # END SOLUTION


@torch.no_grad()
def resample_dead_(sae, x: Float[Tensor, "n d_in"], dead: Bool[Tensor, "d_sae"], generator: torch.Generator, encoder_scale: float = 0.2) -> None:
    # BEGIN SOLUTION: errors, multinomial on errors**2, v = normalised (x[picked] - b_dec); set W_dec rows, W_enc columns (scaled by encoder_scale * mean live norm), b_enc (about 14 lines)
    n_dead = int(dead.sum())
    if n_dead == 0:
        return
    errors = ((sae(x) - x) ** 2).sum(dim=-1)
    picked = torch.multinomial(errors, n_dead, replacement=True, generator=generator)
    v = x[picked] - sae.b_dec
    v = v / v.norm(dim=-1, keepdim=True)
    live = ~dead
    live_norm = sae.W_enc[:, live].norm(dim=0).mean() if bool(live.any()) else torch.tensor(1.0)
    sae.W_dec[dead] = v
    sae.W_enc[:, dead] = v.T * encoder_scale * live_norm
    sae.b_enc[dead] = 0.0
    # END SOLUTION


@torch.no_grad()
def reset_adam_state_(optimizer: torch.optim.Adam, sae, dead: Bool[Tensor, "d_sae"]) -> None:
    # BEGIN SOLUTION: for exp_avg and exp_avg_sq of each parameter: zero the dead slice (columns of W_enc, entries of b_enc, rows of W_dec) (about 6 lines)
    slices = {sae.W_enc: (slice(None), dead), sae.b_enc: (dead,), sae.W_dec: (dead,)}
    for param, index in slices.items():
        state = optimizer.state.get(param, {})
        for key in ("exp_avg", "exp_avg_sq"):
            if key in state:
                state[key][index] = 0.0
    # END SOLUTION
