import torch
from hypothesis import Phase, given, settings
from hypothesis import strategies as st

from arena_cli.testing import assert_close, assert_unchanged, load_exercise

ex = load_exercise(__file__)

# reproducible draws; no `explain` phase (it re-runs a failing test for seconds to annotate it)
PROPERTY = settings(
    derandomize=True, max_examples=25, deadline=None, phases=(Phase.explicit, Phase.generate, Phase.shrink)
)
MATMUL_BUILTINS = (
    "torch.matmul",
    "torch.mm",
    "torch.bmm",
    "torch.Tensor.__matmul__",
    "torch.Tensor.matmul",
    "torch.Tensor.mm",
    "torch.Tensor.bmm",
)


def scores_by_matmul(q, k):
    """Queries [batch, head, q_pos, d] times keys transposed [batch, head, d, k_pos]."""
    return torch.matmul(q.permute(0, 2, 1, 3), k.permute(0, 2, 3, 1))


@PROPERTY
@given(m=st.integers(1, 5), n=st.integers(1, 5), p=st.integers(1, 5), seed=st.integers(0, 2**16))
def test_matmul_matches_torch_mm(m, n, p, seed):
    gen = torch.Generator().manual_seed(seed)
    a, b = torch.randn(m, n, generator=gen), torch.randn(n, p, generator=gen)
    assert_close(ex.matmul(a, b), torch.mm(a, b), atol=1e-5, rtol=1e-4, name=f"matmul of {m}x{n} and {n}x{p}")


@PROPERTY
@given(
    batch=st.integers(1, 3),
    m=st.integers(1, 4),
    n=st.integers(1, 4),
    p=st.integers(1, 4),
    seed=st.integers(0, 2**16),
)
def test_batched_matmul_matches_torch_bmm(batch, m, n, p, seed):
    gen = torch.Generator().manual_seed(seed)
    a, b = torch.randn(batch, m, n, generator=gen), torch.randn(batch, n, p, generator=gen)
    assert_close(
        ex.batched_matmul(a, b),
        torch.bmm(a, b),
        atol=1e-5,
        rtol=1e-4,
        name=f"batched_matmul of {batch} x ({m}x{n} @ {n}x{p})",
    )


@PROPERTY
@given(
    batch=st.integers(1, 2),
    q_pos=st.integers(1, 4),
    k_pos=st.integers(1, 4),
    heads=st.integers(1, 3),
    d_head=st.integers(1, 4),
    seed=st.integers(0, 2**16),
)
def test_attention_scores_match_permute_and_matmul(batch, q_pos, k_pos, heads, d_head, seed):
    gen = torch.Generator().manual_seed(seed)
    q = torch.randn(batch, q_pos, heads, d_head, generator=gen)
    k = torch.randn(batch, k_pos, heads, d_head, generator=gen)
    assert_close(
        ex.attention_scores(q, k), scores_by_matmul(q, k), atol=1e-5, rtol=1e-4,
        name=f"attention_scores, q {tuple(q.shape)}, k {tuple(k.shape)}",
    )


def test_attention_scores_rows_are_queries_and_columns_are_keys():
    # 2 queries and 3 keys, so a transposed answer has the wrong shape; same positions count
    # for both in the second check, so a transposed answer has the wrong values
    gen = torch.Generator().manual_seed(1)
    q, k = torch.randn(1, 2, 2, 4, generator=gen), torch.randn(1, 3, 2, 4, generator=gen)
    assert_close(
        ex.attention_scores(q, k),
        scores_by_matmul(q, k),
        atol=1e-5,
        rtol=1e-4,
        name="scores of 2 queries against 3 keys",
    )
    k_same = torch.randn(1, 2, 2, 4, generator=gen)
    assert_close(
        ex.attention_scores(q, k_same),
        scores_by_matmul(q, k_same),
        atol=1e-5,
        rtol=1e-4,
        name="scores of 2 queries against 2 keys",
    )


