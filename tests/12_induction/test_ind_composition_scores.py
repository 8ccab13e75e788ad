import math

import pytest
import torch
from transformer_lens import FactoredMatrix

from arena_cli.testing import assert_close, load_exercise, show_heatmap
from arena_cli.zoo import load

ex = load_exercise(__file__)
model = load("induction")


def dense_score(A: torch.Tensor, B: torch.Tensor) -> torch.Tensor:
    """The definition, on materialised matrices, with torch.linalg norms."""
    fro = lambda m: torch.linalg.matrix_norm(m, ord="fro")  # noqa: E731
    return fro(A @ B) / (fro(A) * fro(B))


def test_identity_scores_one_over_sqrt_d():
    d = 9
    got = ex.composition_score(FactoredMatrix(torch.eye(d), torch.eye(d)), FactoredMatrix(torch.eye(d), torch.eye(d)))
    assert_close(got, 1 / math.sqrt(d), atol=1e-6, name="score(I, I) for d = 9")


def test_orthogonal_subspaces_score_zero_and_aligned_ones_one():
    e = torch.eye(4)
    writes_first = FactoredMatrix(e[:, :1], e[:1])  # rank 1: reads and writes direction 0
    reads_second = FactoredMatrix(e[:, 1:2], e[1:2])  # reads direction 1
    scaled = FactoredMatrix(5 * e[:, :1], e[:1])
    assert_close(ex.composition_score(scaled, writes_first), 1.0, atol=1e-6, name="score of 5 x a rank-1 projection with it",
                 mistakes={"the score is not normalised: divide ||W_A W_B|| by ||W_A|| ||W_B||": 5.0})
    assert_close(ex.composition_score(writes_first, reads_second), 0.0, atol=1e-6, name="score of orthogonal rank-1 maps")
    assert_close(ex.composition_score(writes_first, writes_first), 1.0, atol=1e-6, name="score of a rank-1 projection with itself")


@pytest.mark.parametrize("seed", [0, 1])
def test_batched_scores_match_the_dense_definition(seed):
    gen = torch.Generator().manual_seed(seed)
    A = FactoredMatrix(torch.randn(3, 1, 10, 4, generator=gen), torch.randn(3, 1, 4, 10, generator=gen) * 5)
    B = FactoredMatrix(torch.randn(1, 2, 10, 4, generator=gen) * 0.1, torch.randn(1, 2, 4, 10, generator=gen))
    got = ex.composition_score(A, B)
    assert tuple(got.shape) == (3, 2), f"scores broadcast over leading axes: expected shape (3, 2), got {tuple(got.shape)}"
    fro = lambda m: torch.linalg.matrix_norm(m, ord="fro")  # noqa: E731
    assert_close(got, dense_score(A.AB, B.AB), atol=1e-5, rtol=1e-4,
                 name="normalised ||A B|| / (||A|| ||B||), batched (factors of different scales)", mistakes={
        "the score is not normalised: divide ||W_A W_B|| by ||W_A|| ||W_B||": lambda: fro(A.AB @ B.AB),
        "the product is W_B W_A; the score is ||W_A W_B|| / (||W_A|| ||W_B||)": lambda: dense_score(B.AB, A.AB),
        "the denominator is a sum of norms; it is their product": lambda: fro(A.AB @ B.AB) / (fro(A.AB) + fro(B.AB)),
    })


@pytest.mark.parametrize("kind", ["k", "q", "v"])
def test_model_composition_tables(kind):
    ov0 = model.OV[0].AB  # [head, d_model, d_model]
    reader = {"k": model.QK[1].AB.transpose(-1, -2), "q": model.QK[1].AB, "v": model.OV[1].AB}[kind]
    expected = dense_score(ov0[:, None], reader[None, :])
    got = getattr(ex, f"{kind}_composition_scores")(model)
    others = {"k": model.QK[1].AB.transpose(-1, -2), "q": model.QK[1].AB, "v": model.OV[1].AB}
    names = {"k": "the key side (W_QK.T)", "q": "the query side (W_QK)", "v": "the values (the layer-1 OV circuit)"}
    mistakes = {f"this is the composition with {names[o]}; {kind.upper()}-composition reads {names[kind]}":
                (lambda o=o: dense_score(ov0[:, None], others[o][None, :])) for o in others if o != kind}
    mistakes["the table is transposed: rows are the layer-0 heads, columns the layer-1 heads"] = lambda: expected.T
    assert_close(got, expected, atol=1e-5, rtol=1e-4,
                 name=f"{kind.upper()}-composition [layer-0 head, layer-1 head] vs the dense definition", mistakes=mistakes)
    if kind == "k":
        rows, cols = [f"L0H{h}" for h in range(4)], [f"L1H{h}" for h in range(4)]
        show_heatmap(got, rows, cols, title="K-composition: layer-0 head writes (rows), layer-1 head keys read (columns)",
                     vmin=0.0, vmax=float(got.max()))
