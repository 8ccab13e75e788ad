# MISTAKE: softmax over move tokens only
# NAMED: softmax is over move tokens only
"""Is the probe's board the one the model uses? Edit it and watch the moves change.

A probe reading the board shows the information is *there*; it does not show the model *uses*
it. The test is an intervention: push the residual stream along a square's "mine vs theirs"
direction, as if that square had changed hands, and see whether the model's predicted moves
change the way the rules say they should for the edited board — new moves become legal, some
old ones stop being legal. A random direction of the same size should do much less.

Goal:
1. `add_at_position(model, tokens, layer, pos, direction, alpha)` → the logits
   [game, pos, d_vocab] of a forward pass in which `alpha` times the *unit* vector along
   `direction` is added to the residual stream entering block `layer`
   (`blocks.{layer}.hook_resid_pre`) at sequence position `pos` only, in every game.
2. `mass_on(logits, squares)`: from next-move logits [game, d_vocab] and a mask [game, 36] of
   board squares, the probability (softmax over the whole vocabulary) that the model puts on
   moves to those squares: [game]. Token i > 1 is the move to square `TOKEN_TO_SQUARE[i]`
   (`arena_cli.zoo.othello`); tokens 0 and 1 (`<bos>`, `<pad>`) are no square.

Rules: a hook through `run_with_hooks` (it removes itself); never edit the activation in place.

Worked example (what you should find): at layer 2, flipping a square from theirs to mine with
alpha 16 roughly triples the probability on the moves that the flip makes legal, and cuts
that on the moves it makes illegal several times over.
"""

import torch
from jaxtyping import Bool, Float, Int
from torch import Tensor

from arena_cli.zoo.othello import SPECIALS, TOKEN_TO_SQUARE


def add_at_position(
    model, tokens: Int[Tensor, "game pos"], layer: int, pos: int, direction: Float[Tensor, "d_model"], alpha: float
) -> Float[Tensor, "game pos d_vocab"]:
    """Logits with alpha * unit(direction) added to resid_pre of `layer` at position `pos`."""
    # BEGIN SOLUTION: a hook that returns a copy of the residual with alpha * direction / |direction| added at `pos`; run_with_hooks (about 6 lines)
    unit = direction / direction.norm()

    def hook(resid, hook):
        edited = resid.clone()
        edited[:, pos] += alpha * unit
        return edited

    return model.run_with_hooks(tokens, fwd_hooks=[(f"blocks.{layer}.hook_resid_pre", hook)])
    # END SOLUTION


def mass_on(logits: Float[Tensor, "game d_vocab"], squares: Bool[Tensor, "game 36"]) -> Float[Tensor, "game"]:
    """Probability the model gives to moves onto the masked squares."""
    # BEGIN SOLUTION: softmax over the vocabulary, keep the move tokens whose square is in the mask, sum (about 4 lines)
    probs = logits[:, len(SPECIALS):].softmax(-1)
    move_squares = TOKEN_TO_SQUARE[len(SPECIALS):]  # the square of each move token
    return (probs * squares[:, move_squares]).sum(-1)
    # END SOLUTION
