import pytest
import torch

from arena_cli.course.function_vectors import last_resid, prompts, run_with_last, task_index
from arena_cli.testing import assert_close, assert_unchanged, load_exercise, show_lines
from arena_cli.zoo import icl, load

ex = load_exercise(__file__)
model = load("icl")
LAYER = icl.STEER_LAYER
COEFFICIENTS = [-1.0, 0.0, 0.5, 1.0, 1.5, 2.0, 3.0]


def contrast_pair(n: int, seed: int):
    """Few-shot prompts of `upper` and the same inputs under `copy`: they differ in case only."""
    positive, _ = prompts(task_index("upper"), n, icl.STEER_EXAMPLES, seed=seed)
    negative, _ = prompts(task_index("copy"), n, icl.STEER_EXAMPLES, seed=seed)
    assert torch.equal(positive[:, 1::2], negative[:, 1::2])
    return positive, negative


def reference_vector(positive, negative, layer):
    return last_resid(model, positive, layer).mean(0) - last_resid(model, negative, layer).mean(0)


@pytest.mark.parametrize("layer", list(range(model.cfg.n_layers)), ids=lambda l: f"layer_{l}")
def test_contrast_vector(layer):
    positive, negative = contrast_pair(24, seed=layer)
    kept = (positive.clone(), negative.clone())
    got = ex.contrast_vector(model, positive, negative, layer)
    assert_unchanged(kept[0], positive, name="positive")
    assert_unchanged(kept[1], negative, name="negative")
    expected = reference_vector(positive, negative, layer)
    name = f"blocks.{layer}.hook_resid_pre"
    every = lambda: model.run_with_cache(positive)[1][name].mean((0, 1)) - model.run_with_cache(negative)[1][name].mean((0, 1))
    assert_close(got, expected, atol=1e-5, name=f"contrast vector entering block {layer}",
                 mistakes={"the sign is flipped: the vector is positive minus negative": -expected,
                           "the mean is over every position; take the last one": every})


def test_steer_scales_the_vector_once():
    positive, negative = contrast_pair(24, seed=7)
    vector = reference_vector(positive, negative, LAYER)
    tokens, _ = prompts(task_index("cipher2"), 16, icl.STEER_EXAMPLES, seed=8)
    for coefficient in (2.5, -0.5):
        got = ex.steer(model, tokens, vector, coefficient, LAYER)
        assert_close(got, run_with_last(model, tokens, LAYER, coefficient * vector), atol=1e-4,
                     name=f"logits steered with coefficient {coefficient}",
                     mistakes={"the coefficient was applied twice (coefficient² * vector)": lambda: run_with_last(model, tokens, LAYER, coefficient ** 2 * vector),
                               "the steering was added twice (2 * coefficient * vector)": lambda: run_with_last(model, tokens, LAYER, 2 * coefficient * vector),
                               "the vector was added at every position; add it at the last one": lambda: run_with_last(model, tokens, LAYER, coefficient * vector, every_position=True),
                               "the sign is flipped: add +coefficient * vector": lambda: run_with_last(model, tokens, LAYER, -coefficient * vector)})


def upper_fraction(tokens, vector, coefficient) -> float:
    return float(icl.is_upper(run_with_last(model, tokens, LAYER, coefficient * vector)[:, -1].argmax(-1)).float().mean())


def test_coefficient_sweep():
    positive, negative = contrast_pair(32, seed=9)
    vector = reference_vector(positive, negative, LAYER)
    series = {}
    for name in ("cipher1", "cipher3", "upper_cipher4"):
        tokens, _ = prompts(task_index(name), 24, icl.STEER_EXAMPLES, seed=10 + task_index(name))
        got = ex.behaviour_by_coefficient(model, tokens, vector, COEFFICIENTS, LAYER)
        assert isinstance(got, list) and len(got) == len(COEFFICIENTS), f"one fraction per coefficient, got {got!r}"
        expected = [upper_fraction(tokens, vector, c) for c in COEFFICIENTS]
        assert_close(torch.tensor(got), torch.tensor(expected), atol=1e-6, name=f"{name}: fraction of uppercase predictions by coefficient",
                     mistakes={"the sign is flipped: add +coefficient * vector": lambda: torch.tensor([upper_fraction(tokens, vector, -c) for c in COEFFICIENTS]),
                               "that is the fraction of lowercase predictions; the behaviour is uppercase": lambda: 1 - torch.tensor(expected),
                               "the coefficient was applied twice (coefficient² * vector)": lambda: torch.tensor([upper_fraction(tokens, vector, c ** 2) for c in COEFFICIENTS])})
        series[name] = got
    show_lines(series, x=COEFFICIENTS, title=f"steering by 'upper' - 'copy' before block {LAYER}: uppercase predictions",
               x_label="coefficient", y_label="fraction uppercase")
