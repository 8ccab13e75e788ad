import math

import pytest
import torch

from arena_cli.testing import assert_close, load_exercise

ex = load_exercise(__file__)

SHAPES = [(3, 4), (5,), (2, 2, 3)]

CASES = {
    # name: (max_norm, norm_type, gradient scale)
    "l2_clipped": (1.0, 2.0, 3.0),
    "l2_below_the_limit": (100.0, 2.0, 1.0),  # nothing to clip: gradients stay as they are
    "l1_clipped": (2.0, 1.0, 1.0),
    "order_3_clipped": (0.5, 3.0, 1.0),
    "inf_norm_clipped": (0.2, math.inf, 1.0),
}


def parameters_with_grads(seed: int, scale: float) -> list[torch.nn.Parameter]:
    generator = torch.Generator().manual_seed(seed)
    params = []
    for shape in SHAPES:
        p = torch.nn.Parameter(torch.randn(shape, generator=generator))
        p.grad = scale * torch.randn(shape, generator=generator)
        params.append(p)
    return params


@pytest.mark.parametrize("case", CASES)
def test_matches_torch_clip_grad_norm(case):
    max_norm, norm_type, scale = CASES[case]
    seed = list(CASES).index(case)
    ours, reference = parameters_with_grads(seed, scale), parameters_with_grads(seed, scale)
    total = ex.clip_grad_norm(ours, max_norm, norm_type)
    expected_total = torch.nn.utils.clip_grad_norm_(reference, max_norm, norm_type)
    assert_close(total, expected_total, name="returned norm (the global norm before clipping)")
    for i, (p, q) in enumerate(zip(ours, reference)):
        what = f"gradient of parameter {i} (shape {tuple(p.shape)}) after clipping"
        assert_close(p.grad, q.grad, name=what)


def test_clipping_uses_one_coefficient_for_all_gradients():
    # one big and one small gradient: clipping each on its own would leave the small one alone
    big, small = torch.nn.Parameter(torch.zeros(2)), torch.nn.Parameter(torch.zeros(2))
    big.grad, small.grad = torch.tensor([30.0, 40.0]), torch.tensor([0.3, 0.4])
    ex.clip_grad_norm([big, small], max_norm=5.0)
    ratio = 5.0 / (math.hypot(50.0, 0.5) + 1e-6)
    assert_close(small.grad, torch.tensor([0.3, 0.4]) * ratio, name="small gradient, clipped globally")
    assert_close(big.grad, torch.tensor([30.0, 40.0]) * ratio, name="big gradient, clipped globally")


def test_parameters_without_a_gradient_are_skipped():
    params = parameters_with_grads(7, 2.0)
    params.insert(1, torch.nn.Parameter(torch.ones(3)))  # .grad is None
    reference = parameters_with_grads(7, 2.0)
    total = ex.clip_grad_norm(params, 1.0)
    expected_total = torch.nn.utils.clip_grad_norm_(reference, 1.0)
    assert params[1].grad is None, "a parameter without a gradient must keep .grad = None"
    assert_close(total, expected_total, name="returned norm, with a gradient-less parameter")


def test_accepts_a_generator_of_parameters():
    # model.parameters() is a generator: it can be iterated only once
    reference = parameters_with_grads(3, 3.0)
    ours = parameters_with_grads(3, 3.0)
    ex.clip_grad_norm((p for p in ours), 1.0)
    torch.nn.utils.clip_grad_norm_(reference, 1.0)
    for i, (p, q) in enumerate(zip(ours, reference)):
        assert_close(p.grad, q.grad, name=f"gradient {i} when params is a generator")
