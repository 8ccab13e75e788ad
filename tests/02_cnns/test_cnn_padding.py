import pytest
import torch
import torch.nn.functional as F
from hypothesis import Phase, given, settings
from hypothesis import strategies as st

from arena_cli.testing import assert_close, load_exercise

ex = load_exercise(__file__)

# seeded draws; no shrinking or explaining, so that a failing case is reported at once
PROPERTY = settings(
    max_examples=30, deadline=None, derandomize=True, database=None, phases=(Phase.explicit, Phase.generate)
)
pads = st.integers(0, 3)
values = st.sampled_from([0.0, -1.5, 7.0, float("-inf")])


def randn(*shape, seed):
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed))


@PROPERTY
@given(width=st.integers(1, 5), left=pads, right=pads, pad_value=values, seed=st.integers(0, 2**16))
def test_pad1d_matches_torch_pad(width, left, right, pad_value, seed):
    x = randn(2, 3, width, seed=seed)
    assert_close(
        ex.pad1d(x, left, right, pad_value), F.pad(x, (left, right), value=pad_value), atol=0, rtol=0,
        name=f"pad1d(width {width}, left={left}, right={right}, pad_value={pad_value})",
    )


@PROPERTY
@given(
    height=st.integers(1, 4), width=st.integers(1, 4),
    left=pads, right=pads, top=pads, bottom=pads, pad_value=values, seed=st.integers(0, 2**16),
)
def test_pad2d_matches_torch_pad(height, width, left, right, top, bottom, pad_value, seed):
    x = randn(2, 2, height, width, seed=seed)
    assert_close(
        ex.pad2d(x, left, right, top, bottom, pad_value),
        F.pad(x, (left, right, top, bottom), value=pad_value), atol=0, rtol=0,
        name=f"pad2d({height}x{width}, left={left}, right={right}, top={top}, bottom={bottom}, pad_value={pad_value})",
    )


@pytest.mark.parametrize("left, right", [(2, 0), (0, 3), (1, 4)], ids=["left_only", "right_only", "uneven"])
def test_pad1d_uneven_sides(left, right):
    x = torch.arange(1.0, 4.0).reshape(1, 1, 3)
    assert_close(ex.pad1d(x, left, right, -9.0), F.pad(x, (left, right), value=-9.0), atol=0, rtol=0,
                 name=f"pad1d([1, 2, 3], left={left}, right={right}, -9)")


def test_pad2d_every_side_different():
    x = torch.arange(6.0).reshape(1, 1, 2, 3)
    assert_close(ex.pad2d(x, 1, 2, 3, 4, 0.5), F.pad(x, (1, 2, 3, 4), value=0.5), atol=0, rtol=0,
                 name="pad2d(2x3, left=1, right=2, top=3, bottom=4)")


def test_keeps_dtype_and_does_not_change_the_input():
    x = randn(1, 2, 3, 3, seed=1).double()
    before = x.clone()
    out = ex.pad2d(x, 1, 1, 1, 1, 0.0)
    assert out.dtype == torch.float64, f"expected the input's dtype float64, got {out.dtype} (use x.new_full)"
    assert_close(x, before, atol=0, rtol=0, name="the input after padding")


def test_does_not_use_torch_pad(forbid):
    x = randn(1, 2, 3, 3, seed=2)
    expected1, expected2 = F.pad(x[..., 0, :], (1, 2), value=3.0), F.pad(x, (1, 0, 2, 1), value=3.0)
    forbid("torch.nn.functional.pad", "torch.constant_pad_nd", "torch.cat", "torch.concat", "torch.concatenate")
    assert_close(ex.pad1d(x[..., 0, :], 1, 2, 3.0), expected1, atol=0, rtol=0, name="pad1d without F.pad")
    assert_close(ex.pad2d(x, 1, 0, 2, 1, 3.0), expected2, atol=0, rtol=0, name="pad2d without F.pad")


def test_common_mistakes_on_a_fixed_input():
    x = torch.randn(2, 3, 4, 5, generator=torch.Generator().manual_seed(5))
    row = x[:, :, 0]
    assert_close(ex.pad1d(row, 1, 3, -2.0), F.pad(row, (1, 3), value=-2.0), atol=0, name="pad1d(left=1, right=3, value=-2)", mistakes={
        "left and right are swapped: `left` values go before the first element": lambda: F.pad(row, (3, 1), value=-2.0),
        "pad_value was ignored (zeros used)": lambda: F.pad(row, (1, 3)),
    })
    assert_close(ex.pad2d(x, 1, 0, 2, 3, 7.0), F.pad(x, (1, 0, 2, 3), value=7.0), atol=0, name="pad2d(1, 0, 2, 3, value=7)", mistakes={
        "top and bottom are swapped: `top` rows go above the image": lambda: F.pad(x, (1, 0, 3, 2), value=7.0),
    })
