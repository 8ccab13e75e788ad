# MISTAKE: divides the joint count by the wrong latent's firings (both conditionals reversed)
# NAMED: direction is reversed
"""Feature splitting: what a wider SAE does with a narrow SAE's latent.

Two SAEs read the same activation (`blocks.3.hook_resid_pre` of the othello model):
`load_sae("resid3_narrow")` with 64 latents and `load_sae("resid3")` with 256. A wider SAE can
afford finer latents, and often one narrow latent's job is shared out among several wide ones —
its "children": each points roughly the same way (decoder cosine similarity) and fires mostly
where the narrow one fires (co-activation), on a part of it.

Goal:
1. `decoder_cosine(narrow, wide)` → [d_narrow, d_wide]: the cosine similarity between every
   narrow decoder row `narrow.W_dec[i]` and every wide decoder row `wide.W_dec[j]` — what each
   latent *writes*. (The rows are close to unit norm here, not exactly: normalise them.)
2. `latent_firing(sae, acts, tokens)` → Bool [n, d_sae]: which latents fire (activation > 0,
   after the ReLU) given `acts` [game, pos, d_in], the model's activations at the SAE's hook
   for `tokens` [game, pos], at each position that holds a move, in row-major order — not at
   `<bos>` (position 0, the same vector in every game) and not at padding (`othello.PAD`, after
   a game ended early), the positions the SAEs were never trained on.
3. `coactivation(narrow_fires, wide_fires)` → (P(wide j fires | narrow i fires),
   P(narrow i fires | wide j fires)), both [d_narrow, d_wide], 0 where the latent conditioned on
   never fires. Matrix products over the n positions, not loops.
4. `splits(cos, p_narrow_given_wide, latent, tau, rho)` → the children of narrow latent `latent`:
   the wide j with cos[latent, j] ≥ tau *and* P(narrow fires | wide j fires) ≥ rho (the wide
   latent fires mostly inside the narrow one's support), sorted by cosine, most similar first.

Rules: do not modify the inputs (the SAEs' weights included).

Worked example: over 4 positions narrow latent 0 fires at {0, 1, 2} and wide latent 0 at {1, 2}:
P(wide 0 | narrow 0) = 2/3, P(narrow 0 | wide 0) = 1. Cosine of (3, 4) and (1, 0) is 0.6, not 3.
"""

import torch
from jaxtyping import Bool, Float, Int
from torch import Tensor

from arena_cli.zoo import othello


def decoder_cosine(narrow, wide) -> Float[Tensor, "d_narrow d_wide"]:
    """cos(narrow.W_dec[i], wide.W_dec[j]) for every pair."""
    # BEGIN SOLUTION: divide each W_dec row by its norm, then one matrix product (2-3 lines)
    a = narrow.W_dec / narrow.W_dec.norm(dim=-1, keepdim=True)
    b = wide.W_dec / wide.W_dec.norm(dim=-1, keepdim=True)
    return a @ b.T
    # END SOLUTION


def latent_firing(
    sae, acts: Float[Tensor, "game pos d_in"], tokens: Int[Tensor, "game pos"]
) -> Bool[Tensor, "n d_sae"]:
    """Whether each latent is > 0 at each move position (no `<bos>`, no padding), row-major."""
    # BEGIN SOLUTION: a mask of the positions that are neither position 0 nor othello.PAD; encode the activations there; > 0 (about 4 lines)
    keep = tokens != othello.PAD
    keep[:, 0] = False
    return sae.encode(acts[keep]) > 0
    # END SOLUTION


def coactivation(
    narrow_fires: Bool[Tensor, "n d_narrow"], wide_fires: Bool[Tensor, "n d_wide"]
) -> tuple[Float[Tensor, "d_narrow d_wide"], Float[Tensor, "d_narrow d_wide"]]:
    """(P(wide j fires | narrow i fires), P(narrow i fires | wide j fires)), 0 where undefined."""
    # BEGIN SOLUTION: count joint firings with one matmul, divide by each side's firing count (about 6 lines)
    a, b = narrow_fires.float(), wide_fires.float()
    both = a.T @ b  # [d_narrow, d_wide]: positions where both fire
    n_narrow = a.sum(0)[:, None].expand_as(both)
    n_wide = b.sum(0)[None, :].expand_as(both)
    p_wide_given_narrow = torch.where(n_wide > 0, both / n_wide.clamp(min=1), torch.zeros_like(both))
    p_narrow_given_wide = torch.where(n_narrow > 0, both / n_narrow.clamp(min=1), torch.zeros_like(both))
    return p_wide_given_narrow, p_narrow_given_wide
    # END SOLUTION


def splits(
    cos: Float[Tensor, "d_narrow d_wide"],
    p_narrow_given_wide: Float[Tensor, "d_narrow d_wide"],
    latent: int,
    tau: float = 0.5,
    rho: float = 0.8,
) -> Int[Tensor, "k"]:
    """The wide latents with cos ≥ tau and P(narrow | wide) ≥ rho, most similar first."""
    # BEGIN SOLUTION: a mask of both conditions on row `latent`, its indices, ordered by cosine (about 3 lines)
    children = ((cos[latent] >= tau) & (p_narrow_given_wide[latent] >= rho)).nonzero().flatten()
    return children[cos[latent, children].argsort(descending=True)]
    # END SOLUTION
