import math

import pytest
import torch
from transformer_lens.head_detector import detect_head

from arena_cli.testing import load_exercise, mistake
from arena_cli.zoo import load

ex = load_exercise(__file__)
model = load("induction")


def monte_carlo(d_model: int, d_head: int, n: int, seed: int) -> tuple[float, float]:
    """Mean and standard deviation of the score of n random pairs, on dense matrices."""
    gen = torch.Generator().manual_seed(seed)
    draw = lambda *s: torch.randn(n, *s, generator=gen)  # noqa: E731
    A = draw(d_model, d_head) @ draw(d_head, d_model)
    B = draw(d_model, d_head) @ draw(d_head, d_model)
    fro = lambda m: torch.linalg.matrix_norm(m, ord="fro")  # noqa: E731
    scores = fro(A @ B) / (fro(A) * fro(B))
    return scores.mean().item(), scores.std().item()


@pytest.mark.parametrize("d_model, d_head", [(64, 16), (16, 4), (32, 32)], ids=["64_by_16", "16_by_4", "32_by_32"])
def test_baseline_matches_a_large_monte_carlo_estimate(d_model, d_head):
    n = 300
    got = ex.random_composition_baseline(d_model, d_head, n, torch.Generator().manual_seed(d_model))
    assert isinstance(got, float), f"return a Python float, got {type(got).__name__}"
    mean, std = monte_carlo(d_model, d_head, 2000, seed=12345)
    # both are sample means; 7 standard errors of their difference: false failure < 1e-11
    tolerance = 7 * std * math.sqrt(1 / n + 1 / 2000)
    assert abs(got - mean) < tolerance, (
        f"baseline for d_model {d_model}, d_head {d_head}: got {got:.4f}, expected {mean:.4f} ± {tolerance:.4f} "
        "(the mean normalised score of random rank-d_head pairs)"
    )


@pytest.mark.parametrize("d_model, d_head, n", [(8, 2, 5), (64, 16, 40)], ids=["8_by_2", "64_by_16"])
def test_replays_the_stated_draws(d_model, d_head, n):
    gen = torch.Generator().manual_seed(n)
    factors = [torch.randn(n, *shape, generator=gen) for shape in [(d_model, d_head), (d_head, d_model)] * 2]
    A, B = factors[0] @ factors[1], factors[2] @ factors[3]
    fro = lambda m: torch.linalg.matrix_norm(m, ord="fro")  # noqa: E731
    expected = (fro(A @ B) / (fro(A) * fro(B))).mean().item()
    got = ex.random_composition_baseline(d_model, d_head, n, torch.Generator().manual_seed(n))
    gen = torch.Generator().manual_seed(n)
    interleaved = [torch.randn(n, *shape, generator=gen) for shape in [(d_model, d_head), (d_model, d_head), (d_head, d_model), (d_head, d_model)]]
    gen = torch.Generator().manual_seed(n)
    square = [torch.randn(n, d_model, d_model, generator=gen) for _ in range(2)]
    variants = {
        "the factors were drawn in another order (both left factors first); draw W_A left, W_A right, W_B left, W_B right":
            (fro((interleaved[0] @ interleaved[2]) @ (interleaved[1] @ interleaved[3]))
             / (fro(interleaved[0] @ interleaved[2]) * fro(interleaved[1] @ interleaved[3]))).mean().item(),
        "these are full-rank d_model x d_model matrices; each must be a product of [d_model, d_head] and [d_head, d_model] factors":
            (fro(square[0] @ square[1]) / (fro(square[0]) * fro(square[1]))).mean().item(),
        "the score is not normalised: divide ||W_A W_B|| by ||W_A|| ||W_B||": fro(A @ B).mean().item(),
    }
    for sentence, value in variants.items():
        if abs(got - expected) >= 1e-5 and abs(got - value) < 1e-4 * max(1.0, abs(value)):
            raise mistake(sentence, f"got {got:.6f}; the stated draws give {expected:.6f}")
    assert abs(got - expected) < 1e-5, (
        f"with the draws in the stated order (W_A left, W_A right, W_B left, W_B right) the mean score is "
        f"{expected:.6f}; got {got:.6f}"
    )


def test_uses_the_generator():
    a = ex.random_composition_baseline(16, 4, 20, torch.Generator().manual_seed(0))
    b = ex.random_composition_baseline(16, 4, 20, torch.Generator().manual_seed(0))
    c = ex.random_composition_baseline(16, 4, 20, torch.Generator().manual_seed(1))
    assert a == b and a != c, "the generator you are given must decide the draws (pass generator= to torch.randn)"


def test_previous_token_head_composes_far_above_the_baseline():
    baseline = ex.random_composition_baseline(64, 16, 300, torch.Generator().manual_seed(0))
    _, std = monte_carlo(64, 16, 500, seed=1)
    prev = int(detect_head(model, "t1 t2 t3 t4 t5 t6 t7 t8 t9 t10 t11 t12", "previous_token_head")[0].argmax())
    k_comp = (model.OV[0, prev] @ model.QK[1].T).norm() / (model.OV[0, prev].norm() * model.QK[1].norm())  # [layer-1 head]
    assert bool((k_comp > baseline + 5 * std).all()), (
        f"K-composition of the previous-token head L0H{prev} with the layer-1 heads is {k_comp.tolist()}; "
        f"your baseline {baseline:.4f} (std of one random score {std:.4f}) should lie far below all of them"
    )
