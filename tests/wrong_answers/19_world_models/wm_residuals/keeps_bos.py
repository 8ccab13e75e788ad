# MISTAKE: position 0 (<bos>) kept, last move dropped
# NAMED: position 0 (<bos>) is kept
"""What the model knows after each move: its residual stream, one vector per move.

The zoo's `othello` model reads a game as `<bos> m1 m2 … m31` and predicts every next move. At
the position of move t (position t + 1: `<bos>` is position 0) its residual stream has seen the
game up to and including move t, so that is where the board after move t can be read.

Goal: `residuals_after_moves(model, tokens, layer)` returns the residual stream *entering* block
`layer` (`blocks.{layer}.hook_resid_pre`) at the position of every move: [game, move, d_model],
with move 0 (the first move) at index 0. `layer` may also be `model.cfg.n_layers`: then return
the stream after the last block (`blocks.{n_layers - 1}.hook_resid_post`), the one the
unembedding reads.

Rules: one forward pass; cache only the activation you need (`run_with_cache(tokens,
names_filter=...)` — a full cache of every activation is wasted memory on long games).

Worked example: with `tokens` of shape [2, 32] and layer 0 you return the sum of the token and
positional embeddings at positions 1 … 31: shape [2, 31, 96]; position 0 (`<bos>`) is left out.
"""

import torch
from jaxtyping import Float, Int
from torch import Tensor


def residuals_after_moves(model, tokens: Int[Tensor, "game pos"], layer: int) -> Float[Tensor, "game move d_model"]:
    """The residual stream entering block `layer` at each move's position (not `<bos>`'s)."""
    # BEGIN SOLUTION: pick the hook name (resid_pre of `layer`, or the last block's resid_post), cache only it, drop position 0 (about 5 lines)
    n_layers = model.cfg.n_layers
    if layer < n_layers:
        name = f"blocks.{layer}.hook_resid_pre"
    else:
        name = f"blocks.{n_layers - 1}.hook_resid_post"
    _, cache = model.run_with_cache(tokens, names_filter=lambda n: n == name)
    return cache[name][:, :-1]
    # END SOLUTION
