import numpy as np
import torch
import torch.nn.functional as F
from hypothesis import Phase, given, settings
from hypothesis import strategies as st

from arena_cli.testing import assert_close, load_exercise

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
