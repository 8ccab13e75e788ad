"""Shared by the checks of section 02_cnns.

- every check runs torch on one thread (restored afterwards): the tensors here are tiny, and
  on a busy machine several threads per process wait on each other far longer than they compute.
- `forbid("torch.nn.functional.conv2d", ...)`: makes those functions raise for the rest of one
  test, so a check can say that the exercise's rules were not followed. Compute expected values
  with them *before* calling `forbid`.
- `assert_uniform_init(values, bound, what)`: the values look like independent draws from
  uniform(-bound, bound). Three parts, each failing a correct initialisation with probability
  below 1e-9 (so the whole check below 3e-9, whatever the seed):
    1. no value is outside [-bound, bound];
    2. the largest |value| is at least bound * (1 - t), with (1 - t)^n = 1e-9 for n draws
       (all n draws stay below that with probability (1 - t)^n);
    3. Kolmogorov-Smirnov distance to the uniform CDF at most eps, with
       2 exp(-2 n eps^2) = 1e-9 (the Dvoretzky-Kiefer-Wolfowitz inequality, Massart's constant).
"""

import math

import pytest

import torch

from arena_cli.testing import forbidder, torch_on_one_thread

FALSE_FAILURE = 1e-9


@pytest.fixture(autouse=True, scope="module")  # module: before the module-scoped training fixtures
def one_torch_thread():
    with torch_on_one_thread():
        yield


@pytest.fixture
def forbid(monkeypatch):
    return forbidder(monkeypatch)


def _assert_uniform_init(values: torch.Tensor, bound: float, what: str) -> None:
    values = values.detach().flatten().double()
    n = values.numel()
    largest = values.abs().max().item()
    assert largest <= bound * (1 + 1e-6), (
        f"{what}: a value of magnitude {largest:.4g} is outside the bound {bound:.4g} "
        "(1/sqrt(fan_in)); is the bound computed from the right number of inputs?"
    )
    fill = 1 - FALSE_FAILURE ** (1 / n)
    assert largest >= bound * (1 - fill), (
        f"{what}: the largest of {n} values has magnitude {largest:.4g}, but uniform draws in "
        f"+-{bound:.4g} would reach at least {bound * (1 - fill):.4g}; the bound looks too small "
        "(fan-in is the number of inputs of one output)"
    )
    ordered = values.sort().values
    cdf = ((ordered + bound) / (2 * bound)).clamp(0, 1)  # the uniform CDF at each draw
    ranks = torch.arange(1, n + 1, dtype=torch.float64)
    distance = torch.maximum(ranks / n - cdf, cdf - (ranks - 1) / n).max().item()
    eps = math.sqrt(math.log(2 / FALSE_FAILURE) / (2 * n))
    assert distance <= eps, (
        f"{what}: the values are not spread uniformly over [-{bound:.4g}, {bound:.4g}] "
        f"(Kolmogorov-Smirnov distance {distance:.3f} > {eps:.3f}); draw them with uniform_"
    )


@pytest.fixture
def assert_uniform_init():
    return _assert_uniform_init
