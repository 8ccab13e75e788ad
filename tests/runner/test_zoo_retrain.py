"""Retraining each zoo model from scratch reproduces the structure its shipped checkpoint has.

Slow (minutes per model on a CPU): marked `slow`, left out of CI; run with
`python -m pytest tests/runner/test_zoo_retrain.py -m slow`. Each test trains with the shipped
recipe and seed into a temporary file, loads it through the same loader as the shipped one,
and measures the property afresh on held-out data.
"""

from __future__ import annotations

import pytest

from arena_cli import zoo
from arena_cli.zoo import _common

pytestmark = pytest.mark.slow


def _retrain(name: str, tmp_path):
    out = tmp_path / f"{name}.pt"
    metrics = zoo.train(name, out=out)
    return metrics, _common.load_model(name, path=out)


def test_retraining_induction_gives_previous_token_and_induction_heads(tmp_path):
    from arena_cli.zoo import induction as definition

    metrics, model = _retrain("induction", tmp_path)
    assert metrics["train_seconds"] > 0
    measured = definition.measure(model, seed=2024, batch=16)
    for half_len, m in measured["per_length"].items():
        assert m["prev_token"] > definition.PREV_TOKEN_MIN, (half_len, m)
        assert m["induction"] > definition.INDUCTION_MIN, (half_len, m)
        assert m["loss_first_copy"] > 4.0 and m["loss_second_copy"] < 1.0, (half_len, m)
