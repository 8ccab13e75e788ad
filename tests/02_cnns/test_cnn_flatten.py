import pytest
import torch
from torch import nn

from arena_cli.testing import assert_close, load_exercise

ex = load_exercise(__file__)

CASES = {
    "images_default": ((2, 3, 4, 5), 1, -1),
    "everything": ((2, 3, 4, 5), 0, -1),
    "middle_axes": ((2, 3, 4, 5), 1, 2),
    "negative_axes": ((2, 3, 4, 5), -3, -2),
    "first_two_axes": ((2, 3, 4, 5), 0, 1),
    "single_axis_is_unchanged": ((2, 3, 4, 5), 2, 2),
    "last_axis_only": ((2, 3, 4), -1, -1),
    "vector": ((6,), 0, -1),
    "size_one_axes": ((1, 1, 3, 1), 1, -1),
}


@pytest.mark.parametrize("shape, start_dim, end_dim", CASES.values(), ids=CASES.keys())
def test_matches_torch_flatten(shape, start_dim, end_dim):
    x = torch.randn(shape, generator=torch.Generator().manual_seed(len(shape)))
    assert_close(
        ex.Flatten(start_dim, end_dim)(x), nn.Flatten(start_dim, end_dim)(x), atol=0, rtol=0,
        name=f"Flatten({start_dim}, {end_dim}) of shape {shape}",
    )


def test_default_keeps_the_batch_axis():
    x = torch.randn(7, 2, 3, 3)
    assert_close(ex.Flatten()(x), x.reshape(7, 18), atol=0, rtol=0, name="Flatten() of [7, 2, 3, 3]")


def test_non_contiguous_input():
    x = torch.randn(3, 4, 5).transpose(0, 2)  # [5, 4, 3], not contiguous
    assert_close(ex.Flatten()(x), nn.Flatten()(x), atol=0, rtol=0, name="Flatten() of a transposed tensor")


def test_does_not_use_torch_flatten(forbid):
    x = torch.randn(2, 3, 4)
    expected = nn.Flatten()(x)
    forbid("torch.flatten", "torch.Tensor.flatten", "torch.nn.Flatten.forward")
    assert_close(ex.Flatten()(x), expected, atol=0, rtol=0, name="Flatten() without torch's flatten")
