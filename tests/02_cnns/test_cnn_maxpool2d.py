import pytest
import torch
import torch.nn.functional as F
from hypothesis import Phase, given, settings
from hypothesis import strategies as st

from arena_cli.testing import assert_close, assert_unchanged, load_exercise

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
    channels=st.integers(1, 3),
    height=st.integers(1, 8),
    width=st.integers(1, 8),
    kernel=st.tuples(st.integers(1, 4), st.integers(1, 4)),
    stride=st.none() | st.integers(1, 3) | st.tuples(st.integers(1, 3), st.integers(1, 3)),
    padding=st.tuples(st.integers(0, 2), st.integers(0, 2)),
    seed=st.integers(0, 2**16),
)
def test_matches_torch_max_pool2d(batch, channels, height, width, kernel, stride, padding, seed):
    # torch's rules: padding at most half the kernel; the padded image holds at least one window
    padding = (min(padding[0], kernel[0] // 2), min(padding[1], kernel[1] // 2))
    kernel = (min(kernel[0], height + 2 * padding[0]), min(kernel[1], width + 2 * padding[1]))
    padding = (min(padding[0], kernel[0] // 2), min(padding[1], kernel[1] // 2))
    x = randn(batch, channels, height, width, seed=seed)
    assert_close(
        ex.maxpool2d(x, kernel, stride=stride, padding=padding),
        F.max_pool2d(x, kernel, stride=stride, padding=padding), atol=0, rtol=0,
        name=f"maxpool2d of {tuple(x.shape)}, kernel={kernel}, stride={stride}, padding={padding}",
    )


def pair(value):
    return (value, value) if isinstance(value, int) else tuple(value)


def variant(x, kernel, stride=None, padding=0, *, stride_one_default=False, kernel_h_for_both=False):
    """torch's max pool with one step changed: a default stride of 1, or the kernel height used for both axes."""
    kernel, padding = pair(kernel), pair(padding)
    stride = (1 if stride_one_default else kernel) if stride is None else stride
    if kernel_h_for_both:
        kernel = (kernel[0], kernel[0])
    x = F.pad(x, (padding[1], padding[1], padding[0], padding[0]), value=float("-inf"))
    return F.max_pool2d(x, kernel, stride=stride)


KERNEL_H_FOR_BOTH = "the kernel height was used for both kernel axes; a (k_h, k_w) kernel has k_w columns"


def test_stride_defaults_to_the_kernel_size():
    x = randn(2, 3, 6, 6, seed=1)
    for kernel, name in [(2, "maxpool2d(x, 2): 2x2 windows side by side"), ((3, 2), "maxpool2d(x, (3, 2))")]:
        assert_close(ex.maxpool2d(x, kernel), F.max_pool2d(x, kernel), atol=0, rtol=0, name=name, mistakes={
            "the stride defaults to 1; with stride=None it is the kernel size (windows side by side)":
                lambda: variant(x, kernel, stride_one_default=True),
            KERNEL_H_FOR_BOTH: lambda: variant(x, kernel, kernel_h_for_both=True),
        })


def test_padding_never_wins_the_max():
    # all values negative: padding with zeros would put 0s on the border of the output
    x = -1 - randn(1, 2, 5, 5, seed=2).abs()
    assert_close(
        ex.maxpool2d(x, 3, stride=2, padding=1), F.max_pool2d(x, 3, stride=2, padding=1), atol=0, rtol=0,
        name="maxpool2d of an all-negative image with padding 1 (pad with -inf)",
    )


@pytest.mark.parametrize(
    "kernel, stride, padding",
    [(3, 1, 1), ((2, 3), (1, 2), (1, 0)), ((3, 1), (2, 1), (1, 0))],
    ids=["overlapping_windows", "uneven_everything", "tall_kernel"],
)
def test_named_cases(kernel, stride, padding):
    x = randn(2, 2, 7, 6, seed=3)
    assert_close(
        ex.maxpool2d(x, kernel, stride=stride, padding=padding),
        F.max_pool2d(x, kernel, stride=stride, padding=padding), atol=0, rtol=0,
        name=f"maxpool2d of a 7x6 image, kernel={kernel}, stride={stride}, padding={padding}",
        mistakes={KERNEL_H_FOR_BOTH: lambda: variant(x, kernel, stride, padding, kernel_h_for_both=True)},
    )


def test_does_not_use_torch_max_pool(forbid):
    x = randn(2, 3, 6, 6, seed=4)
    expected = F.max_pool2d(x, 3, stride=2, padding=1)
    forbid(
        "torch.nn.functional.max_pool2d", "torch.max_pool2d", "torch.nn.functional.max_pool2d_with_indices",
        "torch.nn.functional.unfold", "torch.Tensor.unfold",
    )
    assert_close(ex.maxpool2d(x, 3, stride=2, padding=1), expected, atol=0, rtol=0, name="maxpool2d without torch's max_pool2d")


def test_padding_never_wins_on_negative_inputs():
    # every value is negative: a zero-padded border would win each window that touches it
    x = -1.0 - torch.rand(2, 3, 5, 6, generator=torch.Generator().manual_seed(4))
    before = x.clone()
    got = ex.maxpool2d(x, 3, stride=2, padding=1)
    assert_unchanged(before, x, name="x")
    assert_close(
        got, F.max_pool2d(x, 3, stride=2, padding=1), atol=0, rtol=0,
        name="maxpool2d(kernel 3, stride 2, padding 1) of negative values",
        mistakes={
            "the border was padded with zeros, which beat negative values; pad with -inf so padding never "
            "wins a window": lambda: F.max_pool2d(F.pad(x, (1, 1, 1, 1)), 3, stride=2),
        },
    )
