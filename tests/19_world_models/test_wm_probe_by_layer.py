import pytest
import torch

from arena_cli.course import world_models as wm
from arena_cli.testing import assert_close, load_exercise, mistake, show_lines
from arena_cli.zoo import load

ex = load_exercise(__file__)
model = load("othello")
TRAIN, TEST = wm.games(40, seed=31), wm.games(30, seed=32)
LAYERS = range(model.cfg.n_layers + 1)


def all_layers(games) -> list:
    """The residual stream entering every layer (and after the last), from one cached forward pass."""
    n = model.cfg.n_layers
    names = [f"blocks.{l}.hook_resid_pre" for l in range(n)] + [f"blocks.{n - 1}.hook_resid_post"]
    _, cache = model.run_with_cache(wm.model_input(games), names_filter=lambda name: name in names)
    return [cache[name][:, 1:] for name in names]


RESIDUALS = {id(TRAIN): all_layers(TRAIN), id(TEST): all_layers(TEST)}


def examples(games, layer, *, only_defined=True):
    acts = RESIDUALS[id(games)][layer]
    states = wm.relative_states(games.boards, games.next_player)[:, : acts.shape[1]]
    keep = wm.defined(states) if only_defined else torch.ones(states.shape[:2], dtype=torch.bool)
    return acts[keep], states[keep]


def accuracy(layer, ridge, *, score_on=TEST, only_defined=True):
    weights = wm.fit_linear_probe(*examples(TRAIN, layer), ridge)
    acts, states = examples(score_on, layer, only_defined=only_defined)
    return float((wm.probe_predict(weights, acts) == states).float().mean())


@pytest.mark.parametrize("ridge", [1e-2, 3.0])
def test_held_out_accuracy_by_layer(ridge):
    try:
        got = ex.probe_accuracy_by_layer(model, TRAIN, TEST, ridge)
    except RuntimeError as error:
        if "non-negative" in str(error):  # F.one_hot of a -1 label
            raise mistake("positions after the game's end (labels -1) reached the probe: keep only defined positions "
                          "(wm.defined) when fitting and when scoring", str(error)) from None
        raise
    got = torch.as_tensor(got, dtype=torch.float32)
    assert got.shape == (len(LAYERS),), (
        f"one accuracy per layer 0 … {model.cfg.n_layers} (the last is after the final block): "
        f"expected shape ({len(LAYERS)},), got {tuple(got.shape)}"
    )
    expected = torch.tensor([accuracy(l, ridge) for l in LAYERS])
    mistakes = {
        "these are accuracies on the training games: score the probe on test_games, which it never saw": lambda: torch.tensor([accuracy(l, ridge, score_on=TRAIN) for l in LAYERS]),
        "positions after the game's end (labels -1) are counted: keep only defined positions": lambda: torch.tensor([accuracy(l, ridge, only_defined=False) for l in LAYERS]),
    }
    if ridge != 1e-2:
        mistakes["the ridge argument is ignored"] = lambda: torch.tensor([accuracy(l, 1e-2) for l in LAYERS])
    assert_close(got, expected, atol=1e-4, name=f"held-out probe accuracy per layer (ridge {ridge})", mistakes=mistakes)
    if ridge == 1e-2:
        baseline = float((examples(TEST, 0)[1] == 0).float().mean())
        show_lines({"probe (unseen games)": expected, "always 'empty'": [baseline] * len(LAYERS)}, x=list(LAYERS),
                   title="Where the board appears: probe accuracy by layer", x_label="layer (residual entering it)", y_label="accuracy")
        assert expected[-2] > expected[0] + 0.1, "the board is clearer in the late layers than in the embeddings"
