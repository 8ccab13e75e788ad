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
shapes = dict(
    batch=st.integers(1, 2),
    channels=st.integers(1, 3),
    out_h=st.integers(1, 4),
    out_w=st.integers(1, 4),
    k=st.integers(1, 4),
    seed=st.integers(0, 2**16),
)


def random_images(batch, channels, height, width, seed):
    return torch.randn(batch, channels, height, width, generator=torch.Generator().manual_seed(seed))


@PROPERTY
@given(**shapes)
def test_max_pool_matches_torch_max_pool2d(batch, channels, out_h, out_w, k, seed):
    x = random_images(batch, channels, out_h * k, out_w * k, seed)
    assert_close(ex.max_pool(x, k), F.max_pool2d(x, k), name=f"max_pool of {tuple(x.shape)} with k={k}")


@PROPERTY
@given(**shapes)
def test_mean_pool_matches_torch_avg_pool2d(batch, channels, out_h, out_w, k, seed):
    x = random_images(batch, channels, out_h * k, out_w * k, seed)
    assert_close(ex.mean_pool(x, k), F.avg_pool2d(x, k), name=f"mean_pool of {tuple(x.shape)} with k={k}")


def test_pools_contiguous_blocks_not_strided_ones():
    # a 4x6 ramp: a block of rows {0, 1} differs from the strided set {0, 2}
    x = torch.arange(24, dtype=torch.float32).reshape(1, 1, 4, 6)
    assert_close(ex.max_pool(x, 2), F.max_pool2d(x, 2), name="max_pool of a 4x6 ramp, k=2")
    assert_close(ex.mean_pool(x, 2), F.avg_pool2d(x, 2), name="mean_pool of a 4x6 ramp, k=2")


def test_pools_each_channel_separately():
    x = torch.stack([torch.zeros(2, 2), torch.full((2, 2), 5.0), -torch.ones(2, 2)]).unsqueeze(0)  # [1, 3, 2, 2]
    assert_close(
        ex.max_pool(x, 2).flatten(),
        torch.tensor([0.0, 5.0, -1.0]),
        name="max_pool per channel of constant 2x2 images",
    )
    assert_close(
        ex.mean_pool(x, 2).flatten(),
        torch.tensor([0.0, 5.0, -1.0]),
        name="mean_pool per channel of constant 2x2 images",
    )


def test_inputs_are_unchanged():
    # a function that shifts, rescales or clamps its argument in place changes the caller's tensor
    g = torch.Generator().manual_seed(0)
    max_pool_x = torch.randn(2, 2, 4, 6, generator=g)
    max_pool_k = 2
    max_pool_x_before = max_pool_x.clone()
    ex.max_pool(max_pool_x, max_pool_k)
    assert_unchanged(max_pool_x_before, max_pool_x, name="x (of max_pool)")
    mean_pool_x = torch.randn(2, 2, 4, 6, generator=g)
    mean_pool_k = 2
    mean_pool_x_before = mean_pool_x.clone()
    ex.mean_pool(mean_pool_x, mean_pool_k)
    assert_unchanged(mean_pool_x_before, mean_pool_x, name="x (of mean_pool)")


def test_common_mistakes_on_a_fixed_input():
    import einops

    x = torch.randn(2, 2, 6, 6, generator=torch.Generator().manual_seed(5))
    assert_close(ex.max_pool(x, 3), F.max_pool2d(x, 3), name="max_pool of [2, 2, 6, 6], k=3", mistakes={
        "this is the mean of each block; max_pool reduces with 'max'": lambda: F.avg_pool2d(x, 3),
        "the axes were split as (k1 h): that pools pixels k apart, not neighbouring blocks; split as (h k1)":
            lambda: einops.reduce(x, "b c (k1 h) (k2 w) -> b c h w", "max", k1=3, k2=3),
    })
    assert_close(ex.mean_pool(x, 3), F.avg_pool2d(x, 3), name="mean_pool of [2, 2, 6, 6], k=3", mistakes={
        "this is the sum of each block; mean_pool reduces with 'mean'": lambda: 9 * F.avg_pool2d(x, 3),
    })
