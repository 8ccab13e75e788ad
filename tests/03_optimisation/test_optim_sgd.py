import pytest
import torch

from arena_cli.course.optim import assert_follows_torch, assert_skips_parameters_without_grad, sgd_mistake
from arena_cli.testing import load_exercise

ex = load_exercise(__file__)

SETTINGS = {
    "plain": dict(lr=0.1),
    "weight_decay": dict(lr=0.1, weight_decay=0.05),
    "momentum": dict(lr=0.05, momentum=0.9),
    "momentum_with_dampening": dict(lr=0.05, momentum=0.9, dampening=0.5),
    "nesterov": dict(lr=0.05, momentum=0.9, nesterov=True),
    "nesterov_with_weight_decay": dict(lr=0.05, momentum=0.8, weight_decay=0.01, nesterov=True),
    "momentum_dampening_and_decay": dict(lr=0.03, momentum=0.7, dampening=0.3, weight_decay=0.02),
}


SGD_MISTAKES = {
    "nesterov_ignored": "nesterov=True was ignored: step along g + momentum * buffer, not the buffer alone",
    "dampened_first_step": "the first step's buffer was dampened; torch starts the buffer at g itself",
    "decay_after_momentum": "weight decay was added after the momentum buffer; add weight_decay * p to g first",
    "dampening_ignored": "dampening was ignored: buffer = momentum * buffer + (1 - dampening) * g",
}


@pytest.mark.parametrize("setting", SETTINGS)
def test_follows_torch_sgd_step_by_step(setting):
    settings = SETTINGS[setting]
    assert_follows_torch(
        lambda model: ex.SGD(model.parameters(), **settings),
        lambda model: torch.optim.SGD(model.parameters(), **settings),
        seed=list(SETTINGS).index(setting),
        mistakes={sentence: sgd_mistake(name, **settings) for name, sentence in SGD_MISTAKES.items()},
    )


@pytest.mark.parametrize(
    "settings",
    [dict(lr=0.1, momentum=0.9, weight_decay=0.1), dict(lr=0.1, weight_decay=0.1)],
    ids=["with_momentum", "without_momentum"],
)
def test_parameters_without_a_gradient_do_not_move(settings):
    assert_skips_parameters_without_grad(lambda params: ex.SGD(params, **settings))


def test_gradients_are_left_as_they_are():
    p = torch.nn.Parameter(torch.tensor([1.0, -1.0], dtype=torch.float64))
    p.grad = torch.tensor([0.5, 0.25], dtype=torch.float64)
    ex.SGD([p], lr=0.1, momentum=0.9, weight_decay=0.1).step()
    assert torch.equal(p.grad, torch.tensor([0.5, 0.25], dtype=torch.float64)), (
        f"step() changed p.grad to {p.grad.tolist()}: compute g = p.grad + wd * p as a new "
        "tensor instead of adding to p.grad in place"
    )
