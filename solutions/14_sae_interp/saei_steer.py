"""Steer the model with a latent: write its decoder direction into the residual stream, and
measure what it does to the model's next move.

A latent's decoder row `sae.W_dec[i]` is what the SAE writes when the latent fires. Adding
α · W_dec[i] to the activation the SAE reads — at its hook point, at one position — is the same
as pretending the latent fired α harder there, and the model's next-move prediction at that
position (and later ones) changes as if whatever the latent stands for had happened. On othello
that is testable: an occupied square is never a legal move, so steering with a latent that means
"square X is occupied" must take the model's probability of playing X away.

Goal:
1. `steer(model, sae, tokens, latent, alpha, pos)` → the logits [batch, pos, d_vocab] of a
   forward pass with `alpha * sae.W_dec[latent]` added to the activation at
   `sae.cfg.metadata.hook_name`, at sequence position `pos` only, in every row of the batch.
2. `move_probability_change(model, sae, tokens, latent, alpha, pos)` → [batch, 36]: for each
   square, the model's probability of playing it next at position `pos` when steered, minus the
   same probability without steering. The probabilities are a softmax over the 32 move tokens
   only (not over `<bos>` and `<pad>`, which are never a move): the token of square `s` is
   `othello.SQUARE_TO_TOKEN[s]`, and `othello.PLAYABLE` lists the 32 squares that have one, in
   vocabulary order (token ids 2 … 33). The 4 centre squares have no token: their change is 0.

Rules: a hook through `model.run_with_hooks`; never edit the activation in place; the
decoder row as it is (not normalised); `move_probability_change` uses your `steer`.

Worked example: α = 0 gives back the model's own logits and a change of 0 on every square;
the edit never changes the logits at positions before `pos` (attention is causal); each row
of the change sums to 0 (both distributions sum to 1 over the moves). The check finds, in
`resid2_topk`, the latent that best detects "square X is occupied" and steers with it at a
position where X is empty and legal: the model's probability of X drops by more than 90 %,
about ten times more than the other squares' probabilities move on average.
"""

import torch
from jaxtyping import Float, Int
from torch import Tensor

from arena_cli.zoo import othello


def steer(
    model, sae, tokens: Int[Tensor, "batch pos"], latent: int, alpha: float, pos: int
) -> Float[Tensor, "batch pos d_vocab"]:
    """Logits with alpha * W_dec[latent] added at the SAE's hook point, at position `pos`."""
    # BEGIN SOLUTION: a hook returning a copy of the activation with alpha * W_dec[latent] added at `pos` (about 6 lines)
    direction = alpha * sae.W_dec[latent]

    def hook(x, hook):
        x = x.clone()
        x[:, pos] += direction
        return x

    return model.run_with_hooks(tokens, fwd_hooks=[(sae.cfg.metadata.hook_name, hook)])
    # END SOLUTION


def move_probability_change(
    model, sae, tokens: Int[Tensor, "batch pos"], latent: int, alpha: float, pos: int
) -> Float[Tensor, "batch square"]:
    """Steered minus clean probability of each square as the next move at `pos` (softmax over the moves)."""
    # BEGIN SOLUTION: the logits at `pos` of the move tokens, clean and steered; softmax each; place the difference on the squares (about 6 lines)
    moves = othello.SQUARE_TO_TOKEN[list(othello.PLAYABLE)]
    clean = model(tokens)[:, pos, moves].softmax(-1)
    steered = steer(model, sae, tokens, latent, alpha, pos)[:, pos, moves].softmax(-1)
    change = torch.zeros(len(tokens), othello.N_SQUARES, dtype=clean.dtype)
    change[:, list(othello.PLAYABLE)] = steered - clean
    return change
    # END SOLUTION
