"""The model zoo: every shipped checkpoint loads offline and really has the structure the course
studies (measured here on the shipped weights, never read from the metrics stored with them),
and the loader fails clearly on unknown names, missing and damaged checkpoints.

Retraining from scratch is tested in test_zoo_retrain.py (slow, not in CI).
"""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest
import torch

from arena_cli import zoo
from arena_cli.zoo import _common

MAX_CHECKPOINT_BYTES = 2 * 1024 * 1024
MAX_ZOO_BYTES = 20 * 1024 * 1024


# ---------------------------------------------------------------------------------------------
# The catalogue and the loader


def test_importing_the_zoo_does_not_import_torch():
    code = "import sys, arena_cli.zoo as z; z.catalogue(); print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False", "arena zoo must list the models without importing torch"


def test_catalogue_lists_every_model_with_a_shipped_checkpoint_within_the_size_budget():
    entries = zoo.catalogue()
    assert [e.name for e in entries] == list(zoo.names())
    for entry in entries:
        assert entry.checkpoint.is_file(), f"{entry.name}: no checkpoint at {entry.checkpoint}"
        assert entry.description and entry.sections, f"{entry.name}: describe it and name its sections"
        assert 0 < entry.checkpoint.stat().st_size <= MAX_CHECKPOINT_BYTES, entry.name
    assert sum(e.size_bytes for e in entries) <= MAX_ZOO_BYTES


@pytest.mark.parametrize("name", zoo.names())
def test_catalogue_config_and_parameter_count_match_the_model_module(name):
    module = zoo.model_module(name)
    assert zoo._spec(name).config == module.CONFIG, f"arena_cli/zoo/__init__.py repeats {name}'s config"
    model = zoo.load(name)
    entry = next(e for e in zoo.catalogue() if e.name == name)
    assert entry.n_params == sum(p.numel() for p in model.parameters())
    assert not model.training, "load() returns the model in eval mode"


def test_unknown_model_name_raises_a_clear_error():
    with pytest.raises(zoo.ZooError, match="unknown zoo model 'nope'.*induction"):
        zoo.load("nope")


def test_missing_checkpoint_says_how_to_rebuild_it(tmp_path, monkeypatch):
    monkeypatch.setattr(zoo, "CHECKPOINT_DIR", tmp_path)
    with pytest.raises(zoo.ZooError, match=r"missing.*arena dev zoo train induction"):
        zoo.load("induction")
    assert next(e for e in zoo.catalogue() if e.name == "induction").size_bytes == 0


def _damaged_copy(tmp_path, monkeypatch, damage) -> None:
    original = zoo.checkpoint_path("induction")
    monkeypatch.setattr(zoo, "CHECKPOINT_DIR", tmp_path)
    copy = zoo.checkpoint_path("induction")
    shutil.copyfile(original, copy)
    data = bytearray(copy.read_bytes())
    copy.write_bytes(damage(data))


