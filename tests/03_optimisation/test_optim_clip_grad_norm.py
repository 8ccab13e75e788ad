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
    original = [p.grad.clone() for p in reference]
    total = ex.clip_grad_norm(ours, max_norm, norm_type)
    expected_total = torch.nn.utils.clip_grad_norm_(reference, max_norm, norm_type)

    def variant(kind):
        """(returned norm, clipped gradients) of a known mistake."""
        order = 2.0 if kind == "two_norm" else norm_type
        norms = torch.stack([torch.linalg.vector_norm(g, order) for g in original])
        total = norms.sum() if kind == "sum_of_norms" else torch.linalg.vector_norm(norms, order)
        coefficient = max_norm / (total + 1e-6)
        if kind != "always_scales":
            coefficient = coefficient.clamp(max=1.0)
        if kind == "per_parameter":
            grads = [g * (max_norm / (n + 1e-6)).clamp(max=1.0) for g, n in zip(original, norms)]
        else:
            grads = [g * coefficient for g in original]
        if kind == "after_clipping":
            total = torch.linalg.vector_norm(torch.stack([torch.linalg.vector_norm(g, order) for g in grads]), order)
        return total, grads

    kinds = {
        "always_scales": "gradients already within max_norm were scaled up: the coefficient is clamped to at most 1",
        "sum_of_norms": "the per-parameter norms were added; the total is the norm of the vector of their norms",
        "two_norm": "norm_type was ignored (the 2-norm used): take every norm with norm_type",
        "after_clipping": "the norm after clipping was returned; return the total norm from before clipping",
        "per_parameter": "each gradient was clipped on its own; one coefficient from the total norm scales them all",
    }
    assert_close(total, expected_total, name="returned norm (the global norm before clipping)",
                 mistakes={sentence: (lambda kind=kind: variant(kind)[0]) for kind, sentence in kinds.items()})
    for i, (p, q) in enumerate(zip(ours, reference)):
        what = f"gradient of parameter {i} (shape {tuple(p.shape)}) after clipping"
        assert_close(p.grad, q.grad, name=what,
                     mistakes={sentence: (lambda kind=kind, i=i: variant(kind)[1][i]) for kind, sentence in kinds.items()})


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
