"""Shared by the checks of section 00_tensors: the `forbid` fixture.

`forbid("torch.softmax", "torch.Tensor.softmax")` makes those built-ins raise for the rest of
one test, so a check can tell a learner that the exercise's rules were not followed. Compute
any expected value with the built-in *before* calling `forbid`.
"""


import pytest

from arena_cli.testing import forbidder


@pytest.fixture
def forbid(monkeypatch):
    return forbidder(monkeypatch)
