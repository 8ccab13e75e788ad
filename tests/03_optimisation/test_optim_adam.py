import pytest
import torch

from arena_cli.course.optim import assert_follows_torch, assert_skips_parameters_without_grad
from arena_cli.testing import assert_close, load_exercise

ex = load_exercise(__file__)

SETTINGS = {
    "defaults_faster": dict(lr=0.01),
    "short_memories": dict(lr=0.01, betas=(0.5, 0.9)),
    "slow_first_moment": dict(lr=0.02, betas=(0.95, 0.99)),
    "weight_decay_as_l2": dict(lr=0.01, weight_decay=0.1),
    "large_eps": dict(lr=0.01, eps=0.05),  # shows where eps goes
}


@pytest.mark.parametrize("setting", SETTINGS)
def test_follows_torch_adam_step_by_step(setting):
    settings = SETTINGS[setting]
    assert_follows_torch(
        lambda model: ex.Adam(model.parameters(), **settings),
        lambda model: torch.optim.Adam(model.parameters(), **settings),
        seed=list(SETTINGS).index(setting),
    )


def test_parameters_without_a_gradient_do_not_move():
    assert_skips_parameters_without_grad(lambda params: ex.Adam(params, lr=0.01, weight_decay=0.1))


def test_first_step_moves_every_coordinate_by_lr():
    # m_hat = g and v_hat = g^2 on step 1, so the update is lr * sign(g) (up to eps)
    p = torch.nn.Parameter(torch.tensor([1.0, 1.0, 1.0], dtype=torch.float64))
    p.grad = torch.tensor([300.0, -0.02, 1.0], dtype=torch.float64)
    ex.Adam([p], lr=0.1, eps=1e-12).step()
    assert_close(
        p, torch.tensor([0.9, 1.1, 0.9], dtype=torch.float64), atol=1e-9,
        name="parameter after one Adam step (bias correction makes it lr * sign(g))",
    )
