"""Shared by the checks of section 14_sae_interp: torch on one thread, no autograd (restored
afterwards); the checks that need gradients turn them on locally."""

import pytest

from arena_cli.testing import torch_on_one_thread


@pytest.fixture(autouse=True, scope="module")
def one_thread_no_grad():
    with torch_on_one_thread(grad=False):
        yield
