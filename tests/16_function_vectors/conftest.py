"""Shared by the checks of section 16_function_vectors.

Every check runs torch on one thread and without autograd (both restored afterwards): the zoo
model is tiny and nothing here trains. The reference quantities (mean head outputs, patched
and steered runs, computed with TransformerLens caches and hooks independently of the
learner's code) are in `arena_cli.course.function_vectors`.
"""

import pytest
from arena_cli.testing import torch_on_one_thread


@pytest.fixture(autouse=True, scope="module")
def one_thread_no_grad():
    with torch_on_one_thread(grad=False):
        yield
