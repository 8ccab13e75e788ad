import numpy as np
import pytest
import torch
from torch import nn

from arena_cli.course import backprop as bp
from arena_cli.testing import assert_close, load_exercise, mistake

ex = load_exercise(__file__)


def torch_copy(layer) -> nn.Linear:
    """An nn.Linear holding the same weights as `layer` (float64)."""
    twin = nn.Linear(layer.weight.shape[1], layer.weight.shape[0], bias=layer.bias is not None).double()
    with torch.no_grad():
        twin.weight.copy_(torch.tensor(layer.weight.array))
        if layer.bias is not None:
            twin.bias.copy_(torch.tensor(layer.bias.array))
    return twin


CASES = {
    "rectangular": (4, 3, (5, 4), True),
    "square": (3, 3, (6, 3), True),  # a missing transpose has the right shape here
    "batched_input": (4, 2, (2, 3, 4), True),
    "without_bias": (5, 3, (4, 5), False),
    "one_example": (3, 4, (1, 3), True),
}


@pytest.mark.parametrize("n_in, n_out, x_shape, bias", CASES.values(), ids=CASES.keys())
def test_forward_and_gradients_match_torch(n_in, n_out, x_shape, bias):
    rng = np.random.default_rng(n_in * 10 + n_out)
    layer = ex.Linear(n_in, n_out, bias=bias, rng=np.random.default_rng(1))
    twin = torch_copy(layer)
    x_np, g_np = rng.normal(size=x_shape), rng.normal(size=x_shape[:-1] + (n_out,))

    x = bp.Tensor(x_np, requires_grad=True)
    out = layer(x)
    assert isinstance(out, bp.Tensor), f"forward should return a Tensor, got {type(out).__name__}"
    (out * g_np).sum().backward()
    tx = torch.tensor(x_np, requires_grad=True)
    t_out = twin(tx)
    (t_out * torch.tensor(g_np)).sum().backward()

    assert_close(out.array, t_out, atol=1e-12, name="Linear output vs nn.Linear with the same weights")
    assert layer.weight.grad is not None, "no gradient reached weight: build forward from Tensor operations"
    assert_close(layer.weight.grad, twin.weight.grad, atol=1e-10, name="weight.grad")
    assert_close(x.grad, tx.grad, atol=1e-10, name="gradient of the input")
    if bias:
        assert layer.bias is not None and layer.bias.grad is not None, "no gradient reached bias"
        assert_close(layer.bias.grad, twin.bias.grad, atol=1e-10, name="bias.grad")
    elif layer.bias is not None:
        raise mistake("a bias was created although bias=False; set self.bias = None then")


@pytest.mark.parametrize("bias", [True, False], ids=["with_bias", "without_bias"])
def test_parameters_match_torch_names_and_shapes(bias):
    layer = ex.Linear(5, 3, bias=bias, rng=np.random.default_rng(0))
    if getattr(getattr(layer, "weight", None), "shape", None) == (5, 3):
        raise mistake("weight is stored [in_features, out_features]; nn.Linear stores it [out_features, in_features] "
                      "and computes x @ weight.T")
    got = [(name, p.shape) for name, p in layer.named_parameters()]
    want = [(name, tuple(p.shape)) for name, p in nn.Linear(5, 3, bias=bias).named_parameters()]
    assert got == want, f"named_parameters() gave {got}, nn.Linear has {want}"
    assert all(isinstance(p, bp.Parameter) for _, p in layer.named_parameters()), "weight and bias must be Parameters"


def test_initialisation_is_uniform_in_plus_minus_one_over_sqrt_fan_in():
    n_in, n_out = 64, 48
    layer = ex.Linear(n_in, n_out, rng=np.random.default_rng(123))
    bound = 1 / np.sqrt(n_in)
    w, b = layer.weight.array, layer.bias.array
    fan_out_bound = 1 / np.sqrt(n_out)
    if bound < np.abs(w).max() <= fan_out_bound and np.abs(w).max() > 0.95 * fan_out_bound:
        raise mistake("the init bound used out_features; it is 1/sqrt(in_features) (the fan-in)",
                      f"max |w| is {np.abs(w).max():.4f}, close to 1/sqrt({n_out}) = {fan_out_bound:.4f}; 1/sqrt({n_in}) = {bound:.4f}")
    assert np.abs(w).max() <= bound and np.abs(b).max() <= bound, (
        f"all initial values must lie in [-1/sqrt(in), 1/sqrt(in)] = ±{bound:.4f}; got max |w| {np.abs(w).max():.4f}, max |b| {np.abs(b).max():.4f}"
    )
    # For 3072 independent uniform draws: P(max |w| < 0.95 bound) = 0.95**3072 < 1e-60 and
    # P(max |b| < 0.5 bound) = 0.5**48 < 1e-14; the sample std has a relative spread under 1 %, so
    # 10 % is over 12 standard deviations away: these bounds fail only for a wrong distribution.
    assert np.abs(w).max() > 0.95 * bound, f"weights should fill ±1/sqrt(in) = ±{bound:.4f}; max |w| is only {np.abs(w).max():.4f}"
    assert np.abs(b).max() > 0.5 * bound, f"the bias should be drawn from ±1/sqrt(in) too; max |b| is only {np.abs(b).max():.4f}"
    assert abs(w.std() / (bound / np.sqrt(3)) - 1) < 0.1, f"weight std {w.std():.4f}; a uniform ±{bound:.4f} has std {bound / np.sqrt(3):.4f}"
    assert abs(w.mean()) < 0.1 * bound, f"weights should be centred at 0; mean is {w.mean():.4f}"


def test_initialisation_uses_the_given_generator():
    a = ex.Linear(4, 3, rng=np.random.default_rng(7))
    b = ex.Linear(4, 3, rng=np.random.default_rng(7))
    c = ex.Linear(4, 3, rng=np.random.default_rng(8))
    assert_close(a.weight.array, b.weight.array, atol=0, name="weights of two layers made with the same seed")
    assert not np.allclose(a.weight.array, c.weight.array), "layers made with different seeds should differ: draw from `rng`"


def test_initialisation_draws_the_weight_then_the_bias():
    layer = ex.Linear(4, 3, rng=np.random.default_rng(11))
    rng = np.random.default_rng(11)
    bound = 1 / np.sqrt(4)
    weight = rng.uniform(-bound, bound, size=(3, 4))
    bias = rng.uniform(-bound, bound, size=(3,))
    other = np.random.default_rng(11)
    bias_first = other.uniform(-bound, bound, size=(3,))
    weight_second = other.uniform(-bound, bound, size=(3, 4))
    assert_close(layer.weight.array, weight, atol=0, name="weight of Linear(4, 3, rng=default_rng(11))",
                 mistakes={"the bias was drawn before the weight: draw the weight first, as torch does": weight_second})
    assert_close(layer.bias.array, bias, atol=0, name="bias of Linear(4, 3, rng=default_rng(11))",
                 mistakes={"the bias was drawn before the weight: draw the weight first, as torch does": bias_first})
