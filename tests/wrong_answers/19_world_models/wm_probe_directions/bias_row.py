# MISTAKE: the bias row kept in the directions
# NAMED: the bias row is included
"""Reading the probe's geometry: the "mine vs theirs" direction of every square.

A linear probe's weights are directions in the residual stream. For square s, the scores of
"mine" and "theirs" are acts · W[:, s, 1] and acts · W[:, s, 2] (plus biases), so the direction
that tells them apart is W[:-1, s, 1] − W[:-1, s, 2] (the bias row dropped: it is not a
direction, it is a constant). Comparing those directions across squares shows how the model
lays its board out: nearly orthogonal directions mean the squares are written independently.

Goal:
1. `mine_vs_theirs(weights)` → [square, d_model]: for every square the unit vector along
   W[:-1, s, 1] − W[:-1, s, 2] ("mine" minus "theirs").
2. `square_similarity(directions)` → [square, square]: the cosine similarity of every pair
   (1 on the diagonal).

Rules: torch; no Python loop over squares.

Worked example: with d_model 2 and two squares whose mine/theirs weights are (3, 0)/(0, 0)
and (0, 0)/(0, 2), the directions are (1, 0) and (0, -1): their similarity is 0.
"""

import torch
from jaxtyping import Float
from torch import Tensor


def mine_vs_theirs(weights: Float[Tensor, "d_model_plus_1 square 3"]) -> Float[Tensor, "square d_model"]:
    """Unit "mine minus theirs" direction of every square, bias row left out."""
    # BEGIN SOLUTION: drop the bias row, subtract the theirs column from the mine column, transpose, normalise each square's vector (about 3 lines)
    difference = weights[:, :, 1] - weights[:, :, 2]
    return torch.nn.functional.normalize(difference.T, dim=-1)
    # END SOLUTION


def square_similarity(directions: Float[Tensor, "square d_model"]) -> Float[Tensor, "square square"]:
    """Cosine similarity of every pair of squares' directions."""
    # BEGIN SOLUTION: normalise the rows, then one matrix product (about 2 lines)
    unit = torch.nn.functional.normalize(directions, dim=-1)
    return unit @ unit.T
    # END SOLUTION
