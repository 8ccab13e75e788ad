"""Where does the board appear? Probe accuracy layer by layer, on games the probe never saw.

A probe that scores well on the games it was fitted on may just have memorised them (a probe
with 97 weights per state and square can fit a lot). The honest number is its accuracy on
*other* games: fit on `train_games`, score on `test_games`.

Goal: `probe_accuracy_by_layer(model, train_games, test_games, ridge)` → a tensor of
`n_layers + 1` accuracies: for each layer 0 … n_layers, fit a least-squares probe on the
residual stream entering that layer (layer n_layers: after the last block) of the train games,
and return the fraction of (position, square) pairs of the *test* games it labels right,
counting only positions whose labels are defined (someone moves next).

Use the section's reference versions of what you wrote before (`arena_cli.course.world_models`):
`model_input(games)`, `residuals_after_moves(model, tokens, layer)` ([game, 31, d]: moves 0 … 30),
`relative_states(games.boards, games.next_player)` ([game, 32, 36]: cut it to the 31 moves that have a
position), `defined(states)` ([game, move] bool), `fit_linear_probe(acts, states, ridge)`,
`probe_predict(weights, acts)`.

Worked example (what you should find): the embeddings alone (layer 0) know little more than
which squares were ever played; the accuracy climbs through the layers to about 0.86.
"""

import torch
from jaxtyping import Float
from torch import Tensor

from arena_cli.course import world_models as wm


def probe_accuracy_by_layer(model, train_games, test_games, ridge: float = 1e-2) -> Float[Tensor, "layer"]:
    """Held-out accuracy of a least-squares board probe at every layer 0 … n_layers."""
    raise NotImplementedError('for each layer: residuals and defined labels of both game sets, fit on train, score on test (about 12 lines)')
