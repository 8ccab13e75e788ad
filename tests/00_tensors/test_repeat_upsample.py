import numpy as np
import torch
import torch.nn.functional as F
from hypothesis import Phase, given, settings
from hypothesis import strategies as st

from arena_cli.testing import assert_close, assert_unchanged, load_exercise

ex = load_exercise(__file__)

# reproducible draws; no `explain` phase (it re-runs a failing test for seconds to annotate it)
PROPERTY = settings(
    derandomize=True, max_examples=25, deadline=None, phases=(Phase.explicit, Phase.generate, Phase.shrink)
)


@PROPERTY
@given(
    batch=st.integers(1, 2),
    channels=st.integers(1, 3),
    height=st.integers(1, 4),
    width=st.integers(1, 4),
    k=st.integers(1, 3),
    seed=st.integers(0, 2**16),
)
def test_upsample_nearest_matches_torch_interpolate(batch, channels, height, width, k, seed):
    x = torch.randn(batch, channels, height, width, generator=torch.Generator().manual_seed(seed))
    expected = F.interpolate(x, scale_factor=k, mode="nearest")
    assert_close(ex.upsample_nearest(x, k), expected, name=f"upsample_nearest of {tuple(x.shape)} with k={k}")


@PROPERTY
@given(
    height=st.integers(1, 4),
    width=st.integers(1, 4),
    reps_h=st.integers(1, 3),
    reps_w=st.integers(1, 3),
    seed=st.integers(0, 2**16),
)
def test_tile_matches_numpy_tile(height, width, reps_h, reps_w, seed):
    image = torch.randn(height, width, generator=torch.Generator().manual_seed(seed))
    expected = np.tile(image.numpy(), (reps_h, reps_w))
    assert_close(
        ex.tile(image, reps_h, reps_w),
        expected,
        name=f"tile of a {height}x{width} image, reps ({reps_h}, {reps_w})",
    )


def test_upsample_copies_each_pixel_into_a_block():
    x = torch.tensor([[1.0, 2.0], [3.0, 4.0]]).reshape(1, 1, 2, 2)
    expected = torch.tensor(
        [[1.0, 1.0, 2.0, 2.0], [1.0, 1.0, 2.0, 2.0], [3.0, 3.0, 4.0, 4.0], [3.0, 3.0, 4.0, 4.0]]
    ).reshape(1, 1, 4, 4)
    assert_close(ex.upsample_nearest(x, 2), expected, name="upsample_nearest([[1, 2], [3, 4]], 2)")


def test_tile_repeats_down_and_across_different_numbers_of_times():
    image = torch.tensor([[1.0, 2.0, 3.0]])
    expected = np.tile(image.numpy(), (2, 3))  # 2 copies down, 3 across: shape [2, 9]
    assert_close(ex.tile(image, 2, 3), expected, name="tile([[1, 2, 3]], reps_h=2, reps_w=3)")


def test_inputs_are_unchanged():
    # a function that shifts, rescales or clamps its argument in place changes the caller's tensor
    g = torch.Generator().manual_seed(0)
    upsample_nearest_x = torch.randn(2, 2, 3, 3, generator=g)
    upsample_nearest_k = 2
    upsample_nearest_x_before = upsample_nearest_x.clone()
    ex.upsample_nearest(upsample_nearest_x, upsample_nearest_k)
    assert_unchanged(upsample_nearest_x_before, upsample_nearest_x, name="x (of upsample_nearest)")
    tile_image = torch.randn(2, 3, generator=g)
    tile_reps_h = 2
    tile_reps_w = 3
    tile_image_before = tile_image.clone()
    ex.tile(tile_image, tile_reps_h, tile_reps_w)
    assert_unchanged(tile_image_before, tile_image, name="image (of tile)")


def test_common_mistakes_on_a_fixed_input():
    import einops

    x = torch.randn(1, 2, 2, 3, generator=torch.Generator().manual_seed(5))
    assert_close(ex.upsample_nearest(x, 2), x.repeat_interleave(2, -1).repeat_interleave(2, -2), name="upsample_nearest k=2", mistakes={
        "this tiles the image instead of copying each pixel into a block: put the copy axes after h and w ((h k1))":
            lambda: einops.repeat(x, "b c h w -> b c (k1 h) (k2 w)", k1=2, k2=2),
    })
    image = torch.randn(2, 3, generator=torch.Generator().manual_seed(6))
    want = image.repeat(2, 3)
    assert_close(ex.tile(image, 2, 3), want, name="tile of a 2x3 image, reps (2, 3)", mistakes={
        "this copies each pixel into a block instead of tiling: put the copy axes before h and w ((rh h))":
            lambda: einops.repeat(image, "h w -> (h rh) (w rw)", rh=2, rw=3),
        "reps_h and reps_w are swapped: reps_h copies down, reps_w across": lambda: image.repeat(3, 2),
    })
