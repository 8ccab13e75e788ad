import pytest
import torch
import torch.nn.functional as F
from torch import nn

from arena_cli.testing import assert_close, assert_unchanged, load_exercise, mistake

ex = load_exercise(__file__)


def linear_layers(model):
    return [m for m in model.modules() if isinstance(m, nn.Linear)]


@pytest.mark.parametrize(
    "sizes", [(64, 100, 10), (12, 7, 3)], ids=["defaults", "custom_sizes"]
)
def test_two_linear_layers_of_the_right_sizes(sizes):
    in_features, hidden, n_classes = sizes
    model = ex.SimpleMLP() if sizes == (64, 100, 10) else ex.SimpleMLP(in_features, hidden, n_classes)
    layers = linear_layers(model)
    assert len(layers) == 2, f"expected 2 nn.Linear layers, found {len(layers)}"
    first, second = layers
    assert (first.in_features, first.out_features) == (in_features, hidden), (
        f"first linear layer: expected {in_features} -> {hidden}, got {first.in_features} -> {first.out_features}"
    )
    assert (second.in_features, second.out_features) == (hidden, n_classes), (
        f"second linear layer: expected {hidden} -> {n_classes}, got {second.in_features} -> {second.out_features}"
    )
    assert first.bias is not None and second.bias is not None, "both linear layers need a bias"


def test_parameter_count_of_the_default_model():
    count = sum(p.numel() for p in ex.SimpleMLP().parameters())
    assert count == 64 * 100 + 100 + 100 * 10 + 10, f"expected 7510 parameters, got {count}"


@pytest.mark.parametrize("input_shape", [(5, 1, 8, 8), (5, 64), (1, 4, 4, 4)], ids=["images", "flat_rows", "one_3d_image"])
def test_forward_is_flatten_linear_relu_linear(input_shape):
    torch.manual_seed(0)
    model = ex.SimpleMLP()
    x = torch.randn(input_shape)
    first, second = linear_layers(model)
    hidden = F.relu(F.linear(x.reshape(len(x), -1), first.weight, first.bias))
    expected = F.linear(hidden, second.weight, second.bias)  # no ReLU on the logits
    assert_close(model(x), expected, atol=1e-5, name=f"SimpleMLP on input of shape {input_shape}")


def test_the_layers_are_the_ones_asked_for():
    model = ex.SimpleMLP(in_features=12, hidden=7, n_classes=3)
    kinds = [type(m) for m in model.modules()]
    if nn.ReLU not in kinds:
        names = sorted({k.__name__ for k in kinds if k.__module__.startswith("torch.nn.modules.activation")})
        raise mistake("there is no ReLU between the two linear layers" + (f" (found {names})" if names else "")
                      + ": without it the network is linear")
    linears = [m for m in model.modules() if isinstance(m, nn.Linear)]
    shapes = [(m.in_features, m.out_features) for m in linears]
    if shapes != [(12, 7), (7, 3)] and len(shapes) == 2 and shapes[0][1] != 7:
        raise mistake("the hidden width was not taken from `hidden`", f"linear layers {shapes}, expected [(12, 7), (7, 3)]")
    assert shapes == [(12, 7), (7, 3)], f"linear layers {shapes}, expected [(12, 7), (7, 3)]"
