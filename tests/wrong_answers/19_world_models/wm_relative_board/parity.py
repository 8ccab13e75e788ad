# MISTAKE: player to move guessed from the move number (wrong after a pass)
# NAMED: guessed from the move number
"""Labels for the probes: the board as the player to move sees it.

The zoo's game generator records, after every move t, the board (`boards[g, t]`: +1 black,
-1 white, 0 empty, for the 36 squares) and who moves next (`next_player[g, t]`: +1 black,
-1 white, 0 when the game is over). The model predicts the *next player's* move, so the
board it needs is relative to that player: each square empty, mine (the next player's) or
theirs. Colour alone would be half the story — the model never sees whose turn it is, it has
to work it out, and after a pass the same colour moves twice.

Goal: `relative_states(boards, next_player)` → [game, move, square] with 0 empty, 1 mine,
2 theirs; and -1 for every square of a position after which nobody moves (the game is over:
"mine" means nothing there, so those positions must not train or score a probe).

Rules: torch; no Python loops over games or moves.

Worked example: a board [+1, -1, 0] (one row of three squares) with white to move (-1) is
[2, 1, 0]: the black stone is theirs, the white one mine. With next_player 0 it is [-1, -1, -1].
"""

import torch
from jaxtyping import Int
from torch import Tensor


def relative_states(
    boards: Int[Tensor, "game move square"], next_player: Int[Tensor, "game move"]
) -> Int[Tensor, "game move square"]:
    """0 empty, 1 mine, 2 theirs (relative to whoever moves next); -1 where nobody does."""
    # BEGIN SOLUTION: multiply by next_player to make "mine" positive, map 0 / + / - to 0 / 1 / 2, mark game-over positions -1 (about 4 lines)
    parity = torch.where(torch.arange(boards.shape[-2]) % 2 == 0, -1, 1)
    relative = boards * parity[:, None] * (next_player != 0)[..., None]
    states = torch.where(relative > 0, 1, torch.where(relative < 0, 2, 0))
    return states.masked_fill((next_player == 0)[..., None], -1)
    # END SOLUTION
