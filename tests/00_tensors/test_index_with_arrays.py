import torch
import torch.nn.functional as F
from hypothesis import Phase, given, settings
from hypothesis import strategies as st

from arena_cli.testing import assert_close, assert_unchanged, load_exercise, mistake

ex = load_exercise(__file__)

# reproducible draws; no `explain` phase (it re-runs a failing test for seconds to annotate it)
PROPERTY = settings(
    derandomize=True, max_examples=25, deadline=None, phases=(Phase.explicit, Phase.generate, Phase.shrink)
)
INDEXING_BUILTINS = (
    "torch.gather", "torch.Tensor.gather", "torch.take_along_dim", "torch.Tensor.take_along_dim",
    "torch.nn.functional.one_hot", "torch.where", "torch.Tensor.scatter", "torch.Tensor.scatter_", "torch.scatter",
)


@PROPERTY
@given(m=st.integers(1, 5), n=st.integers(1, 5), k=st.integers(1, 8), seed=st.integers(0, 2**16))
def test_pick_entries_matches_a_loop(m, n, k, seed):
    gen = torch.Generator().manual_seed(seed)
    mat = torch.randn(m, n, generator=gen)
    rows, cols = torch.randint(0, m, (k,), generator=gen), torch.randint(0, n, (k,), generator=gen)
    expected = torch.tensor([mat[r, c].item() for r, c in zip(rows.tolist(), cols.tolist())])
    assert_close(ex.pick_entries(mat, rows, cols), expected, name=f"pick_entries of {k} pairs from a {m}x{n} matrix")


@PROPERTY
@given(batch=st.integers(1, 4), pos=st.integers(1, 6), d_model=st.integers(1, 4), seed=st.integers(0, 2**16))
def test_vectors_at_positions_matches_a_loop(batch, pos, d_model, seed):
    gen = torch.Generator().manual_seed(seed)
    resid = torch.randn(batch, pos, d_model, generator=gen)
    positions = torch.randint(0, pos, (batch,), generator=gen)
    expected = torch.stack([resid[b, p] for b, p in enumerate(positions.tolist())])
    assert_close(
        ex.vectors_at_positions(resid, positions),
        expected,
        name=f"vectors_at_positions of resid {tuple(resid.shape)}",
    )


@PROPERTY
@given(batch=st.integers(1, 6), n_classes=st.integers(1, 6), seed=st.integers(0, 2**16))
def test_one_hot_matches_torch_one_hot(batch, n_classes, seed):
    labels = torch.randint(0, n_classes, (batch,), generator=torch.Generator().manual_seed(seed))
    expected = F.one_hot(labels, n_classes).float()
    assert_close(
        ex.one_hot(labels, n_classes),
        expected,
        check_dtype=True,
        name=f"one_hot of {batch} labels, {n_classes} classes",
    )


def test_pick_entries_reads_the_indices_in_pairs():
    mat = (10 * torch.arange(3)[:, None] + torch.arange(4)[None, :]).float()  # mat[r, c] = 10 r + c, 3x4
    rows, cols = torch.tensor([2, 0, 1, 2, 1]), torch.tensor([3, 1, 0, 0, 2])
    square = (10 * torch.arange(4)[:, None] + torch.arange(4)[None, :]).float()  # square: mat[cols, rows] runs
    assert_close(ex.pick_entries(square, rows, cols), square[rows, cols], name="pick_entries of a 4x4 mat[r, c] = 10 r + c",
                 mistakes={"rows and cols were swapped (you read mat[cols, rows]); entry i is mat[rows[i], cols[i]]":
                           lambda: square[cols, rows]})
    assert_close(
        ex.pick_entries(mat, rows, cols),
        torch.tensor([23.0, 1.0, 10.0, 20.0, 12.0]),
        name="pick_entries of mat[r, c] = 10 r + c",
    )


def test_each_batch_element_uses_its_own_position():
    # resid[b, p, :] = 10 b + p, with batch 3 != pos 5
    resid = (10 * torch.arange(3)[:, None, None] + torch.arange(5)[None, :, None]).float().expand(3, 5, 2)
    positions = torch.tensor([4, 0, 2])
    expected = torch.tensor([[4.0, 4.0], [10.0, 10.0], [22.0, 22.0]])
    assert_close(
        ex.vectors_at_positions(resid, positions),
        expected,
        name="vectors_at_positions with resid[b, p] = 10 b + p",
    )


