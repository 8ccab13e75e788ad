import pytest
import torch
from torch import nn

from arena_cli.course.optim import assert_follows_torch, tiny_mlp
from arena_cli.testing import load_exercise, mistake

ex = load_exercise(__file__)

# tiny_mlp is Linear(5, 8) -> LayerNorm(8) -> Tanh -> Linear(8, 3)
DECAYED = {"0.weight", "3.weight"}
NOT_DECAYED = {"0.bias", "1.weight", "1.bias", "3.bias"}


def decay_by_name(model: nn.Module, groups) -> dict[str, float]:
    """Map each parameter's name to the weight decay of the group that holds it."""
    assert isinstance(groups, list) and all(isinstance(g, dict) for g in groups), (
        "return a list of dicts, each with 'params' and 'weight_decay'"
    )
    names = {id(p): name for name, p in model.named_parameters()}
    seen: dict[str, float] = {}
    for group in groups:
        for p in group["params"]:
            name = names.get(id(p))
            assert name is not None, "a group holds a tensor that is not a parameter of the model"
            if name in seen:
                raise mistake(
                    f"parameter {name!r} is listed twice (in two groups, or twice in one); list each parameter "
                    "once: model.parameters() already skips a tied parameter's second name"
                )
            seen[name] = group["weight_decay"]
    return seen


def test_matrices_decay_and_vectors_do_not():
    model = tiny_mlp(0)
    decay = decay_by_name(model, ex.weight_decay_groups(model, 0.1))
    assert set(decay) == DECAYED | NOT_DECAYED, (
        "every trainable parameter must be in a group; missing: "
        f"{sorted(DECAYED | NOT_DECAYED - set(decay))}"
    )
    wrong = {name: wd for name, wd in decay.items() if wd != (0.1 if name in DECAYED else 0.0)}
    if wrong and all(wd == (0.0 if name in DECAYED else 0.1) for name, wd in decay.items()):
        raise mistake("the groups are swapped: matrices (ndim >= 2) decay, vectors (biases, norm gains) do not")
    if wrong and set(wrong) == {"1.weight"}:
        raise mistake("the LayerNorm gain was decayed (sorted by name?): sort by p.ndim, 1-d parameters get no decay")
    assert not wrong, (
        f"weight decay of these parameters is wrong: {wrong} (weights of Linear layers get 0.1; "
        "biases and LayerNorm parameters get 0.0)"
    )


def test_frozen_parameters_are_left_out():
    model = tiny_mlp(0)
    model[0].requires_grad_(False)
    decay = decay_by_name(model, ex.weight_decay_groups(model, 0.1))
    if {"0.weight", "0.bias"} & set(decay):
        raise mistake("frozen parameters (requires_grad False) are in the groups; leave them out")
    assert set(decay) == {"3.weight", "1.weight", "1.bias", "3.bias"}, (
        f"with the first Linear frozen, the groups should hold exactly the trainable parameters; "
        f"got {sorted(decay)}"
    )


def test_rule_goes_by_dimension_for_other_layers():
    model = nn.Sequential(nn.Embedding(10, 4), nn.Conv1d(4, 6, 3), nn.BatchNorm1d(6))
    decay = decay_by_name(model, ex.weight_decay_groups(model, 0.3))
    expected = {"0.weight": 0.3, "1.weight": 0.3, "1.bias": 0.0, "2.weight": 0.0, "2.bias": 0.0}
    assert decay == expected, f"expected {expected}, got {decay}"


@pytest.mark.parametrize("weight_decay", [0.05, 0.5], ids=["light_decay", "strong_decay"])
def test_adamw_with_these_groups_trains_as_with_hand_made_groups(weight_decay):
    def hand_made(model):
        layers = model  # tiny_mlp: Linear(5, 8) -> LayerNorm(8) -> Tanh -> Linear(8, 3)
        return [
            {"params": [layers[0].weight, layers[3].weight], "weight_decay": weight_decay},
            {
                "params": [layers[0].bias, layers[1].weight, layers[1].bias, layers[3].bias],
                "weight_decay": 0.0,
            },
        ]

    assert_follows_torch(
        lambda model: torch.optim.AdamW(ex.weight_decay_groups(model, weight_decay), lr=0.02),
        lambda model: torch.optim.AdamW(hand_made(model), lr=0.02),
        seed=3,
    )


def test_a_tied_parameter_is_listed_once():
    class Tied(nn.Module):
        def __init__(self):
            super().__init__()
            self.embed = nn.Embedding(10, 4)
            self.unembed = nn.Linear(4, 10, bias=False)
            self.unembed.weight = self.embed.weight  # one parameter under two names

    model = Tied()
    decay = decay_by_name(model, ex.weight_decay_groups(model, 0.2))
    assert decay == {"embed.weight": 0.2}, f"expected the tied weight once, decayed; got {decay}"
