import torch
import torch.nn.functional as F
from hypothesis import Phase, given, settings
from hypothesis import strategies as st

from arena_cli.testing import assert_close, assert_unchanged, load_exercise, mistake

ex = load_exercise(__file__)

# seeded draws; no shrinking or explaining, so that a failing case is reported at once
PROPERTY = settings(
    max_examples=30, deadline=None, derandomize=True, database=None, phases=(Phase.explicit, Phase.generate)
)


def randn(*shape, seed):
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed))


@PROPERTY
@given(
    batch=st.integers(1, 3),
    in_channels=st.integers(1, 3),
    out_channels=st.integers(1, 4),
    output_width=st.integers(1, 8),
    kernel_width=st.integers(1, 5),
    seed=st.integers(0, 2**16),
)
def test_matches_torch_conv1d(batch, in_channels, out_channels, output_width, kernel_width, seed):
    x = randn(batch, in_channels, output_width + kernel_width - 1, seed=seed)
    weights = randn(out_channels, in_channels, kernel_width, seed=seed + 1)  # random: not symmetric
    assert_close(
        ex.conv1d_minimal(x, weights), F.conv1d(x, weights), atol=1e-5,
        name=f"conv1d_minimal of x {tuple(x.shape)} with weights {tuple(weights.shape)}",
    )


def test_kernel_is_not_flipped():
    # weights [1, 0, 0] pick x[i]; a flipped kernel would pick x[i + 2]
    x = torch.arange(6.0).reshape(1, 1, 6)
    weights = torch.tensor([[[1.0, 0.0, 0.0]]])
    assert_close(ex.conv1d_minimal(x, weights), F.conv1d(x, weights), name="[0..5] convolved with [1, 0, 0]")


def test_kernel_as_wide_as_the_input():
    x, weights = randn(2, 3, 5, seed=1), randn(4, 3, 5, seed=2)
    assert_close(ex.conv1d_minimal(x, weights), F.conv1d(x, weights), atol=1e-5, name="kernel width = input width")


def test_non_contiguous_input_with_offset():
    # a slice of a transposed tensor: its strides are not those of a fresh [2, 3, 7] tensor
    x = randn(9, 3, 4, seed=3).permute(2, 1, 0)[1:3, :, 2:]
    weights = randn(2, 3, 3, seed=4)
    assert_close(
        ex.conv1d_minimal(x, weights), F.conv1d(x, weights), atol=1e-5,
        name="conv1d_minimal of a non-contiguous view (use x.stride())",
    )


def test_does_not_use_torch_convolution(forbid):
    x, weights = randn(2, 3, 10, seed=5), randn(4, 3, 3, seed=6)
    expected = F.conv1d(x, weights)
    forbid("torch.nn.functional.conv1d", "torch.conv1d", "torch.nn.functional.unfold", "torch.Tensor.unfold")
    assert_close(ex.conv1d_minimal(x, weights), expected, atol=1e-5, name="conv1d_minimal without torch's conv1d")


def test_common_mistakes_on_a_fixed_input():
    g = torch.Generator().manual_seed(5)
    x, w = torch.randn(2, 3, 7, generator=g), torch.randn(3, 3, 3, generator=g)
    before = x.clone()
    got = ex.conv1d_minimal(x, w)
    assert_unchanged(before, x, name="x")
    assert_close(got, F.conv1d(x, w), atol=1e-4, name="conv1d_minimal of [2, 3, 7] with [3, 3, 3] weights", mistakes={
        "the kernel is flipped (a textbook convolution); torch's conv is a cross-correlation: out[i] = sum_k x[i + k] w[k]":
            lambda: F.conv1d(x, w.flip(-1)),
        "the weights were read as [in_channels, out_channels, kernel]; they are [out_channels, in_channels, kernel]":
            lambda: F.conv1d(x, w.transpose(0, 1)),
        "one output too few: there are width - kernel_width + 1 window positions, not width - kernel_width":
            lambda: F.conv1d(x, w)[..., :-1],
    })
