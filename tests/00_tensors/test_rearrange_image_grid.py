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


def grid_by_concatenation(images: np.ndarray, n_rows: int) -> np.ndarray:
    """The specification, spelled out: concatenate each row of images across, then the rows down."""
    n_cols = images.shape[0] // n_rows
    rows = [np.concatenate(list(images[r * n_cols : (r + 1) * n_cols]), axis=2) for r in range(n_rows)]
    return np.concatenate(rows, axis=1)


@PROPERTY
@given(
    n_rows=st.integers(1, 3),
    n_cols=st.integers(1, 3),
    channels=st.integers(1, 3),
    height=st.integers(1, 4),
    width=st.integers(1, 4),
    seed=st.integers(0, 2**16),
)
def test_image_grid_matches_concatenation(n_rows, n_cols, channels, height, width, seed):
    images = torch.randn(n_rows * n_cols, channels, height, width, generator=torch.Generator().manual_seed(seed))
    expected = grid_by_concatenation(images.numpy(), n_rows)
    assert_close(
        ex.image_grid(images, n_rows),
        expected,
        name=f"{n_rows}x{n_cols} grid of images {tuple(images.shape)}",
    )


def test_image_grid_fills_row_by_row():
    # 6 images of 1x2x3, each filled with its own index: 2 rows of 3
    images = torch.arange(6, dtype=torch.float32).reshape(6, 1, 1, 1).expand(6, 1, 2, 3)
    grid = ex.image_grid(images, 2)
    assert tuple(grid.shape) == (1, 4, 9), f"expected shape (1, 2*2, 3*3) = (1, 4, 9), got {tuple(grid.shape)}"
    top_right = grid[0, 0, 8]
    bottom_left = grid[0, 2, 0]
    assert top_right.item() == 2.0, (
        f"the top-right image should be image 2 (row by row), found image {top_right.item():g}"
    )
    assert bottom_left.item() == 3.0, (
        f"the first image of the second row should be image 3, found image {bottom_left.item():g}"
    )
    assert_close(grid, grid_by_concatenation(images.numpy(), 2), name="2x3 grid of constant images")


@PROPERTY
@given(
    batch=st.integers(1, 2),
    channels=st.integers(1, 3),
    patch=st.integers(1, 3),
    n_high=st.integers(1, 3),
    n_wide=st.integers(1, 3),
    seed=st.integers(0, 2**16),
)
def test_patchify_matches_torch_unfold(batch, channels, patch, n_high, n_wide, seed):
    images = torch.randn(batch, channels, n_high * patch, n_wide * patch, generator=torch.Generator().manual_seed(seed))
    # unfold returns [batch, channel * patch * patch, n_patches], patches read row by row
    expected = F.unfold(images, kernel_size=patch, stride=patch).transpose(1, 2)
    assert_close(ex.patchify(images, patch), expected, name=f"patchify of {tuple(images.shape)} with patch {patch}")


def test_patchify_non_square_image_with_several_channels():
    images = torch.arange(2 * 3 * 4 * 6, dtype=torch.float32).reshape(2, 3, 4, 6)
    expected = F.unfold(images, kernel_size=2, stride=2).transpose(1, 2)  # [2, 6 patches, 12]
    assert_close(ex.patchify(images, 2), expected, name="patchify of a [2, 3, 4, 6] image with 2x2 patches")


def test_inputs_are_unchanged():
    # a function that shifts, rescales or clamps its argument in place changes the caller's tensor
    g = torch.Generator().manual_seed(0)
    image_grid_images = torch.randn(6, 2, 3, 3, generator=g)
    image_grid_n_rows = 2
    image_grid_images_before = image_grid_images.clone()
    ex.image_grid(image_grid_images, image_grid_n_rows)
    assert_unchanged(image_grid_images_before, image_grid_images, name="images (of image_grid)")
    patchify_images = torch.randn(2, 2, 4, 6, generator=g)
    patchify_patch = 2
    patchify_images_before = patchify_images.clone()
    ex.patchify(patchify_images, patchify_patch)
    assert_unchanged(patchify_images_before, patchify_images, name="images (of patchify)")


def test_common_mistakes_on_a_fixed_input():
    import einops

    images = torch.randn(6, 2, 3, 4, generator=torch.Generator().manual_seed(5))
    want = einops.rearrange(images, "(row col) c h w -> c (row h) (col w)", row=2)
    assert_close(ex.image_grid(images, 2), want, name="2x3 grid of [6, 2, 3, 4] images", mistakes={
        "the grid was filled column by column: split the batch as (row col), so image 1 sits right of image 0":
            lambda: einops.rearrange(images, "(col row) c h w -> c (row h) (col w)", row=2),
        "image rows were interleaved ((h row) instead of (row h)): each image's rows must stay together":
            lambda: einops.rearrange(images, "(row col) c h w -> c (h row) (col w)", row=2),
    })
    big = torch.randn(2, 3, 4, 6, generator=torch.Generator().manual_seed(6))
    want = einops.rearrange(big, "b c (nh ph) (nw pw) -> b (nh nw) (c ph pw)", ph=2, pw=2)
    assert_close(ex.patchify(big, 2), want, name="patchify of [2, 3, 4, 6] with 2x2 patches", mistakes={
        "each patch was flattened as (ph pw c); the order is (channel, row in the patch, column in the patch)":
            lambda: einops.rearrange(big, "b c (nh ph) (nw pw) -> b (nh nw) (ph pw c)", ph=2, pw=2),
        "the patches were read column by column; read them row by row ((nh nw))":
            lambda: einops.rearrange(big, "b c (nh ph) (nw pw) -> b (nw nh) (c ph pw)", ph=2, pw=2),
    })
