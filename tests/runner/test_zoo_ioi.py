"""The documented circuit of zoo model `ioi` (arena_cli/zoo/ioi.py's docstring), on the shipped
checkpoint: its faithfulness, each head's marginal effect, and the attention that names roles."""

import pytest
import torch

from arena_cli import zoo
from arena_cli.testing import torch_on_one_thread
from arena_cli.zoo import ioi as definition


@pytest.fixture(scope="module")
def setup():
    with torch_on_one_thread(grad=False):
        model = zoo.load("ioi")
        batch = definition.ioi_batch(definition.CIRCUIT_PROMPTS, torch.Generator().manual_seed(definition.CIRCUIT_SEED))
        yield model, batch


def test_patching_prompts_put_every_role_where_they_say(setup):
    model, b = setup
    rows = torch.arange(len(b.io))
    assert torch.equal(model.to_tokens(list(b.texts)), b.tokens)
    assert torch.equal(model.to_tokens(list(b.corrupted_texts)), b.corrupted)
    assert torch.equal(b.tokens[rows, b.io_pos], b.io) and torch.equal(b.tokens[rows, b.s1_pos], b.s)
    assert torch.equal(b.tokens[rows, b.s2_pos], b.s) and torch.equal(b.corrupted[rows, b.s2_pos], b.c)
    assert len({int(x) for x in b.io} | {int(x) for x in b.s} | {int(x) for x in b.c}) > 100
    assert ((b.io != b.s) & (b.c != b.io) & (b.c != b.s)).all()
    differs = b.tokens != b.corrupted
    assert differs[:, definition.S2_POS].all() and differs.sum() == len(b.io), "only S2 differs"
    assert 0.4 < b.abba.float().mean() < 0.6 and len(set(b.template.tolist())) == len(definition.PATCH_TEMPLATES)
    names = definition.POSITION_CLASSES
    assert (b.position_class[rows, b.io_pos] == names.index("IO")).all()
    assert (b.position_class[rows, b.s1_pos] == names.index("S1")).all()
    assert (b.position_class[:, definition.END_POS] == names.index("end")).all()


def test_the_model_prefers_io_on_clean_prompts_and_not_on_corrupted_ones(setup):
    model, b = setup
    logits = model(b.tokens)
    assert (logits[:, -1].argmax(-1) == b.io).float().mean() > 0.98
    assert definition.logit_diff(logits, b).mean() > 8
    assert definition.logit_diff(model(b.corrupted), b).mean().abs() < 0.5


def test_the_documented_circuit_is_faithful(setup):
    model, b = setup
    got = definition.faithfulness(model, b, definition.CIRCUIT)
    assert got >= 0.8 and abs(got - definition.FAITHFULNESS) < 0.02, got


@pytest.mark.parametrize("head", sorted(definition.MARGINAL_EFFECT), ids=lambda h: f"L{h[0]}H{h[1]}")
def test_every_head_of_the_circuit_matters_as_documented(setup, head):
    model, b = setup
    circuit = set(definition.CIRCUIT)
    marginal = definition.faithfulness(model, b, circuit) - definition.faithfulness(model, b, circuit - {head})
    assert marginal > 0.1 and abs(marginal - definition.MARGINAL_EFFECT[head]) < 0.02, marginal


def test_no_head_left_out_would_add_much(setup):
    model, b = setup
    base = definition.faithfulness(model, b, definition.CIRCUIT)
    for layer in range(model.cfg.n_layers):
        for head in range(model.cfg.n_heads):
            if (layer, head) not in definition.CIRCUIT:
                assert abs(definition.faithfulness(model, b, set(definition.CIRCUIT) | {(layer, head)}) - base) < 0.02


def test_attention_names_the_roles(setup):
    model, b = setup
    _, cache = model.run_with_cache(b.tokens)
    rows = torch.arange(len(b.io))
    for (layer, head), role in definition.CIRCUIT.items():
        at_end = cache["pattern", layer][:, head, definition.END_POS]  # [batch, key]
        if role == "subject":
            assert at_end[:, definition.S2_POS].mean() > 0.9
        else:
            to_io, to_s1 = at_end[rows, b.io_pos].mean(), at_end[rows, b.s1_pos].mean()
            assert to_io > 0.6 and to_io > 4 * to_s1, (layer, head, to_io, to_s1)
