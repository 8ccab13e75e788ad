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


def int_or_pair(low, high):
    return st.integers(low, high) | st.tuples(st.integers(low, high), st.integers(low, high))


def pair(value):
    return (value, value) if isinstance(value, int) else value


@PROPERTY
@given(
    batch=st.integers(1, 2),
    in_channels=st.integers(1, 3),
    out_channels=st.integers(1, 3),
    height=st.integers(1, 8),
    width=st.integers(1, 8),
    kernel_height=st.integers(1, 4),
    kernel_width=st.integers(1, 4),
    stride=int_or_pair(1, 3),
    padding=int_or_pair(0, 2),
    seed=st.integers(0, 2**16),
)
def test_matches_torch_conv2d(batch, in_channels, out_channels, height, width, kernel_height, kernel_width, stride, padding, seed):
    pad_h, pad_w = pair(padding)
    kernel_height, kernel_width = min(kernel_height, height + 2 * pad_h), min(kernel_width, width + 2 * pad_w)
    x = randn(batch, in_channels, height, width, seed=seed)
    weights = randn(out_channels, in_channels, kernel_height, kernel_width, seed=seed + 1)
    assert_close(
        ex.conv2d(x, weights, stride=stride, padding=padding),
        F.conv2d(x, weights, stride=stride, padding=padding), atol=1e-5,
        name=f"conv2d of x {tuple(x.shape)}, weights {tuple(weights.shape)}, stride={stride}, padding={padding}",
    )


@pytest.mark.parametrize(
    "stride, padding",
    [((1, 2), 0), ((2, 1), 0), (1, (2, 0)), (1, (0, 2)), ((3, 2), (1, 2))],
    ids=["stride_only_across", "stride_only_down", "padding_only_rows", "padding_only_columns", "everything_uneven"],
)
def test_height_and_width_settings_are_not_swapped(stride, padding):
    x = randn(2, 2, 7, 9, seed=1)
    weights = randn(3, 2, 2, 3, seed=2)
    assert_close(
        ex.conv2d(x, weights, stride=stride, padding=padding),
        F.conv2d(x, weights, stride=stride, padding=padding), atol=1e-5,
        name=f"conv2d of a 7x9 image, 2x3 kernel, stride={stride}, padding={padding}",
    )


def test_resnet_style_3x3_convolutions():
    x, weights = randn(2, 4, 8, 8, seed=3), randn(5, 4, 3, 3, seed=4)
    for stride in (1, 2):
        assert_close(
            ex.conv2d(x, weights, stride=stride, padding=1), F.conv2d(x, weights, stride=stride, padding=1),
            atol=1e-5, name=f"3x3 convolution, padding 1, stride {stride}",
        )


def test_kernel_is_not_flipped():
    x = torch.arange(36.0).reshape(1, 1, 6, 6)
    weights = torch.zeros(1, 1, 3, 3)
    weights[0, 0, 0, 1] = 1.0
    weights[0, 0, 2, 2] = -2.0
    assert_close(ex.conv2d(x, weights, stride=2, padding=1), F.conv2d(x, weights, stride=2, padding=1),
                 name="6x6 ramp with an asymmetric kernel, stride 2, padding 1")


def test_does_not_use_torch_convolution(forbid):
    x, weights = randn(2, 3, 6, 6, seed=5), randn(4, 3, 3, 3, seed=6)
    expected = F.conv2d(x, weights, stride=2, padding=1)
    forbid("torch.nn.functional.conv2d", "torch.conv2d", "torch.nn.functional.unfold", "torch.Tensor.unfold")
    assert_close(ex.conv2d(x, weights, stride=2, padding=1), expected, atol=1e-5, name="conv2d without torch's conv2d")


def test_common_mistakes_on_a_fixed_input():
    g = torch.Generator().manual_seed(5)
    x, w = torch.randn(2, 2, 7, 8, generator=g), torch.randn(3, 2, 3, 3, generator=g)
    want = F.conv2d(x, w, stride=(2, 3), padding=(1, 2))
    assert_close(ex.conv2d(x, w, stride=(2, 3), padding=(1, 2)), want, atol=1e-4, name="conv2d stride (2, 3), padding (1, 2)", mistakes={
        "F.pad was given the height padding first; it lists the last axis first: (left, right, top, bottom)":
            lambda: F.conv2d(F.pad(x, (1, 1, 2, 2)), w, stride=(2, 3)),
        "the height stride was used for both axes": lambda: F.conv2d(x, w, stride=(2, 2), padding=(1, 2)),
        "the strides were applied to the kernel axes (that spreads the kernel out); step the *windows* by the stride":
            lambda: F.conv2d(F.pad(x, (2, 2, 1, 1)), w, dilation=(2, 3))[..., : want.shape[-2], : want.shape[-1]],
    })
