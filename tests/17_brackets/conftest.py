"""Shared by the checks of section 17_brackets.

Every check runs torch on one thread and without autograd (both restored afterwards), like
12_induction. The model and a fixed set of held-out strings (never trained on; every kind of
the training mix) are loaded once per check file.
"""

import pytest

from arena_cli.testing import torch_on_one_thread
from arena_cli.course.brackets import all_strings
from arena_cli.zoo import brackets as B


@pytest.fixture(autouse=True, scope="module")
def one_thread_no_grad():
    with torch_on_one_thread(grad=False):
        yield


@pytest.fixture(scope="module")
def model():
    from arena_cli.zoo import load

    return load("brackets")


@pytest.fixture(scope="module")
def short_strings():
    return all_strings(10)


@pytest.fixture(scope="module")
def held_out():
    """Held-out strings, 40 of each kind of the training mix (a seed of its own), in one list."""
    sets = B.held_out_set(per_kind=40, seed=2024)
    return [s for kind in B.KINDS for s in sets[kind]]


@pytest.fixture(scope="module")
def run(model, held_out):
    """Logits and cache of the model on the held-out strings (padding masked)."""
    tokens, mask = B.encode(held_out)
    logits, cache = model.run_with_cache(tokens, attention_mask=mask)
    return tokens, mask, logits, cache


