# MISTAKE: keeps the activations at <bos> and <pad>
# NAMED: are not set to 0
"""A feature dashboard: what one SAE latent reads, how often, and what it writes to the output.

Before trusting that latent 217 "means" something, look at it three ways:

(a) its top-activating contexts: the games and positions where it is largest, with the move
    it fires on marked;
(b) the histogram of its non-zero activations: a sparse latent is 0 almost everywhere, so the
    zeros are left out (they would swamp every other bin);
(c) its direct logit effects: its decoder direction is what the latent adds to the residual stream;
    send it straight to the unembedding through the final LayerNorm and read which next moves
    it pushes up (top tokens) and which it pushes down (bottom tokens).

You write four small functions; the check assembles them into the dashboard of a latent it
finds by computation (the best match of a `played:X` feature in `resid1_topk`) and draws it.

1. `latent_activations(model, sae, tokens, latent)` → [game, seq]: the latent's activation
   (after the SAE's activation function: ReLU, or TopK for `resid1_topk`) at every position,
   read at `sae.cfg.metadata.hook_name`. The SAEs were trained only on positions holding a move,
   so positions holding `<bos>` (token 0) or `<pad>` (token 1) are set to 0.
2. `top_activations(acts, k)` → (values [k], game [k], pos [k]): the k largest entries of
   `acts` [game, seq], largest first. Ties go to the earlier entry in row-major order (smaller
   game, then smaller pos) — `torch.topk` promises no order among ties; a stable sort does.
3. `activation_histogram(acts, bins, low=None, high=None)` → (counts [bins], edges [bins+1]):
   the histogram of the non-zero entries of `acts` (any shape), `bins` equal bins over
   [low, high] (default: the smallest and largest non-zero value). As `numpy.histogram` does:
   each bin is [edge_i, edge_i+1) except the last, which includes its right edge; values outside
   [low, high] are not counted. Assume at least one non-zero entry and low < high.
4. `logit_effects(model, sae, latent, k, exclude=())` → (top_values, top_tokens,
   bottom_values, bottom_tokens), each [k]. Let d [d_model] be what one unit of the latent's
   activation adds to the reconstruction: the decoder row `W_dec[latent]` for a StandardSAE, but
   `W_dec[latent] / ‖W_dec[latent]‖` for the TopK SAEs here, which SAELens trained with
   `cfg.rescale_acts_by_decoder_norm` (their decode divides each activation by its row's norm);
   `sae.decode(e) − sae.decode(0)`, e the one-hot of the latent, is d for any SAE. The direct
   effect of the latent on the logit of token t, per unit of activation, with the final
   LayerNorm's scale left out (a positive number per position that changes no ranking), is

       effect[t] = ((d − mean(d)) ⊙ w_ln) · W_U[:, t]

   (mean over the d_model entries: the LayerNorm centres its input; w_ln = `model.ln_final.weight`,
   W_U = `model.W_U` [d_model, d_vocab]; the bias b_U does not depend on the latent and is left
   out.) This is the path of `saei_latent_dla`. Plain `d @ W_U` is not a simpler version of it,
   it is wrong: it skips what the LayerNorm does to the direction on its way to the unembedding
   (the mean of d never reaches the logits; w_ln rescales every coordinate). Top: the k largest
   effects, largest first; bottom: the k most negative, most negative first (not the k smallest
   in size: those are the tokens the latent leaves alone). Tokens in `exclude` (e.g. `<bos>` and
   `<pad>`, which the model never predicts) take part in neither list. Ties: the smaller token
   id first. Assume k ≤ d_vocab − len(exclude).

Rules: do not modify the inputs.

Worked example: acts = [[0, 2, 0], [2, 0, 1]] → top_activations(acts, 2) = ([2, 2], game [0, 1],
pos [1, 0]); activation_histogram(acts, 2) counts [1, 2] with edges [1, 1.5, 2] (the three
zeros are not counted). A decoder row that is a constant vector has effect 0 on every token:
the LayerNorm removes it.
"""

import torch
from jaxtyping import Float, Int
from torch import Tensor


def latent_activations(model, sae, tokens: Int[Tensor, "game seq"], latent: int) -> Float[Tensor, "game seq"]:
    """The latent's activation at every position (0 where the token is `<bos>` or `<pad>`)."""
    # BEGIN SOLUTION: cache the SAE's hook, sae.encode, take the latent's column, zero the positions whose token is < 2 (about 4 lines)
    hook = sae.cfg.metadata.hook_name
    _, cache = model.run_with_cache(tokens, names_filter=lambda n: n == hook)
    acts = sae.encode(cache[hook])[..., latent]  # [game, seq]
    return acts
    # END SOLUTION


def top_activations(
    acts: Float[Tensor, "game seq"], k: int
) -> tuple[Float[Tensor, "k"], Int[Tensor, "k"], Int[Tensor, "k"]]:
    """The k largest activations and where they are: (values, game index, position index)."""
    # BEGIN SOLUTION: flatten, sort descending with stable=True, keep k, unravel the flat index with the row width acts.shape[1] (about 4 lines)
    values, order = torch.sort(acts.flatten(), descending=True, stable=True)
    order = order[:k]
    return values[:k], order // acts.shape[1], order % acts.shape[1]
    # END SOLUTION


def activation_histogram(
    acts: Float[Tensor, "..."], bins: int, low: float | None = None, high: float | None = None
) -> tuple[Float[Tensor, "bins"], Float[Tensor, "bins_plus_1"]]:
    """Counts and edges of the histogram of the non-zero activations (numpy.histogram's rules)."""
    # BEGIN SOLUTION: keep acts[acts != 0]; default low / high from those; torch.histogram or torch.histc plus torch.linspace (about 5 lines)
    active = acts[acts != 0].double()
    low = float(active.min()) if low is None else float(low)
    high = float(active.max()) if high is None else float(high)
    counts, edges = torch.histogram(active, bins=bins, range=(low, high))
    return counts.float(), edges.float()
    # END SOLUTION


def logit_effects(
    model, sae, latent: int, k: int, exclude: tuple[int, ...] = ()
) -> tuple[Float[Tensor, "k"], Int[Tensor, "k"], Float[Tensor, "k"], Int[Tensor, "k"]]:
    """The k tokens whose logits the latent's decoder row raises most and lowers most (direct path)."""
    # BEGIN SOLUTION: d = decode(one-hot) - decode(0); centre it, times the LN weight, @ W_U; excluded tokens to -inf (top) and +inf (bottom); stable sorts (about 9 lines)
    unit = torch.zeros(2, sae.cfg.d_sae)
    unit[0, latent] = 1.0
    out = sae.decode(unit)
    d = out[0] - out[1]  # [d_model]: what one unit of the latent writes
    effect = ((d - d.mean()) * model.ln_final.weight) @ model.W_U  # [d_vocab]
    left_out = torch.zeros(effect.shape, dtype=torch.bool)
    left_out[list(exclude)] = True
    up, top = torch.sort(effect.masked_fill(left_out, float("-inf")), descending=True, stable=True)
    down, bottom = torch.sort(effect.masked_fill(left_out, float("inf")), stable=True)
    return up[:k], top[:k], down[:k], bottom[:k]
    # END SOLUTION
