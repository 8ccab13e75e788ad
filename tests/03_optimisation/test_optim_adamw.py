import pytest
import torch

from arena_cli.course.optim import assert_follows_torch, assert_skips_parameters_without_grad
from arena_cli.testing import load_exercise

ex = load_exercise(__file__)

SETTINGS = {
    "default_decay": dict(lr=0.01),  # AdamW's default weight_decay is 0.01
    "strong_decay": dict(lr=0.01, weight_decay=0.5),
    "no_decay": dict(lr=0.01, weight_decay=0.0),
    "short_memories_and_decay": dict(lr=0.02, betas=(0.5, 0.9), weight_decay=0.2),
    "large_eps_and_decay": dict(lr=0.01, eps=0.05, weight_decay=0.1),
}


@pytest.mark.parametrize("setting", SETTINGS)
def test_follows_torch_adamw_step_by_step(setting):
    settings = SETTINGS[setting]
    assert_follows_torch(
        lambda model: ex.AdamW(model.parameters(), **settings),
        lambda model: torch.optim.AdamW(model.parameters(), **settings),
        seed=list(SETTINGS).index(setting),
    )


def test_parameters_without_a_gradient_do_not_move():
    assert_skips_parameters_without_grad(lambda params: ex.AdamW(params, lr=0.01, weight_decay=0.5))

