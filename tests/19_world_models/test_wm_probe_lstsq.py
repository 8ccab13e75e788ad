import numpy as np
import pytest
import torch
import torch.nn.functional as F

from arena_cli.course import world_models as wm
from arena_cli.testing import assert_close, assert_unchanged, forbidder, load_exercise, show_board
from arena_cli.zoo import load
from arena_cli.zoo import othello

ex = load_exercise(__file__)


@pytest.fixture
def forbid(monkeypatch):
    return forbidder(monkeypatch)


def numpy_probe(acts: torch.Tensor, states: torch.Tensor, ridge: float) -> torch.Tensor:
    """Ridge regression as ordinary least squares on an augmented system (numpy's SVD-based
    lstsq): minimising |XW - Y|² + λ|W|² is least squares on [X; √λ I] W ≈ [Y; 0]."""
    x = np.concatenate([acts.double().numpy(), np.ones((len(acts), 1))], axis=1)
    y = F.one_hot(states, 3).flatten(1).double().numpy()
    lam = ridge * len(x)
    x_aug = np.concatenate([x, np.sqrt(lam) * np.eye(x.shape[1])], axis=0)
    y_aug = np.concatenate([y, np.zeros((x.shape[1], y.shape[1]))], axis=0)
    w = np.linalg.lstsq(x_aug, y_aug, rcond=None)[0]
    return torch.from_numpy(w).float().view(x.shape[1], states.shape[1], 3)


def synthetic(n: int, d: int, squares: int, seed: int):
    g = torch.Generator().manual_seed(seed)
    states = torch.randint(0, 3, (n, squares), generator=g)
    codes = torch.randn(squares, 3, d, generator=g)
    acts = codes[torch.arange(squares), states].sum(1) + 0.5 * torch.randn(n, d, generator=g) + 1.0
    return acts, states


def mistakes_for(acts, states, ridge):
    x = torch.cat([acts, torch.ones(len(acts), 1)], 1).double()
    y = F.one_hot(states, 3).flatten(1).double()
    d1 = x.shape[1]

    def solve(xm, penalty):
        return torch.linalg.solve(xm.T @ xm + penalty * torch.eye(xm.shape[1], dtype=torch.float64), xm.T @ y)

    out = {
        "the ridge penalty is not scaled by the number of rows n (use ridge * n * I)": lambda: solve(x, ridge).float().view(d1, -1, 3),
        "the bias column is first; the docstring puts it last (ones appended after acts)": lambda: solve(
            torch.cat([x[:, -1:], x[:, :-1]], 1), ridge * len(x)).float().view(d1, -1, 3),
        "the one-hot targets are flattened state-major ([3, square]); flatten [square, 3] so a square's 3 scores sit together": lambda: torch.linalg.solve(
            x.T @ x + ridge * len(x) * torch.eye(d1, dtype=torch.float64),
            x.T @ F.one_hot(states, 3).transpose(1, 2).flatten(1).double()).float().view(d1, -1, 3),
    }
    if ridge > 0:
        out["the ridge penalty is ignored (this is plain least squares)"] = lambda: solve(x, 0.0).float().view(d1, -1, 3)
    return out


@pytest.mark.parametrize("ridge", [0.0, 1e-2, 0.3])
def test_matches_numpy_least_squares(ridge, forbid):
    acts, states = synthetic(300, 12, 5, seed=int(ridge * 100))
    expected = numpy_probe(acts, states, ridge)
    before = acts.clone()
    forbid("arena_cli.zoo.othello.fit_probe", "arena_cli.course.world_models.fit_linear_probe")
    got = ex.fit_linear_probe(acts, states, ridge)
    assert_unchanged(before, acts, name="acts")
    assert got.dtype == torch.float32, f"return float32 weights, got {got.dtype}"
    assert_close(got, expected, atol=1e-4, rtol=1e-3, name=f"probe weights [d+1, square, 3] (ridge {ridge}) vs numpy least squares",
                 mistakes=mistakes_for(acts, states, ridge))


def test_worked_example_is_exact():
    states = torch.tensor([[0], [1], [2], [1], [0], [2]])
    acts = F.one_hot(states[:, 0], 3).float()[:, :2]
    got = ex.fit_linear_probe(acts, states, 0.0)
    expected = torch.tensor([[1.0, 0.0, -1.0], [0.0, 1.0, -1.0], [0.0, 0.0, 1.0]])
    assert_close(got[:, 0], expected, atol=1e-5, name="the docstring's worked example")


def test_predict_takes_the_best_of_three_scores(forbid):
    acts, states = synthetic(50, 6, 4, seed=3)
    weights = torch.randn(7, 4, 3, generator=torch.Generator().manual_seed(4))
    expected = (torch.cat([acts, torch.ones(50, 1)], 1) @ weights.flatten(1)).view(50, 4, 3).argmax(-1)
    forbid("arena_cli.zoo.othello.apply_probe", "arena_cli.course.world_models.probe_predict")
    got = ex.probe_predict(weights, acts)
    no_bias = (acts @ weights[:-1].flatten(1)).view(50, 4, 3).argmax(-1)
    assert_close(got, expected, name="predicted states [n, square]",
                 mistakes={"the bias row is left out of the scores": no_bias,
                           "the argmax is over squares, not over the 3 states": lambda: (torch.cat([acts, torch.ones(50, 1)], 1) @ weights.flatten(1)).view(50, 4, 3).argmax(-2)})


def test_the_board_is_readable_from_the_othello_model():
    model = load("othello")
    train, test = wm.games(120, seed=21), wm.games(80, seed=22)
    acts = {}
    for name, g in (("train", train), ("test", test)):
        res = wm.residuals_after_moves(model, wm.model_input(g), 3)
        st = wm.relative_states(g.boards, g.next_player)[:, : res.shape[1]]
        keep = wm.defined(st)
        acts[name] = (res[keep], st[keep])
    weights = ex.fit_linear_probe(*acts["train"], 1e-2)
    pred = ex.probe_predict(weights, acts["test"][0])
    per_square = (pred == acts["test"][1]).float().mean(0)
    accuracy = float(per_square.mean())
    assert accuracy > 0.8, f"a probe at layer 3 should read the board on unseen games with > 0.8 accuracy; yours: {accuracy:.3f}"
    show_board(per_square.view(othello.SIZE, othello.SIZE), [[othello.square_name(r * 6 + c) for c in range(6)] for r in range(6)],
               title=f"probe accuracy per square, layer 3, unseen games (mean {accuracy:.3f})", vmin=0.5, vmax=1.0)
