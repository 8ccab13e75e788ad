import pytest
import torch

from arena_cli.course.optim import (
    adam_mistake,
    assert_counts_steps_per_parameter,
    assert_follows_torch,
    assert_skips_parameters_without_grad,
)
from arena_cli.testing import load_exercise

ex = load_exercise(__file__)

SETTINGS = {
    "default_decay": dict(lr=0.01),  # AdamW's default weight_decay is 0.01
    "strong_decay": dict(lr=0.01, weight_decay=0.5),
    "no_decay": dict(lr=0.01, weight_decay=0.0),
    "short_memories_and_decay": dict(lr=0.02, betas=(0.5, 0.9), weight_decay=0.2),
    "large_eps_and_decay": dict(lr=0.01, eps=0.05, weight_decay=0.1),
}


ADAM_MISTAKES = {
    "no_bias_correction": "no bias correction: divide m by (1 - beta1**t) and v by (1 - beta2**t)",
    "eps_inside_sqrt": "eps was added inside the square root; torch adds it to sqrt(v_hat)",
    "other_decay": "Adam's L2 decay was used (weight_decay * p added to g); AdamW shrinks p by (1 - lr * weight_decay) instead",
    "decay_after_update": "the decay was applied after the Adam update; torch shrinks p first",
    "decay_without_lr": "p was shrunk by (1 - weight_decay); the factor is (1 - lr * weight_decay)",
}


@pytest.mark.parametrize("setting", SETTINGS)
def test_follows_torch_adamw_step_by_step(setting):
    settings = SETTINGS[setting]
    assert_follows_torch(
        lambda model: ex.AdamW(model.parameters(), **settings),
        lambda model: torch.optim.AdamW(model.parameters(), **settings),
        seed=list(SETTINGS).index(setting),
        mistakes={
            sentence: adam_mistake(name, decoupled=True, **{"weight_decay": 0.01, **settings})
            for name, sentence in ADAM_MISTAKES.items()
        },
    )


def test_parameters_without_a_gradient_do_not_move():
    assert_skips_parameters_without_grad(lambda params: ex.AdamW(params, lr=0.01, weight_decay=0.5))



def test_steps_are_counted_per_parameter():
    settings = dict(lr=0.05, betas=(0.8, 0.9), weight_decay=0.1)
    assert_counts_steps_per_parameter(
        lambda params: ex.AdamW(params, **settings),
        lambda params: torch.optim.AdamW(params, **settings),
        decoupled=True,
    )
