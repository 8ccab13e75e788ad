import pytest
import torch

from arena_cli.course.optim import assert_follows_torch, assert_skips_parameters_without_grad, rmsprop_mistake
from arena_cli.testing import load_exercise

ex = load_exercise(__file__)

SETTINGS = {
    "defaults": dict(lr=0.01),
    "short_memory": dict(lr=0.01, alpha=0.8),
    "weight_decay": dict(lr=0.01, alpha=0.9, weight_decay=0.1),
    "momentum": dict(lr=0.005, alpha=0.9, momentum=0.8),
    "centered": dict(lr=0.005, alpha=0.9, centered=True),
    "centered_momentum_and_decay": dict(
        lr=0.003, alpha=0.95, momentum=0.5, centered=True, weight_decay=0.05
    ),
    "large_eps": dict(lr=0.01, alpha=0.9, eps=0.1),  # shows where eps goes
}


RMSPROP_MISTAKES = {
    "eps_inside_sqrt": "eps was added inside the square root; torch adds it to sqrt(v)",
    "centered_plus": "centered: the squared mean gradient was added; the variance is v - g_avg**2",
    "momentum_on_raw_gradient": "the momentum buffer holds the raw gradient; torch buffers g / (sqrt(v) + eps)",
    "alpha_swapped": "alpha weights the old average: v = alpha * v + (1 - alpha) * g**2",
}


@pytest.mark.parametrize("setting", SETTINGS)
def test_follows_torch_rmsprop_step_by_step(setting):
    settings = SETTINGS[setting]
    assert_follows_torch(
        lambda model: ex.RMSprop(model.parameters(), **settings),
        lambda model: torch.optim.RMSprop(model.parameters(), **settings),
        seed=list(SETTINGS).index(setting),
        mistakes={sentence: rmsprop_mistake(name, **settings) for name, sentence in RMSPROP_MISTAKES.items()},
    )


@pytest.mark.parametrize(
    "settings",
    [dict(lr=0.01, momentum=0.9, weight_decay=0.1), dict(lr=0.01, centered=True, weight_decay=0.1)],
    ids=["momentum", "centered"],
)
def test_parameters_without_a_gradient_do_not_move(settings):
    assert_skips_parameters_without_grad(lambda params: ex.RMSprop(params, **settings))
