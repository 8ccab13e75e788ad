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
    batch=st.integers(1, 2),
    in_channels=st.integers(1, 3),
    out_channels=st.integers(1, 3),
    output_height=st.integers(1, 5),
    output_width=st.integers(1, 5),
    kernel_height=st.integers(1, 4),
    kernel_width=st.integers(1, 4),
    seed=st.integers(0, 2**16),
)
def test_matches_torch_conv2d(batch, in_channels, out_channels, output_height, output_width, kernel_height, kernel_width, seed):
    x = randn(batch, in_channels, output_height + kernel_height - 1, output_width + kernel_width - 1, seed=seed)
    weights = randn(out_channels, in_channels, kernel_height, kernel_width, seed=seed + 1)
    assert_close(
        ex.conv2d_minimal(x, weights), F.conv2d(x, weights), atol=1e-5,
        name=f"conv2d_minimal of x {tuple(x.shape)} with weights {tuple(weights.shape)}",
    )


def test_kernel_is_not_flipped():
    # a kernel with a single 1 at the top-left picks x[i, j]; flipped, it would pick x[i + 2, j + 2]
    x = torch.arange(25.0).reshape(1, 1, 5, 5)
    weights = torch.zeros(1, 1, 3, 3)
    weights[0, 0, 0, 0] = 1.0
    assert_close(ex.conv2d_minimal(x, weights), F.conv2d(x, weights), name="5x5 ramp with a top-left impulse kernel")


def test_height_and_width_are_not_swapped():
    x, weights = randn(2, 2, 6, 9, seed=1), randn(3, 2, 2, 4, seed=2)  # tall kernel on a wide image
    assert_close(ex.conv2d_minimal(x, weights), F.conv2d(x, weights), atol=1e-5, name="6x9 image, 2x4 kernel")


def test_non_contiguous_input_with_offset():
    x = randn(8, 3, 7, 2, seed=3).permute(3, 1, 2, 0)[:, :, 1:, 2:]  # [2, 3, 6, 6], odd strides
    weights = randn(2, 3, 3, 2, seed=4)
    assert_close(
        ex.conv2d_minimal(x, weights), F.conv2d(x, weights), atol=1e-5,
        name="conv2d_minimal of a non-contiguous view (use x.stride())",
    )


def test_does_not_use_torch_convolution(forbid):
    x, weights = randn(2, 3, 6, 6, seed=5), randn(4, 3, 3, 3, seed=6)
    expected = F.conv2d(x, weights)
    forbid("torch.nn.functional.conv2d", "torch.conv2d", "torch.nn.functional.unfold", "torch.Tensor.unfold")
    assert_close(ex.conv2d_minimal(x, weights), expected, atol=1e-5, name="conv2d_minimal without torch's conv2d")


def test_common_mistakes_on_a_fixed_input():
    g = torch.Generator().manual_seed(5)
    x, w = torch.randn(2, 2, 6, 7, generator=g), torch.randn(3, 2, 3, 3, generator=g)
    before = x.clone()
    got = ex.conv2d_minimal(x, w)
    assert_unchanged(before, x, name="x")
    assert_close(got, F.conv2d(x, w), atol=1e-4, name="conv2d_minimal of [2, 2, 6, 7] with 3x3 kernels", mistakes={
        "the kernel's height and width are swapped in the einsum; match kh with the window's row axis":
            lambda: F.conv2d(x, w.transpose(-1, -2)),
        "the kernel is flipped (a textbook convolution); torch's conv is a cross-correlation":
            lambda: F.conv2d(x, w.flip(-1, -2)),
        "the output rows step by the width stride; window row i starts i rows down, i.e. stride s_height on that axis":
            lambda: width_stride_rows(x, w),
    })


def width_stride_rows(x, w):
    """The output of a window view whose output-row axis steps by x.stride(-1) instead of x.stride(-2)."""
    x = x.contiguous()
    out_h, out_w = x.shape[-2] - w.shape[-2] + 1, x.shape[-1] - w.shape[-1] + 1
    sb, sc, sh, sw = x.stride()
    windows = x.as_strided((x.shape[0], x.shape[1], out_h, out_w, w.shape[-2], w.shape[-1]), (sb, sc, sw, sw, sh, sw))
    return torch.einsum("bcijkl,ockl->boij", windows, w)
