import numpy as np
import pytest
import torch

from arena_cli.testing import assert_close, assert_unchanged, load_exercise, mistake

ex = load_exercise(__file__)


def torch_unbroadcast(grad: np.ndarray, original_shape: tuple[int, ...]) -> np.ndarray:
    """The gradient torch.autograd gives an input of `original_shape` expanded to grad.shape."""
    leaf = torch.zeros(original_shape, dtype=torch.float64, requires_grad=True)
    (result,) = torch.autograd.grad(leaf.expand(grad.shape), leaf, torch.tensor(grad))
    return result.numpy()


def variant(grad, original_shape, *, trailing=False, stretched=True, keepdims=True):
    """unbroadcast with one step changed: sum the trailing (not leading) extra axes, skip the
    size-1 axes, or sum those without keepdims."""
    n_extra = grad.ndim - len(original_shape)
    extra = range(grad.ndim - n_extra, grad.ndim) if trailing else range(n_extra)
    grad = grad.sum(axis=tuple(extra))
    if not stretched:
        return grad
    ones = tuple(axis for axis, size in enumerate(original_shape) if size == 1)
    return grad.sum(axis=ones, keepdims=keepdims)


MISTAKES = {
    "you summed away the trailing axes; broadcasting prepends new axes at the front, so sum the leading "
    "grad.ndim - len(original_shape) axes": dict(trailing=True),
    "the stretched size-1 axes were not summed; after the prepended axes, also sum (keepdims=True) every axis "
    "where original_shape is 1": dict(stretched=False),
    "the size-1 axes were summed without keepdims=True, so they vanished; keep them as size 1": dict(keepdims=False),
}


def check(original_shape, broadcast_shape, seed):
    grad = np.random.default_rng(seed).normal(size=broadcast_shape)
    got = ex.unbroadcast(grad, original_shape)
    assert_close(
        got,
        torch_unbroadcast(grad, original_shape),
        atol=1e-12,
        rtol=1e-10,
        name=f"unbroadcast of a {broadcast_shape} gradient to {original_shape}",
        mistakes={sentence: (lambda kw=kw: variant(grad, original_shape, **kw)) for sentence, kw in MISTAKES.items()},
    )


NAMED = {
    "nothing_to_undo": ((2, 3), (2, 3)),
    "prepended_axes": ((3,), (2, 5, 3)),
    "prepended_square": ((3,), (3, 3)),  # summing the last axis instead of the first keeps the shape
    "stretched_axis": ((4, 1), (4, 6)),
    "stretched_first_axis": ((1, 5), (4, 5)),
    "prepended_and_stretched": ((3, 1), (2, 3, 4)),
    "size_2_stretched_at_axis_2": ((3, 4, 1), (3, 4, 2)),
    "size_1_stretched_at_axis_1_by_3": ((2, 1, 4), (2, 3, 4)),
    "sizes_equal_to_axis_numbers": ((1, 1, 2, 1), (1, 1, 2, 3)),
    "stretched_after_prepended": ((1, 2), (2, 3, 2)),
    "size_1_kept_when_not_stretched": ((1, 3), (1, 3)),
    "scalar": ((), (2, 3)),
    "every_axis": ((1, 1, 1), (4, 2, 3)),
    "two_prepended_two_stretched": ((1, 3, 1), (2, 1, 4, 3, 5)),
}


@pytest.mark.parametrize("original, broadcast", NAMED.values(), ids=NAMED.keys())
def test_named_cases(original, broadcast):
    check(original, broadcast, seed=len(broadcast) + sum(broadcast))


def random_pairs(count: int, seed: int):
    """Seeded random (original, broadcast) shape pairs: every way broadcasting can go."""
    rng = np.random.default_rng(seed)
    pairs: list[tuple[tuple[int, ...], tuple[int, ...]]] = []
    while len(pairs) < count:
        broadcast = tuple(int(s) for s in rng.integers(1, 5, size=rng.integers(1, 6)))
        n_kept = int(rng.integers(max(1, len(broadcast) - 2), len(broadcast) + 1))
        kept = broadcast[len(broadcast) - n_kept :]
        original = tuple(1 if rng.random() < 0.4 else size for size in kept)
        if (original, broadcast) not in pairs:
            pairs.append((original, broadcast))
    return pairs


def shape_id(shape: tuple[int, ...]) -> str:
    return "x".join(map(str, shape)) or "scalar"


RANDOM = [
    pytest.param(original, broadcast, index, id=f"{shape_id(original)}_from_{shape_id(broadcast)}")
    for index, (original, broadcast) in enumerate(random_pairs(30, seed=2024))
]


@pytest.mark.parametrize("original, broadcast, seed", RANDOM)
def test_random_shapes(original, broadcast, seed):
    check(original, broadcast, seed)


def test_matches_what_numpy_broadcasting_implies():
    # y = x * w with w broadcast: dL/dw for L = sum(y * g) is the sum of x * g over the copies
    rng = np.random.default_rng(7)
    x, g = rng.normal(size=(2, 3, 4)), rng.normal(size=(2, 3, 4))
    got = ex.unbroadcast(x * g, (3, 1))
    expected = (x * g).sum(axis=(0, 2)).reshape(3, 1)
    assert_close(got, expected, atol=1e-12, name="unbroadcast(x * g, (3, 1))")


def test_common_mistakes_on_a_fixed_input():
    grad = np.random.default_rng(5).normal(size=(5, 2, 3))
    assert_close(ex.unbroadcast(grad, (1, 3)), grad.sum(0).sum(0, keepdims=True), name="unbroadcast [5, 2, 3] -> (1, 3)", mistakes={
        "you averaged over the broadcast axes; broadcasting copies a value, so its gradients add up (sum)":
            lambda: grad.mean(0).mean(0, keepdims=True)})
