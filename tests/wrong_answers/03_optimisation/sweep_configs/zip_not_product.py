# MISTAKE: Zips the value lists instead of taking every combination.
# NAMED: the value lists were zipped
"""Hyper-parameter sweeps: the configurations of a grid search and of a random search.

Goal: (1) `grid_configs` lists every combination of the candidate values, one dict per run;
(2) `log_uniform` draws values whose *logarithm* is uniform between log(low) and log(high).

A grid over k hyper-parameters with n values each costs n^k runs, and most of them vary only
the hyper-parameters that do not matter. Random search tries a new value of every
hyper-parameter in every run, so with the same budget it explores each important one much more
finely. Scale-like hyper-parameters (learning rate, weight decay) matter by their order of
magnitude: drawing them uniformly in [1e-5, 1e-1] would put 90 % of the runs above 1e-2, while
a log-uniform draw spends as many runs between 1e-5 and 1e-4 as between 1e-2 and 1e-1.

Rules: (1) itertools is fine; the order is that of nested for-loops over the keys in the order
of `space` (the last key changes fastest). (2) Use only the generator `rng` you are given (so
that a seed reproduces the sweep), numpy functions, and no loop.

Worked example:
    >>> grid_configs({"lr": [0.1, 0.01], "hidden": [8, 16]})
    [{'lr': 0.1, 'hidden': 8}, {'lr': 0.1, 'hidden': 16}, {'lr': 0.01, 'hidden': 8}, {'lr': 0.01, 'hidden': 16}]
    >>> log_uniform(1e-4, 1e-1, 3, np.random.default_rng(0)).round(5)   # values depend on the method
    array([0.00814, 0.00064, 0.00013])
"""

import itertools
from typing import Any

import numpy as np
from jaxtyping import Float


def grid_configs(space: dict[str, list[Any]]) -> list[dict[str, Any]]:
    """Every combination of the values in `space`, as one dict per configuration."""
    # BEGIN SOLUTION: itertools.product over the value lists, zipped back with the keys (about 2 lines)
    keys = list(space)
    return [dict(zip(keys, values)) for values in zip(*(space[k] for k in keys))]
    # END SOLUTION


def log_uniform(low: float, high: float, n: int, rng: np.random.Generator) -> Float[np.ndarray, "n"]:
    """`n` draws, log-uniformly distributed between `low` and `high` (0 < low < high)."""
    # BEGIN SOLUTION: draw the exponent uniformly between log(low) and log(high), then exponentiate (about 1 line)
    return np.exp(rng.uniform(np.log(low), np.log(high), size=n))
    # END SOLUTION
