import pytest
import torch
from transformer_lens import FactoredMatrix

from arena_cli.testing import assert_close, assert_unchanged, load_exercise
from arena_cli.zoo import load

ex = load_exercise(__file__)
model = load("induction")
ORDINARY = torch.arange(3, 103)
HEADS = [(layer, head) for layer in range(2) for head in range(4)]


def induction_scores_on_repeats():
    g = torch.Generator().manual_seed(0)
    half = torch.randint(3, 103, (4, 15), generator=g)
    tokens = torch.cat([torch.zeros(4, 1, dtype=torch.long), half, half], dim=1)
    _, cache = model.run_with_cache(tokens)
    stripe = torch.stack([cache["pattern", l].diagonal(offset=-14, dim1=-2, dim2=-1)[..., 2:].mean(dim=(0, -1)) for l in range(2)])
    return stripe  # [layer, head]


@pytest.mark.parametrize("layer, head", HEADS, ids=[f"L{l}H{h}" for l, h in HEADS])
def test_full_ov_circuit_matches_embed_ov_unembed(layer, head):
    full = ex.full_ov_circuit(model, layer, head)
    assert isinstance(full, FactoredMatrix), f"return a FactoredMatrix, got {type(full).__name__}"
    assert tuple(full.shape) == (103, 103), f"shape {tuple(full.shape)}, expected [d_vocab, d_vocab] = (103, 103)"
    assert full.mdim <= model.cfg.d_head, f"inner dimension {full.mdim}: keep it factored (at most d_head = 16)"
    expected = (FactoredMatrix(model.W_E, model.OV[layer, head].A) @ FactoredMatrix(model.OV[layer, head].B, model.W_U)).AB
    assert_close(full.AB, expected, atol=1e-4, rtol=1e-4, name=f"W_E W_OV W_U of L{layer}H{head}")


def test_copy_fraction_of_the_worked_example():
    rows = torch.tensor([[5.0, 1.0, 0.0], [0.0, 1.0, 3.0], [0.0, 0.0, 2.0]])
    got = ex.copy_fraction(FactoredMatrix(rows, torch.eye(3)), torch.arange(3))
    assert isinstance(got, float), f"return a Python float, got {type(got).__name__}"
    assert_close(got, 2 / 3, atol=1e-6, name="copy fraction of the worked example")


def test_copy_fraction_reads_rows_not_columns():
    # row maxima: 0, 0, 2 (2 of 3 on the diagonal); column maxima: 1, 1, 2 (1 of 3)
    m = torch.tensor([[1.0, 0.0, 0.0], [9.0, 2.0, 0.0], [0.0, 5.0, 6.0]])
    assert_close(ex.copy_fraction(FactoredMatrix(m, torch.eye(3)), torch.arange(3)), 2 / 3, atol=1e-6,
                 name="copy fraction (maximum over each row: the output token a source token pushes up most)",
                 mistakes={"the maximum was taken over each column; take it over each row (dim=-1)": 1 / 3})


def test_copy_fraction_restricts_rows_and_columns():
    # with all 4 tokens, row 1's maximum is column 3; among tokens [0, 1, 2] it is its own column
    m = torch.tensor([[4.0, 0.0, 0.0, 0.0], [0.0, 2.0, 0.0, 7.0], [1.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 1.0]])
    factored = FactoredMatrix(m, torch.eye(4))
    ids = torch.tensor([0, 1, 2])
    before = ids.clone()
    assert_close(ex.copy_fraction(factored, ids), 2 / 3, atol=1e-6,
                 name="copy fraction among tokens [0, 1, 2] (columns restricted too)",
                 mistakes={"the columns were not restricted to token_ids: restrict rows *and* columns": 1 / 3})
    assert_unchanged(before, ids, name="token_ids")
    assert_close(ex.copy_fraction(factored, torch.tensor([2, 0])), 0.5, atol=1e-6,
                 name="copy fraction among tokens [2, 0] (row i of the result is token_ids[i])",
                 mistakes={"each row's best column was compared with token_ids; in the restricted matrix row i's diagonal is column i": 0.0})


def test_induction_heads_copy_and_layer0_heads_do_not():
    induction = induction_scores_on_repeats()
    fractions = torch.tensor(
        [[ex.copy_fraction(ex.full_ov_circuit(model, l, h), ORDINARY) for h in range(4)] for l in range(2)]
    )
    expected = torch.tensor([[(
        (FactoredMatrix(model.W_E[ORDINARY], model.OV[l, h].A) @ FactoredMatrix(model.OV[l, h].B, model.W_U[:, ORDINARY]))
        .AB.argmax(-1) == torch.arange(100)).float().mean() for h in range(4)] for l in range(2)])
    assert_close(fractions, expected, atol=1e-6, name="copy fraction of every head [layer, head] over the 100 ordinary tokens")
    for l, h in HEADS:
        if induction[l, h] > 0.5:
            assert fractions[l, h] > 0.9, f"L{l}H{h} is an induction head but copies only {fractions[l, h]:.2f} of tokens"
