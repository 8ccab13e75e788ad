"""Shared by the checks of section 13_superposition.

Every check runs torch on one thread (restored afterwards): the toy models and SAEs here are
tiny, and on a busy machine two threads per process wait on each other far longer than they
compute. Autograd stays on: several checks train or compare gradients.
"""

import pytest

from arena_cli.testing import torch_on_one_thread


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    with torch_on_one_thread():
        yield
