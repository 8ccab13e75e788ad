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


def test_retraining_grokking_memorises_then_generalises(tmp_path):
    from arena_cli.zoo import grokking as definition

    metrics, model = _retrain("grokking", tmp_path)
    train_idx, test_idx = definition.split(definition.SEED)
    final = definition.evaluate(model, train_idx, test_idx)
    assert final["train_acc"] > 0.99 and final["test_acc"] > definition.TEST_ACCURACY_MIN, final
    history = definition.load_checkpoints(path=tmp_path / definition.HISTORY_DIR)
    measured = [definition.evaluate(s.model, train_idx, test_idx) for s in history]
    memorised = [i for i, m in enumerate(measured) if m["train_acc"] > 0.99 and m["test_acc"] < 0.5]
    grokked = [i for i, m in enumerate(measured) if m["test_acc"] > 0.99]
    assert memorised and grokked and memorised[0] < grokked[0], measured
    _, share = definition.key_frequencies(model.W_E[: definition.P].detach())
    assert share > definition.KEY_FREQUENCY_SHARE_MIN


def test_retraining_brackets_classifies_unseen_strings(tmp_path):
    from arena_cli.zoo import brackets as definition

    metrics, model = _retrain("brackets", tmp_path)
    measured = definition.measure(model, definition.held_out_set(per_kind=1000))
    assert measured["accuracy"] > definition.ACCURACY_MIN, measured
    for kind, m in measured["per_kind"].items():
        assert m["accuracy"] > definition.ACCURACY_MIN, (kind, m)
    import itertools

    short = ["".join(c) for n in range(1, 13) for c in itertools.product("()", repeat=n)]
    predicted = definition.classify(model, short).tolist()
    wrong = sum(p != int(definition.is_balanced(s)) for s, p in zip(short, predicted))
    assert wrong <= len(short) // 1000, f"{wrong} short strings wrong"


def test_retraining_ioi_finds_the_indirect_object_with_a_name_mover(tmp_path):
    from arena_cli.zoo import ioi as definition

    metrics, model = _retrain("ioi", tmp_path)
    measured = definition.measure(model, n=500, seed=2024)
    assert measured["accuracy"] > definition.ACCURACY_MIN, measured["accuracy"]
    assert measured["accuracy_with_distractor"] > definition.ACCURACY_MIN, measured["accuracy_with_distractor"]
    assert measured["movers"], measured["best_head"]


def test_retraining_icl_learns_tasks_in_context(tmp_path):
    from arena_cli.zoo import icl as definition

    metrics, model = _retrain("icl", tmp_path)
    by_k = definition.accuracy_by_examples(model, n=512, seed=2024)
    assert by_k[0] < definition.ZERO_SHOT_ACCURACY_MAX
    assert min(by_k[definition.FEW_SHOT :]) > definition.FEW_SHOT_ACCURACY_MIN, by_k
    figures = definition.function_vector_figures(model)["per_task"]
    lifted = [name for name, f in figures.items() if f["fv"] >= definition.FV_ACCURACY_MIN]
    assert len(lifted) > len(figures) / 2, figures


def test_retraining_othello_predicts_legal_moves_and_has_a_readable_board(tmp_path):
    import torch

    from arena_cli.zoo import othello as definition

    metrics, model = _retrain("othello", tmp_path)
    games = definition.random_games(300, torch.Generator().manual_seed(2024))
    assert definition.legal_move_accuracy(model, games) > definition.LEGAL_MOVE_ACCURACY_MIN
    result = definition.probe_accuracy(model, n_games=400, seed=2024)
    assert result["probe"] > definition.PROBE_ACCURACY_MIN, result
    assert result["probe"] > result["baseline"] + definition.PROBE_MARGIN_MIN, result
