import pytest
import torch
from transformer_lens import FactoredMatrix

from arena_cli.testing import assert_close, load_exercise
from arena_cli.zoo import load

ex = load_exercise(__file__)
model = load("induction")
HEADS = [(layer, head) for layer in range(2) for head in range(4)]


def check_factored(matrix, what: str, shape=(64, 64)):
    assert isinstance(matrix, FactoredMatrix), f"{what}: return a FactoredMatrix, got {type(matrix).__name__}"
    assert tuple(matrix.shape) == shape, f"{what}: shape {tuple(matrix.shape)}, expected {shape}"
    assert matrix.mdim == model.cfg.d_head, (
        f"{what}: its inner dimension is {matrix.mdim}, expected d_head = {model.cfg.d_head}: keep the factors, "
        "don't multiply them out"
    )


@pytest.mark.parametrize("layer, head", HEADS, ids=[f"L{l}H{h}" for l, h in HEADS])
def test_qk_circuit_matches_model_qk(layer, head):
    qk = ex.qk_circuit(model, layer, head)
    check_factored(qk, f"qk_circuit(model, {layer}, {head})")
    assert_close(qk.AB, model.QK[layer, head].AB, atol=1e-5, name=f"W_Q @ W_K.T of L{layer}H{head} vs model.QK", mistakes={
        "this is W_K @ W_Q.T, the transpose: the QK circuit is FactoredMatrix(W_Q, W_K.T) (queries are rows)":
            lambda: model.QK[layer, head].AB.T,
        "the circuit of another layer: index W_Q and W_K with [layer, head]": lambda: model.QK[1 - layer, head].AB,
    })


@pytest.mark.parametrize("layer, head", HEADS, ids=[f"L{l}H{h}" for l, h in HEADS])
def test_ov_circuit_matches_model_ov(layer, head):
    ov = ex.ov_circuit(model, layer, head)
    check_factored(ov, f"ov_circuit(model, {layer}, {head})")
    assert_close(ov.AB, model.OV[layer, head].AB, atol=1e-5, name=f"W_V @ W_O of L{layer}H{head} vs model.OV", mistakes={
        "the circuit of another layer: index W_V and W_O with [layer, head]": lambda: model.OV[1 - layer, head].AB,
        "the OV circuit is transposed: it is FactoredMatrix(W_V, W_O), rows read from the key position":
            lambda: model.OV[layer, head].AB.T,
    })


def test_qk_circuit_gives_the_attention_scores():
    # without biases, LayerNorm and scale, x_q W_QK x_k^T is q . k: check on random residual vectors
    x = torch.randn(5, 64, generator=torch.Generator().manual_seed(0))
    qk = ex.qk_circuit(model, 1, 2)
    expected = (x @ model.W_Q[1, 2]) @ (x @ model.W_K[1, 2]).T  # [query, key]
    assert_close(x @ qk.AB @ x.T, expected, atol=1e-4, rtol=1e-4, name="x W_QK x^T vs q k^T (rows: queries)")


def test_all_ov_circuits_batches_every_head():
    ov = ex.all_ov_circuits(model)
    check_factored(ov, "all_ov_circuits(model)", shape=(2, 4, 64, 64))
    assert_close(ov.AB, model.OV.AB, atol=1e-5, name="all OV circuits [layer, head, d_model, d_model] vs model.OV")
    assert_close(ov.norm(), model.OV.norm(), atol=1e-4, rtol=1e-4, name="Frobenius norm of every OV circuit [layer, head]")
