"""Shared by the checks of section 00_tensors: the `forbid` fixture.

`forbid("torch.softmax", "torch.Tensor.softmax")` makes those built-ins raise for the rest of
one test, so a check can tell a learner that the exercise's rules were not followed. Compute
any expected value with the built-in *before* calling `forbid`.
"""

import functools
import importlib

import pytest


def _resolve(dotted: str):
    first, *rest = dotted.split(".")
    return functools.reduce(getattr, rest, importlib.import_module(first))


def _forbidden(path: str):
    def call(*args, **kwargs):
        raise AssertionError(
            f"the rules of this exercise forbid `{path}`: build the result from the operations "
            "the exercise's docstring allows"
        )

    return call


@pytest.fixture
def forbid(monkeypatch):
    def _forbid(*paths: str) -> None:
        for path in paths:
            owner, attr = path.rsplit(".", 1)
            monkeypatch.setattr(_resolve(owner), attr, _forbidden(path))

    return _forbid
