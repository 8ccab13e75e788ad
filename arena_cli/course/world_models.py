"""Scaffolding for section 1.9 (world models and linear probes) on the zoo's `othello` model.

The later exercises of the section build on the earlier ones; so that a slip in one does not
break the next, they use these reference versions. The checks of the exercises that ask for
one of these functions forbid calling it (and the zoo's own helpers), so copying it is no answer.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from arena_cli.zoo import othello

N_SQUARES = othello.N_SQUARES
UNDEFINED = -1  # the label of every square after the last move: nobody moves next


def games(n: int, seed: int) -> "othello.Games":
    """`n` random legal games from the zoo's generator, seeded."""
    return othello.random_games(n, torch.Generator().manual_seed(seed))


def model_input(games: "othello.Games") -> torch.Tensor:
    """`<bos> m1 … m31`: what the model reads, [game, 32] (the last move is only ever a target)."""
    return games.tokens()[:, :-1]


def residuals_after_moves(model, tokens: torch.Tensor, layer: int) -> torch.Tensor:
    """The residual stream entering block `layer` (layer == n_layers: after the last block) at the
    position of each move: [game, move, d_model], move t at position t + 1."""
    n_layers = model.cfg.n_layers
    name = f"blocks.{layer}.hook_resid_pre" if layer < n_layers else f"blocks.{n_layers - 1}.hook_resid_post"
    _, cache = model.run_with_cache(tokens, names_filter=lambda n: n == name)
    return cache[name][:, 1:]


def relative_states(boards: torch.Tensor, next_player: torch.Tensor) -> torch.Tensor:
    """0 empty, 1 the next player's ("mine"), 2 the other's ("theirs"), UNDEFINED where nobody moves next."""
    relative = boards * next_player[..., None]
    states = torch.where(relative == 0, 0, torch.where(relative > 0, 1, 2))
    return states.masked_fill((next_player == 0)[..., None], UNDEFINED)


def with_bias(acts: torch.Tensor) -> torch.Tensor:
    return torch.cat([acts, torch.ones(*acts.shape[:-1], 1, dtype=acts.dtype)], dim=-1)


def fit_linear_probe(acts: torch.Tensor, states: torch.Tensor, ridge: float) -> torch.Tensor:
    """Ridge least squares on one-hot states: weights [d_model + 1, square, 3], bias last."""
    x = with_bias(acts).double()
    y = F.one_hot(states, 3).flatten(1).double()
    gram = x.T @ x + ridge * len(x) * torch.eye(x.shape[1], dtype=torch.float64)
    return torch.linalg.solve(gram, x.T @ y).float().view(x.shape[1], states.shape[1], 3)


def probe_predict(weights: torch.Tensor, acts: torch.Tensor) -> torch.Tensor:
    return torch.einsum("nd,dsc->nsc", with_bias(acts), weights).argmax(-1)


def defined(states: torch.Tensor) -> torch.Tensor:
    """[game, move]: the positions whose labels are defined (someone moves next)."""
    return (states != UNDEFINED).all(-1)

