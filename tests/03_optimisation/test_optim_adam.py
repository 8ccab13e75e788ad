import pytest
import torch

from arena_cli.course.optim import (
    adam_mistake,
    assert_counts_steps_per_parameter,
    assert_follows_torch,
    assert_skips_parameters_without_grad,
)
from arena_cli.testing import assert_close, load_exercise

ex = load_exercise(__file__)

SETTINGS = {
    "defaults_faster": dict(lr=0.01),
    "short_memories": dict(lr=0.01, betas=(0.5, 0.9)),
    "slow_first_moment": dict(lr=0.02, betas=(0.95, 0.99)),
    "weight_decay_as_l2": dict(lr=0.01, weight_decay=0.1),
    "large_eps": dict(lr=0.01, eps=0.05),  # shows where eps goes
}


ADAM_MISTAKES = {
    "no_bias_correction": "no bias correction: divide m by (1 - beta1**t) and v by (1 - beta2**t)",
    "eps_inside_sqrt": "eps was added inside the square root; torch adds it to sqrt(v_hat)",
    "other_decay": "AdamW's decoupled decay was used; torch.optim.Adam adds weight_decay * p to the gradient",
}


@pytest.mark.parametrize("setting", SETTINGS)
def test_follows_torch_adam_step_by_step(setting):
    settings = SETTINGS[setting]
    assert_follows_torch(
        lambda model: ex.Adam(model.parameters(), **settings),
        lambda model: torch.optim.Adam(model.parameters(), **settings),
        seed=list(SETTINGS).index(setting),
        mistakes={
            sentence: adam_mistake(name, decoupled=False, **{"weight_decay": 0.0, **settings})
            for name, sentence in ADAM_MISTAKES.items()
        },
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


def test_steps_are_counted_per_parameter():
    settings = dict(lr=0.05, betas=(0.8, 0.9), weight_decay=0.1)
    assert_counts_steps_per_parameter(
        lambda params: ex.Adam(params, **settings),
        lambda params: torch.optim.Adam(params, **settings),
        decoupled=False,
    )