def test_uses_einsum_not_a_matmul_builtin(forbid):
    gen = torch.Generator().manual_seed(0)
    a, b = torch.randn(2, 3, 4, generator=gen), torch.randn(2, 4, 5, generator=gen)
    q, k = torch.randn(1, 3, 2, 4, generator=gen), torch.randn(1, 5, 2, 4, generator=gen)
    expected = torch.mm(a[0], b[0]), torch.bmm(a, b), scores_by_matmul(q, k)
    forbid(*MATMUL_BUILTINS)
    assert_close(ex.matmul(a[0], b[0]), expected[0], atol=1e-5, rtol=1e-4, name="matmul")
    assert_close(ex.batched_matmul(a, b), expected[1], atol=1e-5, rtol=1e-4, name="batched_matmul")
    assert_close(ex.attention_scores(q, k), expected[2], atol=1e-5, rtol=1e-4, name="attention_scores")


def test_inputs_are_unchanged():
    # a function that shifts, rescales or clamps its argument in place changes the caller's tensor
    g = torch.Generator().manual_seed(0)
    matmul_a = torch.randn(2, 3, generator=g)
    matmul_b = torch.randn(3, 4, generator=g)
    matmul_a_before = matmul_a.clone()
    matmul_b_before = matmul_b.clone()
    ex.matmul(matmul_a, matmul_b)
    assert_unchanged(matmul_a_before, matmul_a, name="a (of matmul)")
    assert_unchanged(matmul_b_before, matmul_b, name="b (of matmul)")
    batched_matmul_a = torch.randn(2, 2, 3, generator=g)
    batched_matmul_b = torch.randn(2, 3, 4, generator=g)
    batched_matmul_a_before = batched_matmul_a.clone()
    batched_matmul_b_before = batched_matmul_b.clone()
    ex.batched_matmul(batched_matmul_a, batched_matmul_b)
    assert_unchanged(batched_matmul_a_before, batched_matmul_a, name="a (of batched_matmul)")
    assert_unchanged(batched_matmul_b_before, batched_matmul_b, name="b (of batched_matmul)")
    attention_scores_q = torch.randn(2, 3, 2, 4, generator=g)
    attention_scores_k = torch.randn(2, 5, 2, 4, generator=g)
    attention_scores_q_before = attention_scores_q.clone()
    attention_scores_k_before = attention_scores_k.clone()
    ex.attention_scores(attention_scores_q, attention_scores_k)
    assert_unchanged(attention_scores_q_before, attention_scores_q, name="q (of attention_scores)")
    assert_unchanged(attention_scores_k_before, attention_scores_k, name="k (of attention_scores)")


def test_common_mistakes_on_a_fixed_input():
    g = torch.Generator().manual_seed(5)
    a, b = torch.randn(3, 3, generator=g), torch.randn(3, 3, generator=g)
    assert_close(ex.matmul(a, b), a @ b, atol=1e-5, rtol=1e-4, name="matmul of two 3x3 matrices", mistakes={
        "this is a @ b.T: the summed index must be a's column index and b's row index ('i j, j k -> i k')": lambda: a @ b.T,
    })
    ba, bb = torch.randn(2, 2, 3, generator=g), torch.randn(2, 3, 4, generator=g)
    assert_close(ex.batched_matmul(ba, bb), ba @ bb, atol=1e-5, rtol=1e-4, name="batched_matmul of 2 pairs", mistakes={
        "the two batch axes got different names, so every matrix of a met every matrix of b; use one 'batch' "
        "name on every side": lambda: (ba.sum(0) @ bb.sum(0)).expand(2, -1, -1),
    })
    q, k = torch.randn(2, 3, 2, 4, generator=g), torch.randn(2, 5, 2, 4, generator=g)
    want = q.permute(0, 2, 1, 3) @ k.permute(0, 2, 3, 1)
    assert_close(ex.attention_scores(q, k), want, atol=1e-5, rtol=1e-4, name="attention_scores of 3 queries, 5 keys", mistakes={
        "key positions come before query positions: the output is [batch, head, q_pos, k_pos]": lambda: want.transpose(-1, -2),
        "the head index differs between q and k, so heads were summed together; use the same head name for both":
            lambda: q.permute(0, 2, 1, 3) @ k.sum(2, keepdim=True).permute(0, 2, 3, 1),
    })