def test_truncated_checkpoint_is_reported_as_damaged(tmp_path, monkeypatch):
    _damaged_copy(tmp_path, monkeypatch, lambda data: bytes(data[: len(data) // 2]))
    with pytest.raises(zoo.ZooError, match=r"damaged.*arena dev zoo train induction"):
        zoo.load("induction")


def test_checkpoint_with_a_changed_weight_is_reported_as_damaged(tmp_path, monkeypatch):
    original = _common.read_checkpoint(zoo.checkpoint_path("induction"), "induction")
    original["tensors"]["model"]["blocks.1.attn.q.weight"][0, 0] += 1.0  # e.g. a flipped bit
    monkeypatch.setattr(zoo, "CHECKPOINT_DIR", tmp_path)
    torch.save(original, zoo.checkpoint_path("induction"))  # keeps the old digest
    with pytest.raises(zoo.ZooError, match=r"damaged.*digest"):
        zoo.load("induction")


def test_checkpoint_with_overwritten_bytes_is_reported_as_damaged(tmp_path, monkeypatch):
    def scribble(data: bytearray) -> bytes:
        middle = len(data) // 2
        data[middle : middle + 64] = bytes(64)
        return bytes(data)

    _damaged_copy(tmp_path, monkeypatch, scribble)
    with pytest.raises(zoo.ZooError, match=r"damaged"):
        zoo.load("induction")


# ---------------------------------------------------------------------------------------------
# induction


@pytest.fixture(scope="module")
def induction():
    return zoo.load("induction")


@pytest.fixture(scope="module")
def induction_metrics(induction):
    from arena_cli.zoo import induction as definition

    return definition.measure(induction, seed=2024, batch=16)


def test_induction_tokenizer_round_trips_through_transformer_lens(induction):
    tokens = induction.to_tokens("t5 t17 t5")
    assert tokens.tolist() == [[0, 8, 20, 8]]  # <bos> first, t<i> is token 3 + i
    assert induction.to_str_tokens(tokens[0]) == ["<bos>", "t5", "t17", "t5"]
    assert induction.to_single_token("t99") == 102


def test_induction_exposes_the_transformer_lens_api(induction):
    logits, cache = induction.run_with_cache(induction.to_tokens("t1 t2 t3 t1 t2"))
    assert logits.shape == (1, 6, 103)
    assert cache["pattern", 1].shape == (1, 4, 6, 6)
    assert induction.W_Q.shape == (2, 4, 64, 16)
    assert induction.OV.shape == (2, 4, 64, 64)


@pytest.mark.parametrize("half_len", [8, 16, 30], ids=lambda n: f"repeat_distance_{n}")
def test_induction_layer0_has_a_previous_token_head(induction_metrics, half_len):
    score = induction_metrics["per_length"][half_len]["prev_token"]
    assert score > 0.7, f"best layer-0 previous-token score {score:.3f} at repeat distance {half_len}"


@pytest.mark.parametrize("half_len", [8, 16, 30], ids=lambda n: f"repeat_distance_{n}")
def test_induction_layer1_has_an_induction_head(induction_metrics, half_len):
    # Short and long distances: a positional shortcut (attend a fixed distance back) fails one.
    score = induction_metrics["per_length"][half_len]["induction"]
    assert score > 0.8, f"best layer-1 induction score {score:.3f} at repeat distance {half_len}"


@pytest.mark.parametrize("half_len", [8, 16, 30], ids=lambda n: f"repeat_distance_{n}")
def test_induction_predicts_the_second_copy_far_better_than_the_first(induction_metrics, half_len):
    m = induction_metrics["per_length"][half_len]
    assert m["loss_first_copy"] > 4.0, "random tokens cannot be predicted (ln 100 = 4.6)"
    assert m["loss_second_copy"] < 1.0, f"loss on the repeated copy {m['loss_second_copy']:.2f}"


def _second_copy_loss(model, tokens, half_len, hooks=()):
    from arena_cli.zoo import induction as definition

    with torch.no_grad():
        logits = model.run_with_hooks(tokens, fwd_hooks=list(hooks))
    return definition.half_losses(logits, tokens, half_len)[1]


def _zero_head(head):
    def hook(z, hook):  # z: [batch, pos, head, d_head]
        z[:, :, head] = 0.0
        return z

    return hook


def test_induction_uses_the_previous_token_head_and_the_induction_head(induction, induction_metrics):
    """Zero-ablating either head of the circuit destroys the prediction of the second copy."""
    from arena_cli.zoo import induction as definition

    half_len = 16
    m = induction_metrics["per_length"][half_len]
    tokens = definition.repeated_tokens(16, half_len, torch.Generator().manual_seed(7))
    clean = _second_copy_loss(induction, tokens, half_len)
    no_prev = _second_copy_loss(
        induction, tokens, half_len, [("blocks.0.attn.hook_z", _zero_head(m["prev_token_head"]))]
    )
    no_ind = _second_copy_loss(
        induction, tokens, half_len, [("blocks.1.attn.hook_z", _zero_head(m["induction_head"]))]
    )
    assert clean < 1.0
    assert no_prev > clean + 1.5, f"without the previous-token head: {no_prev:.2f} (clean {clean:.2f})"
    assert no_ind > clean + 1.5, f"without the induction head: {no_ind:.2f} (clean {clean:.2f})"
