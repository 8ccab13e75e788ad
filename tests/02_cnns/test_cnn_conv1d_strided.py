import math
import re

import pytest
import torch
import torch.nn.functional as F
from hypothesis import Phase, given, settings
from hypothesis import strategies as st

from arena_cli.testing import assert_close, assert_unchanged, load_exercise, mistake

ex = load_exercise(__file__)

# seeded draws; no shrinking or explaining, so that a failing case is reported at once
PROPERTY = settings(
    max_examples=40, deadline=None, derandomize=True, database=None, phases=(Phase.explicit, Phase.generate)
)


def randn(*shape, seed):
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed))


@PROPERTY
@given(
    batch=st.integers(1, 2),
    in_channels=st.integers(1, 3),
    out_channels=st.integers(1, 3),
    width=st.integers(1, 12),
    kernel_width=st.integers(1, 5),
    stride=st.integers(1, 4),
    padding=st.integers(0, 2),
    seed=st.integers(0, 2**16),
)
def test_matches_torch_conv1d(batch, in_channels, out_channels, width, kernel_width, stride, padding, seed):
    kernel_width = min(kernel_width, width + 2 * padding)
    x = randn(batch, in_channels, width, seed=seed)
    weights = randn(out_channels, in_channels, kernel_width, seed=seed + 1)
    assert_close(
        ex.conv1d(x, weights, stride=stride, padding=padding),
        F.conv1d(x, weights, stride=stride, padding=padding), atol=1e-5,
        name=f"conv1d of x {tuple(x.shape)}, weights {tuple(weights.shape)}, stride={stride}, padding={padding}",
    )


@pytest.mark.parametrize(
    "width, kernel_width, stride, padding",
    [(7, 3, 2, 0), (8, 3, 3, 0), (5, 3, 1, 1), (5, 4, 2, 2), (3, 5, 1, 1)],
    ids=["stride_2", "last_window_incomplete", "padding_1", "padding_2_stride_2", "kernel_wider_than_input"],
)
def test_named_cases(width, kernel_width, stride, padding):
    x = randn(2, 2, width, seed=width)
    weights = randn(3, 2, kernel_width, seed=kernel_width)
    assert_close(
        ex.conv1d(x, weights, stride=stride, padding=padding),
        F.conv1d(x, weights, stride=stride, padding=padding), atol=1e-5,
        name=f"conv1d width {width}, kernel {kernel_width}, stride={stride}, padding={padding}",
    )


def test_defaults_are_stride_1_and_no_padding():
    x, weights = randn(1, 2, 9, seed=1), randn(2, 2, 3, seed=2)
    assert_close(ex.conv1d(x, weights), F.conv1d(x, weights), atol=1e-5, name="conv1d with default stride and padding")


def test_kernel_is_not_flipped():
    x = torch.arange(1.0, 8.0).reshape(1, 1, 7)
    weights = torch.tensor([[[2.0, 0.0, -1.0]]])
    assert_close(ex.conv1d(x, weights, stride=2, padding=1), F.conv1d(x, weights, stride=2, padding=1),
                 name="[1..7] convolved with [2, 0, -1], stride 2, padding 1")


def test_does_not_use_torch_convolution(forbid):
    x, weights = randn(2, 3, 10, seed=5), randn(4, 3, 3, seed=6)
    expected = F.conv1d(x, weights, stride=2, padding=1)
    forbid("torch.nn.functional.conv1d", "torch.conv1d", "torch.nn.functional.unfold", "torch.Tensor.unfold")
    assert_close(ex.conv1d(x, weights, stride=2, padding=1), expected, atol=1e-5, name="conv1d without torch's conv1d")


def test_common_mistakes_on_a_fixed_input():
    g = torch.Generator().manual_seed(5)
    x, w = torch.randn(2, 2, 9, generator=g), torch.randn(3, 2, 3, generator=g)
    want = F.conv1d(x, w, stride=2, padding=2)
    assert_close(ex.conv1d(x, w, stride=2, padding=2), want, atol=1e-4, name="conv1d stride 2, padding 2", mistakes={
        "all the padding went on the left; pad `padding` zeros on each side": lambda: F.conv1d(F.pad(x, (4, 0)), w, stride=2),
        "the stride was applied to the kernel axis (that spreads the kernel out); step the *windows* by the stride":
            lambda: F.conv1d(F.pad(x, (2, 2)), w, dilation=2)[..., : want.shape[-1]],
    })


def test_output_width_rounds_down():
    # padded width 10, kernel 3, stride 2: windows start at 0, 2, 4, 6; one starting at 8 would run past the end
    g = torch.Generator().manual_seed(6)
    x, w = torch.randn(2, 2, 8, generator=g), torch.randn(3, 2, 3, generator=g)
    want = F.conv1d(x, w, stride=2, padding=1)
    rounded_up = math.ceil((8 + 2 - 3) / 2) + 1
    sentence = ("the output width was rounded up; it is (padded width - kernel_width) // stride + 1, rounded down: "
                "a window that would run past the end is left out")
    try:
        got = ex.conv1d(x, w, stride=2, padding=1)
    except RuntimeError as error:  # as_strided asked for more windows than the storage holds
        sizes = re.search(r"sizes \[(\d+), (\d+), (\d+), (\d+)\]", str(error))
        if sizes and int(sizes.group(3)) == rounded_up:
            raise mistake(sentence, f"conv1d(x of width 8, kernel 3, stride 2, padding 1) raised: {error}") from None
        raise
    if got.shape[-1] == rounded_up:
        raise mistake(sentence, f"got output width {got.shape[-1]}, expected {want.shape[-1]}")
    assert_close(got, want, atol=1e-4, name="conv1d width 8, kernel 3, stride 2, padding 1")
