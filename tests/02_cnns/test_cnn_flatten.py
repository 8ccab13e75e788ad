import math

import pytest
import torch
from torch import nn

from arena_cli.testing import assert_close, assert_unchanged, load_exercise, mistake

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
    "zero_size_batch": ((0, 3, 4), 1, -1),
    "zero_size_inner_axis": ((2, 0, 3), 0, 1),
    "zero_d_everything": ((), 0, -1),
    "negative_start_positive_end": ((2, 3, 4, 5), -3, 2),
}


@pytest.mark.parametrize("shape, start_dim, end_dim", CASES.values(), ids=CASES.keys())
def test_matches_torch_flatten(shape, start_dim, end_dim):
    x = torch.randn(shape, generator=torch.Generator().manual_seed(len(shape)))
    def end_excluded():
        start, end = start_dim % x.ndim, end_dim % x.ndim
        return x.reshape(*x.shape[:start], math.prod(x.shape[start:end]), *x.shape[end:])

    def negative_misread():  # -k read as axis k (only -1 handled) instead of ndim - k
        start, end = (d if d >= 0 else (x.ndim - 1 if d == -1 else -d) for d in (start_dim, end_dim))
        return x.reshape(*x.shape[:start], math.prod(x.shape[start : end + 1]), *x.shape[end + 1 :])

    expected = nn.Flatten(start_dim, end_dim)(x)
    try:
        got = ex.Flatten(start_dim, end_dim)(x)
    except (IndexError, RuntimeError) as error:
        if min(start_dim, end_dim) < -1:
            raise mistake(NEGATIVE_AXES, f"Flatten({start_dim}, {end_dim}) of shape {shape} raised "
                          f"{type(error).__name__}: {error}; torch returns shape {tuple(expected.shape)}") from None
        raise
    assert_close(
        got, expected, atol=0, rtol=0,
        name=f"Flatten({start_dim}, {end_dim}) of shape {shape}",
        mistakes={"end_dim was left out of the merge; both start_dim and end_dim are included": end_excluded,
                  NEGATIVE_AXES: negative_misread},
    )


NEGATIVE_AXES = ("a negative axis other than -1 was converted wrongly; axis -k means ndim - k for every k "
                 "(`dim % ndim` once it is known to be in range)")


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


INVALID = {
    "start_past_the_last_axis": ((2, 3, 4), 3, -1),
    "end_past_the_last_axis": ((2, 3, 4), 1, 3),
    "start_before_the_first_axis": ((2, 3, 4), -4, -1),
    "start_after_end": ((2, 3, 4), 2, 1),
    "negative_start_after_end": ((2, 3, 4), -1, 0),
    "zero_d_axis_one": ((), 1, -1),
}


@pytest.mark.parametrize("shape, start_dim, end_dim", INVALID.values(), ids=INVALID.keys())
def test_invalid_axes_are_refused_like_torch(shape, start_dim, end_dim):
    x = torch.zeros(shape)
    with pytest.raises(Exception) as want:
        nn.Flatten(start_dim, end_dim)(x)
    try:
        got = ex.Flatten(start_dim, end_dim)(x)
    except (IndexError, RuntimeError) as error:
        assert type(error) is want.type, (
            f"Flatten({start_dim}, {end_dim}) of shape {shape}: raised {type(error).__name__}, torch raises {want.type.__name__}"
        )
        return
    raise mistake(
        "invalid axes were accepted (wrapping them with `% ndim`?); an axis outside [-ndim, ndim) is an "
        "IndexError and start after end a RuntimeError, as in nn.Flatten",
        f"Flatten({start_dim}, {end_dim}) of shape {shape} returned shape {tuple(got.shape)}; torch raises {want.type.__name__}",
    )


def test_input_is_unchanged():
    x = torch.randn(2, 3, 4)
    before = x.clone()
    ex.Flatten()(x)
    assert_unchanged(before, x, name="x")
