import pytest
import torch

from arena_cli.testing import assert_close, assert_unchanged, load_exercise

ex = load_exercise(__file__)


def bowl(a: float, b: float):
    """a x^2 + b y^2, whose gradient is (2 a x, 2 b y): each coordinate evolves on its own."""
    return lambda p: a * p[0] ** 2 + b * p[1] ** 2


def plain_sgd(params):
    return torch.optim.SGD(params, lr=0.1)


BOWLS = {
    "round_bowl": (1.0, 1.0, 0.1, [1.0, -2.0], 6),
    "elongated_bowl": (0.05, 1.0, 0.4, [3.0, 0.5], 10),
    "overshooting_steps": (1.0, 0.2, 0.8, [0.5, 1.5], 5),  # 1 - 2 lr a < 0: the x sign flips
}


@pytest.mark.parametrize("a, b, lr, start, n_steps", BOWLS.values(), ids=BOWLS.keys())
def test_plain_sgd_follows_the_closed_form(a, b, lr, start, n_steps):
    # gradient descent on a x^2: x_t = (1 - 2 lr a)^t x_0
    start = torch.tensor(start, dtype=torch.float64)
    path = ex.optimise(bowl(a, b), start, lambda ps: torch.optim.SGD(ps, lr=lr), n_steps)
    t = torch.arange(n_steps + 1, dtype=torch.float64)
    factors = torch.stack([(1 - 2 * lr * a) ** t, (1 - 2 * lr * b) ** t], dim=1)
    want = factors * start

    def accumulated():  # .grad never cleared: each step uses the sum of all gradients so far
        point, total, rows = start.clone(), torch.zeros(2, dtype=torch.float64), [start.clone()]
        for _ in range(n_steps):
            total = total + 2 * torch.tensor([a, b], dtype=torch.float64) * point
            point = point - lr * total
            rows.append(point)
        return torch.stack(rows)

    assert_close(
        path, want, atol=1e-10, rtol=1e-8, name="path (row t = point after t steps)",
        mistakes={
            "the start point is missing: the path has n_steps + 1 rows, the first being `start`": lambda: want[1:],
            "the rows after the start are all the final point: append point.detach().clone(), a copy, not a view "
            "of the tensor that keeps moving": lambda: torch.cat([want[:1], want[-1].expand(n_steps, 2)]),
            "the gradients were never cleared, so they accumulate: call optimizer.zero_grad() every step": accumulated,
        },
    )


@pytest.mark.parametrize("momentum", [0.5, 0.9], ids=["momentum_0.5", "momentum_0.9"])
def test_momentum_sgd_follows_the_closed_form(momentum):
    # Heavy ball on a x^2 with torch's update b_t = mu b_{t-1} + g_t, x_t = x_{t-1} - lr b_t
    # (and b_0 = 0) is linear: (x_t, b_t) = M (x_{t-1}, b_{t-1}) with the matrix M below.
    a, b, lr, n_steps = 0.05, 1.0, 0.1, 12
    start = torch.tensor([2.0, -1.0], dtype=torch.float64)
    path = ex.optimise(
        bowl(a, b), start, lambda ps: torch.optim.SGD(ps, lr=lr, momentum=momentum), n_steps
    )
    expected = torch.zeros(n_steps + 1, 2, dtype=torch.float64)
    for coordinate, curvature in enumerate((a, b)):
        g = 2 * curvature
        m = torch.tensor(
            [[1 - lr * g, -lr * momentum], [g, momentum]], dtype=torch.float64
        )
        for t in range(n_steps + 1):
            state = torch.linalg.matrix_power(m, t) @ torch.tensor(
                [start[coordinate].item(), 0.0], dtype=torch.float64
            )
            expected[t, coordinate] = state[0]
    assert_close(path, expected, atol=1e-10, rtol=1e-8, name="path with momentum")


def test_start_is_not_modified():
    start = torch.tensor([1.0, 1.0])
    ex.optimise(ex.valley, start, plain_sgd, 3)
    assert_unchanged(torch.tensor([1.0, 1.0]), start, name="start")


def test_path_is_a_detached_tensor_of_n_steps_plus_one_rows():
    path = ex.optimise(ex.valley, torch.tensor([1.0, 1.0]), plain_sgd, 4)
    assert isinstance(path, torch.Tensor), f"expected a tensor, got {type(path).__name__}"
    assert path.shape == (5, 2), f"4 steps give 5 points (with the start); got {tuple(path.shape)}"
    assert not path.requires_grad, "return detached points (point.detach().clone())"


def test_zero_steps_returns_the_start_only():
    path = ex.optimise(ex.valley, torch.tensor([0.5, -0.5]), plain_sgd, 0)
    assert_close(path, torch.tensor([[0.5, -0.5]]), name="path of 0 steps")
