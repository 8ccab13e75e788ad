"""The model zoo: every shipped checkpoint loads offline and really has the structure the course
studies (measured here on the shipped weights, never read from the metrics stored with them),
and the loader fails clearly on unknown names, missing and damaged checkpoints.

Retraining from scratch is tested in test_zoo_retrain.py (slow, not in CI).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from arena_cli import zoo
from arena_cli.testing import torch_on_one_thread
from arena_cli.zoo import _common

MAX_CHECKPOINT_BYTES = 2 * 1024 * 1024
MAX_ZOO_BYTES = 20 * 1024 * 1024


@pytest.fixture(autouse=True, scope="module")
def _one_thread():
    with torch_on_one_thread():
        yield


# ---------------------------------------------------------------------------------------------
# The catalogue and the loader


def test_importing_the_zoo_does_not_import_torch():
    code = "import sys, arena_cli.zoo as z; z.catalogue(); print('torch' in sys.modules)"
    root = str(Path(zoo.__file__).resolve().parents[2])  # this checkout, not another install
    env = dict(os.environ, PYTHONPATH=root)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env, cwd=root)
    assert out.stdout.strip() == "False", "arena zoo must list the models without importing torch"


def test_catalogue_lists_every_model_with_a_shipped_checkpoint_within_the_size_budget():
    entries = zoo.catalogue()
    assert [e.name for e in entries] == list(zoo.names())
    for entry in entries:
        assert entry.checkpoint.is_file(), f"{entry.name}: no checkpoint at {entry.checkpoint}"
        assert entry.description and entry.sections, f"{entry.name}: describe it and name its sections"
        assert 0 < entry.checkpoint.stat().st_size <= MAX_CHECKPOINT_BYTES, entry.name
    shipped = sorted(zoo.CHECKPOINT_DIR.rglob("*.pt"))
    for file in shipped:  # every checkpoint, the grokking history's snapshots included
        assert file.stat().st_size <= MAX_CHECKPOINT_BYTES, file
    assert sum(e.size_bytes for e in entries) == sum(f.stat().st_size for f in shipped) <= MAX_ZOO_BYTES


def test_grokking_history_files_listed_without_torch_are_the_snapshot_steps():
    from arena_cli.zoo import grokking as definition

    spec = zoo._spec("grokking")
    assert spec.extra_files == tuple(f"{definition.HISTORY_DIR}/{definition.snapshot_file(s)}" for s in definition.snapshot_steps())
    assert all((zoo.CHECKPOINT_DIR / name).is_file() for name in spec.extra_files)


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


def test_a_training_run_writes_a_checkpoint_the_loader_reads(tmp_path):
    from arena_cli.zoo import induction as definition

    out = tmp_path / "induction.pt"
    metrics = definition.train(out=out, steps=3, log_every=3, verbose=False)
    assert metrics["size_bytes"] == out.stat().st_size
    model = _common.load_model("induction", path=out)
    assert not model.training and model.to_tokens("t1").tolist() == [[0, 4]]


@pytest.mark.parametrize("name", ["brackets", "ioi", "icl", "othello"])
def test_every_training_script_writes_a_checkpoint_with_its_metrics(tmp_path, name):
    out = tmp_path / f"{name}.pt"
    metrics = zoo.model_module(name).train(out=out, steps=2, log_every=2, verbose=False)
    assert metrics["checkpoint"] == str(out) and metrics["size_bytes"] == out.stat().st_size
    stored = _common.read_checkpoint(out, name)
    assert stored["metrics"]["steps"] == 2 and not {"history", "checkpoint", "size_bytes"} & set(stored["metrics"])
    assert not _common.load_model(name, path=out).training


def test_a_grokking_run_writes_one_file_per_snapshot_and_the_curve(tmp_path):
    from arena_cli.zoo import grokking as definition

    out = tmp_path / "grokking.pt"
    (tmp_path / definition.HISTORY_DIR).mkdir()
    (tmp_path / definition.HISTORY_DIR / "step_09999.pt").write_bytes(b"left from an older run")
    metrics = definition.train(out=out, steps=3, verbose=False)
    history = definition.load_checkpoints(path=tmp_path / definition.HISTORY_DIR)
    assert [s.step for s in history] == [0, 1, 2, 3]
    assert metrics["history_size_bytes"] == sum(f.stat().st_size for f in (tmp_path / definition.HISTORY_DIR).iterdir())
    assert definition.training_curve(out)["step"].tolist() == [0]
    assert history[-1].test_acc == pytest.approx(metrics["test_acc"])


def test_missing_grokking_history_is_reported(tmp_path, monkeypatch):
    from arena_cli.zoo import grokking as definition

    monkeypatch.setattr(zoo, "CHECKPOINT_DIR", tmp_path)
    with pytest.raises(zoo.ZooError, match=r"history file.*missing.*arena dev zoo train grokking"):
        definition.load_checkpoints()


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


def _zero_heads(heads):
    def hook(z, hook):  # z: [batch, pos, head, d_head]
        z[:, :, list(heads)] = 0.0
        return z

    return hook


def test_induction_uses_the_previous_token_head_and_the_induction_heads(induction):
    """Zero-ablating the layer-0 previous-token head, or the layer-1 induction heads (there are
    several, so one alone is not enough), destroys the prediction of the second copy."""
    from arena_cli.zoo import induction as definition

    half_len = 16
    tokens = definition.repeated_tokens(16, half_len, torch.Generator().manual_seed(7))
    patterns = definition.attention_patterns(induction, tokens)
    prev_head = int(definition.prev_token_scores(patterns)[0].argmax())
    induction_heads = (definition.induction_scores(patterns, half_len)[1] > 0.5).nonzero().flatten().tolist()
    clean = _second_copy_loss(induction, tokens, half_len)
    no_prev = _second_copy_loss(induction, tokens, half_len, [("blocks.0.attn.hook_z", _zero_heads([prev_head]))])
    no_ind = _second_copy_loss(
        induction, tokens, half_len, [("blocks.1.attn.hook_z", _zero_heads(induction_heads))]
    )
    assert clean < 1.0
    assert no_prev > clean + 1.5, f"without the previous-token head: {no_prev:.2f} (clean {clean:.2f})"
    assert no_ind > clean + 1.5, f"without the induction heads {induction_heads}: {no_ind:.2f} (clean {clean:.2f})"


# ---------------------------------------------------------------------------------------------
# grokking


@pytest.fixture(scope="module")
def grokking():
    return zoo.load("grokking")


@pytest.fixture(scope="module")
def grokking_split():
    from arena_cli.zoo import grokking as definition

    return definition.train_indices()


def test_grokking_training_and_held_out_pairs_partition_all_pairs(grokking_split):
    train_idx, test_idx = grokking_split
    p = 113
    assert len(train_idx) == round(0.3 * p * p)
    assert sorted(torch.cat([train_idx, test_idx]).tolist()) == list(range(p * p))


def test_grokking_generalises_to_held_out_pairs(grokking, grokking_split):
    from arena_cli.zoo import grokking as definition

    metrics = definition.evaluate(grokking, *grokking_split)  # the bridge's own forward
    assert metrics["train_acc"] > 0.99, metrics
    assert metrics["test_acc"] > 0.99, metrics


def test_grokking_answers_match_modular_addition(grokking):
    a, b = torch.tensor([0, 5, 112, 60]), torch.tensor([0, 110, 112, 53])
    tokens = torch.stack([a, b, torch.full_like(a, 113)], dim=1)
    assert grokking.to_str_tokens(tokens[1]) == ["5", "110", "="]
    assert grokking(tokens)[:, -1].argmax(-1).tolist() == ((a + b) % 113).tolist()


def test_grokking_fast_training_forward_equals_the_bridge_forward(grokking):
    from arena_cli.zoo import grokking as definition

    tokens, _ = definition.all_pairs()
    tokens = tokens[torch.randperm(len(tokens), generator=torch.Generator().manual_seed(0))[:500]]
    native = _common.native_from_bridge("grokking", grokking)
    with torch.no_grad():
        fast, full = definition.last_logits(native, tokens), grokking(tokens)[:, -1]
    torch.testing.assert_close(fast, full, atol=1e-4, rtol=1e-4)


def test_grokking_embedding_is_dominated_by_a_few_key_frequencies(grokking):
    from arena_cli.zoo import grokking as definition

    frequencies, share = definition.key_frequencies(grokking.W_E[:113].detach())
    assert share > definition.KEY_FREQUENCY_SHARE_MIN, (
        f"the top {len(frequencies)} frequencies {frequencies} hold only {share:.0%} of the embedding"
    )


@pytest.fixture(scope="module")
def grokking_history():
    from arena_cli.zoo import grokking as definition

    return definition.load_checkpoints()


def test_grokking_history_spans_training_with_about_20_snapshots(grokking_history):
    from arena_cli.zoo import grokking as definition

    steps = [s.step for s in grokking_history]
    assert 18 <= len(steps) <= 22 and steps[0] == 0 and steps == sorted(set(steps))
    curve = definition.training_curve()
    assert steps[-1] == int(curve["step"][-1])
    assert len(curve["step"]) == len(curve["test_acc"]) > 100


def test_grokking_history_memorises_before_it_generalises(grokking_history, grokking_split):
    """Measured on the stored snapshot weights (on a sample of the pairs): a snapshot with ~100 %
    train and low test accuracy, followed later by one above 99 % test accuracy; the numbers
    stored with the snapshots agree."""
    from arena_cli.zoo import grokking as definition

    g = torch.Generator().manual_seed(0)
    train_idx, test_idx = grokking_split
    train_idx = train_idx[torch.randperm(len(train_idx), generator=g)[:1500]]
    test_idx = test_idx[torch.randperm(len(test_idx), generator=g)[:3000]]
    measured = [definition.evaluate(s.model, train_idx, test_idx) for s in grokking_history]
    for snapshot, m in zip(grokking_history, measured):
        assert abs(snapshot.test_acc - m["test_acc"]) < 0.03, (snapshot.step, snapshot.test_acc, m)
        assert abs(snapshot.train_acc - m["train_acc"]) < 0.03, (snapshot.step, snapshot.train_acc, m)
    memorised = [i for i, m in enumerate(measured) if m["train_acc"] > 0.99 and m["test_acc"] < 0.5]
    assert memorised, "no snapshot shows the memorisation phase"
    grokked = [i for i, m in enumerate(measured) if m["test_acc"] > 0.99]
    assert grokked and grokked[0] > memorised[0], (memorised, grokked)
    assert measured[-1]["test_acc"] > 0.99


def test_grokking_key_frequencies_emerge_during_training(grokking_history):
    from arena_cli.zoo import grokking as definition

    _, share_at_init = definition.key_frequencies(grokking_history[0].model.W_E[:113].detach())
    _, share_at_end = definition.key_frequencies(grokking_history[-1].model.W_E[:113].detach())
    assert share_at_init < 0.25 < definition.KEY_FREQUENCY_SHARE_MIN < share_at_end


# ---------------------------------------------------------------------------------------------
# brackets


@pytest.fixture(scope="module")
def brackets():
    return zoo.load("brackets")


@pytest.fixture(scope="module")
def brackets_metrics(brackets):
    from arena_cli.zoo import brackets as definition

    return definition.measure(brackets, definition.held_out_set(per_kind=1000))


def test_brackets_held_out_strings_are_never_trained_on():
    from arena_cli.zoo import brackets as definition

    held_out = definition.held_out_set(per_kind=200)
    assert all(definition.is_held_out(s) for strings in held_out.values() for s in strings)
    strings, labels = definition.training_batch(2000, torch.Generator().manual_seed(3))
    assert not any(definition.is_held_out(s) for s in strings)
    assert labels.tolist() == [int(definition.is_balanced(s)) for s in strings]


def test_brackets_classifies_unseen_strings(brackets_metrics):
    assert brackets_metrics["accuracy"] > 0.99, brackets_metrics


@pytest.mark.parametrize("kind", ["balanced", "hard_negative", "one_flipped", "random"])
def test_brackets_classifies_every_kind_of_unseen_string(brackets_metrics, kind):
    m = brackets_metrics["per_kind"][kind]
    assert m["n"] >= 500 and m["accuracy"] > 0.99, (kind, m)


def test_brackets_classifies_every_string_up_to_length_12(brackets):
    import itertools

    from arena_cli.zoo import brackets as definition

    strings = ["".join(c) for n in range(1, 13) for c in itertools.product("()", repeat=n)]
    predicted = definition.classify(brackets, strings)
    wrong = [s for s, p in zip(strings, predicted.tolist()) if p != int(definition.is_balanced(s))]
    assert not wrong, f"{len(wrong)} of {len(strings)} wrong, e.g. {wrong[:5]}"


def test_brackets_tokenizer_and_padding_mask(brackets):
    from arena_cli.zoo import brackets as definition

    tokens = brackets.to_tokens(["(())", "())(", "("])
    expected, mask = definition.encode(["(())", "())(", "("])
    assert torch.equal(tokens, expected)
    assert brackets.to_str_tokens(tokens[2]) == ["<start>", "(", "<pad>", "<pad>", "<pad>"]
    with torch.no_grad():
        padded = brackets(tokens, attention_mask=mask)[:, 0]
        alone = torch.cat([brackets(expected[i : i + 1, : 1 + n])[:, 0] for i, n in enumerate([4, 4, 1])])
    torch.testing.assert_close(padded, alone, atol=1e-4, rtol=1e-4)  # padding is invisible
    assert padded.argmax(-1).tolist() == [1, 0, 0]


def test_brackets_attention_is_bidirectional(brackets):
    tokens = brackets.to_tokens("(()())")
    _, cache = brackets.run_with_cache(tokens)
    assert brackets.cfg.attention_dir == "bidirectional"
    assert cache["pattern", 0][0, :, 0, 1:].sum() > 0.1, "position 0 attends to later positions"


# ---------------------------------------------------------------------------------------------
# ioi


@pytest.fixture(scope="module")
def ioi():
    return zoo.load("ioi")


@pytest.fixture(scope="module")
def ioi_metrics(ioi):
    from arena_cli.zoo import ioi as definition

    return definition.measure(ioi, n=500, seed=2024)


def test_ioi_prompts_put_every_role_where_it_says():
    from arena_cli.zoo import ioi as definition

    p = definition.make_prompts(300, torch.Generator().manual_seed(1))
    rows = torch.arange(300)
    assert torch.equal(p.tokens[rows, p.io_pos], p.io) and torch.equal(p.tokens[rows, p.s1_pos], p.s)
    assert torch.equal(p.tokens[rows, p.s2_pos], p.s) and (p.io != p.s).all()
    has_c = p.c >= 0
    assert torch.equal(p.tokens[rows[has_c], p.c_pos[has_c]], p.c[has_c]) and (p.c[has_c] != p.io[has_c]).all()
    assert (p.tokens[rows, p.end] == definition.TOKEN_ID["to"]).all()
    assert 0.3 < (p.io_pos < p.s1_pos).float().mean() < 0.7, "both name orders"
    assert 0.4 < has_c.float().mean() < 0.8, "many prompts have a distractor name"
    assert len(set(p.end.tolist())) >= 8, "the answer's position varies"


def test_ioi_tokenizer_reads_the_prompts(ioi):
    from arena_cli.zoo import ioi as definition

    p = definition.make_prompts(4, torch.Generator().manual_seed(2))
    tokens = ioi.to_tokens(list(p.texts))
    assert torch.equal(tokens, p.tokens)


def test_ioi_predicts_the_indirect_object(ioi_metrics):
    assert ioi_metrics["accuracy"] > 0.95, ioi_metrics["accuracy"]


def test_ioi_predicts_the_indirect_object_despite_a_distractor_name(ioi_metrics):
    # "all names minus the subject" would be right only about half the time here
    assert ioi_metrics["accuracy_with_distractor"] > 0.95, ioi_metrics["accuracy_with_distractor"]


def test_ioi_has_a_head_attending_from_the_end_to_the_indirect_object(ioi_metrics):
    from arena_cli.zoo import ioi as definition

    assert ioi_metrics["movers"], (
        f"no head attends from the last position to IO with > {definition.MOVER_ATTENTION_MIN} and "
        f"{definition.MOVER_RATIO_MIN}x its attention to S or C; best: {ioi_metrics['best_head']}"
    )


def test_ioi_name_mover_heads_move_the_indirect_object(ioi, ioi_metrics):
    """The name movers copy IO: read through the unembedding, their output at the last position
    ranks IO first among the names and IO over S; and zero-ablating them there removes a good
    part of the IO - S logit difference."""
    from arena_cli.zoo import ioi as definition

    p = definition.make_prompts(300, torch.Generator().manual_seed(5))
    mask = (p.tokens != definition.PAD).long()
    rows = torch.arange(300)
    movers = ioi_metrics["movers"]
    assert movers
    by_layer: dict[int, list[int]] = {}
    for h in movers:
        by_layer.setdefault(h["layer"], []).append(h["head"])

    def logit_diff(logits):
        final = definition.end_logits(logits, p)
        return float((final[rows, p.io] - final[rows, p.s]).mean())

    def ablate(layer_heads):
        heads = torch.tensor(layer_heads)

        def hook(z, hook):  # z: [batch, pos, head, d_head]
            z[rows[:, None], p.end[:, None], heads[None, :]] = 0.0
            return z

        return hook

    with torch.no_grad():
        logits, cache = ioi.run_with_cache(p.tokens, attention_mask=mask)
        hooks = [(f"blocks.{layer}.attn.hook_z", ablate(heads)) for layer, heads in by_layer.items()]
        ablated = logit_diff(ioi.run_with_hooks(p.tokens, attention_mask=mask, fwd_hooks=hooks))
        # the movers' direct effect: their output at the end, scaled by the final LayerNorm, unembedded
        z_end = {layer: cache[f"blocks.{layer}.attn.hook_z"][rows, p.end][:, heads] for layer, heads in by_layer.items()}
        out = sum(
            torch.einsum("bhd,hdm->bm", z_end[layer], ioi.W_O[layer, heads]) for layer, heads in by_layer.items()
        ) / cache["ln_final.hook_scale"][rows, p.end]
        direct = out @ ioi.W_U  # [batch, vocab]
    clean = logit_diff(logits)
    names = definition.NAME_IDS
    top_name = names[direct[:, names].argmax(-1)]
    copies_io = float((top_name == p.io).float().mean())
    direct_diff = float((direct[rows, p.io] - direct[rows, p.s]).mean())
    assert copies_io > definition.MOVER_COPY_TOP1_MIN, f"IO is the movers' top name in {copies_io:.0%} of prompts"
    assert direct_diff > definition.MOVER_DIRECT_LOGIT_DIFF_MIN, f"the movers add {direct_diff:.2f} to IO - S"
    assert clean > 0 and ablated < (1 - definition.ABLATION_DROP_MIN) * clean, (clean, ablated)


# ---------------------------------------------------------------------------------------------
# icl


@pytest.fixture(scope="module")
def icl():
    return zoo.load("icl")


def test_icl_prompts_follow_one_task_and_never_repeat_an_input():
    from arena_cli.zoo import icl as definition

    tokens, tasks = definition.make_prompts(50, torch.Generator().manual_seed(0))
    xs = tokens[:, 1::2] - definition.FIRST_LETTER
    pairs = tokens[:, 2::2] - definition.FIRST_PAIR
    assert all(len(set(row.tolist())) == definition.N_PAIRS for row in xs)
    assert torch.equal(pairs // 32, xs)  # each example token holds its input
    assert torch.equal(pairs % 32, definition.OUTPUT_TABLE[tasks[:, None], xs])


def test_icl_tokenizer_reads_a_prompt(icl):
    tokens = icl.to_tokens("c c:C h h:H m")
    assert icl.to_str_tokens(tokens[0]) == ["<bos>", "c", "c:C", "h", "h:H", "m"]
    assert icl.to_str_tokens(icl(tokens)[0, -1].argmax()) == ["m:M"]  # upper: m -> M


def test_icl_learns_the_task_from_a_few_examples(icl):
    from arena_cli.zoo import icl as definition

    by_k = definition.accuracy_by_examples(icl, n=512, seed=2024)
    assert by_k[0] < definition.ZERO_SHOT_ACCURACY_MAX, f"accuracy with no example {by_k[0]:.2f}"
    few = by_k[definition.FEW_SHOT :]
    assert min(few) > definition.FEW_SHOT_ACCURACY_MIN, f"accuracy after 4 or more examples {few}"


# ---------------------------------------------------------------------------------------------
# othello


def _reference_legal(board: list[int], player: int) -> list[int]:
    """Legal moves by the rules, one square and one direction at a time."""
    legal = []
    for square in range(36):
        if board[square]:
            continue
        row, col = divmod(square, 6)
        for dr in (-1, 0, 1):
            for dc in (-1, 0, 1):
                r, c, seen = row + dr, col + dc, 0
                while (dr or dc) and 0 <= r < 6 and 0 <= c < 6 and board[r * 6 + c] == -player:
                    r, c, seen = r + dr, c + dc, seen + 1
                if seen and 0 <= r < 6 and 0 <= c < 6 and board[r * 6 + c] == player:
                    legal.append(square)
                    break
            else:
                continue
            break
    return legal


def _reference_play(board: list[int], player: int, square: int) -> list[int]:
    board = list(board)
    row, col = divmod(square, 6)
    for dr in (-1, 0, 1):
        for dc in (-1, 0, 1):
            r, c, line = row + dr, col + dc, []
            while (dr or dc) and 0 <= r < 6 and 0 <= c < 6 and board[r * 6 + c] == -player:
                line.append(r * 6 + c)
                r, c = r + dr, c + dc
            if line and 0 <= r < 6 and 0 <= c < 6 and board[r * 6 + c] == player:
                for q in line:
                    board[q] = player
    board[square] = player
    return board


def test_othello_engine_follows_the_rules():
    """The vectorised engine against a plain one, move by move, on random games."""
    from arena_cli.zoo import othello as definition

    games = definition.random_games(40, torch.Generator().manual_seed(0))
    start = definition.start_boards(1)[0].tolist()
    assert sorted(_reference_legal(start, 1)) == games.legal_first.nonzero().flatten().tolist()
    for i in range(40):
        board, player = start, 1
        for t in range(int(games.length[i])):
            move = int(games.moves[i, t])
            assert move in _reference_legal(board, player), (i, t)
            board = _reference_play(board, player, move)
            assert board == games.boards[i, t].tolist(), (i, t)
            player = -player
            if not _reference_legal(board, player):
                player = -player  # pass
            if not _reference_legal(board, player):
                player = 0  # game over
            assert player == int(games.next_player[i, t]), (i, t)
            legal = _reference_legal(board, player) if player else []
            assert sorted(legal) == games.legal_next[i, t].nonzero().flatten().tolist(), (i, t)
        assert player == 0, "a game ends only when neither player can move"


@pytest.fixture(scope="module")
def othello():
    return zoo.load("othello")


def test_othello_tokenizer_names_the_squares(othello):
    tokens = othello.to_tokens("C2 B2 A1")
    assert othello.to_str_tokens(tokens[0]) == ["<bos>", "C2", "B2", "A1"]


def test_othello_predicts_legal_moves(othello):
    from arena_cli.zoo import othello as definition

    games = definition.random_games(300, torch.Generator().manual_seed(2024))
    accuracy = definition.legal_move_accuracy(othello, games)
    assert accuracy > definition.LEGAL_MOVE_ACCURACY_MIN, f"legal-move accuracy {accuracy:.3f}"


def test_othello_board_is_linearly_readable_from_the_residual_stream(othello):
    from arena_cli.zoo import othello as definition

    result = definition.probe_accuracy(othello, n_games=400, seed=2024)
    assert result["probe"] > definition.PROBE_ACCURACY_MIN, result
    assert result["probe"] > result["baseline"] + definition.PROBE_MARGIN_MIN, result
