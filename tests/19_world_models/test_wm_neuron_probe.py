import pytest
import torch
import torch.nn.functional as F

from arena_cli.course import world_models as wm
from arena_cli.testing import assert_close, load_exercise, show_board
from arena_cli.zoo import load
from arena_cli.zoo import othello

ex = load_exercise(__file__)
model = load("othello")
DIRECTIONS = F.normalize(torch.randn(othello.N_SQUARES, model.cfg.d_model, generator=torch.Generator().manual_seed(0)), dim=-1)


def cosines(vector):
    return F.cosine_similarity(DIRECTIONS, vector[None], dim=-1)


@pytest.mark.parametrize("layer, neuron", [(0, 5), (2, 117), (3, 383)])
def test_reads_and_writes(layer, neuron):
    w_in = model.W_in[layer][:, neuron]
    w_out = model.W_out[layer][neuron]
    reads, writes = ex.neuron_through_probe(model, layer, neuron, DIRECTIONS)
    mistakes = {
        "reads and writes are swapped: a neuron reads through W_in and writes through W_out": lambda: cosines(w_out),
        "these are dot products, not cosines: normalise the neuron's weights": lambda: DIRECTIONS @ w_in,
    }
    assert_close(reads, cosines(w_in), atol=1e-5, name=f"what L{layer}N{neuron} reads (cosine per square)", mistakes=mistakes)
    assert_close(writes, cosines(w_out), atol=1e-5, name=f"what L{layer}N{neuron} writes (cosine per square)", mistakes={
        "reads and writes are swapped": lambda: cosines(w_in), "these are dot products, not cosines": lambda: DIRECTIONS @ w_out})


def test_directions_of_any_length_count_as_directions():
    scaled = DIRECTIONS * torch.linspace(0.5, 4.0, othello.N_SQUARES)[:, None]
    reads, _ = ex.neuron_through_probe(model, 1, 9, scaled)
    assert_close(reads, cosines(model.W_in[1][:, 9]), atol=1e-5, name="reads, with directions not of unit length",
                 mistakes={"the directions are used as given; normalise them too": scaled @ F.normalize(model.W_in[1][:, 9], dim=0),
                           "the directions are normalised over squares (dim 0); normalise each square's vector (dim -1)":
                               F.normalize(scaled, dim=0) @ F.normalize(model.W_in[1][:, 9], dim=0)})


def test_the_board_of_the_most_square_specific_neuron():
    g = wm.games(100, seed=61)
    acts = wm.residuals_after_moves(model, wm.model_input(g), 3)
    states = wm.relative_states(g.boards, g.next_player)[:, : acts.shape[1]]
    keep = wm.defined(states)
    weights = wm.fit_linear_probe(acts[keep], states[keep], 1e-2)
    directions = F.normalize((weights[:-1, :, 1] - weights[:-1, :, 2]).T, dim=-1)
    writes = torch.stack([ex.neuron_through_probe(model, 2, n, directions)[1] for n in range(0, 384, 8)])
    best = int(writes.abs().max(-1).values.argmax()) * 8
    _, board = ex.neuron_through_probe(model, 2, best, directions)
    assert_close(board, F.cosine_similarity(directions, model.W_out[2][best][None], dim=-1), atol=1e-5, name=f"L2N{best} writes")
    marks = [[othello.square_name(r * 6 + c) for c in range(6)] for r in range(6)]
    show_board(board.view(6, 6), marks, title=f"what neuron L2N{best} writes along each square's mine-vs-theirs direction",
               vmin=-1.0, vmax=1.0, scale="diverging")
