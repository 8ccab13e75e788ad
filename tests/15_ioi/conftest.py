"""Shared by the checks of section 15_ioi.

Every check runs torch on one thread and without autograd (both restored afterwards); the
exercises that need gradients switch them on themselves. `transformer_lens.patching` prints a
progress bar per call: it is silenced here, for the oracles and for you.
"""

import pytest

from arena_cli.testing import torch_on_one_thread


@pytest.fixture(autouse=True, scope="module")
def one_thread_no_grad():
    import transformer_lens.patching as patching

    bar = patching.tqdm
    patching.tqdm = lambda iterable, *args, **kwargs: iterable
    try:
        with torch_on_one_thread(grad=False):
            yield
    finally:
        patching.tqdm = bar