def test_one_hot_has_one_row_per_label():
    labels = torch.tensor([2, 0, 2])  # 3 labels, 4 classes
    expected = torch.tensor([[0.0, 0.0, 1.0, 0.0], [1.0, 0.0, 0.0, 0.0], [0.0, 0.0, 1.0, 0.0]])
    got = ex.one_hot(labels, 4)
    if isinstance(got, torch.Tensor) and got.shape == expected.shape and not got.is_floating_point() and torch.equal(got.float(), expected):
        raise mistake(f"the one-hot values are right but the dtype is {str(got.dtype).replace('torch.', '')}; "
                      "return float32, like F.one_hot(labels, n).float() (torch.eye's default dtype)")
    assert_close(got, expected, check_dtype=True, name="one_hot([2, 0, 2], 4)")


def test_uses_indexing_not_gather_or_one_hot(forbid):
    gen = torch.Generator().manual_seed(0)
    mat, resid = torch.randn(3, 4, generator=gen), torch.randn(2, 5, 3, generator=gen)
    rows, cols, positions, labels = torch.tensor(
        [0, 2],
    ), torch.tensor([3, 1]), torch.tensor([4, 1]), torch.tensor([1, 0, 3])
    expected = (
        torch.stack([mat[0, 3], mat[2, 1]]),
        torch.stack([resid[0, 4], resid[1, 1]]),
        F.one_hot(labels, 4).float(),
    )
    forbid(*INDEXING_BUILTINS)
    assert_close(ex.pick_entries(mat, rows, cols), expected[0], name="pick_entries")
    assert_close(ex.vectors_at_positions(resid, positions), expected[1], name="vectors_at_positions")
    assert_close(ex.one_hot(labels, 4), expected[2], name="one_hot")


def test_inputs_are_unchanged():
    # a function that shifts, rescales or clamps its argument in place changes the caller's tensor
    g = torch.Generator().manual_seed(0)
    pick_entries_mat = torch.randn(3, 4, generator=g)
    pick_entries_rows = torch.tensor([2, 0, 2])
    pick_entries_cols = torch.tensor([3, 3, 1])
    pick_entries_mat_before = pick_entries_mat.clone()
    pick_entries_rows_before = pick_entries_rows.clone()
    pick_entries_cols_before = pick_entries_cols.clone()
    ex.pick_entries(pick_entries_mat, pick_entries_rows, pick_entries_cols)
    assert_unchanged(pick_entries_mat_before, pick_entries_mat, name="mat (of pick_entries)")
    assert_unchanged(pick_entries_rows_before, pick_entries_rows, name="rows (of pick_entries)")
    assert_unchanged(pick_entries_cols_before, pick_entries_cols, name="cols (of pick_entries)")
    vectors_at_positions_resid = torch.randn(2, 3, 4, generator=g)
    vectors_at_positions_positions = torch.tensor([2, 0])
    vectors_at_positions_resid_before = vectors_at_positions_resid.clone()
    vectors_at_positions_positions_before = vectors_at_positions_positions.clone()
    ex.vectors_at_positions(vectors_at_positions_resid, vectors_at_positions_positions)
    assert_unchanged(vectors_at_positions_resid_before, vectors_at_positions_resid, name="resid (of vectors_at_positions)")
    assert_unchanged(vectors_at_positions_positions_before, vectors_at_positions_positions, name="positions (of vectors_at_positions)")
    one_hot_labels = torch.tensor([2, 0, 1])
    one_hot_n_classes = 3
    one_hot_labels_before = one_hot_labels.clone()
    ex.one_hot(one_hot_labels, one_hot_n_classes)
    assert_unchanged(one_hot_labels_before, one_hot_labels, name="labels (of one_hot)")


def test_common_mistakes_on_a_fixed_input():
    g = torch.Generator().manual_seed(5)
    mat, rows, cols = torch.randn(3, 5, generator=g), torch.tensor([2, 0, 1]), torch.tensor([4, 4, 0])
    assert_close(ex.pick_entries(mat, rows, cols), mat[rows, cols], name="pick_entries from a 3x5 matrix", mistakes={
        "the flat index used the number of rows as the row stride; row r starts at r * n_columns":
            lambda: mat.flatten()[(rows * mat.shape[0] + cols).clamp(max=mat.numel() - 1)],
    })
    resid, positions = torch.randn(3, 4, 2, generator=g), torch.tensor([2, 0, 3])
    want = resid[torch.arange(3), positions]
    assert_close(ex.vectors_at_positions(resid, positions), want, name="vectors_at_positions of [3, 4, 2]", mistakes={
        "every batch element used the first row of resid[:, positions]: index the batch axis with torch.arange(batch)":
            lambda: resid[:, positions][0],
        "every batch element took its last position; take positions[b]": lambda: resid[:, -1],
    })
