import itertools
import json

import numpy as np
import pytest
from scipy import stats
from sklearn.model_selection import ParameterGrid

from arena_cli.testing import load_exercise, mistake

ex = load_exercise(__file__)

SPACES = {
    "one_key": {"lr": [0.1, 0.01, 0.001]},
    "two_keys": {"lr": [0.1, 0.01], "hidden": [8, 16, 32]},
    "three_keys_mixed_types": {"optimizer": ["sgd", "adam"], "lr": [1e-3], "batch": [16, 64]},
    "empty_space": {},
}


def canonical(configs) -> list[str]:
    return sorted(json.dumps(config, sort_keys=True) for config in configs)


@pytest.mark.parametrize("space", SPACES)
def test_same_configurations_as_sklearn_parameter_grid(space):
    got = ex.grid_configs(SPACES[space])
    assert isinstance(got, list) and all(isinstance(c, dict) for c in got), "return a list of dicts"
    expected = list(ParameterGrid(SPACES[space]))
    assert len(got) == len(expected), f"expected {len(expected)} configurations, got {len(got)}"
    assert canonical(got) == canonical(expected), (
        f"configurations differ from sklearn's ParameterGrid:\n got      {canonical(got)}\n "
        f"expected {canonical(expected)}"
    )


def test_order_is_nested_loops_over_the_keys_in_order():
    got = ex.grid_configs({"b": [1, 2], "a": ["x", "y"]})
    expected = [{"b": 1, "a": "x"}, {"b": 1, "a": "y"}, {"b": 2, "a": "x"}, {"b": 2, "a": "y"}]
    assert got == expected, f"the last key should change fastest: expected {expected}, got {got}"


RANGES = {"learning_rate": (1e-5, 1e-1), "weight_decay": (1e-4, 1.0), "narrow": (0.5, 2.0)}


@pytest.mark.parametrize("bounds", RANGES)
def test_log_uniform_matches_scipy_loguniform(bounds):
    # Kolmogorov-Smirnov test of 4000 draws against scipy's log-uniform distribution. With the
    # fixed seed the outcome is deterministic; for a correct sampler and a random seed this
    # check would fail with probability 1e-6.
    low, high = RANGES[bounds]
    draws = ex.log_uniform(low, high, 4000, np.random.default_rng(1234))
    assert isinstance(draws, np.ndarray) and draws.shape == (4000,), "return an array of n draws"
    assert draws.min() >= low and draws.max() <= high, (
        f"draws must lie in [{low}, {high}]; got min {draws.min():.3g}, max {draws.max():.3g}"
    )
    p_value = stats.kstest(draws, stats.loguniform(low, high).cdf).pvalue
    assert p_value > 1e-6, (
        f"the draws do not look log-uniform (KS p-value {p_value:.2g}); draw log(value) uniformly"
    )
    share_low_decade = np.mean(draws < low * 10)
    decades = np.log10(high / low)
    assert abs(share_low_decade - min(1.0, 1 / decades)) < 0.05, (
        f"{share_low_decade:.0%} of the draws fall in the lowest decade; a log-uniform draw puts "
        f"{min(1.0, 1 / decades):.0%} there"
    )


def test_log_uniform_is_reproducible_from_the_generator():
    first = ex.log_uniform(1e-3, 1.0, 5, np.random.default_rng(7))
    again = ex.log_uniform(1e-3, 1.0, 5, np.random.default_rng(7))
    other = ex.log_uniform(1e-3, 1.0, 5, np.random.default_rng(8))
    assert np.array_equal(first, again), "the same seed must give the same draws: use only `rng`"
    assert not np.array_equal(first, other), "different seeds gave the same draws: use `rng`"


def test_common_mistakes_are_named():
    space = {"lr": [0.1, 0.01], "width": [8, 16], "act": ["relu", "gelu"]}
    got = ex.grid_configs(space)
    wanted = [dict(zip(space, values)) for values in itertools.product(*space.values())]
    if got != wanted:
        if got == [dict(zip(space, values)) for values in zip(*space.values())]:
            raise mistake("the value lists were zipped; a grid takes every combination (itertools.product)")
        by_sorted_keys = [dict(zip(sorted(space), values)) for values in itertools.product(*(space[k] for k in sorted(space)))]
        if got == by_sorted_keys:
            raise mistake("the keys were sorted; loop over them in the order the dict gives them (the last changes fastest)")
        raise AssertionError(f"grid_configs({space}): expected {wanted}, got {got}")
    low, high = 1e-4, 1e-1
    draws = ex.log_uniform(low, high, 50, np.random.default_rng(3))
    for sentence, values in {
        "the draws are uniform between low and high; draw the exponent uniformly in [log(low), log(high)] instead":
            np.random.default_rng(3).uniform(low, high, size=50),
        "the exponent was drawn with log10 but raised with exp; use one base (np.log and np.exp)":
            np.exp(np.random.default_rng(3).uniform(np.log10(low), np.log10(high), size=50)),
    }.items():
        if np.allclose(draws, values):
            raise mistake(sentence)
