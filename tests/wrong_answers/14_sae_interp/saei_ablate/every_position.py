# MISTAKE: ablates at every position even when positions are given
# NAMED: ablated at every position
"""Ablate one SAE latent and measure what the model's predictions lose.

An SAE says the activation x at its hook is decode(f) = f @ W_dec + b_dec plus an error it
misses. To remove one latent from the model, splice the SAE in *with its error term*:

    x  →  decode(f') + (x − decode(f))        f = sae.encode(x), f' = f with latent i edited

With f' = f this is x exactly, so the model is unchanged until the latent is edited, and any
change in the output is the latent's doing (not the SAE's reconstruction error). Two edits:

- zero ablation: f'_i = 0, as if the latent had not fired;
- mean ablation: f'_i = its mean activation over a reference set of positions, "the latent
  carries no information about this input" without pushing it to an extreme it never takes.
  The mean is over the positions that hold a move — never `<bos>` (position 0) or `<pad>`
  (after a game has ended): the SAEs were trained on move positions, and at the other two the
  activation means nothing. Positions where the latent is 0 do count: they are part of its mean.

The effect is measured per position by the KL divergence of the edited prediction from the clean
one, KL(P_clean ‖ P_edited) = Σ_v P_clean(v) (log P_clean(v) − log P_edited(v)), in nats. Why KL
for Othello: the model was trained on games whose moves are drawn uniformly among the legal ones,
so at each position it predicts a *distribution* (about uniform over the legal moves). The log
probability of the move actually played next measures one sample of it and depends on which of
the legal moves the game happened to pick; KL compares the whole predicted move distribution,
is 0 exactly when nothing changed and never negative. The clean prediction goes first: it is
the reference, and the divergence weighs each move by how much the clean model believes in it.

Goal:
1. `latent_mean(model, sae, tokens, latent)` → scalar: the mean of `sae.encode(x)[..., latent]`
   (the activation, after the SAE's activation function) at the SAE's hook, over the positions
   of `tokens` that are neither `BOS` nor `PAD`.
2. `ablate_latent(model, sae, tokens, latent, value=0.0, positions=None)` → logits
   [batch, pos, d_vocab] with latent `latent` set to `value` through the splice above, at every
   position (`positions=None`) or only where the bool mask `positions` [batch, pos] is true.
3. `kl_from_clean(clean_logits, edited_logits)` → [batch, pos], KL(P_clean ‖ P_edited).

Rules: hooks through `model.run_with_hooks` at `sae.cfg.metadata.hook_name`; never edit a tensor
you did not create (`x`, the latents you compare with, the arguments) in place.

Worked example: with positions all false, `ablate_latent` gives back the model's own logits and
`kl_from_clean` of them is 0 everywhere; two distributions (½, ½) clean and (¾, ¼) edited have
KL = ½ log(½ / ¾) + ½ log(½ / ¼) = 0.1438 nats.
"""

import torch
from jaxtyping import Bool, Float, Int
from torch import Tensor

from arena_cli.zoo.othello import BOS, PAD  # the ids of `<bos>` and `<pad>`


def latent_mean(model, sae, tokens: Int[Tensor, "batch pos"], latent: int) -> Float[Tensor, ""]:
    """Mean activation of `latent` over the move positions of `tokens` (not BOS, not PAD)."""
    # BEGIN SOLUTION: cache the activation at the hook, encode, keep the latent at the move positions, mean (about 5 lines)
    hook_name = sae.cfg.metadata.hook_name
    _, cache = model.run_with_cache(tokens, names_filter=lambda n: n == hook_name)
    acts = sae.encode(cache[hook_name])[..., latent]
    moves = (tokens != BOS) & (tokens != PAD)
    return acts[moves].mean()
    # END SOLUTION


def ablate_latent(
    model,
    sae,
    tokens: Int[Tensor, "batch pos"],
    latent: int,
    value: float = 0.0,
    positions: Bool[Tensor, "batch pos"] | None = None,
) -> Float[Tensor, "batch pos d_vocab"]:
    """Logits with latent `latent` set to `value` (SAE spliced in with its error term), at every
    position or where `positions` is true."""
    # BEGIN SOLUTION: a splice hook: encode, the error from the unedited latents, a copy of the latents with `latent` set to `value` where asked, decode + error (about 12 lines)
    hook_name = sae.cfg.metadata.hook_name

    def hook(x, hook):
        f = sae.encode(x)
        error = x - sae.decode(f)
        where = torch.ones(x.shape[:2], dtype=torch.bool)
        edited = f.clone()
        edited[..., latent] = torch.where(where, torch.as_tensor(value, dtype=f.dtype), f[..., latent])
        return sae.decode(edited) + error

    return model.run_with_hooks(tokens, fwd_hooks=[(hook_name, hook)])
    # END SOLUTION


def kl_from_clean(
    clean_logits: Float[Tensor, "batch pos d_vocab"], edited_logits: Float[Tensor, "batch pos d_vocab"]
) -> Float[Tensor, "batch pos"]:
    """KL(P_clean ‖ P_edited) at every position, in nats."""
    # BEGIN SOLUTION: log_softmax of both, then the sum over the vocabulary of p_clean * (log p_clean - log p_edited) (3 lines)
    log_p = clean_logits.log_softmax(-1)
    log_q = edited_logits.log_softmax(-1)
    return (log_p.exp() * (log_p - log_q)).sum(-1)
    # END SOLUTION
