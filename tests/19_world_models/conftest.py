"""Shared by the checks of section 19_world_models: the zoo's othello model, one torch thread,
no autograd (nothing here trains through the model), and a few seeded batches of games."""

import pytest

from arena_cli.testing import torch_on_one_thread


@pytest.fixture(autouse=True, scope="module")
def one_thread_no_grad():
    with torch_on_one_thread(grad=False):
        yield
