import torch
import torch.nn.functional as F

from arena_cli.course import world_models as wm
from arena_cli.testing import assert_close, assert_unchanged, load_exercise, show_heatmap
from arena_cli.zoo import load
from arena_cli.zoo import othello

ex = load_exercise(__file__)
WEIGHTS = torch.randn(9, 5, 3, generator=torch.Generator().manual_seed(0)) * torch.tensor([0.5, 2.0, 1.0])


def test_directions_are_unit_mine_minus_theirs():
    before = WEIGHTS.clone()
    got = ex.mine_vs_theirs(WEIGHTS)
    assert_unchanged(before, WEIGHTS, name="weights")
    diff = WEIGHTS[:-1, :, 1] - WEIGHTS[:-1, :, 2]  # [d, square]
    expected = torch.stack([diff[:, s] / diff[:, s].norm() for s in range(5)])
    assert_close(got, expected, atol=1e-6, name="unit directions [square, d_model]", mistakes={
        "the bias row is included: it is a constant, not a direction (use weights[:-1])": lambda: F.normalize((WEIGHTS[:, :, 1] - WEIGHTS[:, :, 2]).T, dim=-1),
        "the directions are not normalised to unit length": diff.T,
        "this is theirs minus mine; the docstring asks for mine minus theirs": -expected,
        "each vector is normalised over squares, not over d_model": lambda: F.normalize(diff, dim=1).T,
        "this is the 'mine' direction alone (W[:-1, s, 1]), not mine minus theirs": lambda: F.normalize(WEIGHTS[:-1, :, 1].T, dim=-1),
    })


def test_worked_example():
    w = torch.zeros(3, 2, 3)
    w[0, 0, 1] = 3.0
    w[1, 1, 2] = 2.0
    got = ex.mine_vs_theirs(w)
    assert_close(got, torch.tensor([[1.0, 0.0], [0.0, -1.0]]), atol=1e-6, name="the docstring's worked example")
    assert_close(ex.square_similarity(got), torch.eye(2), atol=1e-6, name="their similarity")


def test_similarity_is_cosine_of_every_pair():
    directions = torch.randn(6, 4, generator=torch.Generator().manual_seed(1)) * 3.0  # not unit length
    expected = F.cosine_similarity(directions[:, None], directions[None], dim=-1)
    got = ex.square_similarity(directions)
    assert_close(got, expected, atol=1e-5, name="cosine similarity [square, square]",
                 mistakes={"the vectors are not normalised: this is the plain dot product": directions @ directions.T})


def test_on_the_othello_probe():
    model = load("othello")
    g = wm.games(100, seed=41)
    acts = wm.residuals_after_moves(model, wm.model_input(g), 3)
    states = wm.relative_states(g.boards, g.next_player)[:, : acts.shape[1]]
    keep = wm.defined(states)
    weights = wm.fit_linear_probe(acts[keep], states[keep], 1e-2)
    similarity = ex.square_similarity(ex.mine_vs_theirs(weights))
    live = [s for s in range(othello.N_SQUARES) if s not in othello.CENTRE] + list(othello.CENTRE)
    names = [othello.square_name(s) for s in range(othello.N_SQUARES)]
    assert_close(similarity, F.cosine_similarity(
        F.normalize((weights[:-1, :, 1] - weights[:-1, :, 2]).T, dim=-1)[:, None],
        F.normalize((weights[:-1, :, 1] - weights[:-1, :, 2]).T, dim=-1)[None], dim=-1), atol=1e-5, name="similarity on the othello probe")
    show_heatmap(similarity[live][:, live], [names[s] for s in live], [names[s] for s in live], vmin=-1.0, vmax=1.0,
                 scale="diverging", title="cosine similarity of the squares' mine-vs-theirs directions (layer 3)")
