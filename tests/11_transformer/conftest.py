"""Shared by the checks of section 11_transformer.

Every check runs torch on one thread (restored afterwards): the models here are tiny, and on a
busy machine two threads per process wait on each other far longer than they compute (a
training step of a 2-layer, d_model 32 model measured 0.03 s on one thread and 2 s on two).
"""

import math

import pytest
import torch

from arena_cli.testing import torch_on_one_thread


@pytest.fixture(autouse=True, scope="module")
def one_torch_thread():
    with torch_on_one_thread():
        yield


FALSE_FAILURE = 1e-9


def _assert_frequencies(samples: torch.Tensor, probs: torch.Tensor, what: str) -> None:
    """`samples` (token ids) look like independent draws from `probs` [d_vocab].

    For each token, the observed frequency of n draws is within eps of its probability, with
    eps from Hoeffding's inequality and a union bound over the tokens:
    d_vocab * 2 exp(-2 n eps^2) = 1e-9, so a correct sampler fails with probability below 1e-9
    whatever the seed.
    """
    samples = samples.flatten()
    n, vocab = samples.numel(), probs.numel()
    eps = math.sqrt(math.log(2 * vocab / FALSE_FAILURE) / (2 * n))
    observed = torch.bincount(samples, minlength=vocab).double() / n
    worst = int((observed - probs.double()).abs().argmax())
    gap = float((observed - probs.double()).abs()[worst])
    assert gap <= eps, (
        f"{what}: token {worst} was drawn {observed[worst]:.4f} of the time over {n} draws, but its "
        f"probability is {float(probs[worst]):.4f} (allowed deviation {eps:.4f}); "
        f"observed {[round(float(f), 3) for f in observed]}, expected {[round(float(p), 3) for p in probs]}"
    )


@pytest.fixture
def assert_frequencies():
    return _assert_frequencies


def _assert_gradient_reaches_every_parameter(module: torch.nn.Module, output: torch.Tensor) -> None:
    """Backpropagate a random projection of `output` and require a non-zero gradient on every
    parameter of `module` (a `.data`, `.detach()` or `torch.no_grad()` in the forward cuts it)."""
    from arena_cli.testing import mistake

    module.zero_grad(set_to_none=True)
    if not output.requires_grad:
        raise mistake(
            "no gradient reaches any parameter: the output must be computed from them with differentiable "
            "operations (no `.data`, `.detach()`, `torch.no_grad()` or a copy into a new tensor)"
        )
    weights = torch.randn(output.shape, generator=torch.Generator().manual_seed(0))
    (output * weights).sum().backward()
    for name, param in module.named_parameters():
        if param.grad is None or not bool(param.grad.abs().sum() > 0):
            raise mistake(
                f"no gradient reaches the parameter `{name}`: the output must be computed from it with "
                "differentiable operations (no `.data`, `.detach()`, `torch.no_grad()` or a copy into a new tensor)"
            )
    module.zero_grad(set_to_none=True)


@pytest.fixture
def assert_gradient_reaches_every_parameter():
    return _assert_gradient_reaches_every_parameter
