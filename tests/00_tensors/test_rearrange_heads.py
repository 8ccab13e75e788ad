import torch
from hypothesis import Phase, given, settings
from hypothesis import strategies as st

from arena_cli.testing import assert_close, assert_unchanged, load_exercise

ex = load_exercise(__file__)

# reproducible draws; no `explain` phase (it re-runs a failing test for seconds to annotate it)
PROPERTY = settings(
    derandomize=True, max_examples=25, deadline=None, phases=(Phase.explicit, Phase.generate, Phase.shrink)
)
shapes = dict(
    batch=st.integers(1, 3),
    pos=st.integers(1, 5),
    n_heads=st.integers(1, 4),
    d_head=st.integers(1, 4),
    seed=st.integers(0, 2**16),
)


@PROPERTY
@given(**shapes)
def test_split_heads_matches_numpy_reshape_and_transpose(batch, pos, n_heads, d_head, seed):
    x = torch.randn(batch, pos, n_heads * d_head, generator=torch.Generator().manual_seed(seed))
    expected = x.numpy().reshape(batch, pos, n_heads, d_head).transpose(0, 2, 1, 3)
    assert_close(ex.split_heads(x, n_heads), expected, name=f"split_heads of shape {tuple(x.shape)}, {n_heads} heads")


@PROPERTY
@given(**shapes)
def test_merge_heads_matches_numpy_transpose_and_reshape(batch, pos, n_heads, d_head, seed):
    z = torch.randn(batch, n_heads, pos, d_head, generator=torch.Generator().manual_seed(seed))
    expected = z.numpy().transpose(0, 2, 1, 3).reshape(batch, pos, n_heads * d_head)
    assert_close(ex.merge_heads(z), expected, name=f"merge_heads of shape {tuple(z.shape)}")


def test_head_h_owns_entries_h_times_d_head_onwards():
    # batch 2, pos 3, 4 heads of size 5: every entry distinct, so any mix-up shows
    x = torch.arange(2 * 3 * 20, dtype=torch.float32).reshape(2, 3, 20)
    z = ex.split_heads(x, 4)
    assert tuple(
        z.shape,
    ) == (2, 4, 3, 5), f"expected shape [batch, head, pos, d_head] = (2, 4, 3, 5), got {tuple(z.shape)}"
    for head in range(4):
        assert_close(z[1, head, 2], x[1, 2, head * 5 : (head + 1) * 5], name=f"head {head} at batch 1, position 2")


def test_merge_heads_undoes_split_heads():
    x = torch.randn(2, 7, 12, generator=torch.Generator().manual_seed(0))
    assert_close(ex.merge_heads(ex.split_heads(x, 3)), x, name="merge_heads(split_heads(x, 3))")


def test_inputs_are_unchanged():
    # a function that shifts, rescales or clamps its argument in place changes the caller's tensor
    g = torch.Generator().manual_seed(0)
    split_heads_x = torch.randn(2, 3, 6, generator=g)
    split_heads_n_heads = 2
    split_heads_x_before = split_heads_x.clone()
    ex.split_heads(split_heads_x, split_heads_n_heads)
    assert_unchanged(split_heads_x_before, split_heads_x, name="x (of split_heads)")
    merge_heads_z = torch.randn(2, 2, 3, 3, generator=g)
    merge_heads_z_before = merge_heads_z.clone()
    ex.merge_heads(merge_heads_z)
    assert_unchanged(merge_heads_z_before, merge_heads_z, name="z (of merge_heads)")


def test_common_mistakes_on_a_fixed_input():
    x = torch.arange(2 * 3 * 6, dtype=torch.float32).reshape(2, 3, 6)
    want = x.reshape(2, 3, 2, 3).permute(0, 2, 1, 3)
    assert_close(ex.split_heads(x, 2), want, name="split_heads of [2, 3, 6] into 2 heads", mistakes={
        "d_model was split as (d_head head), interleaving the heads; it is (head d_head): head h owns a block":
            lambda: x.reshape(2, 3, 3, 2).permute(0, 3, 1, 2),
        "a plain reshape does not move the head axis: split the last axis, then move head before pos":
            lambda: x.reshape(2, 2, 3, 3),
    })
    z = want.clone()
    assert_close(ex.merge_heads(z), x, name="merge_heads of [2, 2, 3, 3]", mistakes={
        "the heads were merged as (d_head head); merge them as (head d_head), split_heads read backwards":
            lambda: z.permute(0, 2, 3, 1).reshape(2, 3, 6),
    })
