"""Scaffolding for section 1.4 (interpreting with SAEs) on the zoo's `othello` model and its SAEs.

- `games`, `model_input`: random legal games from the zoo's generator and the tokens the model
  reads (`<bos> m1 … m31`); move t (m1 first) sits at position t.
- `ground_truth(games)`: named binary features of every position after a move, with the mask of
  where each is defined — the labels an SAE latent is checked against.
- `sae_acts(model, sae, tokens)`: latent activations at the SAE's hook (the reference encoder).
"""

from __future__ import annotations

import torch
from torch import Tensor

from arena_cli.zoo import othello

N_SQUARES = othello.N_SQUARES
SQUARE_NAMES = [othello.square_name(s) for s in range(N_SQUARES)]


def games(n: int, seed: int) -> "othello.Games":
    return othello.random_games(n, torch.Generator().manual_seed(seed))


def model_input(g: "othello.Games") -> Tensor:
    """[game, 32]: `<bos> m1 … m31` (the last move is only a target)."""
    return g.tokens()[:, :-1]


def ground_truth(g: "othello.Games") -> tuple[list[str], Tensor, Tensor]:
    """(names, labels [game, 31, F] bool, defined [game, 31, F] bool) for the positions after
    moves 1 … 31 (positions 1 … 31 of `model_input`). Features, 36 of each kind:
    `played:X` the move just made was on square X (defined while the game goes on);
    `flipped:X` square X changed colour with that move (likewise);
    `mine:X`, `theirs:X`, `empty:X` the square's state for the player to move next (defined only
    where somebody moves next)."""
    moves = g.moves[:, :31]
    live = moves >= 0  # a move was made here
    played = torch.nn.functional.one_hot(moves.clamp(min=0), N_SQUARES).bool() & live[..., None]
    before = torch.cat([othello.start_boards(len(moves))[:, None], g.boards[:, :30]], dim=1)
    flipped = (before != 0) & (before != g.boards[:, :31])
    rel = g.boards[:, :31] * g.next_player[:, :31, None]
    mine, theirs, empty = rel > 0, rel < 0, rel == 0
    someone = (g.next_player[:, :31] != 0)[..., None].expand(-1, -1, N_SQUARES)
    names = [f"{kind}:{sq}" for kind in ("played", "flipped", "mine", "theirs", "empty") for sq in SQUARE_NAMES]
    labels = torch.cat([played, flipped, mine, theirs, empty], dim=-1)
    moved = live[..., None].expand(-1, -1, N_SQUARES)
    defined = torch.cat([moved, moved, someone, someone, someone], dim=-1)
    return names, labels, defined


def sae_acts(model, sae, tokens: Tensor) -> Tensor:
    """[game, pos, d_sae]: the SAE's latent activations at its hook point, every position."""
    hook = sae.cfg.metadata.hook_name
    with torch.no_grad():
        _, cache = model.run_with_cache(tokens, names_filter=lambda n: n == hook)
        return sae.encode(cache[hook])
